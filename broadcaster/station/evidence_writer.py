"""The evidence writer: entries and state marks written beside the playout, never in front of it.

Why a thread with a queue: a locked database (a long report export, another writer) or a full disk
must never keep a ready program off the air or delay the next one. The playout hands its record
over and goes on; this thread writes it through the :class:`~.interfaces.EvidenceSink`, in the
order handed over (the chain is ordered), retrying with a growing pause (0.2 s up to
:data:`MAX_PAUSE_S`) for as long as it takes. Nothing is dropped: at shutdown :meth:`stop` keeps
trying for a while and logs, by key, whatever it still could not write.

Marks (``playing``, back to ``rendered``) go through the same queue, so a mark never overtakes the
entry before it.
"""
from __future__ import annotations

import collections
import logging
import threading
from dataclasses import dataclass
from typing import Callable, Union

from broadcaster.station.interfaces import EntryRecord, EvidenceSink, StateMark

logger = logging.getLogger(__name__)

MAX_PAUSE_S = 2.0
#: How long :meth:`EvidenceWriter.stop` keeps trying to write what is left.
STOP_TIMEOUT_S = 10.0



@dataclass
class Task:
    """Another station record that must not wait in front of the playout (a command's result)."""

    key: str
    run: Callable[[], object]
    attempts: int = 0


Item = Union[EntryRecord, StateMark, Task]


class EvidenceWriter:
    """Writes entries and marks in order, in its own thread, retrying until they are written."""

    def __init__(self, sink: EvidenceSink,
                 on_written: Callable[[str], object] | None = None) -> None:
        self.sink = sink
        self._on_written = on_written
        self._queue: collections.deque[Item] = collections.deque()
        self._cond = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="evidence-writer", daemon=True)
        self._thread.start()

    def submit(self, record: EntryRecord) -> None:
        """Queue one entry (returns at once)."""
        self._put(record)

    def mark(self, mark: StateMark) -> None:
        """Queue one state change (returns at once)."""
        self._put(mark)

    def task(self, key: str, run: Callable[[], object]) -> None:
        """Queue another write (``run`` raises on failure and is called again)."""
        self._put(Task(key, run))

    def _put(self, item: Item) -> None:
        with self._cond:
            self._queue.append(item)
            self._idle.clear()
            self._cond.notify_all()
        if self._thread is None:  # not started (tests, one-off use): write in the caller
            self._drain_now()

    def pending_keys(self) -> set[str]:
        """Occurrences whose entry is queued but not written yet (they count as recorded)."""
        with self._cond:
            return {item.key for item in self._queue if isinstance(item, EntryRecord)}

    def backlog(self) -> int:
        """Entries not yet written (for the heartbeat)."""
        with self._cond:
            return sum(1 for item in self._queue if isinstance(item, EntryRecord))

    def has_entry(self, key: str) -> bool:
        """Recorded already, or about to be."""
        return key in self.pending_keys() or self.sink.has_entry(key)

    def wait_idle(self, timeout: float) -> bool:
        """Block until everything queued is written (tests, shutdown)."""
        return self._idle.wait(timeout)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Write what is left (for up to ``timeout``), then end the thread."""
        self._idle.wait(timeout)
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            left = list(self._queue)
        for item in left:
            logger.error("chưa ghi được vào nhật ký khi dừng: %s (%s)", item.key,
                         getattr(item, "state", ""))
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _write(self, item: Item) -> bool:
        try:
            if isinstance(item, EntryRecord):
                self.sink.append(item)
                if self._on_written is not None:
                    self._on_written(item.key)
            elif isinstance(item, Task):
                item.run()
            else:
                self.sink.mark(item)
            return True
        except Exception:  # noqa: BLE001 - locked database, full disk: retried
            item.attempts += 1
            if item.attempts in (1, 3) or item.attempts % 20 == 0:
                logger.exception("chưa ghi được nhật ký cho %s (lần %d); sẽ thử lại",
                                 item.key, item.attempts)
            return False

    def _drain_now(self) -> None:
        while True:
            with self._cond:
                if not self._queue:
                    self._idle.set()
                    return
                item = self._queue[0]
            if not self._write(item):
                return
            with self._cond:
                self._queue.popleft()

    def _run(self) -> None:
        pause = 0.2
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._idle.set()
                    self._cond.wait()
                if not self._queue:
                    return
                item = self._queue[0]
            if self._write(item):
                with self._cond:
                    self._queue.popleft()
                    if not self._queue:
                        self._idle.set()
                pause = 0.2
                continue
            with self._cond:
                if self._closing:
                    return
                self._cond.wait(pause)
            pause = min(MAX_PAUSE_S, pause * 2)
