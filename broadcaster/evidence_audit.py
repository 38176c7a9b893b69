"""The whole audit of the evidence log: the chain and its checkpoints, the days the station ran,
and the copies of checkpoints kept outside the database.

``evidence.verify_chain`` proves every entry up to the newest signed checkpoint. What it cannot
see alone is a tail rewritten after the newest checkpoints were deleted: the chain then ends in a
valid checkpoint and recomputed hashes. Two things expose that here:

- the days: the station signs a checkpoint on every local day it runs (and each command that
  writes an entry does too), so an entry written on a finished day later than the newest
  checkpoint means that day's checkpoint is gone;
- the witnesses: the station's own witness file (``checkpoints.jsonl`` beside the key) and any
  export or report kept elsewhere hold signed checkpoints; each must still be in the database,
  unchanged, and the entries it covers must still hash to what it signed.
"""
from __future__ import annotations

import base64
import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcaster import evidence
from broadcaster.errors import ValidationError
from broadcaster.evidence import CheckpointView, VerifyResult, _fail
from broadcaster.models import EvidenceEntry

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Witness:
    """Checkpoints from a copy kept outside the database, and entry hashes it knows (exports)."""

    source: str
    checkpoints: tuple[CheckpointView, ...]
    entry_hashes: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class EntryDay:
    """An entry reduced to what the day rule needs: its number and when it was last written to."""

    id: int
    written_at: dt.datetime


def entry_written_at(*times: dt.datetime | None) -> dt.datetime | None:
    """The latest of an entry's times: an entry cannot be written before its broadcast ended."""
    known = [t for t in times if t is not None]
    return max(known) if known else None


def check_days(result: VerifyResult, tail: Iterable[EntryDay], checkpoints: Sequence[CheckpointView],
               tz: str, today: dt.date, covered_days: Iterable[dt.date] = ()) -> VerifyResult:
    """Fail on an entry after the newest checkpoint written on a finished day without one.

    ``tail`` are the entries the newest checkpoint does not cover. Legitimately they were all
    written on the newest checkpoint's day or today (the station signs every day it runs, before
    its first entry of the day). ``covered_days`` are local days with entries that checkpoints do
    cover: a day among them without a checkpoint is only noted (the checkpoint chain already
    proves nothing was removed; the station just could not sign that day).
    """
    if not result.ok:
        return result
    zone = ZoneInfo(tz)
    signed_days = {cp.created_at.astimezone(zone).date() for cp in checkpoints}
    newest_day = max(signed_days) if signed_days else None
    ordered = sorted(tail, key=lambda e: e.id)
    for entry in ordered:
        day = entry.written_at.astimezone(zone).date()
        if day >= today or (newest_day is not None and day <= newest_day) or day in signed_days:
            continue
        first = ordered[0].id  # nothing signed vouches for any entry from here on
        after = (f"sau điểm kiểm mới nhất #{checkpoints[-1].id} ngày {newest_day:%d/%m/%Y}"
                 if checkpoints else "mà nhật ký không còn điểm kiểm nào")
        return _fail(
            result, "checkpoint_missing",
            f"Thiếu điểm kiểm đã ký của ngày {day:%d/%m/%Y} (mục #{entry.id} ghi ngày đó, {after}): "
            f"điểm kiểm đã bị xóa; từ mục #{first} không còn chữ ký nào bảo đảm, có thể đã bị viết lại",
            first, None,
        )
    unsigned = sorted({d for d in covered_days if d not in signed_days})
    if unsigned:
        shown = ", ".join(f"{d:%d/%m/%Y}" for d in unsigned[:5]) + (" ..." if len(unsigned) > 5 else "")
        result.notes.append(f"Đài có ghi nhật ký nhưng không ký điểm kiểm trong {len(unsigned)} ngày: {shown}")
    return result


def check_witnesses(result: VerifyResult, checkpoints: Sequence[CheckpointView], witnesses: Sequence[Witness],
                    public_key: Any, hash_of: Any, *, tz: str) -> VerifyResult:
    """Every validly signed checkpoint, and every entry hash, a witness holds must be in the log.

    ``hash_of(ids)`` gives the log's current hashes of those entry ids (a dict). A witness
    checkpoint not signed by the station's key proves nothing and is only noted. Entry hashes
    come from exports, whose own chain was checked when they were read.
    """
    if not result.ok or public_key is None:
        return result
    by_id = {cp.id: cp for cp in checkpoints}
    for witness in witnesses:
        valid: list[CheckpointView] = []
        for cp in witness.checkpoints:
            try:
                public_key.verify(base64.b64decode(cp.signature, validate=True), cp.text.encode("utf-8"))
            except Exception:  # noqa: BLE001 - not the station's signature: this copy proves nothing
                result.notes.append(f"{witness.source}: điểm kiểm #{cp.id} không có chữ ký hợp lệ, bỏ qua")
                continue
            valid.append(cp)
        current = hash_of({cp.count for cp in valid if cp.count} | {i for i, _ in witness.entry_hashes})
        for cp in valid:
            mine = by_id.get(cp.id)
            if mine is not None and mine.hash == cp.hash:
                continue
            first_bad = _first_rewritten(witness, current, cp)
            if mine is None:
                signed_at = cp.created_at.astimezone(ZoneInfo(tz))
                message = (f"Điểm kiểm #{cp.id} ({cp.count} mục, ký lúc {signed_at:%H:%M:%S ngày %d/%m/%Y}) "
                           f"có trong {witness.source} nhưng đã bị xóa khỏi cơ sở dữ liệu")
            else:
                message = f"Điểm kiểm #{cp.id} trong cơ sở dữ liệu khác với bản đã ký trong {witness.source}"
            if first_bad is not None:
                message += f"; mục #{first_bad} không còn khớp bản đã ký: nhật ký đã bị viết lại"
            return _fail(result, "checkpoint_deleted", message, first_bad, cp.id)
        for entry_id, exported in sorted(witness.entry_hashes):
            mine_hash = current.get(entry_id)
            if mine_hash is None:
                return _fail(result, "truncated",
                             f"Mục #{entry_id} có trong {witness.source} nhưng không còn trong nhật ký", entry_id)
            if mine_hash != exported:
                return _fail(result, "edited",
                             f"Mục #{entry_id} khác với {witness.source}: nhật ký đã bị viết lại từ mục này "
                             f"(hoặc bản xuất đã bị sửa)", entry_id)
        result.notes.append(f"Khớp với {witness.source}: {len(valid)} điểm kiểm, "
                            f"{len(witness.entry_hashes)} mục")
    return result


def _first_rewritten(witness: Witness, current: dict[int, str], cp: CheckpointView) -> int | None:
    """The first entry whose hash differs from the witness (its exported rows, else its checkpoint)."""
    for entry_id, exported in sorted(witness.entry_hashes):
        if entry_id <= cp.count and current.get(entry_id) != exported:
            return entry_id
    if cp.count and current.get(cp.count) != cp.head_hash:
        known = [i for i, _ in witness.entry_hashes if i <= cp.count]
        return (max(known) + 1) if known else cp.count
    return None


# --------------------------------------------------------------------------- reading witnesses


def load_witness(path: Path) -> Witness:
    """A witness from a file: the station's witness file, or a CSV or JSON export."""
    from broadcaster.checkpoints import read_witness

    path = Path(path)
    if not path.exists():
        raise ValidationError(f"Không có tệp {path}")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return Witness(source=f"bản sao {path.name}", checkpoints=tuple(read_witness(path)))
    if suffix in (".csv", ".json"):
        if suffix == ".csv":
            from broadcaster.reports.csv_report import read_csv as reader
        else:
            from broadcaster.reports.json_report import read_json as reader
        parsed = reader(path)
        from broadcaster.reports.bundle import verify_parsed

        own = verify_parsed(parsed, None)
        if not own.ok:
            raise ValidationError(f"Bản xuất {path.name} đã bị sửa, không dùng làm bản sao được: {own.message}")
        hashes = tuple((int(r["id"]), str(r.get("hash") or "")) for r in parsed.records)
        hashes += tuple((link.id, link.hash) for link in parsed.links)
        return Witness(source=f"bản xuất {path.name}", checkpoints=tuple(parsed.checkpoints), entry_hashes=hashes)
    raise ValidationError(f"Không đọc được điểm kiểm từ {path.name}: chỉ nhận .jsonl, .csv hoặc .json")


def expected_checkpoint(text: str) -> tuple[int, str]:
    """``SỐ:MÃ_BĂM`` as printed on a filed report (PDF, XLSX, DOCX): the checkpoint it carried."""
    number, _, digest = text.partition(":")
    number, digest = number.strip().lstrip("#"), digest.strip().lower()
    if not number.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValidationError(
            f"Điểm kiểm phải có dạng SỐ:MÃ_BĂM (mã băm 64 ký tự hex, in trên báo cáo), không phải {text!r}")
    return int(number), digest


# --------------------------------------------------------------------------- the database


def _hashes(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    found: dict[int, str] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start:start + 500]
        rows = session.execute(select(EvidenceEntry.id, EvidenceEntry.hash).where(EvidenceEntry.id.in_(chunk)))
        found.update({int(i): str(h) for i, h in rows})
    return found


def _tail(session: Session, after: int) -> list[EntryDay]:
    rows = session.execute(
        select(EvidenceEntry.id, EvidenceEntry.recorded_at, EvidenceEntry.started_at, EvidenceEntry.ended_at)
        .where(EvidenceEntry.id > after).order_by(EvidenceEntry.id)
    )
    tail = []
    for id_, recorded, started, ended in rows:
        written = entry_written_at(recorded, started, ended)
        if written is not None:
            tail.append(EntryDay(id=int(id_), written_at=written))
    return tail


def _covered_days(session: Session, upto: int, tz: str) -> set[dt.date]:
    """Local days with entries among the first ``upto`` (recorded_at, bucketed by UTC hour)."""
    if upto <= 0:
        return set()
    zone = ZoneInfo(tz)
    column = EvidenceEntry.recorded_at
    if session.connection().dialect.name == "sqlite":
        from sqlalchemy import func

        hours = session.execute(
            select(func.substr(column, 1, 13)).where(EvidenceEntry.id <= upto).distinct()
        ).scalars()
        instants = [dt.datetime.fromisoformat(h + ":00:00").replace(tzinfo=dt.timezone.utc) for h in hours if h]
        days = set()
        for instant in instants:  # an hour may straddle local midnight in a half-hour zone
            days.add(instant.astimezone(zone).date())
            days.add((instant + dt.timedelta(minutes=59, seconds=59)).astimezone(zone).date())
        return days
    return {t.astimezone(zone).date() for t in session.execute(select(column).where(EvidenceEntry.id <= upto)).scalars()}


def verify_log(session: Session, public_key: Any, *, tz: str, now: dt.datetime | None = None,
               witnesses: Sequence[Witness] = (), expected: Sequence[tuple[int, str]] = ()) -> VerifyResult:
    """``log verify``: the chain, the checkpoint chain, the days the station ran, the witnesses.

    ``expected`` are (checkpoint id, checkpoint hash) pairs read off a filed report.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    result = evidence.verify_chain(session, public_key)
    if not result.ok:
        return result
    checkpoints = evidence.load_checkpoints(session)
    newest_count = checkpoints[-1].count if checkpoints else 0
    today = now.astimezone(ZoneInfo(tz)).date()
    result = check_days(result, _tail(session, newest_count), checkpoints, tz, today,
                        _covered_days(session, newest_count, tz))
    if not result.ok:
        return result
    by_id = {cp.id: cp for cp in checkpoints}
    for checkpoint_id, digest in expected:
        mine = by_id.get(checkpoint_id)
        if mine is None or mine.hash != digest:
            state = "đã bị xóa" if mine is None else "đã bị thay"
            return _fail(result, "checkpoint_deleted",
                         f"Điểm kiểm #{checkpoint_id} ghi trên báo cáo {state} trong cơ sở dữ liệu: "
                         f"các mục sau điểm kiểm còn khớp cuối cùng có thể đã bị viết lại",
                         _first_unproven(checkpoints, checkpoint_id), checkpoint_id)
        result.notes.append(f"Điểm kiểm #{checkpoint_id} khớp với báo cáo đã nộp")
    result = check_witnesses(result, checkpoints, witnesses, public_key, lambda ids: _hashes(session, ids),
                             tz=tz)
    if result.ok and witnesses:
        result.message += f"; khớp {len(witnesses)} bản sao điểm kiểm"
    return result


def _first_unproven(checkpoints: Sequence[CheckpointView], missing_id: int) -> int:
    before = [cp.count for cp in checkpoints if cp.id < missing_id]
    return (max(before) if before else 0) + 1
