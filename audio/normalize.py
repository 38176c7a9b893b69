"""Vietnamese text normalisation: turn a written commune notice into the words to be spoken.

Why: a listener in a rice field hears the loudspeaker once. Speech engines read "UBND" as English,
"22/12/2024" as bare numbers and "57-NQ/TW" as noise, so every bulletin goes through
:func:`normalize` before synthesis. The function is pure, deterministic and offline.

The work is a fixed sequence of passes, each one precompiled regular expression with a reader
function. Order matters: document numbers before dates (39/2020/TT-BTTTT is not a date), phone
numbers before plain numbers, ranges before negatives (2021-2025 is never "trừ"), and the
letter-by-letter spelling of unknown capitals last, after every glossary has had its turn.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Callable, Mapping

from audio.abbreviations import (
    DEFAULT_GLOSSARY,
    DEFAULT_GLOSSARY_ANYCASE,
    LETTER_NAMES,
    has_vietnamese_marks,
    is_vietnamese_syllable,
    spell_letters,
)
from audio.vi_numbers import (
    MAX_CARDINAL,
    is_roman,
    read_decimal,
    read_digits,
    read_month,
    read_number,
    read_ordinal,
    roman_to_int,
)

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 20_000


class TextInputError(ValueError):
    """Text that cannot be spoken (empty, too long); ``str(exc)`` is a Vietnamese message."""


# ---------------------------------------------------------------------------------------------
# Cleaning
# ---------------------------------------------------------------------------------------------

_KEEP_SYMBOLS = frozenset("°℃№")
_SPACES_RE = re.compile(r"[^\S\n]+")
_BLANK_LINES_RE = re.compile(r"\n{3,}")


def _keep_char(ch: str) -> bool:
    """Drop control characters, emoji and invisible joiners; keep letters, digits, punctuation."""
    if ch in "\n\t":
        return True
    if ch in _KEEP_SYMBOLS:
        return True
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cf", "Cs", "Co", "Cn", "So"):
        return False
    if cat == "Sk" and ord(ch) > 0x2000:  # emoji skin-tone modifiers
        return False
    if cat == "Mn" and 0xFE00 <= ord(ch) <= 0xFE0F:  # variation selectors after emoji
        return False
    return True


def _dotted(n: int) -> str:
    """Vietnamese thousands separator: 20000 -> '20.000'."""
    return f"{n:,}".replace(",", ".")


def clean_text(text: str) -> str:
    """NFC-normalise, strip control characters and emoji, collapse spaces.

    Raises TextInputError for empty or whitespace-only text and for text longer than
    MAX_TEXT_CHARS, so that nothing downstream ever synthesises an empty or runaway file.
    """
    if not isinstance(text, str):
        raise TextInputError("Văn bản trống: cần một chuỗi ký tự để đọc.")
    if len(text) > MAX_TEXT_CHARS:
        raise TextInputError(
            f"Văn bản quá dài: {_dotted(len(text))} ký tự, tối đa {_dotted(MAX_TEXT_CHARS)}"
        )
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch if _keep_char(ch) else " " for ch in text)
    text = _SPACES_RE.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES_RE.sub("\n\n", text).strip()
    if not text:
        raise TextInputError("Văn bản trống: không có chữ nào để đọc.")
    return text


# ---------------------------------------------------------------------------------------------
# Shared pieces of patterns
# ---------------------------------------------------------------------------------------------

_L = r"A-Za-zÀ-ỹĐđ"  # letters, Vietnamese included (for hand-made word boundaries)
_NB = rf"(?<![{_L}\d])"  # not preceded by a letter or digit
_NA = rf"(?![{_L}\d])"  # not followed by a letter or digit

#: A written number: dotted thousands, comma thousands (>= 2 groups), space thousands,
#: dotted sequences (1.5, 1.25.3), or plain digits with an optional decimal comma.
_NUM = (
    r"(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?(?![.\d])"
    r"|\d{1,3}(?:,\d{3}){2,}(?![,\d])"
    r"|\d{1,3}(?: \d{3})+(?![\d,.])"
    r"|\d+(?:\.\d+)+(?![.\d])"
    r"|\d+(?:,\d+)?)"
)

_UNITS: dict[str, str] = {
    "km²": "ki lô mét vuông", "km2": "ki lô mét vuông", "m²": "mét vuông", "m2": "mét vuông",
    "cm²": "xăng ti mét vuông", "cm2": "xăng ti mét vuông", "m³": "mét khối",
    "m3": "mét khối", "cm³": "xăng ti mét khối", "cm3": "xăng ti mét khối",
    "km/h": "ki lô mét trên giờ", "km/giờ": "ki lô mét trên giờ", "m/s": "mét trên giây",
    "m/min": "mét trên phút", "m/phút": "mét trên phút",
    "km": "ki lô mét", "cm": "xăng ti mét", "mm": "mi li mét", "ha": "héc ta", "kg": "ki lô gam",
    "mg": "mi li gam", "ml": "mi li lít", "°C": "độ xê", "ºC": "độ xê", "℃": "độ xê",
    "°c": "độ xê", "°F": "độ ép", "°f": "độ ép", "°K": "độ ca", "°k": "độ ca", "°": "độ",
    "%": "phần trăm", "kWh": "ki lô oát giờ", "kwh": "ki lô oát giờ", "kW": "ki lô oát",
    "kw": "ki lô oát", "MW": "mê ga oát", "TW": "tê ra oát", "tw": "tê ra oát",
    "kV": "ki lô vôn", "kv": "ki lô vôn", "mV": "mi li vôn", "mA": "mi li am pe",
    "Hz": "héc", "hz": "héc", "GHz": "gi ga héc", "ghz": "gi ga héc", "MHz": "mê ga héc",
    "Mhz": "mê ga héc", "GB": "gi ga bai", "gb": "gi ga bai", "MB": "mê ga bai",
    "Mb": "mê ga bai", "KB": "ki lô bai", "kb": "ki lô bai", "TB": "tê ra bai",
    "tb": "tê ra bai", "hp": "mã lực", "HP": "mã lực", "inch": "inch", "tấn": "tấn",
    "tạ": "tạ", "yến": "yến", "lít": "lít", "sqm": "mét vuông", "cum": "mét khối",
    "VNĐ": "đồng", "VND": "đồng", "vnđ": "đồng", "vnd": "đồng", "đồng": "đồng",
    "USD": "đô la", "usd": "đô la", "EUR": "ơ rô", "$": "đô la", "€": "ơ rô", "₫": "đồng",
    "¥": "yên", "£": "bảng anh", "₩": "won", "₹": "ru pi",
    # one letter: only when written against the number ("5m", "100g", "2l", "10đ")
    "m": "mét", "g": "gam", "l": "lít", "đ": "đồng", "v": "vôn", "V": "vôn", "W": "oát",
}
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

#: Capital letters only (Vietnamese included): the class that makes a token an abbreviation.
_ABBR_CHARS = "A-Z" + "".join(
    c for c in map(chr, range(0xC0, 0x1EFA)) if c.isupper() and unicodedata.category(c) == "Lu"
)


# ---------------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------------


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
        return " chấm ".join(read_number(int(p), dialect) for p in parts)
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
    if m.group("mult"):
        words = _read_mult(m.group("num"), m.group("mult"), dialect)
    else:
        words = read_written_number(m.group("num"), dialect)
    unit = m.group("unit")
    unit_words = _read_unit(unit) if unit else ""
    if unit_words and with_unit:
        words = f"{words} {unit_words}"
    per = m.group("per")
    if per and with_unit:
        link = "một" if unit_words in _MONEY or unit_words == "phần trăm" else "trên"
        for per_word in per[1:].split("/"):
            per_words = _PER_WORDS.get(per_word) or _UNITS.get(per_word, per_word)
            words = f"{words} {link} {per_words}"
    return words


def _prev_word(m: re.Match[str], n: int = 1) -> str:
    """The n words before a match, lowercased (for context decisions such as 'ngày')."""
    before = m.string[: m.start()]
    words = re.findall(rf"[{_L}]+", before[-40:])
    return " ".join(words[-n:]).lower()


# ---------------------------------------------------------------------------------------------
# Passes
# ---------------------------------------------------------------------------------------------

Pass = Callable[[str, "_Ctx"], str]


class _Ctx:
    """What every pass needs: dialect and the merged glossary lookup."""

    def __init__(self, dialect: str, glossary: Mapping[str, str]) -> None:
        self.dialect = dialect
        self.glossary = glossary
        self.glossary_ci = {k.lower(): v for k, v in glossary.items()}

    def num(self, n: int) -> str:
        return read_number(n, self.dialect)

    def lookup(self, token: str) -> str | None:
        """Commune words (any case) first, then the default glossary."""
        hit = self.glossary_ci.get(token.lower())
        if hit is not None:
            return hit
        hit = DEFAULT_GLOSSARY.get(token)
        if hit is not None:
            return hit
        return DEFAULT_GLOSSARY_ANYCASE.get(token.lower())


# --- web addresses and e-mail: dichvucong.gov.vn, ubndxa@hanoi.gov.vn -------------------------
_WEB_LABELS = {
    "www": "vê kép vê kép vê kép", "vn": "vê en", "gov": "gờ o vê", "com": "com", "net": "nét",
    "org": "o rờ gờ", "edu": "e đu", "info": "in phô", "io": "i o",
}
_TLD = r"(?:vn|com|net|org|gov|edu|info|io)"
_WEB_RE = re.compile(
    rf"(?<![\w@.])(?:(?P<scheme>https?://)|(?P<user>[A-Za-z0-9._%+-]+)@)?"
    rf"(?P<host>(?:[A-Za-z0-9-]+\.)+{_TLD})(?P<path>/[A-Za-z0-9._~%/?=&#-]*[A-Za-z0-9/])?"
    rf"(?![A-Za-z0-9@])",
    re.IGNORECASE,
)


def _read_web_part(part: str) -> str:
    """One piece of an address: known labels by name, digits one by one, words kept whole."""
    out = []
    for token in re.findall(r"[A-Za-z]+|\d+|[^A-Za-z\d]", part):
        low = token.lower()
        if low in _WEB_LABELS:
            out.append(_WEB_LABELS[low])
        elif token.isdigit():
            out.append(read_digits(token))
        elif token == ".":
            out.append("chấm")
        elif token == "/":
            out.append("gạch chéo")
        elif token == "-":
            out.append("gạch ngang")
        elif token == "_":
            out.append("gạch dưới")
        elif token.isalpha():
            out.append(low)
    return " ".join(out)


def _web(text: str, ctx: _Ctx) -> str:
    """Say an address the way an announcer dictates it: 'dichvucong chấm gờ o vê chấm vê en'.

    Why: the dots of a domain would otherwise become sentence breaks and its letters would be
    spelled at random; the scheme (https://) is never spoken.
    """
    def repl(m: re.Match[str]) -> str:
        words = []
        if m["user"]:
            words += [_read_web_part(m["user"]), "a còng"]
        words.append(_read_web_part(m["host"]))
        if m["path"] and m["path"] != "/":
            words.append(_read_web_part(m["path"]))
        return " ".join(words)

    return _WEB_RE.sub(repl, text)


# --- address and heading abbreviations with a period: P. Bến Nghé, Q.1, TT. Y tế, ĐT.743 ------
_CENTRE_WORDS = (
    r"Y|Văn|Giáo|Dịch|Hành|Chính|Bồi|Khuyến|Phát|Truyền|Kiểm|Công|Nước|Dân|Văn|Thông|Điều|"
    r"Quan|Kỹ|Nghiên|Giám|Lưu|Phục|Hỗ|Tư|Thể|Giống|Trợ"
)
_ADDRESS_RE = re.compile(
    rf"(?<![{_L}\d.])(?P<a>P|Q|TX|TT|X|TP|Tp|tp)\.\s?(?=\d|[{_ABBR_CHARS}])"
)
_ADDRESS_WORDS = {"P": "phường", "Q": "quận", "TX": "thị xã", "X": "xã", "TP": "thành phố",
                  "Tp": "thành phố", "tp": "thành phố"}
_CAPS_DOT_NUM_RE = re.compile(rf"(?<![{_L}\d.])(?P<c>[{_ABBR_CHARS}]{{2,4}})\.(?=\d)")


def _addresses(text: str, ctx: _Ctx) -> str:
    """'P. Bến Nghé' -> 'phường Bến Nghé', 'TT. Y tế' -> 'trung tâm Y tế', 'ĐT.743' -> 'ĐT 743'.

    Why: a period after a one- or two-letter abbreviation is not a sentence end; left alone it
    becomes a pause and the letter is spelled ('pê. Bến Nghé'). TT. is a thị trấn in an address
    and a trung tâm before the name of a service.
    """
    def repl(m: re.Match[str]) -> str:
        abbr = m["a"]
        if abbr == "TT":
            rest = m.string[m.end(): m.end() + 12]
            word = "trung tâm" if re.match(rf"(?:{_CENTRE_WORDS})(?![{_L}])", rest) else "thị trấn"
        else:
            word = _ADDRESS_WORDS[abbr]
        return word + " "

    text = _ADDRESS_RE.sub(repl, text)
    return _CAPS_DOT_NUM_RE.sub(
        lambda m: m.group(0) if is_roman(m["c"]) else m["c"] + " ", text  # quý III.2021
    )


# --- "Dịch tả lợn châu Phi (ASF)": an abbreviation right after its own expansion -----------
_PAREN_ABBR_RE = re.compile(rf"\s*\((?P<a>[{_ABBR_CHARS}][{_ABBR_CHARS}A-Za-z\d&-]*)\)")


def _fold_words(text: str) -> list[str]:
    return re.findall(rf"[{_L}]+", unicodedata.normalize("NFC", text).lower())


def _paren_abbr(text: str, ctx: _Ctx) -> str:
    """Drop '(UBND)' after 'Ủy ban nhân dân': the listener would hear the same words twice.

    The abbreviation is dropped when its glossary reading, or its initials, repeat the words
    just before the parenthesis; otherwise it stays and is read.
    """
    def repl(m: re.Match[str]) -> str:
        abbr = m["a"]
        before = _fold_words(m.string[max(0, m.start() - 80): m.start()])
        reading = ctx.lookup(abbr)
        if reading is not None:
            said = _fold_words(reading)
            if said and before[-len(said):] == said:
                return ""
        letters = [c for c in abbr if c.isalpha()]
        if 2 <= len(letters) <= len(before) and letters == [c for c in abbr if c.isupper()]:
            initials = [w[0] for w in before[-len(letters):]]
            if initials == [c.lower() for c in letters]:
                return ""
        return m.group(0)

    return _PAREN_ABBR_RE.sub(repl, text)


# --- document numbers: 39/2020/TT-BTTTT, 160/KH-SVHTTDL, 57-NQ/TW, 15/CT-TTg -------------------
_CODE_PIECE = rf"[{_ABBR_CHARS}][{_ABBR_CHARS}a-zđ&]*\d*"
_DOCNUM_RE = re.compile(
    rf"{_NB}(?P<nums>\d+(?:/\d+)*)(?P<sep>[/-])(?P<code>{_CODE_PIECE}(?:[-/]{_CODE_PIECE})*){_NA}"
)


def _read_code(code: str, ctx: _Ctx) -> str:
    """Read the letters of a document number with the glossary, piece by piece if need be."""
    whole = ctx.lookup(code)
    if whole is not None:
        return whole
    pieces = re.split(r"([-/])", code)
    out: list[str] = []
    i = 0
    while i < len(pieces):
        # try the longest run of pieces that the glossary knows (e.g. NQ/TW inside TB-NQ/TW)
        for j in range(len(pieces), i, -2):
            joined = "".join(pieces[i:j])
            hit = ctx.lookup(joined)
            if hit is not None:
                out.append(hit)
                i = j + 1
                break
        else:
            out.append(_read_caps_token(pieces[i], ctx))
            i += 2
    return " ".join(out)


def _docnum(text: str, ctx: _Ctx) -> str:
    def repl(m: re.Match[str]) -> str:
        nums = " trên ".join(ctx.num(int(n)) for n in m.group("nums").split("/"))
        link = " trên " if m.group("sep") == "/" else " "
        return f"{nums}{link}{_read_code(m.group('code'), ctx)}"

    return _DOCNUM_RE.sub(repl, text)


# --- glossary -------------------------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def _glossary_regex(commune_keys: tuple[str, ...]) -> re.Pattern[str]:
    """One alternation of every glossary key, longest first; commune keys match in any case."""
    cs = sorted(DEFAULT_GLOSSARY, key=len, reverse=True)
    ci = sorted(set(DEFAULT_GLOSSARY_ANYCASE) | {k.lower() for k in commune_keys}, key=len,
                reverse=True)
    ci_re = "|".join(re.escape(k) for k in ci)
    cs_re = "|".join(re.escape(k) for k in cs)
    # a key may end in '.', so the right boundary only forbids letters and digits
    return re.compile(rf"{_NB}(?:(?i:{ci_re})|{cs_re})(?![{_L}\d])" if ci_re else
                      rf"{_NB}(?:{cs_re})(?![{_L}\d])")


def _glossary(text: str, ctx: _Ctx) -> str:
    commune = tuple(sorted(ctx.glossary))
    pattern = _glossary_regex(commune)

    def repl(m: re.Match[str]) -> str:
        hit = ctx.lookup(m.group(0))
        return hit if hit is not None else m.group(0)

    return pattern.sub(repl, text)


# --- phone numbers -------------------------------------------------------------------------
_PHONE_RE = re.compile(
    r"(?<![\w.,/])(?P<plus>\+84|0)(?P<body>\d{2,4}(?:[ .-]?\d{2,4}){1,3})(?![\w]|[.,]\d)"
)
_HOTLINE_RE = re.compile(
    rf"(?i)(?P<lead>(?:gọi(?: ngay)?(?: điện)?(?: đến| tới| cho| số)?|hotline|đường dây nóng|tổng đài|"
    rf"số điện thoại|điện thoại|sđt|đt)\s*:?\s*)(?P<num>\d{{3,5}}(?:[ .]\d{{3,4}})?){_NA}"
)


#: Numbers that are dialled or typed, never counted: 1900 1234, 1800.1091, account numbers,
#: card numbers in blocks of four, and the emergency lines 111-115 when called.
_SERVICE_NUM_RE = re.compile(r"(?<![\d.,/])1[89]00(?:[ .]?\d{3,4}(?:[ .]?\d{2,4})?)(?![\d]|[.,]\d)")
_ACCOUNT_RE = re.compile(
    rf"(?i)(?P<lead>(?:số tài khoản|tài khoản|stk)(?: số)?\s*:?\s*)(?P<num>\d[\d .-]{{4,}}\d){_NA}"
)
_DIGIT_BLOCKS_RE = re.compile(r"(?<![\d.,])\d{4}(?: \d{4}){2,}(?![\d]|[.,]\d)")
_EMERGENCY_RE = re.compile(rf"(?<![\d.,/])(?P<n>11[1-5])(?![\d/]|[.,]\d|[{_L}])")
_EMERGENCY_PREV = {"gọi", "nóng", "đài", "hotline", "hoặc"}
_EMERGENCY_NEXT = {"khi", "để", "cấp", "báo", "công", "cứu"}


def _phones(text: str, ctx: _Ctx) -> str:
    def repl(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group("body"))
        if m.group("plus") == "+84":
            if len(digits) not in (9, 10):
                return m.group(0)
            return "cộng tám bốn " + read_digits(digits)
        if len(digits) + 1 not in (10, 11):
            return m.group(0)
        return read_digits("0" + digits)

    def emergency(m: re.Match[str]) -> str:
        if _prev_word(m) in _EMERGENCY_PREV or _next_word(m) in _EMERGENCY_NEXT:
            return read_digits(m["n"])
        return m.group(0)

    text = _PHONE_RE.sub(repl, text)
    text = _HOTLINE_RE.sub(lambda m: m.group("lead") + read_digits(m.group("num")), text)
    text = _SERVICE_NUM_RE.sub(lambda m: read_digits(m.group(0)), text)
    text = _ACCOUNT_RE.sub(lambda m: m["lead"] + read_digits(m["num"]), text)
    text = _DIGIT_BLOCKS_RE.sub(lambda m: read_digits(m.group(0)), text)
    return _EMERGENCY_RE.sub(emergency, text)


# --- times ---------------------------------------------------------------------------------
_TIME = r"(?P<h{i}>[01]?\d|2[0-4])\s?(?:[hg:]|giờ)\s?(?P<m{i}>[0-5]\d)(?::(?P<s{i}>[0-5]\d))?(?:p|ph|\s?phút|')?"
_TIME_LOOSE = (
    r"(?P<h{i}>[01]?\d|2[0-4])(?:\s?(?:[hg]|giờ)(?:\s?(?P<m{i}>[0-5]\d))?(?P<s{i}>)"
    r"|:(?P<mm{i}>[0-5]\d))(?:p|ph|\s?phút)?"
)
_TIME_RANGE_RE = re.compile(
    rf"(?<![\d:.,/]){_TIME_LOOSE.format(i=1)}\s*[-–]\s*{_TIME_LOOSE.format(i=2)}(?![\d:]|[{_L}])"
)
_TIME_RE = re.compile(rf"(?<![\d:.,/]){_TIME.format(i=1)}(?![\d:]|[{_L}])")
_HOUR_RE = re.compile(r"(?<![\d:.,/])(?P<h>[01]?\d|2[0-4])(?:h|g(?=\s+(?:sáng|trưa|chiều|tối|đêm)))(?![\w])")
_MMSS_RE = re.compile(r"(?<![\d:.,/])(?P<m>[0-5]?\d)(?:p|ph)(?:(?P<s>[0-5]?\d)s)?(?![\w])")
_SEC_RE = re.compile(r"(?<![\d:.,/])(?P<s>\d{1,2})s(?![\w])")
_LONG_MMSS_RE = re.compile(r"(?<![\d:.,/])(?P<m>2[5-9]|[3-5]\d):(?P<s>[0-5]\d)(?![\d:])")


def _read_time(h: str, m: str | None, s: str | None, ctx: _Ctx) -> str:
    words = f"{ctx.num(int(h))} giờ"
    if m and int(m):
        words += f" {ctx.num(int(m))} phút"
    if s and int(s):
        if not (m and int(m)):
            words += " không phút"
        words += f" {ctx.num(int(s))} giây"
    return words


def _times(text: str, ctx: _Ctx) -> str:
    text = _TIME_RANGE_RE.sub(
        lambda m: _read_time(m["h1"], m["m1"] or m["mm1"], None, ctx) + " đến "
        + _read_time(m["h2"], m["m2"] or m["mm2"], None, ctx),
        text,
    )
    text = _TIME_RE.sub(lambda m: _read_time(m["h1"], m["m1"], m["s1"], ctx), text)
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
_DDMY_RE = re.compile(
    rf"(?<![\d/.,-])(?P<d1>{_D})\s?[-–]\s?(?P<d2>{_D})(?P<sep>[/.])(?P<m>{_M})(?:(?P=sep)(?P<y>{_Y}))?(?![\d/]|[.,]\d)"
)
_MMY_RE = re.compile(rf"(?<![\d/.,-])(?P<m1>{_M})\s?[-–]\s?(?P<m2>{_M})[/.](?P<y>{_Y})(?![\d/]|[.,]\d)")
_MY_RE = re.compile(rf"(?<![\d/.,-])(?P<m>{_M})(?P<sep>[/.-])(?P<y>{_Y})(?![\d/]|[.,]\d|-\d)")
_DM_SLASH_RE = re.compile(rf"(?<![\d/.,-])(?P<d>{_D})/(?P<m>{_M})(?![\d/]|[.,]\d|{_UNIT})")
_DM_OTHER_RE = re.compile(rf"(?<![\d/.,-])(?P<d>{_D})[.-](?P<m>{_M})(?![\d/]|[.,-]\d)")
_THANG_Y_RE = re.compile(rf"(?i)(?P<t>tháng)\s+(?P<m>{_M})\s+(?P<y>{_Y}){_NA}")
_THANG_RE = re.compile(rf"(?i)(?<![{_L}])(?P<t>tháng)\s+(?P<m>{_M}){_NA}(?![.,/]\d)")


def _ngay(m: re.Match[str]) -> str:
    """'ngày ' unless the text already says ngày/mùng just before (never 'ngày ngày')."""
    return "" if _prev_word(m) in _NO_NGAY else "ngày "


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


def _next_word(m: re.Match[str]) -> str:
    """The word right after a match, lowercased ('' when punctuation or the end comes first)."""
    found = re.match(rf"\s+([{_L}]+)", m.string[m.end(): m.end() + 30])
    return found[1].lower() if found else ""


def _fraction(m: re.Match[str], ctx: _Ctx) -> str:
    """'3/4' -> 'ba phần tư'; after a whole number ('5 1/2') the fraction is joined with 'và'."""
    den = int(m["m"])
    words = f"{ctx.num(int(m['d']))} phần {'tư' if den == 4 else ctx.num(den)}"
    return ("và " if re.search(r"\d\s$", m.string[: m.start()]) else "") + words


_FRACTION_UNIT_RE = re.compile(rf"(?<![\d/.,-])(?P<d>\d{{1,2}})/(?P<m>\d{{1,2}})(?P<u>{_UNIT})")


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
        if slash and prev not in _DAY_WORDS:
            nxt = _next_word(m)
            if nxt in _FRACTION_NEXT:
                return _fraction(m, ctx)
            if nxt in _COUNT_NEXT and not after_number:
                return f"{ctx.num(int(m['d']))} trên {ctx.num(int(m['m']))}"
        named_day = bool(_DATE_NAME_WORDS & set(_prev_word(m, 6).split()))
        if slash and single and (after_number or (prev not in _DATE_CONTEXT and not named_day)):
            return _fraction(m, ctx)
        if not slash and prev not in _DAY_WORDS:
            return m.group(0)
        return f"{_ngay(m)}{ctx.num(int(m['d']))} tháng {read_month(int(m['m']), ctx.dialect)}"

    text = _FRACTION_UNIT_RE.sub(lambda m: f"{_fraction(m, ctx)} {_read_unit(m['u'])}", text)
    text = _DMY_PAIR_RE.sub(
        lambda m: f"{dmy(m)} đến ngày {ctx.num(int(m['d2']))} tháng "
        f"{read_month(int(m['m2']), ctx.dialect)} {_year(m['y2'], ctx)}",
        text,
    )
    text = _DMY_RE.sub(dmy, text)
    text = _DDMY_RE.sub(ddmy, text)
    text = _MMY_RE.sub(mmy, text)
    text = _MY_RE.sub(my, text)
    text = _DM_SLASH_RE.sub(lambda m: dm(m, slash=True), text)
    text = _DM_OTHER_RE.sub(lambda m: dm(m, slash=False), text)
    text = _THANG_Y_RE.sub(
        lambda m: f"{m['t']} {read_month(int(m['m']), ctx.dialect)} {_year(m['y'], ctx)}", text
    )
    return _THANG_RE.sub(lambda m: f"{m['t']} {read_month(int(m['m']), ctx.dialect)}", text)


# --- Roman numerals and ordinals -----------------------------------------------------------
_ROMAN_KEYS = (
    r"quý|khóa|khoá|phần|chương|kỳ|kì|đợt|mục|khoản|phụ lục|đoạn|hồi|tập|số|năm|thế kỷ|thế kỉ"
    r"|thứ|lần thứ|đại hội|điều|giai đoạn|phiên|quân khu|vùng|bài|tiết|học kỳ|học kì|lớp|cấp"
)
_ROMAN_UPPER_RE = re.compile(
    rf"(?i:(?<![{_L}])(?P<key>{_ROMAN_KEYS}))\s+(?P<r>[IVXLCDM]+)(?![{_L}\d])"
)
_ROMAN_LOWER_RE = re.compile(
    rf"(?i:(?<![{_L}])(?P<key>{_ROMAN_KEYS}))\s+(?P<r>[ivxlcdm]+)"
    rf"(?=\s*$|\s*[,.;:)!?]|\s+(?i:{_ROMAN_KEYS}|và)(?![{_L}]))",
    re.MULTILINE,
)
_ROMAN_YEAR_RE = re.compile(rf"(?i:(?<![{_L}])quý)\s+(?P<n>[IVX]+|\d{{1,2}})\s?[/.-]\s?(?P<y>{_Y}){_NA}")
_ORDINAL_RE = re.compile(rf"(?i:(?<![{_L}])(?P<key>thứ|hạng))\s+(?P<n>\d+){_NA}(?![.,/]\d)")


def _romans(text: str, ctx: _Ctx) -> str:
    def quy(m: re.Match[str]) -> str:
        n = m["n"]
        value = roman_to_int(n) if not n.isdigit() else int(n)
        return f"quý {ctx.num(value)} {_year(m['y'], ctx)}"

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
    text = _ROMAN_UPPER_RE.sub(roman, text)
    text = _ROMAN_LOWER_RE.sub(roman, text)
    return _ORDINAL_RE.sub(
        lambda m: f"{m['key']} {read_ordinal(int(m['n']), ctx.dialect)}", text
    )


# --- sizes, ranges, quantities, negatives ---------------------------------------------------
_SIZE_RE = re.compile(rf"(?<=\d)(?P<u>(?:cm|mm|m)?)\s*[x×]\s*(?=\d)")
_RANGE_RE = re.compile(
    rf"(?<![\d/.,:-])(?P<a>{_QTY})\s?[-–—]\s?(?P<b>{_QTY})(?![\d/]|[.,-]\d|[{_L}])"
)
_NEG_RE = re.compile(rf"(?:(?<=^)|(?<=[\s(\[:;=]))[-−–](?=\d)", re.MULTILINE)
_DOC_WORDS = {"án", "thị", "văn", "mã", "hiệu"}
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


def _quantities(text: str, ctx: _Ctx) -> str:
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
        return f"{left} đến {read_quantity(m['b'], ctx.dialect)}"

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
    text = _SLASH_UNIT_RE.sub(lambda m: f" trên {_PER_WORDS.get(m['u']) or _UNITS[m['u']]}", text)
    return _LONE_UNIT_RE.sub(lambda m: _UNITS[m.group(0)], text)


# --- symbols ---------------------------------------------------------------------------------
#: 'ông/bà', 'nam/nữ', '4G/5G': alternatives, said with a pause; a unit or a period after the
#: slash ('tấn/ha', 'lượt/ngày') keeps 'trên'.
_PER_AFTER_SLASH = (
    r"ha|héc|kg|ki|km|mét|m|tấn|tạ|lít|ngày|tháng|năm|giờ|tuần|quý|phút|giây|người|hộ|khẩu|"
    r"sào|mẫu|con|lượt|lần|ca|buổi|km2|m2"
)
_WORD_SLASH_RE = re.compile(
    rf"(?<![{_L}\d/-])(?P<a>[{_L}]+)/(?P<b>[{_L}]+)(?![{_L}\d/-])"
    rf"|(?<![{_L}\d/])(?P<c>\d[A-Z])/(?P<d>\d[A-Z])(?![{_L}\d/])"
)
_NOT_ALTERNATIVE_LEFT = frozenset({"đồng", "đ", "VNĐ", "VND", "vnđ", "USD", "usd"})


def _alternatives(text: str, ctx: _Ctx) -> str:
    """'ông/bà' -> 'ông, bà'; '4G/5G' -> '4G, 5G': a slash between two words offers a choice.

    Why a pass of its own, on the written text: once numbers and abbreviations are words, a
    ratio ('19/19') or a code ('NQ/TW') can no longer be told from a choice. A unit or a period
    of time after the slash ('lượt/ngày'), money before it ('đồng/kg') and glossary entries
    ('v/v', 'HIV/AIDS') keep their own readings.
    """
    def repl(m: re.Match[str]) -> str:
        if m["c"]:
            return f"{m['c']}, {m['d']}"
        a, b = m["a"], m["b"]
        if len(a) == 1 and len(b) == 1:
            return m.group(0)  # 'P/E', 'A/B': a ratio of two named quantities
        if a in _NOT_ALTERNATIVE_LEFT or ctx.lookup(f"{a}/{b}") is not None:
            return m.group(0)
        if re.fullmatch(_PER_AFTER_SLASH, b, flags=re.IGNORECASE) or b in _UNITS or b in _PER_WORDS:
            return m.group(0)
        if a in _UNITS or re.search(r"\d\s?$", m.string[: m.start()]):
            return m.group(0)  # '100 tấn/thôn', 'km/h': a rate after a quantity
        return f"{a}, {b}"

    return _WORD_SLASH_RE.sub(repl, text)


_SYMBOLS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\.\s*/\s*\.?"), "."),  # "./." closes an official document; it is not read
    (re.compile(r"(?i)\bđộ\s+C\b"), "độ xê"),
    (re.compile(r"(?m)^\s*[-–—•*+]\s+"), ""),  # list bullets
    (re.compile(r"\s*&\s*"), " và "),
    (re.compile(r"\s*±\s*"), " cộng trừ "),
    (re.compile(r"\s*≥\s*"), " lớn hơn hoặc bằng "),
    (re.compile(r"\s*≤\s*"), " nhỏ hơn hoặc bằng "),
    (re.compile(r"\s*≈\s*"), " xấp xỉ "),
    (re.compile(r"\s+>\s+"), " lớn hơn "),
    (re.compile(r"\s+<\s+"), " nhỏ hơn "),
    (re.compile(r"\s*=\s*"), " bằng "),
    (re.compile(r"\s*\+\s*"), " cộng "),
    (re.compile(r"\s*@\s*"), " a còng "),
    (re.compile(r"#\s*(?=\w)"), "số "),
    (re.compile(r"~\s*"), "khoảng "),
    (re.compile(r"\s*→\s*"), " đến "),
    (re.compile(r"\s*/\s*"), " trên "),
]


def _symbols(text: str, ctx: _Ctx) -> str:
    for pattern, repl in _SYMBOLS:
        text = pattern.sub(repl, text)
    return text


# --- capitals: glossary misses, letter+digit codes, headlines --------------------------------
_CAPS_RE = re.compile(rf"(?<![{_L}\d])(?P<t>[{_ABBR_CHARS}][{_ABBR_CHARS}\d]*)(?![{_L}\d])")
_ALNUM_RE = re.compile(rf"(?<![{_L}\d])(?P<t>[{_ABBR_CHARS}]+\d+[{_ABBR_CHARS}\d]*)(?![{_L}\d])")


def _read_caps_token(token: str, ctx: _Ctx) -> str:
    """An all-capitals token: glossary, a real word in capitals ('THÔNG', 'TIN'), else spelled."""
    hit = ctx.lookup(token)
    if hit is not None:
        return hit
    if any(c.isdigit() for c in token):
        return _read_alnum(token, ctx)
    if token == "Y":
        return "y"  # 'Y tế', 'Y học': the letter is itself the word
    if len(token) > 1 and (has_vietnamese_marks(token) or is_vietnamese_syllable(token)):
        return token.lower()
    return spell_letters(token)


#: Road classes glued to their number (QL1A, ĐT743, TL295): said as words, not spelled.
_ROAD_PREFIXES = {
    "QL": "quốc lộ", "ĐT": "đường tỉnh", "TL": "tỉnh lộ", "ĐH": "đường huyện", "HL": "hương lộ",
    "ĐX": "đường xã",
}


def _read_alnum(token: str, ctx: _Ctx) -> str:
    """'G7' -> 'giê bảy', 'H5N1' -> 'hát năm en một', 'SP500' -> 'ét pê năm trăm'."""
    hit = ctx.lookup(token)
    if hit is not None:
        return hit
    found = re.fullmatch(r"QH(\d{1,2})", token)
    if found:  # the legislature that passed a law: 41/2024/QH15
        return f"quốc hội khóa {ctx.num(int(found[1]))}"
    parts = re.findall(r"\d+|\D+", token)
    return " ".join(
        ctx.num(int(p)) if p.isdigit() else _ROAD_PREFIXES.get(p) or spell_letters(p)
        for p in parts
    )


#: A lone Latin x is never a Vietnamese word: it is the letter of a formula or a count ('8x').
_LONE_X_RE = re.compile(rf"(?<![{_L}\d'’])x(?![{_L}\d'’])")


#: A letter named as a letter ("chữ c viết thường", "ký tự 'w'") is said by its name.
_NAMED_LETTER_RE = re.compile(
    rf"(?i:(?<![{_L}])(?P<k>chữ cái|chữ|kí tự|ký tự))\s+['‘\"“]?(?P<c>[A-Za-z])['’\"”]?(?![{_L}\d])"
)


def _capitals(text: str, ctx: _Ctx) -> str:
    text = _NAMED_LETTER_RE.sub(lambda m: f"{m['k']} {spell_letters(m['c'])}", text)
    text = _LONE_X_RE.sub("ích", text)
    text = _ALNUM_RE.sub(lambda m: _read_alnum(m["t"], ctx), text)
    return _CAPS_RE.sub(lambda m: _read_caps_token(m["t"], ctx), text)


# --- punctuation tidy --------------------------------------------------------------------------
_TIDY: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"[\"“”„«»‘’`]|(?<![A-Za-z])'|'(?![A-Za-z])"), " "),
    (re.compile(r"\s*[()\[\]{}]\s*"), ", "),
    (re.compile(r"\s+[-–—]+\s+|\s*[–—]+\s*"), ", "),
    (re.compile(rf"(?<=[{_L}])-(?=[{_L}])"), " "),
    (re.compile(r"…|\.{2,}"), "."),
    (re.compile(r"\s*;\s*"), ", "),
    (re.compile(r"[*_|\\^]+"), " "),
    (re.compile(r"\s+([,.!?:])"), r"\1"),
    (re.compile(r"([,.!?:])(?=[^\W\d_])"), r"\1 "),
    (re.compile(r",(?:\s*,)+"), ","),
    (re.compile(r",\s*([.!?:])"), r"\1"),
    (re.compile(r"([.!?:])\s*,"), r"\1"),
    (re.compile(r"(?m)^[\s,]+|[ ,]+$"), ""),
    (re.compile(r"[^\S\n]+"), " "),
]


def _tidy(text: str, ctx: _Ctx) -> str:
    for pattern, repl in _TIDY:
        text = pattern.sub(repl, text)
    return text


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


_PASSES: tuple[Pass, ...] = (
    _unmarked_date_words,
    _web,
    _addresses,
    _paren_abbr,
    _alternatives,
    _docnum,
    _glossary,
    _phones,
    _times,
    _negatives,
    _dates,
    _romans,
    _quantities,
    _symbols,
    _capitals,
    _tidy,
)


def normalize(
    text: str, *, glossary: Mapping[str, str] | None = None, dialect: str = "north"
) -> str:
    """Turn written Vietnamese into the words a speech engine should say.

    ``glossary`` is the commune's own list (word -> how to read it); it wins over the default
    glossary and matches in any letter case. ``dialect`` is "north" (default) or "south".
    Raises TextInputError (Vietnamese message) for empty or over-long text. Each line is
    normalised on its own, so line breaks survive for the CLI and for sentence splitting.
    """
    if dialect not in ("north", "south"):
        raise TextInputError(f"Phương ngữ không hợp lệ: {dialect!r}, chỉ nhận 'north' hoặc 'south'.")
    cleaned = clean_text(text)
    ctx = _Ctx(dialect, {k: v for k, v in (glossary or {}).items() if k and k.strip()})
    lines = []
    for line in cleaned.split("\n"):
        for step in _PASSES:
            line = step(line, ctx)
        lines.append(line.strip())
    return "\n".join(lines)
