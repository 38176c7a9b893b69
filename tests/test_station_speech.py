"""The station with gTTS behind a bad network (issue 14): on time first, Google's voice if it can.

The station runs as its own process (``python -m broadcaster station``) against the real
PulseAudio null sink, as in tests/test_station.py, with the same fixtures (station_fixtures.py)
and helpers (station_helpers.py).
gTTS is real: its traffic goes to a black hole (connects, never answers) or to the local fake.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import pytest
from station_helpers import (
    StationProcess,
    add_once,
    approved_bulletin,
    entry_for,
    key_of,
    now,
    wait_for,
    worker_ready,
)

if TYPE_CHECKING:
    from black_hole import BlackHole
    from fake_gtts import FakeGtts

pytest_plugins = ["fake_gtts", "black_hole", "station_fixtures"]

GTTS_FIRST = {"BROADCASTER_TTS_ENGINES": "gtts,espeak"}


@pytest.fixture
def ctx(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """This process reads the settings the station runs with: Google first, then espeak-ng."""
    from broadcaster.context import open_context

    monkeypatch.setenv("BROADCASTER_TTS_ENGINES", "gtts,espeak")
    context = open_context(home)
    yield context
    context.dispose()


def _speech_engines(entry: Any) -> set[str]:
    return {item["engine"] for item in entry.items if item["kind"] == "speech"}


def test_broadcast_added_8_s_ahead_airs_on_time_behind_a_black_hole(
        ctx: Any, station: Callable[..., StationProcess], black_hole: BlackHole) -> None:
    # The default gTTS settings (10 s timeout, two retries) used to cost 31.5 s here.
    st = station({**GTTS_FIRST, "HTTPS_PROXY": black_hole.url, "https_proxy": black_hole.url})
    wait_for(lambda: worker_ready(ctx), 30, "the render worker to be ready")
    bulletin_id = approved_bulletin(ctx, "Bão số ba đang vào gần bờ, bà con chằng chống nhà cửa.",
                                    "Tin bão")
    at = now() + dt.timedelta(seconds=8)
    slot_id = add_once(ctx, bulletin_id, at)
    entry = wait_for(lambda: entry_for(ctx, key_of(slot_id, at)), 30, "the broadcast's entry")
    assert entry.status == "completed", (entry.status, entry.reason)
    late = (entry.started_at - at).total_seconds()
    assert abs(late) < 0.1, f"on time behind a dead link: started {late:+.2f} s from schedule"
    assert _speech_engines(entry) == {"espeak"}, entry.items
    assert st.terminate() == 0, st.output()
    assert black_hole.accepted >= 1, f"gTTS was tried first: {st.output()}"
    assert "gTTS không trả lời" in st.output() or "sắp đến giờ phát" in st.output(), (
        "the log says why espeak-ng spoke")


def test_prerendered_gtts_voice_airs_through_an_outage_at_air_time(
        ctx: Any, station: Callable[..., StationProcess], fake_gtts: FakeGtts) -> None:
    # The fake's proxy address is in this process's environment (HTTPS_PROXY), which the
    # station inherits; the render lead is 10 s, so an airing 45 s ahead is pre-rendered (the
    # pre-render keeps out of the 15 s around the station's own render and the airing).
    bulletin_id = approved_bulletin(ctx, "Trạm Y tế xã tiêm vắc xin sởi cho trẻ vào sáng mai.",
                                    "Lịch tiêm chủng")
    at = now() + dt.timedelta(seconds=45)
    slot_id = add_once(ctx, bulletin_id, at)
    st = station(GTTS_FIRST)
    wait_for(lambda: fake_gtts.requests, 25, "the pre-render asking Google")
    from broadcaster import prerender

    def ready() -> bool:
        with ctx.session() as session:
            voices = prerender.voices_by_slot(session, ctx.settings, [(slot_id, [])]).get(slot_id, [])
        return bool(voices) and all(v.ready and v.engine == "gtts" for v in voices)

    wait_for(ready, 15, "the program pre-rendered with Google's voice")
    fake_gtts.status = 500  # the network fails before air time
    asked = len(fake_gtts.requests)
    entry = wait_for(lambda: entry_for(ctx, key_of(slot_id, at)), 60, "the broadcast's entry")
    assert entry.status == "completed", (entry.status, entry.reason)
    assert _speech_engines(entry) == {"gtts"}, f"Google's voice aired: {entry.items}"
    assert abs((entry.started_at - at).total_seconds()) < 0.1, entry.started_at
    assert len(fake_gtts.requests) == asked, "air time needed nothing from the network"
    assert st.terminate() == 0, st.output()
