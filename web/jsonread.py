"""The panel's JSON reader: bad JSON is refused as bad input, never a server error.

Why: Python's decoder raises ``RecursionError`` (not ``ValueError``) on deeply nested input,
which Flask turns into a 500, and it accepts integers of thousands of digits and ``NaN``, which
fail later, deep in the database driver (``OverflowError``), also as a 500. Every ``get_json``
of the app goes through :class:`StrictJSONProvider`, so each of those becomes a 400.
"""
from __future__ import annotations

import json
import math
from typing import Any

from flask.json.provider import DefaultJSONProvider

#: Enough for any id or count; SQLite's INTEGER holds 19 digits.
MAX_INT_DIGITS = 18


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError("integer too large")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's provider, reading with bounded numbers and no unbounded nesting."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_int", _int)
        kwargs.setdefault("parse_float", _float)
        kwargs.setdefault("parse_constant", _constant)
        try:
            return json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
