"""``campaign`` and ``report``: the plan from above, the villages' reports, the report to the province."""
from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from broadcaster import campaigns, village_reports
from broadcaster.cli.common import (
    Commands,
    command,
    command_group,
    context,
    print_json,
    write_output,
)
from broadcaster.errors import NotFoundError, ValidationError
from broadcaster.models import Campaign
from broadcaster.schedule import parse_date


def _date(text: str | None) -> dt.date | None:
    return parse_date(text) if text else None


def _plan_arguments(parser: argparse.ArgumentParser, *, new: bool) -> None:
    if new:
        parser.add_argument("name", help="tên chiến dịch")
        parser.add_argument("--from", dest="date_from", required=True, metavar="NGÀY", help="ngày bắt đầu")
        parser.add_argument("--until", required=True, metavar="NGÀY", help="ngày kết thúc")
    else:
        parser.add_argument("campaign_id", type=int)
        parser.add_argument("--name")
        parser.add_argument("--from", dest="date_from", metavar="NGÀY")
        parser.add_argument("--until", metavar="NGÀY")
    parser.add_argument("--document", metavar="VĂN_BẢN",
                        help='văn bản nguồn, ví dụ "Kế hoạch số 160/KH-SVHTTDL ngày 18/8/2025 của Sở VHTTDL tỉnh về ..."')
    parser.add_argument("--theme", action="append", dest="themes", metavar="CHỦ_ĐỀ",
                        help="chủ đề nội dung (lặp lại cho nhiều chủ đề)")
    parser.add_argument("--target-per-week", type=int, metavar="N", help="số lượt phát mỗi tuần cho mỗi thôn")
    parser.add_argument("--target-minutes-per-week", type=int, metavar="N", help="số phút phát mỗi tuần cho mỗi thôn")
    parser.add_argument("--peak-from", metavar="NGÀY", help="ngày bắt đầu đợt cao điểm (ví dụ 10/10)")
    parser.add_argument("--peak-until", metavar="NGÀY", help="ngày kết thúc đợt cao điểm")
    parser.add_argument("--peak-target", type=int, metavar="N", help="số lượt phát mỗi ngày cao điểm cho mỗi thôn")


def register(subparsers: Commands) -> None:
    sub = command_group(subparsers, "campaign", "chiến dịch tuyên truyền: kế hoạch, chủ đề, chỉ tiêu")
    _plan_arguments(command(sub, "add", "thêm chiến dịch", cmd_campaign_add), new=True)
    _plan_arguments(command(sub, "edit", "sửa chiến dịch (chỉ các mục được nêu)", cmd_campaign_edit),
                    new=False)
    command(sub, "list", "liệt kê chiến dịch", cmd_campaign_list)
    coverage = command(sub, "coverage", "mức phủ sóng theo tuần và thôn so với chỉ tiêu (từ nhật ký)",
                       cmd_campaign_coverage)
    coverage.add_argument("campaign_id", type=int)
    coverage.add_argument("--from", dest="date_from", metavar="NGÀY")
    coverage.add_argument("--to", dest="date_to", metavar="NGÀY")

    rsub = command_group(subparsers, "report", "báo cáo của thôn và báo cáo của xã gửi tỉnh")
    villages = command(rsub, "villages", "báo cáo của từng thôn trong một kỳ và trạng thái",
                       cmd_report_villages)
    villages.add_argument("--period", required=True, metavar="YYYY-MM")
    save = command(rsub, "village", "lưu (và nộp) báo cáo của một thôn từ tệp JSON", cmd_report_village)
    save.add_argument("--zone", required=True, help="tên thôn, khu phố")
    save.add_argument("--period", required=True, metavar="YYYY-MM")
    save.add_argument("--file", type=Path, required=True, help="nội dung báo cáo (JSON, xem docs)")
    save.add_argument("--submit", action="store_true", help="nộp luôn")
    review = command(rsub, "review", "duyệt hoặc trả lại báo cáo của thôn", cmd_report_review,
                     json_flag=False)
    review.add_argument("report_id", type=int)
    review.add_argument("action", choices=("accept", "return"))
    review.add_argument("--reason", default="", help="lý do trả lại")
    due = command(rsub, "due", "đặt hạn nộp báo cáo của thôn cho một kỳ", cmd_report_due,
                  json_flag=False)
    due.add_argument("--period", required=True, metavar="YYYY-MM")
    due.add_argument("--on", required=True, metavar="NGÀY")
    compile_ = command(rsub, "compile", "báo cáo kết quả tuyên truyền của xã gửi tỉnh (DOCX hoặc PDF)",
                       cmd_report_compile, json_flag=False)
    compile_.add_argument("--campaign", type=int, required=True, help="số chiến dịch")
    compile_.add_argument("--from", dest="date_from", metavar="NGÀY")
    compile_.add_argument("--to", dest="date_to", metavar="NGÀY")
    compile_.add_argument("--format", choices=("docx", "pdf"), help="mặc định: theo đuôi tệp --out")
    compile_.add_argument("--out", type=Path, required=True)


def _plan_fields(args: argparse.Namespace) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if args.document is not None:
        fields.update(campaigns.parse_document(args.document))
    if args.themes is not None:
        fields["themes"] = args.themes
    for arg, name in (("target_per_week", "target_per_week"),
                      ("target_minutes_per_week", "target_minutes_per_week"),
                      ("peak_target", "peak_target_per_day")):
        if getattr(args, arg) is not None:
            fields[name] = getattr(args, arg)
    for arg, name in (("peak_from", "peak_starts_on"), ("peak_until", "peak_ends_on")):
        if getattr(args, arg):
            fields[name] = parse_date(getattr(args, arg))
    return fields


def campaign_dict(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id, "name": c.name, "from": c.starts_on.isoformat(), "until": c.ends_on.isoformat(),
        "document": campaigns.source_document(c), "doc_number": c.doc_number,
        "doc_date": c.doc_date.isoformat() if c.doc_date else None, "doc_issuer": c.doc_issuer,
        "doc_title": c.doc_title, "themes": list(c.themes or []), "target_per_week": c.target_per_week,
        "target_minutes_per_week": c.target_minutes_per_week,
        "peak_from": c.peak_starts_on.isoformat() if c.peak_starts_on else None,
        "peak_until": c.peak_ends_on.isoformat() if c.peak_ends_on else None,
        "peak_target_per_day": c.peak_target_per_day,
        "zone_targets": {t.zone.name: {"airings_per_week": t.airings_per_week,
                                       "minutes_per_week": t.minutes_per_week} for t in c.zone_targets},
    }


def cmd_campaign_add(args: argparse.Namespace) -> int:
    ctx = context()
    with ctx.session() as session:
        campaign = campaigns.add_campaign(session, name=args.name, starts_on=parse_date(args.date_from),
                                          ends_on=parse_date(args.until), **_plan_fields(args))
        campaign_id = campaign.id
    print_json({"id": campaign_id}) if args.json else print(campaign_id)
    return 0


def cmd_campaign_edit(args: argparse.Namespace) -> int:
    ctx = context()
    fields = _plan_fields(args)
    if args.name is not None:
        fields["name"] = args.name
    if args.date_from:
        fields["starts_on"] = parse_date(args.date_from)
    if args.until:
        fields["ends_on"] = parse_date(args.until)
    with ctx.session() as session:
        campaign = campaigns.update_campaign(session, campaigns.get_campaign(session, args.campaign_id), **fields)
        row = campaign_dict(campaign)
    print_json(row) if args.json else print(f"Đã sửa chiến dịch số {row['id']}: {row['name']}")
    return 0


def cmd_campaign_list(args: argparse.Namespace) -> int:
    ctx = context()
    with ctx.session() as session:
        rows = [campaign_dict(c) for c in campaigns.list_campaigns(session)]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("Chưa có chiến dịch nào.")
    for row in rows:
        print(f"{row['id']:>4}  {row['name']} ({row['from']} – {row['until']}), "
              f"{row['target_per_week']} lượt/tuần mỗi thôn")
    return 0


def cmd_campaign_coverage(args: argparse.Namespace) -> int:
    from broadcaster.reports import Filters
    from broadcaster.reports.coverage import campaign_coverage

    ctx = context()
    with ctx.session() as session:
        campaigns.get_campaign(session, args.campaign_id)
        (coverage,) = campaign_coverage(session, Filters(_date(args.date_from), _date(args.date_to)),
                                        str(ctx.settings.station.timezone), campaign_id=args.campaign_id)
    if args.json:
        print_json(coverage.as_dict())
        return 0
    print(f"{coverage.campaign}: {coverage.cells_met}/{coverage.cells_judged} tuần – thôn đạt chỉ tiêu")
    for cell in coverage.cells:
        print(f"  {cell.first_day:%d/%m}–{cell.last_day:%d/%m}  {cell.zone}: {cell.airings} lượt, "
              f"{cell.minutes:.1f} phút / chỉ tiêu {cell.target_text()} — {cell.verdict}")
    for day in coverage.peak:
        print(f"  cao điểm {day.day:%d/%m}  {day.zone}: {day.airings}/{day.target} lượt — "
              f"{'Đạt' if day.met else 'Chưa đạt'}")
    return 0


def _tz(ctx: Any) -> ZoneInfo:
    return ZoneInfo(str(ctx.settings.station.timezone))


def cmd_report_villages(args: argparse.Namespace) -> int:
    ctx = context()
    tz = _tz(ctx)
    today = dt.datetime.now(tz).date()
    with ctx.session() as session:
        period = village_reports.get_period(session, args.period, int(ctx.settings.reports.village_due_day),
                                            create=False)
        rows = [row.as_dict(tz) for row in village_reports.villages_for_period(session, period, today, tz)]
    if args.json:
        print_json(rows)
        return 0
    print(f"Kỳ {period.key}: từ {period.starts_on:%d/%m/%Y} đến {period.ends_on:%d/%m/%Y}, "
          f"hạn nộp {period.due_on:%d/%m/%Y}")
    if not rows:
        print("Chưa có thôn, khu phố nào.")
    for row in rows:
        print(f"  {row['zone']}: {row['status_label']}")
    return 0


def cmd_report_village(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from broadcaster.models import Zone

    try:
        raw = json.loads(args.file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFoundError(f"Không tìm thấy tệp {args.file}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"Tệp {args.file} không phải JSON hợp lệ: {exc}") from None
    ctx = context()
    with ctx.session() as session:
        zone = session.scalar(select(Zone).where(func.lower(Zone.name) == args.zone.strip().lower()))
        if zone is None:
            raise NotFoundError(f"Không có thôn/khu phố “{args.zone}”")
        period = village_reports.get_period(session, args.period, int(ctx.settings.reports.village_due_day))
        report = village_reports.save(session, zone, period, raw, None, submit=args.submit)
        result: dict[str, Any] = {"id": report.id, "state": report.state}
    print_json(result) if args.json else print(
        f"Báo cáo số {result['id']}: {village_reports.STATE_LABELS[result['state']]}")
    return 0


def cmd_report_review(args: argparse.Namespace) -> int:
    ctx = context()
    with ctx.session() as session:
        report = village_reports.get_report(session, args.report_id)
        village_reports.review(session, report, args.action, None, args.reason)
        state = report.state
    print(f"Báo cáo số {args.report_id}: {village_reports.STATE_LABELS[state]}")
    return 0


def cmd_report_due(args: argparse.Namespace) -> int:
    ctx = context()
    with ctx.session() as session:
        period = village_reports.get_period(session, args.period, int(ctx.settings.reports.village_due_day))
        village_reports.set_due_date(session, period, parse_date(args.on), None)
    print(f"Kỳ {args.period}: hạn nộp {parse_date(args.on):%d/%m/%Y}")
    return 0


def cmd_report_compile(args: argparse.Namespace) -> int:
    from broadcaster.reports.directive_report import compile_bytes

    fmt = args.format or args.out.suffix.lower().lstrip(".")
    if fmt not in ("docx", "pdf"):
        raise ValidationError("Chọn --format docx hoặc pdf (hoặc đặt tên tệp ra có đuôi .docx/.pdf)")
    ctx = context()
    with ctx.session() as session:
        data = compile_bytes(session, ctx.settings, args.campaign, fmt, _date(args.date_from), _date(args.date_to))
    path = args.out
    write_output(path, data)
    print(f"Đã ghi báo cáo {path} ({len(data):,} byte)".replace(",", "."))
    return 0
