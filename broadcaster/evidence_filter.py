"""A page of the evidence log under the reports' filters, newest first.

The reports (:mod:`broadcaster.reports.query`) select *every* matching entry, oldest first, to
summarise and export them. The panel's ``/logs`` page and the API's ``GET /evidence`` need one
page of a log that may hold hundreds of thousands of entries; this module gives that page with
the same :class:`~broadcaster.reports.query.Filters` and the same meaning of each filter (the
day an entry belongs to, and "a zone" including commune-wide airings), done in SQL, fetching
``limit + 1`` rows so that "is there a next page" costs no count over the whole log.
"""
from __future__ import annotations

import logging
from typing import Any, Mapping, Sequence

from sqlalchemy import (
    Select,
    and_,
    bindparam,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from broadcaster.db import plain_rows
from broadcaster.errors import ValidationError
from broadcaster.local_days import day_bounds
from broadcaster.models import Campaign, EvidenceEntry, Zone
from broadcaster.reports.query import Filters, parse_date

logger = logging.getLogger(__name__)

MAX_TEXT = 200
ZONE_SEPARATOR = ", "  # how the station joins a slot's zones in an entry


def _text(args: Mapping[str, str], key: str) -> str | None:
    value = (args.get(key) or "").strip()
    if len(value) > MAX_TEXT:
        raise ValidationError(f"Bộ lọc '{key}' quá dài (tối đa {MAX_TEXT} ký tự)")
    return value or None


def filters_from_args(args: Mapping[str, str], *, own_zone: str | None = None) -> Filters:
    """Request arguments ``from``, ``to``, ``status``, ``category``, ``campaign``, ``zone``.

    ``own_zone`` (a village head's zone) replaces any zone asked for: such a user reads only the
    airings that reached the own zone.
    """
    return Filters(
        date_from=parse_date(args.get("from")),
        date_to=parse_date(args.get("to")),
        category=_text(args, "category"),
        campaign=_text(args, "campaign"),
        zone=own_zone if own_zone is not None else _text(args, "zone"),
        status=_text(args, "status"),
    )


def as_query(filters: Filters, *, include_zone: bool = True) -> dict[str, str]:
    """The filters as URL parameters (page links, export links)."""
    values = {
        "from": filters.date_from.isoformat() if filters.date_from else "",
        "to": filters.date_to.isoformat() if filters.date_to else "",
        "status": filters.status or "",
        "category": filters.category or "",
        "campaign": filters.campaign or "",
        "zone": (filters.zone or "") if include_zone else "",
    }
    return {key: value for key, value in values.items() if value}


def _shape(filters: Filters) -> tuple[bool, bool, bool, bool, bool, bool]:
    """Which filters are set: the key of the statements kept per combination."""
    return (bool(filters.date_from), bool(filters.date_to), bool(filters.status),
            bool(filters.category), bool(filters.campaign), bool(filters.zone))


def _terms(date_from: bool, date_to: bool, status: bool, category: bool, campaign: bool,
           zone: bool) -> tuple[list[Any], list[Any], list[Any]]:
    """The filters' meaning, every value a parameter (:func:`_values` gives them): the terms
    other than the period, then the period as two exclusive halves — scheduled entries, and the
    unscheduled others by when they started (else were recorded).

    The period is written so the database can use the index on ``scheduled_at`` for the usual
    case of a scheduled entry (the reports' single ``coalesce`` would scan the whole log). A zone
    is reached by an entry aimed at it (whole names only) or commune-wide.
    """
    others: list[Any] = [column == bindparam(name) for column, name, on in (
        (EvidenceEntry.status, "status", status), (EvidenceEntry.category, "category", category),
        (EvidenceEntry.campaign, "campaign", campaign)) if on]
    if zone:
        column = EvidenceEntry.zone
        others.append(or_(column == "", column == bindparam("zone"),
                          *(column.like(bindparam(name), escape=_LIKE_ESCAPE)
                            for name in ("zone_first", "zone_last", "zone_within"))))
    scheduled = EvidenceEntry.scheduled_at
    fallback = func.coalesce(EvidenceEntry.started_at, EvidenceEntry.recorded_at)
    scheduled_terms: list[Any] = [scheduled.is_not(None)]
    fallback_terms: list[Any] = [scheduled.is_(None)]
    if date_from:
        scheduled_terms.append(scheduled >= bindparam("start"))
        fallback_terms.append(fallback >= bindparam("start"))
    if date_to:
        scheduled_terms.append(scheduled < bindparam("end"))
        fallback_terms.append(fallback < bindparam("end"))
    return others, scheduled_terms, fallback_terms


def query(filters: Filters, tz: str) -> Select[EvidenceEntry]:
    """Matching entries, newest first (log order)."""
    shape = _shape(filters)
    others, scheduled_terms, fallback_terms = _terms(*shape)
    if filters.date_from or filters.date_to:
        others.append(or_(and_(*scheduled_terms), and_(*fallback_terms)))
    values = {k: v for k, v in _values(filters, tz).items() if v is not None}
    return (select(EvidenceEntry).where(*others).order_by(EvidenceEntry.id.desc())
            .params(values))


#: What a list of entries shows; ``shown_at`` is the time an entry belongs to (scheduled, else
#: started, else recorded).
SUMMARY_COLUMNS = (
    EvidenceEntry.id, EvidenceEntry.title, EvidenceEntry.category, EvidenceEntry.campaign,
    EvidenceEntry.status, EvidenceEntry.reason, EvidenceEntry.seconds_played, EvidenceEntry.zone,
    EvidenceEntry.aircheck_sha256,
    func.coalesce(EvidenceEntry.scheduled_at, EvidenceEntry.started_at,
                  EvidenceEntry.recorded_at).label("shown_at"),
)


def summary_page(session: Session, filters: Filters, tz: str, *, limit: int,
                 offset: int = 0) -> tuple[Sequence[Any], bool]:
    """Like :func:`page`, but plain rows of :data:`SUMMARY_COLUMNS` for a list on screen.

    Why: an entry in full carries its items (JSON), hashes and four instants; building fifty
    ORM objects from all that cost more than the query itself on the panel's ``/logs`` page.
    Under a period the page's ids are chosen first, from the indexes alone (category + period:
    the index on both), and only those rows are read: sorting a year of one category's entries
    with all their columns cost 8–10 ms, the ids 1–2 ms. The statement is built once per
    combination of filters, with every value a parameter: composing it anew (the period's two
    halves, the zone's four patterns) cost the page more than running it.
    """
    shape = _shape(filters)
    stmt = _SUMMARY_PAGES.get(shape)
    if stmt is None:
        stmt = _SUMMARY_PAGES[shape] = _summary_statement(*shape)
    rows = plain_rows(session, stmt, dict(_values(filters, tz), limit=limit + 1, offset=offset))
    return rows[:limit], len(rows) > limit


_SUMMARY_PAGES: dict[tuple[bool, ...], Any] = {}
#: The escape character of the zone's LIKE patterns (as ``startswith(autoescape=True)`` uses).
_LIKE_ESCAPE = "/"


def _like_literal(text: str) -> str:
    return (text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2).replace("%", _LIKE_ESCAPE + "%")
            .replace("_", _LIKE_ESCAPE + "_"))


def _values(filters: Filters, tz: str) -> dict[str, Any]:
    """The parameters of :func:`_terms` for these filters."""
    values: dict[str, Any] = {"status": filters.status, "category": filters.category,
                              "campaign": filters.campaign}
    if filters.date_from:
        values["start"] = day_bounds(filters.date_from, tz)[0]
    if filters.date_to:
        values["end"] = day_bounds(filters.date_to, tz)[1]
    if filters.zone:
        name = filters.zone.strip()
        literal = _like_literal(name)
        values.update(zone=name, zone_first=literal + _like_literal(ZONE_SEPARATOR) + "%",
                      zone_last="%" + _like_literal(ZONE_SEPARATOR) + literal,
                      zone_within="%" + _like_literal(ZONE_SEPARATOR + name + ZONE_SEPARATOR) + "%")
    return values


def _summary_statement(date_from: bool, date_to: bool, status: bool, category: bool,
                       campaign: bool, zone: bool) -> Any:
    """:func:`summary_page`'s statement for one combination of filters, values as parameters."""
    others, scheduled_terms, fallback_terms = _terms(date_from, date_to, status, category,
                                                     campaign, zone)
    limit: Any = bindparam("limit")
    offset: Any = bindparam("offset")
    if not (date_from or date_to):
        return (select(*SUMMARY_COLUMNS).where(*others).order_by(EvidenceEntry.id.desc())
                .limit(limit).offset(offset))
    # The scheduled and the unscheduled halves asked apart and joined: written as one ``OR``,
    # SQLite (without ``ANALYZE`` statistics, as on a station) used only the category of the
    # (category, scheduled_at) index and read every entry of the category.
    both = union_all(select(EvidenceEntry.id).where(*others, *scheduled_terms),
                     select(EvidenceEntry.id).where(*others, *fallback_terms)).subquery("period_ids")
    ids = select(both.c.id).order_by(both.c.id.desc()).limit(limit).offset(offset).scalar_subquery()
    return select(*SUMMARY_COLUMNS).where(EvidenceEntry.id.in_(ids)).order_by(EvidenceEntry.id.desc())


def filter_choices(session: Session, *, zones: bool = True) -> tuple[list[str], list[str]]:
    """The filter form's choices: campaign names (newest first) and zone names (by name).

    One statement for both, as the log page asks it on every view: each statement costs a
    page about as much as the rows it returns.
    """
    stmt = _CHOICES.get(zones)
    if stmt is None:  # built once: composing it anew cost more than running it
        parts: list[Any] = [select(literal_column("0").label("kind"), Campaign.name.label("name"),
                        Campaign.starts_on.label("k1"), Campaign.id.label("k2"))]
        if zones:
            parts.append(select(literal_column("1"), Zone.name, null(), literal_column("0")))
        both = union_all(*parts).subquery("choices")  # named: an anonymous one costs an os.urandom
        stmt = _CHOICES[zones] = select(both.c.kind, both.c.name).order_by(
            both.c.kind, both.c.k1.desc(), both.c.k2.desc(), both.c.name)
    rows = plain_rows(session, stmt)
    return [name for kind, name in rows if kind == 0], [name for kind, name in rows if kind == 1]


_CHOICES: dict[bool, Any] = {}


def page(session: Session, filters: Filters, tz: str, *, limit: int,
         offset: int = 0) -> tuple[Sequence[EvidenceEntry], bool]:
    """One page of entries and whether another page follows."""
    rows = session.scalars(query(filters, tz).limit(limit + 1).offset(offset)).all()
    return rows[:limit], len(rows) > limit


def get_visible(session: Session, entry_id: int, tz: str, *, own_zone: str | None) -> EvidenceEntry | None:
    """One entry, or None when it does not exist or (for a village head) did not reach the zone."""
    stmt = query(Filters(zone=own_zone), tz).where(EvidenceEntry.id == entry_id)
    return session.scalars(stmt).first()
