"""What the public site shows: which bulletins are published, and when they aired.

A bulletin is published when all of these hold:

- the editor ticked "Đăng công khai" (``Bulletin.public``; on by default for commune-wide
  bulletins, off for village-only notices),
- it is commune-wide (no zone): a village's own notice never goes on the commune's website,
- it is approved — or archived after it aired (history stays online once the loudspeakers said it).

Drafts, bulletins waiting for approval, rejected, unpublished and village-only ones are never
shown, and their public keys answer "not found" exactly as an unknown key does.

"When it aired" comes from the evidence log, never from the schedule: an entry that completed and
carried the bulletin's text as written (or its recording) is an airing. Entries are read once,
incrementally, into ``public_airings`` (:func:`refresh_airings`); an airing older than the
bulletin's current approval belongs to an earlier text and is not shown.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Any, Iterable, Sequence
from urllib.parse import urlsplit

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from broadcaster.config import Settings
from broadcaster.errors import ConfigError, NotFoundError, ValidationError
from broadcaster.models import (
    AudioAsset,
    Bulletin,
    Campaign,
    EvidenceEntry,
    PublicAiring,
    PublicScan,
    utcnow,
)

logger = logging.getLogger(__name__)

#: Evidence entries read per call of :func:`refresh_airings`: a visitor's request waits at most
#: about a quarter of a second (2,000 took 0.5-1 s on 2 busy cores) while a backlog is read.
SCAN_BATCH = 1000
#: Texts per ``IN (...)`` query (SQLite allows 32,766 parameters; stay far below).
IN_CHUNK = 400
PAGE_SIZE = 10

_scan_lock = threading.Lock()


# ------------------------------------------------------------------ the editor's choice


def default_public(zone_id: int | None) -> bool:
    """On for commune-wide bulletins (normal, priority or emergency), off for village notices."""
    return zone_id is None


def public_choice(zone_id: int | None, wanted: bool | None) -> bool:
    """The stored "Đăng công khai" value for a bulletin of ``zone_id``; None takes the default.

    Asking to publish a village-only notice is refused rather than quietly ignored: the person
    asking expects it online and it would never appear.
    """
    if wanted is None:
        return default_public(zone_id)
    if wanted and zone_id is not None:
        raise ValidationError(
            "Thông báo riêng của một thôn không đăng công khai được; "
            "chỉ bản tin toàn xã mới lên trang công khai"
        )
    return bool(wanted)


def _published_clause() -> Any:
    aired = exists().where(PublicAiring.bulletin_id == Bulletin.id,
                           PublicAiring.aired_at >= Bulletin.approved_at)
    return and_(
        Bulletin.public.is_(True),
        Bulletin.zone_id.is_(None),
        Bulletin.approved_at.is_not(None),
        Bulletin.public_key.is_not(None),
        or_(Bulletin.status == "approved", and_(Bulletin.status == "archived", aired)),
    )


# ------------------------------------------------------------------ reading


@dataclass(frozen=True)
class Published:
    """A published bulletin and its airings according to the evidence."""

    bulletin: Bulletin
    first_aired: dt.datetime | None
    last_aired: dt.datetime | None
    times_aired: int

    @property
    def key(self) -> str:
        return str(self.bulletin.public_key)

    @property
    def when(self) -> dt.datetime:
        """When it came out: its first airing, else its approval (the list and the feed's date).

        Not the last airing: a bulletin read every morning for a week must not climb back to
        the top of the list, or come back as a new episode in podcast apps, each day.
        """
        return self.first_aired or self.bulletin.approved_at or self.bulletin.created_at


def _airing_columns() -> tuple[Any, Any, Any]:
    """First airing, last airing and count of the current version, per bulletin row.

    Correlated subqueries on the (bulletin_id, aired_at) index: a few index seeks per bulletin,
    whatever the size of the log (a GROUP BY over every airing took 300 ms at 100,000 entries).
    """
    valid = and_(PublicAiring.bulletin_id == Bulletin.id, PublicAiring.aired_at >= Bulletin.approved_at)
    first = select(func.min(PublicAiring.aired_at)).where(valid).correlate(Bulletin).scalar_subquery()
    last = select(func.max(PublicAiring.aired_at)).where(valid).correlate(Bulletin).scalar_subquery()
    times = select(func.count(PublicAiring.id)).where(valid).correlate(Bulletin).scalar_subquery()
    return first, last, times


def _query(columns: tuple[Any, Any, Any]) -> Any:
    first, last, times = columns
    return (
        select(Bulletin, first.label("first"), last.label("last"), times.label("times"))
        .where(_published_clause())
        .options(selectinload(Bulletin.campaign), selectinload(Bulletin.recording))
    )


def _rows(session: Session, query: Any) -> list[Published]:
    return [Published(b, first, last, int(times or 0)) for b, first, last, times in session.execute(query)]


def list_published(session: Session, *, campaign_id: int | None = None, limit: int = PAGE_SIZE,
                   offset: int = 0) -> list[Published]:
    """Published bulletins, newest first (by first airing, else by approval)."""
    columns = _airing_columns()
    query = _query(columns)
    if campaign_id is not None:
        query = query.where(Bulletin.campaign_id == campaign_id)
    query = query.order_by(func.coalesce(columns[0], Bulletin.approved_at).desc(), Bulletin.id.desc())
    return _rows(session, query.limit(limit).offset(offset))


def count_published(session: Session, *, campaign_id: int | None = None) -> int:
    query = select(func.count(Bulletin.id)).where(_published_clause())
    if campaign_id is not None:
        query = query.where(Bulletin.campaign_id == campaign_id)
    return int(session.scalar(query) or 0)


def get_published(session: Session, key: str) -> Published:
    """The published bulletin with this public key; NotFoundError for any other key.

    Unknown, draft, rejected, unpublished and village-only all give the same error, so a visitor
    learns nothing from trying keys.
    """
    if not key or len(key) > 32:
        raise NotFoundError("Không có bản tin công khai này")
    rows = _rows(session, _query(_airing_columns()).where(Bulletin.public_key == key))
    if not rows:
        raise NotFoundError("Không có bản tin công khai này")
    return rows[0]


def is_published(session: Session, bulletin: Bulletin) -> bool:
    return bool(session.scalar(
        select(func.count(Bulletin.id)).where(Bulletin.id == bulletin.id, _published_clause())
    ))


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFoundError(f"Không có chiến dịch số {campaign_id}")
    return campaign


def public_path(bulletin: Bulletin) -> str:
    """The bulletin's page below the site root (the web layer prefixes the base URL)."""
    return f"/public/ban-tin/{bulletin.public_key}"


def campaign_path(campaign_id: int) -> str:
    return f"/public/chien-dich/{campaign_id}"


def station_name(commune: str) -> str:
    """'Đài truyền thanh xã Tân Hòa' from the setting 'Xã Tân Hòa' (the unit's word in lower case)."""
    name = " ".join(commune.split())
    for unit in ("Xã ", "Phường ", "Thị trấn ", "Đặc khu "):
        if name.startswith(unit):
            name = unit.lower() + name[len(unit):]
            break
    return f"Đài truyền thanh {name}"


def summary(text: str, limit: int = 200) -> str:
    """The first words of ``text`` up to ``limit`` characters, for previews and feed readers."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


# ------------------------------------------------------------------ the base URL


def configured_base_url(settings: Settings) -> str | None:
    """``public.base_url`` without its trailing slash, or None when unset (use the panel's own).

    Checked where it is used: a typo here would print a useless QR code on a hundred posters.
    """
    raw = str(getattr(settings.public, "base_url", "") or "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"public.base_url phải là địa chỉ http:// hoặc https:// đầy đủ, "
            f"ví dụ https://tanhoa.gov.vn/loaxa (đang là {raw!r})"
        )
    return raw.rstrip("/")


def panel_base_url(settings: Settings) -> str:
    """The panel's own address from ``web.host``/``web.port``, when no request is there to ask."""
    import socket

    host = str(settings.web.host or "127.0.0.1")
    if host in ("0.0.0.0", "::", ""):
        host = socket.gethostname()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{int(settings.web.port)}"


# ------------------------------------------------------------------ airings from the evidence


def _speech_texts(items: Any) -> set[str]:
    if not isinstance(items, list):
        return set()
    return {item["text"] for item in items
            if isinstance(item, dict) and item.get("kind") == "speech"
            and isinstance(item.get("text"), str) and item["text"]}


def _recordings(items: Any) -> set[tuple[str, str]]:
    if not isinstance(items, list):
        return set()
    return {(str(item.get("audio_sha256")), str(item.get("title") or "")) for item in items
            if isinstance(item, dict) and item.get("kind") == "recording" and item.get("audio_sha256")}


def _chunks(values: Iterable[str], size: int = IN_CHUNK) -> Iterable[list[str]]:
    batch: list[str] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def refresh_all_airings(session: Session) -> int:
    """Read the whole backlog (the CLI; a request reads one batch and leaves the rest)."""
    found = 0
    while True:
        before = session.get(PublicScan, 1)
        last = before.last_evidence_id if before is not None else 0
        found += refresh_airings(session)
        after = session.get(PublicScan, 1)
        if after is None or after.last_evidence_id == last:
            return found


def refresh_airings(session: Session, *, batch: int = SCAN_BATCH) -> int:
    """Read evidence entries not read yet and record which bulletins they aired; returns how many.

    Matching: a completed entry aired a bulletin when one of its speech items carries the
    bulletin's text exactly as written, or one of its recording items carries the bulletin's
    recording (same audio hash and title). Reads at most ``batch`` entries per call; the next
    call goes on from there. The caller commits. Within one process, a second caller returns at
    once instead of reading the same entries twice.
    """
    if not _scan_lock.acquire(blocking=False):
        return 0
    try:
        state = session.get(PublicScan, 1)
        last = state.last_evidence_id if state is not None else 0
        newest = session.scalar(select(func.max(EvidenceEntry.id))) or 0
        if newest <= last:
            return 0
        rows = session.execute(
            select(EvidenceEntry.id, EvidenceEntry.status, EvidenceEntry.started_at,
                   EvidenceEntry.items, EvidenceEntry.corrects_id)
            .where(EvidenceEntry.id > last).order_by(EvidenceEntry.id).limit(batch)
        ).all()
        aired = [(eid, started, items) for eid, status, started, items, corrects in rows
                 if status == "completed" and started is not None and corrects is None]
        by_text = _bulletins_by_text(session, set().union(*(_speech_texts(i) for _, _, i in aired)))
        by_recording = _bulletins_by_recording(
            session, set().union(*(_recordings(i) for _, _, i in aired)))
        found = 0
        for evidence_id, started, items in aired:
            matched: set[int] = set()
            for text in _speech_texts(items):
                matched.update(by_text.get(text, ()))
            for recording in _recordings(items):
                matched.update(by_recording.get(recording, ()))
            for bulletin_id in sorted(matched):
                session.add(PublicAiring(evidence_id=evidence_id, bulletin_id=bulletin_id,
                                         aired_at=started))
                found += 1
        if state is None:
            state = PublicScan(id=1, last_evidence_id=0)
            session.add(state)
        state.last_evidence_id = int(rows[-1][0]) if rows else newest
        state.scanned_at = utcnow()
        session.flush()
        if found:
            logger.info("trang công khai: ghi nhận %d lần phát từ nhật ký (đến mục số %d)",
                        found, state.last_evidence_id)
        return found
    finally:
        _scan_lock.release()


def _bulletins_by_text(session: Session, texts: set[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for chunk in _chunks(sorted(texts)):
        for bulletin_id, body in session.execute(
            select(Bulletin.id, Bulletin.body).where(Bulletin.body.in_(chunk))
        ):
            out.setdefault(body, []).append(int(bulletin_id))
    return out


def _bulletins_by_recording(session: Session, recordings: set[tuple[str, str]]
                            ) -> dict[tuple[str, str], list[int]]:
    out: dict[tuple[str, str], list[int]] = {}
    hashes = sorted({digest for digest, _ in recordings})
    for chunk in _chunks(hashes):
        for bulletin_id, title, digest in session.execute(
            select(Bulletin.id, Bulletin.title, AudioAsset.sha256)
            .join(AudioAsset, AudioAsset.id == Bulletin.recording_id)
            .where(AudioAsset.sha256.in_(chunk))
        ):
            if (digest, title) in recordings:
                out.setdefault((digest, title), []).append(int(bulletin_id))
    return out


def airings(session: Session, bulletin: Bulletin, limit: int = 20) -> Sequence[dt.datetime]:
    """The instants this version of the bulletin aired, newest first."""
    if bulletin.approved_at is None:
        return []
    return session.scalars(
        select(PublicAiring.aired_at)
        .where(PublicAiring.bulletin_id == bulletin.id, PublicAiring.aired_at >= bulletin.approved_at)
        .order_by(PublicAiring.aired_at.desc()).limit(limit)
    ).all()
