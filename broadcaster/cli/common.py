"""Helpers shared by the CLI modules: opening the data folder, printing JSON, declaring commands,
writing the files a user asked for."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcaster.context import Context, open_context
from broadcaster.errors import ValidationError


def context() -> Context:
    return open_context()


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=_default)
    sys.stdout.write("\n")


def _default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


if TYPE_CHECKING:  # generic for the type checker only: not subscriptable at run time on 3.11
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Commands = argparse._SubParsersAction


def command_group(subparsers: Commands, name: str, help: str) -> Commands:
    """``broadcaster NAME LỆNH ...``: a command whose sub-command is required."""
    parser: argparse.ArgumentParser = subparsers.add_parser(name, help=help)
    group: Commands = parser.add_subparsers(dest=f"{name}_command", metavar="LỆNH")
    group.required = True
    return group


def command(group: Commands, name: str, help: str,
            handler: Callable[[argparse.Namespace], int], *, json_flag: bool = True
            ) -> argparse.ArgumentParser:
    """One sub-command run by ``handler``, with ``--json`` (machine-readable output) unless told
    not; the caller adds its own arguments to the returned parser."""
    parser: argparse.ArgumentParser = group.add_parser(name, help=help)
    parser.set_defaults(handler=handler)
    if json_flag:
        parser.add_argument("--json", action="store_true")
    return parser


def write_output(path: Path, data: bytes) -> None:
    """Write a file the user asked for whole or not at all (a temporary file, then a rename)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ValidationError(f"Không ghi được tệp {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ValidationError(f"Không ghi được tệp {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
