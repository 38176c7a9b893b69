"""What every panel process must see alike: counted attempts and revoked logins, in the database.

Why here and not in a process's memory: the panel may run as one waitress process per core
(``web.processes``). A limit on password guesses kept per process would allow a guesser as many
tries as there are processes, and a logout remembered by one process would leave the copied
cookie good on the other. The database is the one thing all of them share. Nothing here knows
about Flask; the panel's limiter (``web.security``) calls these with its own keys and clock.

Instants are seconds since the epoch (floats): the limits are windows of seconds, and every
process reads the same wall clock.
"""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import bindparam, delete, exists, func, select
from sqlalchemy.orm import Session

from broadcaster.models import PanelAttempt, RevokedSession, User

#: Longest name kept for an attempt (the login form cuts names at 80 characters).
MAX_NAME = 200
MAX_IP = 100


def attempts_since(session: Session, kind: str, ip: str, name: str, since: float) -> Sequence[float]:
    """The instants of ``kind`` attempts for (ip, name) from ``since`` on, oldest first."""
    return session.scalars(
        select(PanelAttempt.at)
        .where(PanelAttempt.kind == kind, PanelAttempt.ip == ip[:MAX_IP],
               PanelAttempt.name == name[:MAX_NAME], PanelAttempt.at >= since)
        .order_by(PanelAttempt.at)
    ).all()


def record_attempt(session: Session, kind: str, ip: str, name: str, at: float,
                   forget_before: float) -> None:
    """Count one attempt, and forget every ``kind`` attempt older than ``forget_before`` (the
    window has passed them), so guessing with ever new names cannot grow the table unbounded."""
    session.execute(delete(PanelAttempt).where(PanelAttempt.kind == kind,
                                               PanelAttempt.at < forget_before))
    session.add(PanelAttempt(kind=kind, ip=ip[:MAX_IP], name=name[:MAX_NAME], at=at))


def forget_attempts(session: Session, kind: str, ip: str, name: str) -> None:
    """A success clears the (ip, name) count (the per-address count stays)."""
    session.execute(delete(PanelAttempt).where(
        PanelAttempt.kind == kind, PanelAttempt.ip == ip[:MAX_IP], PanelAttempt.name == name[:MAX_NAME]))


def count_subjects(session: Session, kind: str, since: float) -> int:
    """How many (ip, name) pairs have attempts after ``since`` (what the limiter holds)."""
    pairs = select(PanelAttempt.ip, PanelAttempt.name).where(
        PanelAttempt.kind == kind, PanelAttempt.at >= since).distinct().subquery()
    return int(session.scalar(select(func.count()).select_from(pairs)) or 0)


def revoke_session(session: Session, sid: str, until: float, now: float) -> None:
    """Refuse the login ``sid`` until ``until``; forget revocations that have run out."""
    session.execute(delete(RevokedSession).where(RevokedSession.until <= now))
    row = session.get(RevokedSession, sid)
    if row is None:
        session.add(RevokedSession(sid=sid, until=until))
    else:
        row.until = max(row.until, until)


def is_revoked(session: Session, sid: str, now: float) -> bool:
    return bool(session.scalar(select(exists().where(
        RevokedSession.sid == sid, RevokedSession.until > now))))


def count_revoked(session: Session, now: float) -> int:
    return int(session.scalar(select(func.count()).select_from(RevokedSession)
                              .where(RevokedSession.until > now)) or 0)


def session_user(session: Session, user_id: int, sid: str, now: float) -> User | None:
    """The login's user, in one statement: None when the account is gone or ``sid`` is revoked.

    One statement because every page asks it: the user and the revocation list are read
    together, and deactivation or logout in any process is seen by the next request anywhere.
    """
    return session.scalars(_SESSION_USER, {"uid": user_id, "sid": sid, "now": now}).first()


#: Built once: composing the statement anew cost more than running it (≈ 0.3 ms a page).
_SESSION_USER = select(User).where(
    User.id == bindparam("uid"),
    ~exists().where(RevokedSession.sid == bindparam("sid"), RevokedSession.until > bindparam("now")),
)
