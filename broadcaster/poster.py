"""A printable A4 poster for a campaign, with a QR code to its public page.

For the notice boards and banners the directives mention: the issuing committee, the campaign's
name, period and theme, the newest published bulletins, and a large QR code that opens the
campaign's page on the public site (read and listen again on a phone).

The QR code is drawn as vector squares (fpdf2 rectangles from the ``qrcode`` package's module
matrix), not as a picture: it stays sharp at any print size and on any printer. Error correction
level Q survives a creased or rain-spotted printout.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Sequence

import qrcode
import qrcode.constants
from fpdf import FPDF

from broadcaster.publishing import station_name

FONTS = Path(__file__).resolve().parent / "fonts"
QR_SIZE_MM = 95.0
GREEN = (20, 95, 60)


def qr_matrix(url: str) -> list[list[bool]]:
    """The QR code of ``url`` as rows of dark (True) modules, quiet zone included."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=4)
    code.add_data(url)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def _draw_qr(pdf: FPDF, matrix: list[list[bool]], x: float, y: float, size: float) -> None:
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):  # one rectangle per run of dark modules: a smaller, faster PDF
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            # A hair wider than the module so adjacent runs print without white seams.
            pdf.rect(x + start * module, y + r * module, (c - start) * module + 0.02,
                     module + 0.02, style="F")


def poster_bytes(*, issuer: str, commune: str, name: str, starts_on: dt.date, ends_on: dt.date,
                 theme: str, url: str, recent: Sequence[str] = ()) -> bytes:
    """The poster PDF as bytes."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(f"Áp phích chiến dịch: {name}")
    pdf.set_author(issuer)
    pdf.set_creator("Loa xã")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(False)
    pdf.add_font("Sans", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("Sans", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_font("Mono", "", str(FONTS / "DejaVuSansMono.ttf"))
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    pdf.set_fill_color(*GREEN)
    pdf.rect(0, 0, pdf.w, 34, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(pdf.l_margin, 9)
    pdf.set_font("Sans", "B", 15)
    pdf.cell(width, 8, issuer.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Sans", "", 11)
    pdf.cell(width, 7, station_name(commune), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)

    pdf.set_y(44)
    pdf.set_font("Sans", "B", 24 if len(name) < 60 else 19)
    pdf.set_text_color(*GREEN)
    pdf.multi_cell(width, 11, name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    pdf.set_font("Sans", "", 13)
    pdf.cell(width, 7, f"Từ ngày {starts_on:%d/%m/%Y} đến ngày {ends_on:%d/%m/%Y}", align="C",
             new_x="LMARGIN", new_y="NEXT")
    theme = " ".join((theme or "").split())
    if theme:
        pdf.ln(3)
        pdf.set_font("Sans", "", 12)
        if len(theme) > 420:
            theme = theme[:419].rsplit(" ", 1)[0] + "…"
        pdf.multi_cell(width, 6.5, theme, align="C", new_x="LMARGIN", new_y="NEXT")

    qr_y = pdf.get_y() + 10
    qr_x = (pdf.w - QR_SIZE_MM) / 2
    _draw_qr(pdf, qr_matrix(url), qr_x, qr_y, QR_SIZE_MM)
    pdf.set_y(qr_y + QR_SIZE_MM + 3)
    pdf.set_font("Sans", "B", 14)
    pdf.multi_cell(width, 7, "Quét mã QR bằng điện thoại để đọc và nghe lại các bản tin",
                   align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Mono", "", 10)
    pdf.multi_cell(width, 5.5, url, align="C", new_x="LMARGIN", new_y="NEXT")

    titles = [" ".join(t.split()) for t in recent if t.strip()][:5]
    if titles and pdf.get_y() < 255:
        pdf.ln(5)
        pdf.set_font("Sans", "B", 12)
        pdf.cell(width, 7, "Bản tin mới của chiến dịch", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Sans", "", 11)
        for title in titles:
            if pdf.get_y() > 272:
                break
            if pdf.get_string_width("• " + title) > width:
                while title and pdf.get_string_width("• " + title + "…") > width:
                    title = title[:-1]
                title += "…"
            pdf.cell(width, 6, "• " + title, new_x="LMARGIN", new_y="NEXT")

    pdf.set_y(-18)
    pdf.set_font("Sans", "", 9)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(width, 5, "Hằng ngày nghe bản tin trên loa truyền thanh của xã", align="C")
    return bytes(pdf.output())
