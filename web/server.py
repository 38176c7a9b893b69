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
import logging
import time
from dataclasses import dataclass
from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import create_server
from waitress.utilities import Error

logger = logging.getLogger(__name__)

#: Paths whose bodies are audio files (the upload limit applies); everything else is a form or JSON.
UPLOAD_PATHS = frozenset({"/library/upload"})
#: Multipart framing around an uploaded file (boundaries, the title field).
MULTIPART_SLACK = 64 * 1024


class BodyTooLarge(Error):  # type: ignore[misc]
    """413 with the reason in Vietnamese (waitress's own says it in English)."""

    code = 413
    reason = "Request Entity Too Large"

    def to_response(self, ident: str | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
        body = f"Dữ liệu gửi lên quá lớn: {self.body}\r\n".encode("utf-8")
        return (f"{self.code} {self.reason}",
                [("Content-Type", "text/plain; charset=utf-8")], body)


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
        return f"tối đa {limit / (1024 * 1024):.0f} MiB cho địa chỉ này"
    return f"tối đa {max(1, limit // 1024)} KiB cho địa chỉ này"


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
                self.error = BodyTooLarge(_describe(getattr(self, "body_limit", 0)))
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


def make_server(app: Any, settings: Any, *, host: str, port: int, threads: int = 8) -> Any:
    """A waitress server for ``app`` with :class:`Limits` from ``settings`` (call ``.run()``)."""
    limits = limits_from_settings(settings)
    server = create_server(
        app, host=host, port=port, threads=threads, ident="loa-xa",
        max_request_body_size=max(limits.upload_bytes, limits.form_bytes) + 1,
        channel_timeout=limits.channel_timeout_s,
        cleanup_interval=max(1, min(5, limits.channel_timeout_s)),
        connection_limit=limits.connection_limit,
        # A body above this size is spooled to a temporary file rather than kept in memory.
        inbuf_overflow=512 * 1024,
    )
    server.channel_class = _channel_class(limits)
    return server
