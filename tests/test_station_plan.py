"""The station's pure planner, its clock and its command rows: no sleeping, no sound."""
from __future__ import annotations

import datetime as dt

import pytest

from broadcaster.schedule import SlotTimes
from broadcaster.station import reconcile
from broadcaster.station.clock import FakeClock
from broadcaster.station.reconcile import Known, SlotPlan

UTC = dt.timezone.utc
TZ = "Asia/Ho_Chi_Minh"
# 06:00 in Hà Nội is 23:00 UTC the day before.
NOW = dt.datetime(2024, 12, 21, 23, 0, 0, tzinfo=UTC)
CREATED = NOW - dt.timedelta(days=30)


def daily(slot_id: int, hh: int, mm: int, ss: int = 0) -> SlotPlan:
    return SlotPlan(slot_id, SlotTimes(kind="daily", time_local=dt.time(hh, mm, ss), timezone=TZ), CREATED)


def once(slot_id: int, at: dt.datetime) -> SlotPlan:
    return SlotPlan(slot_id, SlotTimes(kind="once", at_utc=at, timezone=TZ), CREATED)


def run(slots: list[SlotPlan], known: dict[str, Known] | None = None, now: dt.datetime = NOW,
        busy: tuple[str, ...] = ()) -> reconcile.Plan:
    return reconcile.plan(slots, known or {}, now, render_lead_s=600, grace_s=300, busy=busy)


def test_occurrence_key_uses_local_date_not_utc() -> None:
    result = run([daily(1, 6, 5)])
    keys = [d.key for d in result.play]
    assert "slot-1@2024-12-22" in keys, f"06:05 local on 22/12 is 23:05 UTC on 21/12: {keys}"


def test_renders_inside_the_lead_and_plays_at_the_instant() -> None:
    result = run([daily(1, 6, 5), daily(2, 6, 30)])
    render = [d.key for d in result.render]
    play = {d.key: d.scheduled_at for d in result.play}
    assert render == ["slot-1@2024-12-22"], f"only 06:05 is within the 10-minute lead: {render}"
    assert play["slot-1@2024-12-22"] == NOW + dt.timedelta(minutes=5)
    assert "slot-2@2024-12-22" in play, "06:30 is planned (job at its instant) but not rendered yet"


def test_late_within_grace_still_plays_and_older_is_missed() -> None:
    slots = [daily(1, 5, 57), daily(2, 5, 50)]  # 3 min late (grace 5 min) and 10 min late
    result = run(slots)
    assert [d.key for d in result.play] == ["slot-1@2024-12-22"], result.play
    assert [d.key for d, _ in result.missed] == ["slot-2@2024-12-22"], result.missed
    reason = result.missed[0][1]
    assert "Bỏ lỡ" in reason and "600 giây" in reason and "300 giây" in reason, reason
    assert "05:50:00 ngày 22/12/2024" in reason, f"the reason names the local time: {reason}"


def test_found_playing_without_evidence_is_a_crash_never_a_replay() -> None:
    slots = [daily(1, 5, 59)]
    result = run(slots, {"slot-1@2024-12-22": Known(state="playing")})
    assert [d.key for d in result.crashed] == ["slot-1@2024-12-22"]
    assert not result.play and not result.missed, "a crashed occurrence is neither replayed nor missed"


def test_settled_and_busy_occurrences_are_left_alone() -> None:
    slots = [daily(1, 5, 50), daily(2, 5, 59)]
    known = {"slot-1@2024-12-22": Known(state="rendered", has_evidence=True)}
    result = run(slots, known, busy=("slot-2@2024-12-22",))
    assert not result.missed, "an occurrence with evidence is never recorded twice"
    assert not result.play and not result.crashed, "a busy occurrence belongs to its running job"
    assert [d.key for d in result.settled] == ["slot-1@2024-12-22"]


def test_a_new_daily_slot_does_not_miss_the_times_before_it_existed() -> None:
    fresh = SlotPlan(3, SlotTimes(kind="daily", time_local=dt.time(5, 0), timezone=TZ),
                     NOW - dt.timedelta(minutes=1))
    result = run([fresh])
    assert not result.missed, f"05:00 came before the slot was created: {result.missed}"


def test_lookback_after_a_long_outage_records_yesterday_as_missed() -> None:
    result = run([daily(1, 7, 0)])  # 07:00 yesterday (local 21/12) is within 24 h
    assert "slot-1@2024-12-21" in [d.key for d, _ in result.missed]
    assert "slot-1@2024-12-22" in [d.key for d in result.play], "today's 07:00 is ahead"


def test_once_slot_and_rendered_flag() -> None:
    at = NOW + dt.timedelta(seconds=30)
    result = run([once(4, at)], {"slot-4@2024-12-22": Known(state="rendered", rendered=True)})
    assert not result.render, "already rendered in this process: no second render"
    assert [d.scheduled_at for d in result.play] == [at]


def test_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(NOW)
    assert clock.now() == NOW
    clock.advance(1.5)
    assert clock.now() == NOW + dt.timedelta(seconds=1.5)
    target = NOW + dt.timedelta(seconds=10)
    assert clock.sleep_until(target) is True
    assert clock.now() == target, "sleeping on a fake clock jumps to the instant"
    with pytest.raises(ValueError):
        FakeClock(dt.datetime(2024, 1, 1))


def test_commands_flow_and_refusals(ctx) -> None:  # type: ignore[no-untyped-def]
    from broadcaster import bulletins, commands
    from broadcaster.errors import NotFoundError, ValidationError

    with ctx.session() as session:
        draft = bulletins.add_bulletin(session, title="Nháp", body="Bão sắp đổ bộ.")
        draft_id = draft.id
        refused = bulletins.add_bulletin(session, title="Bị từ chối", body="Sai nội dung.")
        bulletins.transition(session, refused, "reject", None, "sai số liệu")
        refused_id = refused.id
    with ctx.session() as session:
        commands.request_emergency(session, draft_id)
        approved = bulletins.get_bulletin(session, draft_id)
        assert approved.status == "approved", "triggering an emergency approves the draft"
        assert bulletins.history(session, approved)[-1].note == "Phê duyệt khi phát khẩn cấp"
    with ctx.session() as session, pytest.raises(ValidationError, match="Bị từ chối"):
        commands.request_emergency(session, refused_id)
    with ctx.session() as session, pytest.raises(NotFoundError, match="Không có bản tin số 999"):
        commands.request_emergency(session, 999)
    with ctx.session() as session:
        stop = commands.request_stop(session, output="main", reason="thử")
        other = commands.request_rerender(session, output="thon-2")
        ids = [c.id for c in commands.pending(session, "main")]
        assert stop.id in ids and other.id not in ids, "each station sees only its own commands"
        commands.acknowledge(stop)
        commands.finish(stop, "xong")
        assert stop.status == "done" and stop.acknowledged_at is not None


def test_emergency_cli_without_a_station_times_out_clearly(home, cli) -> None:  # type: ignore[no-untyped-def]
    added = cli("bulletin", "add", "--title", "Khẩn", "--text", "Bão sắp đến.", "--priority",
                "emergency", "--approve", "--json")
    assert added.exit_code == 0, added.output
    import json

    bulletin_id = json.loads(added.stdout)["id"]
    result = cli("emergency", str(bulletin_id), "--wait", "0.3")
    assert result.exit_code == 1, result.output
    assert "chưa xác nhận lệnh số" in result.stderr and "broadcaster station" in result.stderr, result.stderr
    queued = cli("emergency", str(bulletin_id), "--json")
    assert queued.exit_code == 0 and json.loads(queued.stdout)["status"] == "pending", queued.output
    assert "chưa thấy trạm phát nào đang chạy" in queued.stderr, "the operator is told nobody will act"


def test_render_worker_is_reused_and_restarted_when_it_dies(ctx) -> None:  # type: ignore[no-untyped-def]
    """One long-lived worker renders job after job; killed, it is replaced and the next job works."""
    import os
    import signal
    import time

    from broadcaster import bulletins
    from broadcaster.station.render import RenderFailed, RenderWorker

    with ctx.session() as session:
        bulletin = bulletins.add_bulletin(session, title="Khẩn", body="Thử loa khẩn cấp.")
        bulletins.transition(session, bulletin, "approve", None)
        bulletin_id = bulletin.id
    worker = RenderWorker(ctx.settings.home)
    try:
        first = worker.render("emergency", bulletin_id, urgent=True)
        pid = worker.pid
        assert pid is not None and first["items"][0]["kind"] == "jingle", first
        started = time.monotonic()
        again = worker.render("emergency", bulletin_id, urgent=True)
        assert worker.pid == pid, "the same process takes the next job"
        assert time.monotonic() - started < 1.5, "no interpreter start for a second render"
        assert again["sha256"] == first["sha256"], "same program, same audio"
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        try:
            result = worker.render("emergency", bulletin_id, urgent=True)
        except RenderFailed as exc:  # the job that found it dead fails with a reason...
            assert "chết" in str(exc), str(exc)
            result = worker.render("emergency", bulletin_id, urgent=True)  # ...the next one works
        assert result["sha256"] == first["sha256"]
        assert worker.pid not in (None, pid), "a new worker took over"
    finally:
        worker.stop()
    with pytest.raises(RenderFailed, match="đang dừng"):
        worker.render("emergency", bulletin_id, urgent=True)


def test_a_command_left_from_when_no_station_ran_expires_with_evidence(ctx) -> None:  # type: ignore[no-untyped-def]
    """This morning's storm warning must not cut into tonight's program when the station starts."""
    from sqlalchemy import select

    from broadcaster import bulletins, commands, evidence
    from broadcaster.models import EvidenceEntry, StationCommand
    from broadcaster.station.daemon import Station

    with ctx.session() as session:
        bulletin = bulletins.add_bulletin(session, title="Bão số 3", body="Bão đổ bộ.", priority="emergency")
        command = commands.request_emergency(session, bulletin.id, output="main")
        command.requested_at = NOW - dt.timedelta(hours=3)
        command_id = command.id
    station = Station(ctx, clock=FakeClock(NOW))
    station.commands.poll()  # the command runner of the station (writer not started: writes at once)
    with ctx.session() as session:
        done = session.get(StationCommand, command_id)
        assert done.status == "failed" and "không thực hiện nữa" in done.result, done.result
        entry = session.scalar(select(EvidenceEntry).where(EvidenceEntry.occurrence_key == f"emergency-{command_id}"))
        assert entry is not None and entry.status == "missed", "the unaired emergency leaves evidence"
        assert "khi trạm phát không chạy" in entry.reason and entry.title == "Bão số 3"
        assert evidence.has_entry(session, f"emergency-{command_id}")
