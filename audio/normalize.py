"""Vietnamese text normalisation: turn a written commune notice into the words to be spoken.

Why: a listener in a rice field hears the loudspeaker once. Speech engines read "UBND" as English,
"22/12/2024" as bare numbers and "57-NQ/TW" as noise, so every bulletin goes through
:func:`normalize` before synthesis. The function is pure, deterministic and offline.

The work is a fixed sequence of passes, each one precompiled regular expression with a reader
function. Order matters: document numbers before dates (39/2020/TT-BTTTT is not a date), phone
numbers before plain numbers, ranges before negatives (2021-2025 is never "trừ"), and the
letter-by-letter spelling of unknown capitals last, after every glossary has had its turn.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from audio.document import find_unspoken
from audio.tn.codes import (
    _addresses,
    _capitals,
    _docnum,
    _glossary,
    _paren_abbr,
    _strains,
)
from audio.tn.common import (
    Pass,
    _Ctx,
)
from audio.tn.dates import (
    _dates,
    _unmarked_date_words,
)
from audio.tn.headings import _headings
from audio.tn.phones import (
    _phones,
    _plates,
    _typed_codes,
)
from audio.tn.places import _places
from audio.tn.quantities import (
    _negatives,
    _quantities,
)
from audio.tn.romans import (
    _romans,
)
from audio.tn.scores import _scores
from audio.tn.symbols import (
    _alternatives,
    _symbols,
    _tidy,
)
from audio.tn.times import (
    _times,
)
from audio.tn.titles import _titles
from audio.tn.web import (
    _web,
)

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 20_000


class TextInputError(ValueError):
    """Text that cannot be spoken (empty, too long); ``str(exc)`` is a Vietnamese message."""


_KEEP_SYMBOLS = frozenset("°℃№")


_SPACES_RE = re.compile(r"[^\S\n]+")


_BLANK_LINES_RE = re.compile(r"\n{3,}")


def _keep_char(ch: str) -> bool:
    """Drop control characters, emoji and invisible joiners; keep letters, digits, punctuation."""
    if ch in "\n\t":
        return True
    if ch in _KEEP_SYMBOLS:
        return True
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cf", "Cs", "Co", "Cn", "So"):
        return False
    if cat == "Sk" and ord(ch) > 0x2000:  # emoji skin-tone modifiers
        return False
    if cat == "Mn" and 0xFE00 <= ord(ch) <= 0xFE0F:  # variation selectors after emoji
        return False
    return True


def _dotted(n: int) -> str:
    """Vietnamese thousands separator: 20000 -> '20.000'."""
    return f"{n:,}".replace(",", ".")


def clean_text(text: str) -> str:
    """NFC-normalise, strip control characters and emoji, collapse spaces.

    Raises TextInputError for empty or whitespace-only text and for text longer than
    MAX_TEXT_CHARS, so that nothing downstream ever synthesises an empty or runaway file.
    """
    if not isinstance(text, str):
        raise TextInputError("Văn bản trống: cần một chuỗi ký tự để đọc.")
    if len(text) > MAX_TEXT_CHARS:
        raise TextInputError(
            f"Văn bản quá dài: {_dotted(len(text))} ký tự, tối đa {_dotted(MAX_TEXT_CHARS)}"
        )
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch if _keep_char(ch) else " " for ch in text)
    text = _SPACES_RE.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES_RE.sub("\n\n", text).strip()
    if not text:
        raise TextInputError("Văn bản trống: không có chữ nào để đọc.")
    return text


_PASSES: tuple[Pass, ...] = (
    _unmarked_date_words,
    _web,
    _typed_codes,
    _titles,
    _headings,
    _addresses,
    _paren_abbr,
    _strains,
    _alternatives,
    _plates,
    _docnum,
    _glossary,
    _places,
    _phones,
    _times,
    _scores,
    _negatives,
    _dates,
    _romans,
    _quantities,
    _symbols,
    _capitals,
    _tidy,
)


def normalize(
    text: str, *, glossary: Mapping[str, str] | None = None, dialect: str = "north"
) -> str:
    """Turn written Vietnamese into the words a speech engine should say.

    ``glossary`` is the commune's own list (word -> how to read it); it wins over the default
    glossary and matches in any letter case. ``dialect`` is "north" (default) or "south".
    Raises TextInputError (Vietnamese message) for empty or over-long text. Each line is
    normalised on its own, so line breaks survive for the CLI and for sentence splitting; the
    recipients and signature blocks of a pasted document become empty lines (see
    :func:`read_document` for what was left out).
    """
    return read_document(text, glossary=glossary, dialect=dialect).text


@dataclass(frozen=True)
class Reading:
    """What the speech engine is given, and what of the text it is not given (Vietnamese)."""

    text: str
    omitted: tuple[str, ...]


def read_document(
    text: str, *, glossary: Mapping[str, str] | None = None, dialect: str = "north"
) -> Reading:
    """:func:`normalize`, also saying which blocks of a pasted document are not read on air."""
    ctx = _context(glossary, dialect)
    lines = clean_text(text).split("\n")
    omissions = find_unspoken(lines)
    skipped = {i for om in omissions for i in range(om.start, om.end)}
    out = ["" if i in skipped else _normalize_line(line, ctx) for i, line in enumerate(lines)]
    if omissions:
        logger.debug("bỏ %d khối không đọc trên loa", len(omissions))
    return Reading("\n".join(out), tuple(om.describe(lines) for om in omissions))


def normalize_lines(
    lines: Sequence[str], *, glossary: Mapping[str, str] | None = None, dialect: str = "north"
) -> list[str]:
    """One output line per input line (the CLI's stdin contract); blocks of a pasted document
    that are not read on air, and lines with nothing to read, give an empty line."""
    ctx = _context(glossary, dialect)
    skipped = {i for om in find_unspoken(lines) for i in range(om.start, om.end)}
    out: list[str] = []
    for i, line in enumerate(lines):
        if i in skipped or not line.strip():
            out.append("")
            continue
        try:
            cleaned = clean_text(line)
        except TextInputError:
            out.append("")
            continue
        out.append(" ".join(_normalize_line(part, ctx) for part in cleaned.split("\n")))
    return out


def _context(glossary: Mapping[str, str] | None, dialect: str) -> _Ctx:
    if dialect not in ("north", "south"):
        raise TextInputError(f"Phương ngữ không hợp lệ: {dialect!r}, chỉ nhận 'north' hoặc 'south'.")
    return _Ctx(dialect, {k: v for k, v in (glossary or {}).items() if k and k.strip()})


def _normalize_line(line: str, ctx: _Ctx) -> str:
    for step in _PASSES:
        line = step(line, ctx)
    return line.strip()
