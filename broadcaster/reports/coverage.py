"""Campaign coverage from the evidence: per campaign × zone × week, against the targets.

What counts is what a zone *heard*: only ``completed`` airings, each once per zone. An entry with
no zone aired to the whole commune and counts for every zone; an entry naming zones counts for
each of them. The source does not matter: an entry a village receiver wrote (its ``receiver``
field names the box) counts in its zone like the commune's own output, and is also counted apart
so the office sees how much came through the receivers. The same slot airing at the same instant
in one zone from two sources (the commune's loudspeakers and a receiver) is one airing there.

Weeks run Monday to Sunday. A week cut by the campaign's period (or the report's dates) gets the
weekly target in proportion to its days, rounded up; the week still running is "in progress",
not "missed". Peak days (10/10) are judged day by day against their own target.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcaster.campaigns import is_peak_day, weekly_target
from broadcaster.models import Campaign, Slot, Zone
from broadcaster.reports.query import (
    WHOLE_COMMUNE,
    Filters,
    effective,
    entry_when,
    select_entries,
    zones_of,
)
from broadcaster.reports.receiver_rows import select_receiver_entries
from broadcaster.textsort import vietnamese_key

logger = logging.getLogger(__name__)

COUNTED = "completed"


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass
class WeekCell:
    """One zone's airings of one campaign in one week, against its (prorated) target."""

    zone: str
    week_start: dt.date
    first_day: dt.date  # the first and last days of the week counted (inside the period)
    last_day: dt.date
    target_airings: int
    target_minutes: int
    in_progress: bool = False
    airings: int = 0
    minutes: float = 0.0
    from_receivers: int = 0

    @property
    def met(self) -> bool:
        return self.airings >= self.target_airings and self.minutes + 1e-9 >= self.target_minutes

    @property
    def verdict(self) -> str:
        """'Đạt', 'Chưa đạt', or 'Đang diễn ra' for the week not over yet and not met so far."""
        if self.met:
            return "Đạt"
        return "Đang diễn ra" if self.in_progress else "Chưa đạt"

    def target_text(self) -> str:
        parts = []
        if self.target_airings:
            parts.append(f"{self.target_airings} lượt")
        if self.target_minutes:
            parts.append(f"{self.target_minutes} phút")
        return ", ".join(parts) or "—"

    def as_dict(self) -> dict[str, Any]:
        return {
            "zone": self.zone, "week": self.week_start.isoformat(), "from": self.first_day.isoformat(),
            "until": self.last_day.isoformat(), "airings": self.airings, "minutes": round(self.minutes, 2),
            "from_receivers": self.from_receivers, "target_airings": self.target_airings,
            "target_minutes": self.target_minutes, "met": self.met, "in_progress": self.in_progress,
            "verdict": self.verdict,
        }


@dataclass
class PeakCell:
    """One zone's airings on one peak day against the peak's own daily target."""

    zone: str
    day: dt.date
    target: int
    airings: int = 0
    minutes: float = 0.0
    from_receivers: int = 0

    @property
    def met(self) -> bool:
        return self.airings >= self.target

    def as_dict(self) -> dict[str, Any]:
        return {"zone": self.zone, "day": self.day.isoformat(), "airings": self.airings,
                "minutes": round(self.minutes, 2), "from_receivers": self.from_receivers,
                "target": self.target, "met": self.met}


@dataclass
class CampaignCoverage:
    campaign_id: int
    campaign: str
    starts_on: dt.date
    ends_on: dt.date
    zones: list[str]
    weeks: list[dt.date]
    cells: list[WeekCell] = field(default_factory=list)
    peak: list[PeakCell] = field(default_factory=list)

    @property
    def cells_met(self) -> int:
        return sum(1 for c in self.cells if c.met)

    @property
    def cells_judged(self) -> int:
        """Weeks × zones that are over (or already met): the ones a verdict can be given for."""
        return sum(1 for c in self.cells if c.met or not c.in_progress)

    def zone_totals(self) -> list[tuple[str, int, float, int]]:
        """(zone, airings, minutes, from receivers) over the whole period, in zone order."""
        totals = {z: [0, 0.0, 0] for z in self.zones}
        for cell in self.cells:
            row = totals[cell.zone]
            row[0] += cell.airings
            row[1] += cell.minutes
            row[2] += cell.from_receivers
        return [(z, int(v[0]), float(v[1]), int(v[2])) for z, v in totals.items()]

    def as_dict(self) -> dict[str, Any]:
        return {
            "campaign_id": self.campaign_id, "campaign": self.campaign,
            "starts_on": self.starts_on.isoformat(), "ends_on": self.ends_on.isoformat(),
            "zones": self.zones, "weeks": [w.isoformat() for w in self.weeks],
            "cells_met": self.cells_met, "cells_judged": self.cells_judged, "cells_total": len(self.cells),
            "cells": [c.as_dict() for c in self.cells], "peak": [p.as_dict() for p in self.peak],
        }


def _campaign_slots(session: Session, campaign_ids: Iterable[int]) -> dict[int, set[int]]:
    """campaign id → ids of the slots that serve it (tagged, or airing one of its bulletins).

    Used for entries written before the station recorded a slot's campaign from its bulletins.
    """
    wanted = set(campaign_ids)
    served: dict[int, set[int]] = {cid: set() for cid in wanted}
    for slot in session.scalars(select(Slot)):
        ids = {slot.campaign_id} if slot.campaign_id else set()
        ids |= {i.bulletin.campaign_id for i in slot.items
                if i.kind == "bulletin" and i.bulletin is not None and i.bulletin.campaign_id}
        for cid in ids & wanted:
            served[cid].add(slot.id)
    return served


def entries_of_campaign(entries: Sequence[Any], campaign: Campaign, slot_ids: set[int]) -> list[Any]:
    """The entries that aired under ``campaign``: by the recorded name, else by their slot."""
    name = campaign.name.casefold()
    return [e for e in entries
            if (e.campaign or "").casefold() == name or (not e.campaign and e.slot_id in slot_ids)]


def heard_in_zones(entries: Sequence[Any], zones: Sequence[str]) -> dict[str, list[Any]]:
    """zone → the completed entries heard there, one per (slot, instant) in each zone."""
    by_zone: dict[str, list[Any]] = {z: [] for z in zones}
    folded = {z.casefold(): z for z in zones}
    seen: set[tuple[str, Any]] = set()
    for entry in effective(entries):
        if entry.status != COUNTED:
            continue
        named = zones_of(entry)
        reached = list(zones) if named == [WHOLE_COMMUNE] else [folded[n.casefold()] for n in named
                                                                  if n.casefold() in folded]
        identity = ((entry.slot_id, entry.scheduled_at) if entry.slot_id is not None
                    else ("entry", getattr(entry, "receiver", None), entry.id))
        for zone in reached:
            if (zone, identity) in seen:
                continue
            seen.add((zone, identity))
            by_zone[zone].append(entry)
    return by_zone


def _is_receiver(entry: Any) -> bool:
    return bool(getattr(entry, "receiver", None))


def campaign_coverage(
    session: Session, filters: Filters, tz: str, entries: Sequence[Any] | None = None,
    today: dt.date | None = None, campaign_id: int | None = None,
    receiver_entries: Sequence[Any] | None = None,
) -> list[CampaignCoverage]:
    """Coverage of every campaign (or ``filters.campaign`` / ``campaign_id``) over its weeks.

    Days after ``today`` (local) are left out: a campaign cannot have missed a day not yet come.
    ``entries`` are the commune's own; what the village receivers aired in the period is added
    (``receiver_entries``, else read from their uploaded chains).
    """
    zone_info = ZoneInfo(tz)
    today = today or dt.datetime.now(zone_info).date()
    query = select(Campaign).order_by(Campaign.starts_on, Campaign.name)
    if campaign_id is not None:
        query = query.where(Campaign.id == campaign_id)
    elif filters.campaign:
        query = query.where(Campaign.name == filters.campaign)
    campaigns = list(session.scalars(query))
    if not campaigns:
        return []
    zone_rows = sorted(session.scalars(select(Zone)), key=lambda z: vietnamese_key(z.name))
    zone_ids = {z.name: z.id for z in zone_rows}
    zone_names = [z.name for z in zone_rows]
    if filters.zone:
        zone_names = [z for z in zone_names if z.casefold() == filters.zone.strip().casefold()] or [filters.zone]
    zone_names = zone_names or [WHOLE_COMMUNE]
    period = Filters(filters.date_from, filters.date_to)
    if entries is None:
        entries = select_entries(session, period, tz)
    if receiver_entries is None:
        receiver_entries = select_receiver_entries(session, period, tz)
    entries = [*entries, *receiver_entries]
    slots = _campaign_slots(session, [c.id for c in campaigns])
    result: list[CampaignCoverage] = []
    for campaign in campaigns:
        first = max(d for d in (campaign.starts_on, filters.date_from) if d)
        last = min(d for d in (campaign.ends_on, filters.date_to) if d)
        counted_until = min(last, today)
        weeks = []
        week = monday_of(first)
        while week <= counted_until:
            weeks.append(week)
            week += dt.timedelta(days=7)
        heard = heard_in_zones(entries_of_campaign(entries, campaign, slots[campaign.id]), zone_names)
        cells: list[WeekCell] = []
        peak: list[PeakCell] = []
        for zone in zone_names:
            airings_target, minutes_target = weekly_target(campaign, zone_ids.get(zone))
            by_week = {w: WeekCell(zone, w, max(w, first), min(w + dt.timedelta(days=6), last), 0, 0)
                       for w in weeks}
            for cell in by_week.values():
                share = ((cell.last_day - cell.first_day).days + 1) / 7
                cell.target_airings = math.ceil(airings_target * share - 1e-9)
                cell.target_minutes = math.ceil(minutes_target * share - 1e-9)
                cell.in_progress = cell.last_day > today
            peak_days = {}
            if campaign.peak_starts_on and campaign.peak_ends_on and campaign.peak_target_per_day:
                day = max(campaign.peak_starts_on, first)
                while day <= min(campaign.peak_ends_on, counted_until):
                    peak_days[day] = PeakCell(zone, day, campaign.peak_target_per_day)
                    day += dt.timedelta(days=1)
            for entry in heard[zone]:
                day = entry_when(entry).astimezone(zone_info).date()
                if not first <= day <= counted_until:
                    continue
                minutes = (entry.seconds_played or 0.0) / 60.0
                week_cell = by_week.get(monday_of(day))
                if week_cell is not None:
                    week_cell.airings += 1
                    week_cell.minutes += minutes
                    week_cell.from_receivers += _is_receiver(entry)
                if is_peak_day(campaign, day) and day in peak_days:
                    peak_days[day].airings += 1
                    peak_days[day].minutes += minutes
                    peak_days[day].from_receivers += _is_receiver(entry)
            cells.extend(by_week[w] for w in weeks)
            peak.extend(peak_days[d] for d in sorted(peak_days))
        cells.sort(key=lambda c: (c.week_start, zone_names.index(c.zone)))
        peak.sort(key=lambda p: (p.day, zone_names.index(p.zone)))
        result.append(CampaignCoverage(campaign.id, campaign.name, campaign.starts_on, campaign.ends_on,
                                       list(zone_names), weeks, cells, peak))
    return result
