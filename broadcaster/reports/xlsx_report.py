"""XLSX export for the office: detail with filters, summary, campaign coverage, and the proof.

Written with openpyxl's write-only mode so 100,000 entries fit in memory and time. Times are
real Excel date-times in the station's local zone, so the office can sort and filter by them.
"""
from __future__ import annotations

import datetime as dt
import io
import logging
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from broadcaster import evidence
from broadcaster.evidence import STATUS_LABELS
from broadcaster.labels import PRIORITY_LABELS
from broadcaster.reports.bundle import ExportBundle
from broadcaster.reports.cells import xlsx_row
from broadcaster.reports.coverage import CampaignCoverage
from broadcaster.reports.query import GroupRow, ReceiverSummary, Summary, entry_when

logger = logging.getLogger(__name__)

# The office's columns; the fields only a hash check needs (items, prev_hash, air-check path...)
# travel in the CSV and JSON exports, which are the verifiable ones.
DETAIL_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Số", 8), ("Mã lượt phát", 22), ("Giờ theo lịch", 19), ("Bắt đầu", 19), ("Kết thúc", 19),
    ("Trạng thái", 11), ("Lý do", 36), ("Số giây đã phát", 10), ("Tiêu đề", 40), ("Chuyên mục", 18),
    ("Chiến dịch", 22), ("Ưu tiên", 10), ("Khu vực", 20), ("Đầu ra", 10), ("Đính chính mục", 9),
    ("Mã băm", 20),
)
DATETIME_FORMAT = "dd/mm/yyyy hh:mm:ss"


def _time_cells(sheet: Any, values: Iterable[Any], zone: ZoneInfo) -> list[Any]:
    """An entry's scheduled, start and end times as local date-time cells (commune and boxes)."""
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=_local(value, zone))
        cell.number_format = DATETIME_FORMAT
        cells.append(cell)
    return cells

def _header(sheet: Any, names: Iterable[str]) -> None:
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="1F4E79")
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cells.append(cell)
    sheet.append(cells)


def _title(sheet: Any, text: str) -> None:
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # a title holds the commune's name: never a formula
    cell.font = Font(bold=True, size=13)
    sheet.append([cell])


def _local(value: dt.datetime | None, zone: ZoneInfo) -> dt.datetime | None:
    return None if value is None else value.astimezone(zone).replace(tzinfo=None)


def _detail(workbook: Workbook, bundle: ExportBundle) -> None:
    sheet = workbook.create_sheet("Chi tiết")
    for index, (_, width) in enumerate(DETAIL_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    last = get_column_letter(len(DETAIL_COLUMNS))
    sheet.auto_filter.ref = f"A1:{last}{len(bundle.entries) + 1}"
    sheet.freeze_panes = "A2"
    _header(sheet, (name for name, _ in DETAIL_COLUMNS))
    zone = ZoneInfo(bundle.tz)
    for e in bundle.entries:
        times = _time_cells(sheet, (e.scheduled_at, e.started_at, e.ended_at), zone)
        sheet.append(xlsx_row(sheet, [
            e.id, e.occurrence_key, *times, STATUS_LABELS.get(e.status, e.status), e.reason,
            e.seconds_played, e.title, e.category, e.campaign, PRIORITY_LABELS.get(e.priority, e.priority),
            e.zone, e.output, e.corrects_id, e.hash,
        ]))


def _group_table(sheet: Any, title: str, label: str, rows: list[GroupRow]) -> None:
    _title(sheet, title)
    _header(sheet, (label, "Số lượt theo lịch", "Đã phát", "Số phút phát", "Bị lỡ", "Lỗi", "Bị ngắt"))
    for g in rows:
        sheet.append(xlsx_row(sheet, [g.key, g.scheduled, g.aired, round(g.minutes, 1), g.missed, g.failed,
                                      g.interrupted]))
    sheet.append([])


def _summary(workbook: Workbook, bundle: ExportBundle, summary: Summary, period: str) -> None:
    sheet = workbook.create_sheet("Tổng hợp")
    for letter, width in zip("ABCDEFG", (40, 16, 10, 14, 9, 9, 9), strict=True):
        sheet.column_dimensions[letter].width = width
    _title(sheet, f"Tổng hợp kết quả truyền thanh — {bundle.settings.commune.name}")
    sheet.append([f"Kỳ báo cáo: {period}"])
    if bundle.filters.describe():
        sheet.append(xlsx_row(sheet, [f"Lọc theo: {bundle.filters.describe()}"]))
    sheet.append([])
    _group_table(sheet, "Toàn kỳ", "", [summary.total])
    _group_table(sheet, "Theo chuyên mục", "Chuyên mục", summary.by_category)
    _group_table(sheet, "Theo chiến dịch", "Chiến dịch", summary.by_campaign)
    _group_table(sheet, "Theo khu vực", "Khu vực", summary.by_zone)
    status_rows = [GroupRow(STATUS_LABELS.get(g.key, g.key), g.scheduled, g.aired, g.minutes,
                            g.missed, g.failed, g.interrupted) for g in summary.by_status]
    _group_table(sheet, "Theo trạng thái", "Trạng thái", status_rows)
    _title(sheet, "Các buổi phát bị lỡ, lỗi hoặc bị ngắt")
    _header(sheet, ("Thời điểm", "Số", "Tiêu đề", "Trạng thái", "Lý do", "Khu vực"))
    zone = ZoneInfo(bundle.tz)
    for e in summary.problems:
        when = WriteOnlyCell(sheet, value=_local(entry_when(e), zone))
        when.number_format = DATETIME_FORMAT
        sheet.append(xlsx_row(sheet, [when, e.id, e.title, STATUS_LABELS.get(e.status, e.status), e.reason, e.zone]))
    if summary.corrections:
        sheet.append([])
        sheet.append([f"Có {summary.corrections} mục đính chính; số liệu trên đã tính theo bản đính chính."])


def _coverage(workbook: Workbook, coverage: list[CampaignCoverage]) -> None:
    """One row per campaign × zone × week (then per peak day), judged against its target."""
    sheet = workbook.create_sheet("Chiến dịch")
    for letter, width in zip("ABCDEFGHIJK", (30, 20, 12, 12, 10, 10, 14, 12, 12, 14, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    _header(sheet, ("Chiến dịch", "Khu vực", "Tuần từ ngày", "Đến ngày", "Số lượt", "Số phút",
                    "Qua máy thu thôn", "Chỉ tiêu lượt", "Chỉ tiêu phút", "Kết quả", "Loại"))
    rows = 1
    for campaign in coverage:
        for cell in campaign.cells:
            sheet.append(xlsx_row(sheet, [campaign.campaign, cell.zone, cell.first_day, cell.last_day,
                                          cell.airings, round(cell.minutes, 1), cell.from_receivers,
                                          cell.target_airings, cell.target_minutes, cell.verdict, "Tuần"]))
            rows += 1
        for day in campaign.peak:
            sheet.append(xlsx_row(sheet, [campaign.campaign, day.zone, day.day, day.day, day.airings,
                                          round(day.minutes, 1), day.from_receivers, day.target, 0,
                                          "Đạt" if day.met else "Chưa đạt", "Ngày cao điểm"]))
            rows += 1
    sheet.auto_filter.ref = f"A1:K{max(rows, 2)}"
    sheet.freeze_panes = "A2"


RECEIVER_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Máy thu", 16), ("Thôn, khu phố", 18), ("Số (trong nhật ký máy thu)", 9), ("Mã lượt phát", 22),
    ("Giờ theo lịch", 19), ("Bắt đầu", 19), ("Kết thúc", 19), ("Trạng thái", 11), ("Lý do", 36),
    ("Số giây đã phát", 10), ("Tiêu đề", 40), ("Chuyên mục", 18), ("Chiến dịch", 22), ("Đầu ra", 18),
    ("Mã băm", 20),
)


def _receivers(workbook: Workbook, bundle: ExportBundle, boxes: ReceiverSummary) -> None:
    """What each village receiver aired and what failed there, from the box's own chain."""
    sheet = workbook.create_sheet("Máy thu các thôn")
    for index, (_, width) in enumerate(RECEIVER_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    _title(sheet, "Phát tại các thôn qua máy thu (theo nhật ký riêng của từng máy thu)")
    if not bundle.receiver_entries:
        sheet.append(["Không có máy thu nào gửi nhật ký trong kỳ."])
        return
    _group_table(sheet, "Theo máy thu", "Máy thu (thôn)", boxes.by_box + [boxes.total])
    _title(sheet, "Các buổi phát tại thôn")
    _header(sheet, (name for name, _ in RECEIVER_COLUMNS))
    zone = ZoneInfo(bundle.tz)
    for e in bundle.receiver_entries:
        times = _time_cells(sheet, (e.scheduled_at, e.started_at, e.ended_at), zone)
        sheet.append(xlsx_row(sheet, [
            e.receiver, e.receiver_zone, e.id, e.occurrence_key, *times, STATUS_LABELS.get(e.status, e.status),
            e.reason, e.seconds_played, e.title, e.category, e.campaign, e.output, e.hash,
        ]))


def _proof(workbook: Workbook, bundle: ExportBundle) -> None:
    sheet = workbook.create_sheet("Xác thực")
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 90
    _title(sheet, "Xác thực nhật ký (chuỗi băm SHA-256, điểm kiểm ký Ed25519)")
    sheet.append(["Số mục trong nhật ký", bundle.head_count])
    sheet.append(["Mã băm đầu chuỗi", bundle.head_hash])
    sheet.append(["Mã khóa công khai của đài", bundle.public_key_id])
    sheet.append(["Lập lúc (UTC)", evidence.utc_text(bundle.generated_at)])
    cp = bundle.latest_checkpoint
    if cp is None:
        sheet.append(["Điểm kiểm mới nhất", "chưa có"])
    else:
        sheet.append(["Điểm kiểm mới nhất", f"#{cp.id}, lúc {evidence.utc_text(cp.created_at)}"])
        sheet.append(["Số mục đã ký", cp.count])
        sheet.append(["Mã băm đã ký", cp.head_hash])
        sheet.append(["Mã điểm kiểm (đối chiếu)", f"{cp.id}:{cp.hash}"])
        sheet.append(["Điểm kiểm trước", cp.prev_hash or "mẫu cũ (v1)"])
        sheet.append(["Chữ ký", cp.signature])
    sheet.append([])
    sheet.append(["Kiểm tra", "Xuất CSV hoặc JSON rồi chạy: broadcaster log verify --file TỆP --public-key KHÓA.pem"])
    if cp is not None:
        sheet.append(["Đối chiếu về sau", f"broadcaster log verify --checkpoint {cp.id}:{cp.hash}"])
    for chain in bundle.box_chains:
        sheet.append([])
        sheet.append(xlsx_row(sheet, [f"Máy thu {chain.name}", f"{chain.zone}; mã khóa {chain.key_id}"]))
        sheet.append(xlsx_row(sheet, ["Số mục trong nhật ký máy thu", chain.head_count]))
        sheet.append(xlsx_row(sheet, ["Mã băm đầu chuỗi", chain.head_hash]))
        box_cp = chain.latest_checkpoint
        sheet.append(xlsx_row(sheet, ["Điểm kiểm mới nhất (máy thu ký)",
                                      f"#{box_cp.id}, lúc {evidence.utc_text(box_cp.created_at)}, {box_cp.count} mục"
                                      if box_cp else "chưa có"]))


def write_xlsx(bundle: ExportBundle, summary: Summary, coverage: list[CampaignCoverage], period: str,
               stream: io.BufferedIOBase | io.BytesIO, boxes: ReceiverSummary | None = None) -> None:
    workbook = Workbook(write_only=True)
    _detail(workbook, bundle)
    _summary(workbook, bundle, summary, period)
    _coverage(workbook, coverage)
    _receivers(workbook, bundle, boxes or ReceiverSummary([], []))
    _proof(workbook, bundle)
    workbook.save(stream)
