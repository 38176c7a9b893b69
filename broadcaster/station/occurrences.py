"""The commune's side of an occurrence: its row in the database and its evidence sink.

The engine (:mod:`.engine`) never opens a session; the commune station gives it
:class:`CommuneEvidenceSink`, which appends entries to the commune's chain
(:func:`broadcaster.evidence.append_entry`) and moves the occurrence row's state in the same
transaction. A village receiver gives the engine its own sink over its own local store.
"""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcaster import evidence
from broadcaster.campaigns import campaign_of_slot
from broadcaster.context import Context
from broadcaster.errors import DuplicateError
from broadcaster.models import Occurrence, Slot
from broadcaster.station.interfaces import EntryRecord, StateMark
from broadcaster.station.reconcile import PENDING, RENDERED, Due

logger = logging.getLogger(__name__)

PRIORITY_TIERS = ("normal", "priority", "emergency")


def find_row(session: Session, due: Due) -> Occurrence | None:
    """The row of ``due`` if there is one (reads only)."""
    return session.scalar(select(Occurrence).where(Occurrence.slot_id == due.slot_id,
                                                   Occurrence.local_date == due.local_date))


def occurrence_row(session: Session, due: Due) -> Occurrence:
    """The row of ``due`` (created when missing; moved when its slot moved and it has not aired)."""
    row = session.scalar(select(Occurrence).where(Occurrence.slot_id == due.slot_id,
                                                  Occurrence.local_date == due.local_date))
    if row is None:
        row = Occurrence(slot_id=due.slot_id, local_date=due.local_date,
                         scheduled_at=due.scheduled_at, state=PENDING, render_note="")
        session.add(row)
        session.flush()
    elif row.scheduled_at != due.scheduled_at and row.state in (PENDING, RENDERED):
        row.scheduled_at = due.scheduled_at
    return row


def slot_fields(session: Session, slot_id: int) -> dict[str, Any]:
    """The evidence fields a slot gives each of its occurrences."""
    slot = session.get(Slot, slot_id)
    if slot is None:
        return {"title": f"Lịch phát số {slot_id}", "slot_id": slot_id}
    bulletins = [i.bulletin for i in slot.items if i.bulletin is not None]
    return {
        "title": slot.name or (bulletins[0].title if bulletins else ""),
        "category": bulletins[0].category if bulletins else "",
        # A slot serves a campaign by its tag or by airing the campaign's bulletins; without
        # the second, coverage showed every week "Chưa đạt" for campaigns run by bulletins.
        "campaign": campaign_of_slot(slot),
        "priority": slot.priority if slot.priority in PRIORITY_TIERS else "normal",
        "zone": ", ".join(z.name for z in slot.zones),
        "slot_id": slot_id,
    }


class CommuneEvidenceSink:
    """The commune database as the engine's :class:`~.interfaces.EvidenceSink`."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def append(self, record: EntryRecord) -> None:
        with self.ctx.session() as session:
            try:
                evidence.append_entry(session, **record.fields)
            except DuplicateError:
                logger.warning("nhật ký đã có mục cho %s", record.key)
            if record.ref is not None:
                row = session.get(Occurrence, record.ref)
                if row is not None:
                    row.state = record.state
                    if record.program is not None and not row.render_path:
                        # The render's own write was refused (disk full, lock) and lost with a
                        # crash: the row still says which file aired.
                        row.render_path, row.render_sha256 = record.program

    def mark(self, mark: StateMark) -> None:
        if mark.ref is None:
            return
        with self.ctx.session() as session:
            row = session.get(Occurrence, mark.ref)
            if row is not None and (not mark.only_if or row.state in mark.only_if):
                row.state = mark.state

    def has_entry(self, key: str) -> bool:
        with self.ctx.session() as session:
            return evidence.has_entry(session, key)
