"""The one rule for every name people type: slots, campaigns, zones, glossary words, logins.

A name is what reports, exports, logs and the panel show, so it must be the text it looks like:

- control characters (tab, line breaks, NUL, escape...) are refused with a clear message: one in
  a slot name used to break every XLSX export of that day;
- zero-width and bidirectional formatting characters (U+200B, U+202E, U+2066, U+FEFF...) are
  removed: invisible, they made two names that look the same differ, or reversed what a reader
  sees;
- runs of whitespace (also no-break spaces) become one space, and the result is stored in NFC,
  so "Đông" typed on a phone (decomposed) and on a PC (precomposed) are one name;
- two names are the same when their ``name_key`` are equal: NFC + Unicode case folding, which
  knows Vietnamese (``Đông`` and ``đông``, ``ỆP`` and ``ệp``); SQL ``lower()`` on SQLite only
  folds ASCII, so comparisons are made here, never in SQL.
"""
from __future__ import annotations

import logging
import unicodedata
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcaster.errors import ValidationError

logger = logging.getLogger(__name__)

def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def clean_name(value: str | None, what: str, *, max_length: int = 200, required: bool = True) -> str:
    """``value`` as a stored name, or ``ValidationError`` naming the problem in Vietnamese.

    ``what`` names the field for the message ("Tên thôn/khu phố", "Tên đăng nhập"...).
    """
    text = value or ""
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc" or category in ("Zl", "Zp"):
            raise ValidationError(
                f"{what} chứa ký tự điều khiển ({_describe(ch)}); hãy gõ lại tên trên một dòng, "
                f"không có ký tự đặc biệt"
            )
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    if not text:
        if required:
            raise ValidationError(f"{what} không được để trống")
        return ""
    if len(text) > max_length:
        raise ValidationError(f"{what} quá dài ({len(text)} ký tự, tối đa {max_length})")
    return text


def name_key(value: str | None) -> str:
    """What two names are compared by: cleaned of invisible characters, NFC, case-folded."""
    text = "".join(ch for ch in (value or "") if unicodedata.category(ch) not in ("Cf", "Cc"))
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", " ".join(text.split())).casefold())


def same_name(a: str | None, b: str | None) -> bool:
    return name_key(a) == name_key(b)


def find_by_name(session: Session, column: Any, name: str | None) -> Any:
    """The row of ``column``'s table whose name is the same as ``name`` (``name_key``), or None.

    The tables named this way are small (zones, logins, campaigns, glossary words), so the
    names are read and compared here rather than in SQL, which cannot fold Vietnamese case.
    """
    key = name_key(name)
    if not key:
        return None
    entity = column.class_
    exact = session.scalar(select(entity).where(column == name))
    if exact is not None:
        return exact
    for row_id, stored in session.execute(select(entity.id, column)):
        if name_key(stored) == key:
            return session.get(entity, row_id)
    return None
