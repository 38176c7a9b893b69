"""Vietnamese number reading: cardinals, digit strings, decimals, ordinals, Roman numerals.

Why a module of its own: numbers are read in many contexts (dates, money, units, document numbers)
and each must use exactly the same words, so the reading lives in one place. Northern commune
usage is the default ("nghìn", "linh", "hai mươi tư"); the Southern forms ("ngàn", "lẻ",
"hai mươi bốn") are chosen with ``dialect="south"``.
"""

from __future__ import annotations

import logging
import re

logger = logging.getLogger(__name__)

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")

#: Largest integer read as words; beyond it (IDs, serials) a number is read digit by digit.
MAX_CARDINAL = 10**21 - 1

_ROMAN_RE = re.compile(
    r"^M{0,4}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$", re.IGNORECASE
)
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def _check_dialect(dialect: str) -> None:
    """Reject unknown dialects early: a typo in settings must not silently change readings."""
    if dialect not in ("north", "south"):
        raise ValueError(f"Phương ngữ không hợp lệ: {dialect!r} (chỉ 'north' hoặc 'south')")


def _words(dialect: str) -> tuple[str, str]:
    """The two words that differ most between North and South: thousand and 'zero tens'."""
    return ("ngàn", "lẻ") if dialect == "south" else ("nghìn", "linh")


def _read_below_100(n: int, dialect: str) -> str:
    """Read 0..99 with the sound changes mốt/tư/lăm that listeners expect."""
    if n < 10:
        return DIGITS[n]
    tens, unit = divmod(n, 10)
    head = "mười" if tens == 1 else f"{DIGITS[tens]} mươi"
    if unit == 0:
        return head
    if unit == 5:
        tail = "lăm"
    elif unit == 1 and tens >= 2:
        tail = "mốt"
    elif unit == 4 and tens >= 2 and dialect == "north":
        tail = "tư"
    else:
        tail = DIGITS[unit]
    return f"{head} {tail}"


def _read_triple(n: int, dialect: str, *, full: bool) -> str:
    """Read 0..999; ``full`` says a higher group precedes, so 'không trăm' must be spoken."""
    hundreds, rest = divmod(n, 100)
    zero_tens = _words(dialect)[1]
    parts: list[str] = []
    if hundreds or full:
        parts.append(f"{DIGITS[hundreds]} trăm")
        if rest == 0:
            return " ".join(parts)
        if rest < 10:
            parts.append(f"{zero_tens} {DIGITS[rest]}")
            return " ".join(parts)
    parts.append(_read_below_100(rest, dialect))
    return " ".join(parts)


def read_number(n: int, dialect: str = "north") -> str:
    """Read an integer as Vietnamese words ('2024' -> 'hai nghìn không trăm hai mươi tư').

    Past a billion the scale repeats ('một nghìn tỷ', 'một tỷ tỷ'), which is how Vietnamese
    speakers say very large amounts. Numbers above MAX_CARDINAL are read digit by digit.
    """
    _check_dialect(dialect)
    if n < 0:
        return f"âm {read_number(-n, dialect)}"
    if n > MAX_CARDINAL:
        return read_digits(str(n))
    if n >= 10**9:
        high, low = divmod(n, 10**9)
        head = f"{read_number(high, dialect)} tỷ"
        return head if low == 0 else f"{head} {_read_below_billion(low, dialect, full=True)}"
    return _read_below_billion(n, dialect, full=False)


def _read_below_billion(n: int, dialect: str, *, full: bool) -> str:
    """Read 0..999,999,999 in groups of three (triệu, nghìn, units)."""
    if n == 0:
        return DIGITS[0]
    thousand = _words(dialect)[0]
    groups = [(n // 10**6, "triệu"), ((n // 1000) % 1000, thousand), (n % 1000, "")]
    parts: list[str] = []
    for value, scale in groups:
        if value == 0:
            continue
        words = _read_triple(value, dialect, full=full or bool(parts))
        parts.append(f"{words} {scale}".strip())
    return " ".join(parts)


def read_digits(digits: str) -> str:
    """Read a digit string one digit at a time (phone numbers, codes, IDs)."""
    return " ".join(DIGITS[int(d)] for d in digits if d.isdigit())


def read_decimal(int_part: str, frac_part: str, dialect: str = "north", sep: str = "phẩy") -> str:
    """Read '85,5' as 'tám mươi lăm phẩy năm'; the fraction digit by digit (no ambiguity),
    except two digits, said the short way announcers say them: '6,25' is 'sáu phẩy hai lăm'.

    The convention (docs/ARCHITECTURE.md, "How numbers are read"): exactly two digits after the
    comma that do not start with 0 or 1 are read as a short two-digit number, tens digit then
    unit with the sound changes of counting (lăm for 5, mốt for 1, tư for 4 in the North):
    '6,25' sáu phẩy hai lăm, '9,85' chín phẩy tám lăm, '2,31' hai phẩy ba mốt. Otherwise each
    digit is said ('3,14' ba phẩy một bốn, '0,05' không phẩy không năm, '1,125' ... một hai năm).
    """
    head = read_number(int(int_part), dialect) if int_part else DIGITS[0]
    return f"{head} {sep} {read_fraction_digits(frac_part, dialect)}"


def read_fraction_digits(frac: str, dialect: str = "north") -> str:
    """The digits after a decimal separator, as :func:`read_decimal` documents."""
    if len(frac) == 2 and frac.isdigit() and frac[0] not in "01":
        tens, unit = DIGITS[int(frac[0])], int(frac[1])
        tail = {5: "lăm", 1: "mốt", 4: "tư" if dialect == "north" else "bốn"}.get(unit, DIGITS[unit])
        return f"{tens} {tail}"
    return read_digits(frac)


def read_ordinal(n: int, dialect: str = "north") -> str:
    """Read the number that follows 'thứ'/'hạng': 1 -> 'nhất', 4 -> 'tư', else the cardinal."""
    if n == 1:
        return "nhất"
    if n == 4:
        return "tư"
    return read_number(n, dialect)


def read_month(n: int, dialect: str = "north") -> str:
    """Read a month number: April is 'tháng tư' everywhere, the rest are cardinals."""
    return "tư" if n == 4 else read_number(n, dialect)


def is_roman(token: str) -> bool:
    """True for a well-formed Roman numeral (I..MMMMCMXCIX), in either case."""
    return bool(token) and bool(_ROMAN_RE.match(token))


def roman_to_int(token: str) -> int:
    """Convert a well-formed Roman numeral; raises ValueError for anything else."""
    if not is_roman(token):
        raise ValueError(f"Không phải số La Mã: {token!r}")
    total = 0
    values = [_ROMAN_VALUES[c] for c in token.upper()]
    for i, v in enumerate(values):
        total += -v if i + 1 < len(values) and values[i + 1] > v else v
    return total
