"""``schedule``: putting bulletins on the air at times."""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from functools import partial
from typing import Any

from broadcaster import schedule, week
from broadcaster.cli.common import context, print_json
from broadcaster.errors import ValidationError
from broadcaster.shapes import slot_dict

#: Kept with a slot saved over a warning from the shell without ``--reason`` (the acceptance
#: interface gives ``--allow-conflict`` alone): who decided it, said plainly.
CLI_REASON = "Người vận hành xác nhận bằng dòng lệnh, không ghi lý do"


class _RundownItem(argparse.Action):
    """``--bulletin A --recording R --bulletin B`` keeps the order as typed, across both flags."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        kind = "bulletin" if option_string == "--bulletin" else "recording"
        found = list(getattr(namespace, "rundown", None) or [])
        found.append({f"{kind}_id": values})
        namespace.rundown = found


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("schedule", help="lịch phát")
    sub = parser.add_subparsers(dest="schedule_command", metavar="LỆNH")
    sub.required = True
    add = sub.add_parser("add", help="xếp bản tin vào lịch phát (giờ địa phương của đài)")
    add.add_argument("--bulletin", type=int, action="append", required=True,
                     help="số bản tin (lặp lại để phát nhiều bản tin trong một buổi)")
    when = add.add_mutually_exclusive_group(required=True)
    when.add_argument("--at", help='một lần, "YYYY-MM-DD HH:MM:SS"')
    when.add_argument("--daily", help="hằng ngày lúc HH:MM")
    add.add_argument("--days", help="các thứ, ví dụ mon,tue,wed (mặc định mọi ngày)")
    add.add_argument("--from", dest="from_date", help="từ ngày YYYY-MM-DD")
    add.add_argument("--until", help="đến ngày YYYY-MM-DD")
    add.add_argument("--zone", action="append", default=[], help="thôn/khu phố (lặp lại được)")
    add.add_argument("--timezone", help="múi giờ (mặc định station.timezone)")
    add.add_argument("--output", help="đầu ra âm thanh (mặc định output.name)")
    add.add_argument("--name", default="")
    add.add_argument("--repeats", type=int, default=1, help="số lần đọc mỗi bản tin (1–5)")
    add.add_argument("--no-greeting", action="store_true", help="bỏ lời chào đầu buổi")
    add.add_argument("--allow-conflict", action="store_true",
                     help="vẫn lưu khi trùng lịch hoặc quá giờ (nên ghi --reason)")
    add.add_argument("--reason", default="", help="lý do vẫn lưu khi trùng lịch")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_add)
    lst = sub.add_parser("list", help="liệt kê lịch phát và các lần phát sắp tới")
    lst.add_argument("--days", type=int, default=7, help="số ngày tới để liệt kê (mặc định 7)")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=cmd_list)
    edit = sub.add_parser("edit", help="sửa giờ, thứ, ngày, thôn, tên của một lịch phát "
                                       "(kiểm tra như khi xếp lịch)")
    edit.add_argument("slot_id", type=int)
    edit_when = edit.add_mutually_exclusive_group()
    edit_when.add_argument("--daily", help="hằng ngày lúc HH:MM")
    edit_when.add_argument("--at", help='một lần, "YYYY-MM-DD HH:MM:SS"')
    edit.add_argument("--days", nargs="+", help="các thứ, ví dụ mon,tue,wed (hoặc mon tue wed)")
    edit.add_argument("--from", dest="from_date", help="từ ngày YYYY-MM-DD (\"\" để bỏ)")
    edit.add_argument("--until", help="đến ngày YYYY-MM-DD (\"\" để bỏ)")
    edit.add_argument("--zone", nargs="+", action="extend", help="thôn/khu phố (thay cho danh sách cũ)")
    edit.add_argument("--all-zones", action="store_true", help="phát toàn xã (bỏ chọn thôn)")
    edit.add_argument("--name")
    edit.add_argument("--repeats", type=int, help="số lần đọc mỗi bản tin (1–5)")
    greeting = edit.add_mutually_exclusive_group()
    greeting.add_argument("--greeting", dest="greeting", action="store_const", const=True)
    greeting.add_argument("--no-greeting", dest="greeting", action="store_const", const=False)
    edit.add_argument("--allow-conflict", action="store_true",
                      help="vẫn lưu khi trùng lịch hoặc quá giờ (nên ghi --reason)")
    edit.add_argument("--reason", default="", help="lý do vẫn lưu khi trùng lịch")
    edit.add_argument("--json", action="store_true")
    edit.set_defaults(handler=cmd_edit)
    items = sub.add_parser("items", help="đặt chương trình của lịch phát theo thứ tự đã nhập")
    items.add_argument("slot_id", type=int)
    items.add_argument("--bulletin", type=int, action=_RundownItem, metavar="ID", help="bản tin")
    items.add_argument("--recording", type=int, action=_RundownItem, metavar="ID", help="bản ghi âm")
    items.add_argument("--allow-conflict", action="store_true",
                       help="vẫn lưu khi trùng lịch hoặc quá giờ (nên ghi --reason)")
    items.add_argument("--reason", default="", help="lý do vẫn lưu khi trùng lịch")
    items.add_argument("--json", action="store_true")
    items.set_defaults(handler=cmd_items, rundown=None)
    remove = sub.add_parser("remove", help="ngừng một lịch phát")
    remove.add_argument("slot_id", type=int)
    remove.set_defaults(handler=cmd_remove)


def cmd_add(args: argparse.Namespace) -> int:
    ctx = context()
    tz = ctx.settings.station.timezone
    items = [schedule.ItemSpec(kind="bulletin", bulletin_id=b) for b in args.bulletin]
    with ctx.session() as session:
        save = (partial(week.save_slot, accept_warnings=True, reason=args.reason or CLI_REASON)
                if args.allow_conflict else partial(schedule.add_slot, allow_conflict=False))
        slot = save(
            session,
            items=items,
            default_tz=tz,
            at_local=args.at,
            daily=args.daily,
            days=args.days,
            starts_on=schedule.parse_date(args.from_date) if args.from_date else None,
            ends_on=schedule.parse_date(args.until) if args.until else None,
            timezone=args.timezone,
            zones=args.zone,
            output=args.output or ctx.settings.output.name,
            name=args.name,
            repeats=args.repeats,
            greeting=not args.no_greeting,
        )
        slot_id = slot.id
        from broadcaster.campaigns import slot_period_warnings

        for warning in slot_period_warnings(slot, tz):
            print(f"Cảnh báo: {warning}", file=sys.stderr)
    if args.json:
        print_json({"id": slot_id})
    else:
        print(slot_id)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    ctx = context()
    tz = ctx.settings.station.timezone
    now = dt.datetime.now(dt.timezone.utc)
    end = now + dt.timedelta(days=max(1, args.days))
    with ctx.session() as session:
        slots = schedule.active_slots(session)
        rows: list[dict[str, Any]] = []
        for slot in slots:
            upcoming = [i for _, i in schedule.occurrences_between(schedule.SlotTimes.of(slot, tz), now, end)]
            rows.append(slot_dict(slot, tz, upcoming[:10]))
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("Chưa có lịch phát nào.")
    for row in rows:
        when = (f"một lần {_local_text(row['at'])}" if row["kind"] == "once"
                else f"hằng ngày {str(row['daily'])[:5]} ({schedule.weekdays_label(str(row['days']))})")
        upcoming = list(row["next"])
        nxt = _local_text(upcoming[0]) if upcoming else f"không có trong {args.days} ngày tới"
        print(f"{row['id']:>4}  {row['name'] or 'Chưa đặt tên'} — {when}; lần tới: {nxt}")
    return 0


def _local_text(iso: object) -> str:
    """"06:00 Thứ Năm 03/12/2026": the slot's local time as the office reads it (the JSON keeps
    ISO 8601 for scripts)."""
    instant = dt.datetime.fromisoformat(str(iso))
    return (f"{instant:%H:%M} {schedule.WEEKDAY_LABELS[instant.weekday()]} "
            f"{instant:%d/%m/%Y}")


def cmd_remove(args: argparse.Namespace) -> int:
    ctx = context()
    with ctx.session() as session:
        slot = schedule.get_slot(session, args.slot_id)
        schedule.deactivate_slot(session, slot)
    print(f"Đã ngừng lịch phát số {args.slot_id}")
    return 0


def _save_changes(args: argparse.Namespace, changes: dict[str, Any]) -> int:
    ctx = context()
    tz = ctx.settings.station.timezone
    with ctx.session() as session:
        slot = schedule.get_slot(session, args.slot_id)
        if args.allow_conflict:
            week.save_edit(session, slot, default_tz=tz, accept_warnings=True,
                           reason=args.reason or CLI_REASON, **changes)
        else:
            schedule.edit_slot(session, slot, default_tz=tz, **changes)
            now = dt.datetime.now(dt.timezone.utc)
            for warning in week.overrun_warnings(session, slot, tz, now):
                print(f"Cảnh báo: {warning}", file=sys.stderr)
        now = dt.datetime.now(dt.timezone.utc)
        upcoming = [i for _, i in schedule.occurrences_between(
            schedule.SlotTimes.of(slot, tz), now, now + dt.timedelta(days=7))]
        row: dict[str, Any] = slot_dict(slot, tz, upcoming[:10])
    if args.json:
        print_json(row)
    else:
        upcoming = list(row["next"])
        nxt = _local_text(upcoming[0]) if upcoming else "không có trong 7 ngày tới"
        print(f"Đã sửa lịch phát số {args.slot_id}; lần tới: {nxt}")
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    if args.all_zones and args.zone:
        raise ValidationError("Chọn thôn/khu phố hoặc toàn xã, không chọn cả hai")
    zones = [] if args.all_zones else args.zone
    changes = week.edit_fields(
        kind="once" if args.at else "daily" if args.daily else None,
        at_local=args.at,
        daily=args.daily,
        days=",".join(args.days) if args.days else None,
        starts_on=args.from_date,
        ends_on=args.until,
        zones=zones,
        name=args.name,
        repeats=args.repeats,
        greeting=args.greeting,
    )
    if not changes:
        raise ValidationError("Không có gì để sửa: cho biết giờ, thứ, ngày, thôn hoặc tên mới")
    return _save_changes(args, changes)


def cmd_items(args: argparse.Namespace) -> int:
    if not args.rundown:
        raise ValidationError("Cho biết ít nhất một bản tin hoặc bản ghi âm, theo thứ tự phát")
    return _save_changes(args, {"items": week.item_specs(args.rundown)})
