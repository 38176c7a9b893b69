"""What the dashboard and ``/healthz`` show: the station's pulse, what plays, what went wrong.

Kept out of the web layer so the CLI or a monitoring script can ask the same questions, and so
"is the station alive" has one definition: a heartbeat younger than three heartbeat periods.

The station daemon writes one :class:`~broadcaster.models.Heartbeat` row per output; while it plays
it puts ``state["playing"] = {"title": ..., "started_at": ISO 8601, "occurrence": key,
"priority": ...}`` there, and removes it when the program ends.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcaster import labels
from broadcaster.labels import capitalised
from broadcaster.models import EvidenceEntry, Heartbeat, Slot, StationCommand, utcnow
from broadcaster.permissions import reaches_zone

logger = logging.getLogger(__name__)

#: A heartbeat older than this many periods means the station is not running.
STALE_PERIODS = 3
FAILED_STATUSES = ("failed", "missed", "interrupted")
#: Capitalised for display at the start of a line.
COMMAND_STATUS_LABELS = capitalised(labels.COMMAND_STATUS_LABELS)


@dataclass(frozen=True)
class StationPulse:
    """One output's last heartbeat, judged against the configured period."""

    output: str
    host: str
    pid: int
    at: dt.datetime
    started_at: dt.datetime | None
    age_s: float
    alive: bool
    playing: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "host": self.host,
            "pid": self.pid,
            "at": self.at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "age_s": round(self.age_s, 1),
            "alive": self.alive,
            "playing": self.playing,
        }


def pulses(session: Session, heartbeat_s: float, now: dt.datetime | None = None) -> list[StationPulse]:
    """Every output's heartbeat, newest first; ``alive`` when younger than 3 periods."""
    now = now or utcnow()
    limit = STALE_PERIODS * max(1.0, float(heartbeat_s))
    rows = session.scalars(select(Heartbeat).order_by(Heartbeat.at.desc())).all()
    found = []
    for row in rows:
        age = (now - row.at).total_seconds()
        playing = (row.state or {}).get("playing")
        found.append(
            StationPulse(
                output=row.output,
                host=row.host,
                pid=row.pid,
                at=row.at,
                started_at=row.started_at,
                age_s=age,
                alive=age <= limit,
                playing=playing if isinstance(playing, dict) and age <= limit else None,
            )
        )
    return found


def recent_failures(session: Session, limit: int = 10,
                    zone: str | None = None) -> Sequence[EvidenceEntry]:
    """The last broadcasts that did not complete (failed, missed or interrupted).

    ``zone`` (a village head's, see :func:`broadcaster.permissions.zone_name_scope`) keeps only
    the airings that were meant to reach it, as the evidence list does.
    """
    from broadcaster.evidence_filter import query
    from broadcaster.reports.query import Filters

    stmt = query(Filters(zone=zone), "UTC") if zone is not None else select(EvidenceEntry)
    return session.scalars(
        stmt.where(EvidenceEntry.status.in_(FAILED_STATUSES))
        .order_by(None).order_by(EvidenceEntry.id.desc())
        .limit(limit)
    ).all()


def playing_zones(session: Session, playing: dict[str, Any]) -> list[str] | None:
    """The zones what plays is aimed at ([] for the whole commune), None when unknown.

    The heartbeat names the occurrence (``slot-<id>@<date>`` or ``emergency-<command id>``);
    its slot's zones, or the emergency bulletin's zone, say who may see its title.
    """
    key = str(playing.get("occurrence") or "")
    try:
        if key.startswith("slot-"):
            slot = session.get(Slot, int(key[len("slot-"):].split("@", 1)[0]))
            return [zone.name for zone in slot.zones] if slot is not None else None
        if key.startswith("emergency-"):
            command = session.get(StationCommand, int(key[len("emergency-"):]))
            if command is None or command.bulletin is None:
                return None
            zone = command.bulletin.zone
            return [zone.name] if zone is not None else []
    except ValueError:
        return None
    return None


def pulses_for(session: Session, heartbeat_s: float, zone: str | None,
               now: dt.datetime | None = None) -> list[StationPulse]:
    """:func:`pulses` as a login limited to ``zone`` may see them: what plays for other zones
    is shown as playing, without its title."""
    found = pulses(session, heartbeat_s, now)
    if zone is None:
        return found
    shown = []
    for pulse in found:
        if pulse.playing is not None:
            zones = playing_zones(session, pulse.playing)
            if zones is None or not reaches_zone(zones, zone):
                pulse = replace(pulse, playing={"title": "", "hidden": True,
                                                "priority": pulse.playing.get("priority")})
        shown.append(pulse)
    return shown


def recent_commands(session: Session, limit: int = 5) -> Sequence[StationCommand]:
    """The last commands sent to the station, to show whether it acknowledged them."""
    return session.scalars(
        select(StationCommand).order_by(StationCommand.id.desc()).limit(limit)
    ).all()


def get_command(session: Session, command_id: int) -> StationCommand | None:
    return session.get(StationCommand, command_id)


def emergency_on_air(pulses: Sequence[Any]) -> dict[str, Any] | None:
    """What an emergency broadcast on air looks like in the heartbeats (its title), or None.

    Stopping it, or cutting it with another emergency, must be asked for explicitly."""
    for pulse in pulses:
        playing = getattr(pulse, "playing", None)
        if isinstance(playing, dict) and playing.get("priority") == "emergency":
            return playing
    return None
