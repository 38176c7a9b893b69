"""The commune's report to the province on a campaign, in the layout of Decree 30/2020/NĐ-CP.

``build_report`` gathers every figure once (from the evidence, the campaign's targets and the
village reports) into a :class:`CompiledReport`: a header, blocks of text and tables, the
"Nơi nhận" list, the signature block and an annex with the chain's hashes and checkpoint. The
DOCX (:mod:`docx_report`, for the office to edit in Word before signing) and the PDF
(:mod:`directive_pdf`) render the same object, so the two can never disagree on a number.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcaster import campaigns as campaigns_mod
from broadcaster import evidence, village_reports
from broadcaster.errors import ValidationError
from broadcaster.evidence import STATUS_LABELS
from broadcaster.models import Bulletin, Campaign, Slot
from broadcaster.reports.coverage import CampaignCoverage, campaign_coverage, entries_of_campaign
from broadcaster.reports.letterhead import (
    RECEIVERS,
    issuer_lines,
    recipient_of,
    signature_lines,
    signer_name,
)
from broadcaster.reports.pdf_report import official_date
from broadcaster.reports.query import Filters, effective, entry_when, select_entries

logger = logging.getLogger(__name__)

NO_THEME = "(chưa gắn chủ đề)"


@dataclass
class Para:
    text: str
    bold: bool = False
    italic: bool = False
    align: str = "justify"  # justify | center | left
    indent: bool = True  # the first-line indent of body paragraphs


@dataclass
class Heading:
    text: str
    level: int = 1  # 1: "I. ...", 2: "1. ..."


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    widths: list[float]  # fractions of the text width
    numeric: list[bool] = field(default_factory=list)  # right-aligned columns


Block = Para | Heading | Table


@dataclass
class CompiledReport:
    issuer_lines: list[str]
    number: str
    place_date: str
    title: str
    summary: str
    period_line: str
    recipient: str
    body: list[Block]
    receivers: list[str]
    signature: list[str]  # "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"
    signer_name: str
    annex_title: str
    annex: list[Block]
    figures: dict[str, Any]  # the numbers, for tests and scripts

    def text(self) -> str:
        """Every word of the report in reading order (for a quick look and for tests)."""
        lines = [*self.issuer_lines, self.number, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                 "Độc lập - Tự do - Hạnh phúc", self.place_date, self.title, self.summary,
                 self.period_line, f"Kính gửi: {self.recipient}"]
        for block in [*self.body, Heading(self.annex_title), *self.annex]:
            if isinstance(block, Table):
                lines.append(" | ".join(block.headers))
                lines.extend(" | ".join(row) for row in block.rows)
            else:
                lines.append(block.text)
        lines += ["Nơi nhận:", *(f"- {r}" for r in self.receivers), *self.signature, self.signer_name]
        return "\n".join(lines)


def number(value: float, decimals: int = 1) -> str:
    """Vietnamese number: 1.234,5 (dot for thousands, comma for decimals)."""
    text = f"{value:,.{decimals}f}" if decimals else f"{int(round(value)):,}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def summary_line(campaign: Campaign) -> str:
    """'Kết quả tuyên truyền thực hiện Nghị quyết số 57-NQ/TW ...' from the campaign's name."""
    name = campaign.name.strip()
    lowered = name.lower()
    for prefix in ("kết quả ", "tuyên truyền "):
        if lowered.startswith(prefix):
            name = name[len(prefix):]
            lowered = name.lower()
    if lowered.startswith("thực hiện ") or lowered.startswith("về "):
        return f"Kết quả tuyên truyền {name}"
    return f"Kết quả tuyên truyền thực hiện {name}"


@dataclass
class ThemeRow:
    theme: str
    bulletins: set[int] = field(default_factory=set)
    airings: int = 0
    minutes: float = 0.0


def _bulletins_by_slot(session: Session, campaign: Campaign) -> tuple[dict[int, list[Bulletin]], list[Bulletin]]:
    """slot id → its bulletins of this campaign; and all the campaign's bulletins."""
    mine = list(session.scalars(select(Bulletin).where(Bulletin.campaign_id == campaign.id)))
    ids = {b.id for b in mine}
    by_slot: dict[int, list[Bulletin]] = defaultdict(list)
    for slot in session.scalars(select(Slot)):
        for item in slot.items:
            if item.kind == "bulletin" and item.bulletin_id in ids:
                by_slot[slot.id].append(item.bulletin)  # type: ignore[arg-type]
    return by_slot, mine


def by_theme(session: Session, campaign: Campaign, aired: Sequence[Any]) -> list[ThemeRow]:
    """Bulletins, airings and minutes per theme, from the items each completed airing played.

    An airing's spoken items carry their bulletin's title; a title of one of the campaign's
    bulletins gives the item's theme and its seconds. An airing that played two themes counts
    once for each, with each item's own minutes.
    """
    by_slot, mine = _bulletins_by_slot(session, campaign)
    by_title: dict[str, Bulletin] = {}
    for bulletin in mine:
        by_title.setdefault(bulletin.title.strip().casefold(), bulletin)
    rows: dict[str, ThemeRow] = {t: ThemeRow(t) for t in campaign.themes or []}
    for entry in aired:
        themes_here: set[str] = set()
        matched = False
        for item in entry.items or []:
            if not isinstance(item, dict):  # kept as the box wrote it; nothing to read from it
                continue
            found = by_title.get(str(item.get("title") or "").strip().casefold())
            if found is None:
                continue
            matched = True
            theme = found.theme or NO_THEME
            row = rows.setdefault(theme, ThemeRow(theme))
            row.bulletins.add(found.id)
            row.minutes += evidence.item_seconds(item) / 60.0
            themes_here.add(theme)
        if not matched:  # no item named: the slot's bulletins, the airing's whole length
            slot_bulletins = by_slot.get(entry.slot_id or -1, [])
            theme = (slot_bulletins[0].theme if slot_bulletins else "") or NO_THEME
            row = rows.setdefault(theme, ThemeRow(theme))
            row.bulletins.update(b.id for b in slot_bulletins[:1])
            row.minutes += (entry.seconds_played or 0.0) / 60.0
            themes_here.add(theme)
        for theme in themes_here:
            rows[theme].airings += 1
    return [row for row in rows.values() if row.airings or row.theme in (campaign.themes or [])]


def _problems_text(problems: Sequence[Any], zone: ZoneInfo) -> list[str]:
    """What failed and why, grouped by reason: 'Bị lỡ 2 buổi (05/10, 07/10): lý do'."""
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for entry in problems:
        groups[(entry.status, entry.reason or "không ghi lý do")].append(entry)
    lines = []
    for (status, reason), entries in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        days = ", ".join(sorted({f"{entry_when(e).astimezone(zone):%d/%m}" for e in entries}))
        lines.append(f"{STATUS_LABELS.get(status, status)} {len(entries)} buổi ({days}): {reason}.")
    return lines


def build_report(session: Session, settings: Any, campaign_id: int, date_from: dt.date | None = None,
                 date_to: dt.date | None = None, now: dt.datetime | None = None) -> CompiledReport:
    """Every figure of the report, from the evidence, the targets and the village reports."""
    tz_name = str(settings.station.timezone)
    zone_info = ZoneInfo(tz_name)
    now = now or dt.datetime.now(dt.timezone.utc)
    today = now.astimezone(zone_info).date()
    campaign = campaigns_mod.get_campaign(session, campaign_id)
    first = date_from or campaign.starts_on
    last = date_to or min(campaign.ends_on, today)
    if last < first:
        raise ValidationError("Ngày kết thúc kỳ báo cáo phải sau ngày bắt đầu")
    filters = Filters(first, last)
    entries = select_entries(session, filters, tz_name)
    coverage_list = campaign_coverage(session, filters, tz_name, entries=entries, today=today,
                                      campaign_id=campaign.id)
    coverage: CampaignCoverage = coverage_list[0]
    from broadcaster.reports.coverage import _campaign_slots  # noqa: PLC0415 - same package

    slot_ids = _campaign_slots(session, [campaign.id])[campaign.id]
    mine = effective(entries_of_campaign(entries, campaign, slot_ids))
    aired = [e for e in mine if e.status == "completed"]
    problems = [e for e in mine if e.status != "completed"]
    themes = by_theme(session, campaign, aired)
    minutes = sum((e.seconds_played or 0.0) for e in aired) / 60.0
    bulletin_ids = set().union(*(t.bulletins for t in themes)) if themes else set()

    reports = village_reports.reports_between(session, first, last)
    totals = village_reports.totals(reports)
    period_keys = sorted({r.period.key for r in reports})
    all_zones = coverage.zones
    reported = sorted({r.zone.name for r in reports})
    late = sorted({r.zone.name for r in reports if village_reports.is_late(r, r.period, zone_info)})

    body: list[Block] = []
    source = campaigns_mod.source_document(campaign)
    commune_name = str(settings.commune.name)
    opening = (f"Thực hiện {source}, " if source else "") + (
        f"Ủy ban nhân dân {commune_name[0].lower() + commune_name[1:]} báo cáo kết quả tuyên truyền "
        f"từ ngày {first:%d/%m/%Y} đến ngày {last:%d/%m/%Y} như sau:")
    body.append(Para(opening))
    body.append(Heading("I. KẾT QUẢ THỰC HIỆN"))
    body.append(Heading("1. Tuyên truyền trên hệ thống loa truyền thanh cơ sở", 2))
    scheduled = len(mine)
    body.append(Para(
        f"Đài truyền thanh xã đã phát {len(bulletin_ids)} bản tin, bài viết của chiến dịch với "
        f"{len(aired)} lượt phát trọn vẹn, tổng thời lượng {number(minutes)} phút"
        f" (trong tổng số {scheduled} buổi phát theo lịch). "
        + (f"Có {len(problems)} buổi không phát được hoặc phát không trọn vẹn (nêu ở mục c)."
           if problems else "Không có buổi phát nào bị lỡ hoặc lỗi.")))
    body.append(Para("a) Theo chủ đề nội dung:", italic=True))
    body.append(Table(["Chủ đề", "Số bản tin", "Lượt phát", "Số phút"],
                      [[t.theme, str(len(t.bulletins)), str(t.airings), number(t.minutes)] for t in themes]
                      + [["Tổng cộng", str(len(bulletin_ids)), str(len(aired)), number(minutes)]],
                      [0.55, 0.15, 0.15, 0.15], [False, True, True, True]))
    body.append(Para("b) Theo thôn, khu phố và so với chỉ tiêu (chỉ tính lượt phát trọn vẹn nghe được ở thôn):",
                     italic=True))
    zone_rows = []
    weekly = defaultdict(list)
    for cell in coverage.cells:
        weekly[cell.zone].append(cell)
    for zone, airings, zone_minutes, via_receivers in coverage.zone_totals():
        cells = weekly[zone]
        judged = [c for c in cells if c.met or not c.in_progress]
        target = sum(c.target_airings for c in cells)
        zone_rows.append([zone, str(airings), number(zone_minutes), str(via_receivers), str(target),
                          f"{sum(1 for c in judged if c.met)}/{len(judged)}"])
    body.append(Table(["Thôn, khu phố", "Lượt nghe", "Số phút", "Qua máy thu thôn", "Chỉ tiêu (lượt)",
                       "Tuần đạt"], zone_rows, [0.3, 0.12, 0.12, 0.16, 0.15, 0.15],
                      [False, True, True, True, True, True]))
    met, judged_count = coverage.cells_met, coverage.cells_judged
    body.append(Para(
        f"Chỉ tiêu: {campaign.target_per_week} lượt"
        + (f" và {campaign.target_minutes_per_week} phút" if campaign.target_minutes_per_week else "")
        + f" mỗi tuần cho mỗi thôn (tuần không trọn được tính theo số ngày). Kết quả: {met}/{judged_count} "
        f"lượt tuần – thôn đạt chỉ tiêu."))
    if coverage.peak:
        peak_met = sum(1 for p in coverage.peak if p.met)
        body.append(Para(
            f"Đợt cao điểm ({campaign.peak_starts_on:%d/%m}–{campaign.peak_ends_on:%d/%m/%Y}), chỉ tiêu "
            f"{campaign.peak_target_per_day} lượt mỗi ngày cho mỗi thôn: {peak_met}/{len(coverage.peak)} "
            f"ngày – thôn đạt."))
    body.append(Para("c) Các buổi phát không thành và nguyên nhân:", italic=True))
    problem_lines = _problems_text(problems, zone_info)
    body.extend(Para(f"- {line}") for line in problem_lines) if problem_lines else body.append(
        Para("- Không có."))
    body.append(Heading("2. Tuyên truyền bằng các hình thức khác", 2))
    body.append(Para(
        f"Tổng hợp từ báo cáo của {len(reported)}/{len(all_zones)} thôn, khu phố"
        + (f" (kỳ {', '.join(period_keys)})" if period_keys else "")
        + (f"; nộp muộn: {', '.join(late)}" if late else "")
        + (f"; chưa nộp: {', '.join(z for z in all_zones if z not in reported)}"
           if [z for z in all_zones if z not in reported] else "") + "."))
    meeting_rows = [[label, str(totals["meetings"][kind]["count"]), number(totals["meetings"][kind]["participants"], 0)]
                    for kind, label in village_reports.MEETING_KINDS.items()]
    body.append(Table(["Lồng ghép vào cuộc họp", "Số cuộc", "Số người dự"], meeting_rows,
                      [0.6, 0.2, 0.2], [False, True, True]))
    count_rows = [[label, number(totals[name], 0)] for name, label in village_reports.COUNTS.items()]
    body.append(Table(["Hình thức", "Số lượng"], count_rows, [0.75, 0.25], [False, True]))
    body.append(Heading("II. KHÓ KHĂN, VƯỚNG MẮC"))
    difficulties = [f"- {village}: {text}" for village, text in totals["difficulties"]]
    if problems:
        difficulties.append(f"- Hệ thống loa: {len(problems)} buổi phát không thành (nêu ở mục I.1.c).")
    body.extend(Para(line) for line in difficulties) if difficulties else body.append(Para("- Không có."))
    body.append(Heading("III. ĐỀ XUẤT, KIẾN NGHỊ"))
    proposals = [f"- {village}: {text}" for village, text in totals["proposals"]]
    body.extend(Para(line) for line in proposals) if proposals else body.append(Para("- Không có."))
    body.append(Para(f"Trên đây là báo cáo {summary_line(campaign)[0].lower() + summary_line(campaign)[1:]} "
                     f"của Ủy ban nhân dân {commune_name[0].lower() + commune_name[1:]}./."))

    annex = _annex(session, settings, aired + problems, zone_info)
    figures = {
        "campaign": campaign.name, "from": first.isoformat(), "until": last.isoformat(),
        "bulletins": len(bulletin_ids), "airings": len(aired), "minutes": round(minutes, 2),
        "scheduled": scheduled, "problems": len(problems),
        "themes": {t.theme: {"bulletins": len(t.bulletins), "airings": t.airings, "minutes": round(t.minutes, 2)}
                   for t in themes},
        "zones": {z: {"airings": a, "minutes": round(m, 2), "from_receivers": r}
                  for z, a, m, r in coverage.zone_totals()},
        "coverage": coverage.as_dict(),
        "villages": {"reported": reported, "late": late, "totals": {
            k: v for k, v in totals.items() if k not in ("difficulties", "proposals")}},
    }
    return CompiledReport(
        issuer_lines=issuer_lines(str(settings.commune.issuer)),
        number="Số:      /BC-UBND",
        place_date=official_date(str(settings.commune.place), today),
        title="BÁO CÁO",
        summary=summary_line(campaign),
        period_line=f"(Từ ngày {first:%d/%m/%Y} đến ngày {last:%d/%m/%Y})",
        recipient=recipient_of(settings),
        body=body,
        receivers=list(RECEIVERS),
        signature=signature_lines(settings),
        signer_name=signer_name(settings),
        annex_title="PHỤ LỤC: XÁC THỰC NHẬT KÝ PHÁT THANH",
        annex=annex,
        figures=figures,
    )


def _annex(session: Session, settings: Any, entries: Sequence[Any], zone: ZoneInfo) -> list[Block]:
    """The chain's head, the latest signed checkpoint and each counted entry's hash."""
    count, head_hash = evidence.head(session)
    from broadcaster import checkpoints as signed

    newest = signed.latest_checkpoint(session)
    cp = signed.view_of(newest) if newest is not None else None
    key_id = ""
    try:
        from broadcaster.keys import key_id as key_id_of
        from broadcaster.keys import load_public_key

        key_id = key_id_of(load_public_key(settings.public_key_path))
    except Exception:  # noqa: BLE001 - the annex says the key could not be read
        logger.warning("không đọc được khóa công khai cho phụ lục báo cáo")
    blocks: list[Block] = [Para(
        "Số liệu tại mục I.1 lấy từ nhật ký phát thanh của đài; mỗi mục nhật ký mang mã băm SHA-256 "
        "của mục trước, điểm kiểm được ký bằng khóa Ed25519 của đài. Cơ quan nhận báo cáo kiểm tra "
        "bằng bản xuất CSV/JSON và khóa công khai: broadcaster log verify --file TỆP --public-key KHÓA.pem.")]
    rows = [["Số mục trong nhật ký", str(count)], ["Mã băm đầu chuỗi", head_hash],
            ["Mã khóa công khai", key_id or "không đọc được"]]
    if cp is not None:
        rows += [["Điểm kiểm đã ký mới nhất", f"#{cp.id}, ký lúc {cp.created_at.astimezone(zone):%H:%M:%S ngày %d/%m/%Y}, {cp.count} mục"],
                 ["Mã băm được ký", cp.head_hash], ["Mã điểm kiểm (đối chiếu)", f"{cp.id}:{cp.hash}"],
                 ["Chữ ký Ed25519", cp.signature]]
    else:
        rows.append(["Điểm kiểm đã ký", "chưa có (chạy: broadcaster log checkpoint)"])
    blocks.append(Table(["Mục", "Giá trị"], rows, [0.3, 0.7]))
    # The same line every export and report prints: a filed copy exposes a later rewrite of the log
    # (broadcaster log verify --checkpoint SỐ:MÃ_BĂM).
    blocks.append(Para(signed.proof_line(session, zone.key), indent=False))
    if cp is not None:
        blocks.append(Para(f"Đối chiếu về sau: broadcaster log verify --checkpoint {cp.id}:{cp.hash}",
                           indent=False))
    blocks.append(Para("Các mục nhật ký của chiến dịch trong kỳ:", italic=True, indent=False))
    blocks.append(Table(
        ["Số", "Thời gian", "Khu vực", "Trạng thái", "Mã băm (SHA-256)"],
        [[str(e.id), f"{entry_when(e).astimezone(zone):%d/%m/%Y %H:%M}", e.zone or "Toàn xã",
          STATUS_LABELS.get(e.status, e.status), e.hash] for e in sorted(entries, key=lambda e: e.id)],
        [0.07, 0.17, 0.16, 0.12, 0.48], [True, False, False, False, False]))
    return blocks


def compile_bytes(session: Session, settings: Any, campaign_id: int, fmt: str,
                  date_from: dt.date | None = None, date_to: dt.date | None = None,
                  now: dt.datetime | None = None) -> bytes:
    """The report as DOCX or PDF bytes."""
    if fmt not in ("docx", "pdf"):
        raise ValidationError(f"Định dạng không hỗ trợ: {fmt!r} (chọn docx hoặc pdf)")
    report = build_report(session, settings, campaign_id, date_from, date_to, now=now)
    if fmt == "docx":
        from broadcaster.reports.docx_report import write_docx

        return write_docx(report)
    from broadcaster.reports.directive_pdf import write_pdf

    return write_pdf(report)
