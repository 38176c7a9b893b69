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
        slot = week.save_slot(session, default_tz=TZ, now=NOW, items=items(b), daily="23:00",
                              accept_warnings=True)
        assert slot.id and slot.kind == "daily"


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
