"""Numbers with what is written against them: units, money, multipliers (10k, 1tr2), rates
('đồng/kg'), ranges and negatives.

Why one module: a unit decides how the number before it is read and whether a dash between
two quantities is a range, so quantities are read together.
"""

from __future__ import annotations

import logging
import re

from audio.tn.common import (
    _L,
    _NA,
    _NUM,
    _Ctx,
    _prev_word,
)
from audio.vi_numbers import (
    MAX_CARDINAL,
    read_decimal,
    read_digits,
    read_number,
)

logger = logging.getLogger(__name__)

_UNITS: dict[str, str] = {
    "km²": "ki lô mét vuông", "km2": "ki lô mét vuông", "m²": "mét vuông", "m2": "mét vuông",
    "cm²": "xăng ti mét vuông", "cm2": "xăng ti mét vuông", "m³": "mét khối",
    "m3": "mét khối", "cm³": "xăng ti mét khối", "cm3": "xăng ti mét khối",
    "km/h": "ki lô mét trên giờ", "km/giờ": "ki lô mét trên giờ", "m/s": "mét trên giây",
    "m/min": "mét trên phút", "m/phút": "mét trên phút",
    "km": "ki lô mét", "cm": "xăng ti mét", "mm": "mi li mét", "ha": "héc ta", "kg": "ki lô gam",
    "mg": "mi li gam", "ml": "mi li lít", "°C": "độ xê", "ºC": "độ xê", "℃": "độ xê",
    "°c": "độ xê", "oC": "độ xê", "⁰C": "độ xê",  # offices type the degree as a letter o
    "°F": "độ ép", "°f": "độ ép", "°K": "độ ca", "°k": "độ ca", "°": "độ",
    "%": "phần trăm", "‰": "phần nghìn", "kWh": "ki lô oát giờ", "kwh": "ki lô oát giờ", "kW": "ki lô oát",
    "kw": "ki lô oát", "MW": "mê ga oát", "TW": "tê ra oát", "tw": "tê ra oát",
    "kV": "ki lô vôn", "kv": "ki lô vôn", "mV": "mi li vôn", "mA": "mi li am pe",
    "Hz": "héc", "hz": "héc", "GHz": "gi ga héc", "ghz": "gi ga héc", "MHz": "mê ga héc",
    "Mhz": "mê ga héc", "GB": "gi ga bai", "gb": "gi ga bai", "MB": "mê ga bai",
    "Mb": "mê ga bai", "KB": "ki lô bai", "kb": "ki lô bai", "TB": "tê ra bai",
    "tb": "tê ra bai", "Mbps": "mê ga bít trên giây", "Gbps": "gi ga bít trên giây",
    "kbps": "ki lô bít trên giây", "Kbps": "ki lô bít trên giây", "hp": "mã lực", "HP": "mã lực", "inch": "inch", "tấn": "tấn",
    "tạ": "tạ", "yến": "yến", "lít": "lít", "sqm": "mét vuông", "cum": "mét khối",
    "VNĐ": "đồng", "VND": "đồng", "vnđ": "đồng", "vnd": "đồng", "đồng": "đồng",
    "USD": "đô la", "usd": "đô la", "EUR": "ơ rô", "$": "đô la", "€": "ơ rô", "₫": "đồng",
    "¥": "yên", "£": "bảng anh", "₩": "won", "₹": "ru pi",
    # one letter: only when written against the number ("5m", "100g", "2l", "10đ")
    "m": "mét", "g": "gam", "l": "lít", "đ": "đồng", "v": "vôn", "V": "vôn", "W": "oát",
    "T": "tấn",  # a load limit on a road sign or a bridge notice: "trên 10T"
}


#: How a rate is said: "2 lần/ngày" is "hai lần mỗi ngày", "6,5 tấn/ha" "... tấn mỗi héc ta". A
#: unit symbol over a unit symbol is read as the measuring unit it is, with "trên" ("40 km/h" "bốn
#: mươi ki lô mét trên giờ", "1.200 m³/s", "0,4 mg/l"), the convention of weather bulletins and of
#: the peers' corpus; over hectares it is a rate again ("80 kg/ha" "... mỗi héc ta", as "tấn/ha").
#: A price keeps "một" ("7.500 đồng/kg" "... đồng một ki lô
#: gam"), as a seller says it. "trên" is for tallies and fractions ("12/12 thôn"), never a rate.
RATE_WORD = "mỗi"
UNIT_OVER_UNIT_WORD = "trên"
_SYMBOL_BEFORE_SLASH_RE = re.compile(r"(?<![^\W\d_])([A-Za-zµ]+[²³23]?)$")


def _is_symbol(unit: str) -> bool:
    """A unit written as a symbol ("m³", "s"), not as a Vietnamese word ("tấn", "sào")."""
    return unit in _PER_WORDS or _UNITS.get(unit, unit) != unit


#: Land the farm notices count per: a quantity over it is a rate, whatever unit it is written in.
_AREA_OF_LAND = frozenset({"ha"})


def _rate_word(m: re.Match[str]) -> str:
    """'mỗi' after a counted noun ("lần/ngày"), 'trên' between unit symbols ("m³/s", "mg/l")."""
    before = _SYMBOL_BEFORE_SLASH_RE.search(m.string, 0, m.start())
    if m["u"] in _AREA_OF_LAND:  # "80 kg/ha" as "6,5 tấn/ha": a rate over the land, "mỗi"
        return RATE_WORD
    if before and _is_symbol(before.group(1)) and _is_symbol(m["u"]):
        return UNIT_OVER_UNIT_WORD
    return RATE_WORD


_PER_WORDS = {"h": "giờ", "s": "giây", "min": "phút", "ph": "phút", "p": "phút", "ng": "người"}


_MONEY = frozenset({"đồng", "đô la", "ơ rô", "yên", "bảng anh", "won", "ru pi"})


_ONE_LETTER = frozenset(u for u in _UNITS if len(u) == 1 and u[0].isalpha())


_SYMBOL_UNITS = frozenset(u for u in _UNITS if not u[0].isalnum())


def _unit_alternation() -> str:
    """Longest unit first, so 'km²' wins over 'km' and 'km' over 'm'."""
    spaced = sorted((u for u in _UNITS if u not in _ONE_LETTER), key=len, reverse=True)
    tight = sorted(_ONE_LETTER, key=len, reverse=True)
    spaced_re = "|".join(
        re.escape(u) + ("" if u in _SYMBOL_UNITS and u not in "$€₫¥£₩₹" else _NA) for u in spaced
    )
    # 'm' and 'đ' are also written one space after the number ("rộng 5 m", "50.000 đ/hộ")
    tight_re = "|".join(("\\s?" if u in "mđ" else "") + re.escape(u) + _NA for u in tight)
    return rf"(?:\s?(?:{spaced_re})|(?:{tight_re}))"


_UNIT = _unit_alternation()


_PER = (
    rf"(?:/(?:{'|'.join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True) if u[0].isalpha())}"
    rf"|[{_L}]+(?:(?: [{_L}]+)+(?=/))?){_NA})"
)


_MULT = r"(?:(?:k|tr|t)\d{0,2}(?![\w]))"


_QTY = rf"(?:{_NUM}(?:{_MULT})?(?:{_UNIT})?(?:{_PER})*)"


_QTY_FULL_RE = re.compile(
    rf"(?P<num>{_NUM})(?P<mult>{_MULT})?(?P<unit>{_UNIT})?(?P<per>{_PER}*)", re.DOTALL
)


def _num_value(token: str) -> int | None:
    """Integer value of a written number without decimals, or None when it has decimals."""
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", token):
        return int(token.replace(".", ""))
    if re.fullmatch(r"\d{1,3}(?:,\d{3}){2,}", token):
        return int(token.replace(",", ""))
    if re.fullmatch(r"\d{1,3}(?: \d{3})+", token):
        return int(token.replace(" ", ""))
    if token.isdigit():
        return int(token)
    return None


def read_written_number(token: str, dialect: str) -> str:
    """Read one written number token as _NUM matches it ('1.500.000', '85,5', '1.5', '007')."""
    value = _num_value(token)
    if value is not None:
        if token.isdigit() and len(token) >= 4 and token.startswith("0"):
            return read_digits(token)  # codes and IDs such as 0012
        if value > MAX_CARDINAL:
            return read_digits(token)
        return read_number(value, dialect)
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+,\d+", token):
        whole, frac = token.split(",")
        return read_decimal(whole.replace(".", ""), frac, dialect)
    if re.fullmatch(r"\d+,\d+", token):
        whole, frac = token.split(",")
        return read_decimal(whole, frac, dialect)
    if re.fullmatch(r"\d+(?:\.\d+)+", token):
        parts = token.split(".")
        if len(parts) == 2:
            return read_decimal(parts[0], parts[1], dialect, sep="chấm")
        return " chấm ".join(read_digits(p) for p in parts)  # versions, addresses: 1.25.3
    return token


def _read_mult(number: str, mult: str, dialect: str) -> str:
    """'10k' -> 'mười nghìn', '1tr2' -> 'một triệu hai trăm nghìn', '2t3' -> 'hai tỷ ba trăm triệu'."""
    scale_word = {"k": "", "tr": "triệu", "t": "tỷ"}
    letters = mult.rstrip("0123456789")
    tail = mult[len(letters):]
    thousand = "ngàn" if dialect == "south" else "nghìn"
    base = read_written_number(number, dialect)
    if letters == "k":
        head = f"{base} {thousand}"
        sub = ""
        if tail:
            sub = read_number(int(tail.ljust(3, "0")), dialect)
        return f"{head} {sub}".strip()
    head = f"{base} {scale_word[letters]}"
    if not tail:
        return head
    below = {"tr": thousand, "t": "triệu"}[letters]
    return f"{head} {read_number(int(tail.ljust(3, '0')), dialect)} {below}"


def _read_unit(unit: str) -> str:
    return _UNITS.get(unit.strip(), unit.strip())


def _read_cents(m: re.Match[str], dialect: str) -> str | None:
    """'5,99$' -> 'năm đô la chín mươi chín xu': dollar and euro amounts keep their cents."""
    unit = (m["unit"] or "").strip()
    num = m["num"]
    if unit not in ("$", "€", "USD", "usd") or m["mult"] or m["per"]:
        return None
    found = re.fullmatch(r"(\d+),(\d{1,2})", num)
    if not found:
        return None
    whole, cents = int(found[1]), int(found[2].ljust(2, "0"))
    name = _UNITS[unit]
    parts = [f"{read_number(whole, dialect)} {name}"] if whole else []
    if cents:
        parts.append(f"{read_number(cents, dialect)} xu")
    return " ".join(parts) or f"không {name}"


def read_quantity(text: str, dialect: str, *, with_unit: bool = True) -> str:
    """Read a number with its multiplier, unit and 'per' part ('15.000đ/kg', '120km/h')."""
    m = _QTY_FULL_RE.fullmatch(text.strip())
    if not m:
        return text
    cents = _read_cents(m, dialect)
    if cents is not None and with_unit:
        return cents
    unit = m.group("unit")
    dotted = re.fullmatch(r"(\d+)\.(\d{1,2})", m.group("num"))
    if m.group("mult"):
        words = _read_mult(m.group("num"), m.group("mult"), dialect)
    elif dotted and unit:  # "3.5 ha": a decimal typed the English way, before its unit
        words = read_decimal(dotted[1], dotted[2], dialect)
    else:
        words = read_written_number(m.group("num"), dialect)
    unit_words = _read_unit(unit) if unit else ""
    if unit_words and with_unit:
        words = f"{words} {unit_words}"
    per = m.group("per")
    if per and with_unit:
        if unit_words in _MONEY or unit_words == "phần trăm":
            link = "một"
        elif unit and _is_symbol(unit.strip()) and all(
                _is_symbol(w) and w not in _AREA_OF_LAND for w in per[1:].split("/")):
            link = UNIT_OVER_UNIT_WORD  # one measuring unit: "m³/s", "mg/l" (not "kg/sào")
        else:
            link = RATE_WORD
        for per_word in per[1:].split("/"):
            per_words = _PER_WORDS.get(per_word) or _UNITS.get(per_word, per_word)
            words = f"{words} {link} {per_words}"
    return words


# --- sizes, ranges, quantities, negatives ---------------------------------------------------
_SIZE_RE = re.compile(r"(?<=\d)(?P<u>(?:cm|mm|m)?)\s*[x×]\s*(?=\d)")


_RANGE_RE = re.compile(
    rf"(?<![\d/.,:-])(?P<a>{_QTY})\s?[-–—]\s?(?P<b>{_QTY})(?![\d/]|[.,-]\d|[{_L}])"
)


_NEG_RE = re.compile(r"(?:(?<=^)|(?<=[\s(\[:;=]))[-−–](?=\d)", re.MULTILINE)


_DOC_WORDS = {"án", "thị", "văn", "mã", "hiệu"}


#: The words that open the far end of a span ("từ 3 đến ...", "từ 3 tới ...").
_SPAN_ENDS = frozenset({"đến", "tới"})


_QTY_RE = re.compile(rf"(?<![\d{_L}])(?P<q>{_QTY})(?![\d])")


_LONE_UNIT_RE = re.compile(
    rf"(?<![{_L}\d])(?:km²|km2|m²|m³|cm²|cm³|km/h|km|kg|cm|mm|mg|ml|kWh|kW)(?![{_L}\d])"
)


_MONEY_PER_RE = re.compile(
    rf"(?P<money>(?<![{_L}])đồng)(?P<per>(?:/[{_L}\d²³]+(?:(?: [{_L}]+)+(?=/))?)+)"
)


_SLASH_UNIT_RE = re.compile(rf"/(?P<u>km²|km2|m²|m2|m³|m3|ha|kg|km|h){_NA}")


_PREFIX_MONEY_RE = re.compile(rf"(?P<c>[$€¥£₩])\s?(?P<n>{_NUM})")


def _negatives(text: str, ctx: _Ctx) -> str:
    """A minus sign after a space or at the start is a true negative ('-5°C'); ranges never are."""
    return _NEG_RE.sub("âm ", text)


_TIMES_RE = re.compile(rf"(?<![{_L}\d])[x×](?P<n>\d{{1,3}})(?![{_L}\d.,])")


_KM_SPAN_RE = re.compile(r"(?<=\d)\s*[-–—]\s*(?=[Kk]m\s?\d)")


#: Scientific notation: 3.2e5, 6.626e-34, 1.5×10^-3, and powers (mol^-1).
_SCI_RE = re.compile(
    rf"(?<![\d{_L}.,])(?P<a>\d+)(?:[.,](?P<f>\d+))?(?:[eE](?P<e>[-+−]?\d+)|\s?[x×]\s?10\^(?P<p>[-+−]?\d+))"
    rf"(?![\d{_L}])"
)
_POWER_RE = re.compile(r"\^(?P<s>[-−]?)(?P<n>\d+)")
#: Thousands with commas and a decimal point, the English way: 1,299.5.
_EN_DECIMAL_RE = re.compile(r"(?<![\d.,])(?P<w>\d{1,3}(?:,\d{3})+)\.(?P<f>\d+)(?![\d.,])")


#: Decimal commas in a row (1,23,4): each comma is said, the parts after it digit by digit.
_COMMA_RUN_RE = re.compile(r"(?<![\d.,])(?P<a>\d+)(?P<rest>(?:,\d+){2,})(?![\d.,]*\d)")
#: A ratio or code whose part keeps a leading zero ("01/13"): the zero is said.
_ZERO_RATIO_RE = re.compile(r"(?<![\d/.,])(?P<a>0\d)/(?P<b>\d{1,3})(?![\d/.,])")


def _scientific(text: str, ctx: _Ctx) -> str:
    def sci(m: re.Match[str]) -> str:
        mantissa = ctx.num(int(m["a"])) + (f" chấm {read_digits(m['f'])}" if m["f"] else "")
        exp = m["e"] or m["p"]
        sign = "trừ " if exp[0] in "-−" else ""
        return f"{mantissa} nhân mười mũ {sign}{ctx.num(int(exp.lstrip('+-−')))}"

    text = _SCI_RE.sub(sci, text)
    text = _POWER_RE.sub(
        lambda m: f" mũ {'trừ ' if m['s'] else ''}{ctx.num(int(m['n']))}", text
    )
    text = _EN_DECIMAL_RE.sub(
        lambda m: f"{ctx.num(int(m['w'].replace(',', '')))} phẩy {read_digits(m['f'])}", text
    )

    def comma_run(m: re.Match[str]) -> str:
        parts = m["rest"][1:].split(",")
        if all(len(p) == 3 for p in parts):
            return m.group(0)  # thousands: 1,234,567
        return " phẩy ".join([ctx.num(int(m["a"]))] + [read_digits(p) for p in parts])

    text = _COMMA_RUN_RE.sub(comma_run, text)
    return _ZERO_RATIO_RE.sub(lambda m: f"{read_digits(m['a'])} trên {ctx.num(int(m['b']))}", text)


_HASH_NUMBER_RE = re.compile(r"#\s?(?=\d)")


#: A rate over a counted span: "100 mm/24h", "3 lần/2 ngày" ("... mỗi hai mươi tư giờ").
_PER_SPAN_RE = re.compile(r"/(?P<n>\d{1,3})\s?(?P<u>h|giờ|ngày|tuần|tháng|năm)(?![\w])")


def _quantities(text: str, ctx: _Ctx) -> str:
    text = _PER_SPAN_RE.sub(
        lambda m: f" {RATE_WORD} {ctx.num(int(m['n']))} {_PER_WORDS.get(m['u'], m['u'])}", text
    )
    text = _HASH_NUMBER_RE.sub("thăng ", text)  # "#1": the sign's own name (dấu thăng)
    text = _scientific(text, ctx)
    text = _KM_SPAN_RE.sub(" đến ", text)  # "km 3 - km 7": from one milestone to the other
    text = _TIMES_RE.sub(lambda m: f"nhân {ctx.num(int(m['n']))}", text)
    text = _SIZE_RE.sub(lambda m: f" {_UNITS[m['u']] + ' ' if m['u'] else ''}nhân ", text)
    text = _PREFIX_MONEY_RE.sub(
        lambda m: f"{read_written_number(m['n'], ctx.dialect)} {_UNITS[m['c']]}", text
    )

    def rng(m: re.Match[str]) -> str:
        a = _QTY_FULL_RE.fullmatch(m["a"])
        b = _QTY_FULL_RE.fullmatch(m["b"])
        same_unit_later = a is not None and b is not None and not a["unit"] and b["unit"]
        left = read_quantity(m["a"], ctx.dialect, with_unit=not same_unit_later)
        # the far end of a span that is itself a span ("từ 3 đến 5-7 người") is said the way
        # a count of a few is said, "năm, bảy": "đến năm đến bảy" would give two far ends
        link = "," if _prev_word(m) in _SPAN_ENDS else " đến"
        return f"{left}{link} {read_quantity(m['b'], ctx.dialect)}"

    text = _RANGE_RE.sub(rng, text)

    def qty(m: re.Match[str]) -> str:
        q = m["q"]
        if re.fullmatch(r"0\d{1,2}", q) and _prev_word(m) in _DOC_WORDS:
            return read_digits(q)  # "Đề án 06", "Chỉ thị 04"
        words = read_quantity(q, ctx.dialect)
        glued = m.end() < len(m.string) and m.string[m.end()].isalpha()
        return words + " " if glued else words

    text = _QTY_RE.sub(qty, text)
    text = _MONEY_PER_RE.sub(
        lambda m: m["money"] + "".join(
            f" một {_PER_WORDS.get(w) or _UNITS.get(w, w)}" for w in m["per"][1:].split("/")
        ),
        text,
    )
    text = _SLASH_UNIT_RE.sub(
        lambda m: f" {_rate_word(m)} {_PER_WORDS.get(m['u']) or _UNITS[m['u']]}", text
    )
    return _LONE_UNIT_RE.sub(lambda m: _UNITS[m.group(0)], text)
