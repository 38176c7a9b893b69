"""Telephone, hotline, account and emergency numbers: dialled, so read digit by digit.
"""

from __future__ import annotations

import logging
import re

from audio.abbreviations import spell_letters
from audio.tn.common import (
    _L,
    _NA,
    _Ctx,
    _next_word,
    _prev_word,
)
from audio.vi_numbers import (
    read_digits,
)

logger = logging.getLogger(__name__)

# --- phone numbers -------------------------------------------------------------------------
_PHONE_RE = re.compile(
    r"(?<![\w.,/])(?P<plus>\(?\+84\)?\s?|0)(?P<body>\d{2,4}(?:[ .-]?\d{2,4}){1,3}|\d{2,4}(?:[ .-]\d{1,4}){2,4})"
    r"(?![\w]|[.,]\d)"
)


_HOTLINE_RE = re.compile(
    rf"(?i)(?P<lead>(?:gọi(?: ngay)?(?: điện)?(?: đến| tới| cho| số)?|hotline|đường dây nóng|tổng đài|"
    rf"số điện thoại|điện thoại|sđt|đt)(?:\s*:\s*|\s+))(?P<num>\d{{3,5}}(?:[ .]\d{{3,4}})?){_NA}"
)


#: Numbers that are dialled or typed, never counted: 1900 1234, 1800.1091, account numbers,
#: card numbers in blocks of four, and the emergency lines 111-115 when called.
_SERVICE_NUM_RE = re.compile(r"(?<![\d.,/])1[89]00(?:[ .]?\d{3,4}(?:[ .]?\d{2,4})?)(?![\d]|[.,]\d)")


#: Account numbers and the identifiers an office asks for (mã số thuế): typed back,
#: so read digit by digit; an identifier may name its holder first ("Mã số thuế của HTX là ...").
_ACCOUNT_RE = re.compile(
    rf"(?i)(?P<lead>(?:số tài khoản|tài khoản|stk|(?:mã số thuế|mã số doanh nghiệp|"
    rf"mã số bảo hiểm xã hội)(?:\s+của(?:\s+[{_L}]+){{1,4}})?(?:\s+là)?)"
    rf"(?: số)?\s*:?\s*)(?P<num>\d[\d .-]{{4,}}\d){_NA}"
)


#: The codes a listener types back or reads out at a counter: a dossier received by the one-stop
#: desk ("Mã hồ sơ 000.00.12.H47-251028-0001"), a look-up, transaction, parcel or confirmation
#: code. Counted or dated, such a code says nothing ("không. không. mười hai."): each character
#: is said, digits one by one, letters by name, "." as chấm, "-" as gạch, "/" as gạch chéo.
_TYPED_CODE_RE = re.compile(
    rf"(?i)(?P<lead>(?:mã (?:số )?hồ sơ|số hồ sơ|mã tra cứu|mã giao dịch|mã vận đơn|mã bưu gửi|"
    rf"mã đơn hàng|mã xác nhận|mã xác thực|mã OTP|mã đặt chỗ|mã khách hàng|mã định danh)"
    rf"(?:\s+của(?:\s+[{_L}]+(?=\s)){{1,4}})?(?:\s+là)?\s*:?\s*)(?<![A-Za-z0-9])"
    rf"(?P<code>(?=[A-Za-z0-9.\-/]*\d)[A-Za-z0-9](?:[A-Za-z0-9]|[.\-/](?=[A-Za-z0-9]))*)"
    rf"(?![A-Za-z0-9{_L}])"
)

_CODE_MARKS = {".": "chấm", "-": "gạch", "/": "gạch chéo"}


def read_typed_code(code: str) -> str:
    """'000.00.12.H47-251028-0001' -> 'không không không chấm … hát bốn bảy gạch …'."""
    return " ".join(read_digits(c) if c.isdigit() else _CODE_MARKS.get(c) or spell_letters(c)
                    for c in code)


def _typed_codes(text: str, ctx: _Ctx) -> str:
    """Codes named as such (mã hồ sơ, mã tra cứu, ...) said one character at a time.

    Why a pass of its own, early: the dots and dashes of such a code are not decimals, dates or
    sentence ends, and the later passes would take them for those.
    """
    return _TYPED_CODE_RE.sub(lambda m: m["lead"] + read_typed_code(m["code"]), text)


_DIGIT_BLOCKS_RE = re.compile(r"(?<![\d.,])\d{4}(?: \d{4}){2,}(?![\d]|[.,]\d)")


_EMERGENCY_RE = re.compile(rf"(?<![\d.,/])(?P<n>11[1-5])(?![\d/]|[.,]\d|[{_L}])")


_EMERGENCY_PREV = {"gọi", "nóng", "đài", "hotline", "hoặc"}


_EMERGENCY_NEXT = {"khi", "để", "cấp", "báo", "công", "cứu"}


#: Vehicle plates: province, series (letters, a digit for a motorbike), number ("43A-123.45",
#: "92H1-456.78", "29-B1 234.56", "30E-12345" after "biển số"). Read like a phone number, one
#: digit at a time, the letters by name: that is how the police and the listener say a plate.
_PLATE_RE = re.compile(
    r"(?<![\w.,/-])(?P<p>\d{2})\s?-?\s?(?P<s>[A-Z]{1,2}\d?)\s?[-.]?\s?(?P<n>\d{3}\.\d{2}|\d{4,5})"
    r"(?![\w]|[.,]\d)"
)
_PLATE_CONTEXT_RE = re.compile(r"(?i:biển số|biển kiểm soát|bks|bsx|biển)\s*(?:xe\s*)?:?\s*$")


def _plate(m: re.Match[str]) -> str:
    if "." not in m["n"] and not _PLATE_CONTEXT_RE.search(m.string[max(0, m.start() - 25): m.start()]):
        return m.group(0)
    series = " ".join(read_digits(p) if p.isdigit() else spell_letters(p)
                      for p in re.findall(r"\d+|\D+", m["s"]))
    return f"{read_digits(m['p'])} {series} {read_digits(m['n'].replace('.', ''))}"


#: A crop variety: its code spelled, its number dialled ("lúa IR 50404", "giống OM 5451").
_VARIETY_RE = re.compile(
    rf"(?P<k>(?i:(?<![{_L}])(?:giống lúa|giống ngô|giống|lúa|ngô|lạc|đậu tương|đậu))\s+)"
    rf"(?P<c>[A-Z]{{1,4}})\s?-?\s?(?P<n>\d{{4,6}})(?!\d|[.,]\d)"
)


def _plates(text: str, ctx: _Ctx) -> str:
    """Vehicle plates and crop varieties, before document symbols and numbers: "29-B1 234.56"
    is not a symbol "29-B1", and "IR 50404" is no fifty thousand."""
    text = _VARIETY_RE.sub(
        lambda m: f"{m['k']}{spell_letters(m['c'])} {read_digits(m['n'])}", text
    )
    return _PLATE_RE.sub(_plate, text)


#: An SMS short code after "gửi" in a message's syntax ("soạn tin DK gửi 8198"): dialled.
#: The number ends the message's syntax: end, punctuation, or "để/hoặc/và/(" after it, never
#: a counted noun ("gửi 300 hộ" is a count).
_SMS_RE = re.compile(
    r"(?P<k>(?i:(?<![\w])(?:gửi|gửi đến|gửi tới|đến số|tới số))\s+)(?P<n>\d{3,5})"
    r"(?=\s*$|\s*[,;:)(]|\.(?!\d)|\s+(?i:để|hoặc|và|miễn|với)\b)"
)
_SMS_CONTEXT_RE = re.compile(r"(?i:cú pháp|soạn tin|nhắn tin|tin nhắn)")


#: Gold's fineness is a grade, not a count: "vàng nhẫn 9999" is "bốn số chín" on every price
#: bulletin (999.9 too), "vàng 24K" "hai mươi tư ca".
_GOLD_FINENESS_RE = re.compile(
    rf"(?P<k>(?i:(?<![{_L}])vàng(?:\s+(?:nhẫn|miếng|trang sức|ta|tây|SJC|ét gi xê))?"
    rf"(?:\s+tròn trơn)?)\s+)(?:9999|999[.,]9)(?![\d.,]\d|\d)"
)


#: A landline with its area code in brackets: "(0235) 3812345", "(0235) 3.812.345".
_BRACKETED_AREA_RE = re.compile(
    r"\((?P<a>0\d{2,3})\)\s?(?P<b>\d{1,4}(?:[ .]?\d{1,4}){0,3})(?![\w]|[.,]\d)"
)


def _bracketed_area(m: re.Match[str]) -> str:
    digits = m["a"] + re.sub(r"\D", "", m["b"])
    return read_digits(digits) if len(digits) in (10, 11) else m.group(0)


def _phones(text: str, ctx: _Ctx) -> str:
    def repl(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group("body"))
        if m.group("plus") != "0":
            # +84 is the country a caller abroad dials; a listener here dials the 0 instead
            # ("+84 905 123 456", "+84 (0)905...": "không chín không năm...")
            digits = digits.removeprefix("0")
            if len(digits) not in (9, 10):
                return m.group(0)
            return read_digits("0" + digits)
        if len(digits) + 1 not in (10, 11):
            return m.group(0)
        return read_digits("0" + digits)

    def emergency(m: re.Match[str]) -> str:
        if _prev_word(m) in _EMERGENCY_PREV or _next_word(m) in _EMERGENCY_NEXT:
            return read_digits(m["n"])
        return m.group(0)

    if _SMS_CONTEXT_RE.search(text):
        text = _SMS_RE.sub(lambda m: m["k"] + read_digits(m["n"]), text)
    text = _GOLD_FINENESS_RE.sub(lambda m: m["k"] + "bốn số chín", text)
    text = _BRACKETED_AREA_RE.sub(_bracketed_area, text)
    text = _PHONE_RE.sub(repl, text)
    text = _HOTLINE_RE.sub(lambda m: m.group("lead") + read_digits(m.group("num")), text)
    text = _SERVICE_NUM_RE.sub(lambda m: read_digits(m.group(0)), text)
    text = _ACCOUNT_RE.sub(lambda m: m["lead"] + read_digits(m["num"]), text)
    text = _DIGIT_BLOCKS_RE.sub(lambda m: read_digits(m.group(0)), text)
    return _EMERGENCY_RE.sub(emergency, text)
