"""An injectable clock: the planner and tests get time from here, never from ``datetime.now``.

Why its own module: the station must start a player within a few milliseconds of the scheduled
instant, which ``time.sleep`` alone cannot promise (it may wake a millisecond or more late), and
tests must be able to say "it is now 06:00:03" without sleeping.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Protocol

#: The last stretch before an instant is spent spinning rather than sleeping.
SPIN_S = 0.002


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, aware, in UTC."""
        ...

    def sleep_until(self, instant: dt.datetime, stop: threading.Event | None = None) -> bool:
        """Wait until ``instant``; False when ``stop`` was set first."""
        ...


class SystemClock:
    """Wall-clock time with a precise wait: sleep most of the way, then spin the last 2 ms."""

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(time.time(), dt.timezone.utc)

    def sleep_until(self, instant: dt.datetime, stop: threading.Event | None = None) -> bool:
        target = instant.timestamp()
        while True:
            remaining = target - time.time()
            if remaining <= 0:
                return True
            if stop is not None and stop.is_set():
                return False
            if remaining > SPIN_S:
                coarse = min(remaining - SPIN_S, 0.05)
                if stop is not None:
                    if stop.wait(coarse):
                        return False
                else:
                    time.sleep(coarse)
            # else: spin; the loop re-reads time.time() until the instant passes


class FakeClock:
    """A clock for tests: time moves only when told to (``advance``) or when slept on."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(dt.timezone.utc)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> dt.datetime:
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)
            return self._now

    def sleep_until(self, instant: dt.datetime, stop: threading.Event | None = None) -> bool:
        if stop is not None and stop.is_set():
            return False
        with self._lock:
            if instant > self._now:
                self._now = instant
        return True
