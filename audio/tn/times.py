"""Clock times: 7h30, 7g30, 8h0, 14:00, time ranges, minutes and seconds.
"""

from __future__ import annotations

import logging
import re

from audio.tn.common import (
    _L,
    _Ctx,
)

logger = logging.getLogger(__name__)

# --- times ---------------------------------------------------------------------------------
_TIME = r"(?P<h{i}>[01]?\d|2[0-4])\s?(?:[hg:]|giờ)\s?(?P<m{i}>[0-5]\d|(?<=[hg])\d)(?::(?P<s{i}>[0-5]\d))?(?:p|ph|\s?phút|')?"


_TIME_LOOSE = (
    r"(?P<h{i}>[01]?\d|2[0-4])(?:\s?(?:[hg]|giờ)(?:\s?(?P<m{i}>[0-5]\d))?(?P<s{i}>)"
    r"|:(?P<mm{i}>[0-5]\d))(?:p|ph|\s?phút|['’])?"
)


_TIME_RANGE_RE = re.compile(
    rf"(?<![\d:.,/]){_TIME_LOOSE.format(i=1)}\s*[-–]\s*{_TIME_LOOSE.format(i=2)}(?![\d:]|[{_L}])"
)


_TIME_RE = re.compile(rf"(?<![\d:.,/]){_TIME.format(i=1)}(?![\d:]|[{_L}])")


_HOUR_RE = re.compile(r"(?<![\d:.,/])(?P<h>[01]?\d|2[0-4])(?:h|g(?=\s+(?:sáng|trưa|chiều|tối|đêm)))(?![\w])")


_MMSS_RE = re.compile(r"(?<![\d:.,/])(?P<m>[0-5]?\d)(?:p|ph)(?:(?P<s>[0-5]?\d)s)?(?![\w])")


_SEC_RE = re.compile(r"(?<![\d:.,/])(?P<s>\d{1,2})s(?![\w])")


_LONG_MMSS_RE = re.compile(r"(?<![\d:.,/])(?P<m>2[5-9]|[3-5]\d):(?P<s>[0-5]\d)(?![\d:])")


_SECONDS_TWICE_RE = re.compile(r"giây\s+giây")


def _read_time(h: str, m: str | None, s: str | None, ctx: _Ctx) -> str:
    words = f"{ctx.num(int(h))} giờ"
    if m and int(m):
        words += f" {ctx.num(int(m))} phút"
    # Seconds are said when there are some, and for a full clock reading on the hour
    # (12:00:00 "mười hai giờ không phút không giây"); 04:30:00 is "bốn giờ ba mươi phút".
    if s and (int(s) or not (m and int(m))):
        if not (m and int(m)):
            words += " không phút"
        words += f" {ctx.num(int(s))} giây"
    return words


#: Round the clock: "trực 24/24h", "7/7 ngày" keep their unit after the ratio.
_ROUND_CLOCK_RE = re.compile(r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})\s?(?:h|giờ)(?![\w])")


#: Hours counted, not a clock: no clock shows more than 24, so "48h", "72h", "24-48h" are spans
#: ("trong 48-72h tới" is "bốn mươi tám đến bảy mươi hai giờ").
_SPAN_HOURS_RE = re.compile(
    r"(?<![\d:.,/])(?:(?P<a>\d{1,3})\s?[-–]\s?)?(?P<b>\d{2,3})h(?![\w])"
)


def _span_hours(m: re.Match[str], ctx: _Ctx) -> str:
    if int(m["b"]) <= 24:
        return m.group(0)
    lead = f"{ctx.num(int(m['a']))} đến " if m["a"] else ""
    return f"{lead}{ctx.num(int(m['b']))} giờ"


def _times(text: str, ctx: _Ctx) -> str:
    text = _SPAN_HOURS_RE.sub(lambda m: _span_hours(m, ctx), text)
    text = _ROUND_CLOCK_RE.sub(
        lambda m: f"{ctx.num(int(m['a']))} trên {ctx.num(int(m['b']))} giờ", text
    )
    text = _TIME_RANGE_RE.sub(
        lambda m: _read_time(m["h1"], m["m1"] or m["mm1"], None, ctx) + " đến "
        + _read_time(m["h2"], m["m2"] or m["mm2"], None, ctx),
        text,
    )
    text = _TIME_RE.sub(lambda m: _read_time(m["h1"], m["m1"], m["s1"], ctx), text)
    text = _SECONDS_TWICE_RE.sub("giây", text)  # "12:00:00 giây"
    text = _LONG_MMSS_RE.sub(
        lambda m: f"{ctx.num(int(m['m']))} phút {ctx.num(int(m['s']))} giây", text
    )
    text = _HOUR_RE.sub(lambda m: f"{ctx.num(int(m['h']))} giờ", text)
    text = _MMSS_RE.sub(
        lambda m: f"{ctx.num(int(m['m']))} phút"
        + (f" {ctx.num(int(m['s']))} giây" if m["s"] and int(m["s"]) else ""),
        text,
    )
    return _SEC_RE.sub(lambda m: f"{ctx.num(int(m['s']))} giây", text)
