"""Rendering for the station, in one long-lived render worker process.

Why a separate process: rendering needs numpy, SciPy and the loudness code (about 100 MB once
imported, more while levelling); the daemon runs for months and must stay small (aim: 120 MB). It
also keeps a crash inside a codec or a speech engine out of the daemon.

Why a long-lived one: a fresh spawned Python pays 1.5-2 s of start-up and imports per render, so an
emergency ("plays at once") or a slot added a few seconds ahead would air late. The worker is
spawned when the station starts, imports everything once, and then takes jobs through a
``multiprocessing`` pipe, one at a time, the soonest broadcast first (an emergency before all).
If it dies it is started again; if it grows past :data:`WORKER_MAX_RSS_MB` it is replaced.

The worker does the work through the same functions as ``broadcaster render``
(:func:`broadcaster.programs.slot_items`, :func:`broadcaster.programs.bulletin_items`,
:func:`audio.compose.render_program`) and returns plain values.

An emergency that arrives while the worker is busy with a scheduled render does not wait for it:
it is rendered at once in a second, one-off worker (the cold start costs less than most renders).
"""
from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import signal
import threading
import time
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

logger = logging.getLogger(__name__)

#: Longest a render may take before its worker is killed and the render failed.
CHILD_TIMEOUT_S = 600.0
#: Longest a new worker may take to start and import everything.
START_TIMEOUT_S = 60.0
#: A worker that has grown past this (resident MB) after a job is replaced by a fresh one.
WORKER_MAX_RSS_MB = 400.0
#: How often the worker checks that the station is still its parent.
ORPHAN_CHECK_S = 0.2

_EARLIEST = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
#: How the evidence names the urgent attention signal that opens every emergency.
SIGNAL_TITLE = "Tín hiệu khẩn cấp"


class RenderFailed(Exception):
    """A program could not be rendered or failed its check; ``str(exc)`` is Vietnamese."""


# ---------------------------------------------------------------------------- in the worker


def evidence_items(result: Any) -> list[dict[str, Any]]:
    """The evidence items of a render (``result.items``: :class:`audio.plan.ItemRecord`)."""
    return [
        {"kind": r.kind, "title": r.title, "text_sha256": r.text_sha256,
         "audio_sha256": r.audio_sha256, "engine": r.engine, "seconds": r.seconds,
         # What was written and what the engine was given, both under the evidence hash.
         **({"text": r.text, "normalized_text": r.normalized_text} if r.kind == "speech" else {})}
        for r in result.items
    ]


def _render(ctx: Any, what: str, ident: int, head_ids: list[int], deadline: float | None = None,
            upgrade: bool = False) -> dict[str, Any]:
    """In the worker: render a slot's program (``what="slot"``), an urgent bulletin
    (``"emergency"``: signal, greeting, the text read twice, outro), the same without its opening
    signal (``"emergency-body"``, fed behind the held signal), the signal alone (``"signal"``), or
    a published bulletin's MP3 for the public site (``what="public"``).

    ``deadline`` (epoch seconds) is the air time: gTTS gets only what it leaves for espeak-ng;
    ``upgrade`` is the pre-render's "make a fallback voice again with gTTS" (audio.tts).
    """
    from audio.audiofile import AudioToolError, check_speech_audio
    from audio.compose import ProgramItem, RenderError, render_program
    from audio.tts import SynthesisError
    from broadcaster.errors import BroadcasterError
    from broadcaster.models import Bulletin, Slot
    from broadcaster.programs import bulletin_items, cache_dir, render_settings, slot_items

    if what == "public":
        return _public_mp3(ctx, ident)
    with ctx.session() as session:
        if what == "slot":
            slot = session.get(Slot, ident)
            if slot is None:
                raise RenderFailed(f"Lịch phát số {ident} không còn")
            head = [b for b in (session.get(Bulletin, i) for i in head_ids) if b is not None]
            items = slot_items(ctx.settings, slot, head)
            if not items:
                raise RenderFailed("Chương trình trống: không có bản tin đã duyệt nào")
        elif what == "signal":  # the urgent attention signal, held to open any emergency at once
            items = [ProgramItem(kind="jingle", title=SIGNAL_TITLE, jingle="urgent")]
        else:  # "emergency": the whole urgent programme; "emergency-body": all but its signal
            bulletin = session.get(Bulletin, ident)
            if bulletin is None:
                raise RenderFailed(f"Không có bản tin số {ident}")
            urgent = SimpleNamespace(title=bulletin.title, body=bulletin.body,
                                     category=bulletin.category, priority="emergency",
                                     recording=bulletin.recording)
            items = bulletin_items(ctx.settings, urgent)  # type: ignore[arg-type]
            if what == "emergency-body" and items and items[0].kind == "jingle":
                items = items[1:]
        rsettings = render_settings(ctx.settings, session)
    try:
        result = render_program(items, rsettings, cache_dir(ctx.settings), deadline=deadline,
                                upgrade=upgrade)
        check_speech_audio(result.path)  # an empty or silent program is a failure
    except (RenderError, SynthesisError, AudioToolError, BroadcasterError, OSError) as exc:
        raise RenderFailed(str(exc)) from None
    return {"path": str(result.path), "sha256": result.sha256, "seconds": result.seconds,
            "items": evidence_items(result)}


def _public_mp3(ctx: Any, bulletin_id: int) -> dict[str, Any]:
    """In the worker: the MP3 of a published bulletin for the public site (broadcaster.public_media)."""
    from broadcaster.models import Bulletin
    from broadcaster.public_media import MediaUnavailable, bulletin_mp3
    from broadcaster.publishing import is_published

    with ctx.session() as session:
        bulletin = session.get(Bulletin, bulletin_id)
        if bulletin is None or not is_published(session, bulletin):
            raise RenderFailed(f"Bản tin số {bulletin_id} không đăng công khai")
        try:
            audio = bulletin_mp3(ctx.settings, session, bulletin)
        except MediaUnavailable as exc:
            raise RenderFailed(str(exc)) from None
    return {"path": str(audio.path), "sha256": "", "seconds": audio.seconds, "items": []}


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _exit_when_orphaned(parent: int) -> None:
    """The station was killed (even with -9): a worker must not outlive it."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_S)
    os._exit(0)


def _serve(conn: Connection, home: str, parent: int, verbose: bool) -> None:
    """The worker's main loop: import once, then one job per message until the pipe closes."""
    # Ctrl-C reaches the whole process group: the station stops this worker (it closes the
    # pipe), so the signal itself must not end it with an English traceback mid-render.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from broadcaster.station import logs

    logs.configure(verbose)
    threading.Thread(target=_exit_when_orphaned, args=(parent,), name="orphan-check",
                     daemon=True).start()
    import audio.compose  # noqa: F401 - imported now so that the first job is fast
    import broadcaster.programs  # noqa: F401
    from broadcaster.context import open_context

    ctx = open_context(Path(home))
    log = logging.getLogger(__name__)
    log.info("tiến trình dựng chương trình sẵn sàng (%.0f MB)", _rss_mb())
    conn.send(("ready", os.getpid()))
    try:
        while True:
            try:
                what, ident, head_ids, *timing = conn.recv()
            except (EOFError, OSError):
                return
            try:
                reply: tuple[str, Any] = ("ok", _render(ctx, what, ident, head_ids, *timing))
            except RenderFailed as exc:
                reply = ("failed", str(exc))
            except Exception as exc:  # noqa: BLE001 - one clear reason back to the station
                log.exception("dựng %s %s lỗi", what, ident)
                reply = ("failed", f"Dựng chương trình lỗi: {exc}")
            conn.send((*reply, _rss_mb()))
    finally:
        ctx.dispose()


# ---------------------------------------------------------------------------- in the station


class _Worker:
    """One spawned worker process and the station's end of its pipe."""

    def __init__(self, home: Path, verbose: bool) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, str(home), os.getpid(), verbose),
                                       name="render-worker", daemon=True)
        self.process.start()
        child.close()
        self.pid = self.process.pid

    def wait_ready(self, timeout: float) -> None:
        if not self.conn.poll(timeout):
            self.close()
            raise RenderFailed(f"Tiến trình dựng chương trình không khởi động được sau {timeout:g} giây")
        try:
            self.conn.recv()
        except (EOFError, OSError):
            self.close()
            raise RenderFailed("Tiến trình dựng chương trình chết khi khởi động") from None

    def call(self, job: tuple[Any, ...], timeout: float) -> tuple[dict[str, Any], float]:
        """Run one job; raises RenderFailed (the worker is closed when it died or hung)."""
        try:
            self.conn.send(job)
            if not self.conn.poll(timeout):
                self.close()
                raise RenderFailed(f"Dựng chương trình quá {timeout:g} giây: đã dừng tiến trình dựng")
            status, value, rss = self.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self.close()
            raise RenderFailed("Tiến trình dựng chương trình chết giữa chừng (sẽ khởi động lại)") from None
        if status != "ok":
            raise RenderFailed(str(value))
        return value, float(rss)

    @property
    def alive(self) -> bool:
        return self.process.is_alive() and not self.conn.closed

    def close(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass
        self.process.join(timeout=5)  # the closed pipe ends its loop
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)


class SoonestFirst:
    """A one-at-a-time gate that lets the job of the soonest broadcast through first."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._waiting: list[tuple[dt.datetime, int]] = []
        self._busy = False
        self._ticket = 0

    @contextmanager
    def turn(self, instant: dt.datetime) -> Iterator[None]:
        with self._cond:
            self._ticket += 1
            mine = (instant, self._ticket)
            self._waiting.append(mine)
            while self._busy or min(self._waiting) != mine:
                self._cond.wait()
            self._waiting.remove(mine)
            self._busy = True
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()


class RenderWorker:
    """The station's renderer: one long-lived worker, one job at a time, soonest first."""

    def __init__(self, home: Path, verbose: bool = False) -> None:
        self.home = Path(home)
        self.verbose = verbose
        self._worker: _Worker | None = None
        self._lock = threading.Lock()  # guards starting and replacing the worker
        self._turn = SoonestFirst()
        self._busy_scheduled = False
        self._closed = False

    def start(self) -> None:
        """Start the worker in the background (the station's loop does not wait for it)."""
        threading.Thread(target=self._ensure_quietly, name="render-worker-start",
                         daemon=True).start()

    @property
    def pid(self) -> int | None:
        worker = self._worker
        return worker.pid if worker is not None and worker.alive else None

    def status(self) -> dict[str, Any]:
        """For the heartbeat: the worker's pid and whether it is taking jobs."""
        return {"pid": self.pid, "ready": self.pid is not None}

    def render(self, what: str, ident: int, head_ids: list[int] | None = None, *,
               instant: dt.datetime | None = None, urgent: bool = False,
               background: bool = False) -> dict[str, Any]:
        """Render a slot (``what="slot"``) or an urgent bulletin; raises RenderFailed.

        The air time (``instant``; now for an emergency) is the render's deadline, so gTTS
        never holds it past the time espeak-ng needs. ``background`` is the pre-render of
        upcoming programs (broadcaster.prerender, in a worker of its own): it asks for Google's
        voice again where a fallback was cached.
        """
        deadline = time.time() if urgent else (instant.timestamp() if instant else None)
        job = (what, ident, list(head_ids or []), deadline, background)
        if urgent and self._busy_scheduled:
            logger.info("tiến trình dựng đang bận với chương trình theo lịch: "
                        "dựng bản tin khẩn cấp riêng")
            return self._one_off(job)
        with self._turn.turn(_EARLIEST if urgent else (instant or _EARLIEST)):
            worker = self._ensure()
            self._busy_scheduled = not urgent
            try:
                result, rss = worker.call(job, CHILD_TIMEOUT_S)
            finally:
                self._busy_scheduled = False
                if not worker.alive:
                    self._replace(worker, "dừng đột ngột")
        if rss > WORKER_MAX_RSS_MB:
            self._replace(worker, f"phình tới {rss:.0f} MB")
        return result

    def stop(self) -> None:
        with self._lock:
            self._closed = True
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.close()

    def _ensure(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise RenderFailed("Trạm phát đang dừng")
            if self._worker is None or not self._worker.alive:
                if self._worker is not None:
                    self._worker.close()
                self._worker = None
                started = time.monotonic()
                worker = _Worker(self.home, self.verbose)
                worker.wait_ready(START_TIMEOUT_S)
                self._worker = worker
                logger.info("tiến trình dựng chương trình %d khởi động xong sau %.1f giây",
                            worker.pid, time.monotonic() - started)
            return self._worker

    def _ensure_quietly(self) -> None:
        try:
            self._ensure()
        except Exception:  # noqa: BLE001 - the next render tries again
            logger.exception("tiến trình dựng chương trình không khởi động được")

    def _replace(self, worker: _Worker, why: str) -> None:
        """Retire a worker and start the next one now, so no job pays for its start."""
        with self._lock:
            if self._worker is not worker:
                return
            self._worker = None
        logger.warning("tiến trình dựng chương trình %d %s: khởi động tiến trình mới",
                       worker.pid, why)
        worker.close()
        if not self._closed:
            self.start()

    def _one_off(self, job: tuple[Any, ...]) -> dict[str, Any]:
        worker = _Worker(self.home, self.verbose)
        try:
            worker.wait_ready(START_TIMEOUT_S)
            return worker.call(job, CHILD_TIMEOUT_S)[0]
        finally:
            worker.close()
