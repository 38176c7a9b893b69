"""The evidence log: one append-only, hash-chained entry per broadcast occurrence.

Each entry's content (every field, its own id included, times as UTC with microseconds) is
encoded canonically (sorted-key compact JSON, UTF-8) and hashed; the entry's hash is then
``SHA-256(prev_hash || content_sha256)``. Chaining the content *digest* rather than the raw content
means an export filtered by category or zone can still carry the digests of the entries it leaves
out, so the province (Sở VHTTDL tỉnh) can walk the whole chain up to a signed checkpoint with the public key alone.

There is no update or delete path here: a correction is a new entry whose ``corrects_id`` names
the entry it corrects. Verification names the first bad entry and what happened to it.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import math
from dataclasses import asdict, dataclass, field
from json.encoder import encode_basestring as _encode_str
from typing import Any, Iterable, Iterator, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import Text, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from broadcaster.errors import BroadcasterError, DuplicateError, NotFoundError, ValidationError
from broadcaster.keys import key_id as key_id_of
from broadcaster.labels import EVIDENCE_STATUS_LABELS
from broadcaster.models import EVIDENCE_STATUSES, PRIORITIES, Checkpoint, EvidenceEntry, utcnow

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
ENCODING_VERSION = "loa-xa/entry/v1"

# The fields hashed, in the order exports list them. ``id`` is part of the content so that
# swapping two rows' ids (reordering) breaks both hashes.
CONTENT_FIELDS: tuple[str, ...] = (
    "id",
    "occurrence_key",
    "slot_id",
    "title",
    "category",
    "campaign",
    "scheduled_at",
    "started_at",
    "ended_at",
    "status",
    "reason",
    "seconds_played",
    "priority",
    "zone",
    "output",
    "host",
    "items",
    "aircheck_sha256",
    "aircheck_path",
    "corrects_id",
    "recorded_at",
)
TIME_FIELDS = frozenset({"scheduled_at", "started_at", "ended_at", "recorded_at"})
INT_FIELDS = frozenset({"id", "slot_id", "corrects_id"})
NULLABLE_TEXT = frozenset({"occurrence_key", "aircheck_sha256", "aircheck_path"})
TEXT_FIELDS = frozenset(
    {"title", "category", "campaign", "status", "reason", "priority", "zone", "output", "host"}
)

STATUS_LABELS = EVIDENCE_STATUS_LABELS

_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


class ChainConflictError(BroadcasterError):
    """Another writer appended at the same moment; the caller rolls back and tries again."""


# --------------------------------------------------------------------------- canonical form


def utc_text(value: dt.datetime | None) -> str | None:
    """A UTC instant as fixed-width ISO text with microseconds: the only time form ever hashed."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime in evidence")
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_utc_text(value: str | None) -> dt.datetime | None:
    """Inverse of ``utc_text``; also accepts any ISO 8601 text with an offset (exports use local)."""
    if value is None or value == "":
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"thời điểm không có múi giờ: {value}")
    return parsed.astimezone(dt.timezone.utc)


def normalize_items(items: Iterable[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Items as JSON gives them back, so what is stored is exactly what was hashed."""
    normalized: list[dict[str, Any]] = json.loads(json.dumps(list(items or ()), ensure_ascii=False, allow_nan=False))
    return normalized


def items_text(items: Any) -> str:
    """The canonical JSON text of an entry's items: exactly the bytes its content hash covers.

    ``append_entry`` stores this text as the column's value, so the verifier can hash the stored
    text as it is instead of decoding and re-encoding it for every entry.
    """
    return _ENCODER.encode(items if items is not None else [])


def content_of(values: dict[str, Any]) -> dict[str, Any]:
    """The hashed content of an entry given as a mapping of field → Python value.

    Strict on purpose: NULL and "" differ, so even a cosmetic raw-SQL edit breaks the hash.
    """
    out: dict[str, Any] = {}
    for name in CONTENT_FIELDS:
        value = values.get(name)
        if name in TIME_FIELDS:
            value = utc_text(value)
        elif name == "seconds_played":
            value = float(value or 0.0)
        elif name in INT_FIELDS:
            value = None if value is None else int(value)
        elif name in NULLABLE_TEXT:
            value = None if value is None else str(value)
        elif name == "items":
            value = value if value is not None else []
        else:
            value = "" if value is None else str(value)
        out[name] = value
    return out


def content_bytes(values: dict[str, Any]) -> bytes:
    return (ENCODING_VERSION + "\n" + _ENCODER.encode(content_of(values))).encode("utf-8")


def content_digest(values: dict[str, Any]) -> str:
    return hashlib.sha256(content_bytes(values)).hexdigest()


def link_hash(prev_hash: str, digest: str) -> str:
    """The chain step: the entry's hash binds its content digest to the previous entry's hash."""
    return hashlib.sha256(f"{prev_hash}\n{digest}".encode("ascii")).hexdigest()


def entry_values(entry: EvidenceEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in CONTENT_FIELDS}


# --------------------------------------------------------------------------- appending


def lock_for_append(session: Session) -> None:
    """Serialise appends: on SQLite take the write lock before reading the head.

    pysqlite only opens a transaction before a write, so when none is open yet we open it with
    ``BEGIN IMMEDIATE`` (waits for other writers up to the busy timeout). When one is open, a write
    already happened in it and the lock is held. PostgreSQL gets a transaction-scoped advisory lock.
    """
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7302201)")


def head(session: Session) -> tuple[int, str]:
    """(number of the last entry, its hash); (0, zeros) for an empty log."""
    row = session.execute(
        select(EvidenceEntry.id, EvidenceEntry.hash).order_by(EvidenceEntry.id.desc()).limit(1)
    ).first()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def has_entry(session: Session, occurrence_key: str) -> bool:
    """True when this occurrence already left its one entry (the station never plays it twice)."""
    return (
        session.execute(
            select(EvidenceEntry.id).where(EvidenceEntry.occurrence_key == occurrence_key).limit(1)
        ).first()
        is not None
    )


def append_entry(
    session: Session,
    *,
    occurrence_key: str | None,
    status: str,
    scheduled_at: dt.datetime | None,
    started_at: dt.datetime | None,
    ended_at: dt.datetime | None,
    reason: str = "",
    seconds_played: float = 0.0,
    title: str = "",
    category: str = "",
    campaign: str = "",
    priority: str = "normal",
    zone: str = "",
    output: str = "",
    host: str = "",
    items: Sequence[dict[str, Any]] = (),
    slot_id: int | None = None,
    aircheck_sha256: str | None = None,
    aircheck_path: str | None = None,
    corrects_id: int | None = None,
    now: dt.datetime | None = None,
) -> EvidenceEntry:
    """Append one entry at the head of the chain and flush it; the caller commits.

    Raises ``DuplicateError`` when the occurrence already has its entry, ``ValidationError`` for
    a bad status or time, ``ChainConflictError`` if another writer won a race (roll back, retry).
    """
    if status not in EVIDENCE_STATUSES:
        raise ValidationError(
            f"Trạng thái nhật ký không hợp lệ: {status!r} (chỉ nhận {', '.join(EVIDENCE_STATUSES)})"
        )
    if priority not in PRIORITIES:
        raise ValidationError(f"Mức ưu tiên không hợp lệ: {priority!r}")
    for name, value in (("scheduled_at", scheduled_at), ("started_at", started_at), ("ended_at", ended_at), ("now", now)):
        if value is not None and value.tzinfo is None:
            raise ValidationError(f"Thời điểm {name} thiếu múi giờ")
    seconds = float(seconds_played or 0.0)
    if math.isnan(seconds) or math.isinf(seconds) or seconds < 0:
        raise ValidationError(f"Số giây đã phát không hợp lệ: {seconds_played!r}")
    lock_for_append(session)
    if occurrence_key and has_entry(session, occurrence_key):
        raise DuplicateError(f"Lượt phát {occurrence_key} đã có mục trong nhật ký")
    if corrects_id is not None and session.get(EvidenceEntry, corrects_id) is None:
        raise NotFoundError(f"Không có mục nhật ký #{corrects_id} để đính chính")
    last_id, prev_hash = head(session)
    recorded = (now or utcnow()).astimezone(dt.timezone.utc)
    values: dict[str, Any] = {
        "id": last_id + 1,
        "occurrence_key": occurrence_key or None,
        "slot_id": slot_id,
        "title": title or "",
        "category": category or "",
        "campaign": campaign or "",
        "scheduled_at": scheduled_at,
        "started_at": started_at,
        "ended_at": ended_at,
        "status": status,
        "reason": reason or "",
        "seconds_played": seconds,
        "priority": priority,
        "zone": zone or "",
        "output": output or "",
        "host": host or "",
        "items": normalize_items(items),
        "aircheck_sha256": aircheck_sha256 or None,
        "aircheck_path": aircheck_path or None,
        "corrects_id": corrects_id,
        "recorded_at": recorded,
    }
    entry_hash = link_hash(prev_hash, content_digest(values))
    # The items go in as their canonical text (the column would otherwise hold json.dumps' form,
    # ASCII-escaped with spaces), so verifying hashes the stored text without re-encoding it.
    items = values["items"]
    values["items"] = literal(items_text(items), Text())
    entry = EvidenceEntry(**values, prev_hash=prev_hash, hash=entry_hash)
    session.add(entry)
    try:
        session.flush()
        set_committed_value(entry, "items", items)  # the Python value of the text just stored
    except IntegrityError as exc:
        session.expunge(entry)
        if occurrence_key and "occurrence_key" in str(exc.orig):
            raise DuplicateError(f"Lượt phát {occurrence_key} đã có mục trong nhật ký") from None
        raise ChainConflictError(
            "Một tiến trình khác vừa ghi nhật ký cùng lúc; hãy hủy giao dịch và ghi lại"
        ) from None
    logger.info("đã ghi nhật ký mục #%d (%s) %s", entry.id, STATUS_LABELS.get(status, status),
                occurrence_key or "")
    return entry


def correct_entry(
    session: Session,
    entry_id: int,
    *,
    reason: str,
    status: str | None = None,
    seconds_played: float | None = None,
    now: dt.datetime | None = None,
) -> EvidenceEntry:
    """Append a correction of entry ``entry_id``: its facts, amended, and the reason for the change."""
    if not reason.strip():
        raise ValidationError("Cần ghi lý do đính chính")
    original = session.get(EvidenceEntry, entry_id)
    if original is None:
        raise NotFoundError(f"Không có mục nhật ký #{entry_id}")
    return append_entry(
        session,
        occurrence_key=None,
        status=status or original.status,
        scheduled_at=original.scheduled_at,
        started_at=original.started_at,
        ended_at=original.ended_at,
        reason=f"Đính chính mục #{entry_id}: {reason.strip()}",
        seconds_played=original.seconds_played if seconds_played is None else seconds_played,
        title=original.title,
        category=original.category,
        campaign=original.campaign,
        priority=original.priority,
        zone=original.zone,
        output=original.output,
        host=original.host,
        items=original.items,
        slot_id=original.slot_id,
        aircheck_sha256=original.aircheck_sha256,
        aircheck_path=original.aircheck_path,
        corrects_id=entry_id,
        now=now,
    )


# --------------------------------------------------------------------------- presenting


def _local_iso(value: dt.datetime | None, zone: ZoneInfo) -> str | None:
    return None if value is None else value.astimezone(zone).isoformat()


def entry_dict(entry: EvidenceEntry, tz: str) -> dict[str, Any]:
    """An entry as ``log list --json`` gives it (INTERFACE.md): times ISO 8601 in the station zone."""
    zone = ZoneInfo(tz)
    return {
        "id": entry.id,
        "occurrence": entry.occurrence_key,
        "scheduled_at": _local_iso(entry.scheduled_at, zone),
        "started_at": _local_iso(entry.started_at, zone),
        "ended_at": _local_iso(entry.ended_at, zone),
        "status": entry.status,
        "reason": entry.reason,
        "seconds_played": entry.seconds_played,
        "priority": entry.priority,
        "zone": entry.zone,
        "output": entry.output,
        "items": entry.items,
        "aircheck_sha256": entry.aircheck_sha256,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "receiver": None,  # the commune's own outputs; receivers' entries name their box
    }


def full_record(entry: EvidenceEntry, tz: str) -> dict[str, Any]:
    """``entry_dict`` plus every other hashed field: what an export needs to recompute the hash."""
    zone = ZoneInfo(tz)
    record = entry_dict(entry, tz)
    record.update(
        slot_id=entry.slot_id,
        title=entry.title,
        category=entry.category,
        campaign=entry.campaign,
        host=entry.host,
        aircheck_path=entry.aircheck_path,
        corrects_id=entry.corrects_id,
        recorded_at=_local_iso(entry.recorded_at, zone),
    )
    return record


def item_seconds(item: Any) -> float:
    """The length in seconds of one item an airing played; 0 when the item holds none to read.

    An entry keeps its items exactly as they were written and hashed (the station's own, and
    those a village box uploads under its signature), so a reader must not assume their shape:
    a report that sums minutes must still be made when one item's length is missing or garbled.
    """
    value = item.get("seconds") if isinstance(item, dict) else None
    if isinstance(value, bool):
        return 0.0
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0


def values_from_record(record: dict[str, Any]) -> dict[str, Any]:
    """The hashed values of an exported record (``full_record`` shape; times with any offset).

    Empty cells (CSV) mean NULL for the nullable fields; ``append_entry`` never stores "" there.
    """
    values: dict[str, Any] = {}
    for name in CONTENT_FIELDS:
        key = "occurrence" if name == "occurrence_key" else name
        value = record.get(key)
        if name in TIME_FIELDS or name in INT_FIELDS or name in NULLABLE_TEXT:
            value = None if value in (None, "") else value
        if name in TIME_FIELDS and isinstance(value, str):
            value = parse_utc_text(value)
        elif name in INT_FIELDS and value is not None:
            value = int(value)
        elif name == "seconds_played" and isinstance(value, str):
            value = float(value)
        elif name == "items" and isinstance(value, str):
            value = json.loads(value) if value else []
        values[name] = value
    return values


# --------------------------------------------------------------------------- verifying


@dataclass(slots=True)
class ChainRow:
    """One link as a verifier sees it: content digest known, prev_hash known when the row was given."""

    id: int
    hash: str
    digest: str
    prev_hash: str | None = None
    full: bool = True


@dataclass
class CheckpointView:
    id: int
    created_at: dt.datetime
    count: int
    head_hash: str
    key_id: str
    signature: str
    prev_hash: str | None = None  # the previous checkpoint's hash; None on a v1 checkpoint

    @property
    def text(self) -> str:
        return checkpoint_text(self.count, self.head_hash, self.created_at,
                               checkpoint_id=self.id, prev_hash=self.prev_hash)

    @property
    def hash(self) -> str:
        """The checkpoint's own hash: what the next checkpoint signs as its ``prev_hash``."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "created_at": utc_text(self.created_at), "count": self.count,
                "head_hash": self.head_hash, "prev_hash": self.prev_hash, "hash": self.hash,
                "key_id": self.key_id, "signature": self.signature}


@dataclass
class VerifyResult:
    ok: bool
    count: int
    head_hash: str
    first_bad_id: int | None = None
    message: str = ""
    problem: str | None = None  # edited | deleted | reordered | truncated | forged_checkpoint | ...
    bad_checkpoint_id: int | None = None
    checkpoints_checked: int = 0
    anchored_upto: int = 0  # entries up to this id are covered by a valid signed checkpoint
    notes: list[str] = field(default_factory=list)
    # The newest valid checkpoint (id, count, head_hash, hash...): compare it with a copy kept
    # elsewhere (a filed report, an export) to expose a rewrite of everything after it.
    newest_checkpoint: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fail(result: VerifyResult, problem: str, message: str, entry_id: int | None = None,
          checkpoint_id: int | None = None) -> VerifyResult:
    result.ok = False
    result.problem = problem
    result.message = message
    result.first_bad_id = entry_id
    result.bad_checkpoint_id = checkpoint_id
    return result


CHECKPOINT_V2 = "loa-xa/checkpoint/v2"


def checkpoint_text(count: int, head_hash: str, created_at: dt.datetime, *,
                    checkpoint_id: int | None = None, prev_hash: str | None = None) -> str:
    """What a checkpoint's signature covers, like a transparency log's checkpoint note.

    v2 (every checkpoint since checkpoints were chained) also signs the checkpoint's own number
    and the previous checkpoint's hash, so deleting or renumbering a signed checkpoint breaks the
    next one. v1 (``prev_hash`` None) is how older checkpoints were signed; they still verify.
    """
    if prev_hash is None:
        return f"loa-xa/v1\n{count}\n{head_hash}\n{utc_text(created_at)}\n"
    if checkpoint_id is None:
        raise ValueError("a v2 checkpoint signs its own number")
    return f"{CHECKPOINT_V2}\n{checkpoint_id}\n{count}\n{head_hash}\n{utc_text(created_at)}\n{prev_hash}\n"


def verify_rows(
    rows: Sequence[ChainRow],
    checkpoints: Sequence[CheckpointView],
    public_key: Any,
    *,
    from_start: bool = True,
    claimed_count: int | None = None,
) -> VerifyResult:
    """Walk the chain and the checkpoints; stop at the first problem and name it in Vietnamese.

    ``rows`` are sorted by id. ``from_start`` says the rows begin at entry 1 (the database, a full
    export); otherwise the first row's prev_hash is taken as given and only later links are checked.
    ``claimed_count`` is how many entries the source says the log had (an export's trailer).
    """
    count = len(rows)
    result = VerifyResult(ok=True, count=count, head_hash=rows[-1].hash if rows else GENESIS)
    prev_id = 0 if from_start else (rows[0].id - 1 if rows else 0)
    prev_hash = GENESIS if from_start else (rows[0].prev_hash or GENESIS if rows else GENESIS)
    if not from_start and rows and rows[0].prev_hash is None:
        return _fail(result, "malformed", "Bản xuất thiếu mã băm trước của mục đầu tiên", rows[0].id)
    for index, row in enumerate(rows):
        if row.id != prev_id + 1:
            if row.id <= prev_id:
                return _fail(result, "reordered", f"Mục #{row.id} xuất hiện sai thứ tự (sau mục #{prev_id})", row.id)
            missing = f"#{prev_id + 1}" if row.id == prev_id + 2 else f"#{prev_id + 1} đến #{row.id - 1}"
            return _fail(
                result, "deleted",
                f"Nhật ký bị xóa mục: thiếu mục {missing} (mục #{row.id} không nối tiếp mục #{prev_id})",
                prev_id + 1,
            )
        if row.prev_hash is not None and row.prev_hash != prev_hash:
            known = {r.hash: r.id for r in rows}
            if row.prev_hash in known:
                return _fail(
                    result, "reordered",
                    f"Nhật ký bị đảo thứ tự: mục #{row.id} nối tiếp mục #{known[row.prev_hash]} "
                    f"chứ không phải mục #{prev_id}",
                    row.id,
                )
            return _fail(
                result, "edited",
                f"Mục #{row.id} đã bị sửa: mã băm trước (prev_hash) không khớp với mục #{prev_id}",
                row.id,
            )
        expected = link_hash(prev_hash, row.digest)
        if expected != row.hash:
            following = rows[index + 1] if index + 1 < len(rows) else None
            if row.full and following is not None and following.prev_hash == expected:
                message = f"Mục #{row.id} đã bị sửa: mã băm lưu trong mục bị thay đổi"
            elif row.full:
                message = f"Mục #{row.id} đã bị sửa: nội dung không còn khớp với mã băm của nó"
            else:
                message = f"Mã băm của mục #{row.id} (không kèm nội dung) không khớp với chuỗi"
            return _fail(result, "edited", message, row.id)
        prev_id, prev_hash = row.id, row.hash

    last_id = prev_id
    if claimed_count is not None and rows and claimed_count < last_id:
        return _fail(result, "malformed", f"Bản xuất ghi {claimed_count} mục nhưng chứa đến mục #{last_id}", last_id)
    total = claimed_count if claimed_count is not None else (last_id if from_start else None)
    return _check_checkpoints(result, checkpoints, public_key, {row.id: row.hash for row in rows},
                              total=total, from_start=from_start)


def _check_checkpoints(
    result: VerifyResult,
    checkpoints: Sequence[CheckpointView],
    public_key: Any,
    hash_at: dict[int, str],
    *,
    total: int | None,
    from_start: bool,
) -> VerifyResult:
    """Check every checkpoint's signature and that the chain still reaches and matches it.

    ``hash_at`` maps entry ids to their (already chain-checked) hashes; it needs at least the ids
    that checkpoints name. ``total`` is how many entries the log has, when that is known.
    """
    expected_key_id = key_id_of(public_key) if public_key is not None else None
    previous_count = 0
    previous: CheckpointView | None = None
    for cp in checkpoints:
        if public_key is None:
            result.notes.append("Không có khóa công khai: không kiểm được chữ ký điểm kiểm")
            break
        broken = _checkpoint_link_problem(previous, cp)
        if broken is not None:
            first_unproven = (previous.count if previous is not None else 0) + 1
            return _fail(result, "checkpoint_deleted", broken, first_unproven, cp.id)
        if cp.key_id != expected_key_id:
            return _fail(
                result, "forged_checkpoint",
                f"Điểm kiểm #{cp.id} được ký bằng khóa khác ({cp.key_id}), không phải khóa của đài ({expected_key_id})",
                None, cp.id,
            )
        try:
            public_key.verify(base64.b64decode(cp.signature, validate=True), cp.text.encode("utf-8"))
        except Exception:  # noqa: BLE001 - InvalidSignature or a malformed signature: both forged
            return _fail(
                result, "forged_checkpoint",
                f"Điểm kiểm #{cp.id} giả mạo: chữ ký không hợp lệ với khóa công khai của đài",
                None, cp.id,
            )
        result.checkpoints_checked += 1
        previous = cp
        result.newest_checkpoint = cp.as_dict()
        if cp.count < previous_count:
            return _fail(result, "truncated",
                         f"Điểm kiểm #{cp.id} ghi {cp.count} mục, ít hơn điểm kiểm trước ({previous_count})",
                         cp.count + 1, cp.id)
        previous_count = cp.count
        if total is not None and cp.count > total:
            return _fail(
                result, "truncated",
                f"Nhật ký bị cắt: điểm kiểm #{cp.id} đã ký {cp.count} mục nhưng chỉ còn {total}; "
                f"mất từ mục #{total + 1}",
                total + 1, cp.id,
            )
        if cp.count == 0:
            if cp.head_hash != GENESIS:
                return _fail(result, "forged_checkpoint", f"Điểm kiểm #{cp.id} của nhật ký rỗng có mã băm lạ", None, cp.id)
            continue
        if cp.count in hash_at:
            if hash_at[cp.count] != cp.head_hash:
                return _fail(
                    result, "edited",
                    f"Mục #{cp.count} không khớp điểm kiểm #{cp.id} đã ký: chuỗi đã bị tính lại sau khi sửa",
                    cp.count, cp.id,
                )
            result.anchored_upto = max(result.anchored_upto, cp.count)
        elif from_start:
            continue
        else:
            result.notes.append(f"Điểm kiểm #{cp.id} (mục #{cp.count}) nằm ngoài phần chuỗi có trong bản xuất")
    result.message = (
        f"Nhật ký nguyên vẹn: {result.count} mục, {result.checkpoints_checked} điểm kiểm hợp lệ, "
        f"mã băm đầu chuỗi {result.head_hash}"
    )
    return result


def _checkpoint_link_problem(previous: CheckpointView | None, cp: CheckpointView) -> str | None:
    """Why ``cp`` does not follow ``previous`` in the checkpoint chain (None when it does).

    Numbers run 1, 2, 3... and every v2 checkpoint signs its predecessor's hash: a deleted
    checkpoint leaves a gap in the numbers, a renumbered one breaks the signed link. v1
    checkpoints (signed before the chain existed) may only come before the first v2 one.
    """
    expected_id = previous.id + 1 if previous is not None else 1
    if cp.id != expected_id:
        missing = f"#{expected_id}" if cp.id == expected_id + 1 else f"#{expected_id} đến #{cp.id - 1}"
        if cp.id < expected_id:
            return f"Điểm kiểm #{cp.id} xuất hiện sai thứ tự (sau điểm kiểm #{expected_id - 1})"
        return (f"Thiếu điểm kiểm {missing} đã ký: điểm kiểm bị xóa, các mục sau điểm kiểm "
                f"#{expected_id - 1} có thể đã bị viết lại")
    if cp.prev_hash is None:
        if previous is not None and previous.prev_hash is not None:
            return f"Điểm kiểm #{cp.id} dùng mẫu cũ (v1) sau một điểm kiểm mẫu mới: không hợp lệ"
        return None
    wanted = previous.hash if previous is not None else GENESIS
    if cp.prev_hash != wanted:
        return (f"Điểm kiểm #{cp.id} không nối tiếp điểm kiểm #{expected_id - 1}: đã có điểm kiểm "
                f"bị xóa hoặc thay thế")
    return None


_BAD_DIGEST = "!" * 64  # content that cannot even be encoded: never matches a real hash
_SELECT_COLUMNS = ", ".join(CONTENT_FIELDS + ("prev_hash", "hash"))
_SORTED_TEMPLATE = (
    '{"aircheck_path":%s,"aircheck_sha256":%s,"campaign":%s,"category":%s,"corrects_id":%s,'
    '"ended_at":%s,"host":%s,"id":%s,"items":%s,"occurrence_key":%s,"output":%s,"priority":%s,'
    '"reason":%s,"recorded_at":%s,"scheduled_at":%s,"seconds_played":%s,"slot_id":%s,'
    '"started_at":%s,"status":%s,"title":%s,"zone":%s}'
)


def _qt(value: Any) -> str:
    """SQLite's stored UTC text ('YYYY-MM-DD HH:MM:SS.ffffff') straight to the canonical form."""
    if value is None:
        return "null"
    if len(value) == 26 and value[10] == " " and value[19] == ".":
        return f'"{value[:10]}T{value[11:]}Z"'
    return f'"{utc_text(dt.datetime.fromisoformat(value).replace(tzinfo=dt.timezone.utc))}"'


def _rows(cursor: Any) -> Iterator[tuple[Any, ...]]:
    """A DB-API cursor's rows, as sqlite3 yields them when iterated (PEP 249 leaves iteration
    optional, so SQLAlchemy's cursor type does not promise it)."""
    return iter(cursor)


def _sqlite_links(
    session: Session, min_id: int, max_id: int | None
) -> Iterator[tuple[int, str, str, str, bool]]:
    """The fast path for SQLite: (id, prev_hash, hash, content digest, linked) from raw rows.

    ``linked`` says the stored hash is ``link_hash(stored prev_hash, digest)``; the caller still
    checks that the stored prev_hash is the previous entry's hash.

    The canonical JSON is assembled with a template and the C string encoder, byte for byte what
    ``content_bytes`` gives (a test holds them equal). The items column is first hashed as stored:
    ``append_entry`` stores their canonical text. That is sound because every other value in the
    template is self-delimiting (a JSON string from the encoder, ``null``, a number, or a
    fixed-width time), so when these bytes hash to the stored link, each field is what was hashed
    and the stored items text is the canonical text of the hashed items. When it does not match
    (entries written before the items were stored canonically, or an edit) the items are decoded
    and re-encoded; when neither matches, the re-encoded digest is the one given, as before.
    """
    raw = session.connection().connection.dbapi_connection
    assert raw is not None, "an open session holds a live DB-API connection"
    cursor = raw.cursor()
    if max_id is None:
        cursor.execute(f"SELECT {_SELECT_COLUMNS} FROM evidence WHERE id >= ? ORDER BY id", (min_id,))
    else:
        cursor.execute(f"SELECT {_SELECT_COLUMNS} FROM evidence WHERE id >= ? AND id <= ? ORDER BY id",
                       (min_id, max_id))
    prefix = (ENCODING_VERSION + "\n").encode("utf-8")
    sha256 = hashlib.sha256
    encode, loads, enc, qt, template = _ENCODER.encode, json.loads, _encode_str, _qt, _SORTED_TEMPLATE
    legacy = False  # True while entries store items in json.dumps' form (written before canonical text)
    try:
        for (id_, occ, slot, title, cat, camp, sched, start, end, status, reason, secs, prio, zone,
             output, host, items, air_sha, air_path, corr, rec, prev, hash_) in _rows(cursor):
            # Inlined on purpose (this loop runs once per entry): NOT NULL text goes straight to
            # the C string encoder; a non-text value planted by raw SQL raises and marks the row bad.
            try:
                fields = [
                    "null" if air_path is None else enc(air_path),
                    "null" if air_sha is None else enc(air_sha),
                    enc(camp), enc(cat), "null" if corr is None else int(corr), qt(end), enc(host), int(id_),
                    "[]" if items is None else encode(loads(items)) if legacy else items,
                    "null" if occ is None else enc(occ), enc(output), enc(prio), enc(reason), qt(rec),
                    qt(sched), float.__repr__(secs), "null" if slot is None else int(slot), qt(start),
                    enc(status), enc(title), enc(zone),
                ]
                if fields[8].__class__ is not str:
                    raise TypeError("items is not text")
                digest = sha256(prefix + (template % tuple(fields)).encode("utf-8")).hexdigest()
                linked = sha256(f"{prev}\n{digest}".encode("ascii")).hexdigest() == hash_
                if not linked and items is not None:
                    # Try the other form; entries come in long runs written by one version, so
                    # the form that matched is tried first on the next entry.
                    first = digest
                    fields[8] = items if legacy else encode(loads(items))
                    digest = sha256(prefix + (template % tuple(fields)).encode("utf-8")).hexdigest()
                    linked = sha256(f"{prev}\n{digest}".encode("ascii")).hexdigest() == hash_
                    if linked:
                        legacy = not legacy
                    elif legacy:
                        digest = first  # neither matches: give the re-encoded digest, as before
            except (ValueError, TypeError, AttributeError, UnicodeEncodeError):
                digest, linked = _BAD_DIGEST, False
            yield id_, prev, hash_, digest, linked
    finally:
        cursor.close()


def iter_chain_rows(
    session: Session, *, min_id: int = 0, max_id: int | None = None, batch: int = 20000
) -> Iterator[ChainRow]:
    """Entries by id (all, or ``min_id``..``max_id``) reduced to links, digests from stored content."""
    if session.connection().dialect.name == "sqlite":
        for id_, prev, hash_, digest, _linked in _sqlite_links(session, min_id, max_id):
            yield ChainRow(id=id_, hash=hash_, digest=digest, prev_hash=prev)
        return
    table = EvidenceEntry.__table__
    columns = [table.c[name] for name in CONTENT_FIELDS] + [table.c.prev_hash, table.c.hash]
    query = select(*columns).where(table.c.id >= min_id).order_by(table.c.id)
    if max_id is not None:
        query = query.where(table.c.id <= max_id)
    result = session.execute(query.execution_options(yield_per=batch))
    for row in result:
        values = dict(zip(CONTENT_FIELDS, row[:-2], strict=True))
        try:
            digest = content_digest(values)
        except (ValueError, TypeError, AttributeError):
            digest = _BAD_DIGEST
        yield ChainRow(id=row.id, hash=row.hash, digest=digest, prev_hash=row.prev_hash)


def _walk_intact(session: Session, wanted: set[int]) -> tuple[int, str, dict[int, str]] | None:
    """One pass over an intact SQLite chain: (count, head hash, hashes of ``wanted`` ids).

    Returns None at the first link that does not hold; the caller then runs the general
    ``verify_rows``, which names the problem. Keeping no per-entry objects is what makes this pass
    cheap enough for 100,000 entries in well under a second.
    """
    expected_id, running = 1, GENESIS
    hash_at: dict[int, str] = {}
    for id_, prev, hash_, _digest, linked in _sqlite_links(session, 0, None):
        if not linked or id_ != expected_id or prev != running:
            return None
        if id_ in wanted:
            hash_at[id_] = hash_
        expected_id, running = id_ + 1, hash_
    return expected_id - 1, running, hash_at


def load_checkpoints(session: Session) -> list[CheckpointView]:
    rows = session.execute(select(Checkpoint).order_by(Checkpoint.id)).scalars()
    return [
        CheckpointView(id=c.id, created_at=c.created_at, count=c.count, head_hash=c.head_hash,
                       key_id=c.key_id, signature=c.signature, prev_hash=c.prev_hash)
        for c in rows
    ]


def verify_chain(session: Session, public_key: Any) -> VerifyResult:
    """Recompute the whole chain and check every checkpoint's signature against ``public_key``."""
    checkpoints = load_checkpoints(session)
    if session.connection().dialect.name == "sqlite":
        walked = _walk_intact(session, {cp.count for cp in checkpoints})
        if walked is not None:
            count, head_hash, hash_at = walked
            result = VerifyResult(ok=True, count=count, head_hash=head_hash)
            return _check_checkpoints(result, checkpoints, public_key, hash_at, total=count, from_start=True)
    rows = list(iter_chain_rows(session))
    return verify_rows(rows, checkpoints, public_key, from_start=True)
