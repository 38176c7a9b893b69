"""Programs rendered ahead with Google's voice, and the dashboard saying who will speak (issue 14).

gTTS is real; Google is the local fake (tests/fake_gtts.py). The renderer is the station
worker's own function, called in-process, so the planning is tested with real renders.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import pytest

from broadcaster import bulletins, prerender, schedule
from broadcaster.programs import cache_dir

if TYPE_CHECKING:
    from fake_gtts import FakeGtts

pytest_plugins = ["fake_gtts", "web_fixtures"]

TZ = "Asia/Ho_Chi_Minh"


@pytest.fixture
def ctx(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The station's default engines: Google first, espeak-ng as the fallback."""
    from broadcaster.context import open_context

    monkeypatch.setenv("BROADCASTER_TTS_ENGINES", "gtts,espeak")
    monkeypatch.setenv("BROADCASTER_STATION_RENDER_LEAD_S", "60")
    context = open_context(home)
    yield context
    context.dispose()


class InProcessRenderer:
    """The render worker's job function, without the process: what the station would render."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.jobs: list[tuple[int, bool]] = []
        self.stopped = False

    def render(self, what: str, ident: int, head_ids: list[int] | None = None, *,
               instant: dt.datetime | None = None, urgent: bool = False,
               background: bool = False) -> dict[str, Any]:
        from broadcaster.station.render import _render

        self.jobs.append((ident, background))
        deadline = instant.timestamp() if instant else None
        return _render(self.ctx, what, ident, list(head_ids or []), deadline, background)

    def stop(self) -> None:
        self.stopped = True


def _slot_in(ctx: Any, minutes: float, text: str, title: str = "Họp thôn") -> int:
    at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=minutes)
    local = at.astimezone(dt.timezone(dt.timedelta(hours=7)))
    with ctx.session() as session:
        bulletin = bulletins.add_bulletin(session, title=title, body=text)
        bulletins.transition(session, bulletin, "approve", None)
        slot = schedule.add_slot(session, items=[schedule.ItemSpec("bulletin", bulletin.id)],
                                 default_tz=TZ, at_local=local.strftime("%Y-%m-%d %H:%M:%S"),
                                 greeting=False, allow_conflict=True)
        return slot.id


def _prerenderer(ctx: Any, renderer: InProcessRenderer) -> prerender.Prerenderer:
    return prerender.Prerenderer(ctx.session, ctx.settings, None, lambda: renderer,
                                 lambda: dt.datetime.now(dt.timezone.utc))


def _voices(ctx: Any, slot_id: int) -> list[prerender.ItemVoice]:
    with ctx.session() as session:
        return prerender.voices_by_slot(session, ctx.settings, [(slot_id, [])])[slot_id]


def test_approved_and_scheduled_is_rendered_ahead_with_gtts(ctx: Any, fake_gtts: FakeGtts) -> None:
    slot_id = _slot_in(ctx, 90, "Thôn Đông họp lúc 19h30 tại nhà văn hóa.")
    assert [(v.engine, v.ready) for v in _voices(ctx, slot_id)] == [("gtts", False)]
    renderer = InProcessRenderer(ctx)
    assert _prerenderer(ctx, renderer).run_once() == [slot_id]
    assert renderer.jobs == [(slot_id, True)], "a background job"
    assert renderer.stopped, "the pre-render's worker is stopped after its pass"
    assert [(v.engine, v.ready, v.fallback) for v in _voices(ctx, slot_id)] == [("gtts", True, False)]
    assert _prerenderer(ctx, renderer).run_once() == [], "nothing left to do"

    fake_gtts.status = 500  # the network is gone at air time
    from broadcaster.station.render import _render

    aired = _render(ctx, "slot", slot_id, [], time.time() + 5)  # the station's render, 5 s ahead
    assert {i["engine"] for i in aired["items"] if i["kind"] == "speech"} == {"gtts"}, (
        "the outage at air time still airs Google's voice")


def test_the_priority_bulletin_leading_an_airing_is_made_ahead_in_googles_voice_too(
        ctx: Any, fake_gtts: FakeGtts) -> None:
    """A fresh priority notice leads the next airing (the station adds it at render time): it is
    the most urgent text of the programme, so it is forecast and made ahead like the rest, and an
    outage at air time still reads it in Google's voice."""
    slot_id = _slot_in(ctx, 90, "Thôn Đông họp lúc 19h30 tại nhà văn hóa.")
    with ctx.session() as session:
        notice = bulletins.add_bulletin(session, title="Lịch cắt điện",
                                        body="Điện lực thông báo cắt điện từ 7 giờ đến 11 giờ sáng mai.",
                                        priority="priority")
        bulletins.transition(session, notice, "approve", None)
        notice_id = notice.id
    renderer = InProcessRenderer(ctx)
    assert _prerenderer(ctx, renderer).run_once() == [slot_id]
    with ctx.session() as session:
        voices = prerender.voices_by_slot(session, ctx.settings, [(slot_id, [notice_id])])[slot_id]
    assert [(v.title, v.engine, v.ready) for v in voices] == [
        ("Lịch cắt điện", "gtts", True), ("Họp thôn", "gtts", True)], voices

    fake_gtts.status = 500
    from broadcaster.station.render import _render

    aired = _render(ctx, "slot", slot_id, [notice_id], time.time() + 5)
    speech = [(i["title"], i["engine"]) for i in aired["items"] if i["kind"] == "speech"]
    assert {title for title, _ in speech} >= {"Lịch cắt điện", "Họp thôn"}, speech
    assert {engine for _, engine in speech} == {"gtts"}, speech


def test_airings_within_the_render_lead_are_left_to_the_station(ctx: Any, fake_gtts: FakeGtts) -> None:
    _slot_in(ctx, 0.5, "Họp gấp lúc 9 giờ.")  # 30 s ahead, render lead 60 s
    assert _prerenderer(ctx, InProcessRenderer(ctx)).run_once() == []


def test_a_fallback_voice_is_upgraded_once_gtts_answers(ctx: Any, fake_gtts: FakeGtts) -> None:
    slot_id = _slot_in(ctx, 120, "Mời bà con đi tiêm vắc xin sởi cho trẻ.")
    fake_gtts.status = 500
    renderer = InProcessRenderer(ctx)
    assert _prerenderer(ctx, renderer).run_once() == [slot_id]
    voices = _voices(ctx, slot_id)
    assert [(v.engine, v.ready, v.fallback) for v in voices] == [("espeak", True, True)]
    assert prerender.warnings(voices), "the dashboard warns"
    fake_gtts.status = 200
    from gtts_breaker import cooldown_passes

    cooldown_passes(cache_dir(ctx.settings))  # the 5xx opened the breaker; its cooldown ends
    assert _prerenderer(ctx, renderer).run_once() == [slot_id]
    assert [(v.engine, v.fallback) for v in _voices(ctx, slot_id)] == [("gtts", False)]


def test_open_breaker_forecasts_the_fallback_and_skips_useless_upgrades(
        ctx: Any, fake_gtts: FakeGtts) -> None:
    from audio import tts

    slot_id = _slot_in(ctx, 120, "Lịch cắt điện ngày mai.")
    tts._trip_breaker("gtts", cache_dir(ctx.settings), 300, "thử nghiệm")
    voices = _voices(ctx, slot_id)
    assert [(v.engine, v.ready, v.fallback) for v in voices] == [("espeak", False, True)]
    renderer = InProcessRenderer(ctx)
    assert _prerenderer(ctx, renderer).run_once() == [slot_id], "rendered now, with espeak-ng"
    assert fake_gtts.requests == [], "gTTS is not tried while its breaker is open"
    assert _prerenderer(ctx, renderer).run_once() == [], (
        "no re-render every pass while gTTS cannot replace the fallback")


def test_dashboard_shows_the_engine_of_each_item_and_warns(
        ctx: Any, web_app: Any, login_as: Any, fake_gtts: FakeGtts) -> None:
    from audio import tts

    slot_id = _slot_in(ctx, 20, "Thôn Tây họp lúc 20h.", title="Họp thôn Tây")
    office = login_as("office")
    body = office.get("/").get_data(as_text=True)
    assert "Giọng đọc:" in body and "giọng Google, chưa dựng" in body, body[:3000]
    assert "giọng dự phòng" not in body
    tts._trip_breaker("gtts", cache_dir(ctx.settings), 300, "mất mạng")
    body = office.get("/").get_data(as_text=True)
    assert "giọng máy (dự phòng), chưa dựng" in body
    assert "Cảnh báo: “Họp thôn Tây” sẽ đọc bằng giọng máy dự phòng" in body
    assert "espeak" not in body.lower(), "the program's name is not a word the team knows"
    with ctx.session() as session:
        at = session.get(schedule.Slot, slot_id).at_utc  # type: ignore[union-attr]
    tz = dt.timezone(dt.timedelta(hours=7))
    if at.astimezone(tz).date() == dt.datetime.now(tz).date():
        assert "giọng dự phòng</span>" in body, "today's timeline marks the airing too"
