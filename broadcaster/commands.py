"""Station commands: intents written by the CLI or the panel, executed and acknowledged by the station.

Why a table and not a signal or a socket: the web panel and the station are separate processes
(possibly separate users), the database is the one thing both already share, and a row leaves a
trace of who asked for an emergency broadcast and when. The station polls for pending rows every
``station.reconcile_s`` and moves each through ``pending → acknowledged → done | failed``.

These functions take a ``session`` and never commit: the caller owns the transaction. When it
commits, the stations beside a SQLite database are nudged (:mod:`broadcaster.station.nudge`) so an
emergency does not wait for the next poll; the row stays the truth.
"""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Sequence

from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from broadcaster.bulletins import STATUS_LABELS as BULLETIN_STATUS_LABELS
from broadcaster.bulletins import transition
from broadcaster.errors import NotFoundError, ValidationError
from broadcaster.labels import COMMAND_STATUS_LABELS
from broadcaster.models import Bulletin, StationCommand, User, utcnow
from broadcaster.permissions import may_send_emergency

logger = logging.getLogger(__name__)

PENDING, ACKNOWLEDGED, DONE, FAILED = "pending", "acknowledged", "done", "failed"
STATUS_LABELS = COMMAND_STATUS_LABELS


def _nudge_after_commit(session: Session) -> None:
    """Once this transaction commits, wake the stations (SQLite: their sockets sit beside it)."""
    url = session.get_bind().engine.url  # an Engine is its own .engine
    database = url.database if url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:":
        return
    folder = Path(database).resolve().parent

    def nudge(_session: Session) -> None:
        from broadcaster.station import nudge as station_nudge  # stdlib only: no daemon import

        station_nudge.send(folder)

    event.listen(session, "after_commit", nudge, once=True)


def _user_id(user: User | int | None) -> int | None:
    if user is None or isinstance(user, int):
        return user
    return user.id


def request_emergency(session: Session, bulletin_id: int, user: User | int | None = None,
                      output: str | None = None) -> StationCommand:
    """Ask the station to air a bulletin now, cutting off whatever plays.

    Who may is :func:`broadcaster.permissions.may_send_emergency`: an approver (or the operator
    at the station's shell) may trigger it on a draft, which approves it in the bulletin's
    history in that person's name, since a storm warning must not wait for a second click; an
    admin may send only an approved bulletin. A rejected or archived bulletin was judged unfit
    to air and is refused.
    """
    bulletin = session.get(Bulletin, bulletin_id)
    if bulletin is None:
        raise NotFoundError(f"Không có bản tin số {bulletin_id}")
    actor = session.get(User, user) if isinstance(user, int) else user
    may_send_emergency(actor, bulletin)
    if bulletin.status in {"rejected", "archived"}:
        raise ValidationError(
            f"Bản tin số {bulletin_id} đang ở trạng thái '{BULLETIN_STATUS_LABELS[bulletin.status]}', "
            "không thể phát khẩn cấp"
        )
    if bulletin.status != "approved":
        transition(session, bulletin, "approve", actor, "Phê duyệt khi phát khẩn cấp")
    command = StationCommand(kind="emergency", bulletin_id=bulletin_id, output=output,
                             requested_by_id=_user_id(user), payload={}, status=PENDING,
                             requested_at=utcnow())
    session.add(command)
    session.flush()
    _nudge_after_commit(session)
    logger.info("yêu cầu phát khẩn cấp: bản tin số %d, lệnh số %d", bulletin_id, command.id)
    return command


def approve_bulletin(session: Session, bulletin: Bulletin, user: User | None,
                     note: str = "") -> StationCommand | None:
    """Approve a bulletin; an emergency bulletin goes on air at once, as the ministry's tiers ask.

    Returns the emergency command when one was sent, so the caller can show its progress.
    """
    transition(session, bulletin, "approve", user, note)
    if bulletin.priority != "emergency":
        return None
    return request_emergency(session, bulletin.id, user)


def request_stop(session: Session, user: User | int | None = None, output: str | None = None,
                 reason: str = "") -> StationCommand:
    """Ask the station to stop what it is airing now (recorded as interrupted with the reason)."""
    command = StationCommand(kind="stop", output=output, requested_by_id=_user_id(user),
                             payload={"reason": reason.strip()[:500]}, status=PENDING,
                             requested_at=utcnow())
    session.add(command)
    session.flush()
    _nudge_after_commit(session)
    return command


def request_rerender(session: Session, user: User | int | None = None,
                     output: str | None = None) -> StationCommand:
    """Ask the station to render its upcoming occurrences again (after a glossary change, say)."""
    command = StationCommand(kind="rerender", output=output, requested_by_id=_user_id(user),
                             payload={}, status=PENDING, requested_at=utcnow())
    session.add(command)
    session.flush()
    _nudge_after_commit(session)
    return command


def get_command(session: Session, command_id: int) -> StationCommand:
    command = session.get(StationCommand, command_id)
    if command is None:
        raise NotFoundError(f"Không có lệnh số {command_id}")
    return command


def pending(session: Session, output: str) -> Sequence[StationCommand]:
    """Commands waiting for the station of ``output`` (a command with no output is for any)."""
    return session.scalars(
        select(StationCommand)
        .where(StationCommand.status == PENDING,
               or_(StationCommand.output.is_(None), StationCommand.output == output))
        .order_by(StationCommand.id)
    ).all()


def acknowledge(command: StationCommand, now: dt.datetime | None = None) -> None:
    command.status = ACKNOWLEDGED
    command.acknowledged_at = now or utcnow()


def finish(command: StationCommand, result: str, *, ok: bool = True,
           now: dt.datetime | None = None) -> None:
    command.status = DONE if ok else FAILED
    command.finished_at = now or utcnow()
    command.result = result
    if command.acknowledged_at is None:
        command.acknowledged_at = command.finished_at


def emergency_choices(session: Session, limit: int = 100) -> list[Bulletin]:
    """Approved bulletins for the emergency picker: the emergency tier first, then priority, then
    the rest, newest first in each, so a storm warning is at the top when seconds count."""
    from sqlalchemy import case

    tier = case((Bulletin.priority == "emergency", 0), (Bulletin.priority == "priority", 1), else_=2)
    return list(session.scalars(
        select(Bulletin).where(Bulletin.status == "approved")
        .order_by(tier, Bulletin.id.desc()).limit(limit)
    ).all())
