"""Google's voice whenever it can be had, espeak-ng in time when it cannot (issue 14).

gTTS is real and unpatched; the network is either the local fake of Google (tests/fake_gtts.py)
or a black hole that connects and never answers (tests/black_hole.py).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from gtts_breaker import cooldown_passes

from audio.compose import ProgramItem, RenderSettings, render_program, speech_voices
from audio.tts import SpeechSettings, breaker_reason, cached_engine, synthesize

if TYPE_CHECKING:
    from black_hole import BlackHole
    from fake_gtts import FakeGtts

pytest_plugins = ["fake_gtts", "black_hole"]

#: What the station uses by default: 10 s per request, two retries (three tries in all).
DEFAULTS = SpeechSettings(engines=("gtts", "espeak"))


def test_black_hole_costs_one_short_wait_not_three_timeouts(
        black_hole: BlackHole, tmp_path: Path) -> None:
    started = time.monotonic()
    speech = synthesize("Bão số ba đang tiến vào đất liền.", DEFAULTS, tmp_path,
                        deadline=time.time() + 8)  # a broadcast added 8 s ahead
    elapsed = time.monotonic() - started
    assert speech.engine == "espeak"
    # 8 s ahead leaves gTTS 8 - 5 (espeak reserve) = 3 s; before issue 14 this took 31.5 s
    assert elapsed < 5.0, f"ready well before air time, took {elapsed:.1f} s"
    assert black_hole.accepted >= 1, "gTTS was tried"
    assert breaker_reason("gtts", tmp_path), "the first timeout opens the breaker"

    started = time.monotonic()
    again = synthesize("Bà con chú ý giữ an toàn.", DEFAULTS, tmp_path)
    assert again.engine == "espeak" and time.monotonic() - started < 2.0, (
        "while the breaker is open gTTS is not tried at all")


def test_total_gtts_budget_bounds_a_render_without_deadline(
        black_hole: BlackHole, tmp_path: Path) -> None:
    settings = SpeechSettings(engines=("gtts", "espeak"), gtts_budget_s=1.5)
    text = " ".join(f"Câu số {n} của bản tin dài, đọc cho bà con trong thôn nghe rõ." for n in range(8))
    started = time.monotonic()
    synthesize(text, SpeechSettings(engines=("espeak",)), tmp_path / "espeak-only")
    espeak_s = time.monotonic() - started  # what espeak-ng alone takes on this machine now
    started = time.monotonic()
    speech = synthesize(text, settings, tmp_path)
    elapsed = time.monotonic() - started
    assert speech.engine == "espeak"
    assert black_hole.accepted >= 2, "the pieces were asked for in parallel"
    assert elapsed < 1.5 + espeak_s + 1.5, (
        f"gTTS had 1.5 s in all for its 8 pieces, espeak-ng alone {espeak_s:.1f} s; "
        f"took {elapsed:.1f} s")


def test_air_time_near_goes_to_espeak_at_once(fake_gtts: FakeGtts, tmp_path: Path) -> None:
    speech = synthesize("Mời bà con đi họp.", DEFAULTS, tmp_path, deadline=time.time() + 3)
    assert speech.engine == "espeak"
    assert fake_gtts.requests == [], "3 s before air time is within the espeak reserve (5 s)"
    assert not breaker_reason("gtts", tmp_path), "not reaching air time is not a network fault"


def test_a_cached_gtts_voice_airs_even_when_the_deadline_is_now(
        fake_gtts: FakeGtts, tmp_path: Path) -> None:
    first = synthesize("Lịch tiêm chủng tháng này.", DEFAULTS, tmp_path)
    assert first.engine == "gtts"
    fake_gtts.status = 500
    at_air_time = synthesize("Lịch tiêm chủng tháng này.", DEFAULTS, tmp_path, deadline=time.time())
    assert at_air_time.engine == "gtts" and at_air_time.audio_sha256 == first.audio_sha256


def test_upgrade_replaces_a_fallback_voice_once_gtts_answers(
        fake_gtts: FakeGtts, tmp_path: Path) -> None:
    fake_gtts.status = 500
    text = "Thôn Đông họp lúc bảy giờ tối."
    assert synthesize(text, DEFAULTS, tmp_path).engine == "espeak"
    assert cached_engine(text, DEFAULTS, tmp_path) == "espeak"
    fake_gtts.status = 200
    cooldown_passes(tmp_path)  # the 5xx opened the breaker; Google answers again after it
    assert synthesize(text, DEFAULTS, tmp_path).engine == "espeak", (
        "an ordinary render keeps the cached audio (the evidence does not change under it)")
    assert synthesize(text, DEFAULTS, tmp_path, upgrade=True).engine == "gtts"
    assert cached_engine(text, DEFAULTS, tmp_path) == "gtts"
    assert synthesize(text, DEFAULTS, tmp_path).engine == "gtts", "and air time finds it"


def test_upgrade_keeps_the_fallback_when_gtts_still_fails(
        fake_gtts: FakeGtts, tmp_path: Path) -> None:
    fake_gtts.status = 500
    text = "Mất điện từ tám giờ sáng."
    first = synthesize(text, DEFAULTS, tmp_path)
    again = synthesize(text, DEFAULTS, tmp_path, upgrade=True)
    assert again.engine == "espeak" and again.audio_sha256 == first.audio_sha256


def test_program_upgrade_and_voices(fake_gtts: FakeGtts, tmp_path: Path) -> None:
    settings = RenderSettings(speech=DEFAULTS, gap_s=0.2)
    items = [ProgramItem(kind="speech", title="Lời chào"),
             ProgramItem(kind="speech", title="Họp thôn", text="Thôn Tây họp lúc 19h30.")]
    assert [v.engine for v in speech_voices(items, settings, tmp_path)] == [None, None]
    fake_gtts.status = 500
    down = render_program(items, settings, tmp_path)
    assert {r.engine for r in down.items if r.kind == "speech"} == {"espeak"}
    assert [v.engine for v in speech_voices(items, settings, tmp_path)] == ["espeak", "espeak"]
    fake_gtts.status = 200
    cooldown_passes(tmp_path)
    assert render_program(items, settings, tmp_path).cached, "air time: the render is cached"
    up = render_program(items, settings, tmp_path, upgrade=True)
    assert not up.cached and {r.engine for r in up.items if r.kind == "speech"} == {"gtts"}
    after = render_program(items, settings, tmp_path)
    assert after.cached and after.sha256 == up.sha256, "air time then finds the gTTS program"
    assert [v.engine for v in speech_voices(items, settings, tmp_path)] == ["gtts", "gtts"]
