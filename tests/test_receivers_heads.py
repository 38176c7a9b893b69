"""A village box airs the priority heads the commune station gives the same occurrence.

The hub renders the boxes' programs up to 48 hours ahead, long before the station renders its
own (``station.render_lead_s`` before the air time). Both follow :mod:`broadcaster.priority_heads`:
a priority bulletin leads the first slot that may carry it, once; a village-only one never leads a
slot heard elsewhere. Here the station's side is played out with the same ``choose`` it calls at
render time and the claims it records, and compared with what the hub put in the boxes' programs.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from broadcaster import priority_heads, receivers
from broadcaster.models import Occurrence, ReceiverProgram, Slot, utcnow
from broadcaster.receivers_hub import Hub

pytest_plugins = ["web_fixtures"]
from receiver_helpers import enrol_box  # noqa: E402


class HeadRecordingRenderer:
    """Stands in for the render worker: writes a file per render and keeps the heads asked for."""

    def __init__(self, folder: Any) -> None:
        self.folder = folder
        self.heads: dict[int, list[int]] = {}

    def render(self, what: str, ident: int, head_ids: Any = None, *, instant: Any = None,
               urgent: bool = False) -> dict[str, Any]:
        import hashlib

        self.heads[ident] = list(head_ids or [])
        content = f"{what}-{ident}-{head_ids}-{instant}".encode() * 50
        digest = hashlib.sha256(content).hexdigest()
        path = self.folder / f"{digest}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return {"path": str(path), "sha256": digest, "seconds": 3.0,
                "items": [{"kind": "speech", "title": f"head {h}"} for h in head_ids or []]}


def _hub(ctx: Any) -> Hub:
    hub = Hub.__new__(Hub)
    hub.ctx, hub.settings = ctx, ctx.settings
    hub.horizon = dt.timedelta(hours=48)
    hub.tz = str(ctx.settings.station.timezone)
    hub.render_lead_s = float(ctx.settings.station.render_lead_s)
    hub.grace_s = float(ctx.settings.station.grace_s)
    hub.stopping = __import__("threading").Event()
    hub._pending_notices = set()
    hub.renderer = HeadRecordingRenderer(ctx.settings.audio_dir / "cache" / "renders")
    return hub


def _id(result: Any) -> int:
    assert result.exit_code == 0, result.output
    return int(json.loads(result.stdout)["id"])


@pytest.fixture
def day(web_app: Any, cli: Any, ctx: Any) -> dict[str, Any]:
    """Three slots today: Thôn Tây only, Thôn Đông only, the whole commune; two priority notices."""
    zone = ZoneInfo(str(ctx.settings.station.timezone))
    start = (dt.datetime.now(zone) + dt.timedelta(hours=1)).replace(microsecond=0)
    news = _id(cli("bulletin", "add", "--title", "Tin trong ngày", "--text", "Tin trong ngày.", "--approve", "--json"))
    slots = {}
    for offset, name, zone_name in ((0, "tay", "Thôn Tây"), (1, "dong", "Thôn Đông"), (2, "all", None)):
        at = (start + dt.timedelta(hours=offset)).strftime("%Y-%m-%d %H:%M:%S")
        args = ["schedule", "add", "--bulletin", str(news), "--at", at, "--json"]
        slots[name] = _id(cli(*args, *(["--zone", zone_name] if zone_name else [])))
    storm = _id(cli("bulletin", "add", "--title", "Cảnh báo mưa lớn", "--text", "Mưa lớn chiều nay.",
                    "--priority", "priority", "--approve", "--json"))
    water = _id(cli("bulletin", "add", "--title", "Lịch cắt nước thôn Đông", "--text", "Cắt nước.",
                    "--priority", "priority", "--zone", "Thôn Đông", "--approve", "--json"))
    enrol_box(web_app, cli, "thon-dong-1", "Thôn Đông")
    return {"slots": slots, "storm": storm, "water": water}


def _station_heads(ctx: Any) -> dict[int, list[int]]:
    """The station's side: each occurrence at its render time, then aired (or failed), in order."""
    from broadcaster.schedule import active_slots, next_occurrences

    lead = float(ctx.settings.station.render_lead_s)
    grace = float(ctx.settings.station.grace_s)
    chosen: dict[int, list[int]] = {}
    with ctx.session() as session:
        upcoming = next_occurrences(active_slots(session), str(ctx.settings.station.timezone), utcnow(),
                                    utcnow() + dt.timedelta(hours=48))
        aired = {(r.slot_id, r.local_date): r for r in session.scalars(select(Occurrence))}
        for slot, local_date, instant in sorted(upcoming, key=lambda o: o[2]):
            if (slot.id, local_date) in aired:  # already played at the commune: its heads stand
                chosen[slot.id] = priority_heads.heads_of(session, aired[(slot.id, local_date)].id)
                continue
            heads = priority_heads.choose(session, slot, local_date, instant - dt.timedelta(seconds=lead), grace)
            row = Occurrence(slot_id=slot.id, local_date=local_date, scheduled_at=instant,
                             state="completed")
            session.add(row)
            session.flush()
            priority_heads.claim(session, row, [b.id for b in heads])
            chosen[slot.id] = [b.id for b in heads]
        session.rollback()  # only a rehearsal: the station has not aired anything yet
    return chosen


def test_box_programs_carry_the_heads_the_station_gives_the_same_occurrence(ctx: Any, day: dict[str, Any]) -> None:
    hub = _hub(ctx)
    counts = hub.render_ahead()
    slots = day["slots"]
    assert counts["rendered"] == 2, "the east box needs its own slot and the commune-wide one"
    station = _station_heads(ctx)
    # the commune-wide warning leads the first slot anywhere (Thôn Tây's), the village notice
    # leads Thôn Đông's own slot, and the commune-wide slot carries neither
    assert station == {slots["tay"]: [day["storm"]], slots["dong"]: [day["water"]], slots["all"]: []}
    assert hub.renderer.heads == {slots["dong"]: station[slots["dong"]], slots["all"]: station[slots["all"]]}
    with ctx.session() as session:
        box = receivers.get_receiver(session, "thon-dong-1")
        plan = {o["slot_id"]: o for o in receivers.plan_for(session, ctx.settings, box)["occurrences"]}
    assert plan[slots["dong"]]["fields"]["priority_heads"] == [day["water"]]
    assert [i["title"] for i in plan[slots["dong"]]["fields"]["items"]] == [f"head {day['water']}"]
    assert plan[slots["all"]]["fields"]["priority_heads"] == []
    again = hub.render_ahead()
    assert again["rendered"] == 0 and again["kept"] == 2, "nothing moved: nothing rendered again"


def test_when_the_station_fails_the_slot_that_carried_a_head_the_box_gets_it_next(
        ctx: Any, day: dict[str, Any]) -> None:
    hub = _hub(ctx)
    hub.render_ahead()
    slots = day["slots"]
    with ctx.session() as session:  # the Thôn Tây slot has aired at the commune, and failed
        slot = session.get(Slot, slots["tay"])
        upcoming = [o for o in __import__("broadcaster.schedule", fromlist=["x"]).next_occurrences(
            [slot], str(ctx.settings.station.timezone), utcnow(), utcnow() + dt.timedelta(hours=24))]
        _, local_date, instant = upcoming[0]
        row = Occurrence(slot_id=slot.id, local_date=local_date, scheduled_at=instant, state="failed")
        session.add(row)
        session.flush()
        priority_heads.claim(session, row, [day["storm"]])
    expected = _station_heads(ctx)
    assert expected[slots["dong"]] == [day["storm"], day["water"]], "the next slot takes the warning"
    counts = hub.render_ahead()
    assert counts["rendered"] == 1, "only the east slot's program changed"
    assert hub.renderer.heads[slots["dong"]] == expected[slots["dong"]]
    with ctx.session() as session:
        program = session.scalar(select(ReceiverProgram).where(ReceiverProgram.slot_id == slots["dong"]))
        assert program is not None and program.fields["priority_heads"] == expected[slots["dong"]]
