"""Campaigns: a theme aired over a period with a target number of airings per day.

The planned coverage below answers the question an editor asks before the campaign starts ("will
the schedule meet the target every day?"); what actually aired is the reports' job.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcaster import schedule
from broadcaster.errors import DuplicateError, NotFoundError, ValidationError
from broadcaster.local_days import days_bounds
from broadcaster.models import Bulletin, Campaign, Slot
from broadcaster.names import clean_name, find_by_name

logger = logging.getLogger(__name__)

MAX_NAME = 200
MAX_THEME = 2000
MAX_TARGET_PER_DAY = 20
MAX_DAYS = 366


def add_campaign(
    session: Session,
    *,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    target_per_day: int = 1,
    theme: str = "",
    intro_jingle: str | None = None,
    outro_jingle: str | None = None,
) -> Campaign:
    """Validate and store a campaign; names are unique so reports can be filtered by them."""
    name = clean_name(name, "Tên chiến dịch", max_length=MAX_NAME)
    theme = (theme or "").strip()
    if len(theme) > MAX_THEME:
        raise ValidationError(f"Chủ đề quá dài ({len(theme)} ký tự, tối đa {MAX_THEME})")
    if ends_on < starts_on:
        raise ValidationError("Ngày kết thúc chiến dịch phải sau ngày bắt đầu")
    if (ends_on - starts_on).days + 1 > MAX_DAYS:
        raise ValidationError(f"Chiến dịch dài tối đa {MAX_DAYS} ngày")
    if not 1 <= target_per_day <= MAX_TARGET_PER_DAY:
        raise ValidationError(f"Số lần phát mỗi ngày phải từ 1 đến {MAX_TARGET_PER_DAY}")
    if find_by_name(session, Campaign.name, name) is not None:
        raise DuplicateError(f"Chiến dịch {name!r} đã tồn tại")
    campaign = Campaign(
        name=name,
        theme=theme,
        starts_on=starts_on,
        ends_on=ends_on,
        target_per_day=target_per_day,
        intro_jingle=intro_jingle or None,
        outro_jingle=outro_jingle or None,
    )
    session.add(campaign)
    session.flush()
    logger.info("đã tạo chiến dịch số %s", campaign.id)
    return campaign


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFoundError(f"Không có chiến dịch số {campaign_id}")
    return campaign


def list_campaigns(session: Session) -> Sequence[Campaign]:
    """Newest first: the running and upcoming campaigns are the ones people look for."""
    return session.scalars(select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.id.desc())).all()


def slot_serves_campaign(slot: Slot, campaign_id: int) -> bool:
    """A slot counts for a campaign when it is tagged with it or airs one of its bulletins."""
    if slot.campaign_id == campaign_id:
        return True
    return any(
        item.kind == "bulletin" and item.bulletin is not None and item.bulletin.campaign_id == campaign_id
        for item in slot.items
    )


@dataclass(frozen=True)
class Coverage:
    """Planned airings against the target over a campaign's days."""

    campaign_id: int
    target_per_day: int
    days: int
    planned: int
    days_short: tuple[dt.date, ...]

    @property
    def target(self) -> int:
        return self.target_per_day * self.days

    @property
    def met(self) -> bool:
        return not self.days_short


def planned_coverage(
    session: Session, campaign: Campaign, default_tz: str, *, today: dt.date | None = None
) -> Coverage:
    """Airings the active schedule plans per day of the campaign, from today (or its start) on."""
    tz = ZoneInfo(default_tz)
    first = max(campaign.starts_on, today) if today else campaign.starts_on
    if first > campaign.ends_on:
        return Coverage(campaign.id, campaign.target_per_day, 0, 0, ())
    start, end = days_bounds(first, campaign.ends_on, tz)
    slots = [s for s in schedule.active_slots(session) if slot_serves_campaign(s, campaign.id)]
    per_day: dict[dt.date, int] = {}
    for _, _, instant in schedule.next_occurrences(slots, default_tz, start, end):
        day = instant.astimezone(tz).date()
        per_day[day] = per_day.get(day, 0) + 1
    days = (campaign.ends_on - first).days + 1
    short = tuple(
        first + dt.timedelta(days=n)
        for n in range(days)
        if per_day.get(first + dt.timedelta(days=n), 0) < campaign.target_per_day
    )
    return Coverage(campaign.id, campaign.target_per_day, days, sum(per_day.values()), short)


def campaign_bulletin_count(session: Session, campaign_id: int) -> int:
    return session.scalar(
        select(func.count()).select_from(Bulletin).where(Bulletin.campaign_id == campaign_id)
    ) or 0
