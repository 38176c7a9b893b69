"""Who holds the output: one program on air at a time, emergencies first, then scheduled order.

Why its own piece: several play jobs can wait for one output at once (a backlog after a late start,
a long program running over the next slot's instant, an emergency cutting in). They must go on
air one at a time, an emergency before any scheduled program, and overdue occurrences in the order
they were scheduled (a thread woken at random would shuffle them).
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Callable

from broadcaster.station.playout import Playback

_EARLIEST = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
#: A place in the queue: (0 urgent / 1 scheduled, scheduled instant, arrival number).
Ticket = tuple[int, dt.datetime, int]


@dataclass
class OnAir:
    """What holds the air now (for the heartbeat, ``stop`` and emergencies)."""

    key: str
    title: str
    priority: str
    started_at: dt.datetime
    playback: Playback | None = field(default=None, repr=False)


class AirGate:
    """A fair lock on the output with an order: (urgent first, scheduled instant, arrival)."""

    def __init__(self, now: Callable[[], dt.datetime], stopping: threading.Event) -> None:
        self._now = now
        self._stopping = stopping
        self._cond = threading.Condition()
        self._held = False
        self._waiting: list[tuple[int, dt.datetime, int]] = []
        self._ticket = 0
        self.on_air: OnAir | None = None

    def enqueue(self, *, urgent: bool, scheduled_at: dt.datetime | None = None) -> Ticket:
        """Take a place in the queue now (a play job does so before its program is ready, so an
        overdue airing still rendering keeps its turn ahead of a later one)."""
        with self._cond:
            self._ticket += 1
            ticket = (0 if urgent else 1, _EARLIEST if urgent else (scheduled_at or _EARLIEST),
                      self._ticket)
            self._waiting.append(ticket)
            return ticket

    def cancel(self, ticket: Ticket) -> None:
        with self._cond:
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            self._cond.notify_all()

    def take(self, ticket: Ticket, *, until: dt.datetime | None = None) -> bool:
        """Wait for the output with ``ticket``; False when stopping or when ``until`` passes."""
        with self._cond:
            try:
                while self._held or min(self._waiting) != ticket:
                    if self._stopping.is_set():
                        return False
                    if until is not None and self._now() > until:
                        return False
                    self._cond.wait(0.05)
                self._held = True
                return True
            finally:
                if ticket in self._waiting:
                    self._waiting.remove(ticket)
                self._cond.notify_all()

    def urgent_waiting(self) -> bool:
        with self._cond:
            return any(w[0] == 0 for w in self._waiting)

    def set_on_air(self, current: OnAir | None) -> None:
        with self._cond:
            self.on_air = current

    def current(self) -> OnAir | None:
        with self._cond:
            return self.on_air

    def release(self) -> None:
        with self._cond:
            self._held = False
            self.on_air = None
            self._cond.notify_all()
