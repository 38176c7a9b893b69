"""A village box's air-check heard at the commune, every part real (issue 12).

The commune runs ``broadcaster web`` with a private Mosquitto (``scripts/mqtt-broker``); a box
enrols with its one-time code and runs ``broadcaster receiver run`` on a null sink of its own,
whose monitor the box's playout engine records as the air-check. The box airs a programme of its
village; its air-check reaches the commune with the hash of the box's signed entry; the village
head of that village plays it from the log, a head of another village cannot. Then the link dies
(web server and broker stopped) before a second programme: the box airs it, keeps its air-check
in its queue, and sends it once the link is back.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from station_helpers import ROOT, BroadcasterProcess, key_of, now, wait_for
from web_helpers import OTHER_ZONE, ZONE

from broadcaster.models import BoxAircheck, Receiver, ReceiverEvidence, ReceiverProgram

pytest_plugins = ["receiver_fixtures", "web_fixtures"]
from receiver_helpers import free_port  # noqa: E402

pytestmark = [pytest.mark.sound, pytest.mark.slow]


def _programme(ctx: Any, key: str, zone_id: int, when: dt.datetime, hz: int) -> None:
    """A rendered programme for the box's village, as the hub stores it (3 s of a tone)."""
    folder = ctx.settings.audio_dir / "cache" / "renders"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key.replace('@', '_')}.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency={hz}:duration=3", "-ar", "44100", "-ac", "2", str(path)],
                   check=True)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    final = path.with_name(f"{sha}.wav")
    path.rename(final)
    with ctx.session() as session:
        session.add(ReceiverProgram(
            occurrence_key=key, scheduled_at=when, zone_ids=[zone_id], sha256=sha,
            relpath=str(final.relative_to(ctx.settings.audio_dir)), size_bytes=final.stat().st_size,
            seconds=3.0, fingerprint="t", fields={
                "title": f"Tin {ZONE} {hz}", "zone": ZONE,
                "items": [{"kind": "speech", "title": f"Tin {ZONE}", "seconds": 3.0}]}))


def _commune_entry(ctx: Any, key: str) -> tuple[int, str | None, str | None] | None:
    """(seq, air-check hash, the commune's kept copy) of the box's entry for ``key``."""
    with ctx.session() as session:
        row = session.query(ReceiverEvidence).join(Receiver).filter(
            Receiver.name == "thon-dong-1", ReceiverEvidence.occurrence_key == key).first()
        return None if row is None else (row.seq, row.aircheck_sha256, row.kept_aircheck_path)


def _box_queue(box_home: Path) -> dict[int, str]:
    from broadcaster.context import open_context

    db = open_context(box_home)
    try:
        with db.session() as session:
            return {r.seq: r.state for r in session.query(BoxAircheck).all()}
    finally:
        db.dispose()


def _answers(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_a_box_aircheck_reaches_the_commune_and_plays_for_its_village_head_only(
        web_app: Any, login_as: Any, ctx: Any, home: Path, tmp_path: Path, broker: Any,
        pulse_server: dict[str, str], sinks: list[str]) -> None:
    from broadcaster.users import add_user
    from broadcaster.zones import find_zone

    with ctx.session() as session:
        add_user(session, "truongthontay", "village", "truongthontay-123", zone_name=OTHER_ZONE)
        zone_id = find_zone(session, ZONE).id
    port = free_port()
    base_env = {**os.environ, **pulse_server, "BROADCASTER_RECEIVERS_MQTT_URL": broker.url}
    commune_env = {**base_env, "BROADCASTER_HOME": str(home),
                   "BROADCASTER_RECEIVERS_BROKER_PID_FILE": str(broker.pid_file)}
    url = f"http://127.0.0.1:{port}"
    web = BroadcasterProcess(["web", "--port", str(port)], commune_env, tmp_path / "web.log")
    box_home = tmp_path / "thon-dong-1"
    box_env = {**base_env, "BROADCASTER_HOME": str(box_home), "BROADCASTER_OUTPUT_BACKEND": "pulse",
               "BROADCASTER_OUTPUT_DEVICE": sinks[0], "BROADCASTER_RECEIVERS_STATUS_S": "5"}
    box_env.pop("BROADCASTER_RECEIVERS_MQTT_URL")  # the box uses what enrolment told it
    box = BroadcasterProcess(["receiver", "run"], box_env, tmp_path / "box.log")
    try:
        web.start()
        wait_for(lambda: _answers(url), 30, "the commune's web server", poll=0.1)
        first_at = now() + dt.timedelta(seconds=25)
        second_at = first_at + dt.timedelta(seconds=30)
        first_key, second_key = key_of(901, first_at), key_of(902, second_at)
        _programme(ctx, first_key, zone_id, first_at, 440)
        _programme(ctx, second_key, zone_id, second_at, 660)
        added = subprocess.run([sys.executable, "-m", "broadcaster", "receiver", "add", "thon-dong-1",
                                "--zone", ZONE, "--json"], cwd=ROOT, env=commune_env,
                               capture_output=True, text=True, check=True)
        enrolled = subprocess.run([sys.executable, "-m", "broadcaster", "receiver", "enrol", url,
                                   json.loads(added.stdout)["code"]], cwd=ROOT, env=box_env,
                                  capture_output=True, text=True, check=False)
        assert enrolled.returncode == 0, enrolled.stderr
        box.start()

        # 1. The box airs the first programme; its air-check reaches the commune, hash matching.
        got = wait_for(lambda: (e := _commune_entry(ctx, first_key)) and e[2] and e, 60,
                       f"the first air-check kept at the commune\n{box.output()[-3000:]}\n{web.output()[-2000:]}",
                       poll=0.2)
        seq, signed_hash, kept = got
        assert hashlib.sha256((home / kept).read_bytes()).hexdigest() == signed_hash
        assert (home / kept).read_bytes()[:4] == b"OggS", "the box's Opus recording, byte for byte"
        from broadcaster.context import open_context
        from broadcaster.models import EvidenceEntry

        box_db = open_context(box_home)
        try:
            with box_db.session() as session:
                mine = session.query(EvidenceEntry).filter_by(occurrence_key=first_key).one()
                assert mine.status == "completed" and mine.aircheck_sha256 == signed_hash, mine.reason
                assert not (box_home / str(mine.aircheck_path)).exists(), "the box freed its copy"
        finally:
            box_db.dispose()

        # The village head of Thôn Đông hears it from the log; the head of Thôn Tây cannot.
        head = login_as("village")
        listing = head.get("/logs").get_data(as_text=True).split('id="receiver-airings"', 1)[1]
        entry_url = f"/logs/receivers/thon-dong-1/{seq}"
        assert f'href="{entry_url}#aircheck">▶ Nghe lại' in listing
        page = head.get(entry_url).get_data(as_text=True)
        assert f'src="{entry_url}/aircheck"' in page and "Nghe lại buổi phát" in page
        shown = re.search(r'class="token hash">([0-9a-f]{64})<', page).group(1)  # type: ignore[union-attr]
        sound = head.get(f"{entry_url}/aircheck")
        assert sound.status_code == 200 and sound.mimetype == "audio/ogg"
        assert hashlib.sha256(sound.data).hexdigest() == shown == signed_hash
        other = login_as("truongthontay")
        assert other.get(entry_url).status_code == 404
        assert other.get(f"{entry_url}/aircheck").status_code == 404
        assert "thon-dong-1" not in other.get("/logs").get_data(as_text=True)
        assert login_as("office").get(f"{entry_url}/aircheck").status_code == 200

        # 2. The link dies before the second programme: the box airs it and queues its air-check.
        web.stop()
        broker.stop()
        wait_for(lambda: 2 in (q := _box_queue(box_home)) and q[2] == "queued" and q, 60,
                 f"the second air-check queued on the box\n{box.output()[-3000:]}", poll=0.2)
        assert _commune_entry(ctx, second_key) is None
        broker.start()
        web.start()
        wait_for(lambda: _answers(url), 30, "the web server back", poll=0.1)
        got = wait_for(lambda: (e := _commune_entry(ctx, second_key)) and e[2] and e, 60,
                       f"the queued air-check sent after the outage\n{box.output()[-3000:]}", poll=0.2)
        seq2, hash2, kept2 = got
        assert hashlib.sha256((home / kept2).read_bytes()).hexdigest() == hash2
        assert _box_queue(box_home)[seq2] == "sent"
        sound = head.get(f"/logs/receivers/thon-dong-1/{seq2}/aircheck")
        assert sound.status_code == 200 and hashlib.sha256(sound.data).hexdigest() == hash2
    finally:
        box.stop()
        web.stop()
