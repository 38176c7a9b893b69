"""Priority heads and villages, checked on the programs the station renders.

Three slots on one morning, rendered by the station's own render jobs in its real render worker
(espeak-ng), each in the order the station renders them (soonest first): thôn Tây's, thôn Đông's,
then a commune-wide one. Two priority bulletins were approved: a notice for thôn Đông only and a
commune-wide power cut. The rule (broadcaster/priority_heads.py): a village-only bulletin never
leads a slot heard outside its village; a commune-wide one may lead any zone's slot, and leads the
first that may carry it, once. What a villager would check is what each program says first.
"""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from broadcaster import bulletins, schedule
from broadcaster.models import Zone
from broadcaster.station.clock import SystemClock
from broadcaster.station.reconcile import Due
from broadcaster.station.render import RenderWorker
from broadcaster.station.render_jobs import RenderJobs
from broadcaster.zones import add_zone

UTC = dt.timezone.utc
TZ = "Asia/Ho_Chi_Minh"
LOCAL = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def jobs(ctx: Any) -> Iterator[RenderJobs]:
    worker = RenderWorker(ctx.settings.home)
    yield RenderJobs(ctx, worker, SystemClock(), threading.Event(), grace_s=60.0)
    worker.stop()


def _approved(ctx: Any, title: str, text: str, priority: str = "normal",
              zone: str | None = None) -> int:
    with ctx.session() as session:
        zone_id = session.query(Zone).filter_by(name=zone).one().id if zone else None
        bulletin = bulletins.add_bulletin(session, title=title, body=text, priority=priority,
                                          zone_id=zone_id)
        bulletins.transition(session, bulletin, "approve", None)
        return bulletin.id


def _slot(ctx: Any, bulletin_id: int, at: dt.datetime, zones: tuple[str, ...]) -> Due:
    with ctx.session() as session:
        slot = schedule.add_slot(session, items=[schedule.ItemSpec("bulletin", bulletin_id)],
                                 default_tz=TZ, zones=zones, greeting=False, allow_conflict=True,
                                 at_local=at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S"))
        return Due(slot.id, at.astimezone(LOCAL).date(), slot.at_utc or at)


def _spoken(jobs: RenderJobs, due: Due) -> list[str]:
    program = jobs.render_occurrence(due)
    assert program is not None, jobs.failure_note(due)
    titles: list[str] = []  # each bulletin once, in order (a priority one is read twice)
    for item in program.items:
        if item["kind"] == "speech" and item["title"] != "Xin nhắc lại" \
                and item["title"] not in titles:
            titles.append(item["title"])
    return titles


def test_a_village_notice_leads_only_its_own_village_and_a_commune_notice_leads_any_zones_slot(
        ctx: Any, jobs: RenderJobs) -> None:
    with ctx.session() as session:
        add_zone(session, "Thôn Đông")
        add_zone(session, "Thôn Tây")
    news = _approved(ctx, "Tin sáng", "Bà con đi tiêm phòng.")
    _approved(ctx, "Họp thôn Đông", "Tối nay thôn Đông họp.", "priority", zone="Thôn Đông")
    _approved(ctx, "Lịch cắt điện", "Mai cắt điện toàn xã.", "priority")
    start = dt.datetime.now(UTC).replace(microsecond=0) + dt.timedelta(hours=1)
    west = _slot(ctx, news, start, ("Thôn Tây",))
    east = _slot(ctx, news, start + dt.timedelta(minutes=30), ("Thôn Đông",))
    commune = _slot(ctx, news, start + dt.timedelta(minutes=60), ())

    heard_west = _spoken(jobs, west)
    assert "Họp thôn Đông" not in heard_west, (
        f"thôn Đông's notice never leads thôn Tây's slot: {heard_west}")
    assert heard_west == ["Lịch cắt điện", "Tin sáng"], (
        f"the commune-wide power cut leads a village's slot, the first that may carry it: {heard_west}")

    heard_east = _spoken(jobs, east)
    assert heard_east == ["Họp thôn Đông", "Tin sáng"], (
        f"thôn Đông's slot is led by its own notice; the power cut led once already: {heard_east}")

    heard_commune = _spoken(jobs, commune)
    assert heard_commune == ["Tin sáng"], (
        f"a village notice never leads a commune-wide slot (heard in every village): {heard_commune}")


def test_a_commune_notice_leads_the_commune_wide_slot_when_it_comes_first(
        ctx: Any, jobs: RenderJobs) -> None:
    with ctx.session() as session:
        add_zone(session, "Thôn Đông")
    news = _approved(ctx, "Tin sáng", "Bà con đi tiêm phòng.")
    _approved(ctx, "Họp thôn Đông", "Tối nay thôn Đông họp.", "priority", zone="Thôn Đông")
    _approved(ctx, "Lịch cắt điện", "Mai cắt điện toàn xã.", "priority")
    start = dt.datetime.now(UTC).replace(microsecond=0) + dt.timedelta(hours=1)
    commune = _slot(ctx, news, start, ())
    east = _slot(ctx, news, start + dt.timedelta(minutes=30), ("Thôn Đông",))
    assert _spoken(jobs, commune) == ["Lịch cắt điện", "Tin sáng"], "the commune-wide slot: only the power cut"
    assert _spoken(jobs, east) == ["Họp thôn Đông", "Tin sáng"], "the village notice waits for its village"
