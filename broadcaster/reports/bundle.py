"""What every export carries: the selected entries and the proof that they are the station's.

An export holds the full fields of the selected entries, the *links* (id, content digest, hash)
of the entries the filters left out between the first selected entry and the latest signed
checkpoint, every checkpoint, and the head. With those and the station's public key anyone can
recompute the chain from the first exported entry up to a signed head: no entry in the export
can be altered, dropped from the middle, or invented without the check failing.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from broadcaster import evidence
from broadcaster.errors import ValidationError
from broadcaster.evidence import ChainRow, CheckpointView, VerifyResult
from broadcaster.reports.query import Filters, select_entries, select_entry_texts
from broadcaster.reports.receiver_rows import (
    BoxChain,
    ReceiverAiring,
    box_chains,
    select_receiver_entries,
    verify_box_chain,
)

logger = logging.getLogger(__name__)

FORMAT_ID = "loa-xa-evidence/v1"


@dataclass
class ExportBundle:
    settings: Any
    filters: Filters
    entries: list[Any]  # rows with the entry's attributes, oldest first
    links: list[ChainRow]  # entries left out by the filters, within the proven range
    checkpoints: list[CheckpointView]
    head_count: int
    head_hash: str
    generated_at: dt.datetime
    public_key_id: str = ""
    stored_text: bool = False  # entries' times and items are the stored text (select_entry_texts)
    #: what the village receivers aired (their own chains), by box name then seq, and each box's
    #: chain with its links, signed checkpoints and key, so the export proves them too
    receiver_entries: list[ReceiverAiring] = field(default_factory=list)
    box_chains: list[BoxChain] = field(default_factory=list)

    @property
    def tz(self) -> str:
        tz: str = self.settings.station.timezone
        return tz

    @property
    def latest_checkpoint(self) -> CheckpointView | None:
        return self.checkpoints[-1] if self.checkpoints else None


def build_bundle(session: Session, settings: Any, filters: Filters, now: dt.datetime | None = None,
                 *, stored_text: bool = False) -> ExportBundle:
    """Select the entries and gather the links and checkpoints that prove them.

    ``stored_text`` selects the entries with times and items as stored text (for the CSV writer).
    """
    tz = settings.station.timezone
    entries = (select_entry_texts if stored_text else select_entries)(session, filters, tz)
    checkpoints = evidence.load_checkpoints(session)
    head_count, head_hash = evidence.head(session)
    links: list[ChainRow] = []
    if entries and not filters.is_empty:
        selected = {e.id for e in entries}
        first = entries[0].id
        upto = max(entries[-1].id, checkpoints[-1].count if checkpoints else 0)
        for row in evidence.iter_chain_rows(session, min_id=first, max_id=upto):
            if row.id not in selected:
                links.append(ChainRow(id=row.id, hash=row.hash, digest=row.digest, full=False))
    boxes_aired = select_receiver_entries(session, filters, tz)
    key_id = ""
    try:
        from broadcaster.keys import key_id as key_id_of
        from broadcaster.keys import load_public_key

        key_id = key_id_of(load_public_key(settings.public_key_path))
    except Exception:  # noqa: BLE001 - an export without the key file still lists its checkpoints' key ids
        logger.warning("không đọc được khóa công khai; bản xuất không kèm mã khóa")
    return ExportBundle(
        settings=settings, filters=filters, entries=entries, links=links, checkpoints=checkpoints,
        head_count=head_count, head_hash=head_hash,
        generated_at=(now or dt.datetime.now(dt.timezone.utc)), public_key_id=key_id,
        stored_text=stored_text,
        receiver_entries=boxes_aired,
        box_chains=box_chains(session, boxes_aired),
    )


@dataclass
class ParsedExport:
    """An export read back from a file, ready to verify."""

    records: list[dict[str, Any]]
    links: list[ChainRow] = field(default_factory=list)
    checkpoints: list[CheckpointView] = field(default_factory=list)
    head_count: int | None = None
    head_hash: str | None = None
    generated_at: dt.datetime | None = None  # when the station wrote the export
    tz: str | None = None
    #: the village receivers' entries, by box name, and each box's chain proof
    receiver_records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    box_chains: dict[str, BoxChain] = field(default_factory=dict)


def verify_parsed(parsed: ParsedExport, public_key: Any) -> VerifyResult:
    """The commune's entries (:func:`verify_commune_part`), then each receiver's chain."""
    result = verify_commune_part(parsed, public_key)
    if not result.ok:
        return result
    for name in sorted(set(parsed.receiver_records) | set(parsed.box_chains)):
        chain = parsed.box_chains.get(name)
        records = parsed.receiver_records.get(name, [])
        if chain is None:
            return evidence._fail(result, "malformed",  # noqa: SLF001 - the shared verdict shape
                                  f"Bản xuất có mục của máy thu {name} nhưng thiếu chuỗi xác thực của nó")
        box = verify_box_chain(chain, records)
        if not box.ok:
            return evidence._fail(result, box.problem or "edited",  # noqa: SLF001
                                  f"Máy thu {name}: {box.message}", box.first_bad_id)
        result.notes.append(f"Máy thu {name} ({chain.zone}): {len(records)} mục trong bản xuất, chuỗi "
                            f"{chain.head_count} mục nguyên vẹn, {box.checkpoints_checked} điểm kiểm "
                            f"ký bằng khóa {chain.key_id} của máy thu")
    return result


def verify_commune_part(parsed: ParsedExport, public_key: Any) -> VerifyResult:
    """Recompute every exported entry's hash and walk the chain to the signed checkpoints."""
    rows: list[ChainRow] = []
    for number, record in enumerate(parsed.records, start=1):
        try:
            entry_id = int(record["id"])
        except (KeyError, TypeError, ValueError):
            raise ValidationError(f"Mục thứ {number} của bản xuất không có số thứ tự hợp lệ") from None
        try:
            digest = evidence.content_digest(evidence.values_from_record(record))
        except (ValueError, TypeError, KeyError, AttributeError):
            digest = evidence._BAD_DIGEST  # noqa: SLF001 - same sentinel as the database path
        rows.append(ChainRow(id=entry_id, hash=str(record.get("hash") or ""), digest=digest,
                             prev_hash=str(record.get("prev_hash") or "") or None))
    rows.extend(parsed.links)
    rows.sort(key=lambda r: r.id)
    if not rows:
        result = VerifyResult(ok=True, count=0, head_hash=parsed.head_hash or evidence.GENESIS,
                              message="Bản xuất không có mục nào")
        return result
    from_start = rows[0].id == 1
    result = evidence.verify_rows(rows, parsed.checkpoints, public_key, from_start=from_start,
                                  claimed_count=parsed.head_count)
    if result.ok and parsed.generated_at is not None and parsed.tz:
        from broadcaster.evidence_audit import EntryDay, check_days, entry_written_at

        newest = parsed.checkpoints[-1].count if parsed.checkpoints else 0
        tail = []
        for record in parsed.records:
            if int(record["id"]) <= newest:  # covered by a signed checkpoint: no day to check
                continue
            values = evidence.values_from_record(record)
            written = entry_written_at(values["recorded_at"], values["started_at"], values["ended_at"])
            if written is not None:
                tail.append(EntryDay(id=int(record["id"]), written_at=written))
        today = parsed.generated_at.astimezone(ZoneInfo(parsed.tz)).date()
        result = check_days(result, tail, parsed.checkpoints, parsed.tz, today)
    if not result.ok:
        return result
    last = rows[-1]
    if parsed.head_count is not None and last.id == parsed.head_count and parsed.head_hash not in (None, last.hash):
        return evidence._fail(result, "edited",  # noqa: SLF001
                              f"Mã băm đầu chuỗi ghi trong bản xuất không khớp với mục #{last.id}", last.id)
    result.count = len(parsed.records)
    anchored = sum(1 for record in parsed.records if int(record["id"]) <= result.anchored_upto)
    result.message = (
        f"Bản xuất nguyên vẹn: {len(parsed.records)} mục (chuỗi #{rows[0].id}–#{last.id}), "
        f"{result.checkpoints_checked} điểm kiểm có chữ ký hợp lệ; "
        + (f"{anchored} mục được điểm kiểm đã ký xác nhận" if anchored else
           "chưa có điểm kiểm nào xác nhận các mục này")
    )
    return result
