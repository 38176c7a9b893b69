"""What the village receivers aired, read from the chains they uploaded, for the office's reports.

A box's entry is kept exactly as the box hashed it (``receiver_evidence``), so an export can carry
it verifiably; for counting, it is seen as the commune's entries are (:class:`ReceiverAiring`)
with two more facts: which box aired it (``receiver``) and in which village (``receiver_zone``).
What a box aired was heard in its own village only, whatever the occurrence's own zone field says
(a commune-wide slot a box plays reaches that box's loudspeakers, not the whole commune).

Each box's chain travels with its proof (:class:`BoxChain`): every link, every checkpoint the box
signed (numbered within the box, as ``log verify`` numbers them) and the box's public key, so an
export is checked offline chain by chain (:func:`verify_box_chain`).
"""
from __future__ import annotations

import base64
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcaster import evidence
from broadcaster.evidence import ChainRow, CheckpointView, VerifyResult
from broadcaster.local_days import day_bounds
from broadcaster.models import Receiver, ReceiverCheckpoint, ReceiverEvidence

logger = logging.getLogger(__name__)


class ReceiverAiring:
    """A box's uploaded entry with the commune entry's attribute names (``id`` = the box's seq)."""

    __slots__ = ("_row", "receiver", "receiver_zone")

    def __init__(self, row: ReceiverEvidence, receiver: str, receiver_zone: str) -> None:
        self._row = row
        self.receiver = receiver
        self.receiver_zone = receiver_zone

    @property
    def id(self) -> int:
        return int(self._row.seq)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


def checkpoint_time(text: str) -> dt.datetime:
    """A checkpoint's time as an export writes it; a missing one makes the export malformed."""
    when = evidence.parse_utc_text(text)
    if when is None:
        raise ValueError("điểm kiểm thiếu thời điểm ký")
    return when


def is_receiver_airing(entry: Any) -> bool:
    return entry.__class__ is ReceiverAiring


@dataclass
class BoxChain:
    """One box's chain as an export carries it: identity, head, links and signed checkpoints."""

    name: str
    zone: str
    key_id: str
    public_key: str  # the raw Ed25519 key, base64 (what the box registered when it enrolled)
    head_count: int
    head_hash: str
    links: list[ChainRow] = field(default_factory=list)  # every entry (digest, hash) of the chain
    checkpoints: list[CheckpointView] = field(default_factory=list)

    @property
    def latest_checkpoint(self) -> CheckpointView | None:
        return self.checkpoints[-1] if self.checkpoints else None


def _matches(airing: ReceiverAiring, filters: Any, tz: str) -> bool:
    when = airing.scheduled_at or airing.started_at or airing.recorded_at
    if filters.date_from and when < day_bounds(filters.date_from, tz)[0]:
        return False
    if filters.date_to and when >= day_bounds(filters.date_to, tz)[1]:
        return False
    if filters.status and airing.status != filters.status:
        return False
    if filters.category and airing.category != filters.category:
        return False
    if filters.campaign and airing.campaign != filters.campaign:
        return False
    if filters.zone and airing.receiver_zone.casefold() != filters.zone.strip().casefold():
        return False
    return True


def select_receiver_entries(session: Session, filters: Any, tz: str) -> list[ReceiverAiring]:
    """Every box's entries matching ``filters`` (a ``reports.Filters``), by box name then seq.

    The zone filter means the village where the box stands.
    """
    boxes = {box.id: box for box in session.scalars(select(Receiver))}
    rows = session.scalars(select(ReceiverEvidence)
                           .order_by(ReceiverEvidence.receiver_id, ReceiverEvidence.seq)).all()
    out = []
    for row in rows:
        box = boxes[row.receiver_id]
        airing = ReceiverAiring(row, box.name, box.zone.name)
        if filters is None or _matches(airing, filters, tz):
            out.append(airing)
    out.sort(key=lambda a: (a.receiver, a.id))
    return out


def _raw_key(pem: str) -> str:
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, TypeError):
        return ""
    if not isinstance(key, Ed25519PublicKey):
        return ""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def box_chains(session: Session) -> list[BoxChain]:
    """Every box that uploaded anything, with its whole chain's links and its checkpoints."""
    chains = []
    for box in session.scalars(select(Receiver).order_by(Receiver.name)):
        rows = session.scalars(select(ReceiverEvidence).where(ReceiverEvidence.receiver_id == box.id)
                               .order_by(ReceiverEvidence.seq)).all()
        cps = session.scalars(select(ReceiverCheckpoint).where(ReceiverCheckpoint.receiver_id == box.id)
                              .order_by(ReceiverCheckpoint.id)).all()
        if not rows and not cps:
            continue
        links = [ChainRow(id=r.seq, hash=r.hash, digest=airing_digest(r), full=False) for r in rows]
        views = [CheckpointView(id=number, created_at=c.created_at, count=c.count, head_hash=c.head_hash,
                                key_id=c.key_id, signature=c.signature)
                 for number, c in enumerate(cps, start=1)]
        chains.append(BoxChain(
            name=box.name, zone=box.zone.name, key_id=box.key_id, public_key=_raw_key(box.public_key),
            head_count=rows[-1].seq if rows else 0, head_hash=rows[-1].hash if rows else evidence.GENESIS,
            links=links, checkpoints=views))
    return chains


def airing_digest(row: Any) -> str:
    """The content digest of a box's entry, over the fields the box hashed (``id`` = seq)."""
    values = {name: getattr(row, name) for name in evidence.CONTENT_FIELDS if name != "id"}
    values["id"] = row.seq
    try:
        return evidence.content_digest(values)
    except (ValueError, TypeError):
        return "!" * 64


def verify_box_chain(chain: BoxChain, records: list[dict[str, Any]]) -> VerifyResult:
    """Check a box's exported entries against its links, checkpoints and key (no database).

    ``records`` are the box's entries as exported (``full_record`` shape); ``chain.links`` hold
    the digest and hash of every entry of the chain, so a record whose content was changed, or
    a link dropped, breaks the walk from entry 1 to the box's last signed checkpoint.
    """
    by_id: dict[int, ChainRow] = {link.id: link for link in chain.links}
    for record in records:
        seq = int(record["id"])
        try:
            digest = evidence.content_digest(evidence.values_from_record(record))
        except (ValueError, TypeError, KeyError, AttributeError):
            digest = "!" * 64
        by_id[seq] = ChainRow(id=seq, hash=str(record.get("hash") or ""), digest=digest,
                              prev_hash=str(record.get("prev_hash") or "") or None)
    key: Ed25519PublicKey | None
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(chain.public_key, validate=True))
    except (ValueError, TypeError):
        key = None
    result = evidence.verify_rows([by_id[i] for i in sorted(by_id)], chain.checkpoints, key,
                                  from_start=True, claimed_count=chain.head_count)
    if result.ok and key is not None:
        from broadcaster.keys import key_id

        if key_id(key) != chain.key_id:
            return evidence._fail(result, "forged_checkpoint",  # noqa: SLF001 - the shared verdict shape
                                  f"Khóa công khai kèm theo không khớp mã khóa {chain.key_id} của máy thu")
    return result
