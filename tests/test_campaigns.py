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
