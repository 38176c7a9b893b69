"""``glossary``: the commune's own read-as words, which win over the default glossary."""
from __future__ import annotations

import argparse

from sqlalchemy.orm import Session

from broadcaster import glossary
from broadcaster.cli.common import context, print_json
from broadcaster.errors import NotFoundError
from broadcaster.models import GlossaryEntry
from broadcaster.names import find_by_name


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("glossary", help="từ điển cách đọc riêng của xã")
    sub = parser.add_subparsers(dest="glossary_command", metavar="LỆNH")
    sub.required = True
    add = sub.add_parser("add", help="thêm hoặc sửa cách đọc một từ")
    add.add_argument("word", help="từ như khi viết, ví dụ: HTX")
    add.add_argument("reading", help="cách đọc, ví dụ: hợp tác xã")
    add.set_defaults(handler=cmd_add)
    lst = sub.add_parser("list", help="liệt kê các từ")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=cmd_list)
    remove = sub.add_parser("remove", help="xóa một từ")
    remove.add_argument("word")
    remove.set_defaults(handler=cmd_remove)


def _find(session: Session, word: str) -> GlossaryEntry | None:
    entry: GlossaryEntry | None = find_by_name(session, GlossaryEntry.word, word)
    return entry


def cmd_add(args: argparse.Namespace) -> int:
    ctx = context()
    with ctx.session() as session:
        existing = _find(session, args.word)
        if existing is None:
            glossary.add_entry(session, args.word, args.reading, ctx.settings.tts.dialect)
            verb = "Đã thêm"
        else:
            glossary.update_entry(session, existing, args.word, args.reading, ctx.settings.tts.dialect)
            verb = "Đã sửa"
    print(f"{verb}: {args.word.strip()} → {args.reading.strip()}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    ctx = context()
    with ctx.session() as session:
        rows = [{"word": e.word, "reading": e.reading} for e in glossary.list_entries(session)]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("Từ điển của xã chưa có từ nào (vẫn dùng từ điển viết tắt mặc định).")
    for row in rows:
        print(f"{row['word']} → {row['reading']}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    ctx = context()
    with ctx.session() as session:
        entry = _find(session, args.word)
        if entry is None:
            raise NotFoundError(f"Từ điển của xã không có từ {args.word!r}")
        glossary.delete_entry(session, entry, ctx.settings.tts.dialect)
    print(f"Đã xóa: {args.word}")
    return 0
