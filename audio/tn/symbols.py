"""Symbols and punctuation: alternatives (ông/bà), math and list symbols, and the final tidy
that leaves only the pauses a reader takes.
"""

from __future__ import annotations

import logging
import re

from audio.tn.common import (
    _L,
    _Ctx,
)
from audio.tn.quantities import (
    _PER_WORDS,
    _UNITS,
    RATE_WORD,
)

logger = logging.getLogger(__name__)

# --- symbols ---------------------------------------------------------------------------------
#: 'ông/bà', 'nam/nữ', '4G/5G': alternatives, said with a pause; a unit or a period after the
#: slash ('tấn/ha', 'lượt/ngày') keeps 'trên'.
_PER_AFTER_SLASH = (
    r"ha|héc|kg|ki|km|mét|m|tấn|tạ|lít|ngày|tháng|năm|giờ|tuần|quý|phút|giây|người|hộ|khẩu|"
    r"sào|mẫu|con|lượt|lần|ca|buổi|km2|m2"
)


_WORD_SLASH_RE = re.compile(
    rf"(?<![{_L}\d/-])(?P<a>[{_L}]+)/(?P<b>[{_L}]+)(?![{_L}\d/-])"
    rf"|(?<![{_L}\d/])(?P<c>\d[A-Z]|[{_L}]+)/(?P<d>\d[A-Z])(?![{_L}\d/])"
)


#: Who a notice addresses: 'ông/bà', 'anh/chị', 'nam/nữ' are a choice wherever they stand.
_PEOPLE = frozenset({"ông", "bà", "anh", "chị", "em", "cô", "chú", "bác", "cháu", "con", "cha",
                     "mẹ", "bố", "nam", "nữ"})


#: The words of a sum of money written without "đồng" ("hỗ trợ 1,5 triệu/người").
_AMOUNT_WORDS = frozenset({"nghìn", "ngàn", "triệu", "tỷ", "tỉ"})


_NOT_ALTERNATIVE_LEFT = frozenset({"đồng", "đ", "VNĐ", "VND", "vnđ", "USD", "usd"})


def _alternatives(text: str, ctx: _Ctx) -> str:
    """'ông/bà' -> 'ông, bà'; '4G/5G', 'Wifi/4G' -> '4G, 5G': a slash between two words (or a
    network's generation) offers a choice.

    Why a pass of its own, on the written text: once numbers and abbreviations are words, a
    ratio ('19/19') or a code ('NQ/TW') can no longer be told from a choice. A unit or a period
    of time after the slash ('lượt/ngày'), money before it ('đồng/kg') and glossary entries
    ('v/v', 'HIV/AIDS') keep their own readings.
    """
    def repl(m: re.Match[str]) -> str:
        if m["c"]:
            return f"{m['c']}, {m['d']}"
        a, b = m["a"], m["b"]
        if len(a) == 1 and len(b) == 1:
            return m.group(0)  # 'P/E', 'A/B': a ratio of two named quantities
        if a in _NOT_ALTERNATIVE_LEFT or ctx.lookup(f"{a}/{b}") is not None:
            return m.group(0)
        if a.lower() in _PEOPLE and b.lower() in _PEOPLE:
            return f"{a}, {b}"  # '2 ông/bà đại diện': a choice even after a number
        if a in _UNITS:
            return m.group(0)  # 'km/h', 'tấn/ha': a unit of its own, read with its number
        if a.lower() in _AMOUNT_WORDS and re.search(r"\d\s?$", m.string[: m.start()]):
            return f"{a} một {b}"  # '1,5 triệu/người': a sum of money, said like a price
        if re.search(rf"/[{_L}]+(?: [{_L}]+)* $", m.string[: m.start()]):
            return m.group(0)  # 'đồng/học sinh/tháng': one link of a price's chain
        if (re.fullmatch(_PER_AFTER_SLASH, b, flags=re.IGNORECASE) or b in _UNITS
                or b in _PER_WORDS or re.search(r"\d\s?$", m.string[: m.start()])):
            squared = m.string[m.end(): m.end() + 1] in ("²", "³", "2", "3")
            per = b if squared else _PER_WORDS.get(b) or _UNITS.get(b, b)  # km² read later
            return f"{a} {RATE_WORD} {per}"  # 'lần/ngày', '100 hộ/thôn', 'kg phân/ha': 'mỗi'
        return f"{a}, {b}"

    return _WORD_SLASH_RE.sub(repl, text)


_SYMBOLS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\.\s*/\s*\.?"), "."),  # "./." closes an official document; it is not read
    (re.compile(r"(?i)\bđộ\s+C\b"), "độ xê"),
    (re.compile(r"(?m)^\s*[-–—•*+]\s+"), ""),  # list bullets
    (re.compile(r"\s*&\s*"), " và "),
    (re.compile(r"\s*±\s*"), " cộng trừ "),
    (re.compile(r"\s*≥\s*"), " lớn hơn hoặc bằng "),
    (re.compile(r"\s*≤\s*"), " nhỏ hơn hoặc bằng "),
    (re.compile(r"\s*≈\s*"), " xấp xỉ "),
    (re.compile(r"\s+>\s+"), " lớn hơn "),
    (re.compile(r"\s+<\s+"), " nhỏ hơn "),
    (re.compile(r"\s*=\s*"), " bằng "),
    (re.compile(r"\s*\+\s*"), " cộng "),
    (re.compile(r"\s*@\s*"), " a còng "),
    (re.compile(r"#\s*(?=\w)"), "số "),
    (re.compile(r"~\s*"), "khoảng "),
    (re.compile(r"\s*→\s*"), " đến "),
    (re.compile(r"\s*/\s*"), " trên "),
]


def _symbols(text: str, ctx: _Ctx) -> str:
    for pattern, repl in _SYMBOLS:
        text = pattern.sub(repl, text)
    return text


# --- punctuation tidy --------------------------------------------------------------------------
_TIDY: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"[\"“”„«»‘’`]|(?<![A-Za-z])'|'(?![A-Za-z])"), " "),
    (re.compile(r"\s*[()\[\]{}]\s*"), ", "),
    (re.compile(r"\s+[-–—]+\s+|\s*[–—]+\s*"), ", "),
    (re.compile(rf"(?<=[{_L}])-(?=[{_L}])"), " "),
    # an ellipsis ends a sentence only before a capital or the end; "…)chủ động" goes on
    (re.compile(r"\s*(?:…|\.{2,})\s*(?=[)\],;:]*\s*[a-zà-ỹđ0-9])"), ", "),
    (re.compile(r"…|\.{2,}"), "."),
    (re.compile(r"\s*;\s*"), ", "),
    (re.compile(r"[*_|\\^]+"), " "),
    (re.compile(r"\s+([,.!?:])"), r"\1"),
    (re.compile(r"([,.!?:])(?=[^\W\d_])"), r"\1 "),
    (re.compile(r",(?:\s*,)+"), ","),
    (re.compile(r",\s*([.!?:])"), r"\1"),
    (re.compile(r"([.!?:])\s*,"), r"\1"),
    (re.compile(r"(?m)^[\s,]+|[ ,]+$"), ""),
    (re.compile(r"[^\S\n]+"), " "),
]


def _tidy(text: str, ctx: _Ctx) -> str:
    for pattern, repl in _TIDY:
        text = pattern.sub(repl, text)
    return text
