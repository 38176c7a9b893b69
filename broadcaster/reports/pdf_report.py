"""The periodic PDF report, laid out the way a commune office files it.

National header and motto, the issuing body, place and date, the title, the period, the summary
tables, a chart of minutes per day by category (bars drawn with fpdf2 primitives), the list of
airings, what was missed or failed and why, and at the end the chain's head hash and the latest
checkpoint's signature. The serif face is Liberation Serif (Times New Roman's metrics) when
installed, else DejaVu Serif (:mod:`.pdf_parts`); DejaVu Sans and Mono ship in ``broadcaster/fonts``
so every Vietnamese glyph is there on any machine, offline.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from fpdf import FPDF

from broadcaster import evidence
from broadcaster.evidence import STATUS_LABELS
from broadcaster.reports.bundle import ExportBundle
from broadcaster.reports.coverage import CampaignCoverage
from broadcaster.reports.pdf_parts import FONTS, add_serif, receivers_and_signature
from broadcaster.reports.query import GroupRow, ReceiverSummary, Summary, entry_when

logger = logging.getLogger(__name__)

TITLE = "Báo cáo kết quả công tác truyền thanh cơ sở"
#: The summary line under "BÁO CÁO": this report is the evidence of what aired.
SUMMARY = "Kết quả công tác truyền thanh cơ sở (nhật ký phát thanh)"
PALETTE = [
    (31, 78, 121), (197, 90, 17), (84, 130, 53), (191, 144, 0), (112, 48, 160),
    (46, 117, 182), (192, 0, 0), (0, 133, 133), (128, 96, 0), (90, 90, 90),
]


def official_date(place: str, day: dt.date) -> str:
    """'Tân Hòa, ngày 05 tháng 02 năm 2026': days below 10 and months 1-2 take a leading zero."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def period_text(date_from: dt.date | None, date_to: dt.date | None) -> str:
    if date_from and date_to:
        return f"từ ngày {date_from:%d/%m/%Y} đến ngày {date_to:%d/%m/%Y}"
    if date_from:
        return f"từ ngày {date_from:%d/%m/%Y}"
    if date_to:
        return f"đến ngày {date_to:%d/%m/%Y}"
    return "toàn bộ nhật ký"


def _minutes(value: float) -> str:
    return f"{value:,.1f}".replace(",", " ").replace(".", ",")


class ReportPDF(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(20, 15, 15)
        self.set_auto_page_break(True, margin=15)
        add_serif(self)
        self.add_font("Sans", "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font("Sans", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.add_font("Mono", "", str(FONTS / "DejaVuSansMono.ttf"))
        self.footer_text = ""

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font("Sans", "", 7.5)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"{self.footer_text} — Trang {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    # -- small helpers -------------------------------------------------------------------------

    def fit(self, text: str, width: float) -> str:
        """Cut ``text`` with an ellipsis so it fits ``width`` in the current font."""
        text = " ".join(str(text or "").split())
        if self.get_string_width(text) <= width - 1.2:
            return text
        low, high = 0, len(text)
        while low < high:
            middle = (low + high + 1) // 2
            if self.get_string_width(text[:middle] + "…") <= width - 1.2:
                low = middle
            else:
                high = middle - 1
        return text[:low] + "…"

    def heading(self, text: str, room: float = 25.0) -> None:
        """A section heading, moved to the next page with its section when ``room`` mm won't fit."""
        if self.get_y() + room > self.page_break_trigger:
            self.add_page()
        self.ln(3)
        self.set_font("Serif", "B", 12)
        self.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("Serif", "", 10.5)

    def table(self, headers: Sequence[str], widths: Sequence[float], rows: Sequence[Sequence[str]],  # type: ignore[override]
              aligns: Sequence[str] | None = None, size: float = 8.5) -> None:
        """A ruled table with a repeated header; cells are cut to fit, one line per row."""
        aligns = aligns or ["L"] * len(headers)

        def header() -> None:
            self.set_font("Sans", "B", size)
            self.set_fill_color(222, 230, 240)
            for text, width in zip(headers, widths, strict=False):
                self.cell(width, 6, self.fit(text, width), border=1, align="C", fill=True)
            self.ln(6)
            self.set_font("Sans", "", size)

        header()
        height = size * 0.55
        for row in rows:
            if self.get_y() + height > self.page_break_trigger:
                self.add_page()
                header()
            for text, width, align in zip(row, widths, aligns, strict=False):
                self.cell(width, height, self.fit(text, width), border=1, align=align)
            self.ln(height)


def _header_block(pdf: ReportPDF, settings: Any, issued: dt.date) -> None:
    commune = settings.commune
    top = pdf.get_y()
    left_w, right_w = 72, pdf.epw - 72
    pdf.set_font("Serif", "B", 10.5)
    from broadcaster.reports.letterhead import issuer_lines

    pdf.multi_cell(left_w, 5, "\n".join(issuer_lines(commune.issuer)), align="C", new_x="LEFT", new_y="NEXT")
    y = pdf.get_y() + 1
    pdf.line(pdf.l_margin + left_w / 2 - 12, y, pdf.l_margin + left_w / 2 + 12, y)
    pdf.set_y(y + 2)
    pdf.set_font("Serif", "", 10.5)
    pdf.cell(left_w, 5, "Số:        /BC-UBND", align="C")
    left_bottom = pdf.get_y() + 5
    pdf.set_xy(pdf.l_margin + left_w, top)
    pdf.set_font("Serif", "B", 11)
    pdf.cell(right_w, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font("Serif", "B", 12)
    motto = "Độc lập - Tự do - Hạnh phúc"
    pdf.cell(right_w, 6, motto, align="C", new_x="LEFT", new_y="NEXT")
    width = pdf.get_string_width(motto)
    middle = pdf.l_margin + left_w + right_w / 2
    pdf.line(middle - width / 2, pdf.get_y() + 0.5, middle + width / 2, pdf.get_y() + 0.5)
    pdf.set_xy(pdf.l_margin + left_w, max(pdf.get_y() + 3, left_bottom))
    pdf.set_font("Serif", "I", 11)
    pdf.cell(right_w, 6, official_date(commune.place, issued), align="C")
    pdf.set_xy(pdf.l_margin, max(pdf.get_y() + 10, left_bottom + 4))


def _summary_tables(pdf: ReportPDF, summary: Summary) -> None:
    total = summary.total
    pdf.multi_cell(
        0, 5.5,
        f"Trong kỳ, đài có {total.scheduled} buổi phát theo lịch; đã phát {total.aired} buổi "
        f"với tổng thời lượng {_minutes(total.minutes)} phút; {total.missed} buổi bị lỡ, "
        f"{total.failed} buổi lỗi, {total.interrupted} buổi bị ngắt giữa chừng."
        + (f" Có {summary.corrections} mục đính chính (số liệu tính theo bản đính chính)." if summary.corrections else ""),
        new_x="LMARGIN", new_y="NEXT",
    )
    headers = ("", "Theo lịch", "Đã phát", "Số phút", "Lỡ", "Lỗi", "Ngắt")
    widths = (73, 20, 18, 22, 14, 14, 14)
    aligns = ("L", "R", "R", "R", "R", "R", "R")

    def rows(groups: Sequence[GroupRow], labels: dict[str, str] | None = None) -> list[list[str]]:
        return [[(labels or {}).get(g.key, g.key), str(g.scheduled), str(g.aired), _minutes(g.minutes),
                 str(g.missed), str(g.failed), str(g.interrupted)] for g in groups]

    for caption, label, groups, labels in (
        ("1. Theo chuyên mục", "Chuyên mục", summary.by_category, None),
        ("2. Theo chiến dịch", "Chiến dịch", summary.by_campaign, None),
        ("3. Theo khu vực (thôn, khu phố)", "Khu vực", summary.by_zone, None),
        ("4. Theo trạng thái", "Trạng thái", summary.by_status, STATUS_LABELS),
    ):
        pdf.ln(1.5)
        pdf.set_font("Serif", "I", 10.5)
        pdf.cell(0, 6, caption, new_x="LMARGIN", new_y="NEXT")
        pdf.table((label,) + headers[1:], widths, rows(groups, labels) + rows([summary.total]), aligns)


def _coverage_table(pdf: ReportPDF, coverage: list[CampaignCoverage]) -> None:
    pdf.ln(1.5)
    pdf.set_font("Serif", "I", 10.5)
    pdf.cell(0, 6, "5. Thực hiện các chiến dịch tuyên truyền (theo tuần và khu vực, chỉ tính buổi phát trọn vẹn)", new_x="LMARGIN", new_y="NEXT")
    if not coverage:
        pdf.set_font("Serif", "", 10.5)
        pdf.cell(0, 6, "Không có chiến dịch nào trong kỳ.", new_x="LMARGIN", new_y="NEXT")
        return
    rows = []
    for c in coverage:
        rows.append([c.campaign, f"{c.starts_on:%d/%m}–{c.ends_on:%d/%m/%Y}",
                     f"{len(c.weeks)} tuần × {len(c.zones)} khu vực", f"{c.cells_met}/{c.cells_judged}",
                     str(sum(z[1] for z in c.zone_totals())), _minutes(sum(z[2] for z in c.zone_totals()))])
    pdf.table(("Chiến dịch", "Thời gian", "Phạm vi", "Tuần đạt", "Lượt nghe", "Số phút"),
              (50, 30, 36, 20, 19, 20), rows, ("L", "L", "L", "R", "R", "R"))


def _chart(pdf: ReportPDF, days: dict[dt.date, dict[str, float]]) -> None:
    """Stacked bars of minutes per day by category, with axis ticks and a legend."""
    if not days:
        pdf.cell(0, 6, "Không có buổi phát nào trong kỳ.", new_x="LMARGIN", new_y="NEXT")
        return
    categories = sorted({c for per_day in days.values() for c in per_day},
                        key=lambda c: -sum(d.get(c, 0.0) for d in days.values()))
    colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(categories)}
    first, last = min(days), max(days)
    span = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    height, axis_w = 60.0, 12.0
    top = pdf.get_y() + 8  # room above the plot for the axis caption
    left = pdf.l_margin + axis_w
    width = pdf.epw - axis_w
    peak = max(sum(v.values()) for v in days.values()) or 1.0
    step = next(s for s in (1, 2, 5, 10, 15, 20, 30, 60, 120, 240, 480, 1000, 5000, 10**9) if peak / s <= 6)
    scale = height / (step * (int(peak // step) + 1))
    pdf.set_font("Sans", "", 6.5)
    pdf.set_draw_color(200, 200, 200)
    tick = 0
    while tick * scale <= height + 0.01:
        y = top + height - tick * scale
        pdf.line(left, y, left + width, y)
        pdf.set_xy(pdf.l_margin, y - 1.5)
        pdf.cell(axis_w - 1, 3, str(tick), align="R")
        tick += step
    pdf.set_draw_color(0, 0, 0)
    slot = width / len(span)
    bar = max(slot * 0.7, 0.3)
    label_every = max(1, round(len(span) / 16))
    for index, day in enumerate(span):
        x = left + index * slot + (slot - bar) / 2
        y = top + height
        for category in categories:
            value = days.get(day, {}).get(category, 0.0)
            if value <= 0:
                continue
            pdf.set_fill_color(*colours[category])
            pdf.rect(x, y - value * scale, bar, value * scale, style="F")
            y -= value * scale
        if index % label_every == 0:
            pdf.set_xy(left + index * slot - 3, top + height + 0.5)
            pdf.cell(slot + 6, 3, f"{day:%d/%m}", align="C")
    pdf.line(left, top + height, left + width, top + height)
    pdf.set_xy(pdf.l_margin, top - 5.5)
    pdf.cell(axis_w + 10, 3, "Số phút")
    pdf.set_xy(pdf.l_margin, top + height + 5)
    pdf.set_font("Sans", "", 7.5)
    for category in categories:
        label = pdf.fit(category, 50)
        needed = 5 + pdf.get_string_width(label) + 5
        if pdf.get_x() + needed > pdf.l_margin + pdf.epw:
            pdf.ln(4.5)
        pdf.set_fill_color(*colours[category])
        pdf.rect(pdf.get_x(), pdf.get_y() + 0.8, 3, 3, style="F")
        pdf.set_x(pdf.get_x() + 4)
        pdf.cell(needed - 4, 4.5, label)
    pdf.ln(7)
    pdf.set_font("Serif", "", 10.5)


def _airings(pdf: ReportPDF, entries: Sequence[Any], zone: ZoneInfo) -> None:
    rows = []
    for e in entries:
        when = entry_when(e)
        local = when.astimezone(zone) if when else None
        rows.append([
            str(e.id), f"{local:%d/%m/%Y %H:%M}" if local else "",
            e.title + (f" (đính chính #{e.corrects_id})" if e.corrects_id else ""), e.category or "",
            e.zone or "Toàn xã", STATUS_LABELS.get(e.status, e.status), _minutes((e.seconds_played or 0) / 60),
        ])
    if not rows:
        pdf.cell(0, 6, "Không có buổi phát nào trong kỳ.", new_x="LMARGIN", new_y="NEXT")
        return
    pdf.table(("Số", "Thời gian", "Nội dung", "Chuyên mục", "Khu vực", "Trạng thái", "Phút"),
              (12, 26, 55, 25, 24, 20, 13), rows, ("R", "L", "L", "L", "L", "L", "R"), size=7.5)


def _problems(pdf: ReportPDF, problems: Sequence[Any], zone: ZoneInfo) -> None:
    if not problems:
        pdf.cell(0, 6, "Không có buổi phát nào bị lỡ, lỗi hoặc bị ngắt.", new_x="LMARGIN", new_y="NEXT")
        return
    pdf.set_font("Sans", "", 8)
    for e in problems:
        when = entry_when(e)
        local = f"{when.astimezone(zone):%d/%m/%Y %H:%M}" if when else ""
        pdf.multi_cell(
            0, 4.5,
            f"• Mục #{e.id}, {local}, {e.title} ({e.zone or 'Toàn xã'}): "
            f"{STATUS_LABELS.get(e.status, e.status).lower()} — lý do: {e.reason or 'không ghi lý do'}",
            new_x="LMARGIN", new_y="NEXT",
        )
    pdf.set_font("Serif", "", 10.5)


def _receivers(pdf: ReportPDF, bundle: ExportBundle, boxes: ReceiverSummary, zone: ZoneInfo) -> None:
    """What each village receiver aired and what failed there, from the box's own chain."""
    if not bundle.receiver_entries:
        pdf.cell(0, 6, "Không có máy thu nào gửi nhật ký trong kỳ.", new_x="LMARGIN", new_y="NEXT")
        return
    total = boxes.total
    pdf.multi_cell(
        0, 5.5,
        f"Các máy thu ở thôn ghi {total.scheduled} buổi phát; đã phát {total.aired} buổi "
        f"({_minutes(total.minutes)} phút); {total.missed} buổi bị lỡ, {total.failed} buổi lỗi, "
        f"{total.interrupted} buổi bị ngắt. Mỗi máy thu ghi nhật ký riêng, ký bằng khóa riêng.",
        new_x="LMARGIN", new_y="NEXT",
    )
    pdf.table(("Máy thu (thôn)", "Theo lịch", "Đã phát", "Số phút", "Lỡ", "Lỗi", "Ngắt"),
              (73, 20, 18, 22, 14, 14, 14),
              [[g.key, str(g.scheduled), str(g.aired), _minutes(g.minutes), str(g.missed), str(g.failed),
                str(g.interrupted)] for g in boxes.by_box + [total]],
              ("L", "R", "R", "R", "R", "R", "R"))
    pdf.ln(2)
    rows = []
    for e in bundle.receiver_entries:
        when = entry_when(e)
        rows.append([e.receiver, str(e.id), f"{when.astimezone(zone):%d/%m/%Y %H:%M}" if when else "",
                     e.title or e.occurrence_key or "", e.receiver_zone, STATUS_LABELS.get(e.status, e.status),
                     _minutes((e.seconds_played or 0) / 60)])
    pdf.table(("Máy thu", "Số", "Thời gian", "Nội dung", "Thôn", "Trạng thái", "Phút"),
              (26, 10, 26, 50, 24, 19, 13), rows, ("L", "R", "L", "L", "L", "L", "R"), size=7.5)
    if boxes.problems:
        pdf.ln(1.5)
        pdf.set_font("Sans", "", 8)
        for e in boxes.problems:
            when = entry_when(e)
            local = f"{when.astimezone(zone):%d/%m/%Y %H:%M}" if when else ""
            pdf.multi_cell(
                0, 4.5,
                f"• Máy thu {e.receiver} ({e.receiver_zone}), mục #{e.id}, {local}, {e.title or e.occurrence_key}: "
                f"{STATUS_LABELS.get(e.status, e.status).lower()} — lý do: {e.reason or 'không ghi lý do'}",
                new_x="LMARGIN", new_y="NEXT",
            )
        pdf.set_font("Serif", "", 10.5)


def _proof(pdf: ReportPDF, bundle: ExportBundle) -> None:
    lines = [
        ("Số mục trong nhật ký", str(bundle.head_count)),
        ("Mã băm đầu chuỗi (SHA-256)", bundle.head_hash),
        ("Mã khóa công khai của đài", bundle.public_key_id or "không đọc được"),
    ]
    cp = bundle.latest_checkpoint
    if cp is None:
        lines.append(("Điểm kiểm đã ký", "chưa có (chạy: broadcaster log checkpoint)"))
    else:
        lines += [
            ("Điểm kiểm đã ký mới nhất", f"#{cp.id}, lúc {evidence.utc_text(cp.created_at)} (UTC), {cp.count} mục"),
            ("Mã băm được ký", cp.head_hash),
            ("Mã điểm kiểm (đối chiếu)", f"{cp.id}:{cp.hash}"),
            ("Chữ ký Ed25519 (base64)", cp.signature),
        ]
    for chain in bundle.box_chains:
        box_cp = chain.latest_checkpoint
        lines.append((f"Máy thu {chain.name}", f"{chain.zone}; khóa {chain.key_id}; {chain.head_count} mục; "
                      f"đầu chuỗi {chain.head_hash}"
                      + (f"; điểm kiểm #{box_cp.id} ({box_cp.count} mục)" if box_cp else "; chưa có điểm kiểm")))
    for label, value in lines:
        pdf.set_font("Serif", "", 9.5)
        pdf.cell(52, 5, label + ":")
        pdf.set_font("Mono", "", 7.5)
        pdf.multi_cell(0, 5, value, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "I", 9)
    pdf.multi_cell(
        0, 4.5,
        "Mỗi mục nhật ký mang mã băm của mục trước; sửa, xóa hay đổi thứ tự bất kỳ mục nào đều làm "
        "chuỗi không khớp. Cấp trên kiểm tra bản xuất CSV/JSON kèm theo bằng lệnh "
        "“broadcaster log verify --file TỆP --public-key KHÓA.pem”. Giữ bản báo cáo này: về sau, lệnh "
        "“broadcaster log verify --checkpoint MÃ_ĐIỂM_KIỂM” phát hiện nếu nhật ký trên máy của đài "
        "bị viết lại sau điểm kiểm in ở đây.",
        new_x="LMARGIN", new_y="NEXT",
    )


def write_pdf(bundle: ExportBundle, summary: Summary, coverage: list[CampaignCoverage],
              days: dict[dt.date, dict[str, float]], issued: dt.date,
              date_from: dt.date | None, date_to: dt.date | None,
              boxes: ReceiverSummary | None = None) -> bytes:
    """The whole report as PDF bytes."""
    zone = ZoneInfo(bundle.tz)
    pdf = ReportPDF()
    pdf.set_title(TITLE)
    pdf.set_author(bundle.settings.commune.issuer)
    pdf.set_creator("Loa xã")
    pdf.footer_text = f"{TITLE} — {bundle.settings.commune.name}"
    pdf.add_page()
    _header_block(pdf, bundle.settings, issued)
    from broadcaster.reports.letterhead import recipient_of

    pdf.set_font("Serif", "B", 14)
    pdf.cell(0, 7, "BÁO CÁO", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "B", 12.5)
    pdf.cell(0, 7, SUMMARY, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "I", 11)
    pdf.cell(0, 6, f"Kỳ báo cáo: {period_text(date_from, date_to)}", align="C", new_x="LMARGIN", new_y="NEXT")
    if bundle.filters.describe():
        pdf.cell(0, 6, f"Phạm vi: {bundle.filters.describe()}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Serif", "", 11)
    pdf.cell(0, 6, f"Kính gửi: {recipient_of(bundle.settings)}.", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.heading("I. Tổng hợp kết quả")
    _summary_tables(pdf, summary)
    _coverage_table(pdf, coverage)
    pdf.heading("II. Số phút phát mỗi ngày theo chuyên mục", room=105)
    _chart(pdf, days)
    pdf.heading("III. Danh sách các buổi phát")
    _airings(pdf, bundle.entries, zone)
    pdf.heading("IV. Các buổi phát bị lỡ, lỗi hoặc bị ngắt và lý do")
    _problems(pdf, summary.problems, zone)
    pdf.heading("V. Phát tại các thôn qua máy thu")
    _receivers(pdf, bundle, boxes or ReceiverSummary([], []), zone)
    pdf.heading("VI. Xác thực nhật ký")
    _proof(pdf, bundle)
    from broadcaster.reports.letterhead import RECEIVERS, signature_lines, signer_name

    receivers_and_signature(pdf, RECEIVERS, signature_lines(bundle.settings), signer_name(bundle.settings))
    return bytes(pdf.output())
