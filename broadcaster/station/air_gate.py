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

    def take(self, *, urgent: bool, scheduled_at: dt.datetime | None = None,
             until: dt.datetime | None = None,
             once_queued: Callable[[], object] | None = None) -> bool:
        """Wait for the output; False when stopping or when ``until`` passes first.

        ``once_queued`` runs after this caller has its place in the queue (an emergency cuts off
        what plays from there, so no scheduled program slips in between).
        """
        with self._cond:
            self._ticket += 1
            mine = (0 if urgent else 1, _EARLIEST if urgent else (scheduled_at or _EARLIEST),
                    self._ticket)
            self._waiting.append(mine)
        try:
            if once_queued is not None:
                once_queued()
        except BaseException:
            with self._cond:
                self._waiting.remove(mine)
                self._cond.notify_all()
            raise
        with self._cond:
            try:
                while self._held or min(self._waiting) != mine:
                    if self._stopping.is_set():
                        return False
                    if until is not None and self._now() > until:
                        return False
                    self._cond.wait(0.05)
                self._held = True
                return True
            finally:
                self._waiting.remove(mine)
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
