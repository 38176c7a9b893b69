"""Pieces every normalisation pass shares: letter classes, the written-number pattern, the
context (dialect, merged glossary) and the look-around helpers that read neighbouring words.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Mapping

from audio.abbreviations import (
    DEFAULT_GLOSSARY,
    DEFAULT_GLOSSARY_ANYCASE,
    DOC_KINDS,
)
from audio.vi_numbers import (
    read_number,
)

logger = logging.getLogger(__name__)

_L = r"A-Za-zÀ-ỹĐđ"  # letters, Vietnamese included (for hand-made word boundaries)


_NB = rf"(?<![{_L}\d])"  # not preceded by a letter or digit


_NA = rf"(?![{_L}\d])"  # not followed by a letter or digit


#: A written number: dotted thousands, comma thousands (>= 2 groups), space thousands,
#: dotted sequences (1.5, 1.25.3), or plain digits with an optional decimal comma.
_NUM = (
    r"(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?(?![.\d])"
    r"|\d{1,3}(?:,\d{3}){2,}(?![,\d])"
    r"|\d{1,3}(?: \d{3})+(?![\d,.])"
    r"|\d+(?:\.\d+)+(?![.\d])"
    r"|\d+(?:,\d+)?)"
)


#: Capital letters only (Vietnamese included): the class that makes a token an abbreviation.
_ABBR_CHARS = "A-Z" + "".join(
    c for c in map(chr, range(0xC0, 0x1EFA)) if c.isupper() and unicodedata.category(c) == "Lu"
)


def _prev_word(m: re.Match[str], n: int = 1) -> str:
    """The n words before a match, lowercased (for context decisions such as 'ngày')."""
    before = m.string[: m.start()]
    words = re.findall(rf"[{_L}]+", before[-max(40, 8 * n):])
    return " ".join(words[-n:]).lower()


Pass = Callable[[str, "_Ctx"], str]


class _Ctx:
    """What every pass needs: dialect and the merged glossary lookup."""

    def __init__(self, dialect: str, glossary: Mapping[str, str]) -> None:
        self.dialect = dialect
        self.glossary = glossary
        self.glossary_ci = {k.lower(): v for k, v in glossary.items()}

    def num(self, n: int) -> str:
        return read_number(n, self.dialect)

    def lookup(self, token: str) -> str | None:
        """Commune words (any case) first, then the default glossary."""
        hit = self.glossary_ci.get(token.lower())
        if hit is not None:
            return hit
        hit = DEFAULT_GLOSSARY.get(token)
        if hit is not None:
            return hit
        return DEFAULT_GLOSSARY_ANYCASE.get(token.lower())

    def lookup_code(self, token: str) -> str | None:
        """Inside a document symbol: commune words, then the kinds and issuing bodies of
        documents (where CT is a chỉ thị), then the default glossary."""
        hit = self.glossary_ci.get(token.lower())
        if hit is not None:
            return hit
        hit = DOC_KINDS.get(token)
        return hit if hit is not None else self.lookup(token)


def _fold_words(text: str) -> list[str]:
    return re.findall(rf"[{_L}]+", unicodedata.normalize("NFC", text).lower())


def _next_word(m: re.Match[str]) -> str:
    """The word right after a match, lowercased ('' when punctuation or the end comes first)."""
    found = re.match(rf"\s+([{_L}]+)", m.string[m.end(): m.end() + 30])
    return found[1].lower() if found else ""
