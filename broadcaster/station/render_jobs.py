"""Render jobs: each occurrence rendered ahead of its instant, checked, retried, or replaced.

At T − ``station.render_lead_s`` the program of an occurrence is rendered in the render worker
(:mod:`.render`), checked (not empty, not silent), retried (:data:`RENDER_ATTEMPTS`, pausing
:data:`RENDER_RETRY_S`), and when all attempts fail replaced by the last good render of the same
slot. What happened is noted on the occurrence row (``render_note``), and the ready
:class:`~.interfaces.Program` is kept in memory for the play job.

A program already in the render cache under its content key (the killed station before a restart
rendered it, or an unchanged daily slot) is taken from there, verified by its hash, without the
render worker (:func:`audio.plan.find_render`): a restarted station need not wait the worker's
cold start to air what was ready. After each render of the worker the cache is held to its cap
(:func:`broadcaster.render_cache.prune_caches`), keeping every program still to air.

The render's outcome on the occurrence row (which file, its hash, the note; the priority heads it
claimed) is what the office and the fault benchmark read to know what aired. When the database
cannot take it at that moment (another writer holds the lock, the disk is full) the program airs
all the same, and the write is handed to ``later`` (the evidence writer's ordered, retrying queue,
:meth:`~.evidence_writer.EvidenceWriter.task`): it lands once the database takes writes again,
before the airing's marks and entry, instead of being lost (measured: the faults benchmark's
disk-full and locked-database broadcasts aired with no render record at all).
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import shutil
import threading
import time
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from audio.audiofile import AudioToolError, check_speech_audio, sha256_file
from audio.plan import find_render
from broadcaster import priority_heads
from broadcaster.context import Context
from broadcaster.errors import BroadcasterError
from broadcaster.models import Bulletin, Occurrence, Slot
from broadcaster.programs import cache_dir, render_settings, slot_items
from broadcaster.render_cache import prune_caches
from broadcaster.station.clock import Clock
from broadcaster.station.interfaces import Program
from broadcaster.station.occurrences import occurrence_row
from broadcaster.station.reconcile import PENDING, RENDERED, Due
from broadcaster.station.render import RenderFailed, RenderWorker, SoonestFirst, evidence_items
from broadcaster.wording import decimal

logger = logging.getLogger(__name__)

RENDER_ATTEMPTS = 3
RENDER_RETRY_S = (1.0, 3.0)
#: The signal's render queues as a broadcast this far ahead would (soonest broadcast first),
#: and waits while a broadcast is due within this many seconds...
SIGNAL_AFTER_S = 30.0
#: ...but not longer than this (a station airing back-to-back slots still gets its signal).
SIGNAL_MAX_DEFER_S = 120.0
#: A render failed with less free space than this on the data folder's disk: the disk is full,
#: and the play job waits for space within the grace window instead of recording a failure (a
#: 10 s program is 1.7 MB of WAV; the faults benchmark lost a broadcast whose render fell in the
#: previous slot's disk-full span, freed 2.6 s after its instant with 30 s of grace left).
LOW_SPACE_BYTES = 16 * 1024 * 1024


class RenderJobs:
    """Renders occurrences and emergencies; keeps the ready programs by occurrence key."""

    def __init__(self, ctx: Context, renderer: RenderWorker, clock: Clock,
                 stopping: threading.Event, grace_s: float,
                 later: Callable[[str, Callable[[], object]], None] | None = None) -> None:
        self.ctx = ctx
        self._later = later
        # Per occurrence: the latest render outcome to write (a stale retry never overwrites a
        # newer render's record; one small int per occurrence the process rendered) and the
        # heads a render chose but could not claim yet.
        self._turns = itertools.count(1)
        self._record_turns: dict[str, int] = {}
        self._unclaimed: dict[str, list[int]] = {}
        self.renderer = renderer
        self.clock = clock
        self.stopping = stopping
        self.grace_s = grace_s
        self._lock = threading.RLock()
        self._ready: dict[str, Program] = {}
        self._key_locks: dict[str, threading.Lock] = {}
        self._failure_notes: dict[str, str] = {}
        self._emergencies: dict[int, tuple[dt.datetime, Program]] = {}
        self._signal: Program | None = None
        # Choosing the priority bulletins for a slot's head and claiming them is one step per
        # slot, soonest first, so two slots rendered within one lead never both carry them.
        self._head_turn = SoonestFirst()

    # ------------------------------------------------------------------ the ready programs

    def ready(self, key: str) -> Program | None:
        with self._lock:
            return self._ready.get(key)

    def ready_keys(self) -> set[str]:
        with self._lock:
            return set(self._ready)

    def drop(self, key: str) -> None:
        with self._lock:
            self._ready.pop(key, None)

    def drop_all(self, keep: set[str] | frozenset[str] = frozenset(),
                 emergencies: bool = False) -> None:
        """Forget every ready program but ``keep`` (something changed: render them again).

        Pre-rendered emergencies are kept by their bulletin's version (an edit makes a new one,
        and sends the bulletin back to draft), so another bulletin's edit does not throw them
        away; ``emergencies`` forgets them too (a re-render command: the glossary changed).
        """
        with self._lock:
            for key in [k for k in self._ready if k not in keep]:
                self._ready.pop(key, None)
            if emergencies:
                self._emergencies.clear()

    # ------------------------------------------------------------------ occurrences

    def render_job(self, due: Due) -> None:
        """The scheduled job at T − render lead; failures are left to the play job."""
        try:
            self.render_occurrence(due)
        except Exception:  # noqa: BLE001 - the play job falls back or records the failure
            logger.exception("dựng chương trình cho %s lỗi", due.key)

    def render_occurrence(self, due: Due) -> Program | None:
        """Render, check, retry, fall back; the outcome is noted on the occurrence row."""
        with self._lock:
            lock = self._key_locks.setdefault(due.key, threading.Lock())
        with lock:
            cached = self.ready(due.key)
            if cached is not None:
                return cached
            errors: list[str] = []
            program: Program | None = None
            head_ids: list[int] = []
            for attempt in range(RENDER_ATTEMPTS):
                try:
                    program, head_ids = self._render_once(due)
                    break
                except (RenderFailed, BroadcasterError, OSError) as exc:
                    errors.append(str(exc))
                    logger.warning("dựng %s lần %d thất bại: %s", due.key, attempt + 1, exc)
                left = (due.scheduled_at - self.clock.now()).total_seconds()
                pause = RENDER_RETRY_S[min(attempt, len(RENDER_RETRY_S) - 1)]
                if attempt + 1 >= RENDER_ATTEMPTS or left < pause + 1.0 or self.stopping.is_set():
                    break
                self.stopping.wait(pause)
            note = ""
            if program is None:
                program = self._fallback(due)
                detail = errors[-1] if errors else "chương trình trống"
                if program is not None:
                    note = (f"Dựng chương trình lỗi ({detail}); phát bản dựng tốt gần nhất của "
                            f"lịch này")
                    program.note = note
                else:
                    note = f"Dựng chương trình lỗi sau {len(errors) or 1} lần thử: {detail}"
                    free = self.free_bytes()
                    if free is not None and free < LOW_SPACE_BYTES:
                        note += f" (ổ đĩa dữ liệu đầy: còn {decimal(free / 1e6)} MB trống)"
            elif errors:
                note = f"Dựng được sau {len(errors) + 1} lần thử (lỗi trước: {errors[-1]})"
                program.note = note
            if program is not None:  # ready first: a locked database must not lose the render
                with self._lock:
                    self._ready[due.key] = program
            self._failure_notes[due.key] = note
            self._record(due, note, program, self.clock.now())
            return program

    def _record(self, due: Due, note: str, program: Program | None,
                rendered_at: dt.datetime) -> None:
        """The outcome on the occurrence row now, or, when the database cannot take it (locked,
        disk full), handed to ``later`` and written once it can; the program airs all the same."""
        with self._lock:
            turn = next(self._turns)
            self._record_turns[due.key] = turn

        def write() -> bool:
            with self._lock:
                if self._record_turns.get(due.key) != turn:
                    return False  # a newer render of this occurrence has its own record to write
                heads = self._unclaimed.get(due.key)
            with self.ctx.session() as session:
                row = occurrence_row(session, due)
                if heads is not None:
                    priority_heads.claim(session, row, heads)
                row.render_note = note
                if program is not None:
                    row.render_path = str(program.path)
                    row.render_sha256 = program.sha256
                    row.rendered_at = rendered_at
                    if row.state == PENDING:
                        row.state = RENDERED
            with self._lock:
                if self._unclaimed.get(due.key) is heads:
                    self._unclaimed.pop(due.key, None)
            return True

        def retry() -> None:
            """In the writer's queue: raises (tried again) only while the database is locked
            or full; any other error would be the same each time and must not block the queue."""
            try:
                written = write()
            except OperationalError:
                raise
            except Exception:  # noqa: BLE001 - logged; the program aired all the same
                logger.exception("%s: không ghi được kết quả dựng vào cơ sở dữ liệu", due.key)
                return
            if written:  # not a stale one, superseded by a newer render's record
                logger.info("%s: đã ghi kết quả dựng vào cơ sở dữ liệu (ghi bù)", due.key)

        try:
            write()
        except OperationalError as exc:
            if self._later is None:
                logger.exception("%s: chưa ghi được kết quả dựng vào cơ sở dữ liệu", due.key)
                return
            logger.warning("%s: chưa ghi được kết quả dựng vào cơ sở dữ liệu (%s); sẽ ghi bù khi "
                           "ghi được", due.key, getattr(exc, "orig", exc))
            self._later(f"{due.key} (kết quả dựng)", retry)
        except Exception:  # noqa: BLE001 - the program airs all the same
            logger.exception("%s: chưa ghi được kết quả dựng vào cơ sở dữ liệu", due.key)

    def free_bytes(self) -> int | None:
        """Free space on the data folder's disk (None: cannot tell)."""
        try:
            return shutil.disk_usage(self.ctx.settings.home).free
        except OSError:
            return None

    def disk_full(self) -> bool:
        """Too little space on the data folder's disk for a render (see LOW_SPACE_BYTES)."""
        free = self.free_bytes()
        return free is not None and free < LOW_SPACE_BYTES

    def failure_note(self, due: Due) -> str:
        return self._failure_notes.pop(due.key, "") or "Không dựng được chương trình"

    def _render_once(self, due: Due) -> tuple[Program, list[int]]:
        with self._head_turn.turn(due.scheduled_at):
            with self.ctx.session() as session:
                slot = session.get(Slot, due.slot_id)
                if slot is None:
                    raise BroadcasterError(f"Lịch phát số {due.slot_id} không còn")
                heads = priority_heads.choose(session, slot, due.local_date, self.clock.now(),
                                              self.grace_s)
                head_ids = [b.id for b in heads]
                program = self._from_cache(session, slot, heads, due)
            if program is None:
                program = self.render_in_worker("slot", due.slot_id, head_ids, due.scheduled_at)
                self.prune(keep=[program.path])
            try:  # claimed now: the next slot's render must not take them too
                with self.ctx.session() as session:
                    priority_heads.claim(session, occurrence_row(session, due), head_ids)
                with self._lock:
                    self._unclaimed.pop(due.key, None)
            except Exception:  # noqa: BLE001 - the program airs all the same
                # Written with the render's record (:meth:`_record`), now or once it can be.
                with self._lock:
                    self._unclaimed[due.key] = head_ids
                logger.exception("%s: chưa ghi được bản tin đầu buổi", due.key)
            return program, head_ids

    def _from_cache(self, session: Any, slot: Slot, heads: list[Bulletin], due: Due) -> Program | None:
        """This very program, finished and verified in the render cache, or None (render it)."""
        try:
            items = slot_items(self.ctx.settings, slot, heads)
            found = find_render(items, render_settings(self.ctx.settings, session),
                                cache_dir(self.ctx.settings)) if items else None
        except Exception:  # noqa: BLE001 - the worker renders it and says what is wrong
            logger.debug("%s: không tìm được bản dựng trong bộ nhớ đệm", due.key, exc_info=True)
            return None
        if found is None:
            return None
        logger.info("%s: dùng lại bản dựng đã kiểm tra %s (không dựng lại)", due.key,
                    found.path.name)
        return Program(found.path, found.sha256, found.seconds, evidence_items(found))

    def prune(self, keep: list[Path] | None = None) -> None:
        """Hold the audio cache to its cap, never removing a program still to air."""
        with self._lock:
            keep = [*(keep or []), *(p.path for p in self._ready.values())]
            keep += [program.path for _, program in self._emergencies.values()]
            if self._signal is not None:  # the urgent signal an emergency opens with
                keep.append(self._signal.path)
        try:
            with self.ctx.session() as session:
                prune_caches(session, self.ctx.settings, keep=keep)
        except Exception:  # noqa: BLE001 - a cache left too big is no reason to miss an airing
            logger.exception("chưa dọn được bộ nhớ đệm âm thanh")

    def render_in_worker(self, what: str, ident: int, head_ids: list[int] | None,
                         instant: dt.datetime, urgent: bool = False) -> Program:
        """Render in the worker process (keeps SciPy and friends out of the daemon's memory)."""
        done = self.renderer.render(what, ident, head_ids, instant=instant, urgent=urgent)
        return Program(Path(done["path"]), done["sha256"], float(done["seconds"]), done["items"])

    def cached_emergency(self, bulletin_id: int, version: dt.datetime | None) -> Program | None:
        """The bulletin's whole urgent programme pre-rendered from this very version, or None
        (never waits: a pre-render under way is not the command's business)."""
        with self._lock:
            cached = self._emergencies.get(bulletin_id)
        if cached is not None and version is not None and cached[0] == version \
                and cached[1].path.is_file():
            return cached[1]
        return None

    def render_emergency(self, bulletin_id: int, instant: dt.datetime,
                         version: dt.datetime | None = None) -> Program:
        """The bulletin with the urgent template, before every other render.

        ``version`` is the bulletin's ``updated_at``: a program pre-rendered from that same
        version (:meth:`prerender_emergency`) is used at once.
        """
        with self._lock:
            lock = self._key_locks.setdefault(f"emergency:{bulletin_id}", threading.Lock())
        with lock:  # a pre-render under way is waited for, not started twice
            cached = self.cached_emergency(bulletin_id, version)
            if cached is not None:
                return cached
            program = self.render_in_worker("emergency", bulletin_id, None, instant, urgent=True)
            if version is not None:
                with self._lock:
                    self._emergencies[bulletin_id] = (version, program)
            return program

    def render_emergency_body(self, bulletin_id: int, instant: dt.datetime) -> Program:
        """The urgent programme without its opening signal: fed behind the held signal."""
        return self.render_in_worker("emergency-body", bulletin_id, None, instant, urgent=True)

    def signal(self) -> Program | None:
        """The urgent attention signal, rendered when the station starts (None: not yet)."""
        with self._lock:
            signal = self._signal
        return signal if signal is not None and signal.path.is_file() else None

    def prepare_signal(self, quiet: Callable[[], bool] = lambda: True) -> None:
        """Render and hold the signal (at start, and again whenever it is missing).

        It waits for the worker's cold start, and while ``quiet()`` says a broadcast is due soon
        (for at most :data:`SIGNAL_MAX_DEFER_S`): a slot added seconds ahead must not find the
        worker busy with the signal (measured: 56 ms late at load 3).
        """
        if self.signal() is not None:
            return
        deferred = time.monotonic() + SIGNAL_MAX_DEFER_S
        while not self.stopping.is_set() and (
                self.renderer.pid is None or (not quiet() and time.monotonic() < deferred)):
            self.stopping.wait(0.2)
        try:
            # Not urgent: a broadcast due within SIGNAL_AFTER_S (a station started just before
            # a slot) renders first; the signal is for the emergency that may come later.
            later = self.clock.now() + dt.timedelta(seconds=SIGNAL_AFTER_S)
            program = self.render_in_worker("signal", 0, None, later)
        except (RenderFailed, OSError) as exc:
            logger.warning("chưa dựng được tín hiệu khẩn cấp: %s; thử lại sau", exc)
            return
        with self._lock:
            self._signal = program
        logger.info("tín hiệu khẩn cấp sẵn sàng (%.1f giây)", program.seconds)

    def prerender_emergency(self, bulletin_id: int, version: dt.datetime) -> None:
        """An approved emergency bulletin, rendered ahead so its command airs at once."""
        with self._lock:
            cached = self._emergencies.get(bulletin_id)
        if cached is not None and cached[0] == version:
            return
        try:
            self.render_emergency(bulletin_id, self.clock.now(), version)
            logger.info("đã dựng sẵn bản tin khẩn cấp số %d", bulletin_id)
        except (RenderFailed, OSError) as exc:
            logger.warning("chưa dựng sẵn được bản tin khẩn cấp số %d: %s", bulletin_id, exc)

    def emergency_versions(self) -> dict[int, dt.datetime]:
        with self._lock:
            return {k: v[0] for k, v in self._emergencies.items()}

    def _fallback(self, due: Due) -> Program | None:
        with self.ctx.session() as session:
            rows = session.scalars(
                select(Occurrence).where(Occurrence.slot_id == due.slot_id,
                                         Occurrence.render_path.is_not(None),
                                         Occurrence.render_sha256.is_not(None))
                .order_by(Occurrence.rendered_at.desc()).limit(5)
            ).all()
            candidates = [(Path(r.render_path or ""), r.render_sha256 or "") for r in rows]
        for path, digest in candidates:
            try:
                if path.is_file() and sha256_file(path) == digest:
                    check_speech_audio(path)
                    return Program(path, digest, 0.0, items_from_meta(path, digest))
            except (AudioToolError, OSError):
                continue
        return None


def items_from_meta(path: Path, digest: str) -> list[dict[str, Any]]:
    """The evidence items of a render, from the metadata written beside it."""
    try:
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        keys = ("kind", "title", "text_sha256", "audio_sha256", "engine", "seconds")
        return [{**{k: r.get(k) for k in keys},
                 **({"text": r.get("text"), "normalized_text": r.get("normalized_text")}
                    if r.get("kind") == "speech" else {})}
                for r in meta["items"]]
    except (OSError, ValueError, KeyError, TypeError):
        return [{"kind": "program", "title": path.name, "text_sha256": None,
                 "audio_sha256": digest, "engine": None, "seconds": 0.0}]
