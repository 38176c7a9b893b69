"""Campaigns and their planned coverage (broadcaster.campaigns)."""
from __future__ import annotations

import datetime as dt

import pytest

from broadcaster import bulletins, campaigns, schedule
from broadcaster.errors import DuplicateError, ValidationError

TZ = "Asia/Ho_Chi_Minh"
NOW = dt.datetime(2025, 1, 5, 17, 0, tzinfo=dt.timezone.utc)  # 00:00 06/01/2025 in Hà Nội


def test_add_and_validate(ctx) -> None:
    with ctx.session() as session:
        c = campaigns.add_campaign(session, name="Phòng chống sốt xuất huyết",
                                   starts_on=dt.date(2025, 1, 6), ends_on=dt.date(2025, 1, 12),
                                   target_per_day=2, theme="Diệt lăng quăng")
        assert c.id and campaigns.get_campaign(session, c.id).name.startswith("Phòng")
        with pytest.raises(DuplicateError, match="đã tồn tại"):
            campaigns.add_campaign(session, name="phòng chống sốt xuất huyết",
                                   starts_on=dt.date(2025, 1, 6), ends_on=dt.date(2025, 1, 7))
        for kwargs, message in [
            ({"name": " "}, "không được để trống"),
            ({"name": "A", "ends_on": dt.date(2025, 1, 1)}, "phải sau ngày bắt đầu"),
            ({"name": "B", "target_per_day": 0}, "từ 1 đến"),
            ({"name": "C", "ends_on": dt.date(2026, 6, 1)}, "tối đa 366"),
        ]:
            args = {"starts_on": dt.date(2025, 1, 6), "ends_on": dt.date(2025, 1, 7), **kwargs}
            with pytest.raises(ValidationError, match=message):
                campaigns.add_campaign(session, **args)
        assert [x.name for x in campaigns.list_campaigns(session)] == ["Phòng chống sốt xuất huyết"]


def test_planned_coverage_counts_tagged_slots_and_campaign_bulletins(ctx) -> None:
    with ctx.session() as session:
        c = campaigns.add_campaign(session, name="Tiêm chủng", starts_on=dt.date(2025, 1, 6),
                                   ends_on=dt.date(2025, 1, 12), target_per_day=2)
        b = bulletins.add_bulletin(session, title="Tiêm chủng mở rộng", body="Đưa trẻ đi tiêm.",
                                   campaign_id=c.id)
        bulletins.transition(session, b, "approve", None)
        other = bulletins.add_bulletin(session, title="Họp thôn", body="Họp lúc 19 giờ.")
        bulletins.transition(session, other, "approve", None)
        spec = [schedule.ItemSpec(kind="bulletin", bulletin_id=b.id)]
        schedule.add_slot(session, items=spec, default_tz=TZ, daily="06:00", now=NOW)
        short = campaigns.planned_coverage(session, c, TZ)
        assert short.days == 7 and short.planned == 7 and not short.met, short
        schedule.add_slot(session, items=[schedule.ItemSpec(kind="bulletin", bulletin_id=other.id)],
                          default_tz=TZ, daily="17:00", days="mon,tue,wed,thu,fri", now=NOW,
                          campaign_id=c.id)
        cov = campaigns.planned_coverage(session, c, TZ)
        assert cov.planned == 12 and cov.target == 14, cov
        assert cov.days_short == (dt.date(2025, 1, 11), dt.date(2025, 1, 12)), cov.days_short
        late = campaigns.planned_coverage(session, c, TZ, today=dt.date(2025, 1, 13))
        assert late.days == 0 and late.met


def test_an_airing_is_recorded_under_the_campaign_of_its_bulletins(ctx) -> None:
    """A slot not tagged with a campaign but airing its bulletin airs for the campaign: the
    station records that name (before, such airings had none and coverage read 'Chưa đạt')."""
    with ctx.session() as session:
        c = campaigns.add_campaign(session, name="Chuyển đổi số", starts_on=dt.date(2025, 1, 6),
                                   ends_on=dt.date(2025, 1, 12))
        b = bulletins.add_bulletin(session, title="Học kỹ năng số", body="Mời bà con.", campaign_id=c.id)
        bulletins.transition(session, b, "approve", None)
        plain = bulletins.add_bulletin(session, title="Họp thôn", body="Họp lúc 19 giờ.")
        bulletins.transition(session, plain, "approve", None)
        slot = schedule.add_slot(session, items=[schedule.ItemSpec(kind="bulletin", bulletin_id=plain.id),
                                                 schedule.ItemSpec(kind="bulletin", bulletin_id=b.id)],
                                 default_tz=TZ, daily="06:00", now=NOW)
        assert campaigns.campaign_of_slot(slot) == "Chuyển đổi số"
        assert campaigns.slot_period_warnings(slot, TZ, dt.date(2025, 1, 6)) == [
            "Lịch phát hằng ngày không có ngày kết thúc, còn phát sau khi chiến dịch “Chuyển đổi số” "
            "kết thúc (06/01/2025–12/01/2025)"]
        inside = schedule.add_slot(session, items=[schedule.ItemSpec(kind="bulletin", bulletin_id=b.id)],
                                   default_tz=TZ, daily="07:00", starts_on=dt.date(2025, 1, 6),
                                   ends_on=dt.date(2025, 1, 12), now=NOW)
        assert campaigns.slot_period_warnings(inside, TZ, dt.date(2025, 1, 6)) == []
        once = schedule.add_slot(session, items=[schedule.ItemSpec(kind="bulletin", bulletin_id=b.id)],
                                 default_tz=TZ, at_local="2025-01-20 08:00:00", now=NOW)
        assert campaigns.slot_period_warnings(once, TZ) == [
            "Buổi phát ngày 20/01/2025 nằm ngoài thời gian chiến dịch “Chuyển đổi số” (06/01/2025–12/01/2025)"]


def test_campaign_plan_fields_and_edit(ctx) -> None:
    with ctx.session() as session:
        c = campaigns.add_campaign(session, name="Nghị quyết 57", starts_on=dt.date(2025, 9, 1),
                                   ends_on=dt.date(2025, 12, 31),
                                   **campaigns.parse_document("Kế hoạch số 160/KH-SVHTTDL ngày 18/8/2025 của "
                                                              "Sở VHTTDL tỉnh về tuyên truyền Nghị quyết 57"),
                                   themes="Quan điểm\n- Bình dân học vụ số\nquan điểm\n")
        assert c.themes == ["Quan điểm", "Bình dân học vụ số"] and c.target_per_week == 7
        assert campaigns.source_document(c) == ("Kế hoạch số 160/KH-SVHTTDL ngày 18/8/2025 của Sở VHTTDL tỉnh "
                                                "về tuyên truyền Nghị quyết 57")
        campaigns.update_campaign(session, c, target_per_week=0, target_minutes_per_week=45,
                                  peak_starts_on=dt.date(2025, 10, 10), peak_target_per_day=3)
        assert (c.peak_starts_on, c.peak_ends_on) == (dt.date(2025, 10, 10), dt.date(2025, 10, 10))
        with pytest.raises(ValidationError, match="Cần ít nhất một chỉ tiêu"):
            campaigns.update_campaign(session, c, target_minutes_per_week=0)
        with pytest.raises(ValidationError, match="phải nằm trong thời gian"):
            campaigns.update_campaign(session, c, peak_starts_on=dt.date(2026, 1, 2), peak_ends_on=None)
