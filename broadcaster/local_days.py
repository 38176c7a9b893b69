"""Local days as UTC intervals: one home for "the airings of 22/12" in the station's time zone.

Instants are stored in UTC; people speak of local days. A run of local days ``first..last`` is the
half-open UTC interval from ``first`` 00:00 to the day after ``last`` 00:00, each computed in the
zone itself (never "start + 24 h", which is wrong across a daylight-saving change).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def _zone(tz: str | ZoneInfo) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def local_midnight(day: dt.date, tz: str | ZoneInfo) -> dt.datetime:
    """00:00 of ``day`` in ``tz``, as an aware UTC instant."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=_zone(tz)).astimezone(dt.timezone.utc)


def days_bounds(first: dt.date, last: dt.date, tz: str | ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The local days ``first`` to ``last`` (inclusive) as a UTC half-open interval."""
    return local_midnight(first, tz), local_midnight(last + dt.timedelta(days=1), tz)


def day_bounds(day: dt.date, tz: str | ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """One local day as a UTC half-open interval."""
    return days_bounds(day, day, tz)
