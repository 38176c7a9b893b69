"""The order in which a panel worker's threads take requests (web.task_order), on a real waitress
server built as ``broadcaster web`` builds it, over TCP."""
from __future__ import annotations

import http.client
import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pytest

from broadcaster.config import load_settings
from web.server import make_server


class _Recorder:
    """A WSGI app: ``/page`` is a few ms of Python and queries, ``/slow`` waits a second (as an export or a
    gTTS call does); it notes how many pages run at once and in which order they began."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running_pages = 0
        self.most_pages_at_once = 0
        self.began: list[int] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        if path == "/slow":
            time.sleep(1.0)
        elif path == "/page":
            number = int(environ.get("QUERY_STRING") or 0)
            with self.lock:
                self.began.append(number)
                self.running_pages += 1
                self.most_pages_at_once = max(self.most_pages_at_once, self.running_pages)
            for _ in range(4):  # Python work between queries, as a page's is
                deadline = time.thread_time() + 0.001
                while time.thread_time() < deadline:
                    pass
                time.sleep(0.0005)  # a query: the interpreter lock is let go meanwhile
            with self.lock:
                self.running_pages -= 1
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]


@pytest.fixture
def served(home: Path) -> Iterator[tuple[_Recorder, int]]:
    app = _Recorder()
    server = make_server(app, load_settings(home), host="127.0.0.1", port=0, threads=8)
    port = int(server.socket.getsockname()[1])
    runner = threading.Thread(target=server.run, daemon=True)
    runner.start()
    yield app, port
    server.close()
    server.task_dispatcher.shutdown()


def _get(port: int, path: str, timeout: float = 10.0) -> float:
    """GET ``path`` on a fresh connection; the seconds it took."""
    began = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        assert answer.status == 200 and answer.read() == b"ok"
    finally:
        connection.close()
    return time.monotonic() - began


def test_pages_asked_at_once_run_one_at_a_time_in_the_order_they_came(
        served: tuple[_Recorder, int]) -> None:
    app, port = served
    sockets = []
    for number in range(12):  # twelve browsers ask within a millisecond or two
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(f"GET /page?{number} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        sockets.append(sock)
        time.sleep(0.002)
    for sock in sockets:
        sock.settimeout(10)
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
        sock.close()
        assert data.startswith(b"HTTP/1.1 200"), data[:80]
    assert sorted(app.began) == list(range(12))
    assert app.most_pages_at_once == 1, "pages ran side by side on the interpreter lock"
    assert app.began == list(range(12)), "pages were not taken in the order they came"


def test_a_slow_request_does_not_hold_up_the_pages_behind_it(served: tuple[_Recorder, int]) -> None:
    _, port = served
    slow = threading.Thread(target=_get, args=(port, "/slow"))
    slow.start()
    time.sleep(0.1)  # the slow one has begun
    try:
        took = [_get(port, "/page") for _ in range(5)]
    finally:
        slow.join()
    assert max(took) < 0.5, f"pages waited behind a slow request: {took}"


def test_two_slow_requests_run_side_by_side(served: tuple[_Recorder, int]) -> None:
    _, port = served
    took: list[float] = []
    threads = [threading.Thread(target=lambda: took.append(_get(port, "/slow"))) for _ in range(2)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(took) == 2
    assert time.monotonic() - began < 1.6, "the second slow request waited for the first"

