"""Changing the rundown of an airing already rendered renders it again (issue 12), with the real
station daemon on a PulseAudio null sink: the evidence lists the items in the new order."""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import pytest
from station_helpers import (
    StationProcess,
    add_once,
    approved_bulletin,
    entry_for,
    key_of,
    now,
    occurrence,
    wait_for,
)

pytest_plugins = ["station_fixtures"]

pytestmark = [pytest.mark.sound, pytest.mark.slow]


def test_reordered_rundown_of_a_rendered_airing_is_rendered_again_and_aired_so(
        ctx: Any, station: Callable[..., StationProcess]) -> None:
    from broadcaster import schedule

    first = approved_bulletin(ctx, "Bà con chú ý tin thứ nhất.", title="Tin thứ nhất")
    second = approved_bulletin(ctx, "Bà con chú ý tin thứ hai.", title="Tin thứ hai")
    at = now() + dt.timedelta(seconds=14)
    slot_id = add_once(ctx, first, at)
    with ctx.session() as session:
        slot = schedule.get_slot(session, slot_id)
        schedule.set_items(session, slot, [schedule.ItemSpec("bulletin", bulletin_id=first),
                                           schedule.ItemSpec("bulletin", bulletin_id=second)],
                           default_tz="Asia/Ho_Chi_Minh", allow_conflict=True)
    st = station()  # render lead 10 s: it renders the airing within a few seconds
    rendered = wait_for(lambda: (o := occurrence(ctx, slot_id)) and o.render_sha256 and o, 12,
                        "the first render")
    before = rendered.render_sha256
    with ctx.session() as session:
        slot = schedule.get_slot(session, slot_id)
        schedule.set_items(session, slot, [schedule.ItemSpec("bulletin", bulletin_id=second),
                                           schedule.ItemSpec("bulletin", bulletin_id=first)],
                           default_tz="Asia/Ho_Chi_Minh", allow_conflict=True)
    again = wait_for(lambda: (o := occurrence(ctx, slot_id)) and o.render_sha256 not in (None, before) and o,
                     10, "the render after the change")
    assert again.render_sha256 != before
    entry = wait_for(lambda: entry_for(ctx, key_of(slot_id, at)), 40, "the evidence entry")
    assert entry.status == "completed", (entry.reason, st.output())
    spoken = [item["title"] for item in entry.items if item["kind"] == "speech" and item["title"] != "Lời chào"]
    assert spoken == ["Tin thứ hai", "Tin thứ nhất"], entry.items
