"""Honest entries under faults (issue 10), against a running station on a real sound server.

Each test kills, starves or blocks a ``python -m broadcaster station`` process at a chosen moment
and checks what the loudspeakers aired and what the evidence says: a broadcast heard in full is
recorded completed even when the station dies before its entry is written; one cut by a crash
records its start and the seconds that aired; one that never made a sound (or was cut in its first
half second) airs after a restart — an emergency too, while its command is fresh; a
missing sink is waited for; a locked database or a full disk never keeps a ready program off air.
"""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import time
import wave
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from station_helpers import (
    LONG,
    StationProcess,
    add_once,
    approved_bulletin,
    entries,
    entry_for,
    key_of,
    now,
    occurrence,
    wait_for,
    worker_ready,
)

from broadcaster import bulletins, commands
from broadcaster.occurrence_keys import emergency_key
from broadcaster.station.aircheck import MonitorTap

pytest_plugins = ["station_fixtures"]

MEDIUM = "Bà con chú ý. Bà con chú ý."


def started(st: StationProcess, ctx: Any) -> StationProcess:
    """The station, once its render worker takes jobs (slow to start on a loaded machine)."""
    wait_for(lambda: worker_ready(ctx), 90, "the render worker to be ready")
    return st


def _state(ctx: Any, slot_id: int) -> str | None:
    row = occurrence(ctx, slot_id)
    return row.state if row is not None else None


def _one_off(ctx: Any, in_s: float, text: str | None = None) -> tuple[int, dt.datetime]:
    """An approved bulletin on a one-off slot ``in_s`` seconds from now: (slot id, instant)."""
    bulletin_id = approved_bulletin(ctx) if text is None else approved_bulletin(ctx, text)
    at = now() + dt.timedelta(seconds=in_s)
    return add_once(ctx, bulletin_id, at), at


class DatabaseLock:
    """Another process's write transaction on the station's SQLite file (as a long export)."""

    def __init__(self, home: Path) -> None:
        self.connection = sqlite3.connect(home / "broadcaster.db", timeout=30, isolation_level=None)

    def __enter__(self) -> "DatabaseLock":
        self.connection.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc: object) -> None:
        self.connection.execute("ROLLBACK")
        self.connection.close()


def test_heard_in_full_then_killed_before_its_entry_is_recorded_completed(
        ctx: Any, home: Path, station: Callable[..., StationProcess], tap: MonitorTap) -> None:
    first = started(station(), ctx)
    slot_id, at = _one_off(ctx, 3, MEDIUM)
    wait_for(lambda: _state(ctx, slot_id) == "playing" and now() > at, 15, "the broadcast on air")
    rendered = Path(occurrence(ctx, slot_id).render_path)  # type: ignore[union-attr, arg-type]
    with wave.open(str(rendered), "rb") as wav:
        length = wav.getnframes() / wav.getframerate()
    with DatabaseLock(home):  # the entry cannot be written: the player exits, then a kill -9
        wait_for(lambda: now() > at + dt.timedelta(seconds=length + 0.8), length + 10,
                 "the end of the program")
        first.crash()
    key = key_of(slot_id, at)
    assert entry_for(ctx, key) is None, "the entry was not written before the kill"
    second = started(station(), ctx)
    entry = wait_for(lambda: entry_for(ctx, key), 15, "the entry written after the restart")
    assert entry.status == "completed", (entry.status, entry.reason)
    assert entry.seconds_played >= length - 0.3, (entry.seconds_played, length)
    assert abs((entry.started_at - at).total_seconds()) < 0.1, entry.started_at  # type: ignore[operator]
    assert [e.occurrence_key for e in entries(ctx)].count(key) == 1
    assert second.terminate() == 0, second.output()


def test_cut_by_a_crash_records_its_start_and_the_seconds_aired_and_keeps_its_aircheck(
        ctx: Any, home: Path, station: Callable[..., StationProcess], tap: MonitorTap) -> None:
    stray = home / "audio" / "aircheck" / "2026" / "01" / ".slot-999_2026-01-01.opus.999999.part"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"OggS leftover of a dead recorder")
    first = started(station(), ctx)
    slot_id, at = _one_off(ctx, 3, LONG)
    wait_for(lambda: _state(ctx, slot_id) == "playing" and now() > at, 15, "the broadcast on air")
    time.sleep(2.0)
    killed_at = now()
    first.crash()
    second = started(station(), ctx)
    key = key_of(slot_id, at)
    entry = wait_for(lambda: entry_for(ctx, key), 15, "the crashed occurrence's entry")
    aired = (killed_at - at).total_seconds()
    assert entry.status == "interrupted" and "dừng đột ngột" in entry.reason, entry.reason
    assert entry.started_at is not None and abs((entry.started_at - at).total_seconds()) < 0.1
    assert aired - 0.8 <= entry.seconds_played <= aired + 0.1, (entry.seconds_played, aired)
    assert entry.aircheck_sha256 and entry.aircheck_path, "the partial air-check is kept"
    assert (home / entry.aircheck_path).is_file()
    parts = list((home / "audio" / "aircheck").rglob("*.part"))
    assert not parts, f"no half-written air-check is left behind: {parts}"
    assert second.terminate() == 0, second.output()


def test_killed_before_its_first_sample_it_airs_after_the_restart_with_its_delay(
        ctx: Any, station: Callable[..., StationProcess], tap: MonitorTap) -> None:
    first = started(station(), ctx)
    slot_id, at = _one_off(ctx, 4)
    wait_for(lambda: _state(ctx, slot_id) == "playing", 15, "the 'playing' mark before the instant")
    assert now() < at - dt.timedelta(seconds=0.3), "marked playing ahead of the instant"
    first.crash()
    tap.reset_first_audible()
    # Started again after the instant: a restarted station now airs a ready render from the cache
    # at once, so one started before the instant would air on time, with no delay to record.
    wait_for(lambda: now() > at + dt.timedelta(seconds=1), 10, "a second past the instant")
    second = started(station(), ctx)
    key = key_of(slot_id, at)
    entry = wait_for(lambda: entry_for(ctx, key), 30, "the occurrence's entry after the restart")
    assert entry.status == "completed", (entry.status, entry.reason)
    assert "Phát trễ" in entry.reason, f"its delay is recorded: {entry.reason}"
    assert tap.first_audible_at() is not None, "it was heard after the restart"
    assert second.terminate() == 0, second.output()


def _killed_at_first_instant(home: Path, first: StationProcess, key: str) -> dt.datetime:
    """Kill ``first`` the moment its journal says ``key`` is being handed its first sample."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if any(f'"k":"{key}","e":"start"' in journal.read_text(encoding="utf-8")
               for journal in home.glob("station-*.airlog")):
            break
        time.sleep(0.002)
    else:
        raise AssertionError(f"{key} never started\n{first.output()[-3000:]}")
    first.crash()
    return now()


def _aired_again_after_the_restart(ctx: Any, station: Callable[..., StationProcess], tap: MonitorTap,
                                   key: str, killed_at: dt.datetime) -> None:
    """Restart the station: ``key``, cut unheard at ``killed_at``, airs again from the start,
    is heard, and has one entry, completed, that says what became of the first attempt."""
    tap.reset_first_audible()  # what the restarted station airs, not a blip of the first attempt
    second = started(station(), ctx)
    entry = wait_for(lambda: entry_for(ctx, key), 40, f"the entry of {key} after the restart")
    assert entry.status == "completed", (entry.status, entry.reason)
    assert "bị cắt khi trạm phát dừng đột ngột" in entry.reason and "phát lại" in entry.reason, \
        entry.reason
    assert entry.started_at is not None and entry.started_at > killed_at, "the retry's own start"
    assert tap.first_audible_at() is not None, "it was heard after the restart"
    assert [e.occurrence_key for e in entries(ctx)].count(key) == 1
    assert second.terminate() == 0, second.output()


def test_killed_at_its_first_instant_it_airs_again_and_its_entry_says_so(
        ctx: Any, home: Path, station: Callable[..., StationProcess], tap: MonitorTap) -> None:
    first = started(station(), ctx)
    slot_id, at = _one_off(ctx, 4)
    key = key_of(slot_id, at)
    killed_at = _killed_at_first_instant(home, first, key)
    assert (killed_at - at).total_seconds() < 0.4, f"killed {killed_at - at} after the instant"
    _aired_again_after_the_restart(ctx, station, tap, key, killed_at)


def _emergency(ctx: Any) -> tuple[str, dt.datetime]:
    """An emergency bulletin and its command (which approves it): (its key, when it was sent)."""
    with ctx.session() as session:
        bulletin = bulletins.add_bulletin(session, title="Cảnh báo lũ", body=MEDIUM,
                                          priority="emergency")
        session.flush()
        command = commands.request_emergency(session, bulletin.id)
        return emergency_key(command.id), command.requested_at


def test_an_emergency_killed_at_its_first_instant_airs_again_after_the_restart(
        ctx: Any, home: Path, station: Callable[..., StationProcess], tap: MonitorTap) -> None:
    first = started(station(), ctx)
    key, sent = _emergency(ctx)
    killed_at = _killed_at_first_instant(home, first, key)
    assert (killed_at - sent).total_seconds() < 5, f"killed {killed_at - sent} after the command"
    _aired_again_after_the_restart(ctx, station, tap, key, killed_at)


def test_an_emergency_cut_unheard_is_recorded_missed_when_the_station_comes_back_too_late(
        ctx: Any, home: Path, station: Callable[..., StationProcess], tap: MonitorTap) -> None:
    first = started(station(grace_s="2"), ctx)
    key, sent = _emergency(ctx)
    _killed_at_first_instant(home, first, key)
    wait_for(lambda: now() > sent + dt.timedelta(seconds=3), 10, "past the command's grace")
    tap.reset_first_audible()
    second = started(station(grace_s="2"), ctx)
    entry = wait_for(lambda: entry_for(ctx, key), 40, "the emergency's entry after the restart")
    assert entry.status == "missed", (entry.status, entry.reason)
    assert "bị cắt khi trạm phát dừng đột ngột" in entry.reason, entry.reason
    assert "không phát lại" in entry.reason, entry.reason
    time.sleep(2)
    assert tap.first_audible_at() is None, "a stale emergency must not cut in after the restart"
    assert [e.occurrence_key for e in entries(ctx)].count(key) == 1
    assert second.terminate() == 0, second.output()


@pytest.fixture
def spare_sink(pulse_server: dict[str, str]) -> Iterator[Callable[[bool], None]]:
    """A sink of this test's own that it can pull out and plug back."""
    name = f"loaxa_spare_{os.getpid()}"
    env = {**os.environ, **pulse_server}
    module: list[str] = []

    def plug(present: bool) -> None:
        if present and not module:
            done = subprocess.run(["pactl", "load-module", "module-null-sink", f"sink_name={name}",
                                   "norewinds=1", "rate=44100", "channels=2"],
                                  capture_output=True, text=True, env=env, check=True)
            module.append(done.stdout.strip())
        elif not present and module:
            subprocess.run(["pactl", "unload-module", module.pop()], capture_output=True, env=env,
                           check=True)

    plug(True)
    plug.name = name  # type: ignore[attr-defined]
    yield plug
    plug(False)


def test_a_sink_missing_at_air_time_is_waited_for_within_the_grace(
        ctx: Any, station: Callable[..., StationProcess], spare_sink: Any) -> None:
    st = started(station({"BROADCASTER_OUTPUT_DEVICE": spare_sink.name}), ctx)
    slot_id, at = _one_off(ctx, 4)
    wait_for(lambda: _state(ctx, slot_id) in ("rendered", "playing"), 15, "the program rendered")
    spare_sink(False)  # the sink vanishes before the instant...
    wait_for(lambda: now() > at + dt.timedelta(seconds=2), 10, "two seconds past the instant")
    spare_sink(True)  # ...and comes back two seconds after it
    entry = wait_for(lambda: entry_for(ctx, key_of(slot_id, at)), 30, "the entry")
    assert entry.status == "completed", (entry.status, entry.reason)
    late = (entry.started_at - at).total_seconds()  # type: ignore[operator]
    assert 2.0 <= late < 5.0, f"aired once the sink was back: {late:.1f} s late"
    assert "Phát trễ" in entry.reason and "Đầu ra âm thanh vắng" in entry.reason, entry.reason
    assert st.terminate() == 0, st.output()


def test_a_locked_database_never_holds_a_ready_program_off_air(
        ctx: Any, home: Path, station: Callable[..., StationProcess], tap: MonitorTap) -> None:
    st = started(station(), ctx)
    slot_id, at = _one_off(ctx, 5)
    wait_for(lambda: _state(ctx, slot_id) == "rendered", 15, "the program rendered ahead")
    tap.reset_first_audible()
    with DatabaseLock(home):  # from before the mark until after the end
        heard = wait_for(tap.first_audible_at, 10, "the program on the sink while locked")
        time.sleep(4)
    key = key_of(slot_id, at)
    assert (heard - at).total_seconds() < 0.5, f"on time despite the lock: heard {heard}, due {at}"
    entry = wait_for(lambda: entry_for(ctx, key), 15, "the entry, once the lock is gone")
    assert entry.status == "completed", (entry.status, entry.reason)
    assert abs((entry.started_at - at).total_seconds()) < 0.1, entry.started_at  # type: ignore[operator]
    assert st.terminate() == 0, st.output()


def test_a_restarted_station_airs_what_the_killed_one_had_rendered_without_rendering_again(
        ctx: Any, station: Callable[..., StationProcess], tap: MonitorTap) -> None:
    first = started(station(), ctx)
    bulletin_id = approved_bulletin(ctx, MEDIUM)
    at = now() + dt.timedelta(seconds=13)  # rendered at once (render lead 10 s)...
    slot_id = add_once(ctx, bulletin_id, at)
    wait_for(lambda: _state(ctx, slot_id) == "rendered", 12, "the program rendered ahead")
    rendered = occurrence(ctx, slot_id)
    assert rendered is not None and rendered.render_sha256
    first.crash()  # ...and killed then: the restart has seconds to start, not a render worker too
    tap.reset_first_audible()
    second = station()  # not waited for: its render worker is still starting
    key = key_of(slot_id, at)
    entry = wait_for(lambda: entry_for(ctx, key), 30, "the entry after the restart")
    assert entry.status == "completed", (entry.status, entry.reason)
    again = occurrence(ctx, slot_id)
    assert again is not None and again.render_sha256 == rendered.render_sha256, (
        "the same verified render aired")
    assert f"{key}: dùng lại bản dựng đã kiểm tra" in second.output(), (
        f"the restarted station took the finished render from the cache: {second.output()[-2000:]}")
    late = (entry.started_at - at).total_seconds()  # type: ignore[operator]
    assert late < 0.5, f"on time after the restart, not after a new render: {late:.2f} s late"
    assert tap.first_audible_at() is not None, "it was heard after the restart"
    assert second.terminate() == 0, second.output()


def test_the_station_holds_the_audio_cache_to_its_cap_and_keeps_what_is_still_to_air(
        ctx: Any, home: Path, station: Callable[..., StationProcess]) -> None:
    stale = home / "audio" / "cache" / "renders"
    stale.mkdir(parents=True, exist_ok=True)
    old = []
    for index in range(3):  # 3 MB of last month's renders
        path = stale / f"old-{index}.wav"
        path.write_bytes(b"\0" * 1_000_000)
        os.utime(path, (time.time() - 30 * 86400, time.time() - 30 * 86400))
        old.append(path)
    st = started(station(env_extra={"BROADCASTER_AUDIO_CACHE_MAX_MB": "1"}), ctx)
    slot_id, at = _one_off(ctx, 6)
    wait_for(lambda: _state(ctx, slot_id) in ("rendered", "playing"), 20, "the program rendered")
    rendered = Path(occurrence(ctx, slot_id).render_path)  # type: ignore[union-attr, arg-type]
    wait_for(lambda: not any(p.exists() for p in old), 10, "last month's renders pruned")
    assert rendered.is_file() and rendered.with_suffix(".json").is_file(), (
        "the program still to air is kept, with its metadata")
    entry = wait_for(lambda: entry_for(ctx, key_of(slot_id, at)), 30, "the entry")
    assert entry.status == "completed", (entry.status, entry.reason)
    assert st.terminate() == 0, st.output()
