"""Station commands, executed: ``emergency``, ``stop`` and ``rerender`` rows picked up and done.

The panel and the CLI write a :class:`~broadcaster.models.StationCommand` row (the row is the
truth, :mod:`broadcaster.commands`); the station acknowledges it, does it, and writes the result
back. A command older than ``station.grace_s`` was sent while no station ran: a storm warning from
this morning must not suddenly cut into tonight's program, so it is refused and, for an emergency,
recorded as ``missed``. An emergency a crash of the station cut before it could be heard is run
again at the restart while its command is that fresh (:meth:`CommandRunner.resume_cut`).
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Callable
from zoneinfo import ZoneInfo

from broadcaster import commands
from broadcaster.context import Context
from broadcaster.models import Bulletin, StationCommand
from broadcaster.occurrence_keys import emergency_command_id, emergency_key
from broadcaster.station.clock import Clock
from broadcaster.station.engine import PlayoutEngine
from broadcaster.station.follow import Follow
from broadcaster.station.interfaces import Airing, Program
from broadcaster.station.render import RenderFailed
from broadcaster.station.render_jobs import RenderJobs

logger = logging.getLogger(__name__)

#: The bulletin's render waits at most this long for the signal's first sample (the signal lasts
#: about 2.8 s; the render must not steal the CPU from the player's start on a loaded machine).
BODY_AFTER_SIGNAL_S = 0.5


class CommandRunner:
    """Polls, acknowledges and executes the commands for one output."""

    def __init__(self, ctx: Context, engine: PlayoutEngine, renders: RenderJobs, clock: Clock, *,
                 output: str, output_label: str, grace_s: float, timezone: str,
                 rerender: Callable[[], None]) -> None:
        self.ctx = ctx
        self.engine = engine
        self.renders = renders
        self.clock = clock
        self.output = output
        self.output_label = output_label
        self.grace_s = grace_s
        self.timezone = timezone
        self.rerender = rerender
        self.threads: list[threading.Thread] = []
        self._taken: set[int] = set()

    def _acknowledger(self, command_id: int, now: dt.datetime) -> Callable[[], None]:
        def write() -> None:
            with self.ctx.session() as session:
                command = session.get(StationCommand, command_id)
                if command is not None and command.status == commands.PENDING:
                    commands.acknowledge(command, now)
        return write

    def poll(self) -> None:
        """Take the pending commands and do them (emergencies in their own thread).

        Reads only: the acknowledgement is queued to the evidence writer, so a locked database
        delays the row's update, never the emergency. Commands taken are remembered so a row
        still ``pending`` (its acknowledgement not written yet) is not done twice.
        """
        now = self.clock.now()
        with self.ctx.session() as session:
            waiting = commands.pending(session, self.output)
            todo = [(c.id, c.kind, c.bulletin_id, dict(c.payload or {}), c.requested_at)
                    for c in waiting if c.id not in self._taken]
        for command_id, *_ in todo:
            self._taken.add(command_id)
            self.engine.writer.task(f"lệnh số {command_id}", self._acknowledger(command_id, now))
        for command_id, kind, bulletin_id, payload, requested_at in todo:
            age = (now - requested_at).total_seconds()
            if age > self.grace_s:
                self._expire(command_id, kind, bulletin_id, requested_at, age)
                continue
            logger.info("lệnh số %d: %s", command_id, kind)
            if kind == "emergency" and bulletin_id is not None:
                self._start_emergency(command_id, bulletin_id)
            elif kind == "stop":
                reason = payload.get("reason") or ""
                current = self.engine.preempt(f"Dừng theo lệnh số {command_id}"
                                              + (f": {reason}" if reason else ""))
                self.finish(command_id, f"Đã dừng “{current.title}”" if current
                            else "Không có chương trình nào đang phát")
            elif kind == "rerender":
                self.rerender()
                self.finish(command_id, "Đã dựng lại các chương trình sắp phát")
            else:
                self.finish(command_id, f"Lệnh không hợp lệ: {kind}", ok=False)

    def _start_emergency(self, command_id: int, bulletin_id: int) -> None:
        thread = threading.Thread(target=self._emergency, args=(command_id, bulletin_id),
                                  name=f"emergency-{command_id}", daemon=True)
        self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()

    def resume_cut(self, keys: list[str]) -> None:
        """At start, after the engine's recovery: run again the emergencies a crash cut before
        anything of them could be heard (``keys``: :meth:`PlayoutEngine.cut_unheard`).

        Why: the command was taken, so polling would not run it again, and the journal shows no
        second of it on air — a storm warning nobody heard. Within ``grace_s`` of its command it
        airs again from the start (its entry says what became of the first attempt); later it
        is recorded ``missed``, as a command that came too late is. Scheduled keys are the
        schedule's to air again and are left alone.
        """
        now = self.clock.now()
        for key in keys:
            command_id = emergency_command_id(key)
            if command_id is None or command_id in self._taken:
                continue
            self._taken.add(command_id)
            with self.ctx.session() as session:
                command = session.get(StationCommand, command_id)
                bulletin_id = command.bulletin_id if command is not None else None
                requested_at = command.requested_at if command is not None else now
            if bulletin_id is None:
                self.engine.record(Airing(key, now, {"priority": "emergency",
                                                     "output": self.output_label}),
                                   "missed", f"Không còn lệnh số {command_id} để phát lại")
                continue
            age = (now - requested_at).total_seconds()
            if age > self.grace_s:
                self._expire(command_id, "emergency", bulletin_id, requested_at, age, reason=(
                    f"Trạm phát chạy lại {int(age)} giây sau lệnh số {command_id}, quá "
                    f"{int(self.grace_s)} giây nên không phát lại"))
                continue
            logger.warning("lệnh số %d: %s; phát lại bản tin khẩn cấp", command_id,
                           self.engine.cut_note(key))
            self.engine.writer.task(f"lệnh số {command_id}", self._acknowledger(command_id, now))
            self._start_emergency(command_id, bulletin_id)

    def join(self, timeout: float) -> None:
        for thread in list(self.threads):
            thread.join(timeout=timeout)

    def _expire(self, command_id: int, kind: str, bulletin_id: int | None,
                requested_at: dt.datetime, age: float, reason: str = "") -> None:
        local = requested_at.astimezone(ZoneInfo(self.timezone)).strftime("%H:%M:%S ngày %d/%m/%Y")
        reason = reason or (f"Lệnh số {command_id} gửi lúc {local} khi trạm phát không chạy; quá "
                            f"{int(self.grace_s)} giây nên không thực hiện nữa")
        logger.warning("lệnh số %d đã hết hạn sau %.0f giây: không thực hiện", command_id, age)
        if kind == "emergency" and bulletin_id is not None:
            with self.ctx.session() as session:
                bulletin = session.get(Bulletin, bulletin_id)
                title = bulletin.title if bulletin else ""
                category = bulletin.category if bulletin else ""
            airing = Airing(emergency_key(command_id), requested_at,
                            {"title": title, "category": category, "priority": "emergency",
                             "output": self.output_label})
            self.engine.record(airing, "missed", reason)
        self.finish(command_id, reason, ok=False)

    def finish(self, command_id: int, result: str, ok: bool = True) -> None:
        """Queue the command's result (written beside the playout, retried until written)."""
        at = self.clock.now()

        def write() -> None:
            with self.ctx.session() as session:
                command = session.get(StationCommand, command_id)
                if command is not None:
                    commands.finish(command, result, ok=ok, now=at)
        self.engine.writer.task(f"lệnh số {command_id}", write)

    def _emergency(self, command_id: int, bulletin_id: int) -> None:
        try:
            self.play_emergency(command_id, bulletin_id)
        except Exception as exc:  # noqa: BLE001
            logger.exception("phát khẩn cấp theo lệnh số %d lỗi", command_id)
            self.finish(command_id, f"Lỗi khi phát khẩn cấp: {exc}", ok=False)

    def _urgent_program(self, command_id: int, bulletin_id: int, airing: Airing,
                        version: dt.datetime | None) -> Program | None:
        """What goes on air at once: the programme pre-rendered at approval when it is current;
        else the held signal, with the bulletin rendered meanwhile and fed behind it
        (:mod:`.follow`); else (no signal yet: the station just started) the render, waited for.
        """
        cached = self.renders.cached_emergency(bulletin_id, version)
        if cached is not None:
            logger.info("lệnh số %d: phát bản tin khẩn cấp đã dựng sẵn", command_id)
            return cached
        signal = self.renders.signal()
        if signal is not None:
            follow = Follow()

            def render_body() -> None:
                follow.on_air.wait(BODY_AFTER_SIGNAL_S)  # the player's start first
                try:
                    follow.deliver(self.renders.render_emergency_body(bulletin_id,
                                                                     airing.scheduled_at))
                    logger.info("lệnh số %d: bản tin khẩn cấp dựng xong, nối sau tín hiệu", command_id)
                except (RenderFailed, OSError) as exc:
                    logger.error("lệnh số %d: không dựng được bản tin khẩn cấp: %s", command_id, exc)
                    follow.fail(str(exc))
            threading.Thread(target=render_body, name=f"emergency-body-{command_id}",
                             daemon=True).start()
            logger.info("lệnh số %d: phát tín hiệu khẩn cấp ngay, dựng bản tin song song", command_id)
            return Program(signal.path, signal.sha256, signal.seconds,
                           [dict(item) for item in signal.items], then=follow)
        try:
            return self.renders.render_emergency(bulletin_id, airing.scheduled_at, version)
        except (RenderFailed, OSError) as exc:
            self.engine.record(airing, "failed", f"Không dựng được bản tin khẩn cấp: {exc}")
            self.finish(command_id, f"Không dựng được bản tin khẩn cấp: {exc}", ok=False)
            return None

    def play_emergency(self, command_id: int, bulletin_id: int) -> str:
        """Cut off what plays, air the emergency at once (signal first when it is not rendered
        yet), record what aired."""
        key = emergency_key(command_id)
        if self.engine.writer.has_entry(key):
            return "done"
        with self.ctx.session() as session:
            command = session.get(StationCommand, command_id)
            bulletin = session.get(Bulletin, bulletin_id)
            requested_at = command.requested_at if command else self.clock.now()
            if bulletin is None:
                self.finish(command_id, f"Không có bản tin số {bulletin_id}", ok=False)
                return "failed"
            version = bulletin.updated_at
            airing = Airing(key, requested_at, {
                "title": bulletin.title, "category": bulletin.category,
                "campaign": bulletin.campaign.name if bulletin.campaign else "",
                "priority": "emergency", "zone": bulletin.zone.name if bulletin.zone else "",
                "output": self.output_label})
        program = self._urgent_program(command_id, bulletin_id, airing, version)
        if program is None:
            return "failed"
        reason = f"Bị ngắt để phát bản tin khẩn cấp số {bulletin_id} (lệnh số {command_id})"
        verdict = self.engine.broadcast(airing, program, urgent=True, preempt_reason=reason)
        status = verdict.status if verdict is not None else "failed"
        why = f": {verdict.reason}" if verdict is not None and verdict.reason else ""
        self.finish(command_id, {
            "completed": f"Đã phát bản tin khẩn cấp số {bulletin_id}",
            "interrupted": f"Bản tin khẩn cấp số {bulletin_id} bị ngắt giữa chừng",
        }.get(status, f"Phát bản tin khẩn cấp số {bulletin_id} thất bại{why}"), ok=status != "failed")
        return status
