"""The week view and the checks made before a slot is saved (broadcaster.week)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from broadcaster import bulletins, schedule, week
from broadcaster.errors import ScheduleConflictError, ValidationError
from broadcaster.models import EvidenceEntry, Slot, Zone

TZ = "Asia/Ho_Chi_Minh"
VN = ZoneInfo(TZ)
# A fixed "now": Monday 06/01/2025 00:00 in Hà Nội; nothing here reads the clock.
NOW = dt.datetime(2025, 1, 6, 0, 0, tzinfo=VN).astimezone(dt.timezone.utc)


def approved(session, title: str = "Lịch tiêm chủng", body: str = "Bà con đưa trẻ đi tiêm.") -> int:
    bulletin = bulletins.add_bulletin(session, title=title, body=body)
    bulletins.transition(session, bulletin, "approve", None)
    session.flush()
    return bulletin.id


def items(*ids: int) -> list[schedule.ItemSpec]:
    return [schedule.ItemSpec(kind="bulletin", bulletin_id=i) for i in ids]


def test_week_view_places_daily_and_once_airings_on_their_local_days(ctx) -> None:
    with ctx.session() as session:
        session.add(Zone(name="Thôn Đông"))
        b = approved(session)
        schedule.add_slot(session, items=items(b), default_tz=TZ, daily="06:00", days="mon,wed",
                          now=NOW, zones=["Thôn Đông"])
        schedule.add_slot(session, items=items(b), default_tz=TZ, at_local="2025-01-09 17:30",
                          now=NOW, name="Buổi chiều")
    with ctx.session() as session:
        view = week.week_view(session, TZ, dt.date(2025, 1, 6), today=dt.date(2025, 1, 8))
        by_day = {d.date: [(o.at_local.strftime("%H:%M"), o.name) for o in d.occurrences] for d in view.days}
        assert by_day[dt.date(2025, 1, 6)] == [("06:00", "Lịch tiêm chủng")], by_day
        assert by_day[dt.date(2025, 1, 8)] == [("06:00", "Lịch tiêm chủng")], by_day
        assert by_day[dt.date(2025, 1, 9)] == [("17:30", "Buổi chiều")], by_day
        assert view.count == 3
        assert [d.label for d in view.days][0] == "Thứ Hai" and view.days[2].is_today
        assert view.previous == dt.date(2024, 12, 30) and view.next == dt.date(2025, 1, 13)
        first = view.days[0].occurrences[0]
        assert first.items[0].title == "Lịch tiêm chủng" and first.items[0].kind_label == "Bản tin"
        assert first.zones == ("Thôn Đông",)
        assert first.key.endswith("@2025-01-06")
        # A village sees slots for its zone and commune-wide ones, not other villages'.
        other = week.week_view(session, TZ, dt.date(2025, 1, 6), today=NOW.date(), zone_name="Thôn Tây")
        assert other.count == 1, "chỉ lịch phát toàn xã được hiện cho thôn khác"


def test_week_view_shows_what_the_evidence_says(ctx) -> None:
    with ctx.session() as session:
        b = approved(session)
        slot = schedule.add_slot(session, items=items(b), default_tz=TZ, daily="06:00", now=NOW)
        session.add(EvidenceEntry(occurrence_key=f"slot-{slot.id}@2025-01-07", status="missed",
                                  prev_hash="0" * 64, hash="a" * 64))
    with ctx.session() as session:
        view = week.week_view(session, TZ, dt.date(2025, 1, 6), today=NOW.date())
        labels = [o.evidence_label for d in view.days for o in d.occurrences]
        assert labels == ["", "Bị lỡ", "", "", "", "", ""], labels


def test_an_aired_airing_shows_how_long_it_was_on_air_not_the_estimate(ctx) -> None:
    """A priority notice led it: the estimate said 45 s, the air 2 min 35 s; the week says what aired."""
    with ctx.session() as session:
        b = approved(session)
        slot = schedule.add_slot(session, items=items(b), default_tz=TZ, daily="06:00", now=NOW)
        session.add(EvidenceEntry(occurrence_key=f"slot-{slot.id}@2025-01-07", status="completed",
                                  seconds_played=155.0, prev_hash="0" * 64, hash="b" * 64))
    with ctx.session() as session:
        view = week.week_view(session, TZ, dt.date(2025, 1, 6), today=NOW.date())
        occurrences = [o for d in view.days for o in d.occurrences]
        assert occurrences[1].aired_seconds == 155.0 and occurrences[1].as_dict()["aired_seconds"] == 155.0
        assert occurrences[0].aired_seconds is None and occurrences[2].aired_seconds is None


def test_parse_week_gives_the_monday() -> None:
    assert week.parse_week("2025-01-09", dt.date(2000, 1, 1)) == dt.date(2025, 1, 6)
    assert week.parse_week("09/01/2025", dt.date(2000, 1, 1)) == dt.date(2025, 1, 6)
    assert week.parse_week("", dt.date(2025, 1, 12)) == dt.date(2025, 1, 6)
    with pytest.raises(ValidationError, match="Ngày không hợp lệ"):
        week.parse_week("hôm qua", dt.date(2025, 1, 12))


def test_check_reports_conflict_and_keeps_nothing(ctx) -> None:
    with ctx.session() as session:
        b = approved(session)
        existing = schedule.add_slot(session, items=items(b), default_tz=TZ, daily="06:00", now=NOW)
        existing_id = existing.id
    with ctx.session() as session:
        result = week.check_slot(session, default_tz=TZ, now=NOW, items=items(b), daily="06:00:10")
        assert not result.ok
        assert result.conflicts and f"lịch phát số {existing_id}" in result.conflicts[0], result
        assert session.query(Slot).count() == 1, "kiểm tra không được lưu lịch phát nháp"
        ok = week.check_slot(session, default_tz=TZ, now=NOW, items=items(b), daily="07:00")
        assert ok.ok and not ok.conflicts, ok
        assert ok.next_airings[0] == "07:00 06/01/2025", ok.next_airings
        assert ok.estimated_seconds > 10
        bad = week.check_slot(session, default_tz=TZ, now=NOW, items=items(b), daily="25:00")
        assert not bad.ok and "Giờ không hợp lệ" in bad.errors[0], bad
        assert session.query(Slot).count() == 1


def test_overrun_warnings_long_program_night_and_tight_margin(ctx) -> None:
    with ctx.session() as session:
        long_id = approved(session, "Văn bản dài", "Điều khoản. " * 1250)  # ~15 000 chars
        short_id = approved(session)
        result = week.check_slot(session, default_tz=TZ, now=NOW, items=items(long_id), daily="21:40",
                                  repeats=2)
        joined = " | ".join(result.warnings)
        assert "quá 30 phút" in joined, joined
        assert "giờ nghỉ đêm" in joined, joined
        night = week.check_slot(session, default_tz=TZ, now=NOW, items=items(short_id), daily="23:30")
        assert any("Giờ phát 23:30" in w for w in night.warnings), night.warnings
        schedule.add_slot(session, items=items(short_id), default_tz=TZ, daily="06:00:40", now=NOW,
                          name="Tin sáng")
        seconds = week.check_slot(session, default_tz=TZ, now=NOW, items=items(short_id),
                                  daily="06:00").estimated_seconds
        assert seconds < 40, "bản tin ngắn phải ngắn hơn 40 giây để thử biên"
        tight = week.check_slot(session, default_tz=TZ, now=NOW, items=items(short_id), daily="06:00")
        assert tight.ok, tight
        assert any("giây trước lịch phát số" in w for w in tight.warnings), tight.warnings


def test_save_refuses_conflict_and_unaccepted_overrun(ctx) -> None:
    with ctx.session() as session:
        b = approved(session)
        week.save_slot(session, default_tz=TZ, now=NOW, items=items(b), daily="06:00")
        with pytest.raises(ScheduleConflictError, match="Trùng lịch"):
            week.save_slot(session, default_tz=TZ, now=NOW, items=items(b), daily="06:00:05")
    with ctx.session() as session:
        with pytest.raises(week.OverrunError, match="Cần xác nhận"):
            week.save_slot(session, default_tz=TZ, now=NOW, items=items(b), daily="23:00")
        session.rollback()
        with pytest.raises(ValidationError, match="ghi lý do"):
            week.save_slot(session, default_tz=TZ, now=NOW, items=items(b), daily="23:00",
                           accept_warnings=True)
        session.rollback()
        slot = week.save_slot(session, default_tz=TZ, now=NOW, items=items(b), daily="23:00",
                              accept_warnings=True, reason="Tin bão, xã yêu cầu phát muộn")
        assert slot.id and slot.kind == "daily"
        assert slot.override_reason == "Tin bão, xã yêu cầu phát muộn"
        assert "giờ nghỉ đêm" in slot.override_warnings


def test_form_fields_parse_loose_input() -> None:
    fields = week.slot_form_fields(bulletin_ids=["3"], kind="once", at_local="2025-01-09T17:30",
                                   repeats="2", campaign_id="")
    assert fields["at_local"] == "2025-01-09 17:30" and fields["repeats"] == 2
    assert fields["campaign_id"] is None and fields["items"][0].bulletin_id == 3
    daily = week.slot_form_fields(bulletin_ids=[1], kind="daily", daily="06:00", days=["mon", "fri"],
                                  starts_on="01/02/2025")
    assert daily["days"] == "mon,fri" and daily["starts_on"] == dt.date(2025, 2, 1)
    for kwargs, message in [
        ({"bulletin_ids": [], "kind": "daily", "daily": "06:00"}, "ít nhất một bản tin"),
        ({"bulletin_ids": ["x"], "kind": "daily", "daily": "06:00"}, "Số bản tin không hợp lệ"),
        ({"bulletin_ids": [1], "kind": "weekly"}, "Chọn kiểu lịch"),
        ({"bulletin_ids": [1], "kind": "once", "at_local": ""}, "Nhập ngày và giờ"),
        ({"bulletin_ids": [1], "kind": "daily", "daily": "6", "repeats": "nhiều"}, "nhắc lại"),
    ]:
        with pytest.raises(ValidationError, match=message):
            week.slot_form_fields(**kwargs)


# ---------------------------------------------------------------- editing a slot and its rundown


def test_edit_moves_a_slot_with_the_checks_made_when_adding(ctx) -> None:
    with ctx.session() as session:
        session.add(Zone(name="Thôn Đông"))
        b = approved(session)
        morning = schedule.add_slot(session, items=items(b), default_tz=TZ, daily="06:00", now=NOW,
                                    name="Bản tin sáng")
        schedule.add_slot(session, items=items(b), default_tz=TZ, daily="06:20", now=NOW,
                          name="Tin thôn")
        morning_id = morning.id
    with ctx.session() as session:
        slot = schedule.get_slot(session, morning_id)
        week.save_edit(session, slot, default_tz=TZ, now=NOW, daily="06:15", days="mon,tue",
                       zones=["Thôn Đông"], name="Bản tin sáng sớm", repeats=2, greeting=False)
    with ctx.session() as session:
        slot = schedule.get_slot(session, morning_id)
        assert slot.time_local == dt.time(6, 15) and slot.weekdays == "mon,tue"
        assert [z.name for z in slot.zones] == ["Thôn Đông"] and slot.repeats == 2
        assert slot.name == "Bản tin sáng sớm" and not slot.greeting
        # Same checks as adding: a bad hour, an unknown village, a conflict that names both.
        with pytest.raises(ValidationError, match="Giờ không hợp lệ"):
            schedule.edit_slot(session, slot, default_tz=TZ, now=NOW, daily="6 giờ")
        session.rollback()
        with pytest.raises(BaseException, match="Thôn Bắc"):
            schedule.edit_slot(session, slot, default_tz=TZ, now=NOW, zones=["Thôn Bắc"])
        session.rollback()
        with pytest.raises(ValidationError, match="Ngày kết thúc"):
            schedule.edit_slot(session, slot, default_tz=TZ, now=NOW,
                               starts_on=dt.date(2025, 2, 1), ends_on=dt.date(2025, 1, 1))
        session.rollback()
        with pytest.raises(ScheduleConflictError) as caught:
            week.save_edit(session, slot, default_tz=TZ, now=NOW, daily="06:20")
        message = str(caught.value)
        assert "“Tin thôn”" in message and "06:20:00" in message and "chồng lên khoảng" in message
        assert "main" not in message, "không đưa tên đầu ra nội bộ ra trước người dùng"
        session.rollback()
    with ctx.session() as session:
        slot = schedule.get_slot(session, morning_id)
        assert slot.time_local == dt.time(6, 15), "lưu thất bại không được đổi gì"
        check = week.check_edit(session, morning_id, default_tz=TZ, now=NOW, daily="06:20")
        assert not check.ok and "Tin thôn" in check.conflicts[0]
        assert schedule.get_slot(session, morning_id).time_local == dt.time(6, 15)
        week.save_edit(session, slot, default_tz=TZ, now=NOW, daily="06:20",
                       accept_warnings=True, reason="Hai loa khác nhau, đã báo trưởng thôn")
        assert slot.override_reason.startswith("Hai loa") and "Tin thôn" in slot.override_warnings


def test_an_aired_one_off_cannot_be_edited(ctx) -> None:
    with ctx.session() as session:
        b = approved(session)
        slot = schedule.add_slot(session, items=items(b), default_tz=TZ, at_local="2025-01-06 08:00",
                                 now=NOW)
        later = NOW + dt.timedelta(days=1)
        with pytest.raises(ValidationError, match="giờ phát đã qua"):
            schedule.edit_slot(session, slot, default_tz=TZ, now=later, name="Đổi tên")
        assert week.rundown(session, slot, default_tz=TZ, now=later).aired_once


def test_rundown_replaces_orders_and_estimates_everything_the_station_adds(ctx) -> None:
    from broadcaster.models import AudioAsset

    with ctx.session() as session:
        a = approved(session, "Tin một", "A" * 140)  # 10 s at 14 chars/s
        b = approved(session, "Tin hai", "B" * 280)  # 20 s
        c = approved(session, "Tin ba", "C" * 70)  # 5 s
        recording = AudioAsset(sha256="f" * 64, kind="recording", title="Lời kêu gọi", relpath="x.opus",
                               format="opus", seconds=30.0)
        render = AudioAsset(sha256="e" * 64, kind="rendered", title="bản dựng", relpath="y.wav",
                            format="wav", seconds=9.0)
        session.add_all([recording, render])
        session.flush()
        slot = schedule.add_slot(session, items=items(a), default_tz=TZ, daily="06:00", now=NOW)
        before = slot.updated_at
        specs = week.item_specs([{"bulletin_id": c}, {"recording_id": recording.id},
                                 {"bulletin_id": a}, {"bulletin_id": b}])
        schedule.set_items(session, slot, specs, default_tz=TZ, now=NOW)
        assert [i.position for i in slot.items] == [0, 1, 2, 3]
        assert [(i.kind, i.bulletin_id or i.asset_id) for i in slot.items] == [
            ("bulletin", c), ("recording", recording.id), ("bulletin", a), ("bulletin", b)]
        assert slot.updated_at >= before, "trạm phát dựng lại khi lịch thay đổi"
        view = week.rundown(session, slot, default_tz=TZ, now=NOW)
        kinds = [line.kind for line in view.lines]
        assert kinds == ["intro", "greeting", "bulletin", "recording", "bulletin", "bulletin", "outro"]
        assert [round(line.seconds) for line in view.items] == [5, 30, 10, 20]
        # 4 + 3 + 5 + 30 + 10 + 20 + 4 = 76 s of sound, and 6 gaps of 1 s between 7 parts.
        assert view.total_seconds == pytest.approx(82.0, abs=0.01)
        assert view.next_start.strftime("%H:%M %d/%m") == "06:00 06/01"
        assert (view.next_end - view.next_start).total_seconds() == pytest.approx(82.0, abs=0.01)
        # A fresh priority notice will be read at the head: the estimate counts it.
        urgent = bulletins.add_bulletin(session, title="Lịch cắt điện", body="D" * 140, priority="priority")
        bulletins.transition(session, urgent, "approve", None)
        urgent.approved_at = NOW - dt.timedelta(hours=1)
        session.flush()
        with_head = week.rundown(session, slot, default_tz=TZ, now=NOW)
        head = [line for line in with_head.lines if line.kind == "head"]
        assert head and head[0].title == "Lịch cắt điện" and head[0].plays == 2
        assert with_head.total_seconds == pytest.approx(82.0 + 20.0 + 2.0, abs=0.01)
        # Bad rundowns are refused with a Vietnamese message.
        for raw, message in [
            ([], "ít nhất một mục"),
            ([{"bulletin_id": 999}], "Không có bản tin số 999"),
            ([{"recording_id": render.id}], f"Không có bản ghi âm số {render.id}"),
            ([{"song": 1}], "bulletin_id"),
            ("1,2", "danh sách"),
        ]:
            with pytest.raises(BaseException, match=message):
                schedule.set_items(session, slot, week.item_specs(raw), default_tz=TZ, now=NOW)


def test_week_view_shows_no_airing_before_the_slot_existed(ctx) -> None:
    """A daily slot made on Thursday 10:00 has no Monday–Wednesday airings, nor Thursday 06:00."""
    created = dt.datetime(2025, 1, 9, 10, 0, tzinfo=VN).astimezone(dt.timezone.utc)
    with ctx.session() as session:
        b = approved(session)
        slot = schedule.add_slot(session, items=items(b), default_tz=TZ, daily="06:00", now=created)
        later = schedule.add_slot(session, items=items(b), default_tz=TZ, daily="17:00", now=created,
                                  starts_on=dt.date(2025, 1, 11), name="Buổi chiều")
        # An entry the log holds for a day before (an imported log): what the log says still shows.
        session.add(EvidenceEntry(occurrence_key=f"slot-{slot.id}@2025-01-07", status="completed",
                                  prev_hash="0" * 64, hash="b" * 64))
        assert later.id
    with ctx.session() as session:
        view = week.week_view(session, TZ, dt.date(2025, 1, 6), today=dt.date(2025, 1, 9))
        by_day = {d.date.day: [(o.at_local.strftime("%H:%M"), o.state_label) for o in d.occurrences]
                  for d in view.days}
        assert by_day[6] == [] and by_day[8] == [], by_day
        assert [s for _, s in by_day[7]] == ["Đã phát"], by_day
        assert by_day[9] == [], "06:00 hôm tạo lịch (10:00) chưa từng được lên lịch"
        assert [t for t, _ in by_day[10]] == ["06:00"], by_day
        assert [t for t, _ in by_day[11]] == ["06:00", "17:00"], by_day


def test_the_week_counts_the_priority_heads_of_the_next_day_as_the_rundown_does(ctx) -> None:
    """The week said 1 minute 20 for a 06:00 that the rundown (and the air) made 2 minutes 52:
    an airing within the next day shows the priority bulletins likely to lead it, in its items
    and in its length, as its slot's rundown counts them; later ones and the past do not."""
    now = dt.datetime.now(dt.timezone.utc)
    soon = (now + dt.timedelta(hours=2)).astimezone(VN)
    with ctx.session() as session:
        a = approved(session, "Tin một", "A" * 140)
        slot = schedule.add_slot(session, items=items(a), default_tz=TZ, daily=soon.strftime("%H:%M"),
                                 now=now - dt.timedelta(days=1))
        urgent = bulletins.add_bulletin(session, title="Lịch cắt điện", body="D" * 140, priority="priority")
        bulletins.transition(session, urgent, "approve", None)
        session.flush()
        found = week.occurrences_in(session, TZ, now, now + dt.timedelta(days=3))
        first, later = found[0], found[-1]
        assert first.at_utc <= now + dt.timedelta(hours=3)
        assert [h.title for h in first.heads] == ["Lịch cắt điện"], first.heads
        assert first.estimated_seconds == pytest.approx(
            week.rundown(session, slot, default_tz=TZ, now=now).total_seconds, abs=0.01)
        assert first.as_dict()["heads"] == [{"title": "Lịch cắt điện", "bulletin_id": urgent.id}]
        assert later.heads == () and later.estimated_seconds < first.estimated_seconds, later


def test_the_conflict_check_counts_the_priority_notice_leading_the_other_airing(ctx) -> None:
    """06:00's next airing will be led by a fresh priority notice (read twice, about two minutes):
    a 06:02 slot overlaps what will really air, although 06:00 alone ends at 06:00:40."""
    with ctx.session() as session:
        short = approved(session, "Tin ngắn", "Bà con chú ý.")
        morning = schedule.add_slot(session, items=items(short), default_tz=TZ, daily="06:00", now=NOW,
                                    name="Bản tin sáng", greeting=False)
        assert schedule.slot_estimated_seconds(morning) < 60
        quiet = week.check_slot(session, default_tz=TZ, now=NOW, items=items(short), daily="06:02")
        assert not quiet.conflicts, quiet.conflicts
        notice = bulletins.add_bulletin(session, title="Lịch cắt điện", priority="priority",
                                        body="Điện lực thông báo lịch cắt điện để bảo dưỡng lưới. " * 20)
        bulletins.transition(session, notice, "approve", None)
        notice.approved_at = NOW - dt.timedelta(hours=1)
        session.flush()
        led = week.check_slot(session, default_tz=TZ, now=NOW, items=items(short), daily="06:02")
        assert led.conflicts and "Bản tin sáng" in led.conflicts[0], led
        assert not led.ok
