"""``normalize``, ``bulletin`` and ``render``: what the station will say."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.orm import Session

from broadcaster import bulletins
from broadcaster.cli.common import context, print_json
from broadcaster.errors import NotFoundError, ValidationError
from broadcaster.models import PRIORITIES, Campaign, Zone
from broadcaster.names import find_by_name
from broadcaster.shapes import bulletin_dict
from broadcaster.wording import decimal


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    norm = subparsers.add_parser("normalize", help="in ra chữ mà máy đọc sẽ nhận (chuẩn hóa văn bản)")
    norm.add_argument("text", nargs="?", help="văn bản; bỏ trống để đọc từng dòng từ stdin")
    norm.add_argument("--dialect", choices=("north", "south"), help="giọng đọc số: bắc hoặc nam")
    norm.set_defaults(handler=cmd_normalize)

    bulletin = subparsers.add_parser("bulletin", help="quản lý bản tin")
    sub = bulletin.add_subparsers(dest="bulletin_command", metavar="LỆNH")
    sub.required = True
    add = sub.add_parser("add", help="thêm bản tin")
    add.add_argument("--title", required=True)
    source = add.add_mutually_exclusive_group(required=True)
    source.add_argument("--text")
    source.add_argument("--text-file", type=Path)
    add.add_argument("--category", default="Thông báo")
    add.add_argument("--priority", choices=PRIORITIES, default="normal")
    add.add_argument("--campaign", type=int, help="số chiến dịch")
    add.add_argument("--theme", default="", help="chủ đề nội dung của chiến dịch (một trong các chủ đề đã đặt)")
    add.add_argument("--zone", help="thôn/khu phố (tên hoặc số) khi là thông báo riêng của thôn")
    publish = add.add_mutually_exclusive_group()
    publish.add_argument("--public", dest="public", action="store_true", default=None,
                         help="đăng công khai (mặc định cho bản tin toàn xã)")
    publish.add_argument("--no-public", dest="public", action="store_false",
                         help="không đăng công khai (mặc định cho thông báo riêng của thôn)")
    add.add_argument("--approve", action="store_true", help="phê duyệt ngay")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_bulletin_add)
    lst = sub.add_parser("list", help="liệt kê bản tin")
    lst.add_argument("--status")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=cmd_bulletin_list)
    for action, text in (("approve", "phê duyệt"), ("submit", "gửi duyệt"), ("archive", "lưu trữ")):
        act = sub.add_parser(action, help=f"{text} bản tin")
        act.add_argument("bulletin_id", type=int)
        act.set_defaults(handler=cmd_bulletin_transition, action=action)
    reject = sub.add_parser("reject", help="từ chối bản tin")
    reject.add_argument("bulletin_id", type=int)
    reject.add_argument("--reason", required=True)
    reject.set_defaults(handler=cmd_bulletin_transition, action="reject")

    render = subparsers.add_parser("render", help="dựng bản tin thành tệp âm thanh như khi phát")
    render.add_argument("bulletin_id", type=int)
    render.add_argument("--out", required=True, type=Path)
    render.add_argument("--engine", choices=("gtts", "espeak"))
    render.add_argument("--json", action="store_true")
    render.set_defaults(handler=cmd_render)


def cmd_normalize(args: argparse.Namespace) -> int:
    from audio.normalize import TextInputError, normalize, normalize_lines

    glossary: dict[str, str] = {}
    dialect = args.dialect
    try:
        ctx = context()
    except Exception:  # noqa: BLE001 - normalising works without a station too
        ctx = None
    if ctx is not None:
        from broadcaster.glossary import pairs as load_glossary

        with ctx.session() as session:
            glossary = dict(load_glossary(session))
        dialect = dialect or ctx.settings.tts.dialect
    dialect = dialect or "north"
    if args.text is not None:
        try:
            print(normalize(args.text, glossary=glossary, dialect=dialect))
        except TextInputError as exc:
            raise ValidationError(str(exc)) from None
        return 0
    lines = [line.rstrip("\n") for line in sys.stdin]
    for out in normalize_lines(lines, glossary=glossary, dialect=dialect):
        sys.stdout.write(out.replace("\n", " ") + "\n")
    return 0


def cmd_bulletin_add(args: argparse.Namespace) -> int:
    if args.text_file is not None:
        try:
            text = args.text_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise NotFoundError(f"Không tìm thấy tệp {args.text_file}") from None
        except UnicodeDecodeError:
            raise ValidationError(f"Tệp {args.text_file} không phải văn bản UTF-8") from None
    else:
        text = args.text
    ctx = context()
    with ctx.session() as session:
        if args.campaign is not None and session.get(Campaign, args.campaign) is None:
            raise NotFoundError(f"Không có chiến dịch số {args.campaign}")
        zone_id = _zone_id(session, args.zone) if args.zone else None
        bulletin = bulletins.add_bulletin(
            session, title=args.title, body=text, category=args.category,
            priority=args.priority, campaign_id=args.campaign, theme=args.theme, zone_id=zone_id,
            public=args.public,
        )
        if args.approve:
            bulletins.transition(session, bulletin, "approve", None, "phê duyệt từ dòng lệnh")
        bulletin_id = bulletin.id
    if args.json:
        print_json({"id": bulletin_id})
    else:
        print(bulletin_id)
    return 0


def _zone_id(session: Session, zone: str) -> int:
    """A zone given by name (as ``schedule add --zone``, same name rule) or by its number."""
    found: Zone | None = find_by_name(session, Zone.name, zone)
    wanted = zone.strip()
    if found is None and wanted.isdigit():
        found = session.get(Zone, int(wanted))
    if found is None:
        raise NotFoundError(f"Không có thôn/khu phố {zone!r}")
    return found.id


def cmd_bulletin_list(args: argparse.Namespace) -> int:
    ctx = context()
    with ctx.session() as session:
        rows = [bulletin_dict(b) for b in bulletins.list_bulletins(session, status=args.status, limit=10_000)]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("Chưa có bản tin nào.")
    for row in rows:
        print(
            f"{row['id']:>5}  [{bulletins.STATUS_LABELS[str(row['status'])]}] "
            f"[{bulletins.PRIORITY_LABELS[str(row['priority'])]}] {row['title']}"
        )
    return 0


def cmd_bulletin_transition(args: argparse.Namespace) -> int:
    ctx = context()
    with ctx.session() as session:
        bulletin = bulletins.get_bulletin(session, args.bulletin_id)
        bulletins.transition(session, bulletin, args.action, None, getattr(args, "reason", "") or "")
        status = bulletin.status
    print(f"Bản tin số {args.bulletin_id}: {bulletins.STATUS_LABELS[status]}")
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from audio.compose import RenderError, render_program
    from audio.tts import SynthesisError
    from broadcaster import programs

    fmt = args.out.suffix.lower().lstrip(".") or "wav"
    if fmt not in {"wav", "mp3", "opus", "ogg"}:
        raise ValidationError("Tệp ra phải có đuôi .wav, .mp3 hoặc .opus")
    fmt = "opus" if fmt == "ogg" else fmt
    ctx = context()
    with ctx.session() as session:
        bulletin = bulletins.get_bulletin(session, args.bulletin_id)
        items = programs.bulletin_items(ctx.settings, bulletin)
        settings = programs.render_settings(ctx.settings, session, args.engine)
    try:
        result = render_program(items, settings, programs.cache_dir(ctx.settings), out=args.out, fmt=fmt)
    except (RenderError, SynthesisError) as exc:
        raise ValidationError(f"Không dựng được bản tin: {exc}") from None
    engines = sorted({i.engine for i in result.items if i.engine})
    if args.json:
        print_json({"path": str(result.path), "seconds": result.seconds, "sha256": result.sha256,
                    "engines": engines})
    else:
        print(f"Đã dựng {args.out} ({decimal(result.seconds)} giây, giọng đọc: {', '.join(engines) or 'không'})")
    return 0
