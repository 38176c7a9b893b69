"""Helpers shared by the CLI modules: opening the data folder, printing JSON."""
from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

from broadcaster.context import Context, open_context


def context() -> Context:
    return open_context()


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=_default)
    sys.stdout.write("\n")


def _default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    raise TypeError(type(value).__name__)
