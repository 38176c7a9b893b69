"""Headings of a pasted document: "I. MỤC ĐÍCH", "II.", "2.1. Nội dung", "tại Mục 2.1.".

Why: "I." at the start of a line is a numbered part, said "Một."; left alone the capital I is
spelled ("i"). A section number "2.1." is "hai chấm một" (each part a number, so "2.10" is "hai
chấm mười"); its last period belongs to the number, not to a sentence, unless it opens a line.
"""

from __future__ import annotations

import logging
import re

from audio.tn.common import _L, _Ctx
from audio.vi_numbers import is_roman, roman_to_int

logger = logging.getLogger(__name__)

_ROMAN_HEADING_RE = re.compile(r"^(?P<r>[IVXL]{1,6})\s?[.)]\s*(?=\S)")
_ROMAN_LINE_RE = re.compile(r"[IVXL]{2,6}")
_SECTION = r"(?P<s>\d{1,2}(?:\.\d{1,2}){1,3})"
_SECTION_LINE_RE = re.compile(rf"^{_SECTION}\.(?=\s+\S)")
_SECTION_KEY_RE = re.compile(
    rf"(?i:(?<![{_L}])(?P<k>tiểu mục|mục|điểm|khoản|phần|điều|chương|phụ lục))\s+{_SECTION}"
    rf"(?P<dot>\.(?=\s*[,;:)]|\s+[a-zà-ỹđ]|\s*$))?(?![\d.]\d)"
)


def _section(number: str, ctx: _Ctx) -> str:
    return " chấm ".join(ctx.num(int(p)) for p in number.split("."))


def _headings(text: str, ctx: _Ctx) -> str:
    def roman(m: re.Match[str]) -> str:
        if not is_roman(m["r"]):
            return m.group(0)
        return f"{ctx.num(roman_to_int(m['r'])).capitalize()}. "

    text = _ROMAN_HEADING_RE.sub(roman, text)
    if _ROMAN_LINE_RE.fullmatch(text) and is_roman(text) and len(text) > 1:  # a heading alone: "XI"
        return ctx.num(roman_to_int(text)).capitalize()
    text = _SECTION_LINE_RE.sub(lambda m: f"{_section(m['s'], ctx).capitalize()}.", text)
    return _SECTION_KEY_RE.sub(lambda m: f"{m['k']} {_section(m['s'], ctx)}", text)
