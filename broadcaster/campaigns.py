"""Campaigns: a plan from above carried out on air, with themes, a period, a peak and targets.

The planned coverage below answers the question an editor asks before the campaign starts ("will
the schedule meet the target every day?"); what actually aired is the reports' job.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcaster import schedule
from broadcaster.errors import DuplicateError, NotFoundError, ValidationError
from broadcaster.local_days import days_bounds
from broadcaster.models import Bulletin, Campaign, CampaignZoneTarget, Slot, Zone
from broadcaster.names import clean_name, find_by_name

logger = logging.getLogger(__name__)

MAX_NAME = 200
MAX_THEME = 2000
MAX_TARGET_PER_DAY = 20
MAX_DAYS = 366
MAX_THEMES = 20
MAX_THEME_NAME = 300
MAX_WEEKLY_AIRINGS = 200
MAX_WEEKLY_MINUTES = 5000

#: Fields of a campaign a form or the CLI may set (``add_campaign`` / ``update_campaign``).
FIELDS = (
    "name", "starts_on", "ends_on", "target_per_day", "theme", "intro_jingle", "outro_jingle",
    "doc_number", "doc_date", "doc_issuer", "doc_title", "themes", "target_per_week",
    "target_minutes_per_week", "peak_starts_on", "peak_ends_on", "peak_target_per_day",
)


def parse_themes(text: str | Sequence[str] | None) -> list[str]:
    """Themes typed one per line (or given as a list): trimmed, blanks and repeats dropped."""
    lines = text.splitlines() if isinstance(text, str) else list(text or [])
    themes: list[str] = []
    for line in lines:
        theme = " ".join(str(line).split()).lstrip("-•+* ").strip()
        if theme and theme.casefold() not in {t.casefold() for t in themes}:
            themes.append(theme)
    return themes


def _count(value: object, label: str, low: int, high: int) -> int:
    try:
        number: int = int(value)  # type: ignore[call-overload]  # value is whatever the form or CLI gave
    except (TypeError, ValueError):
        raise ValidationError(f"{label} phải là số nguyên") from None
    if not low <= number <= high:
        raise ValidationError(f"{label} phải từ {low} đến {high}")
    return number


def _clean(session: Session, values: dict[str, Any], campaign: Campaign | None) -> dict[str, Any]:
    """Every rule a campaign must keep, for a new one and an edited one alike."""
    name = clean_name(values.get("name"), "Tên chiến dịch", max_length=MAX_NAME)
    theme = (values.get("theme") or "").strip()
    if len(theme) > MAX_THEME:
        raise ValidationError(f"Chủ đề quá dài ({len(theme)} ký tự, tối đa {MAX_THEME})")
    starts_on, ends_on = values.get("starts_on"), values.get("ends_on")
    if not isinstance(starts_on, dt.date) or not isinstance(ends_on, dt.date):
        raise ValidationError("Nhập ngày bắt đầu và ngày kết thúc chiến dịch")
    if ends_on < starts_on:
        raise ValidationError("Ngày kết thúc chiến dịch phải sau ngày bắt đầu")
    if (ends_on - starts_on).days + 1 > MAX_DAYS:
        raise ValidationError(f"Chiến dịch dài tối đa {MAX_DAYS} ngày")
    target_per_day = values.get("target_per_day", 1)
    if not isinstance(target_per_day, int) or not 1 <= target_per_day <= MAX_TARGET_PER_DAY:
        raise ValidationError(f"Số lần phát mỗi ngày phải từ 1 đến {MAX_TARGET_PER_DAY}")
    themes = parse_themes(values.get("themes"))
    if len(themes) > MAX_THEMES:
        raise ValidationError(f"Tối đa {MAX_THEMES} chủ đề nội dung cho một chiến dịch")
    for item in themes:
        if len(item) > MAX_THEME_NAME:
            raise ValidationError(f"Chủ đề “{item[:40]}…” quá dài (tối đa {MAX_THEME_NAME} ký tự)")
    weekly = values.get("target_per_week")
    weekly = target_per_day * 7 if weekly in (None, "") else _count(
        weekly, "Chỉ tiêu số lần phát mỗi tuần", 0, MAX_WEEKLY_AIRINGS)
    minutes = _count(values.get("target_minutes_per_week") or 0, "Chỉ tiêu số phút phát mỗi tuần",
                     0, MAX_WEEKLY_MINUTES)
    if weekly == 0 and minutes == 0:
        raise ValidationError("Cần ít nhất một chỉ tiêu mỗi tuần: số lần phát hoặc số phút phát")
    peak_from, peak_until = values.get("peak_starts_on"), values.get("peak_ends_on")
    peak_target = _count(values.get("peak_target_per_day") or 0, "Chỉ tiêu số lần phát mỗi ngày cao điểm",
                         0, MAX_TARGET_PER_DAY)
    if peak_from or peak_until:
        peak_from = peak_from or peak_until
        peak_until = peak_until or peak_from
        assert peak_from is not None and peak_until is not None  # one of them was given
        if peak_until < peak_from:
            raise ValidationError("Ngày kết thúc đợt cao điểm phải sau ngày bắt đầu")
        if peak_from < starts_on or peak_until > ends_on:
            raise ValidationError(
                f"Đợt cao điểm ({peak_from:%d/%m/%Y}–{peak_until:%d/%m/%Y}) phải nằm trong thời gian "
                f"chiến dịch ({starts_on:%d/%m/%Y}–{ends_on:%d/%m/%Y})"
            )
        if peak_target == 0:
            raise ValidationError("Nhập chỉ tiêu số lần phát mỗi ngày cho đợt cao điểm")
    elif peak_target:
        raise ValidationError("Chỉ tiêu ngày cao điểm cần ngày bắt đầu và kết thúc đợt cao điểm")
    doc_number = " ".join((values.get("doc_number") or "").split())[:100]
    doc_issuer = " ".join((values.get("doc_issuer") or "").split())[:300]
    doc_title = (values.get("doc_title") or "").strip()
    if len(doc_title) > MAX_THEME:
        raise ValidationError(f"Trích yếu văn bản quá dài (tối đa {MAX_THEME} ký tự)")
    doc_date = values.get("doc_date")
    if doc_date is not None and not isinstance(doc_date, dt.date):
        raise ValidationError("Ngày ban hành văn bản không hợp lệ")
    clash = find_by_name(session, Campaign.name, name)
    if clash is not None and clash is not campaign:
        raise DuplicateError(f"Chiến dịch {name!r} đã tồn tại")
    return {
        "name": name, "theme": theme, "starts_on": starts_on, "ends_on": ends_on,
        "target_per_day": target_per_day, "themes": themes, "target_per_week": weekly,
        "target_minutes_per_week": minutes, "peak_starts_on": peak_from or None,
        "peak_ends_on": peak_until or None, "peak_target_per_day": peak_target if peak_from else 0,
        "doc_number": doc_number, "doc_date": doc_date, "doc_issuer": doc_issuer, "doc_title": doc_title,
        "intro_jingle": values.get("intro_jingle") or None, "outro_jingle": values.get("outro_jingle") or None,
    }


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
    **plan: Any,
) -> Campaign:
    """Validate and store a campaign; names are unique so reports can be filtered by them.

    ``plan`` takes the source document (``doc_number``, ``doc_date``, ``doc_issuer``,
    ``doc_title``), ``themes``, the weekly targets and the peak (see ``FIELDS``).
    """
    unknown = set(plan) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown campaign fields: {sorted(unknown)}")
    values = _clean(session, dict(plan, name=name, starts_on=starts_on, ends_on=ends_on,
                                  target_per_day=target_per_day, theme=theme,
                                  intro_jingle=intro_jingle, outro_jingle=outro_jingle), None)
    campaign = Campaign(**values)
    session.add(campaign)
    session.flush()
    logger.info("đã tạo chiến dịch số %s", campaign.id)
    return campaign


def update_campaign(session: Session, campaign: Campaign, **changes: Any) -> Campaign:
    """Change a campaign with the same checks as a new one; fields not given keep their value.

    A rename reaches the evidence already written only through the reports' own rule (they show
    what aired under the old name too); the slots and bulletins follow the campaign's id.
    """
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown campaign fields: {sorted(unknown)}")
    current = {name: getattr(campaign, name) for name in FIELDS}
    values = _clean(session, dict(current, **changes), campaign)
    for name, value in values.items():
        setattr(campaign, name, value)
    session.flush()
    logger.info("đã sửa chiến dịch số %s", campaign.id)
    return campaign


def set_zone_target(session: Session, campaign: Campaign, zone_id: int,
                    airings_per_week: int | None, minutes_per_week: int | None = 0) -> None:
    """A zone's own weekly target; ``None`` airings removes it (the campaign's target applies)."""
    existing = {t.zone_id: t for t in campaign.zone_targets}
    if airings_per_week is None:
        if zone_id in existing:
            campaign.zone_targets.remove(existing[zone_id])
            session.flush()
        return
    if session.get(Zone, zone_id) is None:
        raise NotFoundError(f"Không có thôn/khu phố số {zone_id}")
    airings = _count(airings_per_week, "Chỉ tiêu số lần phát mỗi tuần của thôn", 0, MAX_WEEKLY_AIRINGS)
    minutes = _count(minutes_per_week or 0, "Chỉ tiêu số phút mỗi tuần của thôn", 0, MAX_WEEKLY_MINUTES)
    if airings == 0 and minutes == 0:
        raise ValidationError("Chỉ tiêu riêng của thôn cần số lần hoặc số phút phát mỗi tuần")
    target = existing.get(zone_id)
    if target is None:
        campaign.zone_targets.append(CampaignZoneTarget(zone_id=zone_id, airings_per_week=airings,
                                                        minutes_per_week=minutes))
    else:
        target.airings_per_week, target.minutes_per_week = airings, minutes
    session.flush()


def weekly_target(campaign: Campaign, zone_id: int | None) -> tuple[int, int]:
    """(airings, minutes) a week the zone must hear: its own target, else the campaign's."""
    for target in campaign.zone_targets:
        if target.zone_id == zone_id:
            return target.airings_per_week, target.minutes_per_week
    return campaign.target_per_week, campaign.target_minutes_per_week


def is_peak_day(campaign: Campaign, day: dt.date) -> bool:
    return bool(campaign.peak_starts_on and campaign.peak_ends_on
                and campaign.peak_starts_on <= day <= campaign.peak_ends_on)


#: Vietnamese document kinds by the code in their number (160/KH-SVHTTDL is a plan).
DOC_KINDS = {"KH": "Kế hoạch", "QĐ": "Quyết định", "CV": "Công văn", "NQ": "Nghị quyết", "CT": "Chỉ thị",
             "HD": "Hướng dẫn", "TB": "Thông báo", "BC": "Báo cáo", "CTr": "Chương trình"}
_NUMBER_RE = re.compile(r"(?:số\s+)?(\d+[\w.]*/[\wĐđ/.-]+)", re.IGNORECASE)
_DATE_RE = re.compile(r"ngày\s+(\d{1,2}/\d{1,2}/\d{4})", re.IGNORECASE)
_ISSUER_RE = re.compile(r"\bcủa\s+(.+?)(?:\s+(?:về|v/v)\s+|$)", re.IGNORECASE)
_ABOUT_RE = re.compile(r"\s(?:về|v/v)\s+(.+)$", re.IGNORECASE)


def parse_document(text: str) -> dict[str, Any]:
    """'Kế hoạch số 160/KH-SVHTTDL ngày 18/8/2025 của Sở VHTTDL tỉnh về ...' → its fields.

    What cannot be recognised is kept whole as the title, so nothing typed is lost.
    """
    text = " ".join((text or "").split())
    fields: dict[str, Any] = {"doc_number": "", "doc_date": None, "doc_issuer": "", "doc_title": ""}
    if not text:
        return fields
    number = _NUMBER_RE.search(text)
    if number is None:
        fields["doc_title"] = text
        return fields
    fields["doc_number"] = number.group(1).rstrip(".,;")
    date = _DATE_RE.search(text)
    if date:
        fields["doc_date"] = schedule.parse_date(date.group(1))
    issuer = _ISSUER_RE.search(text)
    if issuer:
        fields["doc_issuer"] = issuer.group(1).rstrip(".,;")
    about = _ABOUT_RE.search(text)
    if about:
        fields["doc_title"] = "về " + about.group(1).rstrip(".")
    return fields


def document_kind(number: str) -> str:
    code = (number.split("/", 1)[1] if "/" in number else "").split("-", 1)[0]
    return DOC_KINDS.get(code, DOC_KINDS.get(code.upper(), "Văn bản"))


def source_document(campaign: Campaign) -> str:
    """'Kế hoạch số 160/KH-SVHTTDL ngày 18/8/2025 của Sở VHTTDL tỉnh về ...' (empty if none)."""
    if not campaign.doc_number:
        return campaign.doc_title or ""
    parts = [f"{document_kind(campaign.doc_number)} số {campaign.doc_number}"]
    if campaign.doc_date:
        parts.append(f"ngày {campaign.doc_date.day}/{campaign.doc_date.month}/{campaign.doc_date.year}")
    if campaign.doc_issuer:
        parts.append(f"của {campaign.doc_issuer}")
    if campaign.doc_title:
        title = campaign.doc_title
        parts.append(title if title.lower().startswith(("về ", "v/v ")) else f"về {title[0].lower()}{title[1:]}")
    return " ".join(parts)


def campaigns_of_slot(slot: Slot) -> list[Campaign]:
    """The campaigns a slot serves: its own tag, then its bulletins' campaigns."""
    found: list[Campaign] = []
    if slot.campaign is not None:
        found.append(slot.campaign)
    for item in slot.items:
        campaign = item.bulletin.campaign if item.kind == "bulletin" and item.bulletin is not None else None
        if campaign is not None and campaign not in found:
            found.append(campaign)
    return found


def campaign_of_slot(slot: Slot) -> str:
    """The campaign name an airing of ``slot`` is recorded under in the evidence ("" if none)."""
    found = campaigns_of_slot(slot)
    return found[0].name if found else ""


def slot_period_warnings(slot: Slot, default_tz: str, today: dt.date | None = None) -> list[str]:
    """Why a slot airs outside the period of a campaign it serves (empty when it does not).

    A daily slot without a start date starts ``today`` (local); one without an end date runs on
    after any campaign ends, which is worth a warning: the campaign's message would keep airing.
    """
    tz = ZoneInfo(slot.timezone or default_tz)
    today = today or dt.datetime.now(tz).date()
    warnings: list[str] = []
    for campaign in campaigns_of_slot(slot):
        period = f"{campaign.starts_on:%d/%m/%Y}–{campaign.ends_on:%d/%m/%Y}"
        if slot.kind == "once":
            if slot.at_utc is None:
                continue
            day = slot.at_utc.astimezone(tz).date()
            if not campaign.starts_on <= day <= campaign.ends_on:
                warnings.append(f"Buổi phát ngày {day:%d/%m/%Y} nằm ngoài thời gian chiến dịch "
                                f"“{campaign.name}” ({period})")
            continue
        first, last = slot.starts_on or today, slot.ends_on
        if first < campaign.starts_on:
            warnings.append(f"Lịch phát hằng ngày từ {first:%d/%m/%Y}, trước khi chiến dịch "
                            f"“{campaign.name}” bắt đầu ({period})")
        if last is None or last > campaign.ends_on:
            end = f"đến {last:%d/%m/%Y}" if last else "không có ngày kết thúc"
            warnings.append(f"Lịch phát hằng ngày {end}, còn phát sau khi chiến dịch “{campaign.name}” "
                            f"kết thúc ({period})")
    return warnings


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
