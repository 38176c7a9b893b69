"""Pure planning: given the slots, what is known of their occurrences, and the time, what to do.

No database, no clock, no sound: the daemon feeds it rows and ``now``, and tests feed it plain
values. It answers four questions for every occurrence near now:

* render it (the render lead has begun and it has no render yet),
* play it (at its instant, or now when it is late but still within the grace window),
* record it as missed (too late, never started), or
* record it as interrupted by a crash (found ``playing`` with no evidence: a previous process
  died while it aired; it is never replayed, so nobody hears a bulletin twice) — unless the air
  journal proves it never made a sound (killed between the ``playing`` mark and the first
  sample, or less than half a second after it: see ``PlayoutEngine.recover``): then it airs
  late, within the grace window, like any occurrence not yet played.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from broadcaster.occurrence_keys import occurrence_key
from broadcaster.schedule import SlotTimes, occurrences_between

#: How far back a restart looks for occurrences to account for (as missed) after an outage.
LOOKBACK_S = 24 * 3600
#: How far ahead the daemon keeps jobs planned (beyond the render lead).
HORIZON_S = 3600

# Occurrence states kept in the database.
PENDING, RENDERED, PLAYING = "pending", "rendered", "playing"
FINAL_STATES = ("completed", "interrupted", "failed", "missed")


@dataclass(frozen=True)
class SlotPlan:
    """What the planner needs of a slot."""

    slot_id: int
    times: SlotTimes
    created_at: dt.datetime


@dataclass(frozen=True)
class Known:
    """What the database knows of one occurrence."""

    state: str = PENDING
    rendered: bool = False
    has_evidence: bool = False
    #: From the air journal: True when a sample of it reached the output, False when provably
    #: none did, None when there is no journal to tell.
    began: bool | None = None


@dataclass(frozen=True)
class Due:
    slot_id: int
    local_date: dt.date
    scheduled_at: dt.datetime

    @property
    def key(self) -> str:
        return occurrence_key(self.slot_id, self.local_date)


@dataclass
class Plan:
    render: list[Due] = field(default_factory=list)
    play: list[Due] = field(default_factory=list)
    missed: list[tuple[Due, str]] = field(default_factory=list)
    crashed: list[Due] = field(default_factory=list)
    settled: list[Due] = field(default_factory=list)


def late_seconds(due: Due, now: dt.datetime) -> float:
    return (now - due.scheduled_at).total_seconds()


def local_text(instant: dt.datetime, tz: str) -> str:
    return instant.astimezone(ZoneInfo(tz)).strftime("%H:%M:%S ngày %d/%m/%Y")


def missed_reason(scheduled_at: dt.datetime, now: dt.datetime, grace_s: float, tz: str) -> str:
    late = (now - scheduled_at).total_seconds()
    return (f"Bỏ lỡ: trạm phát không chạy hoặc không phát được lúc {local_text(scheduled_at, tz)}; "
            f"đến {local_text(now, tz)} đã trễ {late:.0f} giây, quá thời gian cho phép {grace_s:.0f} giây")


def expand(slots: Iterable[SlotPlan], start: dt.datetime, end: dt.datetime) -> list[Due]:
    """Every airing in [start, end), never one before its slot was created."""
    found: list[Due] = []
    for slot in slots:
        for local_date, instant in occurrences_between(slot.times, start, end):
            if slot.times.kind == "daily" and instant < slot.created_at:
                continue
            found.append(Due(slot.slot_id, local_date, instant))
    return sorted(found, key=lambda d: (d.scheduled_at, d.slot_id))


def plan(slots: Sequence[SlotPlan], known: Mapping[str, Known], now: dt.datetime, *,
         render_lead_s: float, grace_s: float, busy: Iterable[str] = (),
         lookback_s: float = LOOKBACK_S, horizon_s: float = HORIZON_S) -> Plan:
    """Decide what each occurrence in [now − lookback, now + lead + horizon) needs.

    ``busy`` holds keys this process is already working on (a job waiting for the air, a
    broadcast in progress); they are left alone so a late job is not also recorded as missed.
    """
    busy = set(busy)
    result = Plan()
    start = now - dt.timedelta(seconds=lookback_s)
    end = now + dt.timedelta(seconds=render_lead_s + horizon_s)
    for due in expand(slots, start, end):
        info = known.get(due.key, Known())
        if info.has_evidence or info.state in FINAL_STATES:
            result.settled.append(due)
            continue
        if due.key in busy:
            continue
        late = late_seconds(due, now)
        if info.state == PLAYING and info.began is not False:
            result.crashed.append(due)  # it may have been heard: never aired twice
            continue
        if late > grace_s:
            tz = slot_tz(slots, due.slot_id)
            result.missed.append((due, missed_reason(due.scheduled_at, now, grace_s, tz)))
            continue
        if not info.rendered and late >= -render_lead_s:
            result.render.append(due)
        result.play.append(due)
    return result


def slot_tz(slots: Sequence[SlotPlan], slot_id: int) -> str:
    for slot in slots:
        if slot.slot_id == slot_id:
            return slot.times.timezone
    return "UTC"
