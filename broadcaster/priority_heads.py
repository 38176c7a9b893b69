"""Priority heads: approved ``priority`` bulletins of the last day lead each zone's next slot.

Stored as data (:class:`broadcaster.models.OccurrenceHead`, one row per bulletin claimed by an
occurrence), never parsed back from a note. The rules:

* a bulletin leads once wherever it is heard: a slot that aired it (``completed``), or one
  rendered with it that is still to air, counts as heard in the zones that slot airs in (a
  commune-wide slot: every zone at once), so two slots rendered within the same lead do not both
  carry it to the same villages; when that slot fails, is missed or is cut off, it was not heard
  there and the next slot of those zones takes it;
* a commune-wide bulletin leads the next slot of each zone until every zone has heard it (thôn
  Tây's 6:00 slot carrying it does not keep it from thôn Đông's 6:30 one); a slot of several zones
  or a commune-wide slot takes it while any zone it reaches has not heard it;
* a village-only bulletin leads only a slot that airs in its own zone and nowhere else (a notice
  for thôn Đông never plays in thôn Tây, nor in a commune-wide slot), once;
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

from broadcaster.models import Bulletin, Occurrence, OccurrenceHead, Slot, Zone

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


#: Where a slot airs: its zones, or ``None`` for the whole commune.
Reach = frozenset[int] | None
#: Per bulletin, the reach of each slot that aired it or still holds it as a head.
Heard = dict[int, list[Reach]]


def reach_of(slot: Slot) -> Reach:
    return frozenset(zone.id for zone in slot.zones) or None


def _heard(session: Session, now: dt.datetime, grace_s: float,
           except_slot: int | None, except_date: dt.date | None) -> Heard:
    """Per bulletin, the reach of each occurrence that aired it or still holds it as a head."""
    query = (
        select(OccurrenceHead.bulletin_id, Occurrence.slot_id)
        .join(Occurrence, Occurrence.id == OccurrenceHead.occurrence_id)
        .where((Occurrence.state == "completed")
               | (Occurrence.state.in_(UPCOMING)
                  & (Occurrence.scheduled_at >= now - dt.timedelta(seconds=grace_s))))
    )
    if except_slot is not None:
        query = query.where(~((Occurrence.slot_id == except_slot)
                              & (Occurrence.local_date == except_date)))
    heard: Heard = {}
    reaches: dict[int, Reach] = {}
    for bulletin_id, slot_id in session.execute(query).all():
        if slot_id not in reaches:
            slot = session.get(Slot, slot_id)
            reaches[slot_id] = reach_of(slot) if slot is not None else None
        heard.setdefault(bulletin_id, []).append(reaches[slot_id])
    return heard


def still_unheard(slot_reach: Reach, heard: Sequence[Reach], all_zones: frozenset[int]) -> bool:
    """Whether a slot airing in ``slot_reach`` reaches a zone that has not heard the bulletin."""
    if not heard:
        return True
    if any(reach is None for reach in heard):
        return False  # a commune-wide slot carried it: every zone heard it
    places = slot_reach if slot_reach is not None else all_zones
    reached = frozenset().union(*(reach for reach in heard if reach is not None))
    return bool(places - reached)


def choose(session: Session, slot: Slot, local_date: dt.date, now: dt.datetime,
           grace_s: float, also_heard: Heard | None = None) -> list[Bulletin]:
    """The priority bulletins that lead the occurrence of ``slot`` on ``local_date``.

    ``also_heard`` adds where bulletins were heard beyond the stored claims (the occurrences
    :func:`choose_ahead` takes to have aired before this one).
    """
    recent = session.scalars(
        select(Bulletin).where(
            Bulletin.status == "approved", Bulletin.priority == "priority",
            Bulletin.approved_at.is_not(None), Bulletin.approved_at >= now - ELIGIBLE_FOR,
        ).order_by(Bulletin.approved_at, Bulletin.id)
    ).all()
    if not recent:
        return []
    in_slot = {item.bulletin_id for item in slot.items if item.bulletin_id}
    heard = _heard(session, now, grace_s, slot.id, local_date)
    for bulletin_id, reaches in (also_heard or {}).items():
        heard.setdefault(bulletin_id, []).extend(reaches)
    reach = reach_of(slot)
    all_zones = frozenset(session.scalars(select(Zone.id)).all())
    return [
        b for b in recent
        if b.id not in in_slot and leads_zone(b, slot)
        and still_unheard(reach, heard.get(b.id, []), all_zones)
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
    their heads in their zones, so a bulletin leads each zone's first of them only. ``occurrences``
    must hold every slot's occurrences over the period, not only some zones': whether a
    commune-wide bulletin still leads a zone's slot depends on what every other slot carried.
    """
    decided = {(row.slot_id, row.local_date): row for row in session.scalars(
        select(Occurrence).where(Occurrence.slot_id.in_({slot.id for slot, _d, _i in occurrences}),
                                 Occurrence.state != "pending"))}
    taken: Heard = {}  # the earlier occurrences of the list, taken to air their heads
    chosen: dict[tuple[int, dt.date], list[Bulletin]] = {}
    for slot, local_date, instant in sorted(occurrences, key=lambda o: (o[2], o[0].id)):
        done = decided.get((slot.id, local_date))
        if done is not None:  # rendered, airing, aired, failed or missed: its heads stand
            held = [b for b in (session.get(Bulletin, i) for i in heads_of(session, done.id))
                    if b is not None]
            chosen[(slot.id, local_date)] = held
            if done.state == "completed" or done.state in UPCOMING:
                # taken to air (a claim still to air is no longer within the grace when the
                # station renders a slot two days on, but it will have aired by then)
                for bulletin in held:
                    taken.setdefault(bulletin.id, []).append(reach_of(slot))
            continue
        at = max(now, instant - dt.timedelta(seconds=lead_s))
        heads = choose(session, slot, local_date, at, grace_s, also_heard=taken)
        for bulletin in heads:
            taken.setdefault(bulletin.id, []).append(reach_of(slot))
        chosen[(slot.id, local_date)] = heads
    return chosen
