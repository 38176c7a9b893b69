"""Match scores: "thắng 3-1", "hòa 2-2", "với tỷ số 3:0" are said "ba một", "hai hai".

Why: a dash between two small numbers is otherwise a range ("3-5 tuổi" is "ba đến năm"), and a
sports report read as "thắng ba đến một" is nonsense to a listener. A score is told apart by the
words of a result a few words before it, and by what follows it: a score is never followed by a
unit or an amount ("thua lỗ 2-3 tỷ" is a range). The words of a result:
- strong ones say it alone: thắng, thua, tỷ số, chung cuộc, đánh bại, vượt qua, cách biệt;
- "hòa" also means "hòa giải", "hòa nhập": it counts when the two numbers are equal (a range
  never runs from a number to itself) or the sentence is about a match (đội, trận, giải, bóng,
  set, hiệp, bảng, vòng, sân, tuyển, vô địch).
"""

from __future__ import annotations

import logging
import re

from audio.tn.common import _L, _Ctx, _fold_words, _next_word, _prev_word
from audio.tn.quantities import _UNITS

logger = logging.getLogger(__name__)

_SCORE_RE = re.compile(r"(?<![\d/.,:–-])(?P<a>\d{1,2})\s?[-–:]\s?(?P<b>\d{1,2})(?![\d/]|[.,:]\d)")

_STRONG_WORDS = {"thắng", "thua"}
_STRONG_PAIRS = ("tỷ số", "tỉ số", "chung cuộc", "đánh bại", "vượt qua", "cách biệt")
_DRAW_WORDS = {"hòa", "hoà"}
_MATCH_WORDS = {"đội", "trận", "giải", "bóng", "set", "hiệp", "bảng", "vòng", "sân", "tuyển",
                "vô", "địch", "chung", "kết", "clb", "câu", "lạc", "bộ"}

#: What follows a count, never a score: "thua lỗ 2-3 tỷ", "thắng 2-3 giải" stay ranges.
_AMOUNT_WORDS = {"tỷ", "tỉ", "triệu", "nghìn", "ngàn", "trăm", "tuổi", "năm", "tháng", "ngày",
                 "giờ", "phút", "giây", "người", "hộ", "lần", "lượt", "giải", "huy", "điểm",
                 "phần", "tuần", "vụ", "con", "cái", "chiếc", "bàn"}


def _scores(text: str, ctx: _Ctx) -> str:
    def repl(m: re.Match[str]) -> str:
        nxt = _next_word(m)
        glued = m.string[m.end(): m.end() + 1]
        if nxt in _AMOUNT_WORDS or nxt in _UNITS or (glued and glued in "%°"):
            return m.group(0)
        if glued and re.match(rf"[{_L}]", glued):
            return m.group(0)  # "2-3km": a unit written against the number
        before = _prev_word(m, 4)
        words = set(before.split())
        strong = bool(words & _STRONG_WORDS) or any(p in before for p in _STRONG_PAIRS)
        draw = bool(words & _DRAW_WORDS) and (
            m["a"] == m["b"] or bool(_MATCH_WORDS & set(_fold_words(m.string))))
        if not (strong or draw):
            return m.group(0)
        return f"{ctx.num(int(m['a']))} {ctx.num(int(m['b']))}"

    return _SCORE_RE.sub(repl, text)
