"""A village receiver box killed while it airs, on a real sound server, with no commune in reach.

The box (``broadcaster receiver run``) plays from its own store, link or no link: here the commune
and the broker are both unreachable, the box holds one program in its plan, and it is killed with
``kill -9`` at a chosen moment of the airing. Its own evidence chain must then say what the village
heard: an airing cut after two seconds is ``interrupted`` with the seconds that went out (it used to
say nothing of them), one cut in its first instant airs again within the grace window (it used to
be recorded interrupted and never aired), and neither is ever recorded twice.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import subprocess
import time
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import pytest
from receiver_helpers import free_port
from sqlalchemy import select
from station_helpers import BroadcasterProcess, now, wait_for

from broadcaster.context import Context, init_home, open_context
from broadcaster.models import BoxPlanEntry, EvidenceEntry
from broadcaster.occurrence_keys import occurrence_key
from broadcaster.receiver import store
from broadcaster.receiver.identity import Identity

PROGRAM_S = 8.0


@pytest.fixture
def box(tmp_path: Path) -> Iterator[tuple[Path, Context]]:
    """An enrolled box's data folder whose commune and broker do not answer."""
    home = tmp_path / "thon-dong-1"
    ctx, _ = init_home(home)
    dead = free_port()
    Identity(commune_url=f"http://127.0.0.1:{dead}", name="thon-dong-1", receiver_id=1, zone_id=1,
             zone_name="Thôn Đông", token="t" * 40, mqtt_url=f"mqtt://127.0.0.1:{dead}",
             mqtt_username="box-thon-dong-1", mqtt_password="p" * 24).save(home)
    try:
        yield home, ctx
    finally:
        ctx.dispose()


def hold_program(home: Path, ctx: Context, slot_id: int, at: dt.datetime) -> str:
    """A tone of :data:`PROGRAM_S` seconds in the box's store and its plan, due at ``at``."""
    folder = store.programs_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    raw = folder / "tone.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=440:duration={PROGRAM_S}:sample_rate=44100", "-ac", "2",
                    str(raw)], check=True)
    sha = hashlib.sha256(raw.read_bytes()).hexdigest()
    path = raw.rename(folder / f"{sha}.wav")
    key = occurrence_key(slot_id, at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date())
    with ctx.session() as session:
        store.record_program(session, home, sha, path)
        session.add(BoxPlanEntry(key=key, slot_id=slot_id, scheduled_at=at, sha256=sha,
                                 size_bytes=path.stat().st_size, seconds=PROGRAM_S, state="pending",
                                 fields={"title": "Tin thôn Đông", "zone": "Thôn Đông",
                                         "items": [{"kind": "bulletin", "title": "Tin thôn Đông"}]}))
    return key


def box_entries(home: Path, key: str) -> list[EvidenceEntry]:
    ctx = open_context(home)
    try:
        with ctx.session() as session:
            return list(session.scalars(select(EvidenceEntry).where(
                EvidenceEntry.occurrence_key == key)).all())
    finally:
        ctx.dispose()


def run_box(home: Path, pulse_server: dict[str, str], sink: str, log: Path) -> BroadcasterProcess:
    env = {**os.environ, **pulse_server, "BROADCASTER_HOME": str(home),
           "BROADCASTER_OUTPUT_BACKEND": "pulse", "BROADCASTER_OUTPUT_DEVICE": sink}
    env.pop("BROADCASTER_RECEIVERS_MQTT_URL", None)
    return BroadcasterProcess(["receiver", "run"], env, log).start()


def wait_journal(home: Path, key: str, record: str, timeout: float) -> None:
    journal = home / "receiver.airlog"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if journal.exists() and f'"k":"{key}","e":"{record}"' in journal.read_text(encoding="utf-8"):
            return
        time.sleep(0.002)
    raise AssertionError(f"the box's journal never said {record} for {key}")


@contextlib.contextmanager
def killed_and_restarted(home: Path, ctx: Context, slot_id: int, pulse_server: dict[str, str],
                         sink: str, log: Path, after_start_s: float
                         ) -> Iterator[tuple[str, dt.datetime, dt.datetime, BroadcasterProcess]]:
    """The box airing its one program, killed ``after_start_s`` after the journal's start (the
    first sample being handed over), and started again: (key, its instant, when killed, the
    restarted box)."""
    at = now() + dt.timedelta(seconds=12)
    key = hold_program(home, ctx, slot_id, at)
    first = run_box(home, pulse_server, sink, log)
    second: BroadcasterProcess | None = None
    try:
        wait_journal(home, key, "start", 30)
        time.sleep(after_start_s)
        first.crash()
        killed_at = now()
        second = run_box(home, pulse_server, sink, log)
        yield key, at, killed_at, second
        assert second.terminate() == 0, second.output()[-2000:]
    finally:
        first.kill_all()
        if second is not None:
            second.kill_all()


def the_entry(home: Path, key: str, box: BroadcasterProcess) -> EvidenceEntry:
    """The box's entry for ``key`` once the restarted box has written it."""
    found = wait_for(lambda: box_entries(home, key) or None, 40,
                     f"the box's entry after the restart\n{box.output()[-3000:]}")
    return found[0]


@pytest.mark.sound
@pytest.mark.slow
def test_a_box_killed_two_seconds_into_an_airing_records_the_seconds_it_aired(
        box: tuple[Path, Context], tmp_path: Path, pulse_server: dict[str, str], sink: str) -> None:
    home, ctx = box
    with killed_and_restarted(home, ctx, 41, pulse_server, sink, tmp_path / "box.log", 2.0) as (
            key, _, _, second):
        entry = the_entry(home, key, second)
        time.sleep(2.0)  # nothing more may come: it must not air again
        assert len(box_entries(home, key)) == 1
        assert entry.status == "interrupted", (entry.status, entry.reason)
        assert entry.started_at is not None
        assert 1.5 <= entry.seconds_played <= 3.5, entry.seconds_played
        assert "máy thu dừng đột ngột" in entry.reason, entry.reason
        assert "/8,0 giây" in entry.reason, entry.reason
        assert entry.aircheck_sha256, "the partial air-check was kept"
        with ctx.session() as session:
            assert session.get(BoxPlanEntry, key).state == "interrupted"  # type: ignore[union-attr]


@pytest.mark.sound
@pytest.mark.slow
def test_a_box_killed_at_the_first_instant_airs_it_again_and_says_so(
        box: tuple[Path, Context], tmp_path: Path, pulse_server: dict[str, str], sink: str) -> None:
    home, ctx = box
    with killed_and_restarted(home, ctx, 42, pulse_server, sink, tmp_path / "box.log", 0.0) as (
            key, at, killed_at, second):
        assert (killed_at - at).total_seconds() < 0.4, f"killed {killed_at - at} after the instant"
        entry = the_entry(home, key, second)
        assert entry.status == "completed", (entry.status, entry.reason)
        assert "bị cắt khi máy thu dừng đột ngột" in entry.reason and "phát lại" in entry.reason, \
            entry.reason
        assert entry.started_at is not None and entry.started_at > killed_at, "the retry's own start"
        assert len(box_entries(home, key)) == 1


#: A box daemon fed one command as its MQTT link would hand it over, then left running (the test
#: kills it): the broker is not what is under test here, the box's crash and restart are.
_BOX_WITH_ONE_COMMAND = """
import json, sys, time
from pathlib import Path
from broadcaster.context import open_context
from broadcaster.receiver.daemon import ReceiverDaemon
from broadcaster.receiver.identity import load
home = Path(sys.argv[1])
ctx = open_context(home)
daemon = ReceiverDaemon(ctx, load(home))
daemon.writer.start()
daemon.recover()
print(daemon.command(json.loads(sys.argv[2])), flush=True)
time.sleep(120)
"""


def held_tone(home: Path, ctx: Context) -> tuple[str, dict[str, object]]:
    """The tone held in the box's store, as an emergency command names a held programme."""
    key = hold_program(home, ctx, 90, now() + dt.timedelta(days=3))  # a plan far ahead holds it
    with ctx.session() as session:
        sha = session.get(BoxPlanEntry, key).sha256  # type: ignore[union-attr]
    items = [{"kind": "bulletin", "title": "Cảnh báo lũ quét", "seconds": PROGRAM_S}]
    return sha, {"title": "Cảnh báo lũ quét", "zone": "Thôn Đông", "items": items}


def killed_in_an_emergency(home: Path, ctx: Context, pulse_server: dict[str, str], sink: str,
                           log: Path, command_id: int, lasts_s: float) -> tuple[str, dt.datetime]:
    """A box daemon airing emergency ``command_id`` (valid ``lasts_s``), killed -9 the moment its
    journal says the first sample is being handed over: (the key, when killed)."""
    import json
    import signal
    import sys

    sha, fields = held_tone(home, ctx)
    key = f"emergency-{command_id}"
    issued = now()
    body = {"id": command_id, "kind": "emergency", "key": key, "sha256": sha, "seconds": PROGRAM_S,
            "fields": fields, "issued_at": issued.isoformat(),
            "expires_at": (issued + dt.timedelta(seconds=lasts_s)).isoformat()}
    env = {**os.environ, **pulse_server, "BROADCASTER_HOME": str(home),
           "BROADCASTER_OUTPUT_BACKEND": "pulse", "BROADCASTER_OUTPUT_DEVICE": sink}
    with open(log, "ab") as stderr:
        first = subprocess.Popen([sys.executable, "-c", _BOX_WITH_ONE_COMMAND, str(home),
                                  json.dumps(body)], env=env, stdout=subprocess.DEVNULL,
                                 stderr=stderr, start_new_session=True)
    try:
        wait_journal(home, key, "start", 30)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(5)
        return key, now()
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(5)


@contextlib.contextmanager
def restarted_box(home: Path, pulse_server: dict[str, str], sink: str, log: Path,
                  key: str) -> Iterator[EvidenceEntry]:
    """``receiver run`` started again: its entry for ``key``; it must then stop cleanly."""
    second = run_box(home, pulse_server, sink, log)
    try:
        yield the_entry(home, key, second)
        assert second.terminate() == 0, second.output()[-2000:]
    finally:
        second.kill_all()


@pytest.mark.sound
@pytest.mark.slow
def test_a_box_killed_in_an_emergencys_first_instant_airs_it_again(
        box: tuple[Path, Context], tmp_path: Path, pulse_server: dict[str, str], sink: str) -> None:
    home, ctx = box
    key, killed_at = killed_in_an_emergency(home, ctx, pulse_server, sink, tmp_path / "box.log",
                                            7, lasts_s=300)
    with restarted_box(home, pulse_server, sink, tmp_path / "box.log", key) as entry:
        assert entry.status == "completed", (entry.status, entry.reason)
        assert "bị cắt khi máy thu dừng đột ngột" in entry.reason and "phát lại" in entry.reason, \
            entry.reason
        assert entry.started_at is not None and entry.started_at > killed_at, "the retry's own start"
        assert entry.priority == "emergency" and entry.title == "Cảnh báo lũ quét"
        assert 7.0 <= entry.seconds_played <= 9.0, entry.seconds_played
        time.sleep(1.0)
        assert len(box_entries(home, key)) == 1


@pytest.mark.sound
@pytest.mark.slow
def test_a_box_back_after_its_emergency_expired_records_it_missed_and_stays_quiet(
        box: tuple[Path, Context], tmp_path: Path, pulse_server: dict[str, str], sink: str) -> None:
    home, ctx = box
    key, _ = killed_in_an_emergency(home, ctx, pulse_server, sink, tmp_path / "box.log", 8,
                                    lasts_s=3)
    time.sleep(3.5)  # the box stays down until the command has expired
    with restarted_box(home, pulse_server, sink, tmp_path / "box.log", key) as entry:
        assert entry.status == "missed", (entry.status, entry.reason)
        assert "hết hạn" in entry.reason and "bị cắt khi máy thu dừng đột ngột" in entry.reason, \
            entry.reason
        assert entry.started_at is None
        assert len(box_entries(home, key)) == 1


def test_a_box_without_a_journal_from_before_records_what_it_left_playing_as_interrupted(
        box: tuple[Path, Context]) -> None:
    """A box updated while it played: no journal can say what aired, so nothing airs twice."""
    from broadcaster.receiver.daemon import ReceiverDaemon
    from broadcaster.receiver.identity import load

    home, ctx = box
    at = now() - dt.timedelta(seconds=3)
    key = hold_program(home, ctx, 43, at)
    with ctx.session() as session:
        session.get(BoxPlanEntry, key).state = "playing"  # type: ignore[union-attr]
    daemon = ReceiverDaemon(ctx, load(home))
    daemon.writer.start()
    try:
        daemon.recover()
        assert daemon.engine.began(key) is None
    finally:
        daemon.writer.stop()
    [entry] = box_entries(home, key)
    assert entry.status == "interrupted"
    assert entry.reason.startswith("Bị ngắt: máy thu dừng đột ngột"), entry.reason
    with ctx.session() as session:
        assert session.get(BoxPlanEntry, key).state == "interrupted"  # type: ignore[union-attr]
