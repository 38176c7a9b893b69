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
import signal
import subprocess
import sys
import time
import wave
from array import array
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

from broadcaster import bulletins, schedule
from broadcaster.models import BoxPlanEntry, ReceiverProgram
from broadcaster.station.aircheck import AUDIBLE_THRESHOLD, MonitorTap
from broadcaster.zones import add_zone

pytest_plugins = ["receiver_fixtures"]
from receiver_helpers import free_port  # noqa: E402

pytestmark = [pytest.mark.sound, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
UTC = dt.timezone.utc
TZ = "Asia/Ho_Chi_Minh"


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"hết {timeout} giây mà chưa thấy: {what}")


def lead_silence_s(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        rate, channels = wav.getframerate(), wav.getnchannels()
        samples = array("h", wav.readframes(rate * 2))
    for index, value in enumerate(samples):
        if abs(value) > AUDIBLE_THRESHOLD:
            return index / channels / rate
    return 0.0


class Proc:
    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.argv, self.env, self.log = argv, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> "Proc":
        self.proc = subprocess.Popen([sys.executable, "-m", "broadcaster", *self.argv], cwd=ROOT,
                                     env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "ab"), start_new_session=True)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _slot(ctx: Any, bulletin_id: int, at: dt.datetime, zone: str | None) -> tuple[int, str]:
    local = (at + dt.timedelta(seconds=2)).astimezone(dt.timezone(dt.timedelta(hours=7)))
    with ctx.session() as session:
        slot = schedule.add_slot(session, items=[schedule.ItemSpec("bulletin", bulletin_id)],
                                 default_tz=TZ, at_local=local.strftime("%Y-%m-%d %H:%M:%S"),
                                 greeting=False, allow_conflict=True, zones=[zone] if zone else ())
        slot.at_utc = at
        key = f"slot-{slot.id}@{at.astimezone(dt.timezone(dt.timedelta(hours=7))).date().isoformat()}"
        return slot.id, key


def _bulletin(ctx: Any, title: str, text: str, zone: str | None = None) -> int:
    with ctx.session() as session:
        b = bulletins.add_bulletin(session, title=title, body=text)
        if zone:
            from broadcaster.models import Zone
            b.zone = session.query(Zone).filter_by(name=zone).one()
        bulletins.transition(session, b, "approve", None)
        return b.id


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
    web = Proc(["web", "--port", str(port)], commune_env, tmp_path / "web.log")
    hub = Proc(["receiver", "hub"], commune_env, tmp_path / "hub.log")
    url = f"http://127.0.0.1:{port}"
    boxes: dict[str, dict[str, Any]] = {}
    procs: list[Proc] = [web, hub]
    taps: dict[str, MonitorTap] = {}
    try:
        web.start()
        wait_for(lambda: _answers(url), 30, "the commune's web server")
        east_b = _bulletin(ctx, "Tin thôn Đông", "Thôn Đông họp dân tối nay.")
        west_b = _bulletin(ctx, "Tin thôn Tây", "Thôn Tây dọn vệ sinh sáng mai.")
        all_b = _bulletin(ctx, "Tin toàn xã", "Toàn xã tiêm phòng gia súc.")
        storm_b = _bulletin(ctx, "Bão số 3", "Khẩn cấp: bão sắp đổ bộ, bà con chằng chống nhà cửa.")
        start = now() + dt.timedelta(seconds=75)
        east_slot, east_key = _slot(ctx, east_b, start, "Thôn Đông")
        west_slot, west_key = _slot(ctx, west_b, start + dt.timedelta(seconds=20), "Thôn Tây")
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
                                      cwd=ROOT, env=env, capture_output=True, text=True)
            assert enrolled.returncode == 0, enrolled.stderr
            run = Proc(["receiver", "run"], env, tmp_path / f"{name}.log").start()
            procs.append(run)
            boxes[name] = {"home": box_home, "proc": run, "sink": sink, "env": env}
            tap = MonitorTap(f"{sink}.monitor")
            tap.start()
            assert tap.wait_started(3)
            taps[name] = tap
        # Added while the boxes run: the hub renders it and tells them (the notice path).
        all_at = start + dt.timedelta(seconds=70)
        _all_slot, all_key = _slot(ctx, all_b, all_at, None)
        for name, key in (("thon-dong-1", all_key), ("thon-dong-1", east_key),
                          ("thon-tay-1", all_key), ("thon-tay-1", west_key)):
            wait_for(lambda n=name, k=key: _holds(boxes[n]["home"], k), 60,
                     f"{name} holding {key}\n{hub.text()[-2000:]}\n{boxes[name]['proc'].text()[-2000:]}")
        assert not _holds(boxes["thon-tay-1"]["home"], east_key), "the west box holds no east program"
        assert not _holds(boxes["thon-dong-1"]["home"], west_key)
        rows = wait_for(lambda: [r for r in _list(commune_env) if r["online"]] if
                        len([r for r in _list(commune_env) if r["online"]]) == 2 else None, 30,
                        "both boxes online from their heartbeats")
        assert all(r["programs_ready"] for r in rows), rows
        assert all(r["clock_offset_ms"] is not None and abs(r["clock_offset_ms"]) < 100 for r in rows), rows

        # Each zone's broadcast airs on its own receiver only.
        wait_for(lambda: now() > start + dt.timedelta(seconds=15), 120, "the east broadcast")
        heard_east = taps["thon-dong-1"].first_audible_at()
        assert heard_east is not None, boxes["thon-dong-1"]["proc"].text()[-3000:]
        assert taps["thon-tay-1"].first_audible_at() is None, "the west village heard the east broadcast"
        lead = _lead(boxes["thon-dong-1"]["home"], east_key)
        assert abs((heard_east - start).total_seconds() - lead) < 0.25, (heard_east, start, lead)
        wait_for(lambda: now() > start + dt.timedelta(seconds=35), 60, "the west broadcast")
        heard_west = taps["thon-tay-1"].first_audible_at()
        assert heard_west is not None
        assert abs((heard_west - start).total_seconds() - 20 - _lead(boxes["thon-tay-1"]["home"], west_key)) < 0.25
        # The commune's web server and broker die 30 s before the commune-wide broadcast.
        wait_for(lambda: now() > all_at - dt.timedelta(seconds=30), 60, "the outage")
        web.stop()
        broker.stop()
        for tap in taps.values():
            tap.reset_first_audible()
        wait_for(lambda: now() > all_at + dt.timedelta(seconds=15), 60, "the commune-wide broadcast")
        for name, tap in taps.items():
            heard = tap.first_audible_at()
            assert heard is not None, f"{name} did not air with the link down\n{boxes[name]['proc'].text()[-3000:]}"
            offset = (heard - all_at).total_seconds() - _lead(boxes[name]["home"], all_key)
            assert abs(offset) < 0.25, f"{name} aired {offset:+.3f} s off"
        wait_for(lambda: now() > all_at + dt.timedelta(seconds=60), 60, "60 s after the broadcast")
        broker.start()
        web.start()
        wait_for(lambda: _answers(url), 30, "the web server back")

        def uploaded() -> list[dict[str, Any]] | None:
            entries = [e for e in _log(commune_env) if e["receiver"]]
            wanted = {("thon-dong-1", east_key), ("thon-tay-1", west_key), ("thon-dong-1", all_key),
                      ("thon-tay-1", all_key)}
            return entries if wanted <= {(e["receiver"], e["occurrence"]) for e in entries} else None

        entries = wait_for(uploaded, 60, "both boxes' entries uploaded after the outage")
        pairs = [(e["receiver"], e["occurrence"]) for e in entries]
        assert len(pairs) == len(set(pairs)), f"an entry was uploaded twice: {pairs}"
        assert ("thon-tay-1", east_key) not in pairs and ("thon-dong-1", west_key) not in pairs
        assert all(e["status"] == "completed" for e in entries), [(e["occurrence"], e["reason"]) for e in entries]
        verify = subprocess.run([sys.executable, "-m", "broadcaster", "log", "verify"], cwd=ROOT,
                                env=commune_env, capture_output=True, text=True)
        assert verify.returncode == 0, verify.stdout + verify.stderr

        # An emergency (as the operator asks the station for it) reaches both boxes.
        for tap in taps.values():
            tap.reset_first_audible()
        wait_for(lambda: all(r["online"] for r in _list(commune_env)), 30, "boxes online again")
        asked = time.monotonic()
        subprocess.run([sys.executable, "-m", "broadcaster", "emergency", str(storm_b)], cwd=ROOT,
                       env=commune_env, check=True, capture_output=True)
        for name, tap in taps.items():
            wait_for(tap.first_audible_at, 30, f"the emergency at {name}\n{hub.text()[-2000:]}")
        print(f"emergency: CLI to first sample at both boxes within {time.monotonic() - asked:.1f} s")

        # Revoked: the west box gets nothing more — no plan, no program, no command.
        subprocess.run([sys.executable, "-m", "broadcaster", "receiver", "revoke", "thon-tay-1"],
                       cwd=ROOT, env=commune_env, check=True, capture_output=True)
        ident = json.loads((boxes["thon-tay-1"]["home"] / "receiver.json").read_text())
        answer = requests.get(f"{url}/api/v1/receiver/plan",
                              headers={"Authorization": f"Bearer {ident['token']}"}, timeout=5)
        assert answer.status_code == 403
        # A new commune-wide program: the east box gets it, the revoked west box does not.
        _late, late_key = _slot(ctx, all_b, now() + dt.timedelta(hours=2), None)
        subprocess.run([sys.executable, "-m", "broadcaster", "receiver", "command", "volume",
                        "--volume", "40"], cwd=ROOT, env=commune_env, check=True, capture_output=True)
        wait_for(lambda: _rendered(ctx, late_key), 60, "the late program rendered")
        wait_for(lambda: _holds(boxes["thon-dong-1"]["home"], late_key), 60, "the east box holding it")
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
