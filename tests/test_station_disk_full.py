"""A full disk under a running station: what the office reads in the log afterwards.

The station's data folder is a small tmpfs of this module's own, filled while a broadcast is due,
so it needs root (``mount``); without it the tests are skipped and say why. The station's own log
is kept off that disk (a full disk must not hide what the station said).

The program is rendered once beforehand (the first slot), so the slot under test renders from the
cache without writing a byte: it airs on the full disk, the database refuses its render record,
its ``playing`` mark and its entry, and the air-check cannot be encoded. SQLite's WAL is
truncated just before the disk is filled: SQLite reuses a WAL's old space, so without that a full
disk would refuse the station's writes only some of the time.
"""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from station_helpers import (
    BroadcasterProcess,
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

DISK_MB = 32
TEXT = "Bà con chú ý. Thông báo thử khi đĩa đầy."


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An initialised data folder on a tmpfs of DISK_MB (replaces conftest's ``home``)."""
    if os.geteuid() != 0:
        pytest.skip("cần quyền root để gắn một tmpfs nhỏ làm ổ đĩa có thể đầy (mount)")
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m", "tmpfs", str(disk)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"không gắn được tmpfs: {done.stderr.strip()}")
    folder = disk / "home"
    monkeypatch.setenv("BROADCASTER_HOME", str(folder))
    monkeypatch.setenv("BROADCASTER_TTS_ENGINES", "espeak")
    for name in list(os.environ):
        if name.startswith("BROADCASTER_") and name not in {"BROADCASTER_HOME",
                                                             "BROADCASTER_TTS_ENGINES"}:
            monkeypatch.delenv(name)
    from broadcaster.context import init_home

    ctx, _ = init_home(folder)
    ctx.dispose()
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True, check=False)


class Disk:
    """Fills the data folder's disk to the last byte, and frees it."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.ballast = home.parent / "ballast.bin"

    def fill(self) -> None:
        for _ in range(50):  # a reader of the station's can hold the checkpoint back a moment
            with sqlite3.connect(self.home / "broadcaster.db", timeout=5) as connection:
                busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                break
            time.sleep(0.05)
        with open(self.ballast, "wb", buffering=0) as handle:
            for size in (1 << 20, 4096, 1):
                try:
                    while handle.write(b"\0" * size):
                        pass
                except OSError:
                    pass
        probe = self.home.parent / "probe"
        with pytest.raises(OSError):
            probe.write_bytes(b"\0" * 8192)
        probe.unlink(missing_ok=True)

    def free(self) -> None:
        self.ballast.unlink(missing_ok=True)


@pytest.fixture
def disk(home: Path) -> Iterator[Disk]:
    full = Disk(home)
    yield full
    full.free()


@pytest.fixture
def station(home: Path, tmp_path: Path, pulse_server: dict[str, str],
            sink: str) -> Iterator[Callable[[], BroadcasterProcess]]:
    """``python -m broadcaster station`` on the tmpfs data folder, its log (stderr) off it."""
    started: list[BroadcasterProcess] = []

    def start() -> BroadcasterProcess:
        env = dict(os.environ)
        env.update(pulse_server)
        env.update({
            "BROADCASTER_HOME": str(home), "BROADCASTER_TTS_ENGINES": "espeak",
            "BROADCASTER_OUTPUT_BACKEND": "pulse", "BROADCASTER_OUTPUT_DEVICE": sink,
            "BROADCASTER_STATION_RENDER_LEAD_S": "10", "BROADCASTER_AUDIO_GAP_S": "0.3",
            "BROADCASTER_STATION_RECONCILE_S": "0.2", "BROADCASTER_STATION_HEARTBEAT_S": "1",
            "BROADCASTER_STATION_GRACE_S": "60",
        })
        process = BroadcasterProcess(["station"], env, tmp_path / "station.log").start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill_all()


def _aired_once_before(ctx: Any, st: BroadcasterProcess) -> tuple[Path, str, float]:
    """The program aired once with room on the disk: (its render, its hash, its length)."""
    wait_for(lambda: worker_ready(ctx), 90, "the render worker to be ready")
    bulletin_id = approved_bulletin(ctx, TEXT)
    at = now() + dt.timedelta(seconds=4)
    slot_id = add_once(ctx, bulletin_id, at)
    entry = wait_for(lambda: entry_for(ctx, key_of(slot_id, at)), 30, "the first airing's entry")
    assert entry.status == "completed", (entry.status, entry.reason, st.output()[-2000:])
    row = occurrence(ctx, slot_id)
    assert row is not None and row.render_path and row.render_sha256
    with wave.open(row.render_path, "rb") as wav:
        length = wav.getnframes() / wav.getframerate()
    return Path(row.render_path), row.render_sha256, length


def _aired_on_the_full_disk(ctx: Any, st: BroadcasterProcess, disk: Disk,
                            length: float) -> tuple[int, dt.datetime, str]:
    """A second slot of the same program, due while the disk is full; returns once it aired."""
    bulletin_id = approved_bulletin(ctx, TEXT, title="Đĩa đầy")
    at = now() + dt.timedelta(seconds=14)  # rendered (from the cache) at +4 s: after the fill
    slot_id = add_once(ctx, bulletin_id, at)
    key = key_of(slot_id, at)
    wait_for(lambda: occurrence(ctx, slot_id) is not None, 5, "the occurrence's row")
    disk.fill()
    wait_for(lambda: f"{key}: bắt đầu phát lúc" in st.output(), 30, "the broadcast on air")
    wait_for(lambda: now() > at + dt.timedelta(seconds=length + 1.0), length + 30,
             "the end of the program")
    assert entry_for(ctx, key) is None, "the full disk refused the entry (the test's premise)"
    row = occurrence(ctx, slot_id)
    assert row is not None and row.render_path is None, (
        "the full disk refused the render record (the test's premise)")
    return slot_id, at, key


def test_a_broadcast_on_a_full_disk_is_recorded_as_it_aired_once_space_returns(
        ctx: Any, station: Callable[[], BroadcasterProcess], disk: Disk) -> None:
    st = station()
    render, digest, length = _aired_once_before(ctx, st)
    slot_id, at, key = _aired_on_the_full_disk(ctx, st, disk, length)
    time.sleep(3)  # the writer tries and tries again while the disk stays full
    disk.free()
    entry = wait_for(lambda: entry_for(ctx, key), 15, "the entry, once there is room")
    assert entry.status == "completed", (entry.status, entry.reason)
    assert entry.seconds_played >= length - 0.3, (entry.seconds_played, length)
    assert abs((entry.started_at - at).total_seconds()) < 0.5, entry.started_at  # type: ignore[operator]
    # What happened, in the entry: the air-check could not be recorded on the full disk.
    assert "Không ghi được bản kiểm tra phát sóng" in entry.reason, entry.reason
    assert "ổ đĩa đầy" in entry.reason and "Errno" not in entry.reason and "pipe" not in entry.reason, (
        entry.reason)
    assert not entry.aircheck_sha256, "no air-check is claimed"
    assert [e.occurrence_key for e in entries(ctx)].count(key) == 1
    row = wait_for(lambda: (r := occurrence(ctx, slot_id)) is not None and r.render_path and r,
                   10, "the render record, once there is room")
    assert Path(row.render_path) == render and row.render_sha256 == digest, (
        row.render_path, row.render_sha256)
    assert row.rendered_at is not None and row.rendered_at < at, row.rendered_at
    assert row.state == "completed", row.state
    log = st.output()
    assert f"{key}: chưa ghi được kết quả dựng vào cơ sở dữ liệu" in log, log[-3000:]
    assert f"{key}: đã ghi kết quả dựng vào cơ sở dữ liệu (ghi bù)" in log, log[-3000:]
    assert st.terminate() == 0, st.output()[-3000:]


def test_killed_on_a_full_disk_after_airing_in_full_it_is_recorded_completed_not_aired_again(
        ctx: Any, station: Callable[[], BroadcasterProcess], disk: Disk) -> None:
    first = station()
    render, digest, length = _aired_once_before(ctx, first)
    slot_id, at, key = _aired_on_the_full_disk(ctx, first, disk, length)
    first.crash()  # heard in full; its entry and its render record only in memory
    before = first.output().count(f"{key}: bắt đầu phát lúc")
    disk.free()
    second = station()
    entry = wait_for(lambda: entry_for(ctx, key), 30, "the entry after the restart")
    assert entry.status == "completed", (entry.status, entry.reason)
    assert entry.seconds_played >= length - 0.3, (entry.seconds_played, length)
    assert abs((entry.started_at - at).total_seconds()) < 0.5, entry.started_at  # type: ignore[operator]
    assert [e.occurrence_key for e in entries(ctx)].count(key) == 1
    row = occurrence(ctx, slot_id)
    assert row is not None and row.state == "completed", row and row.state
    assert row.render_path is not None and Path(row.render_path) == render, row.render_path
    assert row.render_sha256 == digest
    time.sleep(2)
    assert second.output().count(f"{key}: bắt đầu phát lúc") == before, "not aired a second time"
    assert "ghi lại từ nhật ký phát sóng cục bộ" in second.output(), second.output()[-3000:]
    assert second.terminate() == 0, second.output()[-3000:]


def test_a_render_the_full_disk_refused_airs_late_once_there_is_space_within_the_grace(
        ctx: Any, station: Callable[[], BroadcasterProcess], disk: Disk) -> None:
    st = station()
    wait_for(lambda: worker_ready(ctx), 90, "the render worker to be ready")
    bulletin_id = approved_bulletin(ctx, "Bà con chú ý. Thông báo dựng khi đĩa vừa đầy.")
    at = now() + dt.timedelta(seconds=14)  # rendered at +4 s: on the full disk
    slot_id = add_once(ctx, bulletin_id, at)
    key = key_of(slot_id, at)
    wait_for(lambda: occurrence(ctx, slot_id) is not None, 5, "the occurrence's row")
    disk.fill()
    wait_for(lambda: now() > at + dt.timedelta(seconds=2), 30, "two seconds past the instant")
    assert f"{key}: bắt đầu phát lúc" not in st.output(), "nothing to air while the disk is full"
    disk.free()  # the grace window (60 s) has most of its time left
    entry = wait_for(lambda: entry_for(ctx, key), 45, "the entry, once there is room")
    assert entry.status == "completed", (entry.status, entry.reason, st.output()[-3000:])
    late = (entry.started_at - at).total_seconds()  # type: ignore[operator]
    assert 2.0 <= late < 20.0, late
    assert "Phát trễ" in entry.reason and "Chờ ổ đĩa dữ liệu có chỗ trống" in entry.reason, (
        entry.reason)
    row = occurrence(ctx, slot_id)
    assert row is not None and row.render_path and row.state == "completed", row
    assert f"{key}: ổ đĩa dữ liệu đầy, chưa dựng được chương trình" in st.output()
    assert st.terminate() == 0, st.output()[-3000:]


def test_a_station_started_on_a_full_disk_airs_what_is_ready_and_records_it_once_space_returns(
        ctx: Any, station: Callable[[], BroadcasterProcess], disk: Disk) -> None:
    first = station()
    render, digest, length = _aired_once_before(ctx, first)
    bulletin_id = approved_bulletin(ctx, TEXT, title="Khởi động khi đĩa đầy")
    at = now() + dt.timedelta(seconds=20)
    slot_id = add_once(ctx, bulletin_id, at)
    key = key_of(slot_id, at)
    wait_for(lambda: (r := occurrence(ctx, slot_id)) is not None and r.render_path, 15,
             "the second slot rendered (the same program, from the cache)")
    first.crash()  # a power cut; the disk fills while the station is down
    disk.fill()
    second = station()
    wait_for(lambda: f"{key}: bắt đầu phát lúc" in second.output(), 40,
             "the broadcast on air, from a station started on the full disk")
    wait_for(lambda: now() > at + dt.timedelta(seconds=length + 1.0), length + 30,
             "the end of the program")
    disk.free()
    entry = wait_for(lambda: entry_for(ctx, key), 20, "the entry, once there is room")
    assert entry.status == "completed", (entry.status, entry.reason, second.output()[-3000:])
    assert entry.seconds_played >= length - 0.3, (entry.seconds_played, length)
    assert abs((entry.started_at - at).total_seconds()) < 0.5, entry.started_at  # type: ignore[operator]
    assert [e.occurrence_key for e in entries(ctx)].count(key) == 1
    assert second.terminate() == 0, second.output()[-3000:]
