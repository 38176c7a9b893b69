"""Village receivers, the commune's side: enrolment, credentials, plans, programs, status, evidence.

A receiver is a small box at a loudspeaker cluster behind 4G carrier NAT. The admin adds it for a
zone and gets a one-time code; the box enrols with that code, registering its Ed25519 public key,
and receives its credentials: an HTTP token (plans, programs, evidence uploads) and an MQTT login
whose ACL lets it read only its zone's and the commune-wide topics and write only its own status
(:mod:`broadcaster.mqtt_auth`). Only SHA-256 hashes of the code and token are stored.

Revoking marks the row: its token then gets 403, its broker login is removed from the password
file and the broker reloaded, so a revoked box gets nothing, and an unknown one never did (401).

The evidence a box uploads is its own hash chain (the same encoding as the commune's, see
:mod:`broadcaster.evidence`) under its own key. The commune keeps it apart from its own chain,
accepts only entries that extend the chain it holds and a checkpoint signed by the box's key
covering them, and answers with the head it now holds; a batch sent twice is recognised by its
hashes and never doubles an entry (obplayer's "ask which entry the server holds last" protocol).

Every function takes a ``session`` and never commits; the caller owns the transaction.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcaster import evidence
from broadcaster.config import Settings
from broadcaster.errors import (
    BroadcasterError,
    DuplicateError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from broadcaster.keys import key_id as key_id_of
from broadcaster.models import (
    RECEIVER_COMMAND_KINDS,
    Bulletin,
    Receiver,
    ReceiverCheckpoint,
    ReceiverCommand,
    ReceiverEvidence,
    ReceiverProgram,
    utcnow,
)
from broadcaster.mqtt_auth import hash_password
from broadcaster.zones import find_zone

logger = logging.getLogger(__name__)

NAME_RULE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")
MAX_UPLOAD_ENTRIES = 200
#: Status fields a box may report, and the longest text kept for each.
STATUS_FIELDS = ("version", "clock_offset_ms", "playing", "volume", "free_disk_mb", "held_24h",
                 "expected_24h", "last_sync", "plan_version", "link", "sent_at", "evidence_waiting",
                 "backend", "device", "started_at", "airchecks_waiting")


class ChainRejected(BroadcasterError):
    """An upload that does not extend the receiver's chain, or whose signature fails."""


@dataclass(frozen=True)
class Added:
    receiver: Receiver
    code: str


#: The urgent signal's row among the receiver programs (rendered by the hub, held by every box).
SIGNAL_KEY = "urgent-signal"
#: Urgent programmes rendered this recently are listed in the plans for the boxes to hold.
URGENT_HELD_DAYS = 7

def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _code() -> str:
    """A code an admin can read over the phone: 4 groups of 4 letters/digits, no 0/O or 1/I."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def _normal_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").upper()


def get_receiver(session: Session, name: str) -> Receiver:
    box = session.scalar(select(Receiver).where(Receiver.name == (name or "").strip().lower()))
    if box is None:
        raise NotFoundError(f"Không có máy thu tên “{name}” (xem: broadcaster receiver list)")
    return box


# ------------------------------------------------------------------ enrolment and credentials


def add_receiver(session: Session, settings: Settings, name: str, zone: str,
                 now: dt.datetime | None = None) -> Added:
    """Register a box for a zone; returns it with its one-time enrolment code (shown once)."""
    now = now or utcnow()
    clean = (name or "").strip().lower()
    if not NAME_RULE.match(clean):
        raise ValidationError(
            "Tên máy thu chỉ gồm chữ thường không dấu, số, '-' hoặc '_' (2–40 ký tự), "
            f"ví dụ thon-dong-1; không dùng được {name!r}")
    if session.scalar(select(Receiver.id).where(Receiver.name == clean)) is not None:
        raise DuplicateError(f"Đã có máy thu tên “{clean}”")
    place = find_zone(session, zone)
    code = _code()
    box = Receiver(name=clean, zone_id=place.id, code_sha256=_sha(_normal_code(code)),
                   code_expires_at=now + dt.timedelta(hours=float(settings.receivers.code_hours)),
                   created_at=now, status={})
    session.add(box)
    session.flush()
    logger.info("đã thêm máy thu %s cho %s", clean, place.name)
    return Added(box, code)


def new_code(session: Session, settings: Settings, name: str, now: dt.datetime | None = None) -> str:
    """A fresh one-time code for a box that must enrol again (a replaced SD card); the old key,
    token and broker login stop working at once."""
    now = now or utcnow()
    box = get_receiver(session, name)
    if box.revoked_at is not None:
        raise ValidationError(f"Máy thu “{box.name}” đã bị thu hồi; hãy thêm một máy thu mới")
    code = _code()
    box.code_sha256 = _sha(_normal_code(code))
    box.code_expires_at = now + dt.timedelta(hours=float(settings.receivers.code_hours))
    box.token_sha256 = None
    box.mqtt_password_hash = ""
    box.enrolled_at = None
    return code


def _load_public_key(pem: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError, TypeError):
        raise ValidationError("Khóa công khai gửi lên không đọc được (cần PEM Ed25519)") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValidationError("Khóa công khai của máy thu phải là khóa Ed25519")
    return key


def enrol(session: Session, settings: Settings, code: str, public_key_pem: str,
          now: dt.datetime | None = None) -> dict[str, Any]:
    """Exchange a one-time code and a public key for the box's credentials (said once).

    Raises PermissionDenied for an unknown, used, expired or revoked code: the caller answers 403
    and says nothing about which (a guesser learns nothing).
    """
    now = now or utcnow()
    if len(public_key_pem or "") > 2000 or len(code or "") > 64:
        raise ValidationError("Dữ liệu đăng ký quá dài")
    key = _load_public_key(public_key_pem or "")
    digest = _sha(_normal_code(code))
    box = session.scalar(select(Receiver).where(Receiver.code_sha256 == digest))
    if (box is None or box.revoked_at is not None or box.code_expires_at is None
            or box.code_expires_at < now):
        raise PermissionDenied("Mã đăng ký không đúng, đã dùng hoặc đã hết hạn")
    token = secrets.token_urlsafe(32)
    password = secrets.token_urlsafe(24)
    box.code_sha256 = None
    box.code_expires_at = None
    box.enrolled_at = now
    box.public_key = public_key_pem.strip() + "\n"
    box.key_id = key_id_of(key)
    box.token_sha256 = _sha(token)
    box.mqtt_username = box.name
    box.mqtt_password_hash = hash_password(password)
    session.flush()
    rc = settings.receivers
    logger.info("máy thu %s đã đăng ký (khóa %s)", box.name, box.key_id)
    return {
        "id": box.id,
        "name": box.name,
        "zone": {"id": box.zone_id, "name": box.zone.name},
        "token": token,
        "mqtt": {"url": str(rc.public_mqtt_url or rc.mqtt_url), "username": box.name,
                 "password": password},
        "settings": {"horizon_hours": float(rc.horizon_hours), "lock_minutes": float(rc.lock_minutes),
                     "status_s": float(rc.status_s), "sync_s": float(rc.sync_s)},
        "timezone": str(settings.station.timezone),
    }


def revoke(session: Session, name: str, now: dt.datetime | None = None) -> Receiver:
    """Cut a box off: its token gets 403 from now, its broker login goes at the next file write."""
    box = get_receiver(session, name)
    if box.revoked_at is None:
        box.revoked_at = now or utcnow()
        box.code_sha256 = None
        box.mqtt_password_hash = ""
        logger.warning("đã thu hồi máy thu %s", box.name)
    return box


def authenticate(session: Session, token: str) -> Receiver:
    """The box behind an HTTP token. NotFoundError (401) when unknown, PermissionDenied (403)
    when revoked or enrolled again since."""
    if not token or len(token) > 200:
        raise NotFoundError("Thiếu mã truy cập của máy thu")
    box = session.scalar(select(Receiver).where(Receiver.token_sha256 == _sha(token)))
    if box is None:
        raise NotFoundError("Mã truy cập của máy thu không hợp lệ")
    if box.revoked_at is not None:
        raise PermissionDenied(f"Máy thu “{box.name}” đã bị thu hồi")
    return box


# ------------------------------------------------------------------ plans and programs


def _serves(program: ReceiverProgram, zone_id: int) -> bool:
    zones = program.zone_ids or []
    return not zones or zone_id in zones


def plan_for(session: Session, settings: Settings, box: Receiver,
             now: dt.datetime | None = None) -> dict[str, Any]:
    """The box's occurrences from now to the horizon (its zone's and the commune-wide ones)."""
    now = now or utcnow()
    start = now - dt.timedelta(seconds=float(settings.station.grace_s))
    end = now + dt.timedelta(hours=float(settings.receivers.horizon_hours))
    rows = session.scalars(
        select(ReceiverProgram).where(ReceiverProgram.scheduled_at >= start,
                                      ReceiverProgram.scheduled_at <= end,
                                      ReceiverProgram.withdrawn.is_(False),
                                      ReceiverProgram.occurrence_key.like("slot-%"))
        .order_by(ReceiverProgram.scheduled_at, ReceiverProgram.id)
    ).all()
    occurrences = [
        {"key": p.occurrence_key, "slot_id": p.slot_id,
         "scheduled_at": evidence.utc_text(p.scheduled_at), "sha256": p.sha256,
         "size": p.size_bytes, "seconds": p.seconds, "fields": p.fields}
        for p in rows if _serves(p, box.zone_id)
    ]
    version = hashlib.sha256(
        "\n".join(f"{o['key']} {o['scheduled_at']} {o['sha256']}" for o in occurrences).encode()
    ).hexdigest()
    box.last_sync_at = now
    return {"receiver": box.name, "zone": box.zone.name, "version": version,
            "generated_at": evidence.utc_text(now),
            "horizon_hours": float(settings.receivers.horizon_hours),
            "lock_minutes": float(settings.receivers.lock_minutes),
            "occurrences": occurrences, **_urgent_holdings(session, box, now)}


def _urgent_holdings(session: Session, box: Receiver, now: dt.datetime) -> dict[str, Any]:
    """What a box holds ahead for emergencies: the urgent signal it opens every emergency with,
    and the urgent programmes of its zone's recently approved emergency bulletins (so their
    command airs from its own disk)."""
    rows = session.scalars(select(ReceiverProgram).where(
        ReceiverProgram.occurrence_key.like("urgent-%"), ReceiverProgram.withdrawn.is_(False),
        ReceiverProgram.rendered_at >= now - dt.timedelta(days=URGENT_HELD_DAYS))
        .order_by(ReceiverProgram.id)).all()

    def shown(p: ReceiverProgram) -> dict[str, Any]:
        return {"key": p.occurrence_key, "sha256": p.sha256, "size": p.size_bytes,
                "seconds": p.seconds, "fields": p.fields}
    signal = next((p for p in reversed(rows) if p.occurrence_key == SIGNAL_KEY), None)
    return {"signal": shown(signal) if signal is not None else None,
            "urgent": [shown(p) for p in rows
                       if p.occurrence_key.startswith("urgent-b") and _serves(p, box.zone_id)]}


def program_path(session: Session, settings: Settings, box: Receiver, sha256: str) -> Path:
    """The file of a program this box may fetch: one in its plan or an emergency for it.

    Looked up by hash in the table; the request never names a path.
    """
    if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
        raise NotFoundError("Mã băm chương trình không hợp lệ")
    rows = session.scalars(select(ReceiverProgram).where(ReceiverProgram.sha256 == sha256)).all()
    for row in rows:
        if _serves(row, box.zone_id):
            base = settings.audio_dir.resolve()
            path = (base / row.relpath).resolve()
            if base in path.parents and path.is_file():
                return path
    raise NotFoundError("Không có chương trình này cho máy thu")


#: An urgent programme (an emergency sent, or one rendered ahead at approval) stays served and
#: reusable this long: the hub renders ahead the emergency bulletins of the last two days.
URGENT_SERVED_FOR = dt.timedelta(days=2)


def programs_still_served(session: Session, settings: Settings,
                          now: dt.datetime | None = None) -> list[Path]:
    """The files of every programme a box may still fetch, so the cache's pruning keeps them.

    A slot's programme is served from the plan until ``station.grace_s`` after its time (and kept
    while it may still be airing); one withdrawn is no longer planned and the hub renders it again
    if it comes back. An emergency or a pre-rendered urgent programme is kept while its command may
    still be delivered or the hub would reuse it (:data:`URGENT_SERVED_FOR`, at least
    ``receivers.command_ttl_s``).
    """
    now = now or utcnow()
    grace = dt.timedelta(seconds=float(settings.station.grace_s))
    urgent_for = max(URGENT_SERVED_FOR,
                     dt.timedelta(seconds=float(settings.receivers.command_ttl_s)))
    rows = session.execute(
        select(ReceiverProgram.occurrence_key, ReceiverProgram.scheduled_at,
               ReceiverProgram.seconds, ReceiverProgram.withdrawn, ReceiverProgram.relpath)
        .where(ReceiverProgram.scheduled_at >= now - max(urgent_for, grace + dt.timedelta(days=1)))
    ).all()
    base = settings.audio_dir
    paths: list[Path] = []
    for key, scheduled_at, seconds, withdrawn, relpath in rows:
        if not relpath:
            continue
        if key.startswith("slot-"):
            ends = scheduled_at + dt.timedelta(seconds=float(seconds or 0.0))
            needed = not withdrawn and ends >= now - grace
        else:
            needed = scheduled_at >= now - urgent_for
        if needed:
            paths.append(base / relpath)
    return paths


def expected_within(session: Session, zone_id: int, start: dt.datetime, end: dt.datetime) -> int:
    """How many programs the commune has rendered for a zone between two instants."""
    rows = session.scalars(
        select(ReceiverProgram).where(ReceiverProgram.scheduled_at >= start,
                                      ReceiverProgram.scheduled_at < end,
                                      ReceiverProgram.withdrawn.is_(False),
                                      ReceiverProgram.occurrence_key.like("slot-%"))
    ).all()
    return sum(1 for r in rows if _serves(r, zone_id))


# ------------------------------------------------------------------ status and the list


def record_status(session: Session, name: str, payload: Any, now: dt.datetime | None = None) -> bool:
    """Store a heartbeat; "online" is the commune's receive time of it, never the box's claim.

    False (and nothing stored) for an unknown or revoked box or a payload that is not an object.
    """
    now = now or utcnow()
    if not isinstance(payload, dict):
        return False
    box = session.scalar(select(Receiver).where(Receiver.name == name))
    if box is None or box.revoked_at is not None or box.enrolled_at is None:
        return False
    kept: dict[str, Any] = {}
    for key in STATUS_FIELDS:
        value = payload.get(key)
        if isinstance(value, str):
            value = value[:300]
        elif isinstance(value, dict):
            value = {str(k)[:40]: (v[:300] if isinstance(v, str) else v)
                     for k, v in list(value.items())[:12] if isinstance(v, (str, int, float, bool))
                     or v is None}
        elif not isinstance(value, (int, float, bool)) and value is not None:
            continue
        kept[key] = value
    box.status = kept
    box.last_seen_at = now
    return True


def is_online(box: Receiver, settings: Settings, now: dt.datetime) -> bool:
    if box.revoked_at is not None or box.last_seen_at is None:
        return False
    return (now - box.last_seen_at).total_seconds() <= float(settings.receivers.offline_after_s)


def receiver_rows(session: Session, settings: Settings,
                  now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every box as ``receiver list`` and the panel show it (INTERFACE.md field names)."""
    now = now or utcnow()
    tz = ZoneInfo(str(settings.station.timezone))
    out: list[dict[str, Any]] = []
    boxes = session.scalars(select(Receiver).order_by(Receiver.name)).all()
    tomorrow = session.scalars(
        select(ReceiverProgram).where(ReceiverProgram.scheduled_at >= now,
                                      ReceiverProgram.scheduled_at < now + dt.timedelta(hours=24),
                                      ReceiverProgram.withdrawn.is_(False),
                                      ReceiverProgram.occurrence_key.like("slot-%"))
    ).all()
    for box in boxes:
        status = dict(box.status or {})
        online = is_online(box, settings, now)
        expected = sum(1 for p in tomorrow if _serves(p, box.zone_id))
        held = status.get("held_24h")
        ready = bool(online or box.last_seen_at) and isinstance(held, int) and held >= expected
        offset = status.get("clock_offset_ms")
        state = ("revoked" if box.revoked_at else "waiting" if box.enrolled_at is None
                 else "online" if online else "offline")
        out.append({
            "name": box.name,
            "zone": box.zone.name,
            "online": online,
            "last_seen": box.last_seen_at.astimezone(tz).isoformat() if box.last_seen_at else None,
            "programs_ready": ready,
            "clock_offset_ms": float(offset) if isinstance(offset, (int, float)) else None,
            "state": state,
            "offline_since": (box.last_seen_at.astimezone(tz).isoformat()
                              if state == "offline" and box.last_seen_at else None),
            "programs_held": held if isinstance(held, int) else None,
            "programs_expected": expected,
            "playing": status.get("playing"),
            "volume": status.get("volume"),
            "free_disk_mb": status.get("free_disk_mb"),
            "version": status.get("version"),
            "last_sync": status.get("last_sync"),
            "enrolled_at": box.enrolled_at.astimezone(tz).isoformat() if box.enrolled_at else None,
            "revoked": box.revoked_at is not None,
        })
    return out


def warnings(rows: Sequence[dict[str, Any]], settings: Settings, now: dt.datetime | None = None,
             session: Session | None = None) -> list[str]:
    """The panel's warnings: a box offline, or one that does not hold tomorrow's programs."""
    out: list[str] = []
    for row in rows:
        if row["revoked"] or row["state"] == "waiting":
            continue
        if not row["online"] and not row["last_seen"]:  # enrolled, never heard from
            out.append(f"Máy thu {row['name']} ({row['zone']}) đã đăng ký nhưng chưa kết nối lần nào")
        elif not row["online"]:
            since = f"{dt.datetime.fromisoformat(row['last_seen']):%H:%M %d/%m/%Y}"
            out.append(f"Máy thu {row['name']} ({row['zone']}) mất kết nối từ {since}")
        elif not row["programs_ready"]:
            out.append(f"Máy thu {row['name']} ({row['zone']}) chưa có đủ chương trình 24 giờ tới "
                       f"({row['programs_held'] or 0}/{row['programs_expected']})")
    return out


# ------------------------------------------------------------------ commands


def request_command(session: Session, settings: Settings, kind: str, *, zone: str | None = None,
                    receiver: str | None = None, payload: dict[str, Any] | None = None,
                    station_command_id: int | None = None,
                    now: dt.datetime | None = None) -> ReceiverCommand:
    """A command for one box, one zone's boxes or all; the hub publishes it over MQTT."""
    now = now or utcnow()
    if kind not in RECEIVER_COMMAND_KINDS:
        raise ValidationError(f"Lệnh máy thu không hợp lệ: {kind!r} ({', '.join(RECEIVER_COMMAND_KINDS)})")
    body = dict(payload or {})
    if kind == "volume":
        level = body.get("volume")
        if not isinstance(level, int) or not 0 <= level <= 150:
            raise ValidationError("Âm lượng phải là số nguyên từ 0 đến 150 (phần trăm)")
    if kind == "emergency":
        bulletin = session.get(Bulletin, body.get("bulletin_id"))
        if bulletin is None:
            raise NotFoundError(f"Không có bản tin số {body.get('bulletin_id')}")
    command = ReceiverCommand(
        kind=kind, payload=body, created_at=now, station_command_id=station_command_id,
        expires_at=now + dt.timedelta(seconds=float(settings.receivers.command_ttl_s)),
        zone_id=find_zone(session, zone).id if zone else None,
        receiver_id=get_receiver(session, receiver).id if receiver else None,
    )
    session.add(command)
    session.flush()
    return command


# ------------------------------------------------------------------ evidence from the boxes


def wire_entry(values: dict[str, Any], prev_hash: str, entry_hash: str) -> dict[str, Any]:
    """An entry as it travels: hashed fields (times as canonical UTC text), prev_hash, hash."""
    record: dict[str, Any] = {}
    for name in evidence.CONTENT_FIELDS:
        value = values.get(name)
        if name in evidence.TIME_FIELDS:
            value = evidence.utc_text(value)
        record["occurrence" if name == "occurrence_key" else name] = value
    record["prev_hash"] = prev_hash
    record["hash"] = entry_hash
    return record


def evidence_head(session: Session, box: Receiver) -> tuple[int, str]:
    row = session.execute(
        select(ReceiverEvidence.seq, ReceiverEvidence.hash)
        .where(ReceiverEvidence.receiver_id == box.id)
        .order_by(ReceiverEvidence.seq.desc()).limit(1)
    ).first()
    return (0, evidence.GENESIS) if row is None else (int(row[0]), str(row[1]))


def _verify_signature(box: Receiver, count: int, head_hash: str, created_at: dt.datetime,
                      signature: str) -> None:
    key = _load_public_key(box.public_key)
    try:
        key.verify(base64.b64decode(signature, validate=True),
                   evidence.checkpoint_text(count, head_hash, created_at).encode("utf-8"))
    except Exception:  # noqa: BLE001 - InvalidSignature or malformed base64: both refused
        raise ChainRejected("Chữ ký điểm kiểm của máy thu không hợp lệ với khóa đã đăng ký") from None


def ingest_evidence(session: Session, box: Receiver, entries: Any, checkpoint: Any,
                    now: dt.datetime | None = None) -> dict[str, Any]:
    """Take the entries that extend the box's chain; returns the head the commune now holds.

    Entries the commune already holds are checked against what it holds and skipped (a batch
    re-sent after a lost acknowledgement), so nothing is doubled. New entries must follow on
    from the held head, each hash must be the chain step over its content, and ``checkpoint``
    must be signed by the box's key over the last one; otherwise nothing is stored.
    """
    now = now or utcnow()
    if not isinstance(entries, list) or len(entries) > MAX_UPLOAD_ENTRIES:
        raise ValidationError(f"Cần một danh sách tối đa {MAX_UPLOAD_ENTRIES} mục nhật ký")
    count, running = evidence_head(session, box)
    held = dict(session.execute(
        select(ReceiverEvidence.seq, ReceiverEvidence.hash).where(
            ReceiverEvidence.receiver_id == box.id,
            ReceiverEvidence.seq.in_([e.get("id") for e in entries if isinstance(e, dict)]))
    ).all())
    fresh: list[tuple[dict[str, Any], str, str]] = []
    for record in sorted((e for e in entries if isinstance(e, dict)),
                         key=lambda e: e["id"] if isinstance(e.get("id"), int) else 0):
        seq = record.get("id")
        if not isinstance(seq, int) or seq < 1:
            raise ValidationError("Mục nhật ký thiếu số thứ tự")
        if seq <= count:
            if held.get(seq) != record.get("hash"):
                raise ChainRejected(f"Mục #{seq} khác với mục #{seq} xã đã nhận từ máy thu này")
            continue
        if seq != count + len(fresh) + 1:
            raise ChainRejected(f"Thiếu mục #{count + len(fresh) + 1} trước mục #{seq}")
        try:
            values = evidence.values_from_record(record)
            digest = evidence.content_digest(values)
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValidationError(f"Mục #{seq} không đọc được: {exc}") from None
        if record.get("prev_hash") != running or evidence.link_hash(running, digest) != record.get("hash"):
            raise ChainRejected(f"Mục #{seq} không nối đúng chuỗi băm của máy thu")
        fresh.append((values, running, str(record["hash"])))
        running = str(record["hash"])
    if fresh:
        if not isinstance(checkpoint, dict):
            raise ChainRejected("Thiếu điểm kiểm đã ký cho các mục mới")
        try:
            cp_count = int(checkpoint["count"])
            cp_head = str(checkpoint["head_hash"])
            cp_created = evidence.parse_utc_text(str(checkpoint["created_at"]))
            signature = str(checkpoint["signature"])
        except (KeyError, ValueError, TypeError):
            raise ValidationError("Điểm kiểm gửi lên không đầy đủ") from None
        if cp_count != count + len(fresh) or cp_head != running or cp_created is None:
            raise ChainRejected("Điểm kiểm không khớp với mục cuối của lô gửi lên")
        _verify_signature(box, cp_count, cp_head, cp_created, signature)
        for values, prev_hash, entry_hash in fresh:
            row_values = {k: v for k, v in values.items() if k != "id"}
            session.add(ReceiverEvidence(receiver_id=box.id, seq=values["id"], prev_hash=prev_hash,
                                         hash=entry_hash, uploaded_at=now, **row_values))
        session.add(ReceiverCheckpoint(receiver_id=box.id, created_at=cp_created, count=cp_count,
                                       head_hash=cp_head, key_id=box.key_id, signature=signature))
        session.flush()
        logger.info("máy thu %s gửi %d mục nhật ký (đến mục #%d)", box.name, len(fresh), cp_count)
    head_count, head_hash = evidence_head(session, box)
    return {"count": head_count, "hash": head_hash, "accepted": len(fresh)}


def verify_chains(session: Session) -> list[tuple[str, evidence.VerifyResult]]:
    """Every receiver's uploaded chain and checkpoints, checked with its registered key."""
    results: list[tuple[str, evidence.VerifyResult]] = []
    for box in session.scalars(select(Receiver).order_by(Receiver.name)).all():
        rows = session.scalars(select(ReceiverEvidence).where(ReceiverEvidence.receiver_id == box.id)
                               .order_by(ReceiverEvidence.seq)).all()
        cps = session.scalars(select(ReceiverCheckpoint).where(ReceiverCheckpoint.receiver_id == box.id)
                              .order_by(ReceiverCheckpoint.id)).all()
        if not rows and not cps:
            continue
        chain = []
        for row in rows:
            values = {name: getattr(row, name) for name in evidence.CONTENT_FIELDS if name != "id"}
            values["id"] = row.seq
            try:
                digest = evidence.content_digest(values)
            except (ValueError, TypeError):
                digest = "!" * 64
            chain.append(evidence.ChainRow(id=row.seq, hash=row.hash, digest=digest,
                                           prev_hash=row.prev_hash))
        # Numbered within the box (1, 2, 3...): the table's ids are shared by every box, so with
        # two boxes each one's ids have gaps that the audit would read as deleted checkpoints.
        views = [evidence.CheckpointView(id=number, created_at=c.created_at, count=c.count,
                                         head_hash=c.head_hash, key_id=c.key_id,
                                         signature=c.signature)
                 for number, c in enumerate(cps, start=1)]
        try:
            key: Any = _load_public_key(box.public_key)
        except ValidationError:
            key = None
        results.append((box.name, evidence.verify_rows(chain, views, key, from_start=True)))
    return results


def entry_dicts(session: Session, tz: str, filters: Any = None) -> list[dict[str, Any]]:
    """Receivers' entries as ``log list --json`` gives them, ``receiver`` naming the box.

    ``id``, ``prev_hash`` and ``hash`` are the box's own chain's; ``receiver_zone`` is the village
    where the box stands; ``filters`` is a :class:`broadcaster.reports.Filters` (dates are local
    days, both ends included; the zone is the box's village).
    """
    from broadcaster.reports.receiver_rows import select_receiver_entries

    out = []
    for airing in select_receiver_entries(session, filters, tz):
        shown = evidence.entry_dict(airing, tz)  # type: ignore[arg-type]
        shown["receiver"] = airing.receiver
        shown["receiver_zone"] = airing.receiver_zone
        out.append(shown)
    return out
