"""``broadcaster receiver run``: the box's daemon, from its own local store, link or no link.

Threads, each with one job (the main loop never waits on the network):

* main loop (``TICK_S``): hands due occurrences to the station's playout engine
  (:class:`broadcaster.station.engine.PlayoutEngine`: air-check, amplifier hooks, precise start,
  honest verdict, the air journal ``receiver.airlog`` that a kill or a power cut cannot erase),
  records what can no longer air, runs received commands, sends the heartbeat;
* sync: fetches the plan (on a notice, a ``resync`` command, every ``receivers.sync_s``) and the
  programs it lacks, measures the clock offset; applies the late-change lock (:mod:`.store`);
* upload: sends the box's new evidence entries with a checkpoint signed by the box's key, after
  asking the commune which entry it holds last; retried until acknowledged; then the air-checks
  waiting in the box's queue (:mod:`.airchecks`: capped, resumable, oldest dropped with a note);
* MQTT (paho's own thread): notices and commands in, heartbeats out.

Evidence goes through the engine's :class:`~broadcaster.station.evidence_writer.EvidenceWriter`
into :class:`BoxEvidenceSink`: the box's own chain in its own SQLite, under its own key.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import queue
import signal
import socket
import subprocess
import threading
import time
from importlib import metadata
from typing import Any

from sqlalchemy import select

from broadcaster import evidence, occurrence_keys
from broadcaster.context import Context
from broadcaster.errors import DuplicateError
from broadcaster.keys import key_id, load_private_key
from broadcaster.labels import stop_signal_label
from broadcaster.models import BoxCommand, BoxPlanEntry, Checkpoint, EvidenceEntry
from broadcaster.receiver import airchecks, store, topics
from broadcaster.receiver.client import CommuneClient, LinkError, RefusedError
from broadcaster.receiver.identity import Identity
from broadcaster.receiver.link import MqttLink
from broadcaster.receiver.urgent import BoxEmergencies
from broadcaster.receivers import wire_entry
from broadcaster.station.air_journal import COMPACT_BYTES, AirJournal
from broadcaster.station.amp import AmpHooks
from broadcaster.station.clock import Clock, SystemClock
from broadcaster.station.engine import RECEIVER, PlayoutEngine, crashed_reason
from broadcaster.station.evidence_writer import EvidenceWriter
from broadcaster.station.interfaces import Airing, EntryRecord, Program, StateMark
from broadcaster.station.playout import Player

logger = logging.getLogger(__name__)

TICK_S = 0.1
#: An occurrence is handed to the engine this long before its instant (the engine prepares the
#: player and then starts it at the instant itself).
PREFIRE_S = 1.5
UPLOAD_RETRY_S = 10.0
SYNC_RETRY_S = 10.0
UPLOAD_BATCH = 100
#: The box's air journal (:mod:`broadcaster.station.air_journal`), in its data folder.
JOURNAL_FILE = "receiver.airlog"


class BoxEvidenceSink:
    """The engine's evidence sink on a box: the box's own chain, and its plan entry's state."""

    def __init__(self, ctx: Context, on_written: Any = None) -> None:
        self.ctx = ctx
        self.on_written = on_written or (lambda: None)

    def append(self, record: EntryRecord) -> None:
        with self.ctx.session() as session:
            try:
                evidence.append_entry(session, **record.fields)
            except DuplicateError:
                logger.warning("nhật ký đã có mục cho %s", record.key)
            entry = session.get(BoxPlanEntry, record.key)
            if entry is not None:
                entry.state = record.state
        self.on_written()

    def mark(self, mark: StateMark) -> None:
        with self.ctx.session() as session:
            entry = session.get(BoxPlanEntry, mark.key)
            if entry is not None and (not mark.only_if or entry.state in mark.only_if):
                entry.state = mark.state

    def has_entry(self, key: str) -> bool:
        with self.ctx.session() as session:
            return evidence.has_entry(session, key)


def version() -> str:
    try:
        return metadata.version("loa-xa")
    except metadata.PackageNotFoundError:
        return "dev"


def _instant(value: Any) -> dt.datetime | None:
    """A command's instant as the commune wrote it, or None when it holds none."""
    try:
        return evidence.parse_utc_text(value) if isinstance(value, str) else None
    except ValueError:
        return None


class ReceiverDaemon:
    def __init__(self, ctx: Context, identity: Identity, *, clock: Clock | None = None,
                 player: Player | None = None) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.identity = identity
        self.home = ctx.home
        rc = self.settings.receivers
        box = identity.settings or {}
        self.lock_minutes = float(box.get("lock_minutes", rc.lock_minutes))
        self.status_s = max(1.0, float(box.get("status_s", rc.status_s)))
        self.sync_s = max(5.0, float(box.get("sync_s", rc.sync_s)))
        self.grace_s = float(self.settings.station.grace_s)
        self.tz = identity.timezone or str(self.settings.station.timezone)
        self.clock: Clock = clock or SystemClock()
        out = self.settings.output
        self.player = player or Player(str(out.backend), str(out.device))
        self.stopping = threading.Event()
        self.sync_wanted = threading.Event()
        self._syncing = threading.Event()
        self.upload_wanted = threading.Event()
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.client = CommuneClient(identity.commune_url, identity.token)
        self.urgent = BoxEmergencies(ctx, self.home, self.client)
        self.sink = BoxEvidenceSink(ctx, on_written=self.upload_wanted.set)
        # The box's own air journal, as the commune station keeps one: after a kill or a power
        # cut it tells how much of an airing went out, and whether anything of it was heard.
        self.journal = AirJournal(self.home / JOURNAL_FILE)
        self.writer = EvidenceWriter(self.sink, on_written=self.journal.recorded)
        st = self.settings.station
        self.engine = PlayoutEngine(
            self.player, self.clock, self.writer,
            aircheck_dir=self.settings.audio_dir if bool(st.aircheck) else None,
            home=self.home, timezone=self.tz, grace_s=self.grace_s, journal=self.journal,
            amp=AmpHooks(str(st.amp_on_command), str(st.amp_off_command), identity.name),
            stopping=self.stopping, on_air_changed=self._beat_soon, machine=RECEIVER,
            retries_emergencies=True)
        self.host = socket.gethostname()
        self.volume = int(rc.volume)
        self.started_at = self.clock.now()
        self.handed: set[str] = set()
        self.threads: list[threading.Thread] = []
        self.last_sync: dt.datetime | None = None
        self.plan_version = ""
        self.clock_offset_ms: float | None = None
        self.acked = 0  # entries the commune has acknowledged holding
        self.refused = ""
        self._last_beat = 0.0
        self._beat_now = threading.Event()
        self._last_prune = 0.0
        url = str(rc.mqtt_url) if _overridden("receivers", "mqtt_url") else identity.mqtt_url
        self.link = MqttLink(url, identity.mqtt_username, identity.mqtt_password,
                             client_id=f"loaxa-box-{identity.name}",
                             subscriptions=topics.box_subscriptions(identity.name, identity.zone_id),
                             on_message=lambda topic, payload: self.messages.put((topic, payload)))

    # ------------------------------------------------------------------ life cycle

    def run(self) -> int:
        self._install_signals()
        self.writer.start()
        self.recover()
        self.link.start()
        for target, name in ((self._sync_loop, "box-sync"), (self._upload_loop, "box-upload")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self.threads.append(thread)
        self.sync_wanted.set()
        self.upload_wanted.set()
        logger.info("máy thu %s (%s) bắt đầu; xã: %s", self.identity.name, self.identity.zone_name,
                    self.identity.commune_url)
        try:
            while not self.stopping.is_set():
                self.tick()
                self.stopping.wait(TICK_S)
        finally:
            self._shutdown()
        return 0

    def request_shutdown(self) -> None:
        self.stopping.set()

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum: int, _frame: Any) -> None:
            name = signal.Signals(signum).name
            logger.info("nhận %s: đang dừng", name)
            self.engine.shutdown_reason = f"Máy thu dừng theo yêu cầu ({stop_signal_label(name)})"
            self.stopping.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def _shutdown(self) -> None:
        self.stopping.set()
        self.engine.preempt(self.engine.shutdown_reason)
        for thread in self.threads:
            thread.join(timeout=30)
        self.writer.stop()
        self._safely(lambda: self.beat(stopped=True))
        self.link.stop()
        logger.info("máy thu %s đã dừng", self.identity.name)

    def _safely(self, step: Any) -> None:
        try:
            step()
        except Exception:
            logger.exception("một bước của máy thu lỗi; sẽ thử lại sau")

    def recover(self) -> None:
        """After a crash: what the killed box left, from its air journal first.

        An airing the journal saw end gets the entry decided then; one cut while it played is
        recorded ``interrupted`` with the seconds that went out (the engine's
        :meth:`~broadcaster.station.engine.PlayoutEngine.recover`). One the crash cut before any
        of it could be heard, or that never reached its first sample, goes back to ``pending``:
        it airs within the grace window, or is recorded missed, and its entry says what became
        of the first attempt. An emergency cut so airs again from its command's body while
        the command has not expired (:meth:`_resume_emergency`). Without a journal from before
        (a box updated while it played), an occurrence left ``playing`` is recorded
        interrupted, never aired twice.
        """
        self.engine.recover()
        self.journal.compact(keep={a.key for a in self.journal.unfinished()})
        with self.ctx.session() as session:
            stuck = session.scalars(select(BoxPlanEntry).where(BoxPlanEntry.state == "playing")).all()
            todo = [(e.key, e.scheduled_at, dict(e.fields or {}), e.slot_id) for e in stuck]
            again = [key for key, *_ in todo if self.engine.began(key) is False]
            for entry in stuck:
                if entry.key in again:
                    entry.state = "pending"
        for key in again:
            logger.warning("%s: %s; phát lại trong thời gian cho phép", key,
                           self.engine.cut_note(key) or "máy thu dừng trước khi lượt phát kịp bắt đầu")
        for key, when, fields, slot_id in todo:
            if self.engine.began(key) is None:
                self.engine.record(self._airing(key, when, fields, slot_id), "interrupted",
                                   crashed_reason(RECEIVER))
        for key in self.engine.cut_unheard():
            if not occurrence_keys.is_scheduled(key):
                self._resume_emergency(key)

    def _resume_emergency(self, key: str) -> None:
        """An emergency the crash cut before anyone heard it: aired again while its command has
        not expired (its entry says what became of the first attempt), else recorded missed."""
        now = self.clock.now()
        with self.ctx.session() as session:
            recent = session.scalars(select(BoxCommand).where(
                BoxCommand.kind == "emergency",
                BoxCommand.received_at >= now - dt.timedelta(days=1))).all()
            found = next(((c.id, dict(c.body)) for c in recent if c.body
                          and str(c.body.get("key") or f"emergency-r{c.id}") == key), None)
        if found is None:
            self.engine.record(self._airing(key, now, {"priority": "emergency"}, None), "missed",
                               "Không còn lệnh phát khẩn cấp để phát lại")
            return
        command_id, body = found
        expires = _instant(body.get("expires_at"))
        if expires is None or expires < now:
            when = _instant(body.get("issued_at")) or now
            self.engine.record(
                self._airing(key, when, dict(body.get("fields") or {}, priority="emergency"), None),
                "missed", f"Lệnh phát khẩn cấp số {command_id} đã hết hạn khi máy thu chạy lại; "
                "không phát lại")
            return
        logger.warning("lệnh số %d: %s; phát lại bản tin khẩn cấp", command_id,
                       self.engine.cut_note(key))
        self._spawn(f"emergency-{command_id}", lambda: self._emergency(command_id, body))

    # ------------------------------------------------------------------ main loop

    def tick(self) -> None:
        for step in (self._handle_messages, self._hand_due, self._record_missed):
            self._safely(step)
        mono = time.monotonic()
        if mono - self._last_beat >= self.status_s or self._beat_now.is_set():
            self._beat_now.clear()
            self._last_beat = mono
            self._safely(self.beat)
        if mono - self._last_prune >= 3600:
            self._last_prune = mono
            self._safely(self._prune)

    def _airing(self, key: str, when: dt.datetime, fields: dict[str, Any],
                slot_id: int | None) -> Airing:
        shown = {k: fields.get(k, "") for k in ("title", "category", "campaign", "zone")}
        shown["priority"] = fields.get("priority") or "normal"
        shown.update(slot_id=slot_id, output=f"{self.identity.name} ({self.player.label})",
                     host=self.host)
        return Airing(key, when, shown)

    def _hand_due(self) -> None:
        now = self.clock.now()
        soon = now + dt.timedelta(seconds=PREFIRE_S)
        with self.ctx.session() as session:
            due = session.scalars(select(BoxPlanEntry).where(
                BoxPlanEntry.state == "pending", BoxPlanEntry.scheduled_at <= soon,
                BoxPlanEntry.scheduled_at >= now - dt.timedelta(seconds=self.grace_s))
                .order_by(BoxPlanEntry.scheduled_at)).all()
            jobs = []
            for entry in due:
                if entry.key in self.handed or self.engine.began(entry.key):
                    continue  # handed already, or begun before a crash: its entry is on its way
                path = store.program_file(session, self.home, entry.sha256)
                jobs.append((entry.key, entry.scheduled_at, dict(entry.fields or {}), entry.slot_id,
                             path, entry.sha256, entry.seconds))
        for key, when, fields, slot_id, path, sha, seconds in jobs:
            if path is None:
                # Not here yet (the box just started, or the download broke): the sync fetches
                # it; it still airs late within the grace, else it is recorded missed with why.
                if not self._syncing.is_set():
                    self.sync_wanted.set()
                continue
            self.handed.add(key)
            airing = self._airing(key, when, fields, slot_id)
            program = Program(path, sha, seconds, list(fields.get("items") or []))
            self._spawn(f"air-{key}", lambda a=airing, p=program: self.engine.broadcast(a, p))

    def _spawn(self, name: str, target: Any) -> None:
        thread = threading.Thread(target=self._guard(target), name=name, daemon=True)
        self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()

    def _guard(self, target: Any) -> Any:
        def run() -> None:
            try:
                target()
            except Exception:
                logger.exception("một lượt phát của máy thu lỗi")
        return run

    def _record_missed(self) -> None:
        """Occurrences whose grace passed without airing (the box was off, or the output busy)."""
        now = self.clock.now()
        with self.ctx.session() as session:
            late = session.scalars(select(BoxPlanEntry).where(
                BoxPlanEntry.state == "pending",
                BoxPlanEntry.scheduled_at < now - dt.timedelta(seconds=self.grace_s))).all()
            todo = []
            for entry in late:
                if (entry.key in self.handed or self.engine.began(entry.key)
                        or evidence.has_entry(session, entry.key)):
                    continue
                held = store.program_file(session, self.home, entry.sha256) is not None
                todo.append((entry.key, entry.scheduled_at, dict(entry.fields or {}), entry.slot_id, held))
        for key, when, fields, slot_id, held in todo:
            self.handed.add(key)
            from broadcaster.station.reconcile import missed_reason

            reason = missed_reason(when, now, self.grace_s, self.tz)
            if not held:
                reason += " (máy thu chưa có chương trình)"
            self.engine.record(self._airing(key, when, fields, slot_id), "missed", reason)

    # ------------------------------------------------------------------ messages and commands

    def _handle_messages(self) -> None:
        while True:
            try:
                topic, payload = self.messages.get_nowait()
            except queue.Empty:
                return
            try:
                body = json.loads(payload.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                logger.warning("bỏ tin MQTT không đọc được trên %s", topic)
                continue
            if not isinstance(body, dict):
                continue
            if topic.endswith("/plan"):
                self.sync_wanted.set()
            elif topic.endswith("/command"):
                self.command(body)

    def command(self, body: dict[str, Any]) -> str:
        """Run a command once; one that arrives after its expiry is recorded and not run."""
        if body.get("kind") == topics.EMERGENCY_PROGRAM:  # an emergency's programme, rendered now
            self.urgent.arrived(body)
            return topics.EMERGENCY_PROGRAM
        try:
            command_id = int(body["id"])
            kind = str(body["kind"])
            expires = evidence.parse_utc_text(str(body["expires_at"]))
        except (KeyError, ValueError, TypeError):
            logger.warning("bỏ lệnh không hợp lệ: %s", str(body)[:200])
            return "invalid"
        now = self.clock.now()
        with self.ctx.session() as session:
            if session.get(BoxCommand, command_id) is not None:
                return "duplicate"
            expired = expires is None or expires < now
            session.add(BoxCommand(id=command_id, kind=kind, received_at=now,
                                   result="hết hạn, không thực hiện" if expired else "đã nhận",
                                   body=body if kind == "emergency" else None))
        if expired:
            logger.warning("lệnh số %d (%s) đến khi đã hết hạn: không thực hiện", command_id, kind)
            if kind == "emergency" and body.get("key"):
                when = evidence.parse_utc_text(str(body.get("issued_at"))) or now
                self.engine.record(self._airing(str(body["key"]), when, dict(body.get("fields") or {}), None),
                                   "missed", f"Lệnh phát khẩn cấp số {command_id} đến máy thu khi đã hết "
                                   "hạn (máy thu mất kết nối); không phát nữa")
            return "expired"
        logger.info("lệnh số %d: %s", command_id, kind)
        if kind == "emergency":
            self._spawn(f"emergency-{command_id}", lambda: self._emergency(command_id, body))
        elif kind == "stop":
            reason = str(body.get("reason") or "")
            self.engine.preempt(f"Dừng theo lệnh số {command_id} từ xã" + (f": {reason}" if reason else ""))
        elif kind == "volume":
            self.set_volume(int(body.get("volume", self.volume)))
        elif kind == "resync":
            self.sync_wanted.set()
            self.upload_wanted.set()
        return kind

    def _emergency(self, command_id: int, body: dict[str, Any]) -> None:
        key = str(body.get("key") or f"emergency-r{command_id}")
        fields = dict(body.get("fields") or {})
        fields["priority"] = "emergency"
        when = evidence.parse_utc_text(str(body.get("issued_at"))) or self.clock.now()
        airing = self._airing(key, when, fields, None)
        program, why = self.urgent.program(dict(body, key=key))
        if program is None:
            self.engine.record(airing, "failed", f"Không phát được bản tin khẩn cấp: {why}")
            return
        self.engine.broadcast(airing, program, urgent=True,
                              preempt_reason=f"Bị ngắt để phát bản tin khẩn cấp (lệnh số {command_id} từ xã)")

    def set_volume(self, level: int) -> None:
        level = max(0, min(150, level))
        if self.player.backend == "pulse":
            argv = ["pactl", "set-sink-volume", self.player.device or "@DEFAULT_SINK@", f"{level}%"]
        else:
            argv = ["amixer", "-q", "sset", "Master", f"{min(level, 100)}%"]
        try:
            subprocess.run(argv, check=True, capture_output=True, timeout=10)
            self.volume = level
            logger.info("âm lượng máy thu: %d%%", level)
        except (OSError, subprocess.SubprocessError) as exc:
            logger.error("không đặt được âm lượng %d%%: %s", level, exc)
        self._beat_now.set()

    # ------------------------------------------------------------------ sync

    def _sync_loop(self) -> None:
        while not self.stopping.is_set():
            self.sync_wanted.wait(self.sync_s)
            if self.stopping.is_set():
                return
            self.sync_wanted.clear()
            try:
                self._syncing.set()
                try:
                    self.sync()
                finally:
                    self._syncing.clear()
            except RefusedError as exc:
                self.refused = str(exc)
                logger.error("%s", exc)
                self.stopping.wait(60)
            except LinkError as exc:
                logger.warning("chưa đồng bộ được với xã: %s; thử lại sau %.0f giây", exc, SYNC_RETRY_S)
                self.stopping.wait(SYNC_RETRY_S)
                self.sync_wanted.set()
            except Exception:
                logger.exception("đồng bộ với xã lỗi")
                self.stopping.wait(SYNC_RETRY_S)
                self.sync_wanted.set()

    def sync(self) -> store.Applied:
        """Fetch the plan, apply it (the lock holds), fetch missing programs, measure the clock."""
        self.clock_offset_ms = round(self.client.clock_offset_ms(), 1)
        plan = self.client.plan()
        now = self.clock.now()
        with self.ctx.session() as session:
            applied = store.apply_plan(session, plan, now, self.lock_minutes)
            missing = store.missing_programs(session, self.home)
        if applied.any:
            logger.info("kế hoạch mới từ xã: thêm %d, đổi %d, bỏ %d", len(applied.added),
                        len(applied.changed), len(applied.removed))
        failures = []
        for sha in missing:
            try:
                path = self.client.fetch_program(sha, store.programs_dir(self.home))
            except LinkError as exc:
                failures.append(str(exc))
                continue
            with self.ctx.session() as session:
                store.record_program(session, self.home, sha, path)
        failures += self.urgent.hold(plan)  # the urgent signal and programmes, held ahead
        self.plan_version = str(plan.get("version", ""))
        self.refused = ""
        if failures:
            raise LinkError(failures[0])
        self.last_sync = self.clock.now()
        self._beat_now.set()
        return applied

    def _prune(self) -> None:
        with self.ctx.session() as session:
            store.prune(session, self.home, self.clock.now())
        if self.journal.size() > COMPACT_BYTES:  # recorded airings need no journal any more
            self.journal.compact(keep={a.key for a in self.journal.unfinished()})

    # ------------------------------------------------------------------ evidence upload

    def _upload_loop(self) -> None:
        while not self.stopping.is_set():
            self.upload_wanted.wait(self.sync_s)
            self.upload_wanted.clear()
            # queued (and the cap held) whatever the link: a box offline for days must not fill its card
            self._safely(self.queue_airchecks)
            try:
                while self.upload() > 0 and not self.stopping.is_set():
                    pass
                self.send_airchecks()
            except LinkError as exc:
                logger.info("chưa gửi được nhật ký lên xã (%s); thử lại sau %.0f giây", exc, UPLOAD_RETRY_S)
                if self.stopping.wait(UPLOAD_RETRY_S):
                    return
                self.upload_wanted.set()
            except Exception:
                logger.exception("gửi nhật ký lên xã lỗi")
                if self.stopping.wait(UPLOAD_RETRY_S):
                    return
                self.upload_wanted.set()

    def upload(self) -> int:
        """Send entries the commune does not hold yet (one batch); returns how many it accepted."""
        held, held_hash = self.client.evidence_head()
        self.acked = held
        with self.ctx.session() as session:
            count, _ = evidence.head(session)
            if count <= held:
                return 0
            if held:
                mine = session.get(EvidenceEntry, held)
                if mine is None or mine.hash != held_hash:
                    logger.error("chuỗi nhật ký xã giữ không khớp chuỗi của máy thu ở mục #%d", held)
                    return 0
            rows = session.scalars(select(EvidenceEntry).where(EvidenceEntry.id > held)
                                   .order_by(EvidenceEntry.id).limit(UPLOAD_BATCH)).all()
            entries = [wire_entry(evidence.entry_values(r), r.prev_hash, r.hash) for r in rows]
            last = rows[-1]
            checkpoint = self._sign(session, last.id, last.hash)
        answer = self.client.upload_evidence(entries, checkpoint)
        self.acked = int(answer.get("count", self.acked))
        logger.info("đã gửi %d mục nhật ký lên xã (xã giữ đến mục #%s)", answer.get("accepted", 0),
                    answer.get("count"))
        return int(answer.get("accepted", 0))

    def queue_airchecks(self) -> int:
        """Queue the air-checks of the entries written since (the oldest dropped past the cap)."""
        cap = int(float(self.settings.receivers.aircheck_queue_mb) * 1024 * 1024)
        return airchecks.enqueue(self.ctx, cap)

    def send_airchecks(self) -> int:
        """Send the queued air-checks of entries the commune holds (it checks them by hash)."""
        return airchecks.send(self.ctx, self.client, self.acked, self.stopping)

    def _sign(self, session: Any, count: int, head_hash: str) -> dict[str, Any]:
        """A checkpoint of the box's own chain at ``count``, signed with the box's key (kept too)."""
        key = load_private_key(self.settings.key_path)
        created = self.clock.now()
        signature = base64.b64encode(
            key.sign(evidence.checkpoint_text(count, head_hash, created).encode("utf-8"))).decode()
        kid = key_id(key.public_key())
        session.add(Checkpoint(created_at=created, count=count, head_hash=head_hash, key_id=kid,
                               signature=signature))
        return {"count": count, "head_hash": head_hash, "created_at": evidence.utc_text(created),
                "key_id": kid, "signature": signature}

    # ------------------------------------------------------------------ heartbeat

    def _beat_soon(self) -> None:
        self._beat_now.set()

    def status(self, stopped: bool = False) -> dict[str, Any]:
        now = self.clock.now()
        with self.ctx.session() as session:
            held, expected = store.held_within(session, self.home, now, now + dt.timedelta(hours=24))
            count, _ = evidence.head(session)
        current = self.engine.current()
        playing = None
        if current is not None and not stopped:
            playing = {"title": current.title, "occurrence": current.key,
                       "started_at": current.started_at.isoformat(), "priority": current.priority}
        return {
            "version": version(), "clock_offset_ms": self.clock_offset_ms, "playing": playing,
            "volume": self.volume, "free_disk_mb": store.free_disk_mb(self.home),
            "held_24h": held, "expected_24h": expected,
            "last_sync": self.last_sync.isoformat() if self.last_sync else None,
            "plan_version": self.plan_version, "sent_at": evidence.utc_text(now),
            "link": "stopped" if stopped else ("refused" if self.refused else "ok"),
            "evidence_waiting": max(0, count - self.acked), "airchecks_waiting": airchecks.waiting(self.ctx), "backend": self.player.backend, "device": self.player.device,
            "started_at": self.started_at.isoformat(),
        }

    def beat(self, stopped: bool = False) -> bool:
        return self.link.publish(topics.status(self.identity.name), self.status(stopped))


def _overridden(section: str, key: str) -> bool:
    """Whether the box's own environment names this setting (then it wins over enrolment)."""
    import os

    return f"BROADCASTER_{section.upper()}_{key.upper()}" in os.environ
