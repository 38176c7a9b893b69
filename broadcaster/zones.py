"""Zones (thôn, khu phố): the places a slot can target and a village head belongs to."""
from __future__ import annotations

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


def add_zone(session: Session, name: str, kind: str = "thôn", output: str = "main",
             description: str = "") -> Zone:
    name, kind, output = _clean(session, name, kind, output, None)
    zone = Zone(name=name, kind=kind, output=output, description=(description or "").strip()[:2000])
    try:
        with session.begin_nested():  # a concurrent add of the same name: an error, not a 500
            session.add(zone)
            session.flush()
    except IntegrityError:
        raise DuplicateError(f"Đã có thôn/khu phố tên “{name}”") from None
    return zone


def update_zone(session: Session, zone: Zone, name: str, kind: str, output: str,
                description: str = "") -> None:
    zone.name, zone.kind, zone.output = _clean(session, name, kind, output, zone)
    zone.description = (description or "").strip()[:2000]


def configured_outputs(session: Session, station_output: str) -> list[str]:
    """The outputs a slot may aim at: the station's own and every zone's, in name order."""
    names = {station_output, *session.scalars(select(Zone.output)).all()}
    return sorted(name for name in names if name)
