"""What both PDFs the commune files draw the same way: the "Nơi nhận" list and the signature block.

Why one place: the evidence PDF (``log export``, :mod:`.pdf_report`) and the report to the
province (``report compile``, :mod:`.directive_pdf`) are signed by the same people in the same
Decree 30/2020/NĐ-CP layout; the words come from :mod:`.letterhead`, the drawing from here.
Both documents register their serif face under the family name ``Serif``.
"""
from __future__ import annotations

from typing import Sequence

from fpdf import FPDF

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
