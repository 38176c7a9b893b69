"""Priority heads: approved ``priority`` bulletins of the last day lead the next slot, once.

Stored as data (:class:`broadcaster.models.OccurrenceHead`, one row per bulletin claimed by an
occurrence), never parsed back from a note. The rules:

* a bulletin leads one slot only: one that aired it (``completed``), or one rendered with it that is
  still to air (so two slots rendered within the same lead do not both carry it); when that one
  fails, is missed or is cut off, the next slot takes it;
* zones: a commune-wide bulletin may lead any slot; a village-only bulletin leads only a slot that
  airs in its own zone and nowhere else (a notice for thôn Đông never plays in thôn Tây);
* it is within its validity dates on the occurrence's local day;
* the heads count in the slot's estimated length (:func:`head_seconds`), so the overrun and
  conflict checks see the program as it will air.

The caller owns the transaction: these functions read, or add rows, and never commit.
"""
from __future__ import annotations

import datetime as dt
from typing import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from broadcaster.models import Bulletin, Occurrence, OccurrenceHead, Slot

#: A priority bulletin stays eligible for a head this long after its approval.
ELIGIBLE_FOR = dt.timedelta(days=1)
#: Outside the station (estimates), how long an unaired claim holds: the station's default grace.
CLAIM_GRACE_S = 300.0
#: Occurrence states that still hold their claim (besides ``completed``).
UPCOMING = ("pending", "rendered", "playing")


def leads_zone(bulletin: Bulletin, slot: Slot) -> bool:
    """Whether ``bulletin`` may be heard wherever ``slot`` airs."""
    if bulletin.zone_id is None:
        return True
    zone_ids = {zone.id for zone in slot.zones}
    return zone_ids == {bulletin.zone_id}


def _claimed(session: Session, now: dt.datetime, grace_s: float,
             except_slot: int | None, except_date: dt.date | None) -> set[int]:
    query = (
        select(OccurrenceHead.bulletin_id)
        .join(Occurrence, Occurrence.id == OccurrenceHead.occurrence_id)
        .where((Occurrence.state == "completed")
               | (Occurrence.state.in_(UPCOMING)
                  & (Occurrence.scheduled_at >= now - dt.timedelta(seconds=grace_s))))
    )
    if except_slot is not None:
        query = query.where(~((Occurrence.slot_id == except_slot)
                              & (Occurrence.local_date == except_date)))
    return set(session.scalars(query).all())


def choose(session: Session, slot: Slot, local_date: dt.date, now: dt.datetime,
           grace_s: float) -> list[Bulletin]:
    """The priority bulletins that lead the occurrence of ``slot`` on ``local_date``."""
    recent = session.scalars(
        select(Bulletin).where(
            Bulletin.status == "approved", Bulletin.priority == "priority",
            Bulletin.approved_at.is_not(None), Bulletin.approved_at >= now - ELIGIBLE_FOR,
        ).order_by(Bulletin.approved_at, Bulletin.id)
    ).all()
    if not recent:
        return []
    in_slot = {item.bulletin_id for item in slot.items if item.bulletin_id}
    claimed = _claimed(session, now, grace_s, slot.id, local_date)
    return [
        b for b in recent
        if b.id not in in_slot and b.id not in claimed and leads_zone(b, slot)
        and (b.valid_from is None or b.valid_from <= local_date)
        and (b.valid_until is None or b.valid_until >= local_date)
    ]


def claim(session: Session, occurrence: Occurrence, bulletin_ids: Sequence[int]) -> None:
    """Record that ``occurrence`` carries these heads (replacing what it carried before)."""
    session.execute(delete(OccurrenceHead).where(OccurrenceHead.occurrence_id == occurrence.id))
    for position, bulletin_id in enumerate(bulletin_ids):
        session.add(OccurrenceHead(occurrence_id=occurrence.id, bulletin_id=bulletin_id,
                                   position=position))
    session.flush()


def heads_of(session: Session, occurrence_id: int) -> list[int]:
    return list(session.scalars(
        select(OccurrenceHead.bulletin_id).where(OccurrenceHead.occurrence_id == occurrence_id)
        .order_by(OccurrenceHead.position)).all())


def choose_ahead(session: Session, occurrences: Sequence[tuple[Slot, dt.date, dt.datetime]],
                 now: dt.datetime, lead_s: float, grace_s: float) -> dict[tuple[int, dt.date], list[Bulletin]]:
    """The heads the station will give each of these upcoming occurrences, decided today.

    For programs rendered long before they air (the village receivers' 48 hours). An occurrence
    the station has already rendered keeps the heads it claimed. Each other one, in time order,
    gets what :func:`choose` gives it at the moment the station will render it (``lead_s`` before
    it airs, or now when that moment has passed), the earlier ones of the list being taken to air
    their heads, so a bulletin leads the first of them only. ``occurrences`` must hold every
    slot's occurrences over the period, not only some zones': a commune-wide bulletin leads the
    first slot of any zone.
    """
    decided = {(row.slot_id, row.local_date): row for row in session.scalars(
        select(Occurrence).where(Occurrence.slot_id.in_({slot.id for slot, _d, _i in occurrences}),
                                 Occurrence.state != "pending"))}
    taken: set[int] = set()
    chosen: dict[tuple[int, dt.date], list[Bulletin]] = {}
    for slot, local_date, instant in sorted(occurrences, key=lambda o: (o[2], o[0].id)):
        done = decided.get((slot.id, local_date))
        if done is not None:  # rendered (its claims count in ``choose``), aired, failed or missed
            held = (session.get(Bulletin, i) for i in heads_of(session, done.id))
            chosen[(slot.id, local_date)] = [b for b in held if b is not None]
            continue
        at = max(now, instant - dt.timedelta(seconds=lead_s))
        heads = [b for b in choose(session, slot, local_date, at, grace_s) if b.id not in taken]
        taken.update(b.id for b in heads)
        chosen[(slot.id, local_date)] = heads
    return chosen
