"""The parts of a pasted official document that are not read on air: the header (national name
and motto, issuing body, number and symbol, place and date), recipients and signature.

Why: an editor often pastes a whole document (Decree 30/2020/NĐ-CP layout) into a bulletin. Its
last part is for the archive, not for listeners: the list of recipients ("Nơi nhận: - Như trên;
- Lưu: VT, VHXH.") and the signature block ("TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH /
(Đã ký) / Nguyễn Văn A"). Read aloud they are a minute of noise ("lưu vê tê") at the end of a
notice. They are left out, line by line, and :func:`find_unspoken` says what was left out, so
the editor's preview ("Máy sẽ đọc là") can show it and nothing disappears silently.

A broadcaster reads a document's title ("THÔNG BÁO / Về việc ...") and its body. The header of
the Decree 30 layout (appendix I) is for the file: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM / Độc lập -
Tự do - Hạnh phúc", the issuer ("UBND TỈNH ... / UBND XÃ ..."), "Số: 45/TB-UBND" and "Tân Lập, ngày
10 tháng 10 năm 2025"; read aloud it is half a minute before the first word that matters.

The rules are those of the layout, not of examples:
- a header is a run of header lines (the national name, the motto, the Party's name, "Số: N/KIND-
  ISSUER", "Place, ngày ... tháng ... năm ...", rules such as "-------", and the issuer's lines in
  capitals) holding at least the national name, the motto, the Party's name, or a "Số:" line
  beside an issuer or a date; it ends at its last such marker (or at the issuer's lines after it,
  when the title follows them), so the title in capitals ("THÔNG BÁO", "KẾ HOẠCH") is read; a
  "V/v ..." subject inside it is read too;
- "Nơi nhận" opening a line starts the recipients block;
- "TM.", "KT.", "TL.", "TUQ.", "Q." opening a line and followed by a title in capitals
  ("KT. CHỦ TỊCH", "TM. BAN THƯỜNG VỤ") starts the signature block;
- a block runs on while its lines look like a block (short lines, list items, titles in
  capitals, "(Đã ký)", a name) and ends at the first line of running text, so a pasted document
  whose blocks sit in the middle (two documents one after the other) keeps its text;
- "Lưu: VT, ..." on its own line is the archive mark, left out wherever it is;
- "Kính gửi:" opening a line (a công văn's addressees, appendix I item 9b) starts the addressee
  block: its own line, the list items after it ("- UBND các xã;"), the line after a bare
  "Kính gửi:" and lines continuing one that ended in ";" or ",". The station speaks for the
  commune to its listeners, so the offices a document was sent to are not read, like the header;
  an address to the listeners themselves ("Kính gửi: Toàn thể bà con Nhân dân") is read, since
  the announcer says it to them;
- a block needs text before it, a header text after it: a lone "KT. CHỦ TỊCH" or "CỘNG HÒA XÃ
  HỘI CHỦ NGHĨA VIỆT NAM" typed as a bulletin is read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

_CAPS = "A-ZÀ-ỸĐ"  # capitals, Vietnamese included (ranges cover the precomposed letters)
_RECIPIENTS_RE = re.compile(r"^\s*(?:[-–•*]\s*)?(?i:nơi nhận)\s*[:.]?")
_SIGNATURE_RE = re.compile(
    rf"^\s*(?:TM|KT|TL|TUQ|Q|T/M|K/T|T/L)\s*[./]\s*[{_CAPS}][{_CAPS}\s,.&-]*$"
)
_ARCHIVE_RE = re.compile(r"^\s*(?:[-–•*+]\s*)?(?i:lưu)\s*:?\s*(?:VT|VP|Văn thư|văn thư)\b")
_SIGNED_RE = re.compile(r"^\s*[(\[]?\s*(?i:đã ký|đã kí|ký|kí|ký tên|ký, ghi rõ họ tên|"
                        r"ký và đóng dấu|đã ký và đóng dấu)\s*[)\]]?\s*$")
#: A line that belongs to a block: list items, capitals only, or short (a title, a name).
_LIST_ITEM_RE = re.compile(r"^\s*[-–•*+]")
_ADDRESSEE_RE = re.compile(r"^\s*(?i:kính\s+gửi)\s*:\s*(?P<rest>.*)$")
#: Addressees who are the listeners: a letter to them is read as it greets them.
_PUBLIC_RE = re.compile(r"(?i:nhân dân|bà con|đồng bào|cử tri|quý vị|người dân|toàn thể)")
#: Bodies whose names hold "nhân dân" but who are offices, not the listeners.
_PEOPLES_BODY_RE = re.compile(
    r"(?i:(?:ủy ban|uỷ ban|hội đồng|công an|quân đội|tòa án|toà án|viện kiểm sát)\s+nhân\s+dân)"
)
_ADDRESSEE_LINE_MAX = 160
_BLOCK_LINE_MAX = 60


_NATION_RE = re.compile(r"(?i:cộng\s*h[oò]à\s+xã\s+hội\s+chủ\s+nghĩa\s+việt\s+nam)")
_MOTTO_RE = re.compile(r"(?i:độc\s*lập\s*[-–—,.]\s*tự\s*do\s*[-–—,.]\s*hạnh\s*phúc)")
_PARTY_RE = re.compile(r"^\s*(?i:đảng\s+cộng\s+sản\s+việt\s+nam)\s*$")
_RULE_LINE_RE = re.compile(r"^[\s\-–—_=*~.]+$")
#: "Số: 45/TB-UBND", "Số:      /KH-UBND" (a draft), "Số 12-TB/ĐU", "Số: 30/2020/NĐ-CP" (and a
#: place-date pasted beside it on the same line).
_NUMBER_LINE_RE = re.compile(
    rf"^\s*Số\s*[:.]?\s*\d*(?:/\d{{4}})?\s*[/-]\s*[{_CAPS}][{_CAPS}\dđ]*(?:\s*[-/]\s*[{_CAPS}][{_CAPS}\dđa-z]*)*"
)
#: "Tân Lập, ngày 10 tháng 10 năm 2025", "Hà Nội, ngày    tháng 10 năm 2025" (a draft),
#: "..., ngày 10/10/2025".
_PLACE_DATE_RE = re.compile(
    r"^\s*[^\d,.;:!?]{2,40},\s*(?i:ngày)\b.{0,20}?(?:(?i:năm)\s*\d{4}|\d{1,2}[/.-]\d{1,2}[/.-]\d{4})\s*\.?\s*$"
)
_SUBJECT_RE = re.compile(r"^\s*(?i:v/v|về việc)\b")
#: The first word of a document's title: a caps line starting with one is the title, not the issuer.
_TITLE_WORDS_RE = re.compile(
    r"^\s*(?:THÔNG BÁO|THÔNG CÁO|KẾ HOẠCH|QUYẾT ĐỊNH|NGHỊ QUYẾT|CHỈ THỊ|BÁO CÁO|TỜ TRÌNH|"
    r"CÔNG VĂN|CÔNG ĐIỆN|HƯỚNG DẪN|CHƯƠNG TRÌNH|PHƯƠNG ÁN|ĐỀ ÁN|DỰ ÁN|LỜI KÊU GỌI|THƯ|GIẤY MỜI|"
    r"BẢN TIN|BIÊN BẢN|QUY CHẾ|QUY ĐỊNH|KẾT LUẬN|TUYÊN BỐ|LỊCH|HỢP ĐỒNG|ĐIỀU LỆ|NỘI QUY)\b"
)
_HEADER_LINE_MAX = 160


def _header_marker(line: str) -> str:
    """What makes ``line`` a header line for sure: 'quốc hiệu', 'tiêu ngữ', 'số', 'ngày' or ''."""
    if _NATION_RE.search(line) or _PARTY_RE.match(line):
        return "quốc hiệu"
    if _MOTTO_RE.search(line):
        return "tiêu ngữ"
    number = _NUMBER_LINE_RE.match(line)
    if number:  # the symbol alone, or with the place and date beside it: not a sentence
        rest = line[number.end():].strip()
        if not rest or _PLACE_DATE_RE.match(rest):
            return "số"
    if _PLACE_DATE_RE.match(line):
        return "ngày"
    return ""


def _header_like(line: str) -> bool:
    """A line that may sit in a header: a marker, a rule, a subject, or the issuer in capitals."""
    stripped = line.strip()
    if not stripped or len(stripped) > _HEADER_LINE_MAX:
        return not stripped
    if _header_marker(stripped) or _RULE_LINE_RE.match(stripped) or _SUBJECT_RE.match(stripped):
        return True
    return _is_caps_line(stripped) and not _TITLE_WORDS_RE.match(stripped)


def _find_headers(lines: Sequence[str]) -> list[Omission]:
    """The header runs of ``lines`` (see the module docstring), each cut at its last marker."""
    found: list[Omission] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip() or not _header_like(lines[i]):
            i += 1
            continue
        end = i
        while end < len(lines) and _header_like(lines[end]):
            end += 1
        markers = [(k, _header_marker(lines[k].strip())) for k in range(i, end)]
        kinds = {m for _, m in markers if m}
        issuer = any(_is_caps_line(lines[k].strip()) and not m for k, m in markers)
        strong = bool(kinds & {"quốc hiệu", "tiêu ngữ"}) or (
            "số" in kinds and (issuer or "ngày" in kinds))
        last = max((k for k, m in markers if m), default=-1)
        if last >= 0:  # issuer lines after the markers, when the title follows them
            after = last + 1
            while after < end and lines[after].strip() and not _SUBJECT_RE.match(lines[after]):
                after += 1
            if after < len(lines) and _TITLE_WORDS_RE.match(lines[after]):
                last = after - 1
        body_after = any(line.strip() for line in lines[last + 1:]) if last >= 0 else False
        if strong and body_after:
            start = i
            for k in range(i, last + 1):  # a subject line (V/v ...) inside the header is read
                if _SUBJECT_RE.match(lines[k]):
                    if k > start:
                        found.append(Omission(start, k, "đầu văn bản"))
                    start = k + 1
            if last + 1 > start:
                found.append(Omission(start, last + 1, "đầu văn bản"))
        i = end
    return found


@dataclass(frozen=True)
class Omission:
    """A run of lines left out: ``start`` to ``end`` (exclusive) and what kind of block it is."""

    start: int
    end: int
    kind: str  # "nơi nhận", "chữ ký", "lưu"

    def describe(self, lines: Sequence[str]) -> str:
        """Vietnamese, for the preview: 'khối nơi nhận (5 dòng): Nơi nhận: - Như trên; ...'."""
        text = " ".join(line.strip() for line in lines[self.start:self.end] if line.strip())
        short = text if len(text) <= 80 else text[:77].rstrip() + "…"
        count = sum(1 for line in lines[self.start:self.end] if line.strip())
        return f"khối {self.kind} ({count} dòng): {short}"


def _is_caps_line(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _block_like(line: str) -> bool:
    stripped = line.strip()
    if not stripped:
        return True
    if _LIST_ITEM_RE.match(stripped) or _SIGNED_RE.match(stripped) or _is_caps_line(stripped):
        return True
    if _SIGNATURE_RE.match(stripped) or _RECIPIENTS_RE.match(stripped):
        return True
    # a short line without a sentence's end: a title, a name, an office
    return len(stripped) <= _BLOCK_LINE_MAX and not re.search(r"[.!?]$", stripped.rstrip(";,"))


def _find_addressees(lines: Sequence[str], taken: set[int]) -> list[Omission]:
    """The "Kính gửi:" blocks of ``lines`` that have text after them (module docstring)."""
    found: list[Omission] = []
    i = 0
    while i < len(lines):
        opened = _ADDRESSEE_RE.match(lines[i])
        if i in taken or not opened:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and end not in taken:
            line = lines[end].strip()
            prev = lines[end - 1].strip()
            if not line:  # a blank line inside the list ("Kính gửi:", blank, "- UBND ...")
                ahead = next((k for k in range(end, len(lines)) if lines[k].strip()), None)
                if ahead is None or ahead in taken or not _LIST_ITEM_RE.match(lines[ahead]):
                    break
                end = ahead
                continue
            bare_head = end == i + 1 and not opened["rest"].strip()
            continued = prev.endswith((";", ",", ":")) and len(line) <= _ADDRESSEE_LINE_MAX
            if not (_LIST_ITEM_RE.match(line) or bare_head or continued):
                break
            end += 1
        addressed = " ".join(line for line in lines[i:end])
        body_after = any(line.strip() for line in lines[end:])
        to_listeners = all(
            _PUBLIC_RE.search(_PEOPLES_BODY_RE.sub("", item))
            for item in re.split(r"[;\n]|(?:^|\s)[-–•*+]\s", _ADDRESSEE_RE.sub(r"\g<rest>", addressed))
            if item.strip(" .,:")
        )
        if body_after and not to_listeners:
            found.append(Omission(i, end, "kính gửi"))
        i = end
    return found


def find_unspoken(lines: Sequence[str]) -> list[Omission]:
    """The blocks of ``lines`` not to be read on air, in order (see the module docstring)."""
    headers = _find_headers(lines)
    in_header = {k for om in headers for k in range(om.start, om.end)}
    addressees = _find_addressees(lines, in_header)
    in_header |= {k for om in addressees for k in range(om.start, om.end)}
    omissions: list[Omission] = list(headers) + addressees
    i = 0
    while i < len(lines):
        line = lines[i]
        kind = ""
        if i in in_header:
            i += 1
            continue
        if _RECIPIENTS_RE.match(line):
            kind = "nơi nhận"
        elif _SIGNATURE_RE.match(line.strip()) and any(
            c.isalpha() for c in line.split(".", 1)[-1]
        ):
            kind = "chữ ký"
        elif _ARCHIVE_RE.match(line):
            omissions.append(Omission(i, i + 1, "lưu"))
            i += 1
            continue
        if not kind or not any(prev.strip() for prev in lines[:i]):
            i += 1  # a block is only a block after a document's text: a lone line is read
            continue
        end = i + 1
        while end < len(lines) and _block_like(lines[end]):
            inner = lines[end].strip()
            if kind == "nơi nhận" and _SIGNATURE_RE.match(inner):
                kind = "nơi nhận và chữ ký"
            elif kind == "chữ ký" and _RECIPIENTS_RE.match(inner):
                kind = "chữ ký và nơi nhận"
            end += 1
        while end > i + 1 and not lines[end - 1].strip():
            end -= 1  # trailing blank lines are not part of the block
        omissions.append(Omission(i, end, kind))
        i = end
    return _merge(sorted(omissions, key=lambda om: om.start))


def _merge(omissions: list[Omission]) -> list[Omission]:
    """Adjacent blocks (recipients beside the signature, pasted from a table) become one run."""
    merged: list[Omission] = []
    for om in omissions:
        apart = {om.kind, merged[-1].kind} & {"đầu văn bản", "kính gửi"} if merged else set()
        if merged and om.start <= merged[-1].end and not apart:
            last = merged[-1]
            kinds = last.kind if om.kind in last.kind else f"{last.kind} và {om.kind}"
            merged[-1] = Omission(last.start, max(last.end, om.end), kinds)
        else:
            merged.append(om)
    return merged
