"""``broadcaster receiver``: add, enrol, run, list, revoke village receivers; the commune hub."""
from __future__ import annotations

import argparse
import sys

from broadcaster.cli.common import context, print_json
from broadcaster.models import RECEIVER_COMMAND_KINDS


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rec = subparsers.add_parser("receiver", help="máy thu ở các thôn (cụm loa IP)")
    sub = rec.add_subparsers(dest="receiver_command", metavar="LỆNH")
    sub.required = True

    add = sub.add_parser("add", help="thêm máy thu cho một thôn, in mã đăng ký dùng một lần")
    add.add_argument("name", help="tên máy thu (chữ thường không dấu, số, '-', ví dụ thon-dong-1)")
    add.add_argument("--zone", required=True, help="thôn/khu phố máy thu phục vụ")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_add)

    code = sub.add_parser("code", help="cấp mã đăng ký mới (máy thu cài lại); khóa cũ hết hiệu lực")
    code.add_argument("name")
    code.add_argument("--json", action="store_true")
    code.set_defaults(handler=cmd_code)

    enrol = sub.add_parser("enrol", help="trên máy thu: tạo khóa và đăng ký với xã")
    enrol.add_argument("url", help="địa chỉ bảng điều khiển của xã, ví dụ http://10.0.0.2:8080")
    enrol.add_argument("code", help="mã đăng ký xã cấp")
    enrol.set_defaults(handler=cmd_enrol)

    run = sub.add_parser("run", help="trên máy thu: chạy máy thu đến khi nhận SIGTERM/SIGINT")
    run.set_defaults(handler=cmd_run)

    lst = sub.add_parser("list", help="liệt kê máy thu và tình trạng")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=cmd_list)

    revoke = sub.add_parser("revoke", help="thu hồi một máy thu (cắt mọi quyền truy cập)")
    revoke.add_argument("name")
    revoke.set_defaults(handler=cmd_revoke)

    command = sub.add_parser("command", help="gửi lệnh tới máy thu: emergency, stop, volume, resync")
    command.add_argument("kind", choices=RECEIVER_COMMAND_KINDS)
    target = command.add_mutually_exclusive_group()
    target.add_argument("--zone", help="chỉ máy thu của thôn này")
    target.add_argument("--receiver", help="chỉ một máy thu")
    command.add_argument("--bulletin", type=int, help="bản tin (với emergency)")
    command.add_argument("--volume", type=int, help="âm lượng phần trăm (với volume)")
    command.add_argument("--reason", default="", help="lý do (với stop)")
    command.add_argument("--json", action="store_true")
    command.set_defaults(handler=cmd_command)

    hub = sub.add_parser("hub", help="ở xã: dựng trước chương trình, gửi lệnh, nhận nhịp báo của máy thu")
    hub.set_defaults(handler=cmd_hub)


def cmd_add(args: argparse.Namespace) -> int:
    from broadcaster import receivers

    ctx = context()
    with ctx.session() as session:
        added = receivers.add_receiver(session, ctx.settings, args.name, args.zone)
        box_id, name, zone = added.receiver.id, added.receiver.name, added.receiver.zone.name
    if args.json:
        print_json({"id": box_id, "code": added.code})
    else:
        print(f"Đã thêm máy thu {name} cho {zone}. Mã đăng ký (dùng một lần): {added.code}")
        print(f"Trên máy thu, chạy: broadcaster receiver enrol <địa chỉ xã> {added.code}")
    return 0


def cmd_code(args: argparse.Namespace) -> int:
    from broadcaster import mqtt_auth, receivers

    ctx = context()
    with ctx.session() as session:
        code = receivers.new_code(session, ctx.settings, args.name)
    with ctx.session() as session:
        mqtt_auth.write_broker_files(session, ctx.settings)
    if args.json:
        print_json({"name": args.name, "code": code})
    else:
        print(f"Mã đăng ký mới cho {args.name}: {code}")
    return 0


def cmd_enrol(args: argparse.Namespace) -> int:
    from broadcaster.receiver.enrol import enrol

    identity = enrol(None, args.url, args.code)
    print(f"Đã đăng ký máy thu {identity.name} ({identity.zone_name}) với xã {identity.commune_url}.")
    print("Chạy máy thu: broadcaster receiver run")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from broadcaster.receiver import identity as ident
    from broadcaster.receiver.daemon import ReceiverDaemon
    from broadcaster.station import logs

    logs.configure(verbose=bool(getattr(args, "verbose", False)))
    ctx = context()
    try:
        return ReceiverDaemon(ctx, ident.load(ctx.home)).run()
    finally:
        ctx.dispose()


def cmd_list(args: argparse.Namespace) -> int:
    from broadcaster import receivers

    ctx = context()
    with ctx.session() as session:
        rows = receivers.receiver_rows(session, ctx.settings)
        alerts = receivers.warnings(rows, ctx.settings)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("Chưa có máy thu nào.")
        return 0
    for row in rows:
        state = {"online": "trực tuyến", "offline": "mất kết nối", "waiting": "chờ đăng ký",
                 "revoked": "đã thu hồi"}[row["state"]]
        if row["state"] == "offline" and row["offline_since"]:
            state += f" từ {row['offline_since']}"
        held = row["programs_held"] if row["programs_held"] is not None else "—"
        offset = f"{row['clock_offset_ms']:.0f} ms" if row["clock_offset_ms"] is not None else "—"
        print(f"{row['name']:<20} {row['zone']:<20} {state:<40} chương trình 24h: "
              f"{held}/{row['programs_expected']}  lệch giờ: {offset}")
    for alert in alerts:
        print(f"Cảnh báo: {alert}", file=sys.stderr)
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from broadcaster import mqtt_auth, receivers

    ctx = context()
    with ctx.session() as session:
        box = receivers.revoke(session, args.name)
        name = box.name
    with ctx.session() as session:
        mqtt_auth.write_broker_files(session, ctx.settings)
    print(f"Đã thu hồi máy thu {name}: mã truy cập và tài khoản MQTT không còn dùng được.")
    return 0


def cmd_command(args: argparse.Namespace) -> int:
    from broadcaster import receivers

    payload: dict[str, object] = {}
    if args.kind == "emergency":
        payload["bulletin_id"] = args.bulletin
    elif args.kind == "volume":
        payload["volume"] = args.volume
    elif args.kind == "stop":
        payload["reason"] = args.reason
    ctx = context()
    with ctx.session() as session:
        command = receivers.request_command(session, ctx.settings, args.kind, zone=args.zone,
                                            receiver=args.receiver, payload=payload)
        command_id = command.id
    if args.json:
        print_json({"id": command_id})
    else:
        print(f"Đã xếp lệnh số {command_id} ({args.kind}); trạm điều phối máy thu sẽ gửi ngay.")
    return 0


def cmd_hub(args: argparse.Namespace) -> int:
    from broadcaster.receivers_hub import run_hub
    from broadcaster.station import logs

    logs.configure(verbose=bool(getattr(args, "verbose", False)))
    ctx = context()
    try:
        return run_hub(ctx, verbose=bool(getattr(args, "verbose", False)))
    finally:
        ctx.dispose()
