"""``zone add`` and ``zone list``: the villages and khu phố a commune broadcasts to."""
from __future__ import annotations

import argparse

from broadcaster import zones
from broadcaster.cli.common import context, print_json
from broadcaster.models import Zone


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    zone = subparsers.add_parser("zone", help="thôn, khu phố: nơi một lịch phát hướng tới")
    zone_sub = zone.add_subparsers(dest="zone_command", metavar="LỆNH")
    zone_sub.required = True
    add = zone_sub.add_parser("add", help="thêm một thôn/khu phố")
    add.add_argument("name", help="tên, ví dụ “Thôn Đông”")
    add.add_argument("--kind", default="thôn", choices=zones.ZONE_KINDS, help="loại địa bàn")
    add.add_argument("--output", default="main", help="đầu ra âm thanh phát cho thôn này")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_zone_add)
    lst = zone_sub.add_parser("list", help="liệt kê thôn/khu phố")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=cmd_zone_list)


def zone_dict(zone: Zone) -> dict[str, object]:
    return {"id": zone.id, "name": zone.name, "kind": zone.kind, "output": zone.output}


def cmd_zone_add(args: argparse.Namespace) -> int:
    ctx = context()
    with ctx.session() as session:
        zone = zones.add_zone(session, args.name, kind=args.kind, output=args.output)
        data = zone_dict(zone)
    ctx.dispose()
    if args.json:
        print_json(data)
    else:
        print(f"Đã thêm {data['kind']} “{data['name']}” (số {data['id']}, đầu ra {data['output']})")
    return 0


def cmd_zone_list(args: argparse.Namespace) -> int:
    ctx = context()
    with ctx.session() as session:
        data = [zone_dict(z) for z in zones.list_zones(session)]
    ctx.dispose()
    if args.json:
        print_json(data)
    else:
        for row in data:
            print(f"{row['id']:>4}  {row['name']:<30} {row['kind']:<10} đầu ra: {row['output']}")
    return 0
