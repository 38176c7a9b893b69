"""Web addresses and e-mail, said the way an announcer dictates them.
"""

from __future__ import annotations

import logging
import re

from audio.abbreviations import spell_letters
from audio.tn.common import (
    _Ctx,
)
from audio.vi_numbers import (
    read_digits,
)

logger = logging.getLogger(__name__)

# --- web addresses and e-mail: dichvucong.gov.vn, ubndxa@hanoi.gov.vn -------------------------
_WEB_LABELS = {
    "www": "vê kép vê kép vê kép", "vn": "vê en", "gov": "gờ o vê", "com": "com", "net": "nét",
    "org": "o rờ gờ", "edu": "e đu", "info": "in phô", "io": "i o", "gmail": "gờ meo",
    "yahoo": "da hu", "outlook": "ao lúc",
    # national sites whose labels are acronyms with a vowel, so not spelled by themselves
    "vov": "vê ô vê", "evn": "e vê en", "moh": "em ô hát", "mic": "em i xê", "vneid": "vê nê ai đi",
}


#: Labels of the addresses a commune reads out most (national services, the provinces since
#: 2025): Vietnamese words written without their marks, said as the words, which is what the
#: listener types back ("dịch vụ công chấm gờ o vê chấm vê en" for dichvucong.gov.vn).
_WEB_WORDS = {
    "dichvucong": "dịch vụ công", "baochinhphu": "báo chính phủ", "chinhphu": "chính phủ",
    "quochoi": "quốc hội", "vanban": "văn bản", "congbao": "công báo", "baohiemxahoi":
    "bảo hiểm xã hội", "thuvienphapluat": "thư viện pháp luật", "tiemchung": "tiêm chủng",
    "hanoi": "hà nội", "hue": "huế", "laichau": "lai châu", "dienbien": "điện biên",
    "sonla": "sơn la", "langson": "lạng sơn", "quangninh": "quảng ninh", "thanhhoa": "thanh hóa",
    "nghean": "nghệ an", "hatinh": "hà tĩnh", "caobang": "cao bằng", "tuyenquang":
    "tuyên quang", "laocai": "lào cai", "thainguyen": "thái nguyên", "phutho": "phú thọ",
    "bacninh": "bắc ninh", "hungyen": "hưng yên", "haiphong": "hải phòng", "ninhbinh":
    "ninh bình", "quangtri": "quảng trị", "danang": "đà nẵng", "quangngai": "quảng ngãi",
    "gialai": "gia lai", "khanhhoa": "khánh hòa", "lamdong": "lâm đồng", "daklak": "đắk lắk",
    "hochiminhcity": "hồ chí minh city", "dongnai": "đồng nai", "tayninh": "tây ninh",
    "cantho": "cần thơ", "vinhlong": "vĩnh long", "dongthap": "đồng tháp", "camau": "cà mau",
    "angiang": "an giang", "quangnam": "quảng nam",
    # the national campaigns and papers a bulletin sends listeners to
    "binhdanhocvuso": "bình dân học vụ số", "nhandan": "nhân dân", "dangcongsan": "đảng cộng sản",
    "tapchicongsan": "tạp chí cộng sản", "thuedientu": "thuế điện tử", "thanhnien": "thanh niên",
    "tuoitre": "tuổi trẻ", "baotintuc": "báo tin tức",
    # the pages a notice names after the address
    "tracuu": "tra cứu", "dangky": "đăng ký", "tintuc": "tin tức", "thongbao": "thông báo",
    "hoidap": "hỏi đáp", "gopy": "góp ý", "lienhe": "liên hệ", "tailieu": "tài liệu",
}


#: A path a listener can type back from the ear: a page's name ("facebook.com/ubndxatanlap"),
#: or two pieces, each a known word or a number ("/tracuu", "/thongbao/2025"). Anything else
#: (slugs without their marks, file names, queries: "/p/home/dvc-trang-chu.html") is left
#: unsaid, as an announcer says only the site.
_SAYABLE_PATH_RE = re.compile(r"(?:/(?:[A-Za-z]+|\d+)){1,2}/?")


_VOWEL_RE = re.compile(r"[aeiouy]")


_TLD = r"(?:vn|com|net|org|gov|edu|info|io)"


_WEB_RE = re.compile(
    rf"(?<![\w@.])(?:(?P<scheme>https?://)|(?P<user>[A-Za-z0-9._%+-]+)@)?"
    rf"(?P<host>(?:[A-Za-z0-9-]+\.)+{_TLD})(?P<path>/(?:[A-Za-z0-9._~%/?=&#-]*[A-Za-z0-9/])?)?"
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
        elif low in _WEB_WORDS:
            out.append(_WEB_WORDS[low])
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
        elif token.isalpha() and not _VOWEL_RE.search(low):
            out.append(spell_letters(token))  # "csgt.vn": no vowel, so no word to say; spelled
        elif token.isalpha():
            out.append(low)
    return " ".join(out)


def _sayable_path(path: str) -> bool:
    """True when the path is a page's name, or pieces the listener knows as words or numbers."""
    if not _SAYABLE_PATH_RE.fullmatch(path):
        return False
    pieces = path.strip("/").split("/")
    if len(pieces) == 1 and pieces[0].isalnum():
        return True
    return all(p.isdigit() or p.lower() in _WEB_WORDS or p.lower() in _WEB_LABELS
               for p in pieces)


def _web(text: str, ctx: _Ctx) -> str:
    """Say an address the way an announcer dictates it: 'dichvucong chấm gờ o vê chấm vê en'.

    Why: the dots of a domain would otherwise become sentence breaks and its letters would be
    spelled at random; the scheme (https://) is never spoken, nor a path no ear could type back
    (see _SAYABLE_PATH_RE): the listener goes to the site and finds the page there.
    """
    def repl(m: re.Match[str]) -> str:
        words = []
        if m["user"]:
            words += [_read_web_part(m["user"]), "a còng"]
        words.append(_read_web_part(m["host"]))
        if m["path"] and _sayable_path(m["path"]):
            words.append(_read_web_part(m["path"].rstrip("/")))
        return " ".join(words)

    return _WEB_RE.sub(repl, text)
