"""Where things are: storm coordinates (16,8N-115,3E) and road chainage (Km 15+200).

Why: a storm bulletin gives the centre as "16,8N-115,3E"; read piece by piece it is "mười sáu
phẩy tám en nờ ... e", meaningless to a fisherman. The announcer says "mười sáu phẩy tám độ vĩ
bắc, một trăm mười lăm phẩy ba độ kinh đông". A road notice's "Km 15+200" is a milestone plus
metres: "ki lô mét mười lăm cộng hai trăm".
"""

from __future__ import annotations

import logging
import re

from audio.tn.common import _L, _Ctx
from audio.vi_numbers import is_roman, read_decimal, roman_to_int

logger = logging.getLogger(__name__)

_DEG = r"(?P<{n}>\d{{1,3}}(?:[,.]\d{{1,3}})?)\s?(?:°|độ)?\s?"
_COORD_PAIR_RE = re.compile(
    r"(?<![\d,.])" + _DEG.format(n="a") + r"(?P<ns>[NS])(?:\s*[-–,;/]\s*|\s+)"
    + _DEG.format(n="b") + rf"(?P<ew>[EW])(?![{_L}\d])"
)
_COORD_ONE_RE = re.compile(
    rf"(?<![\d,.])(?P<a>\d{{1,3}}(?:[,.]\d{{1,3}})?)\s?°\s?(?P<h>[NSEW])(?![{_L}\d])"
)
_HEMI = {"N": "độ vĩ bắc", "S": "độ vĩ nam", "E": "độ kinh đông", "W": "độ kinh tây"}
#: A decimal glued to its hemisphere letter ("vĩ tuyến 16,0N", "kinh tuyến 112,0E") is a
#: coordinate even without the degree sign; after "vĩ tuyến"/"kinh tuyến" the line is named
#: already, so only the direction follows ("vĩ tuyến mười sáu phẩy không độ bắc").
_COORD_GLUED_RE = re.compile(
    rf"(?<![\d,.])(?P<a>\d{{1,3}}[,.]\d{{1,3}})(?P<h>[NSEW])(?![{_L}\d])"
)
#: Diesel graded by its sulphur ("dầu DO 0,05S-II", "điêzen 0,001S-V"): not a latitude.
_FUEL_SULPHUR_RE = re.compile(
    rf"(?P<f>(?i:dầu|diesel|điêzen|điezen|đi ê zen|DO|đê ô)\s+(?:(?i:DO|đê ô|diesel|điêzen|đi ê zen)\s+)?)"
    rf"(?P<a>\d[,.]\d{{1,4}})S(?:\s?-\s?(?P<r>[IVX]{{1,4}}))?(?![{_L}\d])"
)
_HEMI_AFTER_LINE = {"N": "độ bắc", "S": "độ nam", "E": "độ đông", "W": "độ tây"}
_CHAINAGE_RE = re.compile(
    rf"(?<![{_L}\d])[Kk][Mm]\s?(?P<km>\d{{1,4}})(?:\s?\+\s?(?P<m>\d{{1,3}}))?(?![\d,.]\d|[{_L}])"
)


_CHAINAGE_SPAN_RE = re.compile(
    r"(?P<a>ki lô mét (?:(?!ki lô mét)[^\W\d_]| )+?)\s*[-–—]\s*(?P<b>ki lô mét)"
)


def _degrees(value: str, ctx: _Ctx) -> str:
    whole, _, frac = value.replace(".", ",").partition(",")
    return read_decimal(whole, frac, ctx.dialect) if frac else ctx.num(int(whole))


def _places(text: str, ctx: _Ctx) -> str:
    text = _COORD_PAIR_RE.sub(
        lambda m: f"{_degrees(m['a'], ctx)} {_HEMI[m['ns']]}, {_degrees(m['b'], ctx)} {_HEMI[m['ew']]}",
        text,
    )
    text = _COORD_ONE_RE.sub(lambda m: f"{_degrees(m['a'], ctx)} {_HEMI[m['h']]}", text)

    def glued(m: re.Match[str]) -> str:
        line_named = re.search(
            r"(?i:vĩ tuyến|kinh tuyến)\s*(?:\d{1,3}[,.]\d{1,3}[NSEW]\s*(?:đến|tới|-|–)\s*)?$",
            m.string[: m.start()],
        )
        hemi = _HEMI_AFTER_LINE if line_named else _HEMI
        return f"{_degrees(m['a'], ctx)} {hemi[m['h']]}"

    text = _FUEL_SULPHUR_RE.sub(
        lambda m: f"{m['f']}{_degrees(m['a'], ctx)} ét"
        + (f" {ctx.num(roman_to_int(m['r']))}" if m["r"] and is_roman(m["r"]) else ""),
        text,
    )
    text = _COORD_GLUED_RE.sub(glued, text)

    def chainage(m: re.Match[str]) -> str:
        words = f"ki lô mét {ctx.num(int(m['km']))}"
        return f"{words} cộng {ctx.num(int(m['m']))}" if m["m"] else words

    def span(m: re.Match[str]) -> str:
        return f"{m['a']} đến {m['b']}"

    # only a milestone: "Km 15" with a capital K, or any chainage with its "+"
    text = _CHAINAGE_RE.sub(
        lambda m: chainage(m) if m["m"] or m.group(0)[0] == "K" else m.group(0), text
    )
    # "Km 850+500 - Km 852+200": a stretch of road, from one milestone to the other
    return _CHAINAGE_SPAN_RE.sub(span, text)
