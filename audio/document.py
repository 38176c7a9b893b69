"""The parts of a pasted official document that are not read on air: recipients and signature.

Why: an editor often pastes a whole document (Decree 30/2020/NĐ-CP layout) into a bulletin. Its
last part is for the archive, not for listeners: the list of recipients ("Nơi nhận: - Như trên;
- Lưu: VT, VHXH.") and the signature block ("TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH /
(Đã ký) / Nguyễn Văn A"). Read aloud they are a minute of noise ("lưu vê tê") at the end of a
notice. They are left out, line by line, and :func:`find_unspoken` says what was left out, so
the editor's preview ("Máy sẽ đọc là") can show it and nothing disappears silently.

The rules are those of the layout, not of examples:
- "Nơi nhận" opening a line starts the recipients block;
- "TM.", "KT.", "TL.", "TUQ.", "Q." opening a line and followed by a title in capitals
  ("KT. CHỦ TỊCH", "TM. BAN THƯỜNG VỤ") starts the signature block;
- a block runs on while its lines look like a block (short lines, list items, titles in
  capitals, "(Đã ký)", a name) and ends at the first line of running text, so a pasted document
  whose blocks sit in the middle (two documents one after the other) keeps its text;
- "Lưu: VT, ..." on its own line is the archive mark, left out wherever it is;
- a block needs text before it: a lone "KT. CHỦ TỊCH" typed as a bulletin is read.
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
_BLOCK_LINE_MAX = 60


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


def find_unspoken(lines: Sequence[str]) -> list[Omission]:
    """The blocks of ``lines`` not to be read on air, in order (see the module docstring)."""
    omissions: list[Omission] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        kind = ""
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
    return _merge(omissions)


def _merge(omissions: list[Omission]) -> list[Omission]:
    """Adjacent blocks (recipients beside the signature, pasted from a table) become one run."""
    merged: list[Omission] = []
    for om in omissions:
        if merged and om.start <= merged[-1].end:
            last = merged[-1]
            kinds = last.kind if om.kind in last.kind else f"{last.kind} và {om.kind}"
            merged[-1] = Omission(last.start, max(last.end, om.end), kinds)
        else:
            merged.append(om)
    return merged
