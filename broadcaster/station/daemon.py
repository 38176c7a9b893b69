"""``broadcaster station``: the daemon that renders ahead, plays on time and records every occurrence.

Shape (LibreTime's playout, APScheduler's FAQ): one process per sound output; the database is the
truth and the in-memory APScheduler jobs are rebuilt from it at start and whenever a cheap change
marker moves (polled every ``station.reconcile_s``). The main thread polls, writes the heartbeat
and executes commands; jobs run on a small thread pool:

* ``render:<key>`` at T − ``render_lead_s``: render, check (not empty, not silent), retry, fall back
  to the last good render of the slot, note what happened on the occurrence row;
* ``amp:<key>`` at T − ``amp_lead_s``: the amplifier hook;
* ``play:<key>`` at T − ``PREFIRE_S``: mark the occurrence ``playing`` (committed *before* the
  player starts, so a crash can never lead to a replay), start the air-check, sleep precisely until
  T, launch the player, then write exactly one evidence entry.

Emergencies render first (while the current program still airs), then cut it off: the cut program is
recorded as ``interrupted`` with the reason, and the emergency gets its own entry
``emergency-<command id>``.

Dead air: the rendered file is checked to hold sound before it airs, so an air-check of the output
that stays silent while the player reports success means nothing reached the loudspeakers. Such an
occurrence is recorded ``failed`` with "Mất tín hiệu (dead air)..." in the reason: evidence must not
claim a broadcast that nobody could hear. An air-check that could not be recorded at all is only a
note; the status then follows the player.

Rendering runs in one long-lived worker process (:mod:`.render`) so SciPy and friends never live
in the daemon, and a render starts at once (no interpreter to start per render).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audio.audiofile import AudioToolError, check_speech_audio, sha256_file
from broadcaster import checkpoints, commands, evidence
from broadcaster.context import Context
from broadcaster.errors import BroadcasterError, DuplicateError, PlayoutError
from broadcaster.wording import decimal
from broadcaster.models import (
    Bulletin,
    EvidenceEntry,
    Heartbeat,
    Occurrence,
    Slot,
    SlotItem,
    StationCommand,
    utcnow,
)
from broadcaster.schedule import SlotTimes, active_slots
from broadcaster.station import aircheck, amp, reconcile
from broadcaster.station.clock import Clock, SystemClock
from broadcaster.station.lock import StationLock
from broadcaster.station.playout import Playback, Player, PlayResult
from broadcaster.prerender import Prerenderer
from broadcaster.station.render import RenderFailed, RenderWorker, SoonestFirst

logger = logging.getLogger(__name__)

#: The play job fires this early and then sleeps precisely until the instant.
PREFIRE_S = 0.6
RENDER_ATTEMPTS = 3
RENDER_RETRY_S = (1.0, 3.0)
FULL_RECONCILE_S = 30.0
CHECKPOINT_EVERY_S = 300.0
CLEANUP_EVERY_S = 6 * 3600.0
EVIDENCE_ATTEMPTS = 5
#: A main-loop step slower than this is logged: it delays the pick-up of commands.
SLOW_STEP_S = 0.5
HEAD_MARK = re.compile(r"\[đầu buổi: ([0-9, ]+)\]")
#: How the journal words an occurrence's status or state (the database keeps the English code).
STATUS_LOG = {
    "completed": "đã phát xong",
    "interrupted": "bị ngắt giữa chừng",
    "failed": "phát thất bại",
    "missed": "bị lỡ",
    "pending": "đang chờ dựng",
    "rendered": "đã dựng, chờ phát",
    "playing": "đang phát",
}


@dataclass
class Rendered:
    """A program ready to air: the file, its hash, and the per-item records for the evidence."""

    path: Path
    sha256: str
    seconds: float
    items: list[dict[str, Any]]
    note: str = ""


@dataclass
class OnAir:
    key: str
    title: str
    priority: str
    started_at: dt.datetime
    playback: Playback


@dataclass
class _Pending:
    """An evidence entry that could not be written yet (locked database, full disk)."""

    fields: dict[str, Any]
    occurrence_id: int | None
    state: str
    attempts: int = 0


@dataclass
class StationState:
    """In-memory bookkeeping shared by the main loop and the jobs (guarded by ``lock``)."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    renders: dict[str, Rendered] = field(default_factory=dict)
    planned: dict[str, dt.datetime] = field(default_factory=dict)
    busy: set[str] = field(default_factory=set)
    amp_done: set[str] = field(default_factory=set)
    key_locks: dict[str, threading.Lock] = field(default_factory=dict)
    on_air: OnAir | None = None
    urgent_waiting: int = 0
    unwritten: list[_Pending] = field(default_factory=list)


class Station:
    """The daemon. ``run()`` blocks until SIGTERM/SIGINT (or :meth:`request_shutdown`)."""

    def __init__(self, ctx: Context, *, clock: Clock | None = None,
                 player: Player | None = None, verbose: bool = False) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        st = self.settings.station
        out = self.settings.output
        self.clock: Clock = clock or SystemClock()
        self.output = str(out.name)
        self.player = player or Player(str(out.backend), str(out.device))
        self.tz = str(st.timezone)
        self.render_lead_s = float(st.render_lead_s)
        self.grace_s = float(st.grace_s)
        self.amp_lead_s = float(st.amp_lead_s)
        self.reconcile_s = max(0.05, float(st.reconcile_s))
        self.heartbeat_s = max(0.5, float(st.heartbeat_s))
        self.host = socket.gethostname()
        self.state = StationState()
        self.stopping = threading.Event()
        self.air = threading.Condition()
        self.started_at = self.clock.now()
        self.scheduler = BackgroundScheduler(
            timezone=dt.timezone.utc,
            # Renders get their own threads so waiting renders never hold up a play job.
            executors={"default": ThreadPoolExecutor(8), "render": ThreadPoolExecutor(2)},
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        self._marker: tuple[Any, ...] | None = None
        self._shutdown_reason = "Trạm phát dừng theo yêu cầu"
        self._air_taken = False
        self._threads: list[threading.Thread] = []
        # One render at a time, soonest broadcast first (emergencies before all): renders are
        # CPU-bound and must not starve a playout about to start.
        self.renderer = RenderWorker(self.settings.home, verbose=verbose)
        # Upcoming programs rendered ahead with gTTS while it answers (broadcaster.prerender).
        self.prerenderer = Prerenderer(ctx.session, self.settings, self.output, self.renderer,
                                       self.clock.now)
        # Choosing the priority bulletins for a slot's head and claiming them is one step per
        # slot, soonest first, so two slots rendered within one lead never both carry them.
        self._head_turn = SoonestFirst()
        self._last_full = 0.0
        self._last_beat = 0.0
        self._last_checkpoint = 0.0
        self._last_cleanup = 0.0

    # ------------------------------------------------------------------ life cycle

    def run(self) -> int:
        lock = StationLock(self.settings.home, self.output)
        lock.acquire()
        self._install_signals()
        try:
            logger.info("trạm phát '%s' bắt đầu (%s: %s)", self.output, self.player.backend,
                        self.player.device or "mặc định")
            self.renderer.start()
            self.prerenderer.start()
            self.scheduler.start()
            while not self.stopping.is_set():
                self.tick()
                self.stopping.wait(self.reconcile_s)
        finally:
            self._shutdown()
            lock.release()
        return 0

    def request_shutdown(self, reason: str = "Trạm phát dừng theo yêu cầu") -> None:
        self._shutdown_reason = reason
        self.stopping.set()

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum: int, _frame: Any) -> None:
            name = signal.Signals(signum).name
            logger.info("nhận %s: đang dừng", name)
            self.request_shutdown(f"Trạm phát dừng theo yêu cầu ({name})")

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def _shutdown(self) -> None:
        self.stopping.set()
        self.preempt(self._shutdown_reason)
        try:
            self.scheduler.shutdown(wait=True)
        except Exception:  # noqa: BLE001 - never started, or already down
            logger.debug("scheduler shutdown", exc_info=True)
        for thread in list(self._threads):
            thread.join(timeout=30)
        self.prerenderer.stop()
        self.renderer.stop()
        self._flush_unwritten()
        try:
            self._beat(stopped=True)
        except Exception:  # noqa: BLE001
            logger.exception("không ghi được nhịp báo trạng thái (heartbeat) cuối cùng")
        logger.info("trạm phát '%s' đã dừng", self.output)

    # ------------------------------------------------------------------ main loop

    def tick(self) -> None:
        """One pass of the main loop; every step logs its failure and the loop goes on."""
        mono = time.monotonic()
        for step in (self._poll_commands, self._maybe_reconcile, self._flush_unwritten):
            began = time.monotonic()
            try:
                step()
            except Exception:  # noqa: BLE001 - the daemon stays up
                logger.exception("bước %s của trạm phát lỗi; thử lại ở vòng sau", step.__name__)
            took = time.monotonic() - began
            if took > SLOW_STEP_S:  # commands (emergencies) wait while a step runs
                logger.warning("bước %s của trạm phát chạy mất %.2f giây", step.__name__, took)
        if mono - self._last_beat >= self.heartbeat_s:
            self._safely(self._beat)
            self._last_beat = mono
        if mono - self._last_checkpoint >= CHECKPOINT_EVERY_S:
            self._safely(self._checkpoint)
            self._last_checkpoint = mono
        if mono - self._last_cleanup >= CLEANUP_EVERY_S:
            self._safely(lambda: aircheck.cleanup(self.settings.audio_dir,
                                                  int(self.settings.station.aircheck_retention_days),
                                                  self.clock.now()))
            self._last_cleanup = mono

    def _safely(self, step: Callable[[], Any]) -> None:
        try:
            step()
        except Exception:  # noqa: BLE001
            logger.exception("một bước của trạm phát lỗi; sẽ thử lại sau")

    def _change_marker(self, session: Session) -> tuple[Any, ...]:
        """Cheap aggregates that move whenever anything that decides a broadcast changes."""
        slots = session.execute(select(func.count(Slot.id), func.max(Slot.updated_at),
                                       func.sum(Slot.active))).one()
        items = session.execute(select(func.count(SlotItem.id), func.max(SlotItem.id),
                                       func.sum(SlotItem.bulletin_id))).one()
        bulletins = session.execute(select(func.count(Bulletin.id),
                                           func.max(Bulletin.updated_at))).one()
        return (*slots, *items, *bulletins)

    def _maybe_reconcile(self, force: bool = False) -> None:
        with self.ctx.session() as session:
            marker = self._change_marker(session)
        mono = time.monotonic()
        changed = marker != self._marker
        if changed or force or mono - self._last_full >= FULL_RECONCILE_S:
            self.reconcile(rerender=changed and self._marker is not None)
            if changed:
                self.prerenderer.poke()
            self._marker = marker
            self._last_full = mono

    def reconcile(self, rerender: bool = False) -> reconcile.Plan:
        """Rebuild the jobs from the database; record crashed and missed occurrences."""
        now = self.clock.now()
        with self.ctx.session() as session:
            slots = active_slots(session, self.output)
            plans = [reconcile.SlotPlan(s.id, SlotTimes.of(s, self.tz), s.created_at) for s in slots]
            since = now - dt.timedelta(seconds=reconcile.LOOKBACK_S + 86400)
            rows = session.scalars(select(Occurrence).where(Occurrence.scheduled_at >= since)).all()
            keys_with_evidence = set(session.scalars(
                select(EvidenceEntry.occurrence_key).where(EvidenceEntry.scheduled_at >= since)
            ).all())
            with self.state.lock:
                if rerender:  # something changed: upcoming programs are rendered again
                    for key in [k for k in self.state.renders if k not in self.state.busy]:
                        self.state.renders.pop(key, None)
                renders = dict(self.state.renders)
                busy = set(self.state.busy)
            known = {
                row.key: reconcile.Known(state=row.state,
                                         rendered=row.key in renders and not rerender,
                                         has_evidence=row.key in keys_with_evidence)
                for row in rows
            }
            for key in keys_with_evidence:
                known.setdefault(key, reconcile.Known(has_evidence=True))
            result = reconcile.plan(plans, known, now, render_lead_s=self.render_lead_s,
                                    grace_s=self.grace_s, busy=busy)
        for due in result.crashed:
            self._record_unplayed(due, "interrupted",
                                  "Bị ngắt: trạm phát dừng đột ngột (mất điện hoặc lỗi) khi đang "
                                  "phát; không phát lại để tránh phát hai lần")
        for due, reason in result.missed:
            self._record_unplayed(due, "missed", reason)
        self._schedule(result, now)
        return result

    def _schedule(self, result: reconcile.Plan, now: dt.datetime) -> None:
        wanted = {due.key: due for due in result.play}
        with self.state.lock:
            stale = [k for k in self.state.planned if k not in wanted and k not in self.state.busy]
            for key in stale:
                self.state.planned.pop(key, None)
                self.state.renders.pop(key, None)
                for prefix in ("render", "amp", "play"):
                    self._remove_job(f"{prefix}:{key}")
                logger.info("lượt phát %s không còn trong lịch: đã bỏ các việc đã đặt", key)
        render_keys = {due.key for due in result.render}
        with self.state.lock:
            moved = [due for key, due in wanted.items()
                     if self.state.planned.get(key) != due.scheduled_at]
        if moved:  # the occurrence rows follow the schedule at once (the panel shows them)
            with self.ctx.session() as session:
                for due in moved:
                    self._occurrence_row(session, due)
        for key, due in wanted.items():
            with self.state.lock:
                same = self.state.planned.get(key) == due.scheduled_at
                self.state.planned[key] = due.scheduled_at
            render_at = due.scheduled_at - dt.timedelta(seconds=self.render_lead_s)
            if key in render_keys:
                self._add_job(f"render:{key}", self._render_job, max(now, render_at), due,
                              executor="render")
            elif not same and render_at > now:
                self._add_job(f"render:{key}", self._render_job, render_at, due, executor="render")
            if same and self.scheduler.get_job(f"play:{key}") is not None:
                continue
            amp_at = due.scheduled_at - dt.timedelta(seconds=self.amp_lead_s)
            if str(self.settings.station.amp_on_command).strip() and amp_at > now:
                self._add_job(f"amp:{key}", self._amp_job, amp_at, due)
            play_at = max(now, due.scheduled_at - dt.timedelta(seconds=PREFIRE_S))
            self._add_job(f"play:{key}", self._play_job, play_at, due)

    def _add_job(self, job_id: str, func: Callable[..., Any], when: dt.datetime, *args: Any,
                 executor: str = "default") -> None:
        self.scheduler.add_job(func, "date", run_date=when, args=args, id=job_id,
                               replace_existing=True, executor=executor)

    def _remove_job(self, job_id: str) -> None:
        try:
            self.scheduler.remove_job(job_id)
        except JobLookupError:
            pass

    def _key_lock(self, key: str) -> threading.Lock:
        with self.state.lock:
            return self.state.key_locks.setdefault(key, threading.Lock())

    # ------------------------------------------------------------------ rendering

    def _render_job(self, due: reconcile.Due) -> None:
        try:
            self.render_occurrence(due)
        except Exception:  # noqa: BLE001 - the play job falls back or records the failure
            logger.exception("dựng chương trình cho %s lỗi", due.key)

    def render_occurrence(self, due: reconcile.Due) -> Rendered | None:
        """Render, check, retry, fall back; the outcome is noted on the occurrence row."""
        lock = self._key_lock(f"render:{due.key}")
        with lock:
            with self.state.lock:
                if due.key in self.state.renders:
                    return self.state.renders[due.key]
            errors: list[str] = []
            rendered: Rendered | None = None
            head_ids: list[int] = []
            for attempt in range(RENDER_ATTEMPTS):
                try:
                    rendered, head_ids = self._render_once(due)
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
            if rendered is None:
                rendered = self._fallback_render(due)
                detail = errors[-1] if errors else "chương trình trống"
                if rendered is not None:
                    note = (f"Dựng chương trình lỗi ({detail}); phát bản dựng tốt gần nhất của "
                            f"lịch này")
                    rendered.note = note
                else:
                    note = f"Dựng chương trình lỗi sau {len(errors) or 1} lần thử: {detail}"
            elif errors:
                note = f"Dựng được sau {len(errors) + 1} lần thử (lỗi trước: {errors[-1]})"
                rendered.note = note
            if head_ids:
                note = (note + " " if note else "") + _head_mark(head_ids)
            with self.ctx.session() as session:
                row = self._occurrence_row(session, due)
                row.render_note = note
                if rendered is not None:
                    row.render_path = str(rendered.path)
                    row.render_sha256 = rendered.sha256
                    row.rendered_at = self.clock.now()
                    if row.state == reconcile.PENDING:
                        row.state = reconcile.RENDERED
            if rendered is not None:
                with self.state.lock:
                    self.state.renders[due.key] = rendered
            return rendered

    def _render_once(self, due: reconcile.Due) -> tuple[Rendered, list[int]]:
        with self._head_turn.turn(due.scheduled_at):
            with self.ctx.session() as session:
                slot = session.get(Slot, due.slot_id)
                if slot is None:
                    raise BroadcasterError(f"Lịch phát số {due.slot_id} không còn")
                head_ids = [b.id for b in self._priority_head(session, slot, due)]
            rendered = self._worker_render("slot", due.slot_id, head_ids, due.scheduled_at)
            if head_ids:  # claimed now: the next slot's render must not take them too
                with self.ctx.session() as session:
                    self._occurrence_row(session, due).render_note = _head_mark(head_ids)
            return rendered, head_ids

    def _worker_render(self, what: str, ident: int, head_ids: list[int] | None,
                       instant: dt.datetime, urgent: bool = False) -> Rendered:
        """Render in the worker process (keeps SciPy and friends out of the daemon's memory)."""
        done = self.renderer.render(what, ident, head_ids, instant=instant, urgent=urgent)
        return Rendered(Path(done["path"]), done["sha256"], float(done["seconds"]), done["items"])

    def _priority_head(self, session: Session, slot: Slot, due: reconcile.Due) -> list[Bulletin]:
        """Approved priority bulletins of the last day not yet aired at the head of a slot.

        A bulletin goes to the head of one slot only: one that aired it (completed), or one
        rendered with it that is still to air (so two slots rendered within the same lead do not
        both carry it). When that one fails, is missed or cut off, the next slot takes it.
        """
        now = self.clock.now()
        recent = session.scalars(
            select(Bulletin).where(
                Bulletin.status == "approved", Bulletin.priority == "priority",
                Bulletin.approved_at.is_not(None),
                Bulletin.approved_at >= now - dt.timedelta(days=1),
            ).order_by(Bulletin.approved_at)
        ).all()
        if not recent:
            return []
        in_slot = {item.bulletin_id for item in slot.items if item.bulletin_id}
        aired: set[int] = set()
        upcoming = (reconcile.PENDING, reconcile.RENDERED, reconcile.PLAYING)
        notes = session.scalars(
            select(Occurrence.render_note).where(
                Occurrence.render_note.like("%đầu buổi%"),
                (Occurrence.state == "completed")
                | (Occurrence.state.in_(upcoming)
                   & (Occurrence.scheduled_at >= now - dt.timedelta(seconds=self.grace_s))),
                ~((Occurrence.slot_id == due.slot_id) & (Occurrence.local_date == due.local_date)),
            )
        ).all()
        for note in notes:
            for match in HEAD_MARK.finditer(note or ""):
                aired.update(int(x) for x in match.group(1).replace(" ", "").split(",") if x)
        return [
            b for b in recent
            if b.id not in in_slot and b.id not in aired
            and (b.valid_from is None or b.valid_from <= due.local_date)
            and (b.valid_until is None or b.valid_until >= due.local_date)
        ]

    def _fallback_render(self, due: reconcile.Due) -> Rendered | None:
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
                    return Rendered(path, digest, 0.0, self._items_from_meta(path, digest))
            except (AudioToolError, OSError):
                continue
        return None

    @staticmethod
    def _items_from_meta(path: Path, digest: str) -> list[dict[str, Any]]:
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

    # ------------------------------------------------------------------ occurrences

    def _occurrence_row(self, session: Session, due: reconcile.Due) -> Occurrence:
        row = session.scalar(select(Occurrence).where(Occurrence.slot_id == due.slot_id,
                                                      Occurrence.local_date == due.local_date))
        if row is None:
            row = Occurrence(slot_id=due.slot_id, local_date=due.local_date,
                             scheduled_at=due.scheduled_at, state=reconcile.PENDING, render_note="")
            session.add(row)
            session.flush()
        elif row.scheduled_at != due.scheduled_at and row.state in (reconcile.PENDING,
                                                                     reconcile.RENDERED):
            row.scheduled_at = due.scheduled_at
        return row

    def _slot_fields(self, session: Session, slot_id: int) -> dict[str, Any]:
        slot = session.get(Slot, slot_id)
        if slot is None:
            return {"title": f"Lịch phát số {slot_id}", "slot_id": slot_id}
        bulletins = [i.bulletin for i in slot.items if i.bulletin is not None]
        return {
            "title": slot.name or (bulletins[0].title if bulletins else ""),
            "category": bulletins[0].category if bulletins else "",
            "campaign": slot.campaign.name if slot.campaign else "",
            "priority": slot.priority if slot.priority in ("normal", "priority", "emergency") else "normal",
            "zone": ", ".join(z.name for z in slot.zones),
            "slot_id": slot_id,
        }

    def _output_label(self) -> str:
        device = self.player.device or "mặc định"
        return f"{self.output} ({self.player.backend}:{device})"

    def _record_unplayed(self, due: reconcile.Due, status: str, reason: str) -> None:
        """Missed or crashed occurrences: one entry, no sound."""
        lock = self._key_lock(due.key)
        if not lock.acquire(blocking=False):
            return
        try:
            with self.ctx.session() as session:
                if evidence.has_entry(session, due.key):
                    return
                row = self._occurrence_row(session, due)
                fields = self._slot_fields(session, due.slot_id)
                fields.update(occurrence_key=due.key, status=status, reason=reason,
                              scheduled_at=due.scheduled_at, started_at=None, ended_at=None,
                              seconds_played=0.0, output=self._output_label(), host=self.host,
                              items=[])
                occurrence_id = row.id
            self._write_evidence(fields, occurrence_id, status)
            logger.warning("%s: %s: %s", due.key, STATUS_LOG.get(status, status), reason)
        finally:
            lock.release()

    def _write_evidence(self, fields: dict[str, Any], occurrence_id: int | None, state: str) -> bool:
        """Append the entry and set the occurrence state in one transaction, with retries."""
        pending = _Pending(fields, occurrence_id, state)
        for attempt in range(EVIDENCE_ATTEMPTS):
            if self._try_write(pending):
                return True
            time.sleep(min(2.0, 0.2 * 2 ** attempt))
        logger.error("chưa ghi được nhật ký cho %s; giữ trong bộ nhớ và sẽ ghi lại",
                     fields.get("occurrence_key"))
        with self.state.lock:
            self.state.unwritten.append(pending)
        return False

    def _try_write(self, pending: _Pending) -> bool:
        try:
            with self.ctx.session() as session:
                try:
                    evidence.append_entry(session, **pending.fields)
                except DuplicateError:
                    logger.warning("nhật ký đã có mục cho %s", pending.fields.get("occurrence_key"))
                if pending.occurrence_id is not None:
                    row = session.get(Occurrence, pending.occurrence_id)
                    if row is not None:
                        row.state = pending.state
            return True
        except Exception:  # noqa: BLE001 - locked database, full disk: retried
            pending.attempts += 1
            logger.exception("không ghi được nhật ký cho %s (lần %d)",
                             pending.fields.get("occurrence_key"), pending.attempts)
            return False

    def _flush_unwritten(self) -> None:
        with self.state.lock:
            waiting, self.state.unwritten = self.state.unwritten, []
        for pending in waiting:
            if not self._try_write(pending):
                with self.state.lock:
                    self.state.unwritten.append(pending)

    # ------------------------------------------------------------------ the air

    def _take_air(self, urgent: bool, until: dt.datetime | None = None) -> bool:
        """Wait for the output; emergencies go first. False when stopping or past ``until``."""
        with self.air:
            while (self.state.on_air is not None or self._air_taken
                   or (not urgent and self.state.urgent_waiting > 0)):
                if self.stopping.is_set():
                    return False
                if until is not None and self.clock.now() > until:
                    return False
                self.air.wait(0.05)
            self._air_taken = True
            return True

    def _release_air(self) -> None:
        with self.air:
            self._air_taken = False
            self.state.on_air = None
            self.air.notify_all()

    def preempt(self, reason: str) -> OnAir | None:
        """Cut off whatever plays now; its job records it as interrupted with ``reason``."""
        with self.air:
            current = self.state.on_air
        if current is not None:
            logger.warning("ngắt %s: %s", current.key, reason)
            current.playback.preempt(reason)
        return current

    def _start_tap(self, key: str, when: dt.datetime) -> aircheck.MonitorTap | None:
        source = self.player.monitor_source
        if source is None or not bool(self.settings.station.aircheck):
            return None
        path = aircheck.aircheck_path(self.settings.audio_dir, key, when)
        tap = aircheck.MonitorTap(source, encode_to=path)
        try:
            tap.start()
        except OSError as exc:
            logger.warning("không bắt đầu được bản kiểm tra phát sóng: %s", exc)
            return None
        return tap

    def _air(self, key: str, title: str, priority: str, path: Path, instant: dt.datetime | None,
             tap: aircheck.MonitorTap | None) -> tuple[PlayResult | None, str]:
        """Play ``path`` (at ``instant`` when given) holding the air; returns (result, error)."""
        if instant is not None and not self.clock.sleep_until(instant, self.stopping):
            return None, ""
        started_at = self.clock.now()
        try:
            playback = self.player.start(path, started_at)
        except PlayoutError as exc:
            return None, str(exc)
        with self.air:
            self.state.on_air = OnAir(key, title, priority, started_at, playback)
        self._safely(lambda: self._beat())
        if self.stopping.is_set():
            playback.preempt(self._shutdown_reason)
        result = playback.wait()
        return result, ""

    def _amp(self, phase: str, key: str, zones: str = "") -> str:
        command = (self.settings.station.amp_on_command if phase == "on"
                   else self.settings.station.amp_off_command)
        result = amp.run_hook(str(command), phase=phase,
                              env={"LOAXA_OCCURRENCE": key, "LOAXA_ZONES": zones,
                                   "LOAXA_OUTPUT": self.output})
        return "" if result is None or result.ok else result.message

    def _amp_job(self, due: reconcile.Due) -> None:
        with self.state.lock:
            self.state.amp_done.add(due.key)
        self._amp("on", due.key)

    # ------------------------------------------------------------------ scheduled playout

    def _play_job(self, due: reconcile.Due) -> None:
        with self.state.lock:
            if due.key in self.state.busy:
                return
            self.state.busy.add(due.key)
        try:
            self.play_occurrence(due)
        except Exception:  # noqa: BLE001 - the loop goes on; the occurrence is recorded failed
            logger.exception("phát %s lỗi", due.key)
        finally:
            with self.state.lock:
                self.state.busy.discard(due.key)
                self.state.planned.pop(due.key, None)
                self.state.renders.pop(due.key, None)
                self.state.amp_done.discard(due.key)

    def play_occurrence(self, due: reconcile.Due) -> None:
        lock = self._key_lock(due.key)
        with lock:
            self._play_locked(due)

    def _play_locked(self, due: reconcile.Due) -> None:
        with self.ctx.session() as session:
            if evidence.has_entry(session, due.key):
                logger.info("%s đã có mục trong nhật ký: không phát lại", due.key)
                return
            row = self._occurrence_row(session, due)
            if row.state in reconcile.FINAL_STATES or row.state == reconcile.PLAYING:
                logger.warning("%s đang ở trạng thái '%s': không phát lại", due.key,
                               STATUS_LOG.get(row.state, row.state))
                return
            occurrence_id = row.id
            fields = self._slot_fields(session, due.slot_id)
        rendered = self.render_occurrence(due)
        deadline = due.scheduled_at + dt.timedelta(seconds=self.grace_s)
        base = dict(fields, occurrence_key=due.key, scheduled_at=due.scheduled_at,
                    output=self._output_label(), host=self.host)
        if rendered is None:
            with self.ctx.session() as session:
                note = session.get(Occurrence, occurrence_id).render_note  # type: ignore[union-attr]
            now = self.clock.now()
            self._write_evidence(dict(base, status="failed", started_at=None, ended_at=None,
                                      reason=note or "Không dựng được chương trình", items=[]),
                                 occurrence_id, "failed")
            logger.error("%s: phát thất bại lúc %s: không có bản dựng", due.key, now.isoformat())
            return
        tap = self._start_tap(due.key, due.scheduled_at)
        if not self._take_air(urgent=False, until=deadline):
            self._stop_tap(tap)
            if self.stopping.is_set():
                return
            now = self.clock.now()
            self._write_evidence(dict(base, status="missed", started_at=None, ended_at=None,
                                      items=rendered.items,
                                      reason=reconcile.missed_reason(due, now, self.grace_s, self.tz)
                                      + " (đầu ra bận phát chương trình khác)"),
                                 occurrence_id, "missed")
            return
        try:
            if self.stopping.is_set():
                return
            with self.ctx.session() as session:  # committed before the player starts: no replay
                row = session.get(Occurrence, occurrence_id)
                assert row is not None
                row.state = reconcile.PLAYING
            with self.state.lock:
                amp_pending = due.key not in self.state.amp_done
            amp_note = self._amp("on", due.key, fields.get("zone", "")) if amp_pending else ""
            if tap is not None:
                tap.wait_started(timeout=0.3)
            instant = due.scheduled_at if due.scheduled_at > self.clock.now() else None
            result, error = self._air(due.key, fields.get("title", ""), fields.get("priority", "normal"),
                                      rendered.path, instant, tap)
        finally:
            self._release_air()
        check = self._stop_tap(tap)
        if result is None and not error:  # stopped before the instant: it never aired
            with self.ctx.session() as session:
                row = session.get(Occurrence, occurrence_id)
                if row is not None and row.state == reconcile.PLAYING:
                    row.state = reconcile.RENDERED
            return
        amp_off = self._amp("off", due.key, fields.get("zone", ""))
        self._record_played(base, occurrence_id, due.scheduled_at, rendered, result, error, check,
                            notes=[n for n in (rendered.note, amp_note, amp_off) if n])

    def _stop_tap(self, tap: aircheck.MonitorTap | None) -> aircheck.Aircheck | None:
        if tap is None:
            return None
        try:
            return aircheck.finish(tap, self.settings.home)
        except Exception:  # noqa: BLE001
            logger.exception("bản kiểm tra phát sóng lỗi")
            return None

    def _record_played(self, base: dict[str, Any], occurrence_id: int | None,
                       scheduled_at: dt.datetime, rendered: Rendered, result: PlayResult | None,
                       error: str, check: aircheck.Aircheck | None, notes: list[str]) -> str:
        reasons: list[str] = []
        if result is None:
            status = "failed"
            started = ended = self.clock.now()
            seconds = 0.0
            reasons.append(error)
        else:
            started, ended, seconds = result.started_at, result.ended_at, result.seconds
            late = (started - scheduled_at).total_seconds()
            if late > 1.0:
                reasons.append(reconcile.late_reason(late))
            if result.preempted:
                status = "interrupted"
                reasons.append(f"{result.reason} (đã phát {decimal(seconds)}/{decimal(rendered.seconds or seconds)} giây)")
            elif result.returncode != 0:
                status = "failed"
                reasons.append(result.reason)
                if result.stderr and result.stderr not in result.reason:
                    reasons.append(f"stderr: {result.stderr[-500:]}")
            else:
                status = "completed"
            if check is not None and check.dead_air and status == "completed":
                status = "failed"
                reasons.append(check.note)
            elif check is not None and check.note and not check.dead_air:
                reasons.append(check.note)
        reasons.extend(notes)
        fields = dict(base, status=status, started_at=started, ended_at=ended,
                      seconds_played=seconds, items=rendered.items, reason="; ".join(r for r in reasons if r))
        if check is not None and check.sha256:
            fields.update(aircheck_sha256=check.sha256, aircheck_path=str(check.path))
        self._write_evidence(fields, occurrence_id, status)
        if fields["reason"]:
            logger.info("%s: %s (%s)", base.get("occurrence_key"), STATUS_LOG.get(status, status),
                        fields["reason"])
        else:
            logger.info("%s: %s", base.get("occurrence_key"), STATUS_LOG.get(status, status))
        return status

    # ------------------------------------------------------------------ commands

    def _poll_commands(self) -> None:
        now = self.clock.now()
        with self.ctx.session() as session:
            waiting = commands.pending(session, self.output)
            todo = [(c.id, c.kind, c.bulletin_id, dict(c.payload or {}), c.requested_at)
                    for c in waiting]
            for command in waiting:
                commands.acknowledge(command, now)
        for command_id, kind, bulletin_id, payload, requested_at in todo:
            age = (now - requested_at).total_seconds()
            if age > self.grace_s:
                # Sent while no station ran: a storm warning from this morning must not
                # suddenly cut into tonight's program. Say so, and leave evidence of it.
                self._expire_command(command_id, kind, bulletin_id, requested_at, age)
                continue
            logger.info("lệnh số %d: %s", command_id, kind)
            if kind == "emergency" and bulletin_id is not None:
                thread = threading.Thread(target=self._emergency, args=(command_id, bulletin_id),
                                          name=f"emergency-{command_id}", daemon=True)
                self._threads = [t for t in self._threads if t.is_alive()] + [thread]
                thread.start()
            elif kind == "stop":
                reason = payload.get("reason") or ""
                current = self.preempt(f"Dừng theo lệnh số {command_id}" + (f": {reason}" if reason else ""))
                self._finish_command(command_id, f"Đã dừng “{current.title}”" if current
                                     else "Không có chương trình nào đang phát")
            elif kind == "rerender":
                with self.state.lock:
                    self.state.renders.clear()
                self._maybe_reconcile(force=True)
                self._finish_command(command_id, "Đã dựng lại các chương trình sắp phát")
            else:
                self._finish_command(command_id, f"Lệnh không hợp lệ: {kind}", ok=False)

    def _expire_command(self, command_id: int, kind: str, bulletin_id: int | None,
                        requested_at: dt.datetime, age: float) -> None:
        local = requested_at.astimezone(ZoneInfo(self.tz)).strftime("%H:%M:%S ngày %d/%m/%Y")
        reason = (f"Lệnh số {command_id} gửi lúc {local} khi trạm phát không chạy; quá "
                  f"{int(self.grace_s)} giây nên không thực hiện nữa")
        logger.warning("lệnh số %d đã hết hạn sau %.0f giây: không thực hiện", command_id, age)
        if kind == "emergency" and bulletin_id is not None:
            with self.ctx.session() as session:
                bulletin = session.get(Bulletin, bulletin_id)
                title = bulletin.title if bulletin else ""
                category = bulletin.category if bulletin else ""
            self._write_evidence({"occurrence_key": f"emergency-{command_id}", "status": "missed",
                                  "scheduled_at": requested_at, "started_at": None,
                                  "ended_at": None, "reason": reason, "title": title,
                                  "category": category, "priority": "emergency",
                                  "output": self._output_label(), "host": self.host, "items": []},
                                 None, "missed")
        self._finish_command(command_id, reason, ok=False)

    def _finish_command(self, command_id: int, result: str, ok: bool = True) -> None:
        def write() -> None:
            with self.ctx.session() as session:
                command = session.get(StationCommand, command_id)
                if command is not None:
                    commands.finish(command, result, ok=ok, now=self.clock.now())
        for attempt in range(EVIDENCE_ATTEMPTS):
            try:
                write()
                return
            except Exception:  # noqa: BLE001
                logger.exception("không ghi được kết quả lệnh số %d", command_id)
                time.sleep(0.2 * 2 ** attempt)

    def _emergency(self, command_id: int, bulletin_id: int) -> None:
        try:
            self.play_emergency(command_id, bulletin_id)
        except Exception as exc:  # noqa: BLE001
            logger.exception("phát khẩn cấp theo lệnh số %d lỗi", command_id)
            self._finish_command(command_id, f"Lỗi khi phát khẩn cấp: {exc}", ok=False)

    def play_emergency(self, command_id: int, bulletin_id: int) -> str:
        """Render with the urgent template, cut off what plays, air it, record it."""
        key = f"emergency-{command_id}"
        with self.ctx.session() as session:
            if evidence.has_entry(session, key):
                return "done"
            command = session.get(StationCommand, command_id)
            bulletin = session.get(Bulletin, bulletin_id)
            requested_at = command.requested_at if command else self.clock.now()
            if bulletin is None:
                self._finish_command(command_id, f"Không có bản tin số {bulletin_id}", ok=False)
                return "failed"
            base = {"occurrence_key": key, "scheduled_at": requested_at, "title": bulletin.title,
                    "category": bulletin.category,
                    "campaign": bulletin.campaign.name if bulletin.campaign else "",
                    "priority": "emergency", "zone": bulletin.zone.name if bulletin.zone else "",
                    "output": self._output_label(), "host": self.host}
        try:
            rendered = self._worker_render("emergency", bulletin_id, None, requested_at,
                                           urgent=True)  # the urgent template, before all
        except (RenderFailed, OSError) as exc:
            self._write_evidence(dict(base, status="failed", started_at=None, ended_at=None,
                                      reason=f"Không dựng được bản tin khẩn cấp: {exc}", items=[]),
                                 None, "failed")
            self._finish_command(command_id, f"Không dựng được bản tin khẩn cấp: {exc}", ok=False)
            return "failed"
        reason = f"Bị ngắt để phát bản tin khẩn cấp số {bulletin_id} (lệnh số {command_id})"
        tap = self._start_tap(key, self.clock.now())
        with self.air:  # from here no scheduled program may take the air before this one
            self.state.urgent_waiting += 1
        try:
            self.preempt(reason)
            took = self._take_air(urgent=True)
        finally:
            with self.air:
                self.state.urgent_waiting -= 1
        if not took:
            self._stop_tap(tap)
            self._write_evidence(dict(base, status="failed", started_at=None, ended_at=None,
                                      reason="Trạm phát dừng trước khi phát được bản tin khẩn cấp",
                                      items=rendered.items), None, "failed")
            self._finish_command(command_id, "Trạm phát dừng trước khi phát", ok=False)
            return "failed"
        try:
            self._amp("on", key, base["zone"])
            result, error = self._air(key, bulletin.title, "emergency", rendered.path, None, tap)
        finally:
            self._release_air()
        check = self._stop_tap(tap)
        amp_off = self._amp("off", key, base["zone"])
        status = self._record_played(base, None, requested_at, rendered, result, error, check,
                                     notes=[amp_off] if amp_off else [])
        self._finish_command(command_id, {
            "completed": f"Đã phát bản tin khẩn cấp số {bulletin_id}",
            "interrupted": f"Bản tin khẩn cấp số {bulletin_id} bị ngắt giữa chừng",
        }.get(status, f"Phát bản tin khẩn cấp số {bulletin_id} thất bại"), ok=status != "failed")
        return status

    # ------------------------------------------------------------------ heartbeat

    def _next_up(self) -> dict[str, Any] | None:
        with self.state.lock:
            upcoming = sorted((at, key) for key, at in self.state.planned.items()
                              if key not in self.state.busy)
        if not upcoming:
            return None
        at, key = upcoming[0]
        return {"occurrence": key, "scheduled_at": at.isoformat()}

    def _beat(self, stopped: bool = False) -> None:
        with self.air:
            current = self.state.on_air
        playing = None
        if current is not None and not stopped:
            playing = {"title": current.title, "started_at": current.started_at.isoformat(),
                       "occurrence": current.key, "priority": current.priority}
        with self.state.lock:
            unwritten = len(self.state.unwritten)
        state = {"playing": playing, "next": None if stopped else self._next_up(),
                 "backend": self.player.backend, "device": self.player.device,
                 "stopped": stopped, "unwritten_evidence": unwritten,
                 "render_worker": self.renderer.status()}
        with self.ctx.session() as session:
            row = session.get(Heartbeat, self.output)
            if row is None:
                row = Heartbeat(output=self.output)
                session.add(row)
            row.host = self.host
            row.pid = os.getpid()
            row.at = self.clock.now()
            row.started_at = self.started_at
            row.state = state

    def _checkpoint(self) -> None:
        with self.ctx.session() as session:
            checkpoints.ensure_daily_checkpoint(session, self.settings, self.clock.now())


def _head_mark(head_ids: list[int]) -> str:
    """The note that says which priority bulletins lead an occurrence (read by HEAD_MARK)."""
    return f"[đầu buổi: {', '.join(map(str, head_ids))}]"


def run_station(ctx: Context) -> int:
    return Station(ctx).run()
