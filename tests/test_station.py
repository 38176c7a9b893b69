"""The station daemon against a real PulseAudio null sink: what the loudspeakers would have aired.

Each test runs ``python -m broadcaster station`` as a separate process (as systemd would), drives it
only through the database, and listens to the sink's monitor with the same tap the air-check uses.
Programs are a short sentence without greeting, a few seconds of sound.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import socket
import time
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select
from station_helpers import (
    LONG,
    SHORT,
    StationProcess,
    add_once,
    alive,
    approved_bulletin,
    children_of,
    entries,
    entry_for,
    heartbeat,
    is_playing,
    key_of,
    lead_silence_s,
    now,
    occurrence,
    wait_for,
    worker_ready,
)

from broadcaster.models import Slot, StationCommand
from broadcaster.station.aircheck import MonitorTap

pytest_plugins = ["station_fixtures"]


def test_scheduled_bulletin_is_heard_on_time_and_changes_are_picked_up_live(
        ctx: Any, station: Callable[..., StationProcess], tap: MonitorTap, tmp_path: Path) -> None:
    marker = tmp_path / "amp-on"
    st = station(amp_on_command=f"touch {marker}", amp_off_command="false", amp_lead_s="1")
    bulletin_id = approved_bulletin(ctx)
    wait_for(lambda: heartbeat(ctx), 10, "the station's first heartbeat")
    # Added far ahead, then moved: the station must follow the database, not its first plan.
    slot_id = add_once(ctx, bulletin_id, now() + dt.timedelta(minutes=30))
    # 8 s ahead, as a late change in a commune is (the issue's own figure): the render worker
    # starting cold with SciPy takes 3 s or more on a loaded 2-core box, so 3.5 s was a race.
    at = now() + dt.timedelta(seconds=8)
    with ctx.session() as session:
        session.get(Slot, slot_id).at_utc = at  # type: ignore[union-attr]
    changed = time.monotonic()
    row = wait_for(lambda: (o := occurrence(ctx, slot_id)) and o.scheduled_at == at and o, 3,
                   "the moved slot's occurrence")
    picked = time.monotonic() - changed
    assert picked < 1.5, f"a schedule change is picked up within about 1 s (took {picked:.2f} s)"
    key = key_of(slot_id, at)
    entry = wait_for(lambda: entry_for(ctx, key), 20, "the evidence entry")
    assert entry.status == "completed", entry.reason
    heard = tap.first_audible_at()
    assert heard is not None, "nothing was heard on the sink"
    rendered = Path(occurrence(ctx, slot_id).render_path)  # type: ignore[union-attr, arg-type]
    start_error = (heard - at).total_seconds() - lead_silence_s(rendered)
    assert -0.01 <= start_error <= 0.1, f"heard {start_error * 1000:.1f} ms from the scheduled instant"
    assert abs((entry.started_at - at).total_seconds()) < 0.05, entry.started_at  # type: ignore[operator]
    assert entry.items and entry.items[1]["text_sha256"], f"items with text hashes: {entry.items}"
    assert entry.items[1]["text"] == SHORT and entry.items[1]["normalized_text"], \
        "the evidence keeps the text as written and as spoken"
    assert entry.aircheck_sha256 and entry.aircheck_path, "the air-check is in the evidence"
    from audio.audiofile import sha256_file

    aircheck = ctx.settings.home / entry.aircheck_path
    assert aircheck.suffix == ".opus" and sha256_file(aircheck) == entry.aircheck_sha256
    assert marker.exists(), "the amplifier-on hook ran before the program"
    assert "Lệnh âm ly (off) lỗi" in entry.reason, f"a failing hook is noted, not fatal: {entry.reason}"
    assert row.state in ("pending", "rendered", "playing")
    assert st.proc is not None and st.proc.poll() is None, "the station keeps running"
    assert st.terminate() == 0, st.output()


def test_kill_9_mid_broadcast_then_restart_never_airs_twice(
        ctx: Any, station: Callable[..., StationProcess], tap: MonitorTap) -> None:
    first = station()
    bulletin_id = approved_bulletin(ctx, LONG)
    at = now() + dt.timedelta(seconds=2.5)
    slot_id = add_once(ctx, bulletin_id, at)
    wait_for(lambda: is_playing(ctx, slot_id), 10, "the broadcast to start")
    wait_for(lambda: f"{key_of(slot_id, at)}: bắt đầu phát lúc" in first.output(), 20,
             "the player's start (late when the render was)")
    # Mid-air: well past the first half second (a cut that early, heard by nobody, airs again).
    time.sleep(1.5)
    assert first.proc is not None
    kids = children_of(first.proc.pid)
    assert {"paplay", "parec"} <= set(kids.values()), f"the player and the air-check run: {kids}"
    first.crash()  # the station's PID only, not its process group
    wait_for(lambda: not any(alive(p) for p in kids), 1.0,
             f"the station's children {kids} to die with it")
    tap.reset_first_audible()
    time.sleep(0.3)
    tap.reset_first_audible()
    second = station()
    key = key_of(slot_id, at)
    entry = wait_for(lambda: entry_for(ctx, key), 10, "the crashed occurrence's entry")
    assert entry.status == "interrupted", entry.status
    assert "dừng đột ngột" in entry.reason and "không phát lại" in entry.reason, entry.reason
    time.sleep(1.5)
    assert tap.first_audible_at() is None, "the restarted station aired the occurrence again"
    assert [e.occurrence_key for e in entries(ctx)].count(key) == 1
    assert second.terminate() == 0, second.output()


def test_emergency_preempts_and_is_recorded(
        ctx: Any, station: Callable[..., StationProcess], cli: Callable[..., Any]) -> None:
    st = station()
    slot_bulletin = approved_bulletin(ctx, LONG)
    urgent = approved_bulletin(ctx, "Lũ đang lên, bà con di chuyển ngay.", "Cảnh báo lũ")
    at = now() + dt.timedelta(seconds=2.5)
    slot_id = add_once(ctx, slot_bulletin, at)
    wait_for(lambda: is_playing(ctx, slot_id), 10, "the scheduled broadcast to start")
    time.sleep(0.3)
    result = cli("emergency", str(urgent), "--wait", "5")
    assert result.exit_code == 0, result.output
    assert "Đã gửi lệnh số" in result.stdout and "trạm phát đã nhận" in result.stdout, result.stdout
    with ctx.session() as session:
        command_id = session.scalar(select(StationCommand.id).order_by(StationCommand.id.desc()))
    cut = wait_for(lambda: entry_for(ctx, key_of(slot_id, at)), 10, "the preempted entry")
    assert cut.status == "interrupted", cut.status
    assert f"khẩn cấp số {urgent}" in cut.reason and f"lệnh số {command_id}" in cut.reason, cut.reason
    time.sleep(1.5)  # the emergency program airs; an operator then stops it from the CLI
    stopped = cli("stop", "--reason", "đã báo xong", "--wait", "5")
    assert stopped.exit_code == 0, stopped.output
    aired = wait_for(lambda: entry_for(ctx, f"emergency-{command_id}"), 10, "the emergency entry")
    assert aired.priority == "emergency" and aired.status == "interrupted", (aired.status, aired.reason)
    assert "Dừng theo lệnh số" in aired.reason and "đã báo xong" in aired.reason, aired.reason
    assert aired.seconds_played >= 1.0, f"the emergency aired before the stop: {aired.seconds_played}"
    assert aired.items[0]["kind"] == "jingle", aired.items
    assert aired.started_at >= cut.ended_at - dt.timedelta(seconds=0.2), "one program on air at a time"  # type: ignore[operator]
    assert aired.aircheck_sha256, "the emergency has its air-check too"
    with ctx.session() as session:
        command = session.get(StationCommand, command_id)
        assert command is not None and command.status in ("done", "failed"), command.status
        assert "bị ngắt" in command.result, command.result
    assert st.terminate() == 0, st.output()


def test_render_worker_airs_a_late_added_slot_on_time_and_an_emergency_at_once(
        ctx: Any, station: Callable[..., StationProcess], tap: MonitorTap,
        cli: Callable[..., Any]) -> None:
    st = station()
    assert st.proc is not None
    pid = wait_for(lambda: worker_ready(ctx), 20, "the render worker to be ready")
    assert children_of(st.proc.pid).get(pid, "").startswith("python"), "a child of the station"
    bulletin_id = approved_bulletin(ctx)
    at = now() + dt.timedelta(seconds=2.0)  # added 2 s ahead: no time to start an interpreter
    slot_id = add_once(ctx, bulletin_id, at)
    urgent = approved_bulletin(ctx, "Lũ đang lên, bà con di chuyển ngay.", "Cảnh báo lũ")
    wait_for(tap.first_audible_at, 10, "the slot on the sink")
    tap.reset_first_audible()
    result = cli("emergency", str(urgent), "--json")
    assert result.exit_code == 0, result.output
    heard = wait_for(tap.first_audible_at, 10, "the emergency on the sink")
    with ctx.session() as session:
        sent = session.get(StationCommand, json.loads(result.stdout)["id"]).requested_at
    latency = (heard - sent).total_seconds()
    # About 1 s here when the machine is quiet (benchmarks/emergency_latency.py); a fresh
    # interpreter per render added 1.5-2 s. The bound leaves room for a loaded CI machine.
    assert latency < 3.0, f"an emergency is on air within about 2 s of the command: {latency:.2f} s"
    assert worker_ready(ctx) == pid, "rendered by the same worker, no new process per render"
    entry = wait_for(lambda: entry_for(ctx, key_of(slot_id, at)), 5, "the slot's evidence entry")
    assert entry.status == "interrupted", (entry.status, entry.reason)  # cut by the emergency
    assert abs((entry.started_at - at).total_seconds()) < 0.05, (  # type: ignore[operator]
        f"on time although added 2 s ahead: started {entry.started_at}, scheduled {at}")
    assert st.terminate() == 0, st.output()
    assert not alive(pid), "the worker stops with the station"


def test_priority_bulletin_leads_the_next_slot_once_and_logs_share_one_format(
        ctx: Any, station: Callable[..., StationProcess], sink: str) -> None:
    with socket.socket() as closed:  # gTTS is tried through a proxy nobody listens on
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
    st = station({"BROADCASTER_TTS_ENGINES": "gtts,espeak", "HTTPS_PROXY": dead,
                  "https_proxy": dead})
    normal = approved_bulletin(ctx, "Họp thôn tối nay.", "Họp thôn")
    first_at = now() + dt.timedelta(seconds=3)
    second_at = first_at + dt.timedelta(seconds=1)  # both within the render lead (10 s)
    urgent = approved_bulletin(ctx, "Mai cắt điện.", "Lịch cắt điện", priority="priority")
    first = add_once(ctx, normal, first_at)
    second = add_once(ctx, normal, second_at)
    one = wait_for(lambda: entry_for(ctx, key_of(first, first_at)), 25, "the first slot's entry")
    wait_for(lambda: is_playing(ctx, second), 10, "the second slot on the air, after the first")
    assert urgent and st.terminate() == 0, st.output()  # its entry holds its items too
    two = entry_for(ctx, key_of(second, second_at))
    assert two is not None and one.status == "completed", (one.reason, two)
    titles = [i["title"] for i in one.items if i["kind"] == "speech"]
    assert titles[:1] == ["Lịch cắt điện"] and "Họp thôn" in titles, (
        f"the priority bulletin leads the next slot's program: {titles}")
    again = [i["title"] for i in two.items if i["kind"] == "speech"]
    assert "Lịch cắt điện" not in again and "Họp thôn" in again, f"and only that one: {again}"

    lines = [line for line in st.output().splitlines() if line.strip()]
    assert lines and lines[0].startswith("Trạm phát đầu ra 'main'"), f"CLI start-up line: {lines[:1]}"
    pattern = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR) "
                         r"\[\d+\] [\w.]+: ")
    odd = [line for line in lines[1:] if not pattern.match(line) and line != "Trạm phát đã dừng."]
    assert not odd, f"every log line has one format (time, level, pid, logger): {odd[:5]}"
    # slots 3 s ahead are within tts.espeak_reserve_s: the worker's audio.tts says gTTS is
    # skipped because air time is near (issue 14), or, further ahead, why it failed
    worker_lines = [line for line in lines if " audio.tts: " in line or " audio.engines_gtts: " in line]
    assert worker_lines, "the render worker's lines are in the station's log"
    pids = {line.split(" [")[1].split("]")[0] for line in lines if pattern.match(line)}
    assert len(pids) >= 2, f"lines from the daemon and its worker: {pids}"
    assert any("bộ đọc gtts: tạm bỏ qua đến" in line or "bộ đọc gtts: sắp đến giờ phát" in line
               for line in lines), (
        "gTTS is skipped (air time near, or unreachable once) and the log says so")
    said = [line.split(": ", 1)[1] for line in lines[1:] if pattern.match(line)]
    assert f"trạm phát 'main' bắt đầu (pulse: {sink})" in said, (
        f"the operator reads the start in Vietnamese: {said[:3]}")
    assert any(s.startswith(f"{key_of(first, first_at)}: đã phát xong") for s in said), (
        f"and what became of each broadcast: {said}")


def test_restart_plays_within_grace_and_records_older_as_missed(
        ctx: Any, station: Callable[..., StationProcess], tap: MonitorTap) -> None:
    bulletin_id = approved_bulletin(ctx)
    late_at = now() - dt.timedelta(seconds=4)
    old_at = now() - dt.timedelta(seconds=30)
    late_slot = add_once(ctx, bulletin_id, now() + dt.timedelta(hours=1))
    old_slot = add_once(ctx, bulletin_id, now() + dt.timedelta(hours=2))
    with ctx.session() as session:  # as if the station had been down through both instants
        session.get(Slot, late_slot).at_utc = late_at  # type: ignore[union-attr]
        session.get(Slot, old_slot).at_utc = old_at  # type: ignore[union-attr]
    st = station(grace_s="10")
    missed = wait_for(lambda: entry_for(ctx, key_of(old_slot, old_at)), 10, "the missed entry")
    assert missed.status == "missed" and "Bỏ lỡ" in missed.reason and "10 giây" in missed.reason, missed.reason
    late = wait_for(lambda: entry_for(ctx, key_of(late_slot, late_at)), 20, "the late entry")
    assert late.status == "completed", late.reason
    assert "Phát trễ" in late.reason, f"the delay is recorded: {late.reason}"
    assert tap.first_audible_at() is not None, "the late occurrence was heard"
    assert st.terminate() == 0, st.output()


def test_sigterm_interrupts_cleanly_and_a_second_station_is_refused(
        ctx: Any, station: Callable[..., StationProcess]) -> None:
    st = station()
    wait_for(lambda: heartbeat(ctx), 10, "the first station's heartbeat")
    second = station()
    assert second.proc is not None and second.proc.wait(15) == 1, second.output()
    assert "Đã có một trạm phát đang chạy cho đầu ra 'main'" in second.output(), second.output()
    bulletin_id = approved_bulletin(ctx, LONG)
    at = now() + dt.timedelta(seconds=2)
    slot_id = add_once(ctx, bulletin_id, at)
    wait_for(lambda: is_playing(ctx, slot_id), 10, "the broadcast to start")
    time.sleep(0.3)
    assert st.terminate() == 0, st.output()
    entry = entry_for(ctx, key_of(slot_id, at))
    assert entry is not None and entry.status == "interrupted", entry and entry.status
    assert "dừng theo yêu cầu (lệnh dừng của hệ thống)" in entry.reason, entry.reason
    assert "SIG" not in entry.reason, "a village head reads this reason: no signal names"
    beat = heartbeat(ctx)
    assert beat is not None and beat.state.get("stopped") is True, beat and beat.state


def test_vanished_device_is_a_failed_entry_and_the_station_stays_up(
        ctx: Any, station: Callable[..., StationProcess], pulse_server: dict[str, str]) -> None:
    # A missing sink is retried until the grace window ends (it may come back): a short one here.
    st = station(grace_s="4")
    st.proc.kill()  # type: ignore[union-attr]
    st.proc.wait()  # type: ignore[union-attr]
    st.env["BROADCASTER_OUTPUT_DEVICE"] = "loa-da-thao"
    st.start()
    bulletin_id = approved_bulletin(ctx)
    at = now() + dt.timedelta(seconds=2)
    slot_id = add_once(ctx, bulletin_id, at)
    entry = wait_for(lambda: entry_for(ctx, key_of(slot_id, at)), 15, "the failed entry")
    assert entry.status == "failed", entry.status
    assert "Không tìm thấy thiết bị âm thanh 'loa-da-thao'" in entry.reason, entry.reason
    time.sleep(1.2)
    assert st.proc is not None and st.proc.poll() is None, "the daemon stays up"
    beat = heartbeat(ctx)
    assert beat is not None and (now() - beat.at).total_seconds() < 3, "and keeps beating"
    assert st.terminate() == 0, st.output()


def test_ctrl_c_in_the_terminal_stops_the_station_and_its_worker_without_a_traceback(
        ctx: Any, station: Callable[..., StationProcess]) -> None:
    """Ctrl-C (`scripts/run` in a terminal) sends SIGINT to the whole process group: the
    render worker used to die of it with an English ``KeyboardInterrupt`` traceback."""
    import os
    import signal

    st = station()
    worker = wait_for(lambda: worker_ready(ctx), 90, "the render worker to be ready")
    assert st.proc is not None
    os.killpg(st.proc.pid, signal.SIGINT)
    assert st.proc.wait(20) == 0, st.output()
    wait_for(lambda: not alive(worker), 10, "the render worker to end with the station")
    output = st.output()
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output[-3000:]
    assert "Trạm phát đã dừng" in output, output[-2000:]
