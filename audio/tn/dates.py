"""Dates: full, partial, ranges of days and months, fractions told apart from dates, and date
words typed without diacritics.
"""

from __future__ import annotations

import logging
import re

from audio.tn.common import (
    _L,
    _NA,
    _Ctx,
    _next_word,
    _prev_word,
)
from audio.tn.quantities import (
    _UNIT,
    _read_unit,
)
from audio.vi_numbers import (
    read_month,
)

logger = logging.getLogger(__name__)

# --- dates ---------------------------------------------------------------------------------
_NO_NGAY = {"ngày", "mùng", "mồng"}


_DATE_CONTEXT = {
    "ngày", "mùng", "mồng", "hôm", "đêm", "sáng", "chiều", "tối", "trưa", "khánh", "lễ", "dịp",
    "từ", "đến", "tới", "và", "trước", "sau", "hạn", "vào", "lúc", "nay", "mai", "qua", "gia",
    "ngay", "hom", "dem", "khanh", "le", "tu", "den", "truoc",
}


_DAY_WORDS = {"ngày", "mùng", "mồng", "hôm", "đêm", "sáng", "chiều", "tối", "trưa"}


_D = r"(?:0?[1-9]|[12]\d|3[01])"


_M = r"(?:0?[1-9]|1[0-2])"


_Y = r"(?:1[5-9]\d\d|2[01]\d\d)"


_DMY_RE = re.compile(rf"(?<![\d/.,-])(?P<d>{_D})(?P<sep>[/.-])(?P<m>{_M})(?P=sep)(?P<y>{_Y})(?![\d/]|[.,]\d)")


#: Two full dates joined by a dash are a span (18/11/1930 - 18/11/2025), never two lists items.
_DMY_PAIR_RE = re.compile(
    rf"(?<![\d/.,-])(?P<d>{_D})(?P<sep>[/.])(?P<m>{_M})(?P=sep)(?P<y>{_Y})\s*[-–—]\s*"
    rf"(?P<d2>{_D})[/.](?P<m2>{_M})[/.](?P<y2>{_Y})(?![\d/]|[.,]\d)"
)


#: "01/10 - 05/10/2025", "30/4 - 1/5": two day/month dates joined by a dash are a span; the year,
#: when written once at the end, belongs to both.
_DM_PAIR_RE = re.compile(
    rf"(?<![\d/.,-])(?P<d>{_D})/(?P<m>{_M})\s*[-–—]\s*(?P<d2>{_D})/(?P<m2>{_M})"
    rf"(?:/(?P<y>{_Y}))?(?![\d/]|[.,]\d)"
)


_DDMY_RE = re.compile(
    rf"(?<![\d/.,-])(?P<d1>{_D})\s?[-–]\s?(?P<d2>{_D})(?P<sep>[/.])(?P<m>{_M})(?:(?P=sep)(?P<y>{_Y}))?(?![\d/]|[.,]\d)"
)


_MMY_RE = re.compile(rf"(?<![\d/.,-])(?P<m1>{_M})\s?[-–]\s?(?P<m2>{_M})[/.](?P<y>{_Y})(?![\d/]|[.,]\d)")


_MY_RE = re.compile(rf"(?<![\d/.,-])(?P<m>{_M})(?P<sep>[/.-])(?P<y>{_Y})(?![\d/]|[.,]\d|-\d)")


_DM_SLASH_RE = re.compile(rf"(?<![\d/.,-])(?P<d>{_D})/(?P<m>{_M})(?![\d/]|[.,]\d|{_UNIT})")


_DM_OTHER_RE = re.compile(rf"(?<![\d/.,-])(?P<d>{_D})[.-](?P<m>{_M})(?![\d/]|[.,-]\d)")


_THANG_Y_RE = re.compile(rf"(?i)(?P<t>tháng)\s+(?P<m>{_M})\s+(?P<y>{_Y}){_NA}")


_THANG_RE = re.compile(rf"(?i)(?<![{_L}])(?P<t>tháng)\s+(?P<m>{_M}){_NA}(?![.,/]\d)")


_DAY_AFTER = {"nay", "qua", "mai", "kia"}
_WEEKDAYS = {"hai", "ba", "tư", "năm", "sáu", "bảy", "nhật"}


def _names_a_day(two_words: str) -> bool:
    """'hôm nay', 'sáng mai', 'đêm qua', 'thứ hai', 'chủ nhật': a day is named just before, so a
    dotted or dashed pair after it ('Hôm nay 2.6', 'Sáng nay (26-9)') is a date, not a decimal."""
    words = two_words.split()
    if len(words) != 2:
        return False
    first, second = words
    if second in _DAY_AFTER:
        return first in _DAY_WORDS or first in {"ngày", "tối", "trưa", "chiều"}
    return second in _WEEKDAYS and first in {"thứ", "chủ"}


#: "các ngày 10, 11 và 12/10": the last day of a list already has its "ngày" at the head.
_DAY_LIST_BEFORE_RE = re.compile(r"(?i:ngày|mùng|mồng)\s+\d{1,2}(?:\s*,\s*\d{1,2})*\s*(?:,|và)\s*$")


def _ngay(m: re.Match[str]) -> str:
    """'ngày ' unless the text already says ngày/mùng just before (never 'ngày ngày')."""
    before = m.string[max(0, m.start() - 40): m.start()]
    if _prev_word(m) in _NO_NGAY or _DAY_LIST_BEFORE_RE.search(before):
        return ""
    return "ngày "


def _year(y: str, ctx: _Ctx) -> str:
    return f"năm {ctx.num(int(y))}"


#: Words after "N/M" that make it a share of a whole ("2/3 số hộ", "1/2 diện tích").
_FRACTION_NEXT = {
    "số", "tổng", "diện", "dân", "lượng", "khối", "giá", "thời", "kinh", "sản", "quãng", "chiều",
    "phần", "quỹ", "dung",
}


#: Counted nouns after "N/M": a tally ("12/12 thôn", "9/10 xã"), read "mười hai trên mười hai".
_COUNT_NEXT = {
    "thôn", "xã", "phường", "hộ", "người", "tiêu", "chỉ", "trường", "lớp", "học", "đơn", "cơ",
    "xóm", "bản", "tổ", "khu", "chi", "hội", "đoàn", "hợp", "doanh", "cán", "giáo", "điểm", "ấp",
    "làng", "huyện", "tỉnh", "câu", "bài", "thí", "mục", "nội", "công", "hồ", "trạm", "tuyến",
    "em", "cháu", "trẻ", "phiếu", "đảng", "thành", "ủy", "ban", "sản", "cửa", "vụ", "lượt", "nhóm",
    "gia", "dự", "thủ", "đại", "xe", "tàu", "con", "cây", "ha", "héc",
}


#: A holiday or deadline named a few words earlier makes a bare "2/9" a date ("Tết Độc lập 2/9").
_DATE_NAME_WORDS = {"ngày", "tết", "lễ", "kỷ", "kỉ", "dịp", "khánh", "hạn", "hôm", "mùng", "mồng"}
_NAMED_DAY_REACH = 10  # words


#: House numbers with a slash ("số nhà 12/3", "ngõ 12/3", "số 12/3 đường Lê Lợi"): the house
#: behind the house, said "mười hai trên ba", never a date.
_HOUSE_PREV = {"nhà", "ngõ", "ngách", "hẻm", "kiệt"}
_STREET_NEXT = {"đường", "phố", "ngõ", "ngách", "hẻm", "kiệt", "quốc", "tỉnh", "khu", "tổ", "ấp",
                "khóm", "thôn", "xóm"}


def _house_number(m: re.Match[str]) -> bool:
    prev = _prev_word(m)
    if prev in _HOUSE_PREV or _prev_word(m, 2) in ("nhà số", "căn số", "địa chỉ số"):
        return True
    return prev == "số" and _next_word(m) in _STREET_NEXT


#: "hoạt động 24/7", "trực 24/7": all day every day, unless a date word says it is 24 July.
def _round_the_clock(m: re.Match[str]) -> bool:
    if (m["d"], m["m"].lstrip("0")) != ("24", "7"):
        return False
    return _prev_word(m) not in _DATE_CONTEXT and not _DATE_NAME_WORDS & set(_prev_word(m, 6).split())


#: "từ ngày 26 đến 29-10": a day just named, then "đến", then the dashed last day and month.
_SPAN_START_RE = re.compile(r"(?i:ngày|mùng|mồng)\s+\d{1,2}\s+(?i:đến|tới)\s+$")


def _fraction(m: re.Match[str], ctx: _Ctx) -> str:
    """'3/4' -> 'ba phần tư'; after a whole number ('5 1/2') the fraction is joined with 'và'."""
    den = int(m["m"])
    words = f"{ctx.num(int(m['d']))} phần {'tư' if den == 4 else ctx.num(den)}"
    return ("và " if re.search(r"\d\s$", m.string[: m.start()]) else "") + words


_FRACTION_UNIT_RE = re.compile(rf"(?<![\d/.,-])(?P<d>\d{{1,2}})/(?P<m>\d{{1,2}})(?P<u>{_UNIT})")


#: "ngày 5,6/10", "các ngày 12,13,14/11/2025": days listed with bare commas, one month after them.
_DAY_COMMA_LIST_RE = re.compile(
    rf"(?P<k>(?i:(?<![{_L}])(?:các ngày|ngày|mùng|mồng))\s+)(?P<days>{_D}(?:\s?,\s?{_D})+)/(?P<m>{_M})"
    rf"(?:/(?P<y>{_Y}))?(?![\d/]|[.,]\d)"
)

#: "Thứ 2 - Thứ 6", "thứ 2 - 6", "thứ 7 - CN": a span of weekdays, said with "đến".
_WEEKDAY = r"(?:[2-7]|hai|ba|tư|năm|sáu|bảy)"
_WEEKDAY_SPAN_RE = re.compile(
    rf"(?P<a>(?i:(?<![{_L}])thứ)\s+(?i:{_WEEKDAY}))\s*[-–—]\s*"
    rf"(?P<b>(?P<t>(?i:thứ)\s+)?(?i:{_WEEKDAY})|(?i:chủ nhật))(?![{_L}\d/]|[.,]\d)"
)


def _weekday_span(m: re.Match[str]) -> str:
    b = m["b"]
    if not m["t"] and b.lower() != "chủ nhật":
        b = f"thứ {b}"
    return f"{m['a']} đến {b}"


def _dates(text: str, ctx: _Ctx) -> str:
    def dmy(m: re.Match[str]) -> str:
        return (f"{_ngay(m)}{ctx.num(int(m['d']))} tháng {read_month(int(m['m']), ctx.dialect)} "
                f"{_year(m['y'], ctx)}")

    def ddmy(m: re.Match[str]) -> str:
        out = (f"{_ngay(m)}{ctx.num(int(m['d1']))} đến ngày {ctx.num(int(m['d2']))} "
               f"tháng {read_month(int(m['m']), ctx.dialect)}")
        return out + (f" {_year(m['y'], ctx)}" if m["y"] else "")

    def mmy(m: re.Match[str]) -> str:
        lead = "" if _prev_word(m) == "tháng" else "tháng "
        return (f"{lead}{read_month(int(m['m1']), ctx.dialect)} đến tháng "
                f"{read_month(int(m['m2']), ctx.dialect)} {_year(m['y'], ctx)}")

    def my(m: re.Match[str]) -> str:
        prev = _prev_word(m)
        if prev == "quý":
            return f"{ctx.num(int(m['m']))} {_year(m['y'], ctx)}"
        lead = "" if prev == "tháng" else "tháng "
        return f"{lead}{read_month(int(m['m']), ctx.dialect)} {_year(m['y'], ctx)}"

    def dm(m: re.Match[str], *, slash: bool) -> str:
        prev = _prev_word(m)
        after_number = re.search(r"\d\s$", m.string[: m.start()]) is not None
        single = len(m["d"]) == 1 and len(m["m"]) == 1
        if slash and (_house_number(m) or _round_the_clock(m)):
            return f"{ctx.num(int(m['d']))} trên {ctx.num(int(m['m']))}"
        if slash and prev not in _DAY_WORDS:
            nxt = _next_word(m)
            if nxt in _FRACTION_NEXT:
                return _fraction(m, ctx)
            if nxt in _COUNT_NEXT and not after_number:
                return f"{ctx.num(int(m['d']))} trên {ctx.num(int(m['m']))}"
        # "Quốc khánh nước Cộng hòa xã hội chủ nghĩa Việt Nam 2/9": the holiday's name may be
        # ten words back
        named_day = bool(_DATE_NAME_WORDS & set(_prev_word(m, _NAMED_DAY_REACH).split()))
        if slash and single and (after_number or (prev not in _DATE_CONTEXT and not named_day)):
            return _fraction(m, ctx)
        span_end = _SPAN_START_RE.search(m.string[max(0, m.start() - 30): m.start()])
        if not slash and prev not in _DAY_WORDS and not _names_a_day(_prev_word(m, 2)) \
                and not span_end:  # "từ ngày 26 đến 29-10": the span's last day
            return m.group(0)
        return f"{_ngay(m)}{ctx.num(int(m['d']))} tháng {read_month(int(m['m']), ctx.dialect)}"

    text = _WEEKDAY_SPAN_RE.sub(_weekday_span, text)
    text = _DAY_COMMA_LIST_RE.sub(
        lambda m: m["k"] + ", ".join(ctx.num(int(d)) for d in re.split(r"\s?,\s?", m["days"]))
        + f" tháng {read_month(int(m['m']), ctx.dialect)}" + (f" {_year(m['y'], ctx)}" if m["y"] else ""),
        text,
    )
    text = _FRACTION_UNIT_RE.sub(lambda m: f"{_fraction(m, ctx)} {_read_unit(m['u'])}", text)
    text = _DMY_PAIR_RE.sub(
        lambda m: f"{dmy(m)} đến ngày {ctx.num(int(m['d2']))} tháng "
        f"{read_month(int(m['m2']), ctx.dialect)} {_year(m['y2'], ctx)}",
        text,
    )
    text = _DM_PAIR_RE.sub(
        lambda m: f"{_ngay(m)}{ctx.num(int(m['d']))} tháng {read_month(int(m['m']), ctx.dialect)}"
        f" đến ngày {ctx.num(int(m['d2']))} tháng {read_month(int(m['m2']), ctx.dialect)}"
        + (f" {_year(m['y'], ctx)}" if m["y"] else ""),
        text,
    )
    text = _DDMY_RE.sub(ddmy, text)  # before single dates: "19 - 23/01/2026" is one span
    text = _DMY_RE.sub(dmy, text)
    text = _MMY_RE.sub(mmy, text)
    text = _MY_RE.sub(my, text)
    text = _DM_SLASH_RE.sub(lambda m: dm(m, slash=True), text)
    text = _DM_OTHER_RE.sub(lambda m: dm(m, slash=False), text)
    text = _THANG_Y_RE.sub(
        lambda m: f"{m['t']} {read_month(int(m['m']), ctx.dialect)} {_year(m['y'], ctx)}", text
    )
    return _THANG_RE.sub(lambda m: f"{m['t']} {read_month(int(m['m']), ctx.dialect)}", text)


# Text typed without diacritics ("ngay 5/12", "thang 8 nam 2025", "luc 7h") still names dates:
# restore the marks on those words only where a number follows, so the speech engine does not
# say "ngay" (at once) and the date pass does not add a second "ngày".
_UNMARKED_DATE_WORDS = {"ngay": "ngày", "thang": "tháng", "nam": "năm", "luc": "lúc"}


_UNMARKED_DATE_RE = re.compile(
    r"(?<![\w])(?:"
    r"(?P<ngay>[Nn]gay)(?=\s+\d{1,2}(?:[/.-]\d{1,2}|\s+th[aá]ng\b))"  # ngay 5/12, ngay 5 thang 12
    r"|(?P<thang>[Tt]hang)(?=\s+(?:0?[1-9]|1[0-2])(?:[/.-]\d{4}|\s+n[aă]m\b))"  # thang 8 nam 2025
    r"|(?P<nam>nam)(?=\s+(?:1[5-9]|20)\d\d\b)"  # nam 2025 (lower case: 'Nam' is a name)
    r"|(?P<luc>[Ll]uc)(?=\s+\d{1,2}(?:[h:]|\s*gi[oờ]\b))"  # luc 7h30, luc 14:00
    r")"
)


def _unmarked_date_words(text: str, ctx: "_Ctx") -> str:
    def mark(m: re.Match[str]) -> str:
        word = m[0]
        marked = _UNMARKED_DATE_WORDS[word.lower()]
        return marked.capitalize() if word[0].isupper() else marked

    return _UNMARKED_DATE_RE.sub(mark, text)
