"""The stable key of an occurrence, as the evidence stores it: one home for its format.

``slot-<slot id>@<local date>`` for a scheduled airing (the *local* date in the station's time zone:
06:05 in Hà Nội on 22/12 is 23:05 UTC on 21/12 and its key says 22/12), ``emergency-<command id>``
for an emergency command. The key is unique in the evidence, which is what guarantees that an
occurrence is never recorded — or aired — twice.
"""
from __future__ import annotations

import datetime as dt


def occurrence_key(slot_id: int, local_date: dt.date) -> str:
    return f"slot-{slot_id}@{local_date.isoformat()}"


def emergency_key(command_id: int) -> str:
    return f"emergency-{command_id}"


def is_scheduled(key: str) -> bool:
    """Whether the key is a scheduled airing's (a slot's occurrence), not an emergency's."""
    return key.startswith("slot-")


def emergency_command_id(key: str) -> int | None:
    """The command id of an emergency's key (``emergency-<id>``), None for any other key."""
    prefix = "emergency-"
    if not key.startswith(prefix) or not key[len(prefix):].isdigit():
        return None
    return int(key[len(prefix):])
