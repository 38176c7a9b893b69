"""Match scores: "thắng 3-1", "hòa 2-2", "với tỷ số 3:0" are said "ba một", "hai hai".

Why: a dash between two small numbers is otherwise a range ("3-5 tuổi" is "ba đến năm"), and a
sports report read as "thắng ba đến một" is nonsense to a listener. A score is told apart by the
words of a result a few words before it (tỷ số, thắng, hòa, thua, chung cuộc...), so a range of
ages or dates is untouched.
"""

from __future__ import annotations

import logging
import re

from audio.tn.common import _Ctx, _prev_word

logger = logging.getLogger(__name__)

_SCORE_RE = re.compile(r"(?<![\d/.,:–-])(?P<a>\d{1,2})\s?[-–:]\s?(?P<b>\d{1,2})(?![\d/]|[.,:]\d)")

#: Words that announce a result just before the score ("thắng thôn Tây 3-1", "tỷ số 2-2").
_RESULT_WORDS = {"số", "thắng", "hòa", "hoà", "thua", "bại", "cuộc", "dẫn", "gỡ", "lưới"}


#: Two-word results ("vượt qua", "cách biệt"): "qua" alone is also "đi qua cấp 8-9".
_RESULT_PAIRS = ("vượt qua", "cách biệt", "chung cuộc", "đánh bại")
_TY_SO_RE = re.compile(r"(?i:t[ỷỉ]\s+số)\b")


def _scores(text: str, ctx: _Ctx) -> str:
    def repl(m: re.Match[str]) -> str:
        words = _prev_word(m, 4)
        before = words.split()
        if not (set(before) & _RESULT_WORDS) and not any(p in words for p in _RESULT_PAIRS):
            return m.group(0)
        if "số" in before and not _TY_SO_RE.search(m.string[max(0, m.start() - 30): m.start()]):
            return m.group(0)  # "số 3-5" is a number, "tỷ số 3-5" a score
        return f"{ctx.num(int(m['a']))} {ctx.num(int(m['b']))}"

    return _SCORE_RE.sub(repl, text)
