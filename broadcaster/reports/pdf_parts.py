"""What both PDFs the commune files share: the serif face, the "Nơi nhận" list, the signature block.

Why one place: the evidence PDF (``log export``, :mod:`.pdf_report`) and the report to the
province (``report compile``, :mod:`.directive_pdf`) are signed by the same people in the same
Decree 30/2020/NĐ-CP layout; the words come from :mod:`.letterhead`, the drawing from here.

The face: Decree 30 asks for Times New Roman, which may not be shipped. Liberation Serif
(Debian's ``fonts-liberation2``, installed by scripts/run and scripts/test) has the same metrics,
so the lines break where Word breaks them in the DOCX; it is used when it is installed and has
every Vietnamese letter (the older ``fonts-liberation`` 1.07 lacks ơ, ư and the stacked
diacritics, so it is not looked for). Otherwise the bundled DejaVu Serif, which has them all.
Either is registered under the family name ``Serif``.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF

logger = logging.getLogger(__name__)

#: The bundled DejaVu faces (broadcaster/fonts).
FONTS = Path(__file__).resolve().parent.parent / "fonts"
#: Where Debian's fonts-liberation2 puts Liberation Serif.
LIBERATION_DIR = Path("/usr/share/fonts/truetype/liberation2")
LIBERATION = {"": "LiberationSerif-Regular.ttf", "B": "LiberationSerif-Bold.ttf",
              "I": "LiberationSerif-Italic.ttf", "BI": "LiberationSerif-BoldItalic.ttf"}
#: No bold-italic DejaVu Serif ships: bold stands in for it.
DEJAVU = {"": "DejaVuSerif.ttf", "B": "DejaVuSerif-Bold.ttf", "I": "DejaVuSerif-Italic.ttf",
          "BI": "DejaVuSerif-Bold.ttf"}
_VOWELS = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
#: Every Vietnamese letter, both cases: a face without one of them would print a blank box.
VIETNAMESE_LETTERS = frozenset(_VOWELS + _VOWELS.upper())


def _covers_vietnamese(path: Path) -> bool:
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # fpdf2's own dependency

    try:
        with TTFont(str(path), lazy=True) as font:
            cmap = font.getBestCmap() or {}
    except Exception:  # noqa: BLE001 - a damaged font file is one we do not use
        return False
    return all(ord(letter) in cmap for letter in VIETNAMESE_LETTERS)


@functools.lru_cache(maxsize=4)
def serif_faces(liberation_dir: Path = LIBERATION_DIR) -> dict[str, Path]:
    """Style ("", "B", "I", "BI") → font file: Liberation Serif when usable, else DejaVu Serif."""
    liberation = {style: liberation_dir / name for style, name in LIBERATION.items()}
    if all(path.is_file() and _covers_vietnamese(path) for path in liberation.values()):
        return liberation
    logger.info("không có Liberation Serif đủ dấu tiếng Việt (gói fonts-liberation2): dùng DejaVu Serif")
    return {style: FONTS / name for style, name in DEJAVU.items()}


def add_serif(pdf: FPDF) -> None:
    """Register the document's serif face as the family ``Serif``, all four styles."""
    for style, path in serif_faces(LIBERATION_DIR).items():
        pdf.add_font("Serif", style, str(path))

#: Room the block needs at the foot of a page; less than this left and it starts a new page.
BLOCK_ROOM_MM = 48.0
#: Space left for the handwritten signature and the seal, between the titles and the name.
SIGNING_SPACE_MM = 20.0


def receivers_and_signature(pdf: FPDF, receivers: Sequence[str], signature: Sequence[str],
                            signer: str) -> None:
    """"Nơi nhận" on the left half (bold italic 12 pt, the list 11 pt); on the right half the
    signing authority and title (bold 13 pt), the signing space, then the signer's name."""
    if pdf.get_y() > pdf.page_break_trigger - BLOCK_ROOM_MM:
        pdf.add_page()
    pdf.ln(4)
    half = pdf.epw / 2
    top = pdf.get_y()
    pdf.set_font("Serif", "BI", 12)
    pdf.cell(half, 5.5, "Nơi nhận:", new_x="LEFT", new_y="NEXT")
    pdf.set_font("Serif", "", 11)
    for line in receivers:
        pdf.multi_cell(half, 5, f"- {line}", new_x="LEFT", new_y="NEXT")
    pdf.set_xy(pdf.l_margin + half, top)
    pdf.set_font("Serif", "B", 13)
    for line in signature:
        pdf.cell(half, 6, line, align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_y(pdf.get_y() + SIGNING_SPACE_MM)
    pdf.set_x(pdf.l_margin + half)
    pdf.cell(half, 6, signer, align="C", new_x="LMARGIN", new_y="NEXT")
