"""Zones (thôn, khu phố): the places a slot can target and a village head belongs to."""
from __future__ import annotations

import math
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from broadcaster.errors import DuplicateError, NotFoundError, ValidationError
from broadcaster.models import Zone
from broadcaster.names import clean_name, find_by_name

ZONE_KINDS = ("thôn", "khu phố", "tổ dân phố", "bản", "ấp", "xóm")
MAX_NAME = 120


def list_zones(session: Session) -> Sequence[Zone]:
    return session.scalars(select(Zone).order_by(Zone.name)).all()


def get_zone(session: Session, zone_id: int) -> Zone:
    zone = session.get(Zone, zone_id)
    if zone is None:
        raise NotFoundError(f"Không có thôn/khu phố số {zone_id}")
    return zone


def _clean(session: Session, name: str, kind: str, output: str, zone: Zone | None) -> tuple[str, str, str]:
    name = clean_name(name, "Tên thôn/khu phố", max_length=MAX_NAME)
    if kind not in ZONE_KINDS:
        raise ValidationError(f"Loại địa bàn không hợp lệ: {kind!r}")
    output = (output or "main").strip()[:120] or "main"
    clash = find_by_name(session, Zone.name, name)
    if clash is not None and clash is not zone:
        raise DuplicateError(f"Đã có thôn/khu phố tên “{name}”")
    return name, kind, output


def _degrees(text: object, label: str, limit: float) -> float | None:
    """One coordinate in decimal degrees; a comma is read as the decimal mark (21,0278)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        cleaned = str(text).strip().replace(",", ".").rstrip("°").strip()
        try:
            value = float(cleaned)
        except ValueError:
            raise ValidationError(f"{label} phải là một số độ thập phân, ví dụ 21.0278 (nhận được “{text}”)") from None
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise ValidationError(f"{label} phải nằm trong khoảng −{limit:g} đến {limit:g} độ (nhận được “{text}”)")
    return round(value, 6)


def parse_coordinates(latitude: object, longitude: object) -> tuple[float | None, float | None]:
    """Latitude and longitude, checked; both empty clears them, one without the other is an error."""
    lat = _degrees(latitude, "Vĩ độ", 90.0)
    lon = _degrees(longitude, "Kinh độ", 180.0)
    if (lat is None) != (lon is None):
        raise ValidationError("Cần nhập cả vĩ độ và kinh độ (hoặc để trống cả hai)")
    return lat, lon


def add_zone(session: Session, name: str, kind: str = "thôn", output: str = "main",
             description: str = "", latitude: object = None, longitude: object = None) -> Zone:
    name, kind, output = _clean(session, name, kind, output, None)
    lat, lon = parse_coordinates(latitude, longitude)
    zone = Zone(name=name, kind=kind, output=output, description=(description or "").strip()[:2000],
                latitude=lat, longitude=lon)
    try:
        with session.begin_nested():  # a concurrent add of the same name: an error, not a 500
            session.add(zone)
            session.flush()
    except IntegrityError:
        raise DuplicateError(f"Đã có thôn/khu phố tên “{name}”") from None
    return zone


def update_zone(session: Session, zone: Zone, name: str, kind: str, output: str,
                description: str = "", latitude: object = None, longitude: object = None) -> None:
    """Every field at once, as the panel's row form sends it (empty coordinates clear them)."""
    lat, lon = parse_coordinates(latitude, longitude)
    zone.name, zone.kind, zone.output = _clean(session, name, kind, output, zone)
    zone.description = (description or "").strip()[:2000]
    zone.latitude, zone.longitude = lat, lon


def find_zone(session: Session, name_or_id: str) -> Zone:
    """A zone by its name (Vietnamese case folding) or its number."""
    text = (name_or_id or "").strip()
    found: Zone | None = find_by_name(session, Zone.name, text)
    if found is None and text.isdigit():
        found = session.get(Zone, int(text))
    if found is None:
        raise NotFoundError(f"Không có thôn/khu phố “{text}” (xem: broadcaster zone list)")
    return found


def configured_outputs(session: Session, station_output: str) -> list[str]:
    """The outputs a slot may aim at: the station's own and every zone's, in name order."""
    names = {station_output, *session.scalars(select(Zone.output)).all()}
    return sorted(name for name in names if name)
