"""``init``, ``user`` and ``demo``: setting a station up."""
from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import select

from broadcaster import users
from broadcaster.cli.common import context, print_json
from broadcaster.context import init_home
from broadcaster.errors import ValidationError
from broadcaster.models import ROLES, User
from broadcaster.names import find_by_name


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = subparsers.add_parser("init", help="tạo thư mục dữ liệu, cơ sở dữ liệu và khóa của đài")
    init.set_defaults(handler=cmd_init)

    user = subparsers.add_parser("user", help="quản lý tài khoản đăng nhập")
    user_sub = user.add_subparsers(dest="user_command", metavar="LỆNH")
    user_sub.required = True
    add = user_sub.add_parser("add", help="thêm tài khoản")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--zone", help="thôn/khu phố (bắt buộc với vai trò village)")
    add.add_argument("--full-name", default="")
    add.add_argument("--password-stdin", action="store_true", help="đọc mật khẩu từ stdin")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_user_add)
    lst = user_sub.add_parser("list", help="liệt kê tài khoản")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=cmd_user_list)
    boot = user_sub.add_parser("bootstrap", help="tạo tài khoản quản trị đầu tiên nếu chưa có")
    boot.set_defaults(handler=cmd_user_bootstrap)
    token = user_sub.add_parser("token", help="cấp mã truy cập API cho một tài khoản")
    token.add_argument("name")
    token.add_argument("--label", default="")
    token.set_defaults(handler=cmd_user_token)

    demo = subparsers.add_parser("demo", help="nạp nội dung mẫu cho một đài còn trống")
    demo.set_defaults(handler=cmd_demo)


def cmd_init(args: argparse.Namespace) -> int:
    ctx, done = init_home()
    ctx.dispose()
    for line in done:
        print(line)
    print(f"Đài đã sẵn sàng ở {ctx.home}")
    return 0


def _read_password(from_stdin: bool) -> tuple[str, bool]:
    """The password and whether it was generated (to be shown once and changed at first login)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    if not sys.stdin.isatty():
        from broadcaster.passwords import one_time_password

        return one_time_password(), True
    first = getpass.getpass("Mật khẩu: ")
    if first != getpass.getpass("Nhập lại mật khẩu: "):
        raise ValidationError("Hai lần nhập mật khẩu không khớp")
    return first, False


def cmd_user_add(args: argparse.Namespace) -> int:
    ctx = context()
    password, generated = _read_password(args.password_stdin)
    with ctx.session() as session:
        user = users.add_user(
            session, args.name, args.role, password, zone_name=args.zone, full_name=args.full_name,
            must_change_password=generated,
        )
        user_id = user.id
    if args.json:
        data: dict[str, object] = {"id": user_id, "name": args.name, "role": args.role}
        if generated:
            data["one_time_password"] = password
        print_json(data)
    else:
        print(f"Đã thêm tài khoản {args.name} ({users.ROLE_LABELS[args.role]}), số {user_id}")
        if generated:
            print(f"  Mật khẩu dùng một lần: {password} (chỉ hiện một lần; đổi khi đăng nhập lần đầu)")
    return 0


def cmd_user_bootstrap(args: argparse.Namespace) -> int:
    """The first admin gets a one-time password, printed once, to change at first login."""
    from broadcaster.passwords import one_time_password

    ctx = context()
    with ctx.session() as session:
        if users.count_admins(session):
            print("Đã có tài khoản quản trị.")
            return 0
        password = one_time_password()
        users.add_user(session, "admin", "admin", password, full_name="Quản trị viên",
                       must_change_password=True)
    print("Đã tạo tài khoản quản trị đầu tiên.")
    print("  Tên đăng nhập: admin")
    print(f"  Mật khẩu dùng một lần: {password}")
    print("  (Chỉ hiện một lần; hãy đổi mật khẩu khi đăng nhập lần đầu.)")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    ctx = context()
    with ctx.session() as session:
        rows = session.scalars(select(User).order_by(User.id)).all()
        data = [
            {"id": u.id, "name": u.name, "role": u.role, "zone": u.zone.name if u.zone else None,
             "active": u.active}
            for u in rows
        ]
    if args.json:
        print_json(data)
    else:
        for row in data:
            zone = f" — {row['zone']}" if row["zone"] else ""
            print(f"{row['id']:>4}  {row['name']:<20} {users.ROLE_LABELS[str(row['role'])]}{zone}")
    return 0


def cmd_user_token(args: argparse.Namespace) -> int:
    from broadcaster.errors import NotFoundError

    ctx = context()
    with ctx.session() as session:
        user = find_by_name(session, User.name, args.name)
        if user is None:
            raise NotFoundError(f"Không có tài khoản {args.name!r}")
        token = users.issue_token(session, user, args.label)
    print(token)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from broadcaster.demo import load_demo

    ctx = context()
    with ctx.session() as session:
        summary = load_demo(session, ctx.settings)
    print(summary)
    return 0
