"""Vietnamese alphabetical order, for lists of villages and names people scan by eye.

Python (and SQLite) sort by code point, which puts "Thôn Đông" after "Thôn Tây" (Đ is U+0110)
and "Ấp" after "Xóm". Vietnamese orders letters a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u
ư v x y, then tones: none, huyền, hỏi, ngã, sắc, nặng.
"""
from __future__ import annotations

import unicodedata

ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def vietnamese_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Sort key: letters in Vietnamese order first, tones only to break ties."""
    letters: list[int] = []
    tones: list[int] = []
    for char in (text or "").casefold():
        parts = unicodedata.normalize("NFD", char)
        tone = next((TONES[p] for p in parts if p in TONES), 0)
        base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in TONES))
        letters.append(ALPHABET.index(base) if base in ALPHABET else 100 + ord(base[0]) if base else 0)
        tones.append(tone)
    return tuple(letters), tuple(tones)
