"""A village box's air-checks at the commune: received in chunks, verified, then kept.

Why the bytes are the box's own (no re-encoding on either side): the box signed an evidence entry
naming its air-check's SHA-256; the commune keeps the file only when the bytes it received hash
to exactly that, so the hash shown beside the player is the one in the box's signed chain. The
air-check is already Opus (32 kbit/s mono, 0.24 MB a minute), so compressing it again
would gain nothing over 4G and would break that identity.

Why HTTP and not MQTT: the box's bulky traffic already goes over HTTP with its own token
(programmes by hash with ``Range``, evidence in batches), the broker carries small notices whose
subscribers are the hub, and a box's ACL lets it write only its status topic. A chunk is at most
:data:`MAX_CHUNK_BYTES` (inside the panel's 1 MiB body limit); the commune says how many bytes it
holds, so a broken 4G link resumes where it stopped instead of sending the file again.

Where the file goes is the commune's choice, never the message's: under
``audio/aircheck/receivers/<box id>/<year>/<month>/<seq>-<hash>.opus`` (the station's air-check
area, so the retention ``station.aircheck_retention_days`` applies to them too), the partial upload
beside it in ``incoming/``. The entry is looked up by the authenticated box and its own number.

Every function takes a ``session`` and never commits; the caller owns the transaction.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from audio.audiofile import sha256_file
from broadcaster.config import Settings
from broadcaster.errors import BroadcasterError, NotFoundError, ValidationError
from broadcaster.models import Receiver, ReceiverEvidence, utcnow

logger = logging.getLogger(__name__)

#: The largest chunk the commune takes in one request (the box sends 256 KiB).
MAX_CHUNK_BYTES = 512 * 1024
#: Folder of the boxes' air-checks, inside the station's ``audio/aircheck``.
FOLDER = "receivers"
#: One writer at a time per process: two requests racing on one partial file would interleave.
_WRITING = threading.Lock()


class AircheckMismatch(BroadcasterError):
    """The bytes received do not hash to the air-check hash the box signed: nothing is kept."""


class WrongOffset(BroadcasterError):
    """A chunk that does not start where the commune's copy ends; ``received`` says where."""

    def __init__(self, message: str, received: int) -> None:
        super().__init__(message)
        self.received = received


def _entry(session: Session, box: Receiver, seq: int) -> ReceiverEvidence:
    row = session.scalar(select(ReceiverEvidence).where(ReceiverEvidence.receiver_id == box.id,
                                                        ReceiverEvidence.seq == seq))
    if row is None:
        raise NotFoundError(f"Xã chưa nhận mục nhật ký #{seq} của máy thu {box.name}: "
                            "gửi nhật ký trước, bản thu sau")
    if not row.aircheck_sha256:
        raise NotFoundError(f"Mục nhật ký #{seq} của máy thu {box.name} không có bản thu")
    return row


def _root(settings: Settings) -> Path:
    return settings.audio_dir / "aircheck" / FOLDER


def incoming_path(settings: Settings, box: Receiver, seq: int) -> Path:
    """The partial upload of entry ``seq`` (built from the box's id and the number only)."""
    return _root(settings) / str(box.id) / "incoming" / f"{int(seq)}.upload"


def kept_path(settings: Settings, box: Receiver, row: ReceiverEvidence) -> Path:
    when = row.scheduled_at or row.started_at or row.recorded_at or utcnow()
    sha = str(row.aircheck_sha256)
    return (_root(settings) / str(box.id) / f"{when:%Y}" / f"{when:%m}"
            / f"{int(row.seq)}-{sha[:16]}.opus")


def _kept(settings: Settings, row: ReceiverEvidence) -> bool:
    return bool(row.kept_aircheck_path) and (settings.home / str(row.kept_aircheck_path)).is_file()


def upload_state(session: Session, settings: Settings, box: Receiver, seq: int) -> dict[str, Any]:
    """What the commune holds of entry ``seq``'s air-check: ``received`` bytes, or ``kept``."""
    row = _entry(session, box, seq)
    kept = _kept(settings, row)
    part = incoming_path(settings, box, seq)
    received = 0 if kept or not part.exists() else part.stat().st_size
    return {"seq": int(seq), "sha256": row.aircheck_sha256, "received": received, "kept": kept}


def receive_chunk(session: Session, settings: Settings, box: Receiver, seq: int, *, start: int,
                  total: int, data: bytes, now: dt.datetime | None = None) -> dict[str, Any]:
    """Append one chunk; on the last, keep the file if it hashes to the signed air-check hash.

    Raises :class:`WrongOffset` when ``start`` is not where the commune's copy ends,
    :class:`AircheckMismatch` when the whole file does not match (the partial copy deleted, the
    refusal logged and noted on the entry: the caller commits that note), ValidationError for a
    chunk or a file beyond the limits.
    """
    now = now or utcnow()
    row = _entry(session, box, seq)
    if _kept(settings, row):
        return {"seq": int(seq), "sha256": row.aircheck_sha256, "received": 0, "kept": True}
    limit = int(float(settings.receivers.aircheck_max_mb) * 1024 * 1024)
    if total <= 0 or total > limit:
        raise ValidationError(f"Bản thu phải từ 1 byte đến {limit} byte (receivers.aircheck_max_mb); "
                              f"máy thu báo {total} byte")
    if len(data) > MAX_CHUNK_BYTES or start < 0 or start + len(data) > total or not data:
        raise ValidationError(f"Phần gửi lên không hợp lệ: từ byte {start}, {len(data)} byte, "
                              f"tổng {total} byte (mỗi phần tối đa {MAX_CHUNK_BYTES} byte)")
    part = incoming_path(settings, box, seq)
    with _WRITING:
        have = part.stat().st_size if part.exists() else 0
        if start != have:
            raise WrongOffset(f"Xã đang giữ {have} byte của bản thu #{seq}; hãy gửi tiếp từ byte đó",
                              have)
        part.parent.mkdir(parents=True, exist_ok=True)
        with open(part, "ab") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        received = have + len(data)
        if received < total:
            return {"seq": int(seq), "sha256": row.aircheck_sha256, "received": received, "kept": False}
        digest = sha256_file(part)
        if digest != row.aircheck_sha256:
            part.unlink(missing_ok=True)
            logger.warning("từ chối bản thu của máy thu %s, mục #%d: mã băm %s không khớp mã băm %s "
                           "máy thu đã ký trong nhật ký; không lưu", box.name, seq, digest,
                           row.aircheck_sha256)
            local = now.astimezone(ZoneInfo(str(settings.station.timezone)))
            row.aircheck_note = (f"Xã đã từ chối bản thu máy thu gửi lên lúc {local:%H:%M %d/%m/%Y}: "
                                 "các byte không khớp mã băm máy thu đã ký trong nhật ký")
            raise AircheckMismatch(
                f"Bản thu gửi lên không khớp mã băm trong mục nhật ký #{seq} đã ký "
                f"(nhận {digest[:12]}…, cần {str(row.aircheck_sha256)[:12]}…); xã không lưu")
        final = kept_path(settings, box, row)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, final)
    row.kept_aircheck_path = str(final.relative_to(settings.home))
    row.kept_aircheck_at = now
    row.aircheck_note = ""
    logger.info("đã nhận bản thu của máy thu %s, mục #%d (%d byte, mã băm khớp)", box.name, seq, total)
    return {"seq": int(seq), "sha256": row.aircheck_sha256, "received": 0, "kept": True}


def record_dropped(session: Session, settings: Settings, box: Receiver, seq: int, note: Any) -> None:
    """The box dropped this air-check (its queue was full): keep its reason, forget any part."""
    row = _entry(session, box, seq)
    if _kept(settings, row):
        return
    text = str(note or "").strip()[:500] or "Máy thu đã bỏ bản thu này trước khi gửi lên xã"
    row.aircheck_note = text
    incoming_path(settings, box, seq).unlink(missing_ok=True)
    logger.warning("máy thu %s báo đã bỏ bản thu của mục #%d: %s", box.name, seq, text)
