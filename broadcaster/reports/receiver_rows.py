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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from broadcaster import evidence
from broadcaster.evidence import ChainRow, CheckpointView, VerifyResult
from broadcaster.local_days import day_bounds
from broadcaster.models import Receiver, ReceiverCheckpoint, ReceiverEvidence, Zone
from broadcaster.names import name_key

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


def select_receiver_entries(session: Session, filters: Any, tz: str) -> list[ReceiverAiring]:
    """Every box's entries matching ``filters`` (a ``reports.Filters``), by box name then seq.

    The zone filter means the village where the box stands.
    """
    out = _matching(session, filters, tz, limit=None)
    out.sort(key=lambda a: (a.receiver, a.id))
    return out


def latest_receiver_entries(session: Session, filters: Any, tz: str, *,
                            limit: int) -> list[ReceiverAiring]:
    """The newest ``limit`` box entries matching ``filters``, newest first (the logs page)."""
    return _matching(session, filters, tz, limit=limit)


def _matching(session: Session, filters: Any, tz: str, *,
              limit: int | None) -> list[ReceiverAiring]:
    """The box entries matching ``filters``, newest first, at most ``limit`` (None: all).

    The filters, the order and the limit are the database's work: the logs page is opened all
    day and reads its 50 rows whatever the chains hold (twenty boxes airing ten times a day make
    73,000 entries a year); the statement is kept per combination of filters (building it cost
    the page more than running it). The zone filter is the village where the box stands (names
    compared as the panel folds them, so the zones are matched here: SQL cannot fold Vietnamese
    case).
    """
    values: dict[str, Any] = {"limit": limit}
    shape = [False] * 6 + [limit is not None]
    if filters is not None:
        if filters.date_from:
            shape[0], values["start"] = True, day_bounds(filters.date_from, tz)[0]
        if filters.date_to:
            shape[1], values["end"] = True, day_bounds(filters.date_to, tz)[1]
        for n, name in enumerate(("status", "category", "campaign"), start=2):
            if getattr(filters, name):
                shape[n], values[name] = True, getattr(filters, name)
        if filters.zone:
            wanted = name_key(filters.zone)
            shape[5], values["zones"] = True, [
                zone_id for zone_id, name in session.execute(_ZONE_NAMES) if name_key(name) == wanted]
    key = tuple(shape)
    stmt = _LATEST_BOX_ENTRIES.get(key)
    if stmt is None:
        stmt = _LATEST_BOX_ENTRIES[key] = _latest_statement(*key)
    return [ReceiverAiring(row, box, zone) for row, box, zone in session.execute(stmt, values)]


def get_visible_airing(session: Session, receiver: str, seq: int, *,
                       own_zone: str | None) -> ReceiverAiring | None:
    """One box's entry ``seq``, or None when there is none or (for a village head, ``own_zone``)
    the box stands in another village: what a box aired was heard in its own village only."""
    found = session.execute(
        select(ReceiverEvidence, Receiver.name, Zone.name)
        .join(Receiver, Receiver.id == ReceiverEvidence.receiver_id)
        .join(Zone, Zone.id == Receiver.zone_id)
        .where(Receiver.name == receiver, ReceiverEvidence.seq == seq)).first()
    if found is None:
        return None
    row, box, zone = found
    if own_zone is not None and name_key(zone) != name_key(own_zone):
        return None
    return ReceiverAiring(row, box, zone)


_LATEST_BOX_ENTRIES: dict[tuple[bool, ...], Any] = {}
_ZONE_NAMES = select(Zone.id, Zone.name)


def _latest_statement(date_from: bool, date_to: bool, status: bool, category: bool,
                      campaign: bool, zone: bool, limited: bool) -> Any:
    when = func.coalesce(ReceiverEvidence.scheduled_at, ReceiverEvidence.started_at,
                         ReceiverEvidence.recorded_at)
    stmt = (select(ReceiverEvidence, Receiver.name, Zone.name)
            .join(Receiver, Receiver.id == ReceiverEvidence.receiver_id)
            .join(Zone, Zone.id == Receiver.zone_id))
    if date_from:
        stmt = stmt.where(when >= bindparam("start"))
    if date_to:
        stmt = stmt.where(when < bindparam("end"))
    for column, name, on in ((ReceiverEvidence.status, "status", status),
                             (ReceiverEvidence.category, "category", category),
                             (ReceiverEvidence.campaign, "campaign", campaign)):
        if on:
            stmt = stmt.where(column == bindparam(name))
    if zone:
        stmt = stmt.where(Receiver.zone_id.in_(bindparam("zones", expanding=True)))
    stmt = stmt.order_by(when.desc(), ReceiverEvidence.id.desc())
    return stmt.limit(bindparam("limit")) if limited else stmt


def _raw_key(pem: str) -> str:
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, TypeError):
        return ""
    if not isinstance(key, Ed25519PublicKey):
        return ""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def box_chains(session: Session, selected: Sequence[ReceiverAiring]) -> list[BoxChain]:
    """The chain proof of every box with an entry in ``selected``.

    Like the commune's export: the links (digest, hash) of the entries the selection left out,
    from its first entry of that box up to the box's newest signed checkpoint, and every
    checkpoint the box signed (numbered within the box), so the selected entries are proven
    against a signature without the export carrying the whole chain.
    """
    seqs: dict[str, list[int]] = {}
    for airing in selected:
        seqs.setdefault(airing.receiver, []).append(airing.id)
    chains = []
    for box in session.scalars(select(Receiver).where(Receiver.name.in_(list(seqs))).order_by(Receiver.name)):
        mine = seqs[box.name]
        cps = session.scalars(select(ReceiverCheckpoint).where(ReceiverCheckpoint.receiver_id == box.id)
                              .order_by(ReceiverCheckpoint.id)).all()
        head = session.execute(select(ReceiverEvidence.seq, ReceiverEvidence.hash)
                               .where(ReceiverEvidence.receiver_id == box.id)
                               .order_by(ReceiverEvidence.seq.desc()).limit(1)).first()
        upto = max(max(mine), cps[-1].count if cps else 0)
        wanted = set(mine)
        rows = session.scalars(select(ReceiverEvidence).where(
            ReceiverEvidence.receiver_id == box.id, ReceiverEvidence.seq >= min(mine),
            ReceiverEvidence.seq <= upto).order_by(ReceiverEvidence.seq)).all()
        links = [ChainRow(id=r.seq, hash=r.hash, digest=airing_digest(r), full=False)
                 for r in rows if r.seq not in wanted]
        views = [CheckpointView(id=number, created_at=c.created_at, count=c.count, head_hash=c.head_hash,
                                key_id=c.key_id, signature=c.signature)
                 for number, c in enumerate(cps, start=1)]
        chains.append(BoxChain(
            name=box.name, zone=box.zone.name, key_id=box.key_id, public_key=_raw_key(box.public_key),
            head_count=int(head[0]) if head else 0, head_hash=str(head[1]) if head else evidence.GENESIS,
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
    the digest and hash of the entries between them up to the box's newest checkpoint, so a
    record whose content was changed, or a link dropped, breaks the walk to that signature.
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
    rows = [by_id[i] for i in sorted(by_id)]
    result = evidence.verify_rows(rows, chain.checkpoints, key, from_start=bool(rows) and rows[0].id == 1,
                                  claimed_count=chain.head_count)
    if result.ok and key is not None:
        from broadcaster.keys import key_id

        if key_id(key) != chain.key_id:
            return evidence._fail(result, "forged_checkpoint",  # noqa: SLF001 - the shared verdict shape
                                  f"Khóa công khai kèm theo không khớp mã khóa {chain.key_id} của máy thu")
    return result
