"""Helpers for the tests that run a real station or receiver process (no fixtures: see
station_fixtures.py): the clock, polling, ``python -m broadcaster ...`` processes, the database
rows a test reads back, and what a rendered program starts with.

Tests import them by name (``from station_helpers import wait_for``), as tests/ is on pytest's
path; they were copied across test_station*.py and test_receivers_live.py before.
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import wave
from array import array
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self

from sqlalchemy import select

from broadcaster import bulletins, schedule
from broadcaster.models import EvidenceEntry, Heartbeat, Occurrence
from broadcaster.station.aircheck import AUDIBLE_THRESHOLD, MonitorTap

ROOT = Path(__file__).resolve().parent.parent
TZ = "Asia/Ho_Chi_Minh"
UTC = dt.timezone.utc
SHORT = "Thử loa."
LONG = "Bà con chú ý. " * 6
#: Hà Nội's offset: the day of an occurrence key is the commune's local date.
LOCAL = dt.timezone(dt.timedelta(hours=7))


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, poll: float = 0.05) -> Any:
    """The predicate's first truthy value within ``timeout`` seconds, asked every ``poll``
    seconds; an AssertionError naming ``what`` if it never comes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"hết {timeout} giây mà chưa thấy: {what}")


def lead_silence_s(path: Path) -> float:
    """Seconds of silence at the start of a rendered file (the program starts with its fade-in):
    the air-check hears a program that much after it started."""
    with wave.open(str(path), "rb") as wav:
        rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
        samples = array("h", wav.readframes(rate * 2))
    assert width == 2, f"16-bit samples expected in {path}: {width * 8}-bit"
    for index, value in enumerate(samples):
        if abs(value) > AUDIBLE_THRESHOLD:
            return index / channels / rate
    return 0.0


def monitor_tap(sink: str) -> MonitorTap:
    """The air-check's own tap on ``sink``'s monitor, already recording; stop() it afterwards."""
    listener = MonitorTap(f"{sink}.monitor")
    listener.start()
    assert listener.wait_started(3), f"the monitor of sink {sink} gives no audio"
    return listener


class BroadcasterProcess:
    """``python -m broadcaster ARGV`` as systemd would run it: a session of its own (so its
    children can be killed with it), stderr appended to ``log`` across restarts."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.argv, self.env, self.log = argv, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        with open(self.log, "ab") as stderr:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "broadcaster", *self.argv], cwd=ROOT, env=self.env,
                stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
        return self

    def output(self) -> str:
        """What the process wrote to stderr so far (its log), for assertions and messages."""
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def crash(self) -> None:
        """kill -9 the process itself only: its children must die with it."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(5)

    def terminate(self, timeout: float = 15) -> int:
        """SIGTERM, as systemd stops it; its exit code (a timeout is the test's failure)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def stop(self, timeout: float = 20, whole_session: bool = False) -> None:
        """SIGTERM (to its whole session too if ``whole_session``), then SIGKILL to its whole
        session if it is not gone within ``timeout``."""
        if self.proc is not None and self.proc.poll() is None:
            if whole_session:
                os.killpg(self.proc.pid, signal.SIGTERM)
            else:
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)

    def kill_all(self) -> None:
        """SIGKILL to its whole session (clean-up after a test, whatever state it left)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


class StationProcess(BroadcasterProcess):
    """``python -m broadcaster station`` with a log of its own in the data folder."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        super().__init__(["station"], env, home / f"station-{time.monotonic_ns()}.log")


def approved_bulletin(ctx: Any, text: str = SHORT, title: str = "Thử loa",
                      priority: str = "normal") -> int:
    with ctx.session() as session:
        bulletin = bulletins.add_bulletin(session, title=title, body=text, priority=priority)
        bulletins.transition(session, bulletin, "approve", None)
        return bulletin.id


def add_once(ctx: Any, bulletin_id: int, at: dt.datetime, zones: Sequence[str] = ()) -> int:
    """A one-off slot at ``at`` exactly (sub-second), without greeting: a short program; for the
    whole commune unless ``zones`` names villages."""
    local = (at + dt.timedelta(seconds=2)).astimezone(LOCAL)
    with ctx.session() as session:
        slot = schedule.add_slot(session, items=[schedule.ItemSpec("bulletin", bulletin_id)],
                                 default_tz=TZ, at_local=local.strftime("%Y-%m-%d %H:%M:%S"),
                                 greeting=False, allow_conflict=True, zones=zones)
        slot.at_utc = at
        return slot.id


def key_of(slot_id: int, at: dt.datetime) -> str:
    return f"slot-{slot_id}@{at.astimezone(LOCAL).date().isoformat()}"


def entries(ctx: Any) -> list[EvidenceEntry]:
    with ctx.session() as session:
        return list(session.scalars(select(EvidenceEntry).order_by(EvidenceEntry.id)).all())


def entry_for(ctx: Any, key: str) -> EvidenceEntry | None:
    return next((e for e in entries(ctx) if e.occurrence_key == key), None)


def occurrence(ctx: Any, slot_id: int) -> Occurrence | None:
    with ctx.session() as session:
        return session.scalar(select(Occurrence).where(Occurrence.slot_id == slot_id))


def heartbeat(ctx: Any) -> Heartbeat | None:
    with ctx.session() as session:
        return session.get(Heartbeat, "main")


def is_playing(ctx: Any, slot_id: int) -> bool:
    """The occurrence is on the air: marked playing and its instant has passed."""
    row = occurrence(ctx, slot_id)
    return row is not None and row.state == "playing" and now() > row.scheduled_at


def worker_ready(ctx: Any) -> int | None:
    """The render worker's pid once the heartbeat says it takes jobs."""
    beat = heartbeat(ctx)
    worker = (beat.state or {}).get("render_worker") if beat is not None else None
    return worker.get("pid") if worker and worker.get("ready") else None


def children_of(pid: int) -> dict[int, str]:
    """Live processes whose parent is ``pid``: {pid: command name}."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
        if int(ppid) == pid and state != "Z":
            found[int(entry.name)] = name
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it is dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"
