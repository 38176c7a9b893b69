"""``zone add``, ``zone edit`` and ``zone list``: the villages and khu phố a commune broadcasts to."""
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
    _coordinates(add)
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_zone_add)
    edit = zone_sub.add_parser("edit", help="sửa một thôn/khu phố (chỉ các trường được nêu)")
    edit.add_argument("zone", help="tên hoặc số của thôn/khu phố")
    edit.add_argument("--name", help="tên mới")
    edit.add_argument("--kind", choices=zones.ZONE_KINDS, help="loại địa bàn")
    edit.add_argument("--output", help="đầu ra âm thanh")
    edit.add_argument("--description", help="ghi chú")
    _coordinates(edit)
    edit.add_argument("--no-coordinates", action="store_true", help="xóa tọa độ (bỏ khỏi bản đồ)")
    edit.add_argument("--json", action="store_true")
    edit.set_defaults(handler=cmd_zone_edit)
    lst = zone_sub.add_parser("list", help="liệt kê thôn/khu phố")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=cmd_zone_list)


def _coordinates(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lat", metavar="VĨ_ĐỘ", help="vĩ độ (độ thập phân, ví dụ 21.0278), cho bản đồ máy thu")
    parser.add_argument("--lon", metavar="KINH_ĐỘ", help="kinh độ (độ thập phân, ví dụ 105.8342)")


def zone_dict(zone: Zone) -> dict[str, object]:
    return {"id": zone.id, "name": zone.name, "kind": zone.kind, "output": zone.output,
            "latitude": zone.latitude, "longitude": zone.longitude}


def _describe(data: dict[str, object]) -> str:
    where = (f", tọa độ {data['latitude']}, {data['longitude']}" if data["latitude"] is not None else "")
    return f"{data['kind']} “{data['name']}” (số {data['id']}, đầu ra {data['output']}{where})"


def cmd_zone_add(args: argparse.Namespace) -> int:
    ctx = context()
    with ctx.session() as session:
        zone = zones.add_zone(session, args.name, kind=args.kind, output=args.output,
                              latitude=args.lat, longitude=args.lon)
        data = zone_dict(zone)
    ctx.dispose()
    if args.json:
        print_json(data)
    else:
        print(f"Đã thêm {_describe(data)}")
    return 0


def cmd_zone_edit(args: argparse.Namespace) -> int:
    from broadcaster.errors import ValidationError

    if args.no_coordinates and (args.lat is not None or args.lon is not None):
        raise ValidationError("Không dùng --no-coordinates cùng --lat/--lon")
    ctx = context()
    with ctx.session() as session:
        zone = zones.find_zone(session, args.zone)
        if args.no_coordinates:
            lat, lon = None, None
        elif args.lat is not None or args.lon is not None:
            lat, lon = args.lat, args.lon
        else:
            lat, lon = zone.latitude, zone.longitude
        zones.update_zone(session, zone, args.name if args.name is not None else zone.name,
                          args.kind or zone.kind, args.output if args.output is not None else zone.output,
                          args.description if args.description is not None else zone.description,
                          latitude=lat, longitude=lon)
        session.flush()
        data = zone_dict(zone)
    ctx.dispose()
    if args.json:
        print_json(data)
    else:
        print(f"Đã lưu {_describe(data)}")
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
            where = f"  tọa độ: {row['latitude']}, {row['longitude']}" if row["latitude"] is not None else ""
            print(f"{row['id']:>4}  {row['name']:<30} {row['kind']:<10} đầu ra: {row['output']}{where}")
    return 0
