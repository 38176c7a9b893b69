"""Jinja filters: dates dd/mm/yyyy and 24-hour times in the station's zone, durations in words.

Instants are stored in UTC; a commune official reads local time. Every template uses these
filters so no page shows UTC or a US-style date by accident.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from jinja2 import UndefinedError

from broadcaster.bulletins import PRIORITY_LABELS, STATUS_LABELS
from broadcaster.schedule import WEEKDAY_LABELS as WEEKDAY_NAMES
from broadcaster.users import ROLE_LABELS

ZONE_KEY = "loaxa_station_zone"


def station_zone() -> ZoneInfo:
    """The station's zone, resolved once per app: a list page formats fifty times or more."""
    return current_app.extensions[ZONE_KEY]


def to_local(value: dt.datetime) -> dt.datetime:
    """An instant in the station's zone (naive input is taken as UTC, as stored)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(station_zone())


def localtime(value: dt.datetime | str | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """``{{ x.at|localtime }}`` → "22/12/2024 06:30" in the station's zone; "—" when unset.

    Also takes an ISO 8601 string with its offset (JSON-shaped statuses carry those)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return "—"
    return to_local(value).strftime(fmt)


def hhmm(value: dt.datetime | dt.time | None) -> str:
    """``{{ x|hhmm }}`` → "06:30" (local for instants)."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = to_local(value).time()
    return value.strftime("%H:%M")


def vndate(value: dt.date | dt.datetime | None, weekday: bool = False) -> str:
    """``{{ d|vndate }}`` → "22/12/2024" (``weekday=True``: "Chủ Nhật, 22/12/2024")."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = to_local(value).date()
    text = value.strftime("%d/%m/%Y")
    return f"{WEEKDAY_NAMES[value.weekday()]}, {text}" if weekday else text


def duration(seconds: object) -> str:
    """``{{ s|duration }}`` → "45 giây", "2 phút 05 giây", "1 giờ 02 phút"; "—" when not known.

    Not known covers more than None: an evidence entry keeps its items as they were written (an
    item without its length, one uploaded by a box), and the entry's page must open whatever the
    entry holds — it is the office's evidence.
    """
    try:
        total = max(0, int(round(float(seconds))))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, UndefinedError):
        return "—"
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} giờ {minutes:02d} phút"
    if minutes:
        return f"{minutes} phút {secs:02d} giây"
    return f"{secs} giây"


def number(value: float | int | None, digits: int = 0) -> str:
    """Vietnamese number: "10.000" and "3,5" (dot for thousands, comma for decimals)."""
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def coordinate(value: float | None) -> str:
    """A latitude or longitude the Vietnamese way, as typed back into the form: 21.0285 → "21,0285".

    Up to six decimals (about 10 cm), trailing zeros dropped; "" when the place is not set, so the
    field shows its placeholder. The parser takes the comma as well as the dot.
    """
    if value is None:
        return ""
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


#: Evidence item kinds and speech engines as a person reads them (the log keeps the codes).
ITEM_KIND_NAMES = {"speech": "Lời đọc", "jingle": "Nhạc hiệu", "recording": "Bản ghi âm",
                   "pause": "Khoảng lặng", "bulletin": "Bản tin"}
ENGINE_NAMES = {"espeak": "Giọng máy (không cần mạng)", "gtts": "Giọng Google (qua mạng)",
                "cache": "Âm thanh đã lưu", "recording": "Bản ghi âm"}


def occurrence_label(key: str | None) -> str:
    """``slot-8@2026-12-02`` → "Lịch phát số 8, ngày 02/12/2026" (the key stays in exports)."""
    if not key:
        return "—"
    slot, _, day = key.partition("@")
    number_part = slot.removeprefix("slot-")
    try:
        when = dt.date.fromisoformat(day).strftime("%d/%m/%Y")
    except ValueError:
        return "Phát ngoài lịch" if not number_part.isdigit() else f"Lịch phát số {number_part}"
    if not number_part.isdigit():
        return f"Phát ngoài lịch, ngày {when}"
    return f"Lịch phát số {number_part}, ngày {when}"


def output_label(output: str | None) -> str:
    """The output's name without backend details ("main (pulse:loaxa)" → "main")."""
    if not output:
        return "—"
    name = output.split(" (", 1)[0].strip()
    return "Loa chính của xã" if name == "main" else name


#: Time zones named as a commune's staff say them (the zone database's id is not a word).
TIMEZONE_NAMES = {"Asia/Ho_Chi_Minh": "giờ Việt Nam", "Asia/Saigon": "giờ Việt Nam"}


def timezone_label(name: str | None) -> str:
    """``Asia/Ho_Chi_Minh`` → "giờ Việt Nam, GMT+7"; another zone by its offset alone."""
    try:
        zone = ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return "giờ của đài"
    offset = dt.datetime.now(zone).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    gmt = f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")
    known = TIMEZONE_NAMES.get(name or "")
    return f"{known}, {gmt}" if known else f"múi giờ {gmt}"


def init_app(app: Flask) -> None:
    # The app's settings are read once, when its context is opened; the zone cannot change after.
    app.extensions[ZONE_KEY] = ZoneInfo(app.extensions["broadcaster"].settings.station.timezone)
    app.jinja_env.filters.update(
        localtime=localtime, hhmm=hhmm, vndate=vndate, duration=duration, number=number, coordinate=coordinate,
        role_label=lambda r: ROLE_LABELS.get(r, r),
        status_label=lambda s: STATUS_LABELS.get(s, s),
        priority_label=lambda p: PRIORITY_LABELS.get(p, p),
        item_kind=lambda k: ITEM_KIND_NAMES.get(k or "", k or "—"),
        engine_name=lambda e: ENGINE_NAMES.get((e or "").split(":", 1)[0], e or "—"),
        occurrence_label=occurrence_label, output_label=output_label, timezone_label=timezone_label,
    )
    app.jinja_env.globals.update(
        ROLE_LABELS=ROLE_LABELS, STATUS_LABELS=STATUS_LABELS, PRIORITY_LABELS=PRIORITY_LABELS
    )
