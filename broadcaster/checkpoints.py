"""Signed checkpoints of the evidence log: count, head hash, time and the previous checkpoint.

A checkpoint is what makes truncation and wholesale rewriting detectable: anyone holding only the
public key can check that the log still has at least ``count`` entries and that entry ``count``
still hashes to ``head_hash``. Each checkpoint also signs its own number and the previous
checkpoint's hash, so the checkpoints form a chain of their own: one deleted from the middle
leaves a gap. The newest ones can only be missed by comparing with a copy kept elsewhere, so each
new checkpoint is also appended, once committed, to the witness file beside the station key (a
database writer without the key's folder cannot rewrite it), and every export and report prints
the newest one. The station makes one per local day it runs; ``log checkpoint`` makes one now.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from broadcaster.errors import ValidationError
from broadcaster.evidence import (
    GENESIS,
    CheckpointView,
    head,
    lock_for_append,
    parse_utc_text,
)
from broadcaster.keys import key_id, load_private_key
from broadcaster.local_days import day_bounds
from broadcaster.models import Checkpoint, utcnow

logger = logging.getLogger(__name__)

WITNESS_FORMAT = "loa-xa-checkpoint-witness/v1"


def view_of(checkpoint: Checkpoint) -> CheckpointView:
    return CheckpointView(id=checkpoint.id, created_at=checkpoint.created_at, count=checkpoint.count,
                          head_hash=checkpoint.head_hash, key_id=checkpoint.key_id,
                          signature=checkpoint.signature, prev_hash=checkpoint.prev_hash)


def make_checkpoint(session: Session, private_key: Any, now: dt.datetime | None = None, *,
                    witness: Path | None = None) -> Checkpoint:
    """Sign the current head, chained to the newest checkpoint, and store it (flushed).

    The caller commits. The number is the previous one plus one, taken under the evidence log's
    write lock (a database sequence may skip numbers on a rollback, which would look like a
    deleted checkpoint). With ``witness``, the checkpoint is appended to that file once the
    transaction commits, never for a rolled-back one.
    """
    created = (now or utcnow()).astimezone(dt.timezone.utc)
    lock_for_append(session)
    previous = latest_checkpoint(session)
    count, head_hash = head(session)
    draft = CheckpointView(
        id=(previous.id + 1) if previous is not None else 1, created_at=created, count=count,
        head_hash=head_hash, key_id=key_id(private_key.public_key()), signature="",
        prev_hash=view_of(previous).hash if previous is not None else GENESIS,
    )
    draft.signature = base64.b64encode(private_key.sign(draft.text.encode("utf-8"))).decode("ascii")
    checkpoint = Checkpoint(id=draft.id, created_at=created, count=count, head_hash=head_hash,
                            key_id=draft.key_id, signature=draft.signature, prev_hash=draft.prev_hash)
    session.add(checkpoint)
    session.flush()
    if witness is not None:
        _witness_after_commit(session, witness, draft)
    logger.info("điểm kiểm #%d: %d mục, mã băm cuối %s", checkpoint.id, count, head_hash)
    return checkpoint


def _witness_after_commit(session: Session, path: Path, view: CheckpointView) -> None:
    """Append ``view`` to the witness file when the session commits; forget it on a rollback."""
    line = json.dumps({"format": WITNESS_FORMAT, **view.as_dict()}, ensure_ascii=False) + "\n"
    pending: list[tuple[Path, str, int]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _write_pending)
        event.listen(session, "after_rollback", _drop_pending)
    pending.append((path, line, view.id))


_PENDING = "loaxa_pending_witness"


def _write_pending(session: Session) -> None:
    pending = session.info.get(_PENDING) or []
    while pending:
        path, line, checkpoint_id = pending.pop(0)
        try:
            append_witness_line(path, line)
        except OSError as exc:  # the checkpoint is in the database; only the extra copy is missing
            logger.error("không ghi được bản sao điểm kiểm #%d vào %s: %s", checkpoint_id, path, exc)


def _drop_pending(session: Session) -> None:
    (session.info.get(_PENDING) or []).clear()


def append_witness_line(path: Path, line: str) -> None:
    """One ``write`` on an O_APPEND descriptor, synced: two writers never interleave a line."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_witness(path: Path) -> list[CheckpointView]:
    """The checkpoints a witness file holds, oldest first (a torn last line is skipped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"Không đọc được bản sao điểm kiểm {path}: {exc}") from None
    views: list[CheckpointView] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if record.get("format") != WITNESS_FORMAT:
                raise ValueError("format")
            views.append(view_from_record(record))
        except (ValueError, TypeError, KeyError, AttributeError):
            if number == len(lines):
                logger.warning("bỏ qua dòng cuối bị dở trong %s", path)
                continue
            raise ValidationError(f"Dòng {number} của {path} không phải một điểm kiểm") from None
    return views


def view_from_record(record: dict[str, Any]) -> CheckpointView:
    """A checkpoint as exports and the witness file write it (``CheckpointView.as_dict``)."""
    created = parse_utc_text(str(record["created_at"]))
    if created is None:
        raise ValueError("created_at")
    return CheckpointView(id=int(record["id"]), created_at=created, count=int(record["count"]),
                          head_hash=str(record["head_hash"]), key_id=str(record["key_id"]),
                          signature=str(record["signature"]),
                          prev_hash=None if record.get("prev_hash") in (None, "") else str(record["prev_hash"]))


def latest_checkpoint(session: Session) -> Checkpoint | None:
    return session.execute(select(Checkpoint).order_by(Checkpoint.id.desc()).limit(1)).scalars().first()


def ensure_daily_checkpoint(session: Session, settings: Any, now: dt.datetime | None = None) -> Checkpoint | None:
    """Make today's checkpoint unless one exists for this local day; returns the new one or None.

    Called by the station on its heartbeat and by every command that writes an entry, so each
    local day with entries has its signed checkpoint (``log verify`` flags a day without one).
    """
    now = (now or utcnow()).astimezone(dt.timezone.utc)
    zone = ZoneInfo(settings.station.timezone)
    local_day = now.astimezone(zone).date()
    start, end = day_bounds(local_day, zone)
    existing = session.execute(
        select(Checkpoint.id).where(Checkpoint.created_at >= start, Checkpoint.created_at < end).limit(1)
    ).first()
    if existing is not None:
        return None
    return make_checkpoint(session, load_private_key(settings.key_path), now,
                           witness=settings.checkpoint_witness_path)


def proof_line(session: Session, tz: str) -> str:
    """The newest checkpoint as every report prints it, so a filed copy can expose a later rewrite.

    ``broadcaster log verify --checkpoint SỐ:MÃ_BĂM`` checks the station's log against it; the
    signing time is the commune's clock time (``tz``), as every time a reader sees.
    """
    newest = latest_checkpoint(session)
    if newest is None:
        return "Điểm kiểm đã ký: chưa có (chạy: broadcaster log checkpoint)"
    view = view_of(newest)
    signed_at = view.created_at.astimezone(ZoneInfo(tz))
    return (f"Điểm kiểm đã ký mới nhất #{view.id} ({view.count} mục, ký lúc "
            f"{signed_at:%H:%M:%S ngày %d/%m/%Y}), mã đối chiếu {view.id}:{view.hash}")
