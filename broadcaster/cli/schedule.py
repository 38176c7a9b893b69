"""``schedule``: putting bulletins on the air at times."""
from __future__ import annotations

import argparse
import datetime as dt

from broadcaster import schedule
from broadcaster.cli.common import context, print_json
from broadcaster.shapes import slot_dict


def register(subparsers: argparse._SubParsersAction) -> None:
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
    add.add_argument("--allow-conflict", action="store_true", help="vẫn lưu khi trùng lịch")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_add)
    lst = sub.add_parser("list", help="liệt kê lịch phát và các lần phát sắp tới")
    lst.add_argument("--days", type=int, default=7, help="số ngày tới để liệt kê (mặc định 7)")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=cmd_list)
    remove = sub.add_parser("remove", help="ngừng một lịch phát")
    remove.add_argument("slot_id", type=int)
    remove.set_defaults(handler=cmd_remove)


def cmd_add(args: argparse.Namespace) -> int:
    ctx = context()
    tz = ctx.settings.station.timezone
    items = [schedule.ItemSpec(kind="bulletin", bulletin_id=b) for b in args.bulletin]
    with ctx.session() as session:
        slot = schedule.add_slot(
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
            allow_conflict=args.allow_conflict,
        )
        slot_id = slot.id
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
        rows = []
        for slot in slots:
            upcoming = [i for _, i in schedule.occurrences_between(schedule.SlotTimes.of(slot, tz), now, end)]
            rows.append(slot_dict(slot, tz, upcoming[:10]))
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("Chưa có lịch phát nào.")
    for row in rows:
        when = f"một lần {row['at']}" if row["kind"] == "once" else f"hằng ngày {row['daily']} ({row['days']})"
        nxt = row["next"][0] if row["next"] else f"không có trong {args.days} ngày tới"
        print(f"{row['id']:>4}  {row['name']} — {when}; lần tới: {nxt}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    ctx = context()
    with ctx.session() as session:
        slot = schedule.get_slot(session, args.slot_id)
        schedule.deactivate_slot(session, slot)
    print(f"Đã ngừng lịch phát số {args.slot_id}")
    return 0
