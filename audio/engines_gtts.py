"""gTTS: Google Translate's Vietnamese voice, natural but network-bound and unreliable.

Three things in gTTS have to be guarded against on a commune's link:
- its timeout defaults to ``None``: a stalled connection would hang the render forever, so
  an explicit timeout is always passed (or, for a gTTS without the parameter, enforced by
  abandoning the worker thread at a deadline);
- ``save()`` opens the target file before the request: a failure leaves a 0-byte file, so the
  MP3 is written to memory and only a complete, converted, checked file reaches the cache;
- a transient 5xx or connection reset is common: a few retries with a short backoff (a 5xx or
  429 that outlasts them opens the breaker in :mod:`audio.tts`, like a dead link); but a
  link that connects and never answers (a black hole) is not retried: the first timeout ends
  gTTS for this render (and trips the breaker in :mod:`audio.tts`), since three 10-second
  timeouts would make a broadcast added a few seconds ahead air late;
- a render may give gTTS only part of its time (:meth:`GttsEngine.set_deadline`): no request
  waits past that instant, so espeak-ng still has time to speak before air time.
"""

from __future__ import annotations

import inspect
import io
import logging
import tempfile
import threading
import time
from pathlib import Path

from audio.audiofile import AudioToolError, to_speech_wav, tool_available

logger = logging.getLogger(__name__)

#: Backoff before retry number n (0-based) is ``BACKOFF_S * 2**n``: 0.2 s, 0.4 s, ...
BACKOFF_S = 0.2
#: Shortest time worth giving one request; with less left of the budget, gTTS gives up.
MIN_REQUEST_S = 0.5


class GttsUnavailableError(AudioToolError):
    """gTTS cannot serve now, whatever the text: no answer at all, or Google's servers failing
    (5xx, 429) after the retries.

    :func:`audio.tts.synthesize` uses it to stop trying gTTS for a while (a circuit breaker):
    a server that answered 503 to this render's retries will most likely answer 503 to the next
    render's too, and every render would spend its backoff before espeak-ng speaks.
    """


class GttsUnreachableError(GttsUnavailableError):
    """gTTS failed for a network reason (no connection, timeout, DNS), not an answer from Google."""


class GttsEngine:
    """Synthesise with gTTS (``lang="vi"``); MP3 is decoded to the cache format by ffmpeg."""

    name = "gtts"
    #: Requests wait on the network, not on the CPU: a few can run at once.
    parallelism = 4

    def __init__(self, tld: str = "com.vn", timeout_s: float = 10.0, retries: int = 2) -> None:
        if timeout_s <= 0:
            raise ValueError("Thời gian chờ gTTS phải lớn hơn 0 giây.")
        if retries < 0:
            raise ValueError("Số lần thử lại gTTS không được âm.")
        self.tld = tld
        self.timeout_s = timeout_s
        self.retries = retries
        # Set when one piece has used up its retries: the other pieces of the same bulletin
        # stop retrying, so a dead network costs one piece's retries, not every piece's.
        self._gave_up = threading.Event()
        self._reason = ""
        self._unreachable = False
        self._server_failing = False
        self._deadline: float | None = None  # time.monotonic() instant; None: no limit
        self.last_timeout_s = timeout_s  # the timeout the last request was given

    def set_deadline(self, monotonic_deadline: float | None) -> None:
        """No request of this engine waits past ``monotonic_deadline`` (a time.monotonic())."""
        self._deadline = monotonic_deadline

    def _remaining(self) -> float | None:
        return None if self._deadline is None else self._deadline - time.monotonic()

    @property
    def voice(self) -> str:
        """gTTS has one Vietnamese voice per Google host; the host changes the accent slightly."""
        return f"vi-{self.tld}"

    def available(self) -> bool:
        """gTTS must be importable and ffmpeg installed (to decode its MP3)."""
        try:
            import gtts  # noqa: F401
        except ImportError:
            return False
        return tool_available("ffmpeg")

    def synthesize(self, text: str, rate: float, dest: Path) -> None:
        """Write ``text`` spoken by gTTS to ``dest`` (WAV, s16le mono 44100 Hz).

        ``rate`` is applied with ffmpeg ``atempo`` (tempo without pitch change), since
        Google's voice only offers "normal" and "slow".
        """
        if not self.available():
            raise AudioToolError("Không dùng được gTTS: thiếu thư viện gTTS hoặc ffmpeg.")
        mp3 = self._fetch_with_retries(text)
        with tempfile.TemporaryDirectory(prefix="gtts-") as workdir:
            src = Path(workdir) / "gtts.mp3"
            src.write_bytes(mp3)
            try:
                to_speech_wav(src, dest, tempo=rate)
            except AudioToolError as exc:
                raise AudioToolError(f"gTTS trả về dữ liệu không phải MP3 hợp lệ: {exc}") from exc

    def _fetch_with_retries(self, text: str) -> bytes:
        """Fetch the MP3 bytes, retrying transient failures with exponential backoff."""
        from gtts import gTTSError

        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if self._gave_up.is_set():
                raise self._failure_class()(self._reason)
            remaining = self._remaining()
            if remaining is not None and remaining < MIN_REQUEST_S:
                last = TimeoutError("gTTS time budget used up")
                break
            if attempt:
                delay = BACKOFF_S * 2 ** (attempt - 1)
                logger.info("gTTS thử lại lần %d/%d sau %.1f giây", attempt, self.retries, delay)
                time.sleep(delay)
            try:
                data = self._fetch(text)
            except gTTSError as exc:
                last = exc
                status = getattr(getattr(exc, "rsp", None), "status_code", None)
                logger.warning("gTTS lần %d thất bại: %s", attempt + 1, exc)
                if status is not None and 400 <= status < 500 and status != 429:
                    break  # the request itself is refused: repeating it will not help
                if _is_timeout(exc):
                    break  # no answer at all: a retry would wait as long again
                continue
            except TimeoutError as exc:
                last = exc
                logger.warning("gTTS lần %d quá thời gian chờ", attempt + 1)
                break
            except AssertionError as exc:  # gTTS asserts there is something to speak
                raise AudioToolError(f"gTTS không có gì để đọc: {exc}") from exc
            if not data:
                last = None
                logger.warning("gTTS lần %d không trả về âm thanh", attempt + 1)
                continue
            return data
        self._reason = _describe_failure(last, self)
        self._unreachable = _is_network_failure(last)
        self._server_failing = _is_server_failure(last)
        self._gave_up.set()
        raise self._failure_class()(self._reason)

    def _failure_class(self) -> type[AudioToolError]:
        """The error that says why gTTS gave up, so the caller knows whether to open the breaker."""
        if self._unreachable:
            return GttsUnreachableError
        return GttsUnavailableError if self._server_failing else AudioToolError

    def _fetch(self, text: str) -> bytes:
        """One gTTS call (which may itself send several requests for text over 100 chars)."""
        from gtts import gTTS

        remaining = self._remaining()
        timeout = self.timeout_s if remaining is None else max(MIN_REQUEST_S, min(self.timeout_s, remaining))
        self.last_timeout_s = timeout
        if _gtts_has_timeout():
            tts = gTTS(text, lang="vi", tld=self.tld, timeout=timeout)
            buffer = io.BytesIO()
            tts.write_to_fp(buffer)
            return buffer.getvalue()
        return self._fetch_with_deadline(gTTS(text, lang="vi", tld=self.tld))

    def _fetch_with_deadline(self, tts: object) -> bytes:
        """For a gTTS without a ``timeout`` parameter: give up at a deadline.

        The request cannot be cancelled from outside, so its (daemon) thread is abandoned;
        what it might still write goes to a buffer nobody reads.
        """
        buffer = io.BytesIO()
        failure: list[BaseException] = []

        def work() -> None:
            try:
                tts.write_to_fp(buffer)  # type: ignore[attr-defined]
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                failure.append(exc)

        worker = threading.Thread(target=work, name="gtts-request", daemon=True)
        worker.start()
        parts = max(1, len(getattr(tts, "text", "")) // 100 + 1)
        limit = self.timeout_s * parts
        remaining = self._remaining()
        worker.join(limit if remaining is None else max(0.0, min(limit, remaining)))
        if worker.is_alive():
            raise TimeoutError("gTTS request exceeded its deadline")
        if failure:
            raise failure[0]
        return buffer.getvalue()


def _gtts_has_timeout() -> bool:
    """gTTS grew a ``timeout`` parameter in 2.5; older versions wait forever."""
    from gtts import gTTS

    return "timeout" in inspect.signature(gTTS.__init__).parameters


def _is_timeout(exc: BaseException) -> bool:
    """gTTS wraps requests' timeouts in gTTSError; the cause says it was a timeout."""
    import requests

    cause = exc.__cause__ or exc.__context__
    return isinstance(exc, TimeoutError) or isinstance(cause, requests.Timeout) or (
        cause is not None and "timed out" in str(cause).lower())


def _is_network_failure(exc: Exception | None) -> bool:
    """No answer at all: a connection error, a timeout or a name that does not resolve."""
    if exc is None:
        return False
    if isinstance(exc, TimeoutError | ConnectionError | OSError):
        return True
    if getattr(getattr(exc, "rsp", None), "status_code", None) is not None:
        return False  # Google answered (5xx, 429...): the network works
    import requests

    cause = exc.__cause__ or exc.__context__
    return isinstance(cause, requests.ConnectionError | requests.Timeout | OSError)


def _is_server_failure(exc: Exception | None) -> bool:
    """Google answered, but with a server error or "too many requests" (5xx, 429): gTTS cannot
    serve now; a 4xx other than 429 is a refusal of this one request."""
    status = getattr(getattr(exc, "rsp", None), "status_code", None)
    return isinstance(status, int) and (status >= 500 or status == 429)


def _describe_failure(exc: Exception | None, engine: GttsEngine) -> str:
    """Turn gTTS's English error into a Vietnamese reason (keeping the original for operators)."""
    if exc is None:
        return "gTTS không trả về âm thanh."
    if isinstance(exc, TimeoutError):
        if "budget" in str(exc):
            return "gTTS hết thời gian dành cho nó trong lần dựng này (sắp đến giờ phát)."
        return f"gTTS không trả lời trong {engine.last_timeout_s:.1f} giây."
    rsp = getattr(exc, "rsp", None)
    status = getattr(rsp, "status_code", None)
    cause = exc.__cause__ or exc.__context__
    if status is None and cause is not None and "timed out" in str(cause).lower():
        return f"gTTS không trả lời trong {engine.last_timeout_s:.1f} giây ({exc})."
    if status is None:
        return f"Không kết nối được máy chủ gTTS translate.google.{engine.tld} ({exc})."
    if status == 200:
        return f"Máy chủ gTTS không trả về âm thanh ({exc})."
    return f"Máy chủ gTTS báo lỗi HTTP {status} ({exc})."
