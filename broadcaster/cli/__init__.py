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
    "broadcaster.cli.schedule",
    "broadcaster.cli.station",
    "broadcaster.cli.log",
    "broadcaster.cli.web",
)


class VietnameseArgumentParser(argparse.ArgumentParser):
    """argparse with its usage errors said in Vietnamese, on one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        translations = {
            "the following arguments are required": "thiếu tham số bắt buộc",
            "unrecognized arguments": "tham số không nhận ra",
            "invalid choice": "lựa chọn không hợp lệ",
            "expected one argument": "cần một giá trị",
            "invalid int value": "không phải số nguyên",
            "one of the arguments": "cần một trong các tham số",
            "is required": "là bắt buộc",
            "not allowed with argument": "không dùng cùng với",
            "choose from": "chọn một trong",
            "argument": "tham số",
        }
        for english, vietnamese in translations.items():
            message = message.replace(english, vietnamese)
        self.exit(2, f"Lỗi: {message} (xem: {self.prog} --help)\n")


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
        logger.debug("unexpected error", exc_info=True)
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"Lỗi không mong đợi: {message} (chạy lại với -v để xem chi tiết)", file=sys.stderr)
        return 1
