"""The panel's production server: waitress, hardened against bodies, tricklers and held sockets.

Why more than ``waitress.serve``: waitress reads a whole request (spooling a large body to a
temporary file) before the application sees it, so no Flask check can stop a 200 MiB POST to
``/login`` from being written to disk. The limits therefore live in waitress's own parser:

- a request body is refused (413, in Vietnamese) as soon as its headers say it is too big for its
  path, and a chunked body as soon as it passes that size: only the upload route may send up to
  ``audio.max_upload_mb``, every other path ``web.max_body_kb``;
- a request whose headers are not complete ``web.header_timeout_s`` after its first byte, or
  whose body arrives slower than ``web.min_upload_kbps``, is dropped (a trickling client keeps a
  socket, not a thread, but sockets are what a loudspeaker station's panel has few of);
- an idle connection is closed after ``web.channel_timeout_s`` and up to ``web.connection_limit``
  connections are held at once, so 100 held sockets leave room for ``/healthz``.

An Internet-facing commune should still put nginx in front (docs/ARCHITECTURE.md, "Web server").
"""
from __future__ import annotations

import copy
import ctypes
import gc
import html
import json
import logging
import os
import signal
import socket
import time
from dataclasses import dataclass
from typing import Any, Callable

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import create_server
from waitress.utilities import Error

from web.task_order import OneFreshAtATime
from web.worker_shares import WorkerShares, gate_accepting

logger = logging.getLogger(__name__)

#: Paths whose bodies are audio files (the upload limit applies); everything else is a form or JSON.
UPLOAD_PATHS = frozenset({"/library/upload"})
#: Multipart framing around an uploaded file (boundaries, the title field).
MULTIPART_SLACK = 64 * 1024


_TOO_LARGE_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dữ liệu gửi lên quá lớn — Loa xã</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}}
h1{{font-size:1.4rem}}</style></head>
<body><h1>Dữ liệu gửi lên quá lớn</h1>
<p>{reason}. Máy chủ đã từ chối trước khi nhận tệp, không có gì bị lưu.</p>
<p>Bấm nút <strong>Quay lại</strong> của trình duyệt để về trang vừa mở (chữ đã nhập vẫn còn),
rồi chọn tệp nhỏ hơn hoặc rút gọn nội dung.</p>
<p><a href="/">Về trang đầu bảng điều khiển</a></p></body></html>
"""


class BodyTooLarge(Error):  # type: ignore[misc]
    """413 with the reason in Vietnamese (waitress's own says it in English, in plain text).

    Why a page of its own: waitress answers before the app sees the request, so the panel's
    error pages cannot; a person gets a page with a way back, the API (``/api/``) JSON like
    every other API error.
    """

    code = 413
    reason = "Request Entity Too Large"

    def __init__(self, body: str, path: str = "") -> None:
        super().__init__(body)
        self.path = path

    def to_response(self, ident: str | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
        reason = f"Dữ liệu gửi lên quá lớn: {self.body}"
        if self.path.startswith("/api/"):
            body = json.dumps({"error": reason, "status": self.code}, ensure_ascii=False).encode("utf-8")
            kind = "application/json"
        else:
            body = _TOO_LARGE_PAGE.format(reason=html.escape(reason)).encode("utf-8")
            kind = "text/html; charset=utf-8"
        return (f"{self.code} {self.reason}",
                [("Content-Type", kind), ("X-Content-Type-Options", "nosniff"),
                 ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")],
                body)


@dataclass(frozen=True)
class Limits:
    """What the server allows; built from the settings by :func:`limits_from_settings`."""

    form_bytes: int
    upload_bytes: int
    header_timeout_s: float
    min_upload_bytes_per_s: float
    channel_timeout_s: int
    connection_limit: int

    def body_limit(self, path: str) -> int:
        return self.upload_bytes if path in UPLOAD_PATHS else self.form_bytes


def limits_from_settings(settings: Any) -> Limits:
    web = settings.web
    return Limits(
        form_bytes=int(web.max_body_kb) * 1024,
        upload_bytes=int(float(settings.audio.max_upload_mb) * 1024 * 1024) + MULTIPART_SLACK,
        header_timeout_s=float(web.header_timeout_s),
        min_upload_bytes_per_s=float(web.min_upload_kbps) * 1024,
        channel_timeout_s=max(1, int(web.channel_timeout_s)),
        connection_limit=max(10, int(web.connection_limit)),
    )


def _describe(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"tối đa {limit / (1024 * 1024):.0f} MB cho địa chỉ này"
    return f"tối đa {max(1, limit // 1024)} KB cho địa chỉ này"


def _parser_class(limits: Limits) -> type[HTTPRequestParser]:
    class GuardedParser(HTTPRequestParser):  # type: ignore[misc]
        """Applies the path's body limit the moment the headers are parsed."""

        def parse_header(self, header_plus: bytes) -> None:
            super().parse_header(header_plus)
            limit = limits.body_limit(self.path or "")
            # waitress refuses a body when its size reaches ``max_request_body_size``.
            if limit + 1 < self.adj.max_request_body_size:
                adj = copy.copy(self.adj)
                adj.max_request_body_size = limit + 1
                self.adj = adj
            self.body_limit = limit

        def received(self, data: bytes) -> int:
            consumed: int = super().received(data)
            if self.error is not None and getattr(self.error, "code", 0) == 413 \
                    and not isinstance(self.error, BodyTooLarge):
                logger.warning("từ chối thân yêu cầu quá lớn tới %s (%s byte theo tiêu đề)",
                               self.path, self.content_length)
                self.error = BodyTooLarge(_describe(getattr(self, "body_limit", 0)), self.path or "")
            return consumed

    return GuardedParser


def _channel_class(limits: Limits) -> type[HTTPChannel]:
    parser = _parser_class(limits)

    class GuardedChannel(HTTPChannel):  # type: ignore[misc]
        """Drops a request that trickles in: headers late, or a body slower than the floor."""

        parser_class = parser
        _request_started = 0.0
        _headers_done_at = 0.0

        def received(self, data: bytes) -> bool:
            now = time.monotonic()
            if self.request is None:
                self._request_started, self._headers_done_at = now, 0.0
            result: bool = super().received(data)
            request = self.request
            if request is None or request.completed:
                return result
            if not request.headers_finished:
                if now - self._request_started > limits.header_timeout_s:
                    self._drop("tiêu đề yêu cầu đến quá chậm")
                return result
            if not self._headers_done_at:
                self._headers_done_at = now
            elapsed = now - self._headers_done_at
            # A grace period, then at least the floor rate on average.
            if elapsed > limits.header_timeout_s and limits.min_upload_bytes_per_s > 0 and \
                    request.body_bytes_received < limits.min_upload_bytes_per_s * (
                        elapsed - limits.header_timeout_s):
                self._drop("thân yêu cầu đến quá chậm")
            return result

        def _drop(self, why: str) -> None:
            logger.warning("ngắt kết nối từ %s: %s", self.addr[0] if self.addr else "?", why)
            self.will_close = True
            self.request = None

    return GuardedChannel


def make_server(app: Any, settings: Any, *, host: str | None = None, port: int | None = None,
                threads: int = 8, sockets: list[socket.socket] | None = None) -> Any:
    """A waitress server for ``app`` with :class:`Limits` from ``settings`` (call ``.run()``),
    on ``host``:``port`` or on already bound ``sockets``."""
    limits = limits_from_settings(settings)
    where: dict[str, Any] = {"sockets": sockets} if sockets else {"host": host, "port": port}
    dispatcher = OneFreshAtATime()
    dispatcher.set_thread_count(threads)
    server = create_server(
        app, threads=threads, ident="loa-xa", _dispatcher=dispatcher, **where,
        max_request_body_size=max(limits.upload_bytes, limits.form_bytes) + 1,
        channel_timeout=limits.channel_timeout_s,
        cleanup_interval=max(1, min(5, limits.channel_timeout_s)),
        connection_limit=limits.connection_limit,
        # A body above this size is spooled to a temporary file rather than kept in memory.
        inbuf_overflow=512 * 1024,
    )
    server.channel_class = _channel_class(limits)
    return server


def worker_count(setting: int) -> int:
    """``web.processes``: 0 means one per core (a station's server has two)."""
    return setting if setting > 0 else max(1, os.cpu_count() or 1)


def port_taken(host: str, port: int) -> bool:
    """Is ``host``:``port`` already bound (another panel, another program)?

    Asked with a plain socket before any socket of ours exists, so that a second panel started on
    the same port by mistake is refused in Vietnamese rather than failing deep inside waitress."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port``, not yet listening.

    Not yet listening: waitress listens when a worker's server is built, after its app is, so a
    connection is never taken before some worker can answer it (a client that sees the port
    open may use it at once).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def serve(build_app: Callable[[], Any], settings: Any, *, host: str, port: int, threads: int = 8,
          processes: int = 1, ready: Callable[[], None] | None = None) -> None:
    """Serve the panel until SIGTERM or Ctrl-C: in this process, or in ``processes`` workers.

    Why several processes: one Python process runs its threads on one core at a time, so a
    second core sits idle while pages queue. The port is bound here (so a port in use fails at
    once) and the workers accept from that one socket, each only while it holds no more open
    connections than the least busy of the others (:mod:`web.worker_shares`); every worker
    serves the app ``build_app`` gives it
    (``broadcaster web`` builds one before the fork, templates compiled, no connection open) and
    opens its own connections after the fork (an SQLite connection must never cross a fork). Nothing a request needs is
    kept in one worker's memory alone: the session and its CSRF token live in the signed
    cookie, the login limits and revoked logins in the database (``broadcaster.panel_state``);
    what workers do keep (rendered rows, the menu, the chain's last check) is a cache keyed by
    content. A worker that dies is started again.
    """
    freeze_long_lived_objects()
    if processes <= 1:
        server = make_server(build_app(), settings, host=host, port=port, threads=threads)
        if ready:
            ready()
        _run(server)
        return
    # One socket for all, and a fair share each: left to the kernel, keep-alive connections
    # split unevenly and one core queued pages while the other idled (web.worker_shares).
    sock = listening_socket(host, port)
    shares = WorkerShares(processes)
    workers: dict[int, tuple[int, float]] = {}  # pid: (its slot in the shares, started)
    stopping = False

    parent = os.getpid()

    def start_worker(index: int) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                # Default first: the parent's own handler (which only notes "stopping") is
                # inherited, and the parent's death signal set next must kill, not be noted.
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us
                _die_with_parent(parent)
                server = make_server(build_app(), settings, sockets=[sock], threads=threads)
                gate_accepting(server, shares, index)
                _run(server)
            except BaseException:  # a worker must never return into the parent's loop
                logger.exception("tiến trình phục vụ bảng điều khiển %d dừng vì lỗi", os.getpid())
                code = 1
            finally:
                os._exit(code)
        workers[pid] = (index, time.monotonic())

    waiting = False

    def stop(_signum: int, _frame: Any) -> None:
        # Only noting "stopping" is not enough while the parent waits for a worker: Python
        # retries an interrupted waitpid (PEP 475), so the wait would last until a worker died
        # and `systemctl stop` would run into its timeout. Raising ends the wait; anywhere else
        # (forking, restarting, stopping) the loop sees the flag at its next turn.
        nonlocal stopping
        stopping = True
        if waiting:
            raise _StopRequested

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for index in range(processes):
            start_worker(index)
        if ready:
            ready()
        restarts: list[float] = []
        while True:
            try:
                waiting = True
                if stopping:
                    break
                pid, status = os.waitpid(-1, 0)
            except (_StopRequested, ChildProcessError):
                break
            finally:
                waiting = False
            gone = workers.pop(pid, None)
            if stopping or gone is None:
                continue
            now = time.monotonic()
            restarts = [t for t in restarts if now - t < 60] + [now]
            logger.error("tiến trình phục vụ %d đã dừng (mã %s); khởi động lại", pid, status)
            if len(restarts) > 5:
                logger.error("tiến trình phục vụ dừng quá 5 lần trong một phút: ngừng bảng điều khiển")
                break
            time.sleep(1.0)
            start_worker(gone[0])
    except _StopRequested:  # a stop that came just as a wait ended
        pass
    finally:
        for pid in list(workers):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        for pid in list(workers):
            try:
                while time.monotonic() < deadline:
                    done, _ = os.waitpid(pid, os.WNOHANG)
                    if done:
                        break
                    time.sleep(0.05)
                else:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
            except ChildProcessError:  # reaped already (a stop that came just after its wait)
                pass
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()


def freeze_long_lived_objects() -> int:
    """Move every object alive now out of the garbage collector's sight; the count frozen.

    Why: what exists before serving (imported modules, the app, its compiled templates, the
    models' metadata) lives as long as the process. Left in the collector's oldest generation,
    every full collection walks all of it — measured under 20 clients back to back: 100–360 ms
    with the worker's threads stopped, three times in 10 s, the whole of the p99. Frozen, a full
    collection walks only what requests made since. Done before the fork it also keeps the
    workers' copy-on-write pages shared (walking an object writes to its header).
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


class _StopRequested(Exception):
    """Raised by the parent's SIGTERM/SIGINT handler to end its wait for a worker."""


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Have the kernel stop this worker when its parent dies, however it dies.

    Why: a parent killed outright (SIGKILL, a crash) cannot stop its workers, and orphaned
    workers would keep serving from the inherited socket, so a restarted panel could not bind
    its port. Linux's PR_SET_PDEATHSIG sends SIGTERM to the worker at the parent's death.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        logger.warning("không đặt được tín hiệu dừng theo tiến trình cha cho tiến trình phục vụ")
    if os.getppid() != parent:  # the parent died before the call took effect
        os._exit(0)


def _run(server: Any) -> None:
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
