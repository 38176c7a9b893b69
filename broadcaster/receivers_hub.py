"""``broadcaster receiver hub``: the commune's daemon for its village receivers.

One process next to ``broadcaster station`` and ``broadcaster web`` (its own systemd unit), because
the panel must never run background work and the station must stay a small playout loop. It

* renders ahead for the receivers: every occurrence within ``receivers.horizon_hours`` of every
  active slot that a receiver serves (the slot's zones, or the whole commune), through the
  station's long-lived render worker, again whenever what decides the program changed (a
  fingerprint of the slot, its rundown and its bulletins); the result is a
  :class:`~broadcaster.models.ReceiverProgram` the boxes fetch by SHA-256;
* tells the boxes when a plan changed: a notice on ``loaxa/zone/<id>/plan`` or ``loaxa/all/plan``;
* publishes receiver commands (emergency, stop, volume, resync) and relays every station
  emergency to the boxes of its zone (or all): with the urgent program's hash when it was
  rendered ahead (at approval; the boxes hold it already), else at once with ``pending`` — the
  boxes open with the urgent signal they hold — followed by an ``emergency-program`` message
  once the bulletin is rendered (or with the reason it could not be);
* renders the urgent signal once; the boxes fetch it with their plan;
* takes the boxes' heartbeats from ``loaxa/status/+`` into the ``receivers`` table, the time of
  arrival being what makes a box "online".
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import queue
import signal
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcaster import priority_heads, receivers
from broadcaster.context import Context
from broadcaster.evidence import utc_text
from broadcaster.models import (
    Bulletin,
    GlossaryEntry,
    Receiver,
    ReceiverCommand,
    ReceiverProgram,
    Slot,
    SlotItem,
    StationCommand,
    utcnow,
)
from broadcaster.mqtt_auth import (
    DYNSEC_RESPONSES,
    DYNSEC_TOPIC,
    commune_credentials,
    cut_commands,
    uncut_commands,
    write_broker_files,
)
from broadcaster.occurrence_keys import occurrence_key
from broadcaster.receiver import topics
from broadcaster.receiver.link import MqttLink
from broadcaster.schedule import active_slots, next_occurrences
from broadcaster.station.occurrences import slot_fields
from broadcaster.station.render import SIGNAL_TITLE, RenderFailed, RenderWorker

logger = logging.getLogger(__name__)

FULL_PASS_S = 60.0
PROGRAM_KIND = topics.EMERGENCY_PROGRAM
SIGNAL_FINGERPRINT = "signal:urgent-v1"
MAX_STATUS_BYTES = 16 * 1024
STATUS_FLUSH_S = 1.0
#: logins per dynamic-security message (the plugin takes a list of commands)
CONTROL_BATCH = 100
#: a control message unanswered this long means the broker has no dynamic-security plugin
CONTROL_ANSWER_S = 5.0


def slot_fingerprint(slot: Slot, glossary_marker: Any, heads: Sequence[Bulletin] = ()) -> str:
    """What decides a slot's program: if none of it moved, the render is still right.

    ``heads`` are the priority bulletins that lead this occurrence (:mod:`broadcaster.priority_heads`).
    """
    parts: list[Any] = [slot.id, slot.updated_at and slot.updated_at.isoformat(), slot.priority,
                        slot.greeting, slot.repeats, str(glossary_marker),
                        [(b.id, b.updated_at and b.updated_at.isoformat()) for b in heads]]
    for item in slot.items:
        b = item.bulletin
        parts.append((item.kind, item.position, item.asset_id, item.jingle, item.seconds,
                      b.id if b else None, b.updated_at.isoformat() if b and b.updated_at else None,
                      b.status if b else None))
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


class Hub:
    #: The render thread adds plan notices, the main loop publishes them (one hub per process).
    _notices_lock = threading.Lock()

    def __init__(self, ctx: Context, *, verbose: bool = False) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        rc = self.settings.receivers
        self.horizon = dt.timedelta(hours=float(rc.horizon_hours))
        self.poll_s = max(0.05, float(rc.hub_poll_s))
        self.tz = str(self.settings.station.timezone)
        self.render_lead_s = float(self.settings.station.render_lead_s)
        self.grace_s = float(self.settings.station.grace_s)
        self.stopping = threading.Event()
        self.renderer = RenderWorker(self.settings.home, verbose=verbose)
        self.statuses: queue.Queue[tuple[str, bytes, dt.datetime]] = queue.Queue()
        self._marker: Any = None
        self._last_full = 0.0
        self._pending_notices: set[str] = set()
        self.control = str(rc.broker_control)
        self._cut: set[str] = set()  # revoked logins the broker was told to cut, this connection
        self._cut_epoch = -1
        self._control_asked_at: float | None = None  # monotonic time of a control message unanswered
        user, secret = commune_credentials(self.settings)
        self.link = MqttLink(str(rc.mqtt_url), user, secret, client_id="loaxa-commune-hub",
                             subscriptions=[topics.STATUS_WILDCARD]
                             + ([DYNSEC_RESPONSES] if self.control == "dynsec" else []),
                             on_message=self._message,
                             clean_session=True)

    # ------------------------------------------------------------------ life cycle

    def run(self) -> int:
        self._install_signals()
        with self.ctx.session() as session:
            write_broker_files(session, self.settings)
        self.renderer.start()
        self.link.start()
        status_thread = threading.Thread(target=self._status_loop, name="hub-status", daemon=True)
        status_thread.start()
        # Rendering ahead (minutes for 48 h of slots) in its own thread: commands and emergencies
        # are published every poll, never after a render pass.
        render_thread = threading.Thread(target=self._render_loop, name="hub-render", daemon=True)
        render_thread.start()
        logger.info("trạm điều phối máy thu bắt đầu (MQTT %s:%d)", self.link.host, self.link.port)
        try:
            while not self.stopping.is_set():
                self.tick()
                self.stopping.wait(self.poll_s)
        finally:
            self.link.stop()
            self.renderer.stop()
            status_thread.join(timeout=5)
            render_thread.join(timeout=5)
            logger.info("trạm điều phối máy thu đã dừng")
        return 0

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum: int, _frame: Any) -> None:
            logger.info("nhận %s: đang dừng", signal.Signals(signum).name)
            self.stopping.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def tick(self, steps: tuple[Any, ...] | None = None) -> None:
        for step in steps or (self.cut_revoked, self.relay_station_emergencies,
                              self.publish_commands, self.publish_notices):
            try:
                step()
            except Exception:
                logger.exception("bước %s của trạm điều phối lỗi; thử lại ở vòng sau", step.__name__)

    def _render_loop(self) -> None:
        while not self.stopping.is_set():
            self.tick((self.maybe_render,))
            self.stopping.wait(self.poll_s)

    # ------------------------------------------------------------------ status from the boxes

    def _message(self, topic: str, payload: bytes) -> None:
        if topic.startswith(topics.PREFIX + "/status/"):
            self.statuses.put((topic.rsplit("/", 1)[-1], payload, utcnow()))
        elif topic == DYNSEC_RESPONSES:
            self._control_asked_at = None
            _log_control_answer(payload)

    # ------------------------------------------------------------------ revoked boxes

    def cut_revoked(self) -> int:
        """Tell the broker to drop every revoked box's open connection now (``broker_control``).

        Sent once per broker connection for each revoked login (again after the hub reconnects,
        in case the broker lost its plugin's file); on the first pass the active logins are
        taken off the plugin's deny list, should a name have been revoked and given out again.
        """
        if self.control != "dynsec" or not self.link.connected.is_set():
            return 0
        asked = self._control_asked_at
        if asked is not None and time.monotonic() - asked > CONTROL_ANSWER_S:
            logger.warning("máy chủ MQTT không trả lời lệnh của plugin dynamic-security (chưa nạp plugin?): "
                           "máy thu bị thu hồi chỉ bị cắt khi máy chủ nạp lại tệp mật khẩu (docs/RECEIVERS.md)")
            self._control_asked_at = None
        first = self._cut_epoch != self.link.connections
        if first:
            self._cut.clear()
            self._cut_epoch = self.link.connections
        with self.ctx.session() as session:
            logins = session.execute(select(Receiver.mqtt_username, Receiver.revoked_at)
                                     .where(Receiver.mqtt_username != "")).all()
        revoked = {name for name, at in logins if at is not None}
        fresh = sorted(revoked - self._cut)
        if first:
            active = sorted({name for name, at in logins if at is None} - revoked)
            for start in range(0, len(active), CONTROL_BATCH):
                self.link.publish(DYNSEC_TOPIC, uncut_commands(active[start:start + CONTROL_BATCH]))
        for start in range(0, len(fresh), CONTROL_BATCH):
            chunk = fresh[start:start + CONTROL_BATCH]
            self._control_asked_at = time.monotonic()  # before: the answer may come at once
            if self.link.publish(DYNSEC_TOPIC, cut_commands(chunk)):
                self._cut.update(chunk)
                logger.info("đã yêu cầu máy chủ MQTT cắt kết nối của máy thu đã thu hồi: %s", ", ".join(chunk))
        return len(fresh)

    def _status_loop(self) -> None:
        """Heartbeats are written in batches: 500 boxes a minute is one commit a second."""
        while not self.stopping.is_set():
            batch: list[tuple[str, bytes, dt.datetime]] = []
            try:
                batch.append(self.statuses.get(timeout=STATUS_FLUSH_S))
            except queue.Empty:
                continue
            deadline = time.monotonic() + 0.2
            while time.monotonic() < deadline:
                try:
                    batch.append(self.statuses.get_nowait())
                except queue.Empty:
                    time.sleep(0.02)
            try:
                self.store_statuses(batch)
            except Exception:
                logger.exception("không ghi được %d nhịp báo của máy thu", len(batch))

    def store_statuses(self, batch: list[tuple[str, bytes, dt.datetime]]) -> int:
        stored = 0
        with self.ctx.session() as session:
            for name, payload, at in batch:
                if len(payload) > MAX_STATUS_BYTES:
                    logger.warning("bỏ nhịp báo quá lớn từ %s (%d byte)", name, len(payload))
                    continue
                try:
                    body = json.loads(payload.decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    logger.warning("bỏ nhịp báo không đọc được từ %s", name)
                    continue
                stored += receivers.record_status(session, name, body, at)
        return stored

    # ------------------------------------------------------------------ rendering ahead

    def _marker_now(self, session: Session) -> tuple[Any, ...]:
        slots = session.execute(select(func.count(Slot.id), func.max(Slot.updated_at),
                                       func.sum(Slot.active))).one()
        items = session.execute(select(func.count(SlotItem.id), func.max(SlotItem.id),
                                       func.sum(SlotItem.bulletin_id))).one()
        bulletins = session.execute(select(func.count(Bulletin.id), func.max(Bulletin.updated_at))).one()
        boxes = session.execute(select(func.count(Receiver.id), func.max(Receiver.enrolled_at))).one()
        return (*slots, *items, *bulletins, *boxes)

    def maybe_render(self, force: bool = False) -> None:
        with self.ctx.session() as session:
            marker = self._marker_now(session)
        mono = time.monotonic()
        if force or marker != self._marker or mono - self._last_full >= FULL_PASS_S:
            self.prepare_signal()
            if self.prerender_urgent():
                self._notice([])  # the boxes fetch the new urgent programmes with their plan
            self.render_ahead()
            self._marker = marker
            self._last_full = mono

    def render_ahead(self, now: dt.datetime | None = None) -> dict[str, int]:
        """Render what the boxes will need up to the horizon; withdraw what is no longer planned."""
        now = now or utcnow()
        counts = {"rendered": 0, "kept": 0, "withdrawn": 0, "failed": 0}
        with self.ctx.session() as session:
            served = set(session.scalars(select(Receiver.zone_id).where(Receiver.revoked_at.is_(None))).all())
            if not served:
                return counts
            glossary = session.execute(select(func.count(GlossaryEntry.id),
                                              func.max(GlossaryEntry.updated_at))).one()
            wanted: list[tuple[int, dt.date, dt.datetime, list[int], list[int], str]] = []
            upcoming = list(next_occurrences(active_slots(session), self.tz, now, now + self.horizon))
            # The priority heads the station will give each occurrence (every zone's slots count:
            # a commune-wide bulletin leads each zone's next slot until every zone heard it), so a
            # box airs the same ones.
            heads = priority_heads.choose_ahead(session, upcoming, now, self.render_lead_s, self.grace_s)
            for slot, local_date, instant in upcoming:
                zone_ids = sorted(z.id for z in slot.zones)
                if zone_ids and not served.intersection(zone_ids):
                    continue
                lead = heads.get((slot.id, local_date), [])
                wanted.append((slot.id, local_date, instant, zone_ids, [b.id for b in lead],
                               slot_fingerprint(slot, tuple(glossary), lead)))
            existing = {p.occurrence_key: p for p in session.scalars(
                select(ReceiverProgram).where(ReceiverProgram.occurrence_key.like("slot-%"),
                                              ReceiverProgram.scheduled_at >= now)).all()}
            wanted_keys = {occurrence_key(s, d) for s, d, _i, _z, _h, _f in wanted}
            for key, row in existing.items():
                if key not in wanted_keys and not row.withdrawn:
                    row.withdrawn = True
                    counts["withdrawn"] += 1
                    self._notice(row.zone_ids)
        for slot_id, local_date, instant, zone_ids, head_ids, fingerprint in wanted:
            if self.stopping.is_set():
                break
            key = occurrence_key(slot_id, local_date)
            held = existing.get(key)
            if (held is not None and held.fingerprint == fingerprint and not held.withdrawn
                    and held.scheduled_at == instant and held.zone_ids == zone_ids):
                counts["kept"] += 1
                continue
            try:
                done = self.renderer.render("slot", slot_id, head_ids, instant=instant)
            except RenderFailed as exc:
                counts["failed"] += 1
                logger.warning("không dựng được %s cho máy thu: %s", key, exc)
                continue
            with self.ctx.session() as session:
                fields = dict(slot_fields(session, slot_id), priority_heads=head_ids)
                self._store_program(session, key, slot_id, instant, zone_ids, done, fields, fingerprint)
            counts["rendered"] += 1
            self._notice(zone_ids)
        if counts["rendered"] or counts["withdrawn"]:
            logger.info("chương trình cho máy thu: dựng %(rendered)d, giữ %(kept)d, bỏ %(withdrawn)d, "
                        "lỗi %(failed)d", counts)
        return counts

    def _store_program(self, session: Session, key: str, slot_id: int | None, instant: dt.datetime,
                       zone_ids: list[int], done: dict[str, Any], fields: dict[str, Any],
                       fingerprint: str) -> ReceiverProgram:
        path = Path(done["path"]).resolve()
        base = self.settings.audio_dir.resolve()
        relpath = str(path.relative_to(base))
        fields = dict(fields, items=done["items"])
        found = session.scalar(select(ReceiverProgram).where(ReceiverProgram.occurrence_key == key))
        row = found if found is not None else ReceiverProgram(occurrence_key=key)
        if found is None:
            session.add(row)
        row.slot_id, row.scheduled_at, row.zone_ids = slot_id, instant, zone_ids
        row.sha256, row.relpath, row.size_bytes = done["sha256"], relpath, path.stat().st_size
        row.seconds, row.fields, row.fingerprint = float(done["seconds"]), fields, fingerprint
        row.rendered_at, row.withdrawn = utcnow(), False
        session.flush()
        return row

    def _notice(self, zone_ids: list[int]) -> None:
        with self._notices_lock:  # the render thread adds, the main loop publishes
            if zone_ids:
                self._pending_notices.update(topics.zone_plan(z) for z in zone_ids)
            else:
                self._pending_notices.add(topics.all_plan())

    def publish_notices(self) -> None:
        """Plan-change notices; kept until the broker takes them (the link may be down)."""
        with self._notices_lock:
            pending = sorted(self._pending_notices)
        for topic in pending:
            if self.link.publish(topic, {"changed_at": utc_text(utcnow())}):
                with self._notices_lock:
                    self._pending_notices.discard(topic)

    # ------------------------------------------------------------------ commands

    def relay_station_emergencies(self, now: dt.datetime | None = None) -> int:
        """Every emergency asked of the station goes to the receivers of its zone (or all) too."""
        now = now or utcnow()
        ttl = dt.timedelta(seconds=float(self.settings.receivers.command_ttl_s))
        made = 0
        with self.ctx.session() as session:
            if session.scalar(select(func.count(Receiver.id)).where(Receiver.revoked_at.is_(None))) == 0:
                return 0
            relayed = select(ReceiverCommand.station_command_id).where(
                ReceiverCommand.station_command_id.is_not(None))
            rows = session.scalars(select(StationCommand).where(
                StationCommand.kind == "emergency", StationCommand.requested_at >= now - ttl,
                StationCommand.id.not_in(relayed))).all()
            for command in rows:
                bulletin = session.get(Bulletin, command.bulletin_id) if command.bulletin_id else None
                if bulletin is None:
                    continue
                receivers.request_command(
                    session, self.settings, "emergency",
                    zone=bulletin.zone.name if bulletin.zone else None,
                    payload={"bulletin_id": bulletin.id, "key": f"emergency-{command.id}"},
                    station_command_id=command.id, now=command.requested_at)
                made += 1
        return made

    def publish_commands(self, now: dt.datetime | None = None) -> int:
        now = now or utcnow()
        sent = 0
        with self.ctx.session() as session:
            todo = session.scalars(select(ReceiverCommand).where(
                ReceiverCommand.published_at.is_(None)).order_by(ReceiverCommand.id)).all()
            jobs = [(c.id, c.kind, c.zone_id, c.receiver_id, dict(c.payload or {}), c.created_at,
                     c.expires_at) for c in todo]
        for command_id, kind, zone_id, receiver_id, payload, created_at, expires_at in jobs:
            if expires_at < now:
                self._mark_command(command_id, now, "Hết hạn trước khi gửi được (máy chủ MQTT không kết nối)")
                continue
            message: dict[str, Any] = {"id": command_id, "kind": kind,
                                       "issued_at": utc_text(created_at),
                                       "expires_at": utc_text(expires_at)}
            behind: dict[str, Any] | None = None
            if kind == "emergency":
                program = self._emergency_program(command_id, payload, zone_id, render=False)
                if program is not None:
                    message.update(key=program.occurrence_key, sha256=program.sha256,
                                   seconds=program.seconds, fields=program.fields,
                                   size=program.size_bytes)
                else:  # never rendered: the boxes start their signal, the bulletin follows
                    behind = self._pending_emergency(command_id, payload)
                    if behind is None:
                        self._mark_command(command_id, now, "Không có bản tin khẩn cấp để phát")
                        continue
                    message.update(key=behind["key"], pending=True, fields=behind["fields"])
            elif kind == "volume":
                message["volume"] = int(payload.get("volume", 100))
            elif kind == "stop":
                message["reason"] = str(payload.get("reason", ""))[:300]
            with self.ctx.session() as session:
                box = session.get(Receiver, receiver_id) if receiver_id else None
                topic = (topics.receiver_command(box.name) if box is not None
                         else topics.zone_command(zone_id) if zone_id else topics.all_command())
            if self.link.publish(topic, message):
                self._mark_command(command_id, utcnow(), f"Đã gửi tới {topic}")
                sent += 1
                logger.info("đã gửi lệnh máy thu số %d (%s) tới %s", command_id, kind, topic)
                if behind is not None:
                    threading.Thread(target=self._render_behind,
                                     args=(command_id, behind, zone_id, topic, message),
                                     name=f"hub-emergency-{command_id}", daemon=True).start()
        return sent

    def _pending_emergency(self, command_id: int, payload: dict[str, Any]) -> dict[str, Any] | None:
        """What the boxes are told of an emergency whose programme is still to render."""
        with self.ctx.session() as session:
            bulletin = session.get(Bulletin, payload.get("bulletin_id"))
            if bulletin is None:
                return None
            return {"key": str(payload.get("key") or f"emergency-r{command_id}"),
                    "bulletin_id": bulletin.id, "fields": _urgent_fields(bulletin),
                    "fingerprint": "body:" + hashlib.sha256(
                        _urgent_fingerprint(bulletin).encode()).hexdigest()[:59]}

    def _render_behind(self, command_id: int, behind: dict[str, Any], zone_id: int | None,
                       topic: str, command: dict[str, Any]) -> None:
        """Render the urgent programme without its signal (the boxes are playing theirs) and
        tell them its hash, or why it could not be made (their entry says so)."""
        follow_up: dict[str, Any] = {"id": command_id, "kind": PROGRAM_KIND, "key": behind["key"],
                                     "issued_at": command["issued_at"],
                                     "expires_at": command["expires_at"]}
        try:
            done = self.renderer.render("emergency-body", behind["bulletin_id"], None,
                                        instant=utcnow(), urgent=True)
            with self.ctx.session() as session:
                row = self._store_program(session, f"{behind['key']}-body", None, utcnow(),
                                          [zone_id] if zone_id else [], done, behind["fields"],
                                          behind["fingerprint"])
                follow_up.update(sha256=row.sha256, seconds=row.seconds, size=row.size_bytes,
                                 fields=row.fields)
        except (RenderFailed, OSError) as exc:
            logger.error("không dựng được bản tin khẩn cấp số %s cho máy thu: %s",
                         behind["bulletin_id"], exc)
            follow_up["error"] = str(exc)
        if not self.link.publish(topic, follow_up):
            logger.error("chưa gửi được chương trình khẩn cấp của lệnh số %d tới %s", command_id, topic)

    def prepare_signal(self) -> ReceiverProgram | None:
        """The urgent signal the boxes hold (and fetch with their plan), rendered once."""
        with self.ctx.session() as session:
            if session.scalar(select(func.count(Receiver.id)).where(Receiver.revoked_at.is_(None))) == 0:
                return None
            held = self._current_urgent(session, SIGNAL_FINGERPRINT)
            if held is not None:
                return held
        try:
            done = self.renderer.render("signal", 0, None, instant=utcnow() + dt.timedelta(seconds=30))
        except RenderFailed as exc:
            logger.warning("chưa dựng được tín hiệu khẩn cấp cho máy thu: %s", exc)
            return None
        with self.ctx.session() as session:
            row = self._store_program(session, receivers.SIGNAL_KEY, None, utcnow(), [], done,
                                      {"title": SIGNAL_TITLE, "priority": "emergency"},
                                      SIGNAL_FINGERPRINT)
        self._notice([])
        return row

    def _mark_command(self, command_id: int, at: dt.datetime, note: str) -> None:
        with self.ctx.session() as session:
            row = session.get(ReceiverCommand, command_id)
            if row is not None:
                row.published_at, row.note = at, note

    def _emergency_program(self, command_id: int, payload: dict[str, Any],
                           zone_id: int | None, render: bool = True) -> ReceiverProgram | None:
        """The urgent program of a command: reused when that bulletin's urgent render is current
        (pre-rendered at approval, or sent before), so an emergency waits for no render.
        ``render=False``: None instead of rendering (the command goes out at once, see
        :meth:`_render_behind`)."""
        key = str(payload.get("key") or f"emergency-r{command_id}")
        with self.ctx.session() as session:
            existing = session.scalar(select(ReceiverProgram).where(ReceiverProgram.occurrence_key == key))
            if existing is not None:
                return existing
            bulletin = session.get(Bulletin, payload.get("bulletin_id"))
            if bulletin is None:
                return None
            fields = _urgent_fields(bulletin)
            fingerprint = _urgent_fingerprint(bulletin)
            bulletin_id = bulletin.id
            ready = self._current_urgent(session, fingerprint)
            if ready is not None:
                done = {"path": str(self.settings.audio_dir / ready.relpath), "sha256": ready.sha256,
                        "seconds": ready.seconds, "items": (ready.fields or {}).get("items", [])}
                return self._store_program(session, key, None, utcnow(),
                                           [zone_id] if zone_id else [], done, fields, fingerprint)
        if not render:
            return None
        try:
            done = self.renderer.render("emergency", bulletin_id, None, instant=utcnow(), urgent=True)
        except RenderFailed as exc:
            logger.error("không dựng được bản tin khẩn cấp số %d cho máy thu: %s", bulletin_id, exc)
            return None
        with self.ctx.session() as session:
            return self._store_program(session, key, None, utcnow(),
                                       [zone_id] if zone_id else [], done, fields, fingerprint)

    def _current_urgent(self, session: Session, fingerprint: str) -> ReceiverProgram | None:
        for row in session.scalars(select(ReceiverProgram).where(
                ReceiverProgram.fingerprint == fingerprint).order_by(ReceiverProgram.id.desc())).all():
            if (self.settings.audio_dir / row.relpath).is_file():
                return row
        return None

    def prerender_urgent(self, now: dt.datetime | None = None) -> int:
        """Render ahead the urgent program of every recently approved emergency bulletin, so the
        command that airs it (usually seconds later) only has to be published."""
        now = now or utcnow()
        todo: list[tuple[int, str, list[int], dict[str, Any]]] = []
        with self.ctx.session() as session:
            if session.scalar(select(func.count(Receiver.id)).where(Receiver.revoked_at.is_(None))) == 0:
                return 0
            recent = session.scalars(select(Bulletin).where(
                Bulletin.status == "approved", Bulletin.priority == "emergency",
                Bulletin.approved_at >= now - dt.timedelta(days=2))).all()
            for bulletin in recent:
                fingerprint = _urgent_fingerprint(bulletin)
                if self._current_urgent(session, fingerprint) is None:
                    todo.append((bulletin.id, fingerprint,
                                 [bulletin.zone_id] if bulletin.zone_id else [], _urgent_fields(bulletin)))
        for bulletin_id, fingerprint, zone_ids, fields in todo:
            try:
                done = self.renderer.render("emergency", bulletin_id, None, instant=now, urgent=True)
            except RenderFailed as exc:
                logger.warning("chưa dựng trước được bản tin khẩn cấp số %d: %s", bulletin_id, exc)
                continue
            with self.ctx.session() as session:
                self._store_program(session, f"urgent-b{bulletin_id}", None, now, zone_ids, done,
                                    fields, fingerprint)
        return len(todo)


def _urgent_fields(bulletin: Bulletin) -> dict[str, Any]:
    return {"title": bulletin.title, "category": bulletin.category,
            "campaign": bulletin.campaign.name if bulletin.campaign else "",
            "priority": "emergency", "zone": bulletin.zone.name if bulletin.zone else "",
            "bulletin_id": bulletin.id}


def _urgent_fingerprint(bulletin: Bulletin) -> str:
    """What decides a bulletin's urgent program: its text, title, category and recording."""
    parts = [bulletin.id, bulletin.title, bulletin.body, bulletin.category, bulletin.recording_id]
    return "urgent:" + hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


#: answers of the dynamic-security plugin that mean "already so", not a fault
_BENIGN_ANSWERS = ("Client already exists", "Client not found")


def _log_control_answer(payload: bytes) -> None:
    try:
        answers = json.loads(payload.decode("utf-8")).get("responses", [])
    except (ValueError, UnicodeDecodeError, AttributeError):
        logger.warning("câu trả lời không đọc được từ plugin dynamic-security của máy chủ MQTT")
        return
    for answer in answers if isinstance(answers, list) else []:
        error = answer.get("error") if isinstance(answer, dict) else None
        if error and error not in _BENIGN_ANSWERS:
            logger.warning("máy chủ MQTT không làm lệnh %s: %s", answer.get("command"), error)


def run_hub(ctx: Context, verbose: bool = False) -> int:
    return Hub(ctx, verbose=verbose).run()
