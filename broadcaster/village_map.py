"""The receivers' map: each placed village at its coordinates with its boxes' state, drawn offline.

Communes have no internet to fetch map tiles from, so the panel draws its own map: an inline SVG
of the villages that have coordinates (``zone edit --lat --lon``), projected equirectangularly
around their middle latitude (a commune spans a few kilometres: the error is nothing), scaled
to fit a phone's width. This module only computes the drawing (positions, label places, states,
Vietnamese labels); the template writes it out, escaped.

A village's colour is its worst box: offline, then lacking tomorrow's programmes, then online;
a village with no box (or only revoked or not yet enrolled ones) is drawn grey.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from broadcaster.models import Zone

WIDTH = 360.0
PAD = 28.0
LINE = 14.0
#: worst first
SEVERITY = ("offline", "lacking", "online", "none")
#: the short word beside a village's dot (the list under the map says the rest)
STATE_LABELS = {"offline": "mất kết nối", "lacking": "thiếu chương trình", "online": "trực tuyến",
                "none": "chưa có máy thu"}


@dataclass(frozen=True)
class MapBox:
    name: str
    state: str  # offline | lacking | online
    label: str  # "mất kết nối từ 01/12 22:10", ...


@dataclass
class MapVillage:
    name: str
    x: float
    y: float
    state: str
    boxes: list[MapBox] = field(default_factory=list)
    label_x: float = 0.0
    label_y: float = 0.0
    anchor: str = "start"

    @property
    def state_line(self) -> str:
        """The line under the village's name: its worst state, and how many boxes when several."""
        worst = STATE_LABELS[self.state]
        if len(self.boxes) > 1:
            bad = sum(1 for b in self.boxes if b.state == self.state)
            return f"{bad}/{len(self.boxes)} máy {worst}" if self.state != "online" else f"{len(self.boxes)} máy {worst}"
        return worst

    @property
    def summary(self) -> str:
        if not self.boxes:
            return STATE_LABELS["none"]
        return "; ".join(f"{b.name}: {b.label}" for b in self.boxes)


@dataclass
class VillageMap:
    width: float
    height: float
    villages: list[MapVillage]
    unplaced: list[str]  # villages with boxes but no coordinates yet


def _short_time(iso: str | None) -> str:
    if not iso:
        return "chưa từng kết nối"
    try:
        return f"từ {dt.datetime.fromisoformat(iso):%d/%m %H:%M}"
    except ValueError:
        return f"từ {iso}"


def box_state(row: dict[str, Any]) -> MapBox | None:
    """A box as the map shows it (``receivers.receiver_rows`` row); None for revoked/unenrolled."""
    if row["revoked"] or row["state"] == "waiting":
        return None
    if not row["online"]:
        return MapBox(row["name"], "offline", f"mất kết nối {_short_time(row['offline_since'] or row['last_seen'])}")
    if not row["programs_ready"]:
        return MapBox(row["name"], "lacking", f"thiếu chương trình ngày mai "
                                              f"({row['programs_held'] or 0}/{row['programs_expected']})")
    return MapBox(row["name"], "online", "trực tuyến")


def _project(points: Sequence[tuple[float, float]]) -> tuple[list[tuple[float, float]], float]:
    """(lat, lon) → (x, y) in a WIDTH-wide box, north up; returns the points and the height."""
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    mid = math.radians((min(lats) + max(lats)) / 2)
    xs = [lon * math.cos(mid) for lon in lons]
    ys = [-lat for lat in lats]
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    inner = WIDTH - 2 * PAD - 60.0  # room for labels on the sides
    scale = inner / max(span_x, span_y, 1e-9)
    height = min(max(span_y * scale + 2 * PAD + 40.0, 220.0), 520.0)
    if span_y * scale > height - 2 * PAD - 40.0:
        scale = (height - 2 * PAD - 40.0) / max(span_y, 1e-9)
    width_used, height_used = span_x * scale, span_y * scale
    left = (WIDTH - width_used) / 2
    top = (height - height_used) / 2
    return [(left + (x - min(xs)) * scale, top + (y - min(ys)) * scale) for x, y in zip(xs, ys, strict=True)], height


def _place_labels(villages: list[MapVillage], height: float) -> None:
    """Each label beside its dot, pushed down past labels it would cover."""
    placed: list[tuple[float, float, float, float]] = []
    for village in sorted(villages, key=lambda v: (v.y, v.x)):
        lines = 2
        wide = 7.0 * max(len(village.name), len(village.state_line))
        village.anchor = "end" if village.x > WIDTH / 2 else "start"
        x = village.x - 12 if village.anchor == "end" else village.x + 12
        left, right = (x - wide, x) if village.anchor == "end" else (x, x + wide)
        top = village.y - 5
        moved = True
        while moved:
            moved = False
            for l2, r2, t2, b2 in placed:
                if left < r2 and l2 < right and top < b2 and t2 < top + lines * LINE:
                    top = b2 + 2
                    moved = True
        top = min(top, height - lines * LINE - 4)
        placed.append((left, right, top, top + lines * LINE))
        village.label_x, village.label_y = x, top + 10


def build_map(zones: Iterable[Zone], rows: Sequence[dict[str, Any]]) -> VillageMap | None:
    """The map of the placed villages with their boxes; None when no village has coordinates."""
    boxes: dict[str, list[MapBox]] = {}
    for row in rows:
        shown = box_state(row)
        if shown is not None:
            boxes.setdefault(row["zone"], []).append(shown)
    placed = [z for z in zones if z.latitude is not None and z.longitude is not None]
    unplaced = sorted({row["zone"] for row in rows if not row["revoked"]} - {z.name for z in placed})
    if not placed:
        return None
    points, height = _project([(float(z.latitude), float(z.longitude)) for z in placed])  # type: ignore[arg-type]
    villages = []
    for zone, (x, y) in zip(placed, points, strict=True):
        mine = boxes.get(zone.name, [])
        state = min((b.state for b in mine), key=SEVERITY.index, default="none")
        villages.append(MapVillage(zone.name, round(x, 1), round(y, 1), state, mine))
    _place_labels(villages, height)
    return VillageMap(WIDTH, round(height, 1), villages, unplaced)
