"""``broadcaster station``: the commune's daemon, a thin wiring of the playout engine.

Shape (LibreTime's playout, APScheduler's FAQ): one process per sound output; the database is the
truth and the in-memory APScheduler jobs are rebuilt from it at start and whenever a cheap change
marker moves (polled every ``station.reconcile_s``). The main thread polls, writes the heartbeat
and executes commands; jobs run on a small thread pool:

* ``render:<key>`` at T − ``render_lead_s``: :class:`.render_jobs.RenderJobs`;
* ``amp:<key>`` at T − ``amp_lead_s``: the amplifier hook (:mod:`.amp`);
* ``play:<key>`` at T − :data:`PREFIRE_S`: :meth:`.engine.PlayoutEngine.broadcast`, which
  prepares the player, starts it at the instant and queues exactly one evidence entry.

The pieces: :mod:`.reconcile` (pure planning), :mod:`.engine` (playout, shared with the village
receivers), :mod:`.evidence_writer` (entries written beside the playout),
:mod:`.occurrences` (the commune's rows and evidence sink), :mod:`.command_runner` (emergency, stop,
rerender), :mod:`.heartbeat`. docs/ARCHITECTURE.md draws them.
"""
from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from typing import Any, Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcaster import checkpoints
from broadcaster.context import Context
from broadcaster.labels import stop_signal_label
from broadcaster.models import Bulletin, EvidenceEntry, Occurrence, Slot, SlotItem
from broadcaster.prerender import Prerenderer
from broadcaster.schedule import SlotTimes, active_slots
from broadcaster.station import aircheck, reconcile
from broadcaster.station.air_journal import AirJournal
from broadcaster.station.amp import AmpHooks
from broadcaster.station.clock import Clock, SystemClock
from broadcaster.station.command_runner import CommandRunner
from broadcaster.station.engine import CRASHED_REASON, STATUS_LOG, PlayoutEngine
from broadcaster.station.evidence_writer import EvidenceWriter
from broadcaster.station.heartbeat import HeartbeatWriter
from broadcaster.station.interfaces import Airing, Program
from broadcaster.station.lock import StationLock, station_file
from broadcaster.station.nudge import SUFFIX as NUDGE_SUFFIX
from broadcaster.station.nudge import NudgeListener
from broadcaster.station.occurrences import (
    CommuneEvidenceSink,
    find_row,
    occurrence_row,
    slot_fields,
)
from broadcaster.station.playout import Player
from broadcaster.station.reconcile import Due, Plan
from broadcaster.station.render import RenderWorker
from broadcaster.station.render_jobs import SIGNAL_AFTER_S, RenderJobs
from broadcaster.wording import decimal

logger = logging.getLogger(__name__)

#: The play job fires this early: reads, the output gate, the air-check and the player connected
#: before the instant with time to spare on a loaded machine (0.6 s was measured short: 3 of 24
#: broadcasts 150-450 ms late with the load average at 7).
PREFIRE_S = 2.0
FULL_RECONCILE_S = 30.0
CHECKPOINT_EVERY_S = 300.0
CLEANUP_EVERY_S = 6 * 3600.0
COMPACT_BYTES = 4 * 1024 * 1024
#: A main-loop step slower than this is logged: it delays the pick-up of commands.
SLOW_STEP_S = 0.5
#: The station's own connections wait at most this long for a lock (SQLite busy timeout): the
#: main loop and the playout never stand behind a long writer; the evidence writer retries.
DB_LOCK_WAIT_S = 1.0
#: Approved emergency bulletins this recent are kept rendered (a storm warning prepared ahead).
PRERENDER_EMERGENCY_DAYS = 7
#: A render that failed on a full disk is tried again this often while space is awaited...
SPACE_RETRY_S = 1.0
#: ...until the grace window ends less this (the render's own time).
SPACE_RENDER_MARGIN_S = 5.0


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
        self.output_label = f"{self.output} ({self.player.label})"
        self.stopping = threading.Event()
        self.wake = threading.Event()  # a command was written (nudge), or stopping
        self.nudges = NudgeListener(station_file(self.settings.home, self.output, NUDGE_SUFFIX),
                                    self.wake)
        self.scheduler = BackgroundScheduler(
            timezone=dt.timezone.utc,
            # Renders get their own threads so waiting renders never hold up a play job.
            executors={"default": ThreadPoolExecutor(8), "render": ThreadPoolExecutor(2)},
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        self._lock = threading.RLock()
        self._planned: dict[str, dt.datetime] = {}
        self._busy: set[str] = set()
        self._key_locks: dict[str, threading.Lock] = {}
        self._marker: tuple[Any, ...] | None = None
        self.amp = AmpHooks(str(st.amp_on_command), str(st.amp_off_command), self.output)
        _short_lock_waits(ctx)
        self.journal = AirJournal(station_file(self.settings.home, self.output, ".airlog"))
        self.writer = EvidenceWriter(CommuneEvidenceSink(ctx), on_written=self.journal.recorded)
        self.engine = PlayoutEngine(
            self.player, self.clock, self.writer,
            aircheck_dir=self.settings.audio_dir if bool(st.aircheck) else None,
            home=self.settings.home, timezone=self.tz, grace_s=self.grace_s,
            journal=self.journal, amp=self.amp, stopping=self.stopping,
            on_air_changed=lambda: self.heartbeat.poke(), retries_emergencies=True)
        self._airings: dict[str, Airing] = {}
        self._signal_thread: threading.Thread | None = None
        # One render at a time, soonest broadcast first (emergencies before all): renders are
        # CPU-bound and must not starve a playout about to start.
        self.renderer = RenderWorker(self.settings.home, verbose=verbose)
        # Upcoming programs rendered ahead with gTTS while it answers (broadcaster.prerender).
        self.prerenderer = Prerenderer(ctx.session, self.settings, self.output,
                                       lambda: RenderWorker(self.settings.home, verbose=verbose),
                                       self.clock.now)
        # A render's record the database cannot take now (locked, disk full) waits in the
        # writer's queue, ahead of the airing's marks and entry.
        self.renders = RenderJobs(ctx, self.renderer, self.clock, self.stopping, self.grace_s,
                                  later=self.writer.task)
        self.commands = CommandRunner(ctx, self.engine, self.renders, self.clock,
                                      output=self.output, output_label=self.output_label,
                                      grace_s=self.grace_s, timezone=self.tz,
                                      rerender=self._rerender)
        self.heartbeat = HeartbeatWriter(
            ctx, self.clock, self.output, backend=self.player.backend, device=self.player.device,
            current=self.engine.current, next_up=self._next_up,
            extra=lambda: {"unwritten_evidence": self.writer.backlog(),
                           "render_worker": self.renderer.status(),
                           # An emergency opens at once with the signal; these air whole at once.
                           "emergency_signal": self.renders.signal() is not None,
                           "emergencies_ready": sorted(self.renders.emergency_versions())},
            every_s=self.heartbeat_s, stopping=self.stopping, housekeeping=self._housekeeping)
        self._last_full = self._last_checkpoint = self._last_cleanup = 0.0

    # ------------------------------------------------------------------ life cycle

    def run(self) -> int:
        lock = StationLock(self.settings.home, self.output)
        lock.acquire()
        self._install_signals()
        try:
            logger.info("trạm phát '%s' bắt đầu (%s: %s)", self.output, self.player.backend,
                        self.player.device or "mặc định")
            self.renderer.start()  # first: its interpreter takes seconds to import everything
            self.prerenderer.start()
            self.writer.start()
            self.engine.recover()  # what a killed station left: entries from the air journal
            self.journal.compact(keep={a.key for a in self.journal.unfinished()})
            self.commands.resume_cut(self.engine.cut_unheard())  # an emergency nobody heard
            self.scheduler.start()
            self.heartbeat.start()
            self.nudges.start()
            while not self.stopping.is_set():
                self.tick()
                self.wake.wait(self.reconcile_s)
                self.wake.clear()
        finally:
            self.nudges.stop()
            self._shutdown()
            lock.release()
        return 0

    def request_shutdown(self, reason: str = "Trạm phát dừng theo yêu cầu") -> None:
        self.engine.shutdown_reason = reason
        self.stopping.set()
        self.wake.set()

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum: int, _frame: Any) -> None:
            name = signal.Signals(signum).name
            logger.info("nhận %s: đang dừng", name)
            self.request_shutdown(f"Trạm phát dừng theo yêu cầu ({stop_signal_label(name)})")

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def _shutdown(self) -> None:
        self.stopping.set()
        self.engine.preempt(self.engine.shutdown_reason)
        try:
            self.scheduler.shutdown(wait=True)
        except Exception:  # noqa: BLE001 - never started, or already down
            logger.debug("dừng bộ lập lịch", exc_info=True)
        self.commands.join(timeout=30)
        self.prerenderer.stop()
        self.renderer.stop()
        self.heartbeat.join()
        self.writer.stop()
        try:
            self.heartbeat.beat(stopped=True)
        except Exception:  # noqa: BLE001
            logger.exception("không ghi được nhịp báo trạng thái (heartbeat) cuối cùng")
        logger.info("trạm phát '%s' đã dừng", self.output)

    # ------------------------------------------------------------------ main loop

    def tick(self) -> None:
        """One pass of the main loop; every step logs its failure and the loop goes on."""
        for step in (self.commands.poll, self._maybe_reconcile):
            began = time.monotonic()
            try:
                step()
            except Exception:  # noqa: BLE001 - the daemon stays up
                logger.exception("bước %s của trạm phát lỗi; thử lại ở vòng sau", step.__name__)
            took = time.monotonic() - began
            if took > SLOW_STEP_S:  # commands (emergencies) wait while a step runs
                logger.warning("bước %s của trạm phát chạy mất %.2f giây", step.__name__, took)

    def _housekeeping(self) -> None:
        """In the heartbeat's thread (never in front of commands): checkpoint, clean-ups."""
        mono = time.monotonic()
        if mono - self._last_checkpoint >= CHECKPOINT_EVERY_S:
            self._safely(self._checkpoint)
            self._last_checkpoint = mono
        if mono - self._last_cleanup >= CLEANUP_EVERY_S:
            self._safely(lambda: aircheck.cleanup(self.settings.audio_dir,
                                                  int(self.settings.station.aircheck_retention_days),
                                                  self.clock.now()))
            self._last_cleanup = mono
        if self.journal.size() > COMPACT_BYTES:
            self.journal.compact(keep={a.key for a in self.journal.unfinished()})

    def _safely(self, step: Callable[[], Any]) -> None:
        try:
            step()
        except Exception:  # noqa: BLE001
            logger.exception("một bước của trạm phát lỗi; sẽ thử lại sau")

    def _checkpoint(self) -> None:
        with self.ctx.session() as session:
            checkpoints.ensure_daily_checkpoint(session, self.settings, self.clock.now())

    def _rerender(self) -> None:
        with self._lock:
            busy = set(self._busy)
        self.renders.drop_all(keep=busy, emergencies=True)
        self._maybe_reconcile(force=True)

    def _nothing_due_soon(self) -> bool:
        """No broadcast planned within SIGNAL_AFTER_S (the signal's render may take the worker)."""
        soon = self.clock.now() + dt.timedelta(seconds=SIGNAL_AFTER_S)
        with self._lock:
            return not any(at <= soon for key, at in self._planned.items() if key not in self._busy)

    def _next_up(self) -> dict[str, Any] | None:
        with self._lock:
            upcoming = sorted((at, key) for key, at in self._planned.items() if key not in self._busy)
        if not upcoming:
            return None
        at, key = upcoming[0]
        return {"occurrence": key, "scheduled_at": at.isoformat()}

    # ------------------------------------------------------------------ reconcile

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

    def reconcile(self, rerender: bool = False) -> Plan:
        """Rebuild the jobs from the database; record crashed and missed occurrences."""
        now = self.clock.now()
        with self._lock:
            busy = set(self._busy)
        if rerender:  # something changed: upcoming programs are rendered again
            self.renders.drop_all(keep=busy)
        ready = self.renders.ready_keys()
        with self.ctx.session() as session:
            slots = active_slots(session, self.output)
            plans = [reconcile.SlotPlan(s.id, SlotTimes.of(s, self.tz), s.created_at) for s in slots]
            since = now - dt.timedelta(seconds=reconcile.LOOKBACK_S + 86400)
            rows = session.scalars(select(Occurrence).where(Occurrence.scheduled_at >= since)).all()
            keys_with_evidence = set(session.scalars(
                select(EvidenceEntry.occurrence_key).where(EvidenceEntry.scheduled_at >= since)
            ).all()) | self.writer.pending_keys()
            known = {
                row.key: reconcile.Known(state=row.state, rendered=row.key in ready,
                                         has_evidence=row.key in keys_with_evidence,
                                         began=self.engine.began(row.key))
                for row in rows
            }
            for key in keys_with_evidence:
                if key is not None:  # entries outside the schedule (emergencies) have no key
                    known.setdefault(key, reconcile.Known(has_evidence=True))
            result = reconcile.plan(plans, known, now, render_lead_s=self.render_lead_s,
                                    grace_s=self.grace_s, busy=busy)
        self._prerender_emergencies(now)
        for due in result.crashed:
            self._record_unplayed(due, "interrupted", CRASHED_REASON)
        for due, reason in result.missed:
            self._record_unplayed(due, "missed", reason)
        self._schedule(result, now)
        return result

    def _prerender_emergencies(self, now: dt.datetime) -> None:
        """The urgent signal held, and approved emergency bulletins of the last
        :data:`PRERENDER_EMERGENCY_DAYS` rendered ahead of their command (approval moves the
        change marker, so this runs within ``station.reconcile_s`` of it)."""
        if self.renders.signal() is None and not (self._signal_thread and
                                                  self._signal_thread.is_alive()):
            # A thread of its own, not one of the render executor's two: it waits for the
            # worker's cold start, and broadcasts' renders must not wait for a free thread.
            self._signal_thread = threading.Thread(target=self.renders.prepare_signal,
                                                   args=(self._nothing_due_soon,),
                                                   name="render-signal", daemon=True)
            self._signal_thread.start()
        with self.ctx.session() as session:
            wanted = dict(session.execute(
                select(Bulletin.id, Bulletin.updated_at).where(
                    Bulletin.status == "approved", Bulletin.priority == "emergency",
                    Bulletin.approved_at >= now - dt.timedelta(days=PRERENDER_EMERGENCY_DAYS))
            ).tuples().all())
        have = self.renders.emergency_versions()
        for bulletin_id, version in wanted.items():
            if have.get(bulletin_id) != version:
                self.scheduler.add_job(self.renders.prerender_emergency, args=(bulletin_id, version),
                                       id=f"prerender:{bulletin_id}", replace_existing=True,
                                       executor="render")

    def _schedule(self, result: Plan, now: dt.datetime) -> None:
        wanted = {due.key: due for due in result.play}
        with self._lock:
            stale = [k for k in self._planned if k not in wanted and k not in self._busy]
            for key in stale:
                self._planned.pop(key, None)
                self._airings.pop(key, None)
                self.renders.drop(key)
                for prefix in ("render", "amp", "play"):
                    self._remove_job(f"{prefix}:{key}")
                logger.info("lượt phát %s không còn trong lịch: đã bỏ các việc đã đặt", key)
            moved = [due for key, due in wanted.items() if self._planned.get(key) != due.scheduled_at]
        if moved:  # the occurrence rows follow the schedule at once (the panel shows them)
            try:
                with self.ctx.session() as session:
                    for due in moved:
                        self._airings[due.key] = self._airing(session, due)
            except Exception:  # noqa: BLE001 - a locked database: the jobs are planned all the same
                logger.exception("chưa ghi được các lượt phát vào cơ sở dữ liệu; vẫn đặt lịch phát")
        render_keys = {due.key for due in result.render}
        for key, due in wanted.items():
            with self._lock:
                same = self._planned.get(key) == due.scheduled_at
                self._planned[key] = due.scheduled_at
            render_at = due.scheduled_at - dt.timedelta(seconds=self.render_lead_s)
            if key in render_keys:
                self._add_job(f"render:{key}", self.renders.render_job, max(now, render_at), due,
                              executor="render")
            elif not same and render_at > now:
                self._add_job(f"render:{key}", self.renders.render_job, render_at, due,
                              executor="render")
            if same and self.scheduler.get_job(f"play:{key}") is not None:
                continue
            amp_at = due.scheduled_at - dt.timedelta(seconds=self.amp_lead_s)
            if self.amp.configured and amp_at > now:
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
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    # ------------------------------------------------------------------ occurrences

    def _airing(self, session: Session, due: Due) -> Airing:
        row = occurrence_row(session, due)
        fields = dict(slot_fields(session, due.slot_id), output=self.output_label)
        return Airing(due.key, due.scheduled_at, fields, row.id)

    def _record_unplayed(self, due: Due, status: str, reason: str) -> None:
        """Missed or crashed occurrences: one entry, no sound."""
        lock = self._key_lock(due.key)
        if not lock.acquire(blocking=False):
            return
        try:
            if self.writer.has_entry(due.key):
                return
            with self.ctx.session() as session:
                airing = self._airing(session, due)
            self.engine.record(airing, status, reason, seconds_played=0.0)
        finally:
            lock.release()

    def _amp_job(self, due: Due) -> None:
        self.amp.early(due.key)

    def _play_job(self, due: Due) -> None:
        with self._lock:
            if due.key in self._busy:
                return
            self._busy.add(due.key)
        try:
            self.play_occurrence(due)
        except Exception:  # noqa: BLE001 - the loop goes on; the occurrence is recorded failed
            logger.exception("phát %s lỗi", due.key)
        finally:
            with self._lock:
                self._busy.discard(due.key)
                self._planned.pop(due.key, None)
            self.renders.drop(due.key)
            self.amp.forget(due.key)
            self._airings.pop(due.key, None)

    def play_occurrence(self, due: Due) -> None:
        """At T − PREFIRE_S. Reads only: a locked database never holds a ready program off air."""
        with self._key_lock(due.key):
            airing = self._airings.get(due.key)
            state = reconcile.PENDING
            try:
                if self.writer.has_entry(due.key):
                    logger.info("%s đã có mục trong nhật ký: không phát lại", due.key)
                    return
                with self.ctx.session() as session:
                    row = find_row(session, due)
                    if row is not None:
                        state = row.state
                        airing = Airing(due.key, due.scheduled_at,
                                        dict(slot_fields(session, due.slot_id),
                                             output=self.output_label), row.id)
            except Exception:  # noqa: BLE001 - the database is unreadable now: air from memory
                logger.exception("%s: không đọc được cơ sở dữ liệu; phát theo kế hoạch đã có",
                                 due.key)
            if airing is None:
                airing = Airing(due.key, due.scheduled_at, {"output": self.output_label})
            replay = state == reconcile.PLAYING and self.engine.began(due.key) is False
            if state in reconcile.FINAL_STATES or (state == reconcile.PLAYING and not replay):
                logger.warning("%s đang ở trạng thái '%s': không phát lại", due.key,
                               STATUS_LOG.get(state, state))
                return
            if replay:
                logger.warning("%s: %s", due.key, self.engine.cut_note(due.key) or
                               "trạm phát dừng trước khi lượt phát kịp bắt đầu; phát bù")
            ticket = self.engine.reserve(airing)
            try:
                program = self.renders.render_occurrence(due)
                if program is None and self.renders.disk_full():
                    self.engine.gate.cancel(ticket)  # what is ready airs in the meantime
                    program = self._render_once_there_is_space(due)
                    ticket = self.engine.reserve(airing)  # the same place: by its instant
                if program is None:
                    self.engine.record(airing, "failed", self.renders.failure_note(due))
                    return
                self.engine.broadcast(airing, program, ticket=ticket)
            finally:
                self.engine.gate.cancel(ticket)


    def _render_once_there_is_space(self, due: Due) -> Program | None:
        """The render failed on a full disk: try again whenever there is space, until the grace
        window (less a render's time) ends. None: still full, or failing for another reason."""
        began = self.clock.now()
        deadline = due.scheduled_at + dt.timedelta(seconds=self.grace_s - SPACE_RENDER_MARGIN_S)
        logger.warning("%s: ổ đĩa dữ liệu đầy, chưa dựng được chương trình; chờ có chỗ trống "
                       "đến hết thời gian cho phép", due.key)
        while not self.stopping.wait(SPACE_RETRY_S) and self.clock.now() < deadline:
            if self.renders.disk_full():
                continue
            program = self.renders.render_occurrence(due)
            if program is None:
                return None
            waited = (self.clock.now() - began).total_seconds()
            program.note = "; ".join(n for n in (
                program.note, f"Chờ ổ đĩa dữ liệu có chỗ trống {decimal(waited)} giây mới dựng "
                              f"được chương trình") if n)
            return program
        return None


def _short_lock_waits(ctx: Context) -> None:
    """SQLite: this process's connections wait at most DB_LOCK_WAIT_S for a lock."""
    if ctx.engine.dialect.name != "sqlite":
        return
    from sqlalchemy import event

    @event.listens_for(ctx.engine, "connect")
    def _busy(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(DB_LOCK_WAIT_S * 1000)}")
        cursor.close()

    ctx.engine.dispose()  # connections opened before get the short wait too
