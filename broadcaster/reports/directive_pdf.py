"""The compiled report as PDF (fpdf2), from the same :class:`CompiledReport` as the DOCX.

Same layout and margins as the Word file (A4; top/bottom 20 mm, left 30 mm, right 15 mm). The
serif face is Liberation Serif, metric-compatible with Times New Roman, when installed, else the
bundled DejaVu Serif (:mod:`.pdf_parts`), at 13–14 pt as the decree asks.
"""
from __future__ import annotations

import logging

from fpdf import FPDF

from broadcaster.reports.directive_report import CompiledReport, Heading, Para, Table
from broadcaster.reports.pdf_parts import add_serif, receivers_and_signature

logger = logging.getLogger(__name__)

BODY_PT = 13
LINE = 6.2


class DecreePDF(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        add_serif(self)
        self.set_margins(30, 20, 15)
        self.set_auto_page_break(True, margin=20)

    def footer(self) -> None:
        if self.page_no() > 1:
            self.set_y(-14)
            self.set_font("Serif", "", 10)
            self.cell(0, 5, str(self.page_no()), align="C")


def _header(pdf: DecreePDF, report: CompiledReport) -> None:
    top = pdf.get_y()
    left_w = 62.0
    right_w = pdf.epw - left_w
    for index, line in enumerate(report.issuer_lines):
        bold = index == len(report.issuer_lines) - 1 or len(report.issuer_lines) == 1
        pdf.set_font("Serif", "B" if bold else "", 12)
        pdf.cell(left_w, 5.5, line, align="C", new_x="LEFT", new_y="NEXT")
    y = pdf.get_y() + 1
    middle = pdf.l_margin + left_w / 2
    pdf.line(middle - 10, y, middle + 10, y)
    pdf.set_xy(pdf.l_margin, y + 2)
    pdf.set_font("Serif", "", BODY_PT)
    pdf.cell(left_w, 6, report.number, align="C")
    left_bottom = y + 8
    pdf.set_xy(pdf.l_margin + left_w, top)
    pdf.set_font("Serif", "B", 12)
    pdf.cell(right_w, 5.5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font("Serif", "B", BODY_PT)
    motto = "Độc lập - Tự do - Hạnh phúc"
    pdf.cell(right_w, 6, motto, align="C", new_x="LEFT", new_y="NEXT")
    width = pdf.get_string_width(motto)
    centre = pdf.l_margin + left_w + right_w / 2
    pdf.line(centre - width / 2, pdf.get_y() + 0.3, centre + width / 2, pdf.get_y() + 0.3)
    pdf.set_xy(pdf.l_margin + left_w, max(pdf.get_y() + 3, left_bottom))
    pdf.set_font("Serif", "I", BODY_PT)
    pdf.cell(right_w, 6, report.place_date, align="C")
    pdf.set_xy(pdf.l_margin, pdf.get_y() + 14)


def _table(pdf: DecreePDF, block: Table) -> None:
    widths = [pdf.epw * f for f in block.widths]
    numeric = block.numeric or [False] * len(block.headers)
    size = 10.0 if any(len(c) > 40 for row in block.rows for c in row) else 11.5
    pdf.set_font("Serif", "B", 11)
    with pdf.table(col_widths=widths, text_align=["RIGHT" if n else "LEFT" for n in numeric],
                   line_height=5.2, first_row_as_headings=True, padding=1) as table:
        header = table.row()
        for text in block.headers:
            header.cell(text, align="C")
        pdf.set_font("Serif", "", size)
        for values in block.rows:
            row = table.row()
            for text in values:
                row.cell(text)
    pdf.ln(3)


def _block(pdf: DecreePDF, block: object) -> None:
    if isinstance(block, Heading):
        if pdf.get_y() > pdf.page_break_trigger - 25:
            pdf.add_page()
        pdf.ln(1.5)
        pdf.set_font("Serif", "B", BODY_PT)
        if block.level == 2:
            pdf.set_x(pdf.l_margin + 10)
        pdf.multi_cell(0, LINE, block.text, align="J", new_x="LMARGIN", new_y="NEXT")
    elif isinstance(block, Para):
        style = ("B" if block.bold else "") + ("I" if block.italic else "")
        pdf.set_font("Serif", style, BODY_PT)
        text = block.text
        align = {"justify": "J", "center": "C", "left": "L"}[block.align]
        if block.indent:
            # A first-line indent: fpdf2 has none, so the line starts after an indent-wide space.
            pdf.set_x(pdf.l_margin)
            text = "\u2003\u2003" + text
        pdf.multi_cell(0, LINE, text, align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    elif isinstance(block, Table):
        _table(pdf, block)


def write_pdf(report: CompiledReport) -> bytes:
    pdf = DecreePDF()
    pdf.set_title(f"{report.title} {report.summary}")
    pdf.set_author(" ".join(report.issuer_lines))
    pdf.set_creator("Loa xã")
    pdf.add_page()
    _header(pdf, report)
    pdf.set_font("Serif", "B", 14)
    pdf.cell(0, 7, report.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 7, report.summary, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "I", BODY_PT)
    pdf.cell(0, 6.5, report.period_line, align="C", new_x="LMARGIN", new_y="NEXT")
    centre = pdf.l_margin + pdf.epw / 2
    pdf.line(centre - 15, pdf.get_y() + 1, centre + 15, pdf.get_y() + 1)
    pdf.ln(5)
    pdf.set_font("Serif", "", BODY_PT)
    pdf.cell(0, 7, f"Kính gửi: {report.recipient}.", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for block in report.body:
        _block(pdf, block)
    receivers_and_signature(pdf, report.receivers, report.signature, report.signer_name)
    pdf.add_page()
    pdf.set_font("Serif", "B", BODY_PT)
    pdf.multi_cell(0, 7, report.annex_title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for block in report.annex:
        _block(pdf, block)
    return bytes(pdf.output())
