"""The commune's read-as words, and the "Máy sẽ đọc là" preview built on them.

The preview runs the very normaliser the renderer uses, with the same glossary and dialect, so
what an editor reads in the form is what the loudspeakers will say.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from audio.normalize import TextInputError, normalize, read_document
from broadcaster.errors import DuplicateError, NotFoundError, ValidationError
from broadcaster.models import GlossaryEntry
from broadcaster.names import clean_name, find_by_name
from broadcaster.schedule import CHARS_PER_SECOND

logger = logging.getLogger(__name__)

MAX_WORD = 100
MAX_READING = 300


def pairs(session: Session) -> tuple[tuple[str, str], ...]:
    """The commune's (word, reading) pairs, as the normaliser takes them."""
    rows = session.execute(select(GlossaryEntry.word, GlossaryEntry.reading).order_by(GlossaryEntry.word))
    return tuple((word, reading) for word, reading in rows)


def list_entries(session: Session, search: str = "") -> Sequence[GlossaryEntry]:
    query = select(GlossaryEntry).order_by(GlossaryEntry.word)
    if search.strip():
        like = f"%{search.strip()}%"
        query = query.where(GlossaryEntry.word.ilike(like) | GlossaryEntry.reading.ilike(like))
    return session.scalars(query).all()


def get_entry(session: Session, entry_id: int) -> GlossaryEntry:
    entry = session.get(GlossaryEntry, entry_id)
    if entry is None:
        raise NotFoundError(f"Không có mục từ số {entry_id}")
    return entry


def _clean(word: str, reading: str) -> tuple[str, str]:
    if not (word or "").strip() or not (reading or "").strip():
        raise ValidationError("Phải nhập cả từ viết và cách đọc")
    word = clean_name(word, "Từ viết", max_length=MAX_WORD)
    reading = clean_name(reading, "Cách đọc", max_length=MAX_READING)
    return word, reading


def add_entry(session: Session, word: str, reading: str, dialect: str = "north") -> GlossaryEntry:
    word, reading = _clean(word, reading)
    if find_by_name(session, GlossaryEntry.word, word) is not None:
        raise DuplicateError(f"Từ “{word}” đã có trong bảng cách đọc")
    before = dict(pairs(session))
    entry = GlossaryEntry(word=word, reading=reading)
    session.add(entry)
    session.flush()
    note_reading_changes(session, before, dialect)
    return entry


def update_entry(session: Session, entry: GlossaryEntry, word: str, reading: str,
                 dialect: str = "north") -> None:
    word, reading = _clean(word, reading)
    clash = find_by_name(session, GlossaryEntry.word, word)
    if clash is not None and clash.id != entry.id:
        raise DuplicateError(f"Từ “{word}” đã có trong bảng cách đọc")
    before = dict(pairs(session))
    entry.word, entry.reading = word, reading
    session.flush()
    note_reading_changes(session, before, dialect)


def delete_entry(session: Session, entry: GlossaryEntry, dialect: str = "north") -> None:
    before = dict(pairs(session))
    session.delete(entry)
    session.flush()
    note_reading_changes(session, before, dialect)


def note_reading_changes(session: Session, before: dict[str, str], dialect: str = "north") -> int:
    """Record on every approved bulletin whose reading the glossary change altered its new
    reading; returns how many bulletins changed.

    Why: an approver approved what the loudspeakers would say. The glossary is the commune's
    own (approval stays), but the approver must be able to see that "UBND" is now read another
    way, on the bulletin and in its history. Only bulletins that contain a changed word are
    normalised twice, so a glossary edit costs little on a station with years of bulletins.
    """
    from broadcaster.bulletins import record_reading_change
    from broadcaster.models import Bulletin

    after = dict(pairs(session))
    touched = {w.casefold() for w in set(before) ^ set(after)}
    touched |= {w.casefold() for w in set(before) & set(after) if before[w] != after[w]}
    if not touched:
        return 0
    changed = 0
    approved = session.scalars(
        select(Bulletin).where(Bulletin.status == "approved", Bulletin.recording_id.is_(None))
    ).all()
    for bulletin in approved:
        body = bulletin.body.casefold()
        if not any(word in body for word in touched):
            continue
        try:
            old = normalize(bulletin.body, glossary=before, dialect=dialect)
            new = normalize(bulletin.body, glossary=after, dialect=dialect)
        except TextInputError:
            continue
        if old != new:
            record_reading_change(session, bulletin, old, new)
            changed += 1
    if changed:
        logger.info("bảng cách đọc thay đổi cách đọc của %d bản tin đã duyệt", changed)
    return changed


@dataclass(frozen=True)
class ReadingPreview:
    """What the speech engine will be given, its length and how long reading it takes."""

    normalized: str
    chars: int
    seconds: float
    omitted: tuple[str, ...] = ()  # blocks of a pasted document not read on air (Vietnamese)


def reading_preview(session: Session, text: str, dialect: str = "north") -> ReadingPreview:
    """Normalise ``text`` with the commune's glossary; ValidationError (Vietnamese) if unreadable."""
    try:
        reading = read_document(text, glossary=dict(pairs(session)), dialect=dialect)
    except TextInputError as exc:
        raise ValidationError(str(exc)) from None
    spoken = reading.text.strip()
    return ReadingPreview(
        normalized=spoken,
        chars=len(text.strip()),
        seconds=round(len(spoken) / CHARS_PER_SECOND, 1),
        omitted=reading.omitted,
    )
