"""What the reports are made of: filtered entries, summaries, minutes per day.

Campaign coverage is in :mod:`broadcaster.reports.coverage`.

The web panel and the CLI call these same functions, so a number on the screen and the number in
the filed PDF come from one place. Entries are read as Core rows (attribute access like the ORM
entity, several times faster on 100,000 rows); every function here only reads.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import Text, func, select, type_coerce
from sqlalchemy.orm import Session

from broadcaster import schedule
from broadcaster.errors import ValidationError
from broadcaster.evidence import CONTENT_FIELDS, STATUS_LABELS
from broadcaster.local_days import day_bounds
from broadcaster.models import EVIDENCE_STATUSES, EvidenceEntry
from broadcaster.reports.receiver_rows import is_receiver_airing

logger = logging.getLogger(__name__)

AIRED = frozenset({"completed", "interrupted"})
PROBLEMS = frozenset({"missed", "failed", "interrupted"})
WHOLE_COMMUNE = "Toàn xã"
NO_CATEGORY = "(không có chuyên mục)"
NO_CAMPAIGN = "(ngoài chiến dịch)"


def parse_date(text: str | None) -> dt.date | None:
    """A day as YYYY-MM-DD or dd/mm/yyyy (how the office writes it); None for empty."""
    if text is None or not str(text).strip():
        return None
    return schedule.parse_date(str(text))


@dataclass
class Filters:
    """The panel's and the CLI's filters; dates are local station days, both ends included."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    category: str | None = None
    campaign: str | None = None
    zone: str | None = None
    status: str | None = None

    def __post_init__(self) -> None:
        if self.status and self.status not in EVIDENCE_STATUSES:
            raise ValidationError(
                f"Trạng thái không hợp lệ: {self.status!r} (chọn {', '.join(EVIDENCE_STATUSES)})"
            )
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValidationError("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc")

    @property
    def is_empty(self) -> bool:
        return not any((self.date_from, self.date_to, self.category, self.campaign, self.zone, self.status))

    def describe(self) -> str:
        """The filters as one Vietnamese line for report headers."""
        parts = []
        if self.category:
            parts.append(f"chuyên mục {self.category}")
        if self.campaign:
            parts.append(f"chiến dịch {self.campaign}")
        if self.zone:
            parts.append(f"khu vực {self.zone}")
        if self.status:
            parts.append(f"trạng thái {STATUS_LABELS.get(self.status, self.status)}")
        return "; ".join(parts)


def when_column() -> Any:
    """The instant an entry belongs to: when it was scheduled, else started, else recorded."""
    table = EvidenceEntry.__table__
    return func.coalesce(table.c.scheduled_at, table.c.started_at, table.c.recorded_at).label("when")


def entry_when(entry: Any) -> dt.datetime:
    when: dt.datetime = entry.scheduled_at or entry.started_at or entry.recorded_at
    return when


def zones_of(entry: Any) -> list[str]:
    """The zones an entry reached; an empty zone means the whole commune.

    What a village receiver aired reached its own village only, whatever the occurrence's zone.
    """
    if is_receiver_airing(entry):
        return [entry.receiver_zone]
    names = [part.strip() for part in (entry.zone or "").split(",") if part.strip()]
    return names or [WHOLE_COMMUNE]


def _entries_query(filters: Filters, tz: str, columns: Sequence[Any]) -> Any:
    """The filtered selection of ``columns``, oldest first (zone is narrowed again in Python)."""
    table = EvidenceEntry.__table__
    when = func.coalesce(table.c.scheduled_at, table.c.started_at, table.c.recorded_at)
    query = select(*columns).order_by(table.c.id)
    if filters.date_from:
        query = query.where(when >= day_bounds(filters.date_from, tz)[0])
    if filters.date_to:
        query = query.where(when < day_bounds(filters.date_to, tz)[1])
    if filters.category:
        query = query.where(table.c.category == filters.category)
    if filters.campaign:
        query = query.where(table.c.campaign == filters.campaign)
    if filters.status:
        query = query.where(table.c.status == filters.status)
    if filters.zone:
        query = query.where(table.c.zone.contains(filters.zone.strip()) | (table.c.zone == ""))
    return query


def _zone_filtered(rows: list[Any], filters: Filters) -> list[Any]:
    """Keep entries that reached the filter's zone exactly (or the whole commune)."""
    if not filters.zone:
        return rows
    wanted = filters.zone.strip().casefold()
    return [r for r in rows if any(z.casefold() == wanted for z in zones_of(r)) or (r.zone or "") == ""]


def select_entries(session: Session, filters: Filters, tz: str) -> list[Any]:
    """Entries matching the filters, oldest first, as rows with the entry's attributes."""
    table = EvidenceEntry.__table__
    return _zone_filtered(list(session.execute(_entries_query(filters, tz, [table]))), filters)


# Times and items as the database stores them: UTC text and JSON text.
STORED_TEXT = frozenset({"scheduled_at", "started_at", "ended_at", "recorded_at", "items"})
# The columns ``select_entry_texts`` gives, in this order (rows unpack like tuples).
TEXT_COLUMNS: tuple[str, ...] = CONTENT_FIELDS + ("prev_hash", "hash")


def select_entry_texts(session: Session, filters: Filters, tz: str) -> list[Any]:
    """Like ``select_entries``, but times and items come as the stored text, not decoded.

    For exports that only write them out again (CSV): decoding 100,000 rows' date-times and JSON
    through SQLAlchemy costs more than the whole rest of the export.
    """
    table = EvidenceEntry.__table__
    columns = [type_coerce(table.c[name], Text()).label(name) if name in STORED_TEXT else table.c[name]
               for name in TEXT_COLUMNS]
    return _zone_filtered(list(session.execute(_entries_query(filters, tz, columns))), filters)


def effective(entries: Sequence[Any]) -> list[Any]:
    """Entries as they count in totals: one that a later correction amends is replaced by it."""
    superseded = {(e.receiver if is_receiver_airing(e) else None, e.corrects_id)
                  for e in entries if e.corrects_id is not None}
    if not superseded:
        return list(entries)
    return [e for e in entries
            if ((e.receiver if is_receiver_airing(e) else None), e.id) not in superseded]


@dataclass
class GroupRow:
    """One line of a summary table."""

    key: str
    scheduled: int = 0  # entries (each scheduled airing leaves exactly one)
    aired: int = 0  # completed or interrupted
    minutes: float = 0.0
    missed: int = 0
    failed: int = 0
    interrupted: int = 0

    def add(self, entry: Any) -> None:
        self.scheduled += 1
        if entry.status in AIRED:
            self.aired += 1
        self.minutes += (entry.seconds_played or 0.0) / 60.0
        if entry.status == "missed":
            self.missed += 1
        elif entry.status == "failed":
            self.failed += 1
        elif entry.status == "interrupted":
            self.interrupted += 1


@dataclass
class Summary:
    total: GroupRow
    by_category: list[GroupRow]
    by_campaign: list[GroupRow]
    by_zone: list[GroupRow]
    by_status: list[GroupRow]
    problems: list[Any]  # missed, failed and interrupted entries, with their reasons
    corrections: int = 0

    def as_dict(self) -> dict[str, Any]:
        def rows(groups: Iterable[GroupRow]) -> list[dict[str, Any]]:
            return [dict(g.__dict__, minutes=round(g.minutes, 2)) for g in groups]

        return {
            "total": rows([self.total])[0],
            "by_category": rows(self.by_category),
            "by_campaign": rows(self.by_campaign),
            "by_zone": rows(self.by_zone),
            "by_status": rows(self.by_status),
            "problems": [
                {"id": e.id, "title": e.title, "status": e.status, "reason": e.reason,
                 "when": entry_when(e).isoformat() if entry_when(e) else None}
                for e in self.problems
            ],
            "corrections": self.corrections,
        }


def _grouped(entries: Iterable[Any], keys: Any) -> list[GroupRow]:
    groups: dict[str, GroupRow] = {}
    for entry in entries:
        for key in keys(entry):
            groups.setdefault(key, GroupRow(key)).add(entry)
    return sorted(groups.values(), key=lambda g: (-g.scheduled, g.key))


def summarize(entries: Sequence[Any]) -> Summary:
    """Airings and minutes by category, campaign, zone and status; what was missed or failed."""
    counted = effective(entries)
    total = GroupRow("Tổng cộng")
    for entry in counted:
        total.add(entry)
    by_status = _grouped(counted, lambda e: [e.status])
    order = {status: index for index, status in enumerate(EVIDENCE_STATUSES)}
    by_status.sort(key=lambda g: order.get(g.key, 99))
    return Summary(
        total=total,
        by_category=_grouped(counted, lambda e: [e.category or NO_CATEGORY]),
        by_campaign=_grouped(counted, lambda e: [e.campaign or NO_CAMPAIGN]),
        by_zone=_grouped(counted, zones_of),
        by_status=by_status,
        problems=[e for e in counted if e.status in PROBLEMS],
        corrections=sum(1 for e in entries if e.corrects_id is not None),
    )


@dataclass
class ReceiverSummary:
    """What the village receivers aired in the period, box by box, and what failed there."""

    by_box: list[GroupRow]
    problems: list[Any]

    @property
    def total(self) -> GroupRow:
        total = GroupRow("Tổng cộng")
        for g in self.by_box:
            for name in ("scheduled", "aired", "minutes", "missed", "failed", "interrupted"):
                setattr(total, name, getattr(total, name) + getattr(g, name))
        return total


def box_label(airing: Any) -> str:
    """How a report names a box: its name and the village where it stands."""
    return f"{airing.receiver} ({airing.receiver_zone})"


def summarize_receivers(airings: Sequence[Any]) -> ReceiverSummary:
    """Airings, minutes and failures per box (``ReceiverAiring`` rows)."""
    counted = effective(airings)
    return ReceiverSummary(by_box=sorted(_grouped(counted, lambda e: [box_label(e)]), key=lambda g: g.key),
                           problems=[e for e in counted if e.status in PROBLEMS])


def daily_minutes(entries: Sequence[Any], tz: str) -> dict[dt.date, dict[str, float]]:
    """Minutes aired per local day per category (for the report's chart); days in order."""
    zone = ZoneInfo(tz)
    days: dict[dt.date, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for entry in effective(entries):
        when = entry_when(entry)
        if when is None or not entry.seconds_played:
            continue
        days[when.astimezone(zone).date()][entry.category or NO_CATEGORY] += entry.seconds_played / 60.0
    return {day: dict(days[day]) for day in sorted(days)}
