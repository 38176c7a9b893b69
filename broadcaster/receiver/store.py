"""The box's local store: the plan it holds and the programs it has verified, in its SQLite.

Why a local copy at all: the link is a 4G SIM. The box plays from here whatever happens to the
link, for as long as its plan reaches (``receivers.horizon_hours``, 48 h by default).

The late-change lock (obplayer's rule): an occurrence the box already holds that is due within
``receivers.lock_minutes`` (20) is neither moved, nor re-pointed to another program, nor dropped
by a new plan. Twenty minutes before air is when the amplifier, the village head and the box have
all settled on what will play; a change later than that must come as a command (stop, emergency),
which is explicit and logged. New occurrences are still taken in that window: there is nothing
held to protect, and refusing them would silently drop a broadcast.
"""
from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from broadcaster.evidence import parse_utc_text
from broadcaster.models import BoxPlanEntry, BoxProgram, utcnow

logger = logging.getLogger(__name__)

PROGRAMS_DIR = "programs"


@dataclass
class Applied:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    locked: list[str] = field(default_factory=list)  # changes refused by the lock

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def programs_dir(home: Path) -> Path:
    return home / "audio" / PROGRAMS_DIR


def apply_plan(session: Session, plan: dict[str, Any], now: dt.datetime, lock_minutes: float) -> Applied:
    """Bring the held plan to ``plan`` (the commune's), except what the lock protects."""
    lock_until = now + dt.timedelta(minutes=lock_minutes)
    result = Applied()
    wanted: dict[str, dict[str, Any]] = {}
    for row in plan.get("occurrences", []):
        when = parse_utc_text(row.get("scheduled_at"))
        if when is None or not row.get("key") or not row.get("sha256"):
            continue
        wanted[str(row["key"])] = dict(row, scheduled_at=when)
    held = {e.key: e for e in session.scalars(select(BoxPlanEntry)).all()}
    for key, entry in held.items():
        if key in wanted or entry.state != "pending" or entry.scheduled_at < now:
            continue
        if entry.scheduled_at <= lock_until:
            result.locked.append(key)
            continue
        session.delete(entry)
        result.removed.append(key)
    for key, row in wanted.items():
        found = held.get(key)
        if found is None:
            session.add(BoxPlanEntry(key=key, slot_id=row.get("slot_id"), scheduled_at=row["scheduled_at"],
                                     sha256=row["sha256"], size_bytes=int(row.get("size") or 0),
                                     seconds=float(row.get("seconds") or 0.0),
                                     fields=dict(row.get("fields") or {}), received_at=now,
                                     state="pending"))
            result.added.append(key)
            continue
        entry = found
        same = entry.sha256 == row["sha256"] and entry.scheduled_at == row["scheduled_at"]
        if same or entry.state != "pending":
            continue
        if entry.scheduled_at <= lock_until or row["scheduled_at"] <= lock_until:
            result.locked.append(key)
            continue
        entry.sha256 = row["sha256"]
        entry.scheduled_at = row["scheduled_at"]
        entry.size_bytes = int(row.get("size") or 0)
        entry.seconds = float(row.get("seconds") or 0.0)
        entry.fields = dict(row.get("fields") or {})
        entry.received_at = now
        result.changed.append(key)
    session.flush()
    if result.locked:
        logger.info("giữ nguyên %d lượt phát sắp tới (trong %d phút, đã khóa): %s",
                    len(result.locked), int(lock_minutes), ", ".join(result.locked))
    return result


def missing_programs(session: Session, home: Path) -> list[str]:
    """Hashes of held plan entries still to come whose program is not here (soonest first)."""
    now = utcnow()
    entries = session.scalars(select(BoxPlanEntry).where(BoxPlanEntry.scheduled_at >= now - dt.timedelta(hours=1))
                              .order_by(BoxPlanEntry.scheduled_at)).all()
    out: list[str] = []
    for entry in entries:
        if entry.state == "pending" and entry.sha256 not in out and program_file(session, home, entry.sha256) is None:
            out.append(entry.sha256)
    return out


def program_file(session: Session, home: Path, sha256: str) -> Path | None:
    row = session.get(BoxProgram, sha256)
    if row is None:
        return None
    path = home / "audio" / row.relpath
    return path if path.is_file() else None


def record_program(session: Session, home: Path, sha256: str, path: Path) -> None:
    row = session.get(BoxProgram, sha256)
    relpath = str(path.relative_to(home / "audio"))
    if row is None:
        session.add(BoxProgram(sha256=sha256, relpath=relpath, size_bytes=path.stat().st_size,
                               verified_at=utcnow()))
    else:
        row.relpath, row.size_bytes, row.verified_at = relpath, path.stat().st_size, utcnow()


def held_within(session: Session, home: Path, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """(programs held, occurrences planned) between two instants: the status's 24 h figure."""
    entries = session.scalars(select(BoxPlanEntry).where(BoxPlanEntry.scheduled_at >= start,
                                                         BoxPlanEntry.scheduled_at < end)).all()
    held = sum(1 for e in entries if program_file(session, home, e.sha256) is not None)
    return held, len(entries)


def prune(session: Session, home: Path, now: dt.datetime, keep_hours: float = 24.0) -> int:
    """Forget plan entries long past and delete program files no entry needs any more."""
    cutoff = now - dt.timedelta(hours=keep_hours)
    session.execute(delete(BoxPlanEntry).where(BoxPlanEntry.scheduled_at < cutoff))
    needed = set(session.scalars(select(BoxPlanEntry.sha256)).all())
    removed = 0
    for row in session.scalars(select(BoxProgram)).all():
        if row.sha256 in needed or (now - row.verified_at).total_seconds() < keep_hours * 3600:
            continue
        (home / "audio" / row.relpath).unlink(missing_ok=True)
        session.delete(row)
        removed += 1
    return removed


def free_disk_mb(home: Path) -> float:
    return round(shutil.disk_usage(home).free / (1024 * 1024), 1)
