"""A local endpoint that accepts connections and never answers: the worst network for gTTS.

Used as ``HTTPS_PROXY``: gTTS connects, sends its CONNECT, and waits for an answer that never
comes (measured behind such a proxy before issue 14: a first render took 31.5 s, three
10-second timeouts). The sockets are held open until the fixture ends.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest


class BlackHole:
    """Accepts every connection, reads nothing, answers nothing."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="black-hole", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        self.server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self._held.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for conn in self._held:
            conn.close()
        self.server.close()


@pytest.fixture
def black_hole(monkeypatch: pytest.MonkeyPatch) -> Iterator[BlackHole]:
    """gTTS's traffic goes to a proxy that never answers (HTTPS_PROXY for this process)."""
    hole = BlackHole()
    for name in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, hole.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    yield hole
    hole.close()
