"""Roman numerals (after quý, khóa, phần, as headings and at the end of names) and ordinals.
"""

from __future__ import annotations

import logging
import re

from audio.tn.common import (
    _ABBR_CHARS,
    _L,
    _NA,
    _Ctx,
)
from audio.tn.dates import (
    _Y,
    _year,
)
from audio.vi_numbers import (
    is_roman,
    read_ordinal,
    roman_to_int,
)

logger = logging.getLogger(__name__)

# --- Roman numerals and ordinals -----------------------------------------------------------
_ROMAN_KEYS = (
    r"quý|khóa|khoá|phần|chương|kỳ|kì|đợt|mục|khoản|phụ lục|đoạn|hồi|tập|số|năm|thế kỷ|thế kỉ"
    r"|thứ|lần thứ|đại hội|điều|giai đoạn|phiên|quân khu|vùng|bài|tiết|học kỳ|học kì|lớp|cấp"
    r"|báo động|loại|nhóm|tuyến|khu vực|đội|tổ|xóm|khối|cụm|phân khu|tiểu khu|hạng|bậc|mức"
)

#: A Roman numeral ending a proper name ("phường Hải Châu I", "xã Tân Lập II", "Trường Tiểu học
#: Kim Đồng II"): after a capitalised word, before punctuation, the end or a lower-case word.
_ROMAN_NAME_RE = re.compile(
    rf"(?P<w>(?<![{_L}])[{_ABBR_CHARS}][{_L}]*)\s(?P<r>X{{0,2}}(?:IX|IV|V?I{{0,3}}))"
    rf"(?=\s*$|\s*[,.;:)!?]|\s+[a-zà-ỹđ])",
    re.MULTILINE,
)


_ROMAN_UPPER_RE = re.compile(
    rf"(?i:(?<![{_L}])(?P<key>{_ROMAN_KEYS}))\s+(?P<r>[IVXLCDM]+)(?![{_L}\d])"
)


_ROMAN_LOWER_RE = re.compile(
    rf"(?i:(?<![{_L}])(?P<key>{_ROMAN_KEYS}))\s+(?P<r>[ivxlcdm]+)"
    rf"(?=\s*$|\s*[,.;:)!?]|\s+(?i:{_ROMAN_KEYS}|và)(?![{_L}]))",
    re.MULTILINE,
)


_ROMAN_YEAR_RE = re.compile(rf"(?P<q>(?i:(?<![{_L}])quý))\s+(?P<n>[IVX]+|\d{{1,2}})\s?[/.-]\s?(?P<y>{_Y}){_NA}")


#: A Roman numeral with a year after its slash is a period of that year ("quý III và IV/2025",
#: "giai đoạn II/2025"): the numeral, then "năm" and the year, never "trên".
_ROMAN_SLASH_YEAR_RE = re.compile(rf"(?<![{_L}\d])(?P<r>[IVX]{{1,4}})\s?/\s?(?P<y>{_Y}){_NA}")


_ORDINAL_RE = re.compile(rf"(?i:(?<![{_L}])(?P<key>thứ|hạng))\s+(?P<n>\d+){_NA}(?![.,/]\d)")


def _romans(text: str, ctx: _Ctx) -> str:
    def quy(m: re.Match[str]) -> str:
        n = m["n"]
        value = roman_to_int(n) if not n.isdigit() else int(n)
        return f"{m['q']} {ctx.num(value)} {_year(m['y'], ctx)}"

    def roman(m: re.Match[str]) -> str:
        r = m["r"]
        if not is_roman(r):
            return m.group(0)
        value = roman_to_int(r)
        key = m["key"]
        if key.lower() in ("thứ", "lần thứ") and value in (1, 4):
            return f"{key} {read_ordinal(value, ctx.dialect)}"
        return f"{key} {ctx.num(value)}"

    text = _ROMAN_YEAR_RE.sub(lambda m: quy(m) if (m["n"].isdigit() or is_roman(m["n"])) else m.group(0), text)
    text = _ROMAN_SLASH_YEAR_RE.sub(
        lambda m: f"{ctx.num(roman_to_int(m['r']))} {_year(m['y'], ctx)}" if is_roman(m["r"])
        else m.group(0),
        text,
    )
    text = _ROMAN_UPPER_RE.sub(roman, text)
    text = _ROMAN_LOWER_RE.sub(roman, text)
    text = _ROMAN_NAME_RE.sub(
        lambda m: f"{m['w']} {ctx.num(roman_to_int(m['r']))}" if m["r"] and is_roman(m["r"])
        else m.group(0),
        text,
    )
    return _ORDINAL_RE.sub(
        lambda m: f"{m['key']} {read_ordinal(int(m['n']), ctx.dialect)}", text
    )
