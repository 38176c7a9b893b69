"""Where bulletins stand for the people waiting on them: the approver's queue, what came back to
an editor and why, what was approved, and a village head's own notices.

Why a module of its own: the dashboard, the menu badge and the bulletin page all ask the same
questions, and "oldest first" must mean the same thing in each (the time it was last sent for
approval, not when it was first drafted: a notice sent back and resubmitted waits from then).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import Subquery, func, select
from sqlalchemy.orm import Session, selectinload

from broadcaster.bulletins import STATUS_LABELS
from broadcaster.models import Bulletin, BulletinEvent, Slot, SlotItem, User


@dataclass(frozen=True)
class Waiting:
    bulletin: Bulletin
    submitted_at: dt.datetime


def _submitted_at() -> Subquery:
    return (
        select(BulletinEvent.bulletin_id, func.max(BulletinEvent.at).label("at"))
        .where(BulletinEvent.action == "submit")
        .group_by(BulletinEvent.bulletin_id)
        .subquery()
    )


def queue(session: Session, limit: int = 200) -> list[Waiting]:
    """Bulletins waiting for approval, the one waiting longest first."""
    sent = _submitted_at()
    rows = session.execute(
        select(Bulletin, sent.c.at)
        .outerjoin(sent, sent.c.bulletin_id == Bulletin.id)
        .where(Bulletin.status == "submitted")
        .options(selectinload(Bulletin.author), selectinload(Bulletin.zone))
        .order_by(func.coalesce(sent.c.at, Bulletin.updated_at), Bulletin.id)
        .limit(limit)
    ).all()
    return [Waiting(bulletin, at or bulletin.updated_at) for bulletin, at in rows]


def queue_count(session: Session) -> int:
    return int(session.scalar(select(func.count(Bulletin.id)).where(Bulletin.status == "submitted")) or 0)


def next_waiting(session: Session, after: int | None = None) -> Bulletin | None:
    """The bulletin an approver should read next (oldest waiting), skipping ``after``."""
    for item in queue(session, limit=2):
        if item.bulletin.id != after:
            return item.bulletin
    return None


@dataclass(frozen=True)
class Outcome:
    bulletin: Bulletin
    status_label: str
    reason: str
    at: dt.datetime | None
    by: str
    scheduled: bool


def _by(user: User | None) -> str:
    return (user.full_name or user.name) if user is not None else ""


def outcomes(session: Session, user: User, *, days: int = 14, limit: int = 20,
             now: dt.datetime | None = None) -> tuple[list[Outcome], list[Outcome]]:
    """For an editor: (sent back with a reason, approved) among the own bulletins lately."""
    now = now or dt.datetime.now(dt.timezone.utc)
    since = now - dt.timedelta(days=days)
    own = session.scalars(
        select(Bulletin).where(Bulletin.author_id == user.id, Bulletin.updated_at >= since,
                               Bulletin.status.in_(("rejected", "approved")))
        .options(selectinload(Bulletin.approver))
        .order_by(Bulletin.updated_at.desc()).limit(limit * 2)
    ).all()
    scheduled = _scheduled_ids(session, [b.id for b in own])
    events = _last_events(session, [b.id for b in own if b.status == "rejected"], "reject")
    returned = [
        Outcome(b, STATUS_LABELS[b.status], b.reject_reason,
                events[b.id].at if b.id in events else b.updated_at,
                _by(events[b.id].user) if b.id in events else "", b.id in scheduled)
        for b in own if b.status == "rejected"
    ][:limit]
    approved = [
        Outcome(b, STATUS_LABELS[b.status], "", b.approved_at, _by(b.approver), b.id in scheduled)
        for b in own if b.status == "approved"
    ][:limit]
    return returned, approved


def notices(session: Session, user: User, limit: int = 20) -> list[Outcome]:
    """A village head's notices (own zone), newest first, with where each stands."""
    query = select(Bulletin).where(Bulletin.status != "archived")
    if user.zone_id is not None:
        query = query.where(Bulletin.zone_id == user.zone_id)
    else:
        query = query.where(Bulletin.author_id == user.id)
    rows = session.scalars(query.order_by(Bulletin.updated_at.desc()).limit(limit)).all()
    scheduled = _scheduled_ids(session, [b.id for b in rows])
    return [
        Outcome(b, STATUS_LABELS[b.status], b.reject_reason if b.status == "rejected" else "",
                b.approved_at if b.status == "approved" else b.updated_at, _by(b.approver),
                b.id in scheduled)
        for b in rows
    ]


def _scheduled_ids(session: Session, ids: Sequence[int]) -> set[int]:
    if not ids:
        return set()
    return {bulletin_id for bulletin_id in session.scalars(
        select(SlotItem.bulletin_id).join(Slot, Slot.id == SlotItem.slot_id)
        .where(Slot.active.is_(True), SlotItem.bulletin_id.in_(list(ids)))
    ).all() if bulletin_id is not None}


def _last_events(session: Session, ids: Sequence[int], action: str) -> dict[int, BulletinEvent]:
    if not ids:
        return {}
    found: dict[int, BulletinEvent] = {}
    for event in session.scalars(
        select(BulletinEvent).where(BulletinEvent.bulletin_id.in_(list(ids)),
                                    BulletinEvent.action == action)
        .options(selectinload(BulletinEvent.user)).order_by(BulletinEvent.id)
    ).all():
        found[event.bulletin_id] = event
    return found
