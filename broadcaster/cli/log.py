"""``broadcaster log``: list, verify, export, correct, checkpoint the evidence log."""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from broadcaster.cli.common import context, print_json
from broadcaster.errors import ConfigError, ValidationError
from broadcaster.evidence import STATUS_LABELS, VerifyResult
from broadcaster.models import EVIDENCE_STATUSES
from broadcaster.wording import decimal

if TYPE_CHECKING:
    from broadcaster.reports import Filters


def _add_filters(parser: argparse.ArgumentParser, *, full: bool) -> None:
    parser.add_argument("--from", dest="date_from", metavar="NGÀY", help="từ ngày (YYYY-MM-DD hoặc dd/mm/yyyy)")
    parser.add_argument("--to", dest="date_to", metavar="NGÀY", help="đến ngày (tính cả ngày này)")
    parser.add_argument("--status", choices=EVIDENCE_STATUSES, help="chỉ các mục có trạng thái này")
    if full:
        parser.add_argument("--category", help="chuyên mục")
        parser.add_argument("--campaign", help="chiến dịch")
        parser.add_argument("--zone", help="khu vực (thôn, khu phố)")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    log = subparsers.add_parser("log", help="nhật ký phát thanh: xem, kiểm tra, xuất báo cáo")
    sub = log.add_subparsers(dest="log_command", metavar="LỆNH")
    sub.required = True

    lst = sub.add_parser("list", help="liệt kê các mục nhật ký")
    _add_filters(lst, full=True)
    lst.add_argument("--json", action="store_true", help="in JSON (danh sách các mục)")
    lst.set_defaults(handler=cmd_list)

    verify = sub.add_parser("verify", help="kiểm tra chuỗi băm và chữ ký các điểm kiểm")
    verify.add_argument("--file", type=Path, help="kiểm tra một bản xuất .csv hoặc .json thay vì cơ sở dữ liệu")
    verify.add_argument("--public-key", type=Path, help="khóa công khai của đài (PEM)")
    verify.add_argument("--witness", type=Path, action="append", default=[], metavar="TỆP",
                        help="bản sao điểm kiểm giữ ở nơi khác (bản xuất .csv/.json, tệp checkpoints.jsonl); "
                             "có thể lặp lại")
    verify.add_argument("--checkpoint", action="append", default=[], metavar="SỐ:MÃ_BĂM",
                        help="điểm kiểm in trên một báo cáo đã nộp; có thể lặp lại")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(handler=cmd_verify)

    export = sub.add_parser("export", help="xuất báo cáo CSV, XLSX, PDF hoặc JSON")
    export.add_argument("--format", choices=("csv", "xlsx", "pdf", "json"), help="mặc định: theo đuôi tệp --out")
    _add_filters(export, full=True)
    export.add_argument("--out", type=Path, required=True, help="tệp sẽ ghi")
    export.add_argument("--csv-header", choices=("vi", "machine"), default="vi",
                        help="dòng tiêu đề CSV: vi (tiếng Việt, mặc định) hoặc machine (tên cột cho tập lệnh)")
    export.set_defaults(handler=cmd_export)

    correct = sub.add_parser("correct", help="ghi một mục đính chính cho một mục đã có (không sửa mục cũ)")
    correct.add_argument("entry_id", type=int)
    correct.add_argument("--reason", required=True, help="lý do đính chính")
    correct.add_argument("--status", choices=EVIDENCE_STATUSES, help="trạng thái đúng")
    correct.add_argument("--seconds", type=float, help="số giây đã phát đúng")
    correct.add_argument("--json", action="store_true")
    correct.set_defaults(handler=cmd_correct)

    checkpoint = sub.add_parser("checkpoint", help="ký một điểm kiểm cho nhật ký ngay bây giờ")
    checkpoint.add_argument("--json", action="store_true")
    checkpoint.set_defaults(handler=cmd_checkpoint)


def _filters(args: argparse.Namespace) -> Filters:
    from broadcaster.reports import Filters, parse_date

    return Filters(
        date_from=parse_date(args.date_from),
        date_to=parse_date(args.date_to),
        category=getattr(args, "category", None),
        campaign=getattr(args, "campaign", None),
        zone=getattr(args, "zone", None),
        status=args.status,
    )


def cmd_list(args: argparse.Namespace) -> int:
    from broadcaster.evidence import entry_dict
    from broadcaster.reports import select_entries
    from broadcaster.reports.query import entry_when

    filters = _filters(args)
    ctx = context()
    tz = ctx.settings.station.timezone
    with ctx.session() as session:
        entries = select_entries(session, filters, tz)
        if args.json:
            from broadcaster.receivers import entry_dicts

            shown = [entry_dict(e, tz) for e in entries]
            # what the village receivers aired, from their own uploaded chains
            shown += entry_dicts(session, tz, filters)
            print_json(shown)
            return 0
        zone = ZoneInfo(tz)
        from broadcaster.receivers import entry_dicts

        aired_by_boxes = entry_dicts(session, tz, filters)
        if not entries and not aired_by_boxes:
            print("Không có mục nhật ký nào khớp.")
            return 0
        for e in entries:
            when = entry_when(e)
            local = f"{when.astimezone(zone):%d/%m/%Y %H:%M}" if when else "—"
            line = (f"#{e.id:<6} {local}  {STATUS_LABELS.get(e.status, e.status):<8} "
                    f"{decimal((e.seconds_played or 0) / 60):>6} phút  {e.title or e.occurrence_key or ''}")
            if e.zone:
                line += f"  [{e.zone}]"
            if e.corrects_id:
                line += f"  (đính chính #{e.corrects_id})"
            if e.reason and e.status != "completed":
                line += f" — {e.reason}"
            print(line)
        for r in aired_by_boxes:  # what the village receivers aired, from their own chains
            when = r["scheduled_at"] or r["started_at"]
            local = dt.datetime.fromisoformat(when).strftime("%d/%m/%Y %H:%M") if when else "—"
            line = (f"{r['receiver']}#{r['id']:<4} {local}  {STATUS_LABELS.get(r['status'], r['status']):<8} "
                    f"{decimal((r['seconds_played'] or 0) / 60):>6} phút  {r['occurrence'] or ''}  [máy thu {r['receiver']}]")
            if r["reason"] and r["status"] != "completed":
                line += f" — {r['reason']}"
            print(line)
        print(f"Tổng cộng {len(entries) + len(aired_by_boxes)} mục"
              + (f" ({len(aired_by_boxes)} mục do máy thu các thôn gửi lên)." if aired_by_boxes else "."))
    return 0


def _report(result: VerifyResult, as_json: bool) -> int:
    if as_json:
        print_json(result.to_dict())
    elif result.ok:
        print(result.message)
        for note in result.notes:
            print(f"Lưu ý: {note}")
    if not result.ok:
        if not as_json:
            print(f"Lỗi: {result.message}", file=sys.stderr)
        return 1
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from broadcaster.keys import load_public_key

    if args.file is not None:
        from broadcaster.reports import verify_export_file

        key_path = args.public_key
        if key_path is None:
            try:
                key_path = context().settings.public_key_path
            except Exception:  # noqa: BLE001 - offline check without a data folder
                raise ConfigError("Cần --public-key KHÓA.pem để kiểm tra bản xuất") from None
        if not args.file.exists():
            raise ValidationError(f"Không có tệp {args.file}")
        return _report(verify_export_file(args.file, load_public_key(key_path)), args.json)
    from broadcaster.evidence_audit import expected_checkpoint, load_witness, verify_log

    ctx = context()
    public_key = load_public_key(args.public_key or ctx.settings.public_key_path)
    expected = [expected_checkpoint(text) for text in args.checkpoint]
    witnesses = [load_witness(path) for path in args.witness]
    own = ctx.settings.checkpoint_witness_path
    if own.exists() and own.resolve() not in {Path(p).resolve() for p in args.witness}:
        witnesses.insert(0, load_witness(own))
    with ctx.session() as session:
        result = verify_log(session, public_key, tz=ctx.settings.station.timezone,
                            witnesses=witnesses, expected=expected)
        from broadcaster.receivers import verify_chains

        boxes = verify_chains(session)  # each village receiver's own chain, under its own key
    return _report_with_receivers(result, boxes, args.json)


def _report_with_receivers(result: VerifyResult, boxes: list[tuple[str, VerifyResult]],
                           as_json: bool) -> int:
    """The commune chain's verdict, then each receiver's; exit 1 when any of them is broken."""
    if not boxes:
        return _report(result, as_json)
    bad = [(name, r) for name, r in boxes if not r.ok]
    if as_json:
        print_json(result.to_dict() | {"receivers": [{"receiver": n} | r.to_dict() for n, r in boxes]})
    else:
        if result.ok:
            print(result.message)
            for note in result.notes:
                print(f"Lưu ý: {note}")
        for name, r in boxes:
            if r.ok:
                print(f"Máy thu {name}: {r.message}")
    if not result.ok:
        if not as_json:
            print(f"Lỗi: {result.message}", file=sys.stderr)
        return 1
    if bad:
        if not as_json:
            name, r = bad[0]
            print(f"Lỗi: nhật ký máy thu {name}: {r.message}", file=sys.stderr)
        return 1
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from broadcaster.reports import FORMATS, export_file

    fmt = args.format or args.out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValidationError("Hãy chọn --format csv, xlsx, pdf hoặc json (hoặc đặt đuôi tệp --out tương ứng)")
    filters = _filters(args)
    ctx = context()
    with ctx.session() as session:
        size = export_file(session, ctx.settings, fmt, filters, args.out, csv_header=args.csv_header)
    print(f"Đã ghi báo cáo {fmt.upper()} vào {args.out} ({size / 1024:.0f} KB)")
    return 0


def cmd_correct(args: argparse.Namespace) -> int:
    from broadcaster.checkpoints import ensure_daily_checkpoint
    from broadcaster.evidence import correct_entry, entry_dict

    ctx = context()
    with ctx.session() as session:
        entry = correct_entry(session, args.entry_id, reason=args.reason, status=args.status,
                              seconds_played=args.seconds)
        record = entry_dict(entry, ctx.settings.station.timezone)
        # The day's signed checkpoint, as the station makes on the days it runs: a day with an
        # entry and no checkpoint is what a deleted checkpoint looks like to ``log verify``.
        ensure_daily_checkpoint(session, ctx.settings)
    if args.json:
        print_json(record | {"corrects_id": args.entry_id})
    else:
        print(f"Đã ghi mục đính chính #{record['id']} cho mục #{args.entry_id}")
    return 0


def cmd_checkpoint(args: argparse.Namespace) -> int:
    from broadcaster.checkpoints import make_checkpoint, view_of
    from broadcaster.keys import load_private_key

    ctx = context()
    private_key = load_private_key(ctx.settings.key_path)
    with ctx.session() as session:
        cp = make_checkpoint(session, private_key, dt.datetime.now(dt.timezone.utc),
                             witness=ctx.settings.checkpoint_witness_path)
        view = view_of(cp)
        record = view.as_dict() | {"created_at": cp.created_at.isoformat()}
    if args.json:
        print_json(record)
    else:
        print(f"Đã ký điểm kiểm #{record['id']}: {record['count']} mục, mã băm đầu chuỗi {record['head_hash']}")
        print(f"Mã điểm kiểm (ghi lại để đối chiếu sau): {record['id']}:{record['hash']}")
    return 0
