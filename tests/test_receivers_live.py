"""Two village receivers and a commune on one machine, every part real.

The commune runs ``broadcaster web`` and ``broadcaster receiver hub`` against a private Mosquitto
(``scripts/mqtt-broker``); two boxes, each with its own data folder, enrol with their one-time codes
and run ``broadcaster receiver run`` on a null sink of their own, whose monitor is recorded with
the air-check's tap. One long test, because the story is one: each village hears its own
broadcast only; the web server and the broker die 30 s before a commune-wide broadcast and come
back 60 s after, and both boxes still air it on time and upload it afterwards, once each; an
emergency reaches both; a revoked box gets nothing more.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from station_helpers import (
    ROOT,
    BroadcasterProcess,
    add_once,
    approved_bulletin,
    key_of,
    lead_silence_s,
    monitor_tap,
    now,
    wait_for,
)

from broadcaster.models import BoxPlanEntry, ReceiverProgram
from broadcaster.station.aircheck import MonitorTap
from broadcaster.zones import add_zone

pytest_plugins = ["receiver_fixtures"]
from receiver_helpers import free_port  # noqa: E402

pytestmark = [pytest.mark.sound, pytest.mark.slow]

def _box_db(home: Path) -> Any:
    from broadcaster.context import open_context

    return open_context(home)


def _log(env: dict[str, str]) -> list[dict[str, Any]]:
    out = subprocess.run([sys.executable, "-m", "broadcaster", "log", "list", "--json"], cwd=ROOT,
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_two_villages_a_dead_link_an_emergency_and_a_revocation(
        ctx: Any, home: Path, tmp_path: Path, broker: Any, pulse_server: dict[str, str],
        sinks: list[str]) -> None:
    with ctx.session() as session:
        add_zone(session, "Thôn Đông")
        add_zone(session, "Thôn Tây")
    port = free_port()
    base_env = {**os.environ, **pulse_server, "BROADCASTER_TTS_ENGINES": "espeak",
                "BROADCASTER_RECEIVERS_MQTT_URL": broker.url}
    commune_env = {**base_env, "BROADCASTER_HOME": str(home),
                   "BROADCASTER_RECEIVERS_BROKER_PID_FILE": str(broker.pid_file)}
    web = BroadcasterProcess(["web", "--port", str(port)], commune_env, tmp_path / "web.log")
    hub = BroadcasterProcess(["receiver", "hub"], commune_env, tmp_path / "hub.log")
    url = f"http://127.0.0.1:{port}"
    boxes: dict[str, dict[str, Any]] = {}
    procs: list[BroadcasterProcess] = [web, hub]
    taps: dict[str, MonitorTap] = {}
    try:
        web.start()
        wait_for(lambda: _answers(url), 30, "the commune's web server", poll=0.1)
        east_b = approved_bulletin(ctx, "Thôn Đông họp dân tối nay.", "Tin thôn Đông")
        west_b = approved_bulletin(ctx, "Thôn Tây dọn vệ sinh sáng mai.", "Tin thôn Tây")
        all_b = approved_bulletin(ctx, "Toàn xã tiêm phòng gia súc.", "Tin toàn xã")
        storm_b = approved_bulletin(ctx, "Khẩn cấp: bão sắp đổ bộ, bà con chằng chống nhà cửa.", "Bão số 3")
        start = now() + dt.timedelta(seconds=75)
        east_key = key_of(add_once(ctx, east_b, start, zones=["Thôn Đông"]), start)
        west_at = start + dt.timedelta(seconds=20)
        west_key = key_of(add_once(ctx, west_b, west_at, zones=["Thôn Tây"]), west_at)
        hub.start()
        for name, zone, sink in (("thon-dong-1", "Thôn Đông", sinks[0]), ("thon-tay-1", "Thôn Tây", sinks[1])):
            added = subprocess.run([sys.executable, "-m", "broadcaster", "receiver", "add", name,
                                    "--zone", zone, "--json"], cwd=ROOT, env=commune_env,
                                   capture_output=True, text=True, check=True)
            code = json.loads(added.stdout)["code"]
            box_home = tmp_path / name
            env = {**base_env, "BROADCASTER_HOME": str(box_home), "BROADCASTER_OUTPUT_BACKEND": "pulse",
                   "BROADCASTER_OUTPUT_DEVICE": sink, "BROADCASTER_RECEIVERS_STATUS_S": "5"}
            env.pop("BROADCASTER_RECEIVERS_MQTT_URL")  # the box uses what enrolment told it
            enrolled = subprocess.run([sys.executable, "-m", "broadcaster", "receiver", "enrol", url, code],
                                      cwd=ROOT, env=env, capture_output=True, text=True, check=False)
            assert enrolled.returncode == 0, enrolled.stderr
            run = BroadcasterProcess(["receiver", "run"], env, tmp_path / f"{name}.log").start()
            procs.append(run)
            boxes[name] = {"home": box_home, "proc": run, "sink": sink, "env": env}
            taps[name] = monitor_tap(sink)
        # Added while the boxes run: the hub renders it and tells them (the notice path).
        all_at = start + dt.timedelta(seconds=70)
        all_key = key_of(add_once(ctx, all_b, all_at), all_at)
        for name, key in (("thon-dong-1", all_key), ("thon-dong-1", east_key),
                          ("thon-tay-1", all_key), ("thon-tay-1", west_key)):
            wait_for(lambda n=name, k=key: _holds(boxes[n]["home"], k), 60,
                     f"{name} holding {key}\n{hub.output()[-2000:]}\n{boxes[name]['proc'].output()[-2000:]}", poll=0.1)
        assert not _holds(boxes["thon-tay-1"]["home"], east_key), "the west box holds no east program"
        assert not _holds(boxes["thon-dong-1"]["home"], west_key)
        rows = wait_for(lambda: [r for r in _list(commune_env) if r["online"]] if
                        len([r for r in _list(commune_env) if r["online"]]) == 2 else None, 30,
                        "both boxes online from their heartbeats", poll=0.1)
        assert all(r["programs_ready"] for r in rows), rows
        assert all(r["clock_offset_ms"] is not None and abs(r["clock_offset_ms"]) < 100 for r in rows), rows

        # Each zone's broadcast airs on its own receiver only.
        wait_for(lambda: now() > start + dt.timedelta(seconds=15), 120, "the east broadcast", poll=0.1)
        heard_east = taps["thon-dong-1"].first_audible_at()
        assert heard_east is not None, boxes["thon-dong-1"]["proc"].output()[-3000:]
        assert taps["thon-tay-1"].first_audible_at() is None, "the west village heard the east broadcast"
        lead = _lead(boxes["thon-dong-1"]["home"], east_key)
        assert abs((heard_east - start).total_seconds() - lead) < 0.25, (heard_east, start, lead)
        wait_for(lambda: now() > start + dt.timedelta(seconds=35), 60, "the west broadcast", poll=0.1)
        heard_west = taps["thon-tay-1"].first_audible_at()
        assert heard_west is not None
        assert abs((heard_west - start).total_seconds() - 20 - _lead(boxes["thon-tay-1"]["home"], west_key)) < 0.25
        # The commune's web server and broker die 30 s before the commune-wide broadcast.
        wait_for(lambda: now() > all_at - dt.timedelta(seconds=30), 60, "the outage", poll=0.1)
        web.stop()
        broker.stop()
        for tap in taps.values():
            tap.reset_first_audible()
        wait_for(lambda: now() > all_at + dt.timedelta(seconds=15), 60, "the commune-wide broadcast", poll=0.1)
        for name, tap in taps.items():
            heard = tap.first_audible_at()
            assert heard is not None, f"{name} did not air with the link down\n{boxes[name]['proc'].output()[-3000:]}"
            offset = (heard - all_at).total_seconds() - _lead(boxes[name]["home"], all_key)
            assert abs(offset) < 0.25, f"{name} aired {offset:+.3f} s off"
        wait_for(lambda: now() > all_at + dt.timedelta(seconds=60), 60, "60 s after the broadcast", poll=0.1)
        broker.start()
        web.start()
        wait_for(lambda: _answers(url), 30, "the web server back", poll=0.1)

        def uploaded() -> list[dict[str, Any]] | None:
            entries = [e for e in _log(commune_env) if e["receiver"]]
            wanted = {("thon-dong-1", east_key), ("thon-tay-1", west_key), ("thon-dong-1", all_key),
                      ("thon-tay-1", all_key)}
            return entries if wanted <= {(e["receiver"], e["occurrence"]) for e in entries} else None

        entries = wait_for(uploaded, 60, "both boxes' entries uploaded after the outage", poll=0.1)
        pairs = [(e["receiver"], e["occurrence"]) for e in entries]
        assert len(pairs) == len(set(pairs)), f"an entry was uploaded twice: {pairs}"
        assert ("thon-tay-1", east_key) not in pairs and ("thon-dong-1", west_key) not in pairs
        assert all(e["status"] == "completed" for e in entries), [(e["occurrence"], e["reason"]) for e in entries]
        verify = subprocess.run([sys.executable, "-m", "broadcaster", "log", "verify"], cwd=ROOT,
                                env=commune_env, capture_output=True, text=True, check=False)
        assert verify.returncode == 0, verify.stdout + verify.stderr

        # An emergency (as the operator asks the station for it) reaches both boxes.
        for tap in taps.values():
            tap.reset_first_audible()
        wait_for(lambda: all(r["online"] for r in _list(commune_env)), 30, "boxes online again", poll=0.1)
        asked = time.monotonic()
        subprocess.run([sys.executable, "-m", "broadcaster", "emergency", str(storm_b)], cwd=ROOT,
                       env=commune_env, check=True, capture_output=True)
        for name, tap in taps.items():
            wait_for(tap.first_audible_at, 30, f"the emergency at {name}\n{hub.output()[-2000:]}", poll=0.1)
        print(f"emergency: CLI to first sample at both boxes within {time.monotonic() - asked:.1f} s")

        # Revoked: the west box gets nothing more — no plan, no program, no command.
        subprocess.run([sys.executable, "-m", "broadcaster", "receiver", "revoke", "thon-tay-1"],
                       cwd=ROOT, env=commune_env, check=True, capture_output=True)
        ident = json.loads((boxes["thon-tay-1"]["home"] / "receiver.json").read_text())
        answer = requests.get(f"{url}/api/v1/receiver/plan",
                              headers={"Authorization": f"Bearer {ident['token']}"}, timeout=5)
        assert answer.status_code == 403
        # A new commune-wide program: the east box gets it, the revoked west box does not.
        late_at = now() + dt.timedelta(hours=2)
        late_key = key_of(add_once(ctx, all_b, late_at), late_at)
        subprocess.run([sys.executable, "-m", "broadcaster", "receiver", "command", "volume",
                        "--volume", "40"], cwd=ROOT, env=commune_env, check=True, capture_output=True)
        wait_for(lambda: _rendered(ctx, late_key), 60, "the late program rendered", poll=0.1)
        wait_for(lambda: _holds(boxes["thon-dong-1"]["home"], late_key), 60, "the east box holding it", poll=0.1)
        time.sleep(3)
        assert not _holds(boxes["thon-tay-1"]["home"], late_key), "a revoked box got a new program"
        from broadcaster.models import BoxCommand

        west_db = _box_db(boxes["thon-tay-1"]["home"])
        try:
            with west_db.session() as session:
                kinds = [c.kind for c in session.query(BoxCommand).all()]
        finally:
            west_db.dispose()
        assert "volume" not in kinds, "a revoked box received a command"
        east_db = _box_db(boxes["thon-dong-1"]["home"])
        try:
            with east_db.session() as session:
                assert "volume" in [c.kind for c in session.query(BoxCommand).all()], \
                    "the east box (not revoked) got the same command"
        finally:
            east_db.dispose()
        row = [r for r in _list(commune_env) if r["name"] == "thon-tay-1"][0]
        assert row["revoked"] and row["online"] is False
    finally:
        for tap in taps.values():
            tap.stop()
        for proc in reversed(procs):
            proc.stop()


def _answers(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _holds(box_home: Path, key: str) -> bool:
    db = _box_db(box_home)
    try:
        with db.session() as session:
            entry = session.get(BoxPlanEntry, key)
            if entry is None:
                return False
            from broadcaster.receiver import store

            return store.program_file(session, box_home, entry.sha256) is not None
    finally:
        db.dispose()


def _lead(box_home: Path, key: str) -> float:
    db = _box_db(box_home)
    try:
        with db.session() as session:
            from broadcaster.receiver import store

            entry = session.get(BoxPlanEntry, key)
            path = store.program_file(session, box_home, entry.sha256)  # type: ignore[union-attr]
            assert path is not None
            return lead_silence_s(path)
    finally:
        db.dispose()


def _rendered(ctx: Any, key: str) -> bool:
    with ctx.session() as session:
        return session.query(ReceiverProgram).filter_by(occurrence_key=key).first() is not None


def _list(env: dict[str, str]) -> list[dict[str, Any]]:
    out = subprocess.run([sys.executable, "-m", "broadcaster", "receiver", "list", "--json"], cwd=ROOT,
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)
