"""A nudge: wake the station at once when a command row is written, instead of at the next poll.

SQLite has no NOTIFY. The row stays the truth (the station polls every ``station.reconcile_s``
all the same); the nudge only saves the wait. Each station binds a Unix datagram socket beside the
database file (``station-<output>.sock``), and whoever commits a command sends one byte to every
such socket there. Nothing is read from the datagram: a stray or forged nudge costs one poll.
A path too long for a Unix socket (108 bytes) just means no nudge: the poll still picks it up.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

SUFFIX = ".sock"
_MAX_PATH = 107


def send(folder: Path) -> int:
    """Nudge every station whose socket is in ``folder``; returns how many were reached."""
    reached = 0
    try:
        paths = list(Path(folder).glob(f"station-*{SUFFIX}"))
    except OSError:
        return 0
    for path in paths:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            try:
                sock.sendto(b"!", str(path))
                reached += 1
            except OSError:  # no station behind it (a leftover), or its queue is full
                continue
    return reached


class NudgeListener:
    """The station's end: a thread that sets ``wake`` on every datagram."""

    def __init__(self, path: Path, wake: threading.Event) -> None:
        self.path = path
        self.wake = wake
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        if len(os.fsencode(self.path)) > _MAX_PATH:
            logger.info("đường dẫn %s quá dài cho socket: lệnh được nhận qua lượt hỏi định kỳ",
                        self.path)
            return False
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self.path.unlink(missing_ok=True)  # a leftover of a killed station (the lock is ours)
            sock.bind(str(self.path))
            os.chmod(self.path, 0o660)
        except OSError as exc:
            sock.close()
            logger.warning("không mở được socket đánh thức %s: %s", self.path, exc)
            return False
        self._sock = sock
        self._thread = threading.Thread(target=self._run, name="nudge", daemon=True)
        self._thread.start()
        return True

    def _run(self) -> None:
        sock = self._sock
        assert sock is not None
        while True:
            try:
                sock.recv(16)
            except OSError:  # closed at shutdown
                return
            self.wake.set()

    def stop(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._sock.close()
            self._sock = None
        self.path.unlink(missing_ok=True)
