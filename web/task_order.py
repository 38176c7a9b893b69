"""How a panel worker's threads take requests: one fresh request at a time, in arrival order.

Why not waitress's own dispatcher: it hands each request to the first free thread of eight, and
the eight then run side by side on one interpreter lock. A page is 1–3 ms of Python; run eight at
a time, each is sliced by the others, the threads hand the lock back and forth and every page
ends as late as the slowest (measured, 20 clients back to back: 2.25 ms of server CPU a request
and p95 46–56 ms with eight threads, 1.98 ms and 33 ms with one). One thread alone would block
the process behind any request that waits — an export, a preview that calls gTTS, an upload
checked by ffmpeg, a write waiting for the database — so the threads stay, and only the order
changes: a thread takes the next request only when no request began less than
``young_after_s`` ago. A request that runs longer than that no longer holds the others back,
and the thread that finishes a request takes the next one itself (no hand-off to another
thread between two pages).
"""
from __future__ import annotations

import time
from typing import Any

from waitress.task import ThreadedTaskDispatcher

#: How long a request keeps the others waiting: longer than any list page (a few ms even on a
#: busy machine), short enough that a slow export or preview delays a page by little.
YOUNG_AFTER_S = 0.05


class OneFreshAtATime(ThreadedTaskDispatcher):
    """waitress's dispatcher, except that at most one request younger than ``young_after_s``
    runs at a time; requests wait in arrival order."""

    def __init__(self, young_after_s: float = YOUNG_AFTER_S) -> None:
        super().__init__()
        self.young_after_s = young_after_s
        #: thread number: when its current request began
        self.started: dict[int, float] = {}
        #: threads waiting for the youngest running request to age (one is enough)
        self.watching = 0

    def _wait_for_turn_s(self, now: float) -> float:
        """0 when a request may start now, else how long until the youngest running one ages."""
        if not self.started:
            return 0.0
        youngest = max(self.started.values())
        return max(0.0, youngest + self.young_after_s - now)

    def add_task(self, task: Any) -> None:
        """Queue ``task``; wake a thread only if it could start it, or if none watches the clock.

        Waking a thread that can only go back to sleep costs a switch of threads per request;
        the thread running the young request takes the next one itself when it ends.
        """
        with self.lock:
            self.queue.append(task)
            if self.watching == 0 or self._wait_for_turn_s(time.monotonic()) <= 0:
                self.queue_cv.notify()

    def handler_thread(self, thread_no: int) -> None:
        while True:
            with self.lock:
                while True:
                    if self.stop_count > 0:
                        self.active_count -= 1
                        self.stop_count -= 1
                        self.threads.discard(thread_no)
                        self.thread_exit_cv.notify()
                        return
                    if self.queue:
                        wait_s = self._wait_for_turn_s(time.monotonic())
                        if wait_s <= 0:
                            break
                        self.watching += 1
                        try:
                            self.queue_cv.wait(wait_s)
                        finally:
                            self.watching -= 1
                        continue
                    self.active_count -= 1
                    self.queue_cv.wait()
                    self.active_count += 1
                task: Any = self.queue.popleft()
                self.started[thread_no] = time.monotonic()
            try:
                task.service()
            except BaseException:
                self.logger.exception("phục vụ yêu cầu %r lỗi", task)
            finally:
                # No one to wake: this thread loops back and takes the next request itself.
                with self.lock:
                    self.started.pop(thread_no, None)
