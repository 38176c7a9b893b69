"""The panel's real server (``broadcaster web``, waitress) under abuse: huge bodies, tricklers,
held sockets. Each test talks to a real process over TCP, as an attacker would."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(home: Path) -> Iterator[int]:
    """``broadcaster web`` on a free port, with a short header deadline so the test is quick."""
    port = _free_port()
    env = dict(os.environ, BROADCASTER_HOME=str(home), BROADCASTER_WEB_HEADER_TIMEOUT_S="2",
               BROADCASTER_WEB_CHANNEL_TIMEOUT_S="4")
    proc = subprocess.Popen([sys.executable, "-m", "broadcaster", "web", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(proc.stdout.read().decode() if proc.stdout else "web exited") from None
            time.sleep(0.1)
    else:
        proc.kill()
        raise AssertionError("the panel did not start listening within 30 s")
    yield port
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _response(sock: socket.socket, timeout: float = 5.0) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _healthz(port: int, timeout: float) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: loa-xa\r\nConnection: close\r\n\r\n")
        head = _response(sock, timeout)
    assert head.startswith(b"HTTP/1.1 "), head
    return int(head.split(b" ", 2)[1])


def test_a_huge_post_to_login_is_refused_from_its_headers_before_any_body_is_sent(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), timeout=5) as sock:
        sock.sendall(b"POST /login HTTP/1.1\r\nHost: loa-xa\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 209715200\r\n\r\n")
        started = time.monotonic()
        head = _response(sock)
        # Not a byte of the 200 MiB was sent: the answer comes from the headers alone.
        assert head.startswith(b"HTTP/1.1 413"), head
        assert time.monotonic() - started < 3
        rest = sock.recv(4096)
    page = (head + rest).decode("utf-8", "replace")
    # A page a person can read, with the way back, in the units they know (not "MiB").
    assert "text/html" in page and "Dữ liệu gửi lên quá lớn" in page and "Quay lại" in page, page
    assert re.search(r"tối đa \d+ [KM]B cho địa chỉ này", page) and "KiB" not in page, page
    assert "Entity" not in page.split("\r\n\r\n", 1)[1], page


def test_a_huge_post_to_the_api_is_refused_in_json(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), timeout=5) as sock:
        sock.sendall(b"POST /api/v1/bulletins HTTP/1.1\r\nHost: loa-xa\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 209715200\r\n\r\n")
        head = _response(sock)
        rest = sock.recv(4096)
    answer = (head + rest).decode("utf-8")
    assert answer.startswith("HTTP/1.1 413") and "application/json" in answer, answer
    body = json.loads(answer.split("\r\n\r\n", 1)[1])
    assert body["status"] == 413 and body["error"].startswith("Dữ liệu gửi lên quá lớn"), body


def test_a_chunked_body_is_cut_off_at_the_form_limit(server: int) -> None:
    chunk = b"%x\r\n%s\r\n" % (65536, b"a" * 65536)
    sent = 0
    with socket.create_connection(("127.0.0.1", server), timeout=5) as sock:
        sock.sendall(b"POST /login HTTP/1.1\r\nHost: loa-xa\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(64 * 16):  # up to 64 MiB
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the server closed the connection: what we want
        head = _response(sock)
    assert head.startswith(b"HTTP/1.1 413"), head
    assert sent < 32 * 1024 * 1024, f"{sent} bytes accepted before the refusal"


def test_a_client_trickling_its_headers_is_dropped(server: int) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: loa-xa\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"
    started = time.monotonic()
    dropped_after = None
    with socket.create_connection(("127.0.0.1", server), timeout=5) as sock:
        for byte in request:
            try:
                sock.sendall(bytes([byte]))
                time.sleep(0.25)
                sock.setblocking(False)
                try:
                    if sock.recv(1) == b"":
                        dropped_after = time.monotonic() - started
                        break
                except BlockingIOError:
                    pass
                finally:
                    sock.setblocking(True)
            except OSError:
                dropped_after = time.monotonic() - started
                break
            if time.monotonic() - started > 20:
                break
    assert dropped_after is not None, "a client sending one byte every 0.25 s was kept 20 s"
    assert dropped_after < 8


def test_a_hundred_held_sockets_do_not_make_healthz_time_out(server: int) -> None:
    held = []
    try:
        for i in range(100):
            sock = socket.create_connection(("127.0.0.1", server), timeout=5)
            if i % 2:  # half say nothing, half start a request and stop
                sock.sendall(b"POST /login HTTP/1.1\r\nHost: loa-xa\r\nContent-Length: 100\r\n\r\nname=")
            held.append(sock)
        started = time.monotonic()
        assert _healthz(server, timeout=3) == 200
        assert time.monotonic() - started < 3
    finally:
        for sock in held:
            sock.close()


def test_an_ordinary_login_post_still_works(server: int) -> None:
    body = b"name=nobody&password=wrong-password"
    with socket.create_connection(("127.0.0.1", server), timeout=5) as sock:
        sock.sendall(b"POST /login HTTP/1.1\r\nHost: loa-xa\r\nConnection: close\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        head = _response(sock)
    # No CSRF token: the panel itself answers (400), not the server's size guard.
    assert head.startswith(b"HTTP/1.1 400"), head


def test_what_lives_before_serving_is_frozen_so_full_collections_skip_it() -> None:
    """The app and its modules, frozen before the workers fork: a full collection walks only
    what requests made since (unfrozen it walked everything: pauses of 100-360 ms measured)."""
    import gc

    from web.server import freeze_long_lived_objects

    try:
        frozen = freeze_long_lived_objects()
        assert frozen > 1000 and frozen == gc.get_freeze_count()
        assert len(gc.get_objects(generation=2)) < frozen // 10
        garbage = [[]]
        garbage[0].append(garbage)  # a cycle made afterwards is still collected
        del garbage
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
