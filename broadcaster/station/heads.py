"""Priority heads: approved ``priority`` bulletins of the last day lead the next slot, once.

A bulletin goes to the head of one slot only: one that aired it (completed), or one rendered with
it that is still to air (so two slots rendered within the same lead do not both carry it). When
that one fails, is missed or cut off, the next slot takes it.
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcaster.models import Bulletin, Occurrence, Slot
from broadcaster.station.reconcile import PENDING, PLAYING, RENDERED, Due

HEAD_MARK = re.compile(r"\[đầu buổi: ([0-9, ]+)\]")


def head_mark(head_ids: list[int]) -> str:
    """The note that says which priority bulletins lead an occurrence (read by HEAD_MARK)."""
    return f"[đầu buổi: {', '.join(map(str, head_ids))}]"


def priority_head(session: Session, slot: Slot, due: Due, now: dt.datetime,
                  grace_s: float) -> list[Bulletin]:
    """The priority bulletins that lead ``due``'s program, in approval order."""
    recent = session.scalars(
        select(Bulletin).where(
            Bulletin.status == "approved", Bulletin.priority == "priority",
            Bulletin.approved_at.is_not(None),
            Bulletin.approved_at >= now - dt.timedelta(days=1),
        ).order_by(Bulletin.approved_at)
    ).all()
    if not recent:
        return []
    in_slot = {item.bulletin_id for item in slot.items if item.bulletin_id}
    aired: set[int] = set()
    upcoming = (PENDING, RENDERED, PLAYING)
    notes = session.scalars(
        select(Occurrence.render_note).where(
            Occurrence.render_note.like("%đầu buổi%"),
            (Occurrence.state == "completed")
            | (Occurrence.state.in_(upcoming)
               & (Occurrence.scheduled_at >= now - dt.timedelta(seconds=grace_s))),
            ~((Occurrence.slot_id == due.slot_id) & (Occurrence.local_date == due.local_date)),
        )
    ).all()
    for note in notes:
        for match in HEAD_MARK.finditer(note or ""):
            aired.update(int(x) for x in match.group(1).replace(" ", "").split(",") if x)
    return [
        b for b in recent
        if b.id not in in_slot and b.id not in aired
        and (b.valid_from is None or b.valid_from <= due.local_date)
        and (b.valid_until is None or b.valid_until >= due.local_date)
    ]
