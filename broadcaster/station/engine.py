"""The playout engine: takes a rendered program and an instant, and returns an honest outcome.

This is the part the commune station and every village receiver share. It knows nothing of the
commune's database; it is given an :class:`~.interfaces.Output` (the sound output), a
:class:`~.clock.Clock` and an :class:`~.evidence_writer.EvidenceWriter` over an
:class:`~.interfaces.EvidenceSink`. :meth:`PlayoutEngine.broadcast` then

1. starts the air-check (a recording of the output's monitor, :mod:`.aircheck`);
2. waits for the output (:class:`~.air_gate.AirGate`: one program at a time, emergencies first,
   overdue ones in scheduled order), cutting off what plays when the airing is urgent;
3. marks the occurrence ``playing`` (queued, never waited for);
4. runs the amplifier hook and *prepares* the player before the instant (its stream connected and
   waiting), retrying while the sound server or the sink is missing, up to the deadline;
5. hands the first sample to the output at the instant, waits for the end;
6. decides the status from what the player, the air-check and the engine saw (:func:`.verdict.decide`)
   and queues exactly one evidence entry.

``preempt(reason)`` cuts off whatever plays (emergency, stop command, shutdown); the airing that
was cut records ``interrupted`` with the reason.
"""
from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from broadcaster import occurrence_keys
from broadcaster.errors import PlayoutError
from broadcaster.station import aircheck
from broadcaster.station.air_gate import AirGate, OnAir, Ticket
from broadcaster.station.air_journal import PROGRESS_EVERY_S, AirJournal, JournalledAiring
from broadcaster.station.amp import AmpHooks
from broadcaster.station.clock import Clock
from broadcaster.station.evidence_writer import EvidenceWriter
from broadcaster.station.follow import file_to_play
from broadcaster.station.interfaces import Airing, EntryRecord, Output, Program, StateMark
from broadcaster.station.playout import (
    OutputMissingError,
    Playback,
    PlayResult,
    PreparedPlayback,
    is_missing_device,
)
from broadcaster.station.reconcile import missed_reason
from broadcaster.station.verdict import Verdict, decide
from broadcaster.wording import decimal

logger = logging.getLogger(__name__)

#: How often a missing sound server or sink is tried again while an airing waits for it.
OUTPUT_RETRY_S = 0.5
#: A player that fails this fast with a "no such device" message counts as a missing output.
FAST_FAILURE_S = 1.0
#: Occurrence states the engine writes (the commune's occurrence rows use the same words).
PLAYING, RENDERED = "playing", "rendered"
#: What stopped, as an entry names it: the commune's station, or a village's receiver box.
STATION, RECEIVER = "trạm phát", "máy thu"


def crashed_reason(machine: str = STATION) -> str:
    """Why an airing a crash cut after it could be heard is recorded interrupted, not replayed."""
    return (f"Bị ngắt: {machine} dừng đột ngột (mất điện hoặc lỗi) khi đang phát; không "
            "phát lại để tránh phát hai lần")


CRASHED_REASON = crashed_reason(STATION)
#: How the log words an occurrence's status (the database keeps the English code).
STATUS_LOG = {
    "completed": "đã phát xong",
    "interrupted": "bị ngắt giữa chừng",
    "failed": "phát thất bại",
    "missed": "bị lỡ",
    "pending": "đang chờ dựng",
    "rendered": "đã dựng, chờ phát",
    "playing": "đang phát",
}


def machine_boot_time() -> dt.datetime | None:
    """When this machine booted (``btime`` in ``/proc/stat``); None where it cannot be read."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            for line in stat:
                if line.startswith("btime "):
                    return dt.datetime.fromtimestamp(int(line.split()[1]), dt.timezone.utc)
    except (OSError, ValueError):
        pass
    return None


class PlayoutEngine:
    """Plays programs on one output and records each airing exactly once."""

    def __init__(self, output: Output, clock: Clock, writer: EvidenceWriter, *,
                 aircheck_dir: Path | None, home: Path, timezone: str, grace_s: float,
                 journal: AirJournal | None = None, amp: AmpHooks | None = None,
                 stopping: threading.Event | None = None,
                 on_air_changed: Callable[[], Any] | None = None, machine: str = STATION,
                 retries_emergencies: bool = False) -> None:
        self.output = output
        #: Whether an emergency the crash cut before it was heard is left to air again (the
        #: station re-runs its command while fresh) rather than recorded interrupted.
        self.retries_emergencies = retries_emergencies
        self.machine = machine
        self.clock = clock
        self.writer = writer
        self.aircheck_dir = aircheck_dir
        self.home = home
        self.timezone = timezone
        self.grace_s = grace_s
        self.amp = amp
        self.journal = journal
        self._began: set[str] = set()
        self._cut_notes: dict[str, str] = {}
        self.boot_time: Callable[[], dt.datetime | None] = machine_boot_time
        self._journal_trusted = False
        self.stopping = stopping or threading.Event()
        self.gate = AirGate(clock.now, self.stopping)
        self.host = socket.gethostname()
        self.shutdown_reason = f"{machine.capitalize()} dừng theo yêu cầu"
        self._on_air_changed = on_air_changed or (lambda: None)

    # ------------------------------------------------------------------ what plays

    def current(self) -> OnAir | None:
        return self.gate.current()

    def preempt(self, reason: str) -> OnAir | None:
        """Cut off whatever plays now; its airing records ``interrupted`` with ``reason``."""
        current = self.gate.current()
        if current is not None and current.playback is not None:
            logger.warning("ngắt %s: %s", current.key, reason)
            current.playback.preempt(reason)
        return current

    # ------------------------------------------------------------------ evidence

    def entry_fields(self, airing: Airing, **values: Any) -> dict[str, Any]:
        return dict(airing.fields, occurrence_key=airing.key, scheduled_at=airing.scheduled_at,
                    host=airing.fields.get("host") or self.host, **values)

    def record(self, airing: Airing, status: str, reason: str, *,
               items: list[dict[str, Any]] | None = None, **values: Any) -> None:
        """Queue an entry for an airing that produced no sound (missed, failed to render...)."""
        reason = "; ".join(r for r in (reason, self.cut_note(airing.key)) if r)
        fields = self.entry_fields(airing, status=status, reason=reason, items=items or [],
                                   started_at=values.pop("started_at", None),
                                   ended_at=values.pop("ended_at", None), **values)
        self.writer.submit(EntryRecord(fields, airing.ref, status))
        logger.warning("%s: %s: %s", airing.key, STATUS_LOG.get(status, status), reason)

    # ------------------------------------------------------------------ one airing

    def reserve(self, airing: Airing, urgent: bool = False) -> Ticket:
        """A place in the output's queue, taken before the program is ready (see AirGate)."""
        return self.gate.enqueue(urgent=urgent, scheduled_at=airing.scheduled_at)

    def began(self, key: str) -> bool | None:
        """Whether the airing ever handed a sample to the output (None: no journal to tell)."""
        if key in self._began:
            return True
        if self.journal is None or not self._journal_trusted:
            return None  # a journal begun by this process cannot speak for the one before
        return False

    def broadcast(self, airing: Airing, program: Program, *, urgent: bool = False,
                  preempt_reason: str = "", notes: list[str] | None = None,
                  ticket: Ticket | None = None) -> Verdict | None:
        """Air ``program`` at the airing's instant (at once when past, or when ``urgent``) and
        queue its entry.

        A scheduled airing may start up to ``grace_s`` after its instant (the output busy or
        missing); an urgent one cuts off what plays (recorded with ``preempt_reason``) and goes
        before every scheduled one. Returns the verdict, or None when the station stopped before
        the instant (nothing aired, nothing recorded: the occurrence goes back to ``rendered``).
        """
        cut = self.cut_note(airing.key)
        notes = [n for n in (f"{cut}; đã phát lại từ đầu" if cut else "", *(notes or [])) if n]
        instant = None if urgent else airing.scheduled_at
        grace = dt.timedelta(seconds=self.grace_s)
        deadline = (self.clock.now() if urgent else airing.scheduled_at) + grace
        tap = self._start_tap(airing)
        if ticket is None:
            ticket = self.reserve(airing, urgent)
        if urgent and preempt_reason:  # queued first: nothing scheduled slips in after the cut
            self.preempt(preempt_reason)
        if not self.gate.take(ticket, until=deadline):
            self._stop_tap(tap)
            if self.stopping.is_set() and not urgent:
                return None
            if urgent:
                reason = f"{self.machine.capitalize()} dừng trước khi phát được bản tin khẩn cấp"
                self.record(airing, "failed", reason, items=program.items)
                return Verdict("failed", None, None, 0.0, reason)
            reason = missed_reason(airing.scheduled_at, self.clock.now(), self.grace_s,
                                   self.timezone) + " (đầu ra bận phát chương trình khác)"
            self.record(airing, "missed", reason, items=program.items)
            return Verdict("missed", None, None, 0.0, reason)
        try:
            if self.stopping.is_set() and not urgent:
                return None
            self.writer.mark(StateMark(airing.key, airing.ref, PLAYING))
            if self.amp is not None:
                notes.append(self.amp.on(airing.key, airing.zone))
            if tap is not None:
                tap.wait_started(timeout=0.3)
            taps = [tap]
            try:
                result, error, waited = self._air(airing, program, instant, deadline, taps)
            finally:
                tap = taps[0]
        finally:
            self.gate.release()
        if result is None and not error:  # stopped before the instant: it never aired
            self._stop_tap(tap)
            self.writer.mark(StateMark(airing.key, airing.ref, RENDERED, only_if=(PLAYING,)))
            return None
        if waited:
            notes.insert(0, waited)
        program, unaired = self._as_aired(program, result)
        if result is not None and self.journal is not None:
            # The end first, as the player saw it: a crash from here on cannot turn a broadcast
            # heard in full into "interrupted, 0.0 s".
            first = self._entry(airing, program, decide(
                result, error, None, scheduled_at=airing.scheduled_at,
                program_seconds=program.seconds, now=self.clock.now(),
                notes=[program.note, *notes], unaired=unaired), None)
            self.journal.ended(airing.key, first, airing.ref, first["status"])
        check = self._stop_tap(tap)
        if self.amp is not None:
            notes.append(self.amp.off(airing.key, airing.zone))
        verdict = decide(result, error, check, scheduled_at=airing.scheduled_at,
                         program_seconds=program.seconds, now=self.clock.now(),
                         notes=[program.note, *notes], unaired=unaired)
        fields = self._entry(airing, program, verdict, check)
        if result is not None and self.journal is not None:
            self.journal.ended(airing.key, fields, airing.ref, verdict.status)
        self.writer.submit(EntryRecord(fields, airing.ref, verdict.status,
                                       program=(str(program.path), program.sha256)))
        said = STATUS_LOG.get(verdict.status, verdict.status)
        if verdict.reason:
            logger.info("%s: %s (%s)", airing.key, said, verdict.reason)
        else:
            logger.info("%s: %s", airing.key, said)
        return verdict

    @staticmethod
    def _as_aired(program: Program, result: PlayResult | None) -> tuple[Program, str]:
        """The program as it went out: with a follow (signal, then bulletin), what the feeder
        actually fed, and why the rest did not air when it did not ("" when it did)."""
        follow = program.then
        if follow is None:
            return program, ""
        items, seconds, note = follow.compose(program)
        rest = follow.rest if follow.fed_rest else None
        notes = "; ".join(n for n in (program.note, note, rest.note if rest is not None else "") if n)
        aired = Program(rest.path if rest is not None else program.path,
                        rest.sha256 if rest is not None else program.sha256, seconds, items, notes)
        return aired, follow.unaired_reason() if result is not None else ""

    def _entry(self, airing: Airing, program: Program, verdict: Verdict,
               check: aircheck.Aircheck | None) -> dict[str, Any]:
        fields = self.entry_fields(airing, status=verdict.status, started_at=verdict.started_at,
                                   ended_at=verdict.ended_at, seconds_played=verdict.seconds,
                                   items=program.items, reason=verdict.reason)
        if check is not None and check.sha256:
            fields.update(aircheck_sha256=check.sha256, aircheck_path=str(check.path))
        return fields

    def _air(self, airing: Airing, program: Program, instant: dt.datetime | None,
             deadline: dt.datetime | None,
             taps: list[aircheck.MonitorTap | None]) -> tuple[PlayResult | None, str, str]:
        """Prepare, wait for the instant, play. (result, error, note on waiting for the output)."""
        first_missing: dt.datetime | None = None
        attempts = 0
        while True:
            prepared: PreparedPlayback | None = None
            try:
                prepared = self.output.prepare(program.path)
            except OutputMissingError as exc:
                error = str(exc)
            except PlayoutError as exc:
                return None, str(exc), ""
            else:
                error = ""
            if not error:
                if attempts and taps[0] is not None:
                    # The output came back: the air-check started before it is of the old one.
                    self._stop_tap(taps[0])
                    taps[0] = self._start_tap(airing)
                    if taps[0] is not None:
                        taps[0].wait_started(timeout=0.3)
                result, error = self._play(airing, program, prepared, instant, taps[0])
                if result is None:
                    return None, error, self._waited_note(first_missing, attempts)
                quick = result.seconds < FAST_FAILURE_S  # since its first sample was handed over
                if not (result.returncode != 0 and not result.preempted and quick
                        and is_missing_device(result.stderr)):
                    return result, "", self._waited_note(first_missing, attempts)
                error = result.reason
                logger.warning("%s: trình phát dừng ngay, chưa phát được gì: %s", airing.key, error)
            attempts += 1
            now = self.clock.now()
            first_missing = first_missing or now
            if attempts == 1:
                logger.warning("%s: đầu ra âm thanh chưa sẵn sàng (%s); thử lại đến hết thời gian "
                               "cho phép", airing.key, error)
            if self.stopping.is_set() or deadline is None or now + dt.timedelta(
                    seconds=OUTPUT_RETRY_S) > deadline:
                if attempts > 1:
                    waited = (now - first_missing).total_seconds()
                    error += f" (đã thử lại {attempts} lần trong {waited:.0f} giây)"
                return None, error, ""
            self.stopping.wait(OUTPUT_RETRY_S)
            if self.stopping.is_set():
                return None, error, ""

    @staticmethod
    def _waited_note(first_missing: dt.datetime | None, attempts: int) -> str:
        if first_missing is None:
            return ""
        return f"Đầu ra âm thanh vắng lúc đến giờ phát; đã chờ và thử lại {attempts} lần"

    def _play(self, airing: Airing, program: Program, prepared: PreparedPlayback | None,
              instant: dt.datetime | None,
              tap: aircheck.MonitorTap | None) -> tuple[PlayResult | None, str]:
        if instant is not None and instant > self.clock.now():
            if not self.clock.sleep_until(instant, self.stopping):
                if prepared is not None:
                    prepared.cancel()
                return None, ""
        started_at = self.clock.now()
        if self.journal is not None:  # before the first sample: a crash from here never replays
            part = tap.part_path if tap is not None else None
            self.journal.started(airing.key, started_at,
                                 self.entry_fields(airing, items=program.items,
                                                   program_seconds=program.seconds),
                                 airing.ref, str(part) if part is not None else None,
                                 program=(str(program.path), program.sha256),
                                 part_at=tap.frames / aircheck.RATE if tap is not None else None)
        self._began.add(airing.key)
        playback: Playback
        try:
            if prepared is not None:
                playback = prepared.go(started_at, program.then)
            else:
                playback = self.output.start(file_to_play(program.path, program.then), started_at)
        except PlayoutError as exc:
            return None, str(exc)
        finally:
            if self.journal is not None:
                self.journal.sync()
        logger.info("%s: bắt đầu phát lúc %s", airing.key, started_at.isoformat())
        self.gate.set_on_air(OnAir(airing.key, airing.title, airing.priority, started_at, playback))
        try:
            self._on_air_changed()
        except Exception:  # noqa: BLE001 - the heartbeat is a courtesy, the broadcast is not
            logger.exception("không ghi được nhịp báo trạng thái khi bắt đầu phát")
        if self.stopping.is_set():
            playback.preempt(self.shutdown_reason)
        journal = self.journal
        if journal is None:
            return playback.wait(), ""
        return playback.wait(lambda seconds: journal.progress(airing.key, seconds),
                             PROGRESS_EVERY_S), ""

    # ------------------------------------------------------------------ after a crash

    def recover(self) -> list[str]:
        """At start: finish what a killed station left. Returns the keys given an entry.

        From the journal: an airing that ended has its decided entry written; one that started
        and never ended was cut by the crash and is recorded ``interrupted`` with its start and
        the seconds it aired. Its partial air-check is salvaged; other leftovers are removed.
        A scheduled airing the crash cut before anything of it could be heard
        (:meth:`_cut_before_heard`) is not recorded: it airs again within the grace window, and
        its entry (completed, or missed once too late) says what became of the first attempt.
        """
        if self.journal is None:
            return []
        self._journal_trusted = self.journal.exists()
        self.journal.touch()
        done: list[str] = []
        salvaged: set[Path] = set()
        for airing in self.journal.unfinished():
            if airing.start or airing.end:
                self._began.add(airing.key)
            try:
                if self.writer.sink.has_entry(airing.key):
                    self.journal.recorded(airing.key)
                    continue
            except Exception:  # noqa: BLE001 - a locked database: the writer sorts duplicates out
                logger.warning("chưa kiểm tra được nhật ký cho %s; ghi lại từ nhật ký cục bộ",
                               airing.key)
            part = Path(airing.start["part"]) if airing.start.get("part") else None
            check = aircheck.salvage(part, self.home) if part is not None and part.exists() else None
            if part is not None:
                salvaged.add(part)
            if airing.end is None and airing.start and self._cut_before_heard(airing, check):
                note = self._cut_note(airing)
                if self.journal.unheard(airing.key, note):
                    airing.cut_notes.append(note)
                    if check is not None and check.path is not None:
                        (self.home / check.path).unlink(missing_ok=True)  # silence, and its name
                    logger.warning("%s: %s; phát lại trong thời gian cho phép", airing.key, note)
                    airing.start = {}
            if not airing.start and airing.end is None:  # cut unheard: it may air again
                self._began.discard(airing.key)
                self._cut_notes[airing.key] = "; ".join(n for n in airing.cut_notes if n)
                continue
            if airing.end is not None:
                fields = dict(airing.end["entry"])
                state = str(airing.end.get("state") or fields.get("status"))
                ref = airing.end.get("ref")
            else:
                fields = dict(airing.start.get("entry") or {})
                total = float(fields.pop("program_seconds", 0.0) or 0.0)
                seconds = min(airing.seconds, total) if total else airing.seconds
                started = airing.started_at
                fields.update(status="interrupted", started_at=started, seconds_played=seconds,
                              ended_at=started + dt.timedelta(seconds=seconds) if started else None,
                              reason=f"{crashed_reason(self.machine)} (đã phát {decimal(seconds)}/{decimal(total)} giây)")
                state = "interrupted"
                ref = airing.start.get("ref")
            fields.pop("program_seconds", None)
            if check is not None and not fields.get("aircheck_sha256"):
                fields.update(aircheck_sha256=check.sha256, aircheck_path=str(check.path))
            program = airing.start.get("program")
            self.writer.submit(EntryRecord(fields, ref, state, program=(
                (str(program[0]), str(program[1])) if isinstance(program, list) and len(program) == 2
                else None)))
            done.append(airing.key)
            logger.warning("%s: ghi lại từ nhật ký phát sóng cục bộ sau khi trạm dừng đột ngột: %s",
                           airing.key, STATUS_LOG.get(state, state))
        if self.aircheck_dir is not None:
            for part in aircheck.leftover_parts(self.aircheck_dir):
                if part not in salvaged:
                    logger.info("xóa bản kiểm tra dở dang không thuộc lượt phát nào: %s", part)
                    part.unlink(missing_ok=True)
        return done

    def _cut_before_heard(self, airing: JournalledAiring, check: aircheck.Aircheck | None) -> bool:
        """Whether a crash cut this scheduled airing before anything of it could be heard.

        The journal's progress ticks come every :data:`PROGRESS_EVERY_S` of playing, and a killed
        process's appends survive it: no tick means less than that went out, the opening of
        the signal at most. Not so after a reboot (a power cut): unsynced ticks may be lost, the
        airing may have played for minutes, so it is not aired again. The salvaged air-check,
        when there is one, must agree (no more audible sound than that after the start).
        An emergency counts only where something airs it again (``retries_emergencies``: the
        station re-runs its command); elsewhere no schedule would, and it is recorded interrupted.
        """
        if airing.started_at is None:
            return False
        if not occurrence_keys.is_scheduled(airing.key) and not self.retries_emergencies:
            return False
        if airing.seconds >= PROGRESS_EVERY_S or self._booted_since(airing.started_at):
            return False
        if check is not None and check.path is not None:
            skip = float(airing.start.get("part_at") or 0.0)  # an earlier program's tail
            heard = aircheck.audible_seconds(self.home / check.path, skip_s=skip)
            if heard is None or heard >= PROGRESS_EVERY_S:
                return False
        return True

    def _booted_since(self, instant: dt.datetime) -> bool:
        booted = self.boot_time()
        return booted is None or booted >= instant

    def _cut_note(self, airing: JournalledAiring) -> str:
        started = airing.started_at
        when = started.astimezone(ZoneInfo(self.timezone)).strftime("%H:%M:%S") if started else "?"
        return (f"Lần phát lúc {when} bị cắt khi {self.machine} dừng đột ngột ngay lúc vừa bắt đầu "
                f"(chưa đến {decimal(PROGRESS_EVERY_S)} giây, chưa nghe được bản tin)")

    def cut_unheard(self) -> list[str]:
        """The keys a crash cut before they were heard, left by :meth:`recover` to air again."""
        return sorted(self._cut_notes)

    def cut_note(self, key: str) -> str:
        """What became of earlier attempts of this airing cut unheard by a crash ("" if none)."""
        return self._cut_notes.get(key, "")

    # ------------------------------------------------------------------ air-check

    def _start_tap(self, airing: Airing) -> aircheck.MonitorTap | None:
        source = self.output.monitor_source
        if source is None or self.aircheck_dir is None:
            return None
        path = aircheck.aircheck_path(self.aircheck_dir, airing.key, airing.scheduled_at)
        tap = aircheck.MonitorTap(source, encode_to=path)
        try:
            tap.start()
        except OSError as exc:
            logger.warning("không bắt đầu được bản kiểm tra phát sóng: %s", exc)
            return None
        return tap

    def _stop_tap(self, tap: aircheck.MonitorTap | None) -> aircheck.Aircheck | None:
        if tap is None:
            return None
        try:
            return aircheck.finish(tap, self.home)
        except Exception:  # noqa: BLE001
            logger.exception("bản kiểm tra phát sóng lỗi")
            return None

