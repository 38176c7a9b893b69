"""The compiled report as a Word document (python-docx), in the Decree 30/2020/NĐ-CP layout.

Why DOCX: offices edit a report (the number, a sentence, the signer) before it is signed and
filed. A4, Times New Roman 13–14, margins top/bottom 20 mm, left 30 mm, right 15 mm; the header
is a borderless two-column table (issuing body and number on the left, the national title,
motto and place-date on the right), the "Nơi nhận" list and the signature block another.
"""
from __future__ import annotations

import io
import logging

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table as DocxTable
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from broadcaster.reports.directive_report import CompiledReport, Heading, Para, Table

logger = logging.getLogger(__name__)

FONT = "Times New Roman"
BODY_PT = 14
ALIGN = {"justify": WD_ALIGN_PARAGRAPH.JUSTIFY, "center": WD_ALIGN_PARAGRAPH.CENTER,
         "left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT}


def _run(paragraph: Paragraph, text: str, *, size: float = BODY_PT, bold: bool = False, italic: bool = False,
         underline: bool = False) -> Run:
    run = paragraph.add_run(text)
    run.font.name = FONT
    run.font.size = Pt(size)
    run.bold, run.italic, run.underline = bold, italic, underline
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)  # noqa: SLF001
    return run


def _para(container: DocxDocument | _Cell, text: str = "", *, align: str = "center", size: float = BODY_PT,
          bold: bool = False, italic: bool = False, indent: bool = False, before: float = 0, after: float = 0,
          underline: bool = False) -> Paragraph:
    paragraph = container.add_paragraph()
    paragraph.alignment = ALIGN[align]
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    fmt.line_spacing = 1.1
    if indent:
        fmt.first_line_indent = Cm(1.0)
    if text:
        _run(paragraph, text, size=size, bold=bold, italic=italic, underline=underline)
    return paragraph


def _no_borders(table: DocxTable) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)  # noqa: SLF001


def _cell(table: DocxTable, row: int, col: int) -> _Cell:
    cell = table.cell(row, col)
    cell.paragraphs[0]._element.getparent().remove(cell.paragraphs[0]._element)  # noqa: SLF001
    return cell


def _header(document: DocxDocument, report: CompiledReport) -> None:
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = (Cm(6.5), Cm(10.0))
    for index, width in enumerate(widths):
        table.columns[index].width = width
        table.cell(0, index).width = width
    left, right = _cell(table, 0, 0), _cell(table, 0, 1)
    for number, line in enumerate(report.issuer_lines):
        last = number == len(report.issuer_lines) - 1
        _para(left, line, size=13, bold=last or len(report.issuer_lines) == 1, underline=False)
    _para(left, "———", size=8, bold=True)
    _para(left, report.number, size=13, before=4)
    _para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=13, bold=True)
    _para(right, "Độc lập - Tự do - Hạnh phúc", size=14, bold=True, underline=True)
    _para(right, report.place_date, size=14, italic=True, before=8)


def _table(document: DocxDocument, block: Table) -> None:
    table = document.add_table(rows=1 + len(block.rows), cols=len(block.headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    total = 16.0  # cm of text width (A4 210 mm − 30 − 15 mm, a little less for the grid)
    numeric = block.numeric or [False] * len(block.headers)
    for col, fraction in enumerate(block.widths):
        for row in table.rows:
            row.cells[col].width = Cm(total * fraction)
    for col, text in enumerate(block.headers):
        cell = _cell(table, 0, col)
        _para(cell, text, size=12, bold=True)
    for r, values in enumerate(block.rows, start=1):
        for col, text in enumerate(values):
            cell = _cell(table, r, col)
            _para(cell, text, size=12 if len(text) < 40 else 10, align="right" if numeric[col] else "left")
    _para(document, "", size=6)


def _block(document: DocxDocument, block: Heading | Para | Table) -> None:
    if isinstance(block, Heading):
        _para(document, block.text, align="justify", bold=True, indent=block.level == 2, before=6, after=3)
    elif isinstance(block, Para):
        _para(document, block.text, align=block.align, bold=block.bold, italic=block.italic,
              indent=block.indent, after=4)
    elif isinstance(block, Table):
        _table(document, block)


def _closing(document: DocxDocument, report: CompiledReport) -> None:
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    for index, width in enumerate((Cm(8.0), Cm(8.0))):
        table.columns[index].width = width
        table.cell(0, index).width = width
    left, right = _cell(table, 0, 0), _cell(table, 0, 1)
    paragraph = _para(left, "", align="left", before=6)
    _run(paragraph, "Nơi nhận:", size=12, bold=True, italic=True)
    for line in report.receivers:
        _para(left, f"- {line}", align="left", size=11)
    for index, line in enumerate(report.signature):
        _para(right, line, size=14, bold=True, before=6 if index == 0 else 0)
    for _ in range(4):
        _para(right, "", size=14)
    _para(right, report.signer_name or "", size=14, bold=True)


def write_docx(report: CompiledReport) -> bytes:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    document.core_properties.title = f"{report.title} {report.summary}"
    document.core_properties.author = " ".join(report.issuer_lines)
    _header(document, report)
    _para(document, report.title, size=14, bold=True, before=18)
    _para(document, report.summary, size=14, bold=True)
    _para(document, report.period_line, size=14, italic=True)
    _para(document, "———", size=8, bold=True, after=6)
    _para(document, f"Kính gửi: {report.recipient}.", size=14, after=8)
    for block in report.body:
        _block(document, block)
    _closing(document, report)
    page_break = document.add_paragraph().add_run()
    page_break.add_break(WD_BREAK.PAGE)
    _para(document, report.annex_title, size=14, bold=True, after=6)
    for block in report.annex:
        _block(document, block)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
