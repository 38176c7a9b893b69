"""One station per output: an ``fcntl`` lock file in the data folder.

Two stations on one output would air every broadcast twice and fight over the evidence log. The
kernel releases an ``flock`` when its process dies, even on ``kill -9``, so a crash never leaves a
stale lock that an operator must delete by hand.
"""
from __future__ import annotations

import fcntl
import logging
import os
import re
from pathlib import Path
from typing import IO

from broadcaster.errors import StationLockedError

logger = logging.getLogger(__name__)


def station_file(home: Path, output: str, suffix: str) -> Path:
    """A file of one output's station in the data folder (its lock, its air journal, its nudge)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", output) or "main"
    return home / f"station-{safe}{suffix}"


def lock_path(home: Path, output: str) -> Path:
    return station_file(home, output, ".lock")


class StationLock:
    """Held for the life of the daemon; ``release`` (or process exit) frees it."""

    def __init__(self, home: Path, output: str) -> None:
        self.path = lock_path(home, output)
        self.output = output
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise StationLockedError(
                f"Đã có một trạm phát đang chạy cho đầu ra '{self.output}' (tiến trình {holder}). "
                f"Mỗi đầu ra chỉ được chạy một trạm phát; hãy dừng trạm kia trước."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        logger.info("đã giữ khóa trạm phát %s (pid %d)", self.path, os.getpid())

    def release(self) -> None:
        if self._file is not None:
            try:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            finally:
                self._file.close()
                self._file = None

    def __enter__(self) -> "StationLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
