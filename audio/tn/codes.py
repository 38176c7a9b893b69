"""Abbreviations and codes: address prefixes (P., TT.), abbreviations after their expansion,
document symbols (123/QĐ-UBND), the glossary pass, and capitals left over at the end (spelled,
read as words or as road and unit codes).
"""

from __future__ import annotations

import functools
import logging
import re

from audio.abbreviations import (
    CONTEXT_READINGS,
    DEFAULT_GLOSSARY,
    DEFAULT_GLOSSARY_ANYCASE,
    NEIGHBOUR_READINGS,
    has_vietnamese_marks,
    is_vietnamese_syllable,
    spell_letters,
)
from audio.lexicon import ACRONYM_WORDS
from audio.tn.common import (
    _ABBR_CHARS,
    _L,
    _NA,
    _NB,
    _Ctx,
    _fold_words,
)
from audio.tn.quantities import _UNITS
from audio.vi_numbers import (
    is_roman,
    read_digits,
    roman_to_int,
)

logger = logging.getLogger(__name__)

# --- address and heading abbreviations with a period: P. Bến Nghé, Q.1, TT. Y tế, ĐT.743 ------
_CENTRE_WORDS = (
    r"Y|Văn|Giáo|Dịch|Hành|Chính|Bồi|Khuyến|Phát|Truyền|Kiểm|Công|Nước|Dân|Văn|Thông|Điều|"
    r"Quan|Kỹ|Nghiên|Giám|Lưu|Phục|Hỗ|Tư|Thể|Giống|Trợ"
)


_ADDRESS_RE = re.compile(
    rf"(?<![{_L}\d.])(?P<a>P|Q|TX|TT|X|TP|Tp|tp|KP|TDP)\.\s?(?=\d|[{_ABBR_CHARS}])"
)

#: One capital letter, a period, then a lower-case word or a comma: a name's initial ("anh M.
#: đi bộ", "Ông Lê Văn B., sinh năm 1975").
_INITIAL_RE = re.compile(rf"(?<![{_L}\d.])(?P<c>[{_ABBR_CHARS}])\.(?=\s+[a-zà-ỹđ]|,)")

#: "SN 1985" after a name is the year of birth; "SN 12 Lê Lợi" a house number.
_SN_RE = re.compile(rf"(?<![{_L}\d.])SN\.?\s?(?=\d)")
_YEAR_AHEAD_RE = re.compile(r"(?:19|20)\d\d(?!\d)")


_ADDRESS_WORDS = {"P": "phường", "Q": "quận", "TX": "thị xã", "X": "xã", "TP": "thành phố",
                  "Tp": "thành phố", "tp": "thành phố", "KP": "khu phố", "TDP": "tổ dân phố"}


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
    text = _INITIAL_RE.sub(r"\g<c>", text)  # "anh M. đi bộ": an initial, not a sentence end
    text = _SN_RE.sub(
        lambda m: "sinh năm " if _YEAR_AHEAD_RE.match(m.string, m.end()) else "số nhà ",
        text,
    )
    return _CAPS_DOT_NUM_RE.sub(
        lambda m: m.group(0) if is_roman(m["c"]) else m["c"] + " ", text  # quý III.2021
    )


# --- influenza subtypes: "cúm A/H5N1" is "cúm a hát năm en một", the slash not said ---------
_STRAIN_RE = re.compile(rf"(?<![{_L}\d/])(?P<t>[AB])\s?/\s?(?=H\d{{1,2}}N\d{{1,2}}(?![{_L}\d]))")


def _strains(text: str, ctx: _Ctx) -> str:
    """'A/H5N1' -> 'A H5N1': the type and subtype of a flu virus, never 'a trên hát...'."""
    return _STRAIN_RE.sub(lambda m: m["t"] + " ", text)


# --- "Dịch tả lợn châu Phi (ASF)": an abbreviation right after its own expansion -----------
_PAREN_ABBR_RE = re.compile(rf"\s*\((?P<a>[{_ABBR_CHARS}][{_ABBR_CHARS}A-Za-z\d&-]*)\)")


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

    text = _PAREN_ABBR_RE.sub(repl, text)
    text = _ABBR_THEN_MEANING_RE.sub(lambda m: _drop_repeated_meaning(m, ctx), text)
    text = _AMOUNT_IN_WORDS_RE.sub(_drop_amount_in_words, text)
    return _PAREN_WORD_RE.sub(lambda m: _drop_repeated_word(m, ctx), text)


#: "vắc xin MR (sởi - rubella)", "ATTP (an toàn thực phẩm)": an abbreviation, then its meaning.
_ABBR_THEN_MEANING_RE = re.compile(
    rf"(?<![{_L}\d])(?P<a>[{_ABBR_CHARS}][{_ABBR_CHARS}A-Za-z\d&-]*)\s*\((?P<w>[^()\d]{{2,80}})\)"
)


def _drop_repeated_meaning(m: re.Match[str], ctx: _Ctx) -> str:
    """Drop '(sởi - rubella)' after 'MR': the abbreviation's reading already says those words."""
    reading = ctx.lookup(m["a"])
    if reading is None:
        return m.group(0)
    said, meaning = _fold_words(reading), _fold_words(m["w"])
    lead = meaning[: len(meaning) - len(said)]  # "Hội LHPN (Hội Liên hiệp Phụ nữ)"
    before = _fold_words(m.string[max(0, m.start() - 40): m.start()])
    if said and meaning[len(lead):] == said and (not lead or before[-len(lead):] == lead):
        return m["a"]
    return m.group(0)


#: "350.000.000 đồng (ba trăm năm mươi triệu đồng)", "(Bằng chữ: Năm trăm nghìn đồng chẵn)".
_AMOUNT_IN_WORDS_RE = re.compile(
    r"(?P<n>\d[\d.,]*(?:\s*(?:đồng|nghìn|ngàn|triệu|tỷ|tỉ|VNĐ|VND|đ)\b\.?)*)\s*"
    r"\((?P<w>[^()\d]{3,160})\)"
)
_NUMBER_WORDS = frozenset(
    "không một mốt hai ba bốn tư năm lăm nhăm sáu bảy tám chín mười mươi trăm nghìn ngàn triệu "
    "tỷ tỉ linh lẻ đồng chẵn phẩy bằng chữ".split()
)


def _drop_amount_in_words(m: re.Match[str]) -> str:
    """Drop an amount written out in words right after its figure: the figure is read in words
    already, so the listener would hear the same sum twice."""
    words = _fold_words(m["w"])
    if words and all(w in _NUMBER_WORDS for w in words) and words != ["bằng", "chữ"]:
        return m["n"]
    return m.group(0)


#: "(smartphone)", "(vaccine)": a foreign word in brackets after its Vietnamese name.
_PAREN_WORD_RE = re.compile(r"\s*\((?P<w>[A-Za-z][A-Za-z -]{1,30})\)")


def _drop_repeated_word(m: re.Match[str], ctx: _Ctx) -> str:
    """Drop '(smartphone)' after 'điện thoại thông minh': its reading repeats what was said."""
    reading = ctx.lookup(m["w"].strip())
    if reading is None:
        return m.group(0)
    said = _fold_words(reading)
    before = _fold_words(m.string[max(0, m.start() - 80): m.start()])
    return "" if said and before[-len(said):] == said else m.group(0)


# --- document numbers: 39/2020/TT-BTTTT, 160/KH-SVHTTDL, 57-NQ/TW, 15/CT-TTg -------------------
_CODE_PIECE = rf"[{_ABBR_CHARS}][{_ABBR_CHARS}a-zđ&]*\d*"


_DOCNUM_RE = re.compile(
    rf"{_NB}(?P<nums>\d+(?:/\d+)*)(?P<sep>[/-])(?P<code>{_CODE_PIECE}(?:[-/]{_CODE_PIECE})*){_NA}"
)


def _read_code(code: str, ctx: _Ctx) -> str:
    """Read the letters of a document number with the glossary, piece by piece if need be."""
    whole = ctx.lookup_code(code)
    if whole is not None:
        return whole
    pieces = re.split(r"([-/])", code)
    out: list[str] = []
    i = 0
    while i < len(pieces):
        # try the longest run of pieces that the glossary knows (e.g. NQ/TW inside TB-NQ/TW)
        for j in range(len(pieces), i, -2):
            joined = "".join(pieces[i:j])
            hit = ctx.lookup_code(joined)
            if hit is not None:
                out.append(hit)
                i = j + 1
                break
        else:
            out.append(_read_caps_token(pieces[i], ctx))
            i += 2
    return " ".join(out)


#: A Roman numeral of I, V and X after a dash: the level of a grade or standard (RON 95-III).
_GRADE_ROMAN_RE = re.compile(r"[IVX]{2,5}")
_QUY_DINH_BEFORE_RE = re.compile(r"(?i:quy định)\s+(?:số\s+)?$")
_SYMBOL_YEAR_RE = re.compile(r"(?:19|20)\d\d")


def _read_symbol_numbers(nums: str, ctx: _Ctx) -> str:
    """'30/2020' -> 'ba mươi năm hai nghìn không trăm hai mươi': the number, then its year.

    Why: in a symbol the slash only separates fields (Decree 30/2020/NĐ-CP, appendix I: number,
    year of issue, kind and issuer); an announcer says the year as a year, never "trên".
    """
    words = []
    for i, part in enumerate(nums.split("/")):
        if i and _SYMBOL_YEAR_RE.fullmatch(part):
            words.append(f"năm {ctx.num(int(part))}")
        else:
            words.append(ctx.num(int(part)))
    return " ".join(words)


#: A national standard: its number, a colon, the year it was issued, and its issuer ("QCVN
#: 01-1:2018/BYT", "TCVN 5574:2018"): number, year and issuer, as a document symbol is read.
_STANDARD_RE = re.compile(
    rf"(?P<k>QCVN|TCVN)\s*(?P<n>\d+(?:-\d+)*)\s*:\s*(?P<y>(?:19|20)\d\d)"
    rf"(?:/(?P<b>{_CODE_PIECE}(?:[-/]{_CODE_PIECE})*))?{_NA}"
)


def _standard(m: re.Match[str], ctx: _Ctx) -> str:
    number = " gạch ".join(read_digits(p) if p.startswith("0") and len(p) > 1 else ctx.num(int(p))
                           for p in m["n"].split("-"))
    issuer = f" {_read_code(m['b'], ctx)}" if m["b"] else ""
    return f"{m['k']} {number} năm {ctx.num(int(m['y']))}{issuer}"


def _docnum(text: str, ctx: _Ctx) -> str:
    """A document symbol in every shape (123/QĐ-UBND, 57-NQ/TW, 30/2020/NĐ-CP, 15/2023/QH15,
    456/UBND-VX) is read the same way: number, year if any, then kind and issuer in words."""
    def repl(m: re.Match[str]) -> str:
        if _GRADE_ROMAN_RE.fullmatch(m["code"]) and is_roman(m["code"]) and m["sep"] == "-":
            # a grade, not a symbol: "xăng RON 95-III" is "chín mươi lăm ba"
            return f"{ctx.num(int(m['nums']))} {ctx.num(roman_to_int(m['code']))}" \
                if m["nums"].isdigit() else m.group(0)
        code = _read_code(m.group("code"), ctx)
        named = _QUY_DINH_BEFORE_RE.search(m.string[max(0, m.start() - 20): m.start()])
        if named and m.group("code").startswith(("QĐ-", "QĐ/")):
            # the Party's "Quy định số 144-QĐ/TW" is a quy định, not a quyết định
            code = "quy định" + code.removeprefix("quyết định")
        return f"{_read_symbol_numbers(m.group('nums'), ctx)} {code}"

    text = _STANDARD_RE.sub(lambda m: _standard(m, ctx), text)
    return _DOCNUM_RE.sub(repl, text)


# --- glossary -------------------------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def _glossary_regex(commune_keys: tuple[str, ...]) -> re.Pattern[str]:
    """One alternation of every glossary key, longest first whatever its case rule, so "Zalo OA"
    wins over "zalo"; commune keys and the any-case defaults match in any case. The keys read
    only by their neighbours (NEIGHBOUR_READINGS) are in it too."""
    ci = set(DEFAULT_GLOSSARY_ANYCASE) | {k.lower() for k in commune_keys}
    exact = set(DEFAULT_GLOSSARY) | set(NEIGHBOUR_READINGS)  # "ĐH" only has neighbours' readings
    keys = [(k, True) for k in ci] + [(k, False) for k in exact if k.lower() not in ci]
    keys.sort(key=lambda item: len(item[0]), reverse=True)
    alternation = "|".join(f"(?i:{re.escape(k)})" if anycase else re.escape(k) for k, anycase in keys)
    # a key may end in '.', so the right boundary only forbids letters and digits
    return re.compile(rf"{_NB}(?:{alternation})(?![{_L}\d])")


#: How far either side of an abbreviation its sense is looked for: the same sentence or two.
_SENSE_WINDOW = 80


#: A unit symbol right after a number is the unit, whatever else its letters abbreviate ("2 TB"
#: is two terabytes, "500 MB" megabytes): left to the quantities pass. "TW" stays the Party's
#: Central Committee ("Hội nghị lần thứ 10 TW"), which a commune writes far more than terawatts.
_UNIT_AFTER_NUMBER_RE = re.compile(r"\d\s?$")
_NOT_A_UNIT_HERE = frozenset({"TW"})


def _neighbour_reading(m: re.Match[str], token: str) -> str | None:
    """The reading the words right beside the token decide (NEIGHBOUR_READINGS), or None."""
    rules = NEIGHBOUR_READINGS.get(token) or NEIGHBOUR_READINGS.get(token.lower(), ())
    before = m.string[max(0, m.start() - 30): m.start()]
    for before_re, after_re, reading in rules:
        if before_re is not None and not before_re.search(before):
            continue
        if after_re is not None and not after_re.match(m.string, m.end()):
            continue
        return reading
    return None


def _glossary(text: str, ctx: _Ctx) -> str:
    commune = tuple(sorted(ctx.glossary))
    pattern = _glossary_regex(commune)

    def repl(m: re.Match[str]) -> str:
        token = m.group(0)
        if token in _UNITS and token not in _NOT_A_UNIT_HERE and _UNIT_AFTER_NUMBER_RE.search(
                text, max(0, m.start() - 2), m.start()):
            return token
        if token.lower() not in ctx.glossary_ci:
            beside = _neighbour_reading(m, token)
            if beside is not None:
                return beside
        sense = CONTEXT_READINGS.get(token)
        near = text[max(0, m.start() - _SENSE_WINDOW): m.end() + _SENSE_WINDOW]
        if sense is not None and token.lower() not in ctx.glossary_ci and sense[0].search(near):
            return sense[1]
        hit = ctx.lookup(token)
        return hit if hit is not None else token

    return pattern.sub(repl, text)


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
    alarm = _ALARM_ROMAN_RE.fullmatch(token)
    if alarm:
        return f"báo động {ctx.num(roman_to_int(alarm['r']))}"
    if len(token) > 1 and (has_vietnamese_marks(token) or is_vietnamese_syllable(token)):
        return token.lower()
    return spell_letters(token)


#: Road classes glued to their number (QL1A, ĐT743, TL295): said as words, not spelled.
_ROAD_PREFIXES = {
    "QL": "quốc lộ", "ĐT": "đường tỉnh", "TL": "tỉnh lộ", "ĐH": "đường huyện", "HL": "hương lộ",
    "ĐX": "đường xã",
    "BĐ": "báo động",  # flood alarm levels: BĐ2, BĐ3 (a hydrology bulletin's "trên BĐ3 0,2 m")
}


def _read_alnum(token: str, ctx: _Ctx) -> str:
    """'G7' -> 'giê bảy', 'H5N1' -> 'hát năm en một', 'SP500' -> 'ét pê năm trăm'."""
    hit = ctx.lookup(token)
    if hit is not None:
        return hit
    found = re.fullmatch(r"(UBTVQH|QH)(\d{1,2})", token)
    if found:  # the legislature that passed a law: 41/2024/QH15, 35/2023/UBTVQH15
        body = "ủy ban thường vụ quốc hội" if found[1] == "UBTVQH" else "quốc hội"
        return f"{body} khóa {ctx.num(int(found[2]))}"
    strain = re.fullmatch(r"H(\d{1,2})N(\d{1,2})", token)
    if strain:  # flu subtypes as the health service says them: H1N1 "hát một en một"
        return f"hát {ctx.num(int(strain[1]))} en {ctx.num(int(strain[2]))}"
    parts = re.findall(r"\d+|\D+", token)
    return " ".join(_read_code_part(p, ctx) for p in parts)


#: A flood alarm level glued to its Roman numeral: "trên BĐIII 0,95 m".
_ALARM_ROMAN_RE = re.compile(r"BĐ(?P<r>I{1,3}|IV)")


def _read_code_part(part: str, ctx: _Ctx) -> str:
    """One run of a code: digits keep their zeros (C06 is 'xê không sáu'), letters are spelled
    unless they name a road class (QL, ĐT)."""
    if part.isdigit():
        return read_digits(part) if part.startswith("0") and len(part) > 1 else ctx.num(int(part))
    if part in _ROAD_PREFIXES:
        return _ROAD_PREFIXES[part]
    word = ACRONYM_WORDS.get(part) if len(part) > 2 else None  # E5RON92: "RON" is a word
    return word or spell_letters(part)


#: A letter with a prime (A', B'): said "a phẩy", as in a geometry lesson.
_PRIME_RE = re.compile(rf"(?<![{_L}\d])(?P<c>[A-Z])['’](?![{_L}\d])")

#: A lone Latin x is never a Vietnamese word: it is the letter of a formula or a count ('8x').
_LONE_X_RE = re.compile(rf"(?<![{_L}\d'’])x(?![{_L}\d'’])")


#: A letter named as a letter ("chữ c viết thường", "ký tự 'w'") is said by its name.
_NAMED_LETTER_RE = re.compile(
    rf"(?i:(?<![{_L}])(?P<k>chữ cái|chữ|kí tự|ký tự))\s+['‘\"“]?(?P<c>[A-Za-z])['’\"”]?(?![{_L}\d])"
)


#: A storm's international name, printed in capitals ("tên quốc tế YAGI", "siêu bão RAGASA"):
#: a name said as written, not an acronym to spell.
_STORM_NAME_RE = re.compile(
    rf"(?P<k>(?i:(?<![{_L}])(?:tên quốc tế|siêu bão|cơn bão|bão)(?:\s+là)?\s*:?)\s*)"
    r"(?P<n>[A-Z][A-Z-]{2,})(?![\w])"
)


#: A letter+digit code with its grade after a dash: "RON95-III", "E5RON92-II".
_CODE_GRADE_RE = re.compile(
    rf"(?<![{_L}\d])(?P<c>[{_ABBR_CHARS}]+\d+(?:[{_ABBR_CHARS}]+\d+)*)-(?P<r>[IVX]{{1,5}})(?![{_L}\d])"
)

#: Two codes of one series joined by a dash are a span: "BĐ2-BĐ3", "QL1-QL14".
_CODE_SPAN_RE = re.compile(
    rf"(?<![{_L}\d])(?P<a>(?P<p>[{_ABBR_CHARS}]{{1,3}})\d+)\s*[-–]\s*(?P<b>(?P=p)\d+)(?![{_L}\d])"
)

def _capitals(text: str, ctx: _Ctx) -> str:
    text = _CODE_GRADE_RE.sub(
        lambda m: f"{_read_alnum(m['c'], ctx)} {ctx.num(roman_to_int(m['r']))}"
        if is_roman(m["r"]) else m.group(0),
        text,
    )
    text = _CODE_SPAN_RE.sub(
        lambda m: f"{_read_alnum(m['a'], ctx)} đến {_read_alnum(m['b'], ctx)}", text
    )
    text = _STORM_NAME_RE.sub(
        lambda m: m["k"] + (m["n"].title() if re.search("[AEIOUY]", m["n"]) else m["n"]), text
    )
    text = _NAMED_LETTER_RE.sub(lambda m: f"{m['k']} {spell_letters(m['c'])}", text)
    text = _LONE_X_RE.sub("ích", text)
    text = _PRIME_RE.sub(lambda m: f"{spell_letters(m['c'])} phẩy", text)
    text = _ALNUM_RE.sub(lambda m: _read_alnum(m["t"], ctx), text)
    return _CAPS_RE.sub(lambda m: _read_caps_token(m["t"], ctx), text)
