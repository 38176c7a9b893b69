"""The JSON shapes of bulletins, slots and station commands, shared by the CLI and the API.

Why here and not in either edge: ``broadcaster bulletin list --json`` and ``GET /api/v1/bulletins``
must describe a bulletin with the same keys, and the web must not import the CLI to get them.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from broadcaster import schedule
from broadcaster.labels import COMMAND_STATUS_LABELS, capitalised
from broadcaster.models import Bulletin, Slot, StationCommand

_COMMAND_LABELS = capitalised(COMMAND_STATUS_LABELS)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def bulletin_dict(b: Bulletin) -> dict[str, object]:
    """A bulletin as ``bulletin list --json`` prints it (the API adds its text and people)."""
    return {
        "id": b.id, "title": b.title, "category": b.category, "priority": b.priority,
        "status": b.status, "language": b.language, "chars": len(b.body),
        "campaign_id": b.campaign_id, "zone_id": b.zone_id, "public": bool(b.public),
        "created_at": b.created_at.isoformat(),
        "approved_at": _iso(b.approved_at),
    }


def slot_dict(slot: Slot, default_tz: str, upcoming: list[dt.datetime]) -> dict[str, object]:
    """A slot with its rundown and next airings, in the slot's own local time."""
    zone = ZoneInfo(slot.timezone or default_tz)
    return {
        "id": slot.id,
        "name": slot.name,
        "kind": slot.kind,
        "at": slot.at_utc.astimezone(zone).isoformat() if slot.at_utc else None,
        "daily": slot.time_local.strftime("%H:%M:%S") if slot.time_local else None,
        "days": slot.weekdays if slot.kind == "daily" else None,
        "from": slot.starts_on.isoformat() if slot.starts_on else None,
        "until": slot.ends_on.isoformat() if slot.ends_on else None,
        "timezone": slot.timezone or default_tz,
        "output": slot.output,
        "priority": slot.priority,
        "zones": [z.name for z in slot.zones],
        "items": [
            {"kind": i.kind, "bulletin_id": i.bulletin_id, "asset_id": i.asset_id,
             "recording_id": i.asset_id if i.kind == "recording" else None,
             "jingle": i.jingle, "seconds": i.seconds,
             "title": i.bulletin.title if i.bulletin else (i.asset.title if i.asset else i.jingle)}
            for i in slot.items
        ],
        "estimated_seconds": round(schedule.slot_estimated_seconds(slot), 1),
        "next": [instant.astimezone(zone).isoformat() for instant in upcoming],
    }


def command_dict(command: StationCommand) -> dict[str, Any]:
    """A station command and how far the station got with it."""
    return {
        "id": command.id,
        "kind": command.kind,
        "bulletin_id": command.bulletin_id,
        "output": command.output,
        "status": command.status,
        "label": _COMMAND_LABELS.get(command.status, command.status),
        "requested_at": _iso(command.requested_at),
        "acknowledged_at": _iso(command.acknowledged_at),
        "finished_at": _iso(command.finished_at),
        "result": command.result,
    }
