"""Least-connections accepting across the panel's worker processes (one per core).

Why: a browser keeps its connection open (keep-alive) and sends every page of its session on it,
so whichever worker accepts a connection serves that person until it closes. Left to the kernel,
the split is uneven: with SO_REUSEPORT it hashes each connection to one worker's queue (20 clients
came out 14/6 and 13/7 as often as 10/10, measured 03/12), and with one shared socket the worker
that happens to be awake takes nearly all (19 of 20). The busier worker's core then queues pages
while the other idles: under 20 clients back to back, 322 pages/s at 10/10 against 217 at 14/6.

So the workers share one listening socket, and a worker watches it only while it holds no more
open connections than the least busy of the others (nginx's ``least_conn``, decided at accept
time). The counts live in a small block of shared memory made before the fork; each worker writes
its own slot (count, time) at every turn of its event loop — at least once a second, the loop's
timeout — and a slot not written for :data:`STALE_S` (a worker stopped, killed, or being
restarted) is left out, so a dead worker can never hold the door shut.

A worker that stopped watching sleeps in its event loop; when another's count changes, that one
wakes it (a byte on the sleeper's own socket pair, made before the fork) so it asks again at once.
Without the wake-up both could sleep while connections queued: a hundred opened at once were
accepted a couple a second.
"""
from __future__ import annotations

import mmap
import socket
import struct
import time
from typing import Any, Callable

from waitress import wasyncore

#: A worker whose slot is older than this is not counted (its loop writes at least every second).
STALE_S = 2.5
_SLOT = struct.Struct("qd")  # open connections, time.monotonic() of the write


class WorkerShares:
    """Each worker's open connections, readable by all, written by each into its own slot."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._memory = mmap.mmap(-1, _SLOT.size * workers)  # anonymous and shared: survives fork
        self._bells = [socket.socketpair() for _ in range(workers)]  # (worker's ear, others' mouth)
        for ear, mouth in self._bells:
            ear.setblocking(False)
            mouth.setblocking(False)

    def ear(self, index: int) -> socket.socket:
        """Where worker ``index`` hears that another's count changed."""
        return self._bells[index][0]

    def wake_others(self, index: int) -> None:
        for other, (_, mouth) in enumerate(self._bells):
            if other != index:
                try:
                    mouth.send(b"!")
                except OSError:  # full (that worker is stopped or gone): it has enough to wake on
                    pass

    def note(self, index: int, connections: int) -> None:
        _SLOT.pack_into(self._memory, index * _SLOT.size, connections, time.monotonic())

    def counts(self) -> list[int | None]:
        """Every worker's open connections; None for a slot not written lately."""
        now = time.monotonic()
        found: list[int | None] = []
        for index in range(self.workers):
            connections, written = _SLOT.unpack_from(self._memory, index * _SLOT.size)
            found.append(connections if written and now - written < STALE_S else None)
        return found

    def may_accept(self, index: int, connections: int) -> bool:
        """Note this worker's count; True while no live worker holds fewer connections."""
        self.note(index, connections)
        others = [c for i, c in enumerate(self.counts()) if i != index and c is not None]
        return not others or connections <= min(others)


class _Bell(wasyncore.dispatcher):
    """The worker's ear in its event loop: it wakes the loop and is emptied."""

    def __init__(self, sock: socket.socket, socket_map: dict[int, Any]) -> None:
        super().__init__(sock, map=socket_map)
        self.ear = sock

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def handle_read(self) -> None:
        try:
            while self.ear.recv(4096):
                pass
        except BlockingIOError:
            pass

    def handle_close(self) -> None:  # the parent's end lives as long as the panel
        pass


def gate_accepting(server: Any, shares: WorkerShares, index: int) -> None:
    """Have waitress's ``server`` watch its listening socket only while ``shares`` say it may.

    waitress asks ``readable()`` of every socket it holds at each turn of its loop; the server's
    own answer (its connection limit, its clean-up of idle channels) still comes first. When this
    worker's count changes, the others are woken to ask again.
    """
    own: Callable[[], bool] = server.readable
    _Bell(shares.ear(index), server._map)
    last = [-1]

    def readable() -> bool:
        connections = len(server.active_channels)
        if connections != last[0]:
            last[0] = connections
            shares.note(index, connections)
            shares.wake_others(index)
        if not own():
            return False
        return shares.may_accept(index, connections)

    server.readable = readable
