"""The ``broadcaster`` command: one module per area registers its subcommands here.

Domain errors become one Vietnamese line on stderr and exit 1; nothing a user can cause
prints a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from pathlib import Path
from typing import Sequence

from broadcaster.errors import BroadcasterError

logger = logging.getLogger(__name__)

# Each module defines ``register(subparsers)``; handlers take ``args`` and return an exit code.
COMMAND_MODULES = (
    "broadcaster.cli.setup",
    "broadcaster.cli.content",
    "broadcaster.cli.glossary",
    "broadcaster.cli.zones",
    "broadcaster.cli.schedule",
    "broadcaster.cli.station",
    "broadcaster.cli.log",
    "broadcaster.cli.directive",
    "broadcaster.cli.web",
    "broadcaster.cli.receivers",
    "broadcaster.cli.public",
)


# argparse's own words (usage, help, errors) said in Vietnamese: it looks them up through
# gettext at call time, so replacing its ``_`` translates every parser built afterwards.
ARGPARSE_VI = {
    "usage: ": "cách dùng: ",
    "options": "tùy chọn",
    "positional arguments": "tham số",
    "show this help message and exit": "hiện trợ giúp này rồi thoát",
    "the following arguments are required: %s": "thiếu tham số bắt buộc: %s",
    "unrecognized arguments: %s": "tham số không nhận ra: %s",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "lựa chọn không hợp lệ: %(value)r (chọn một trong %(choices)s)",
    "expected one argument": "cần một giá trị",
    "expected at least one argument": "cần ít nhất một giá trị",
    "expected at most one argument": "cần nhiều nhất một giá trị",
    "argument %(argument_name)s: %(message)s": "tham số %(argument_name)s: %(message)s",
    "invalid %(type)s value: %(value)r": "giá trị %(type)s không hợp lệ: %(value)r",
    "not allowed with argument %s": "không dùng cùng với %s",
    "one of the arguments %s is required": "cần một trong các tham số %s",
    "ambiguous option: %(option)s could match %(matches)s":
        "tùy chọn mơ hồ: %(option)s có thể là %(matches)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)":
        "lệnh không biết %(parser_name)r (có: %(choices)s)",
    "%(prog)s: error: %(message)s\n": "Lỗi: %(message)s (xem: %(prog)s --help)\n",
}
argparse._ = lambda text: ARGPARSE_VI.get(text, text)  # type: ignore[attr-defined]


class VietnameseArgumentParser(argparse.ArgumentParser):
    """argparse whose usage errors are one Vietnamese line on stderr."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"Lỗi: {message} (xem: {self.prog} --help)\n")


#: Help for options that mean the same in every command, filled in where a command gave none,
#: so that ``--help`` explains every option in Vietnamese.
HELP_BY_DEST = {
    "json": "in kết quả dạng JSON (cho chương trình khác đọc)",
    "category": "chuyên mục (mặc định: Thông báo)",
    "date_from": "từ ngày (YYYY-MM-DD hoặc dd/mm/yyyy)",
    "date_to": "đến ngày (YYYY-MM-DD hoặc dd/mm/yyyy)",
    "until": "đến ngày (YYYY-MM-DD hoặc dd/mm/yyyy)",
    "engine": "giọng đọc: gtts (cần Internet) hoặc espeak (không cần mạng)",
    "full_name": "họ và tên hiển thị",
    "greeting": "có (--greeting) hoặc không (--no-greeting) lời chào đầu buổi",
    "host": "địa chỉ lắng nghe (mặc định web.host trong cấu hình)",
    "port": "cổng lắng nghe (mặc định web.port trong cấu hình)",
    "threads": "số luồng phục vụ của mỗi tiến trình (mặc định 8)",
    "label": "ghi chú để nhận ra mã truy cập",
    "name": "tên",
    "on": "ngày xét (YYYY-MM-DD hoặc dd/mm/yyyy)",
    "out": "tệp sẽ ghi ra",
    "output": "đầu ra âm thanh (mặc định output.name)",
    "period": "kỳ báo cáo, tháng YYYY-MM",
    "priority": "mức ưu tiên: normal (thường), priority (ưu tiên), emergency (khẩn cấp)",
    "reason": "lý do",
    "role": "vai trò: admin, editor, approver, village, office",
    "status": "trạng thái: draft (nháp), submitted (chờ duyệt), approved, rejected, archived",
    "text": "nội dung bản tin",
    "text_file": "tệp văn bản chứa nội dung bản tin (UTF-8)",
    "title": "tiêu đề",
    "wait": "chờ trạm phát trả lời tối đa bấy nhiêu giây",
}


def _fill_missing_help(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _fill_missing_help(sub)
        elif action.option_strings and not action.help and action.dest in HELP_BY_DEST:
            action.help = HELP_BY_DEST[action.dest]


def build_parser() -> argparse.ArgumentParser:
    parser = VietnameseArgumentParser(
        prog="broadcaster",
        description="Loa xã — đài truyền thanh cơ sở: bản tin, lịch phát, phát thanh, nhật ký.",
    )
    parser.add_argument("--home", type=Path, help="thư mục dữ liệu (mặc định $BROADCASTER_HOME hoặc ./var)")
    parser.add_argument("-v", "--verbose", action="store_true", help="ghi nhật ký chi tiết")
    subparsers = parser.add_subparsers(dest="command", metavar="LỆNH", parser_class=VietnameseArgumentParser)
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    _fill_missing_help(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        # Warnings such as "gTTS unreachable, using espeak-ng" are expected offline: a one-shot
        # command shows them with -v; the station daemon raises its own level for its journal.
        level=logging.DEBUG if args.verbose else logging.ERROR,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.home is not None:
        os.environ["BROADCASTER_HOME"] = str(args.home.resolve())
    try:
        return int(args.handler(args) or 0)
    except BroadcasterError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Đã dừng theo yêu cầu.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the edge: no traceback for users
        logger.debug("lỗi không lường trước", exc_info=True)
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"Lỗi không mong đợi: {message} (chạy lại với -v để xem chi tiết)", file=sys.stderr)
        return 1
