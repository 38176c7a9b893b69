"""``broadcaster web --processes 2``: two real waitress processes, one login.

Each check pins one connection to each worker (the other worker is stopped with SIGSTOP while a
connection is opened, so only one can answer it) and then does something on one worker that the
other must know: a session and its CSRF token made by one are good on the other, a logout on one
ends the copied cookie on the other, and failed logins or renders counted by one are counted by
both. With the limits or the revoked logins in one process's memory, each of these fails.
"""
from __future__ import annotations

import contextlib
import http.client
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Iterator

import pytest

from web.server import port_taken

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "mat-khau-dai-12"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


class Browser:
    """One keep-alive connection (so: one worker) carrying a cookie jar of one cookie."""

    def __init__(self, port: int, cookie: str = "") -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = cookie
        self.conn.connect()

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                self.cookie = value.split(";", 1)[0]
        return response.status, response.getheader("Location") or "", text

    def token(self, path: str) -> str:
        status, _, page = self.request("GET", path)
        assert status == 200, (path, status)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, page[:500]
        return match.group(1)

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def two_workers(home: Path, ctx) -> Iterator[tuple[int, list[int], int]]:
    """``broadcaster web --processes 2``: (port, the two worker pids, a bulletin id)."""
    from broadcaster import bulletins
    from broadcaster.users import add_user

    with ctx.session() as session:
        add_user(session, "bientap", "editor", PASSWORD)
        add_user(session, "duyet", "approver", PASSWORD)
        bulletin = bulletins.add_bulletin(session, title="Lịch tiêm chủng", body="Kính thưa bà con.")
        session.flush()
        bulletin_id = bulletin.id
    port = _free_port()
    env = dict(os.environ, BROADCASTER_HOME=str(home), BROADCASTER_WEB_RENDERS_PER_MINUTE="1")
    proc = subprocess.Popen([sys.executable, "-m", "broadcaster", "web", "--port", str(port),
                             "--processes", "2", "--threads", "2"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(proc.stdout.read().decode() if proc.stdout else "web exited")
            workers = _children(proc.pid)
            if len(workers) == 2:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    pass
            time.sleep(0.1)
        else:
            raise AssertionError(f"two workers were not listening within 60 s: {workers}")
        # Both workers answer (a stopped one cannot, so a connection is answered by the other).
        for pid in workers:
            pinned = _pinned(port, workers, pid)
            assert pinned.request("GET", "/login")[0] == 200
            pinned.close()
        yield port, workers, bulletin_id
    finally:
        for pid in _children(proc.pid):
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert not _children(proc.pid), "stopping the server stops its workers"


def _pinned(port: int, workers: list[int], serving: int, cookie: str = "") -> Browser:
    """A connection accepted by worker ``serving``: the others are stopped while it is made.

    The workers accept from one socket, each only while no live worker holds fewer connections
    (web.worker_shares): a stopped worker's count goes stale within seconds and stops counting,
    and until then a connection may wait unanswered: it is dropped and another one made, until
    the running worker answers.
    """
    others = [pid for pid in workers if pid != serving]
    for pid in others:
        os.kill(pid, signal.SIGSTOP)
    try:
        for _ in range(40):
            browser = Browser(port, cookie)
            browser.conn.sock.settimeout(1.0)
            try:
                # An answer proves the connection was accepted (by the only running worker).
                assert browser.request("GET", "/healthz")[0] in (200, 503)
            except TimeoutError:
                browser.close()
                continue
            browser.conn.sock.settimeout(30)
            return browser
        raise AssertionError(f"worker {serving} answered none of 40 connections")
    finally:
        for pid in others:
            os.kill(pid, signal.SIGCONT)


def _login(browser: Browser, name: str, password: str = PASSWORD) -> int:
    token = browser.token("/login")
    return browser.request("POST", "/login", {"csrf_token": token, "name": name, "password": password})[0]


def test_a_login_and_its_csrf_token_from_one_worker_hold_on_the_other_and_logout_ends_both(two_workers) -> None:
    port, (first, second), _ = two_workers
    a = _pinned(port, [first, second], first)
    assert _login(a, "bientap") == 302
    token = a.token("/bulletins/new")
    b = _pinned(port, [first, second], second, cookie=a.cookie)
    status, _, page = b.request("GET", "/bulletins")
    assert status == 200 and "Đăng xuất" in page, "the other worker knows the login"
    # A form whose token came from the first worker is accepted by the second.
    status, location, page = b.request("POST", "/bulletins/new", {
        "csrf_token": token, "title": "Họp thôn tháng 12", "body": "Kính mời bà con đi họp.",
        "category": "Thông báo", "priority": "normal"})
    assert status == 302 and "/bulletins/" in location, (status, page[:300])
    copied = a.cookie
    # Logging out on the second worker ends the cookie the first worker still holds a copy of.
    logout_token = b.token("/bulletins")
    assert b.request("POST", "/logout", {"csrf_token": logout_token})[0] == 302
    thief = _pinned(port, [first, second], first, cookie=copied)
    status, location, _ = thief.request("GET", "/bulletins")
    assert status == 302 and "/login" in location, \
        "a cookie copied before logout must be refused by every worker"
    for browser in (a, b, thief):
        browser.close()


def test_failed_logins_on_one_worker_count_on_the_other(two_workers) -> None:
    port, (first, second), _ = two_workers
    a = _pinned(port, [first, second], first)
    for _ in range(5):
        assert _login(a, "bientap", "sai-mat-khau") == 401
    b = _pinned(port, [first, second], second)
    assert _login(b, "bientap") == 429, "the second worker must refuse after 5 failures on the first"
    # Another name from the same address is still let in (the per-address limit is 20).
    assert _login(b, "duyet") == 302
    a.close()
    b.close()


def test_renders_counted_on_one_worker_count_on_the_other(two_workers) -> None:
    port, (first, second), bulletin_id = two_workers
    a = _pinned(port, [first, second], first)
    assert _login(a, "duyet") == 302
    token = a.token(f"/bulletins/{bulletin_id}")
    status, _, body = a.request("POST", f"/bulletins/{bulletin_id}/render", {"csrf_token": token})
    assert status in (200, 400), (status, body)  # counted whether or not the voice could render
    b = _pinned(port, [first, second], second, cookie=a.cookie)
    status, _, body = b.request("POST", f"/bulletins/{bulletin_id}/render", {"csrf_token": token})
    assert status == 429 and "quá nhiều lần" in body, (status, body)
    a.close()
    b.close()


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for init to reap it has stopped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@contextlib.contextmanager
def _two_workers_running(port: int, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], list[int]]]:
    """``broadcaster web --processes 2`` on ``port``, once both workers exist and the port
    answers: (the parent, the workers); whatever still runs afterwards is killed."""
    workers: list[int] = []
    proc = _start_two_workers(port, env, workers)
    try:
        yield proc, workers
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _start_two_workers(port: int, env: dict[str, str], workers: list[int]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "broadcaster", "web", "--port", str(port),
                             "--processes", "2", "--threads", "2"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "web exited"
        workers[:] = _children(proc.pid)
        if len(workers) == 2:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return proc
            except OSError:
                pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"two workers were not listening within 60 s: {workers}")


def test_workers_stop_when_their_parent_is_killed_and_the_port_is_free_again(home: Path) -> None:
    """A parent killed outright (SIGKILL, a crash) leaves no worker holding the panel's port."""
    port = _free_port()
    env = dict(os.environ, BROADCASTER_HOME=str(home))
    with _two_workers_running(port, env) as (proc, workers):
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.1)
        assert not [pid for pid in workers if _alive(pid)], "orphaned workers still serve"
        # A restarted panel can take its port: asked as the panel asks (SO_REUSEADDR, so a
        # connection of some other program left in TIME_WAIT on that port number does not count;
        # a socket still listening there does), then by starting one.
        # The kernel may finish closing the workers' shared listening socket a moment after
        # they are gone (its last reference dropped after their exit): systemd restarts the panel
        # a few seconds later (RestartSec), so a second is allowed here.
        freed = time.monotonic() + 1.0
        while port_taken("127.0.0.1", port) and time.monotonic() < freed:
            time.sleep(0.05)
        held = subprocess.run(["ss", "-tanp", f"sport = :{port}"], capture_output=True, text=True,
                              check=False).stdout
        assert not port_taken("127.0.0.1", port), held
        again = subprocess.Popen([sys.executable, "-m", "broadcaster", "web", "--port", str(port),
                                  "--processes", "1"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
        try:
            assert again.stdout is not None
            readable, _, _ = select.select([again.stdout], [], [], 60)
            first_line = again.stdout.readline() if readable else "(không trả lời sau 60 giây)"
            assert "đang chạy tại" in first_line, first_line
        finally:
            again.kill()
            again.wait()


def test_a_stop_from_systemd_ends_the_parent_and_its_workers_within_seconds(home: Path) -> None:
    """`systemctl stop` sends SIGTERM to the parent: it must stop its workers and exit at once,
    not wait for a worker to die (systemd would wait its timeout, then kill)."""
    port = _free_port()
    with _two_workers_running(port, dict(os.environ, BROADCASTER_HOME=str(home))) as (proc, workers):
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
        took = time.monotonic() - started
        assert code == 0, code
        assert took < 8, f"the parent took {took:.1f} s to stop"
        assert not [pid for pid in workers if _alive(pid)], "workers outlive their parent's stop"
        assert not port_taken("127.0.0.1", port)


def _established_per_worker(port: int, workers: list[int]) -> dict[int, int]:
    """How many open connections of ``port`` each worker holds (Linux ``/proc``)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[1].rsplit(":", 1)[1] == f"{port:04X}" and fields[3] == "01":  # ESTABLISHED
                inodes.add(fields[9])
    held = {}
    for pid in workers:
        count = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                count += 1
        held[pid] = count
    return held


def test_both_workers_take_their_share_of_the_connections(two_workers) -> None:
    """Twenty people's browsers (keep-alive connections) are spread evenly over both workers, so
    both cores serve pages: the kernel alone gave 19 of 20 to one worker (one socket shared) or
    split them 14/6 (SO_REUSEPORT's hash)."""
    port, workers, _ = two_workers
    browsers = [Browser(port) for _ in range(20)]
    try:
        for browser in browsers:
            assert browser.request("GET", "/login")[0] == 200
        held = _established_per_worker(port, workers)
        assert sum(held.values()) == 20, held
        assert max(held.values()) - min(held.values()) <= 2, f"connections per worker: {held}"
    finally:
        for browser in browsers:
            browser.close()


def test_a_second_panel_on_the_same_port_is_refused_and_the_first_keeps_serving(two_workers, home: Path) -> None:
    """A second panel started on the same port by mistake is refused, in Vietnamese, and the
    first keeps serving."""
    port, _, _ = two_workers
    env = dict(os.environ, BROADCASTER_HOME=str(home))
    second = subprocess.run([sys.executable, "-m", "broadcaster", "web", "--port", str(port),
                             "--processes", "2"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert second.returncode == 2, second.stdout + second.stderr
    assert f"cổng {port}" in second.stdout and "đang được dùng" in second.stdout, second.stdout
    browser = Browser(port)
    assert browser.request("GET", "/login")[0] == 200
    browser.close()
