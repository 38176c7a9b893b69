"""The heartbeat: one row per output saying the station is alive, what plays and what is next.

``/healthz``, the dashboard and ``broadcaster emergency`` read it to tell whether a station runs.
The row is written every ``station.heartbeat_s``, when a program starts, and once more
(``stopped``) at shutdown, from a thread of its own: a locked database delays the heartbeat, never
the main loop (commands, emergencies) or the playout. The same thread runs the station's slow
housekeeping (daily checkpoint, air-check retention).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from typing import Any, Callable

from broadcaster.context import Context
from broadcaster.models import Heartbeat
from broadcaster.station.air_gate import OnAir
from broadcaster.station.clock import Clock

logger = logging.getLogger(__name__)


class HeartbeatWriter:
    def __init__(self, ctx: Context, clock: Clock, output: str, *, backend: str, device: str,
                 current: Callable[[], OnAir | None], next_up: Callable[[], dict[str, Any] | None],
                 extra: Callable[[], dict[str, Any]], every_s: float = 5.0,
                 stopping: threading.Event | None = None,
                 housekeeping: Callable[[], object] | None = None) -> None:
        self.ctx = ctx
        self.clock = clock
        self.output = output
        self.backend = backend
        self.device = device
        self.current = current
        self.next_up = next_up
        self.extra = extra
        self.host = socket.gethostname()
        self.started_at: dt.datetime = clock.now()
        self.every_s = every_s
        self.stopping = stopping or threading.Event()
        self.housekeeping = housekeeping
        self._poke = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Beat now (a program just started)."""
        self._poke.set()

    def join(self) -> None:
        self._poke.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.beat()
            except Exception:  # noqa: BLE001 - the next beat tries again
                logger.exception("không ghi được nhịp báo trạng thái (heartbeat)")
            if self.housekeeping is not None:
                self.housekeeping()
            self._poke.wait(self.every_s)
            self._poke.clear()

    def state(self, stopped: bool = False) -> dict[str, Any]:
        current = self.current()
        playing = None
        if current is not None and not stopped:
            playing = {"title": current.title, "started_at": current.started_at.isoformat(),
                       "occurrence": current.key, "priority": current.priority}
        return {"playing": playing, "next": None if stopped else self.next_up(),
                "backend": self.backend, "device": self.device, "stopped": stopped,
                **self.extra()}

    def beat(self, stopped: bool = False) -> None:
        state = self.state(stopped)
        with self.ctx.session() as session:
            row = session.get(Heartbeat, self.output)
            if row is None:
                row = Heartbeat(output=self.output)
                session.add(row)
            row.host = self.host
            row.pid = os.getpid()
            row.at = self.clock.now()
            row.started_at = self.started_at
            row.state = state
