"""Titles and degrees written before a name: TS., ThS., PGS.TS., BS., KS. (never a sentence end).

Why: "TS. Nguyễn Văn An" left to the other passes becomes "tiến sĩ. Nguyễn Văn An": the period
is heard as the end of a sentence, a long pause in the middle of a name. A title is only read as
one when a capitalised word (the name) follows, so "TS" alone (a count of things) is untouched.
"""

from __future__ import annotations

import logging
import re

from audio.tn.common import _ABBR_CHARS, _L, _Ctx

logger = logging.getLogger(__name__)

TITLES: dict[str, str] = {
    "GS": "giáo sư", "PGS": "phó giáo sư", "TS": "tiến sĩ", "TSKH": "tiến sĩ khoa học",
    "ThS": "thạc sĩ", "Ths": "thạc sĩ", "THS": "thạc sĩ", "BS": "bác sĩ", "Bs": "bác sĩ",
    "BSCKI": "bác sĩ chuyên khoa một", "BSCKII": "bác sĩ chuyên khoa hai",
    "BSCK": "bác sĩ chuyên khoa", "BSĐK": "bác sĩ đa khoa", "KS": "kỹ sư", "CN": "cử nhân",
    "DS": "dược sĩ", "ĐD": "điều dưỡng", "LS": "luật sư", "NSƯT": "nghệ sĩ ưu tú",
    "NSND": "nghệ sĩ nhân dân", "NGƯT": "nhà giáo ưu tú", "NGND": "nhà giáo nhân dân",
    "CKI": "chuyên khoa một", "CKII": "chuyên khoa hai", "CK": "chuyên khoa",
    "Đ/c": "đồng chí", "đ/c": "đồng chí", "Đ/C": "đồng chí", "Th.S": "thạc sĩ",
    "Ô": "ông",  # "Ô. Nguyễn Văn Hùng" in a list of people
}
_TITLE_ALT = "|".join(re.escape(t) for t in sorted(TITLES, key=len, reverse=True))
#: One or more titles, each ended by a period (or, for đ/c, by nothing), then a capitalised name.
_TITLES_RE = re.compile(
    rf"(?<![{_L}\d.])(?P<run>(?:(?:{_TITLE_ALT})\.\s?)+(?:(?:{_TITLE_ALT})\s)?)(?=[{_ABBR_CHARS}])"
)
_ONE_RE = re.compile(rf"({_TITLE_ALT})(?:\.|\s|$)")


def _titles(text: str, ctx: _Ctx) -> str:
    """'PGS.TS. Lê Văn Cường' -> 'phó giáo sư, tiến sĩ Lê Văn Cường'."""
    def repl(m: re.Match[str]) -> str:
        titles = _ONE_RE.findall(m["run"])
        said = ""
        for title in titles:  # "PGS.TS." two degrees with a pause; "BS.CKI" one title
            words = ctx.glossary_ci.get(title.lower()) or TITLES[title]
            said += (" " if title.startswith("CK") else ", ") + words if said else words
        return said + " "

    return _TITLES_RE.sub(repl, text)
