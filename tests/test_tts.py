"""Speech engines: gTTS against a local fake of Google, espeak-ng for real, fallback and cache."""

from __future__ import annotations

import hashlib
import json
import time
import wave
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from gtts_breaker import cooldown_passes

from audio import tts
from audio.audiofile import peak_dbfs, sha256_file
from audio.engines_espeak import EspeakEngine
from audio.engines_gtts import GttsEngine
from audio.tts import SpeechSettings, SynthesisError, split_text, synthesize

if TYPE_CHECKING:
    from fake_gtts import FakeGtts

BULLETIN = (
    "Ủy ban nhân dân xã thông báo lịch tiêm phòng cho đàn gia cầm. "
    "Thời gian từ bảy giờ đến mười một giờ sáng thứ bảy. "
    "Đề nghị bà con đưa gia cầm đến nhà văn hóa thôn đúng giờ!"
)
GTTS_FIRST = SpeechSettings(engines=("gtts", "espeak"), gtts_timeout_s=2.0, gtts_retries=1)
ESPEAK_ONLY = SpeechSettings(engines=("espeak",))

#: The fake Google endpoint (fixtures fake_gtts, fake_gtts_audio), reusable by any test module.
pytest_plugins = ["fake_gtts"]


def assert_speech_wav(path: Path) -> float:
    """The cache format the rest of the pipeline relies on; returns the duration."""
    assert path.is_file(), f"{path} missing"
    with wave.open(str(path), "rb") as wav:
        fmt = (wav.getframerate(), wav.getnchannels(), wav.getsampwidth())
        seconds = wav.getnframes() / wav.getframerate()
    assert fmt == (44100, 1, 2), f"{path.name}: expected 44100 Hz mono s16, got {fmt}"
    assert seconds > 0.3, f"{path.name}: only {seconds:.2f} s of audio"
    assert peak_dbfs(path) > -30, f"{path.name}: audio is (nearly) silent"
    return seconds


def leftovers(cache_dir: Path) -> list[Path]:
    """Temporary or empty files in the cache: what a crash-safe writer never leaves."""
    speech = cache_dir / "speech"
    if not speech.exists():
        return []
    return [
        p
        for p in speech.rglob("*")
        if p.is_file() and (p.name.startswith(".") or p.stat().st_size == 0)
    ]


def count_calls(monkeypatch: pytest.MonkeyPatch, engine_cls: type) -> list[str]:
    """Record every text an engine class is asked to synthesise (still synthesising it)."""
    calls: list[str] = []
    original = engine_cls.synthesize

    def counting(self, text, rate, dest):  # type: ignore[no-untyped-def]
        calls.append(text)
        return original(self, text, rate, dest)

    monkeypatch.setattr(engine_cls, "synthesize", counting)
    return calls


# --- gTTS through the fake endpoint -------------------------------------------------------


def test_gtts_success_records_engine_hashes_and_format(fake_gtts: FakeGtts, tmp_path: Path) -> None:
    text = "Xin chào bà con."
    speech = synthesize(text, GTTS_FIRST, tmp_path)

    assert speech.engine == "gtts", speech
    assert speech.voice == "vi-com.vn", speech
    assert speech.text_sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert speech.audio_sha256 == sha256_file(speech.path)
    assert speech.path.parent == tmp_path / "speech", speech.path
    seconds = assert_speech_wav(speech.path)
    assert speech.seconds == pytest.approx(seconds, abs=0.01)
    assert [(r.text, r.lang, r.host) for r in fake_gtts.requests] == [
        (text, "vi", "translate.google.com.vn")
    ], "gTTS must ask for Vietnamese, on the configured Google host, exactly once"
    assert leftovers(tmp_path) == []


def test_long_text_is_split_into_several_requests_made_in_parallel(
    fake_gtts: FakeGtts, tmp_path: Path
) -> None:
    fake_gtts.delay_s = 0.4  # each request takes 0.4 s: four in series would take 1.6 s
    text = " ".join(
        f"Thôn {name} họp lúc bảy giờ tối tại nhà văn hóa để bàn việc làm đường liên thôn."
        for name in ("Đông", "Tây", "Nam", "Bắc")
    )
    assert len(text) > 300

    started = time.monotonic()
    speech = synthesize(text, GTTS_FIRST, tmp_path)
    elapsed = time.monotonic() - started

    assert speech.engine == "gtts"
    sent = fake_gtts.texts()
    assert len(sent) >= 4, f"expected one request per sentence at least, got {sent}"
    assert all(len(t) <= 100 for t in sent), "gTTS sends at most 100 characters per request"
    assert sorted(" ".join(sent).split()) == sorted(text.split()), "every word must be spoken once"
    assert elapsed < 1.3, f"sentences should be fetched in parallel; took {elapsed:.2f} s"
    one_clip = assert_speech_wav(
        tmp_path / "speech" / f"{tts.cache_key(sent[0], 'gtts', 'vi-com.vn', 1.0)}.wav"
    )
    total = assert_speech_wav(speech.path)
    assert total > 4 * one_clip, f"joined file ({total:.2f} s) must hold four clips and pauses"


def test_http_500_retries_then_falls_back_to_espeak(fake_gtts: FakeGtts, tmp_path: Path) -> None:
    fake_gtts.status = 500
    speech = synthesize("Mất điện từ tám giờ sáng.", GTTS_FIRST, tmp_path)

    assert speech.engine == "espeak", "espeak-ng must take over when gTTS fails"
    assert speech.voice == "vi"
    assert_speech_wav(speech.path)
    assert len(fake_gtts.requests) == 2, "one try and one retry (gtts_retries=1)"
    assert leftovers(tmp_path) == [], "a failed gTTS must leave no 0-byte or temporary file"


def test_transient_500_is_retried_and_gtts_still_wins(fake_gtts: FakeGtts, tmp_path: Path) -> None:
    fake_gtts.fail_first = 1
    speech = synthesize("Mời bà con đi họp.", GTTS_FIRST, tmp_path)
    assert speech.engine == "gtts", "a single 5xx is transient: the retry must succeed"
    assert len(fake_gtts.requests) == 2


def test_timeout_falls_back_quickly(fake_gtts: FakeGtts, tmp_path: Path) -> None:
    fake_gtts.delay_s = 30  # a stalled Google; gTTS's own default would wait forever
    settings = SpeechSettings(engines=("gtts", "espeak"), gtts_timeout_s=0.3, gtts_retries=1)

    started = time.monotonic()
    speech = synthesize("Trời sắp mưa to, bà con chú ý.", settings, tmp_path)
    elapsed = time.monotonic() - started

    assert speech.engine == "espeak"
    assert elapsed < 3.0, f"one timeout of 0.3 s, then espeak-ng, yet took {elapsed:.1f} s"
    assert len(fake_gtts.requests) == 1, "a request that got no answer is not retried"


def test_silent_audio_is_a_failure(fake_gtts: FakeGtts, tmp_path: Path) -> None:
    fake_gtts.mp3 = fake_gtts.silent_mp3
    speech = synthesize("Xin chào bà con.", GTTS_FIRST, tmp_path)
    assert speech.engine == "espeak", "a silent gTTS answer must be rejected, not aired"

    with pytest.raises(SynthesisError) as caught:
        synthesize("Một câu khác.", SpeechSettings(engines=("gtts",)), tmp_path / "only")
    assert "im lặng" in str(caught.value), str(caught.value)
    assert not list((tmp_path / "only").rglob("*.wav")), "no file may be cached for silence"


def test_every_engine_failing_names_each_reason(
    fake_gtts: FakeGtts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_gtts.status = 503
    monkeypatch.setattr(EspeakEngine, "available", lambda self: False)
    with pytest.raises(SynthesisError) as caught:
        synthesize("Xin chào.", GTTS_FIRST, tmp_path)
    message = str(caught.value)
    assert message.startswith("Không tạo được giọng đọc"), message
    assert "gtts: " in message and "HTTP 503" in message, message
    assert "espeak: chưa cài đặt" in message, message
    assert leftovers(tmp_path) == []


def test_gtts_rate_changes_tempo(fake_gtts: FakeGtts, tmp_path: Path) -> None:
    normal = synthesize("Xin chào.", GTTS_FIRST, tmp_path)
    slow = synthesize("Xin chào.", SpeechSettings(engines=("gtts",), rate=0.8), tmp_path)
    assert slow.engine == normal.engine == "gtts"
    assert slow.path != normal.path, "rate is part of the cache key"
    assert slow.seconds == pytest.approx(normal.seconds / 0.8, rel=0.08), (slow, normal)


# --- the cache -----------------------------------------------------------------------------


def test_cache_hit_makes_no_request(fake_gtts: FakeGtts, tmp_path: Path) -> None:
    first = synthesize(BULLETIN, GTTS_FIRST, tmp_path)
    made = len(fake_gtts.requests)
    second = synthesize(BULLETIN, GTTS_FIRST, tmp_path)

    assert len(fake_gtts.requests) == made, "the same text must never be synthesised twice"
    assert second == first


def test_edited_bulletin_only_resynthesises_the_changed_sentence(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = count_calls(monkeypatch, EspeakEngine)
    synthesize(BULLETIN, ESPEAK_ONLY, tmp_path)
    assert len(calls) == 3, calls
    edited = BULLETIN.replace("thứ bảy", "chủ nhật")
    synthesize(edited, ESPEAK_ONLY, tmp_path)
    assert calls[3:] == ["Thời gian từ bảy giờ đến mười một giờ sáng chủ nhật."], (
        "only the edited sentence is new"
    )
    synthesize(BULLETIN, ESPEAK_ONLY, tmp_path)
    assert len(calls) == 4, "a cached bulletin makes no engine call at all"


def test_cache_is_looked_up_for_every_engine_before_synthesising(
    fake_gtts: FakeGtts, tmp_path: Path
) -> None:
    fake_gtts.status = 500
    fallback = synthesize("Xin chào bà con.", GTTS_FIRST, tmp_path)
    assert fallback.engine == "espeak"
    fake_gtts.status = 200
    tried = len(fake_gtts.requests)

    again = synthesize("Xin chào bà con.", GTTS_FIRST, tmp_path)
    assert again == fallback, "the aired audio must not change once it exists"
    assert len(fake_gtts.requests) == tried, "no gTTS request when any engine's file is cached"


def test_unreadable_cache_file_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = synthesize("Xin chào.", ESPEAK_ONLY, tmp_path)
    first.path.write_bytes(b"not a wav")
    calls = count_calls(monkeypatch, EspeakEngine)
    again = synthesize("Xin chào.", ESPEAK_ONLY, tmp_path)
    assert calls == ["Xin chào."], "a corrupt cache file must be made again"
    assert again.audio_sha256 == first.audio_sha256, "espeak-ng output is deterministic"


# --- espeak-ng -----------------------------------------------------------------------------


@pytest.mark.parametrize("voice", ["vi", "vi-vn-x-central", "vi-vn-x-south"])
def test_espeak_voices(voice: str, tmp_path: Path) -> None:
    speech = synthesize(BULLETIN, SpeechSettings(engines=("espeak",), voice=voice), tmp_path)
    assert (speech.engine, speech.voice) == ("espeak", voice)
    seconds = assert_speech_wav(speech.path)
    assert 6 < seconds < 30, f"{len(BULLETIN)} characters read in {seconds:.1f} s"


def test_espeak_voices_differ_and_rate_changes_duration(tmp_path: Path) -> None:
    hashes = {
        synthesize(
            "Xin chào bà con.", SpeechSettings(engines=("espeak",), voice=v), tmp_path
        ).audio_sha256
        for v in ("vi", "vi-vn-x-central", "vi-vn-x-south")
    }
    assert len(hashes) == 3, "the three regional voices must sound different"
    slow = synthesize(BULLETIN, SpeechSettings(engines=("espeak",), rate=0.8), tmp_path)
    fast = synthesize(BULLETIN, SpeechSettings(engines=("espeak",), rate=1.2), tmp_path)
    assert slow.seconds > fast.seconds * 1.2, (slow.seconds, fast.seconds)


# --- bad input and settings ----------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t ", "... !?"])
def test_empty_text_is_rejected_in_vietnamese(text: str, tmp_path: Path) -> None:
    with pytest.raises(SynthesisError) as caught:
        synthesize(text, ESPEAK_ONLY, tmp_path)
    assert "trống" in str(caught.value) or "rỗng" in str(caught.value), str(caught.value)
    assert not list(tmp_path.rglob("*.*")), "nothing may be written for empty input"


def test_text_over_the_limit_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(SynthesisError) as caught:
        synthesize("Xin chào bà con. " * 1500, ESPEAK_ONLY, tmp_path)
    assert "20000" in str(caught.value).replace(".", "").replace(",", ""), str(caught.value)
    assert not list(tmp_path.rglob("*.*"))


def test_bad_settings_are_refused_with_vietnamese_messages() -> None:
    with pytest.raises(ValueError, match="Bộ đọc không được hỗ trợ"):
        SpeechSettings(engines=("piper",))
    with pytest.raises(ValueError, match="Giọng đọc không hợp lệ"):
        SpeechSettings(voice="en")
    with pytest.raises(ValueError, match="Tốc độ đọc"):
        SpeechSettings(rate=2.0)
    assert SpeechSettings(engines=["espeak"]).engines == ("espeak",), "lists from config accepted"


def test_available_engines_reports_installed_programs() -> None:
    assert tts.available_engines() == {"gtts": True, "espeak": True}


def test_gtts_engine_passes_its_timeout() -> None:
    """gTTS's default timeout is None (wait forever): ours must always be explicit."""
    from audio.engines_gtts import _gtts_has_timeout

    assert _gtts_has_timeout(), "the installed gTTS accepts timeout="
    assert GttsEngine(timeout_s=3).timeout_s == 3


# --- sentence splitting --------------------------------------------------------------------


def test_split_at_sentence_boundaries_with_pauses() -> None:
    chunks = split_text("Câu một. Câu hai!\nCâu ba; câu bốn? Câu năm")
    assert [c.text for c in chunks] == ["Câu một.", "Câu hai!", "Câu ba;", "câu bốn?", "Câu năm"]
    pauses = [c.pause_s for c in chunks]
    assert pauses[1] > pauses[0] > pauses[2] > 0, f"newline > sentence > semicolon: {pauses}"
    assert pauses[-1] == 0, "no pause after the last piece"


def test_long_sentence_is_split_at_commas_then_words() -> None:
    clause = "bà con thôn Đông mang theo giấy tờ tùy thân và sổ hộ khẩu"
    sentence = ", ".join([clause] * 8) + "."
    words = " ".join(["xã"] * 300)
    chunks = split_text(sentence + " " + words)
    assert all(len(c.text) <= 200 for c in chunks), [len(c.text) for c in chunks]
    assert " ".join(c.text for c in chunks).split() == (sentence + " " + words).split()
    assert chunks[0].text.endswith(","), "the first cut must be at a comma"


def test_split_drops_pieces_without_words() -> None:
    assert [c.text for c in split_text("Xin chào. ... !! Tạm biệt.")] == ["Xin chào.", "Tạm biệt."]


def test_sentence_repeated_in_one_bulletin_is_made_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = count_calls(monkeypatch, EspeakEngine)
    speech = synthesize("Bà con chú ý. Mất điện sáng mai. Bà con chú ý.", ESPEAK_ONLY, tmp_path)
    assert sorted(calls) == ["Bà con chú ý.", "Mất điện sáng mai."], calls
    single = synthesize("Bà con chú ý.", ESPEAK_ONLY, tmp_path)
    assert speech.seconds > 2 * single.seconds, "the repeated sentence must still be heard twice"


def test_messy_text_is_read_cleanly(tmp_path: Path) -> None:
    """Text without diacritics, with emoji and control characters: a reading, never a crash."""
    speech = synthesize("Xin chao ba con \U0001f600\x07 hop luc 7 gio.\x00", ESPEAK_ONLY, tmp_path)
    assert speech.engine == "espeak"
    assert_speech_wav(speech.path)
    assert leftovers(tmp_path) == []


def test_dead_gtts_costs_one_piece_of_retries_not_every_piece(
    fake_gtts: FakeGtts, tmp_path: Path
) -> None:
    fake_gtts.status = 500
    text = " ".join(
        f"Câu thông báo số {n} của ủy ban nhân dân xã."
        for n in "một hai ba bốn năm sáu bảy tám chín mười".split()
    )
    speech = synthesize(text, GTTS_FIRST, tmp_path)
    assert speech.engine == "espeak"
    # 10 pieces x 2 attempts would be 20 requests; 4 workers x 2 attempts at most is 8.
    assert len(fake_gtts.requests) <= 8, f"{len(fake_gtts.requests)} requests to a dead gTTS"


# --- gTTS unreachable: the circuit breaker -------------------------------------------------


def test_hanging_gtts_is_skipped_for_the_cooldown_then_tried_again(
    fake_gtts: FakeGtts, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A hanging network costs one render its timeouts; the next ones go straight to espeak-ng."""
    fake_gtts.delay_s = 30  # Google never answers
    settings = SpeechSettings(
        engines=("gtts", "espeak"), gtts_timeout_s=0.5, gtts_retries=1, gtts_cooldown_s=300
    )
    first = synthesize("Trời sắp mưa to.", settings, tmp_path)
    assert first.engine == "espeak"
    tried = len(fake_gtts.requests)
    assert tried == 1, f"the first render tries gTTS once; a timeout is not retried: {tried}"
    breaker = tmp_path / "gtts-unreachable.json"
    assert breaker.is_file(), "the breaker is kept in the cache folder, for other processes"

    caplog.set_level("WARNING", logger="audio.tts")
    started = time.monotonic()
    second = synthesize("Bà con chú ý giữ an toàn.", settings, tmp_path)
    elapsed = time.monotonic() - started
    assert second.engine == "espeak"
    assert len(fake_gtts.requests) == tried, "no request to gTTS while the breaker is open"
    assert elapsed < 0.5, f"straight to espeak-ng, no timeout waited: {elapsed:.2f} s"
    assert any("bộ đọc gtts: tạm bỏ qua đến" in r.getMessage() for r in caplog.records), [
        r.getMessage() for r in caplog.records
    ]

    with pytest.raises(SynthesisError) as caught:  # the reason is told when gTTS is the only one
        synthesize("Một câu khác.", SpeechSettings(engines=("gtts",)), tmp_path)
    assert "tạm bỏ qua đến" in str(caught.value), str(caught.value)
    assert len(fake_gtts.requests) == tried

    fake_gtts.delay_s = 0  # the network is back, and the 300 s have passed:
    state = json.loads(breaker.read_text(encoding="utf-8"))
    breaker.write_text(json.dumps(dict(state, until=time.time() - 1)), encoding="utf-8")
    third = synthesize("Mời bà con đi họp.", settings, tmp_path)
    assert third.engine == "gtts", "after the cooldown gTTS is used again when reachable"
    assert len(fake_gtts.requests) == tried + 1
    assert not breaker.exists(), "a success closes the breaker"


def test_cooldown_expires_by_itself(fake_gtts: FakeGtts, tmp_path: Path) -> None:
    fake_gtts.delay_s = 30
    settings = SpeechSettings(
        engines=("gtts", "espeak"), gtts_timeout_s=0.3, gtts_retries=0, gtts_cooldown_s=0.8
    )
    assert synthesize("Câu thứ nhất.", settings, tmp_path).engine == "espeak"
    assert synthesize("Câu thứ hai.", settings, tmp_path).engine == "espeak"
    assert len(fake_gtts.requests) == 1, "skipped during the cooldown"
    fake_gtts.delay_s = 0
    time.sleep(0.9)
    assert synthesize("Câu thứ ba.", settings, tmp_path).engine == "gtts"


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_server_error_through_every_retry_opens_the_breaker(
    fake_gtts: FakeGtts, tmp_path: Path, status: int
) -> None:
    """Google answering 5xx (or 429) to a render's retries costs that render its backoff; the
    renders after it go straight to espeak-ng until the cooldown is over."""
    fake_gtts.status = status
    assert synthesize("Xin chào bà con.", GTTS_FIRST, tmp_path).engine == "espeak"
    tried = len(fake_gtts.requests)
    assert tried == 2, "one try and one retry before giving up"
    reason = tts.breaker_reason("gtts", tmp_path)
    assert f"HTTP {status}" in reason and "tạm bỏ qua đến" in reason, reason

    started = time.monotonic()
    assert synthesize("Bà con chú ý.", GTTS_FIRST, tmp_path).engine == "espeak"
    assert len(fake_gtts.requests) == tried, "no request to gTTS while the breaker is open"
    assert time.monotonic() - started < 0.5, "no backoff waited"

    fake_gtts.status = 200
    cooldown_passes(tmp_path)
    assert synthesize("Mời bà con đi họp.", GTTS_FIRST, tmp_path).engine == "gtts"
    assert not tts.breaker_reason("gtts", tmp_path), "a success closes the breaker"


def test_a_refused_request_does_not_open_the_breaker(fake_gtts: FakeGtts, tmp_path: Path) -> None:
    fake_gtts.status = 400  # this one request is refused: the next text may well be served
    assert synthesize("Xin chào.", GTTS_FIRST, tmp_path).engine == "espeak"
    assert len(fake_gtts.requests) == 1, "a 4xx is not retried"
    assert not tts.breaker_reason("gtts", tmp_path)


def test_a_single_server_error_does_not_open_the_breaker(fake_gtts: FakeGtts, tmp_path: Path) -> None:
    fake_gtts.fail_first = 1  # one 500, then Google answers: the retry wins, nothing to remember
    assert synthesize("Xin chào.", GTTS_FIRST, tmp_path).engine == "gtts"
    assert not tts.breaker_reason("gtts", tmp_path)


def test_connection_refused_opens_the_breaker(
    fake_gtts: FakeGtts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as closed:  # a port nobody listens on: connection refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{port}")
    assert synthesize("Xin chào.", GTTS_FIRST, tmp_path / "b").engine == "espeak"
    assert (tmp_path / "b" / "gtts-unreachable.json").is_file(), "no connection opens the breaker"


def test_cooldown_setting_is_wired_from_the_configuration(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from broadcaster.config import load_settings
    from broadcaster.programs import speech_settings

    assert speech_settings(load_settings(home)).gtts_cooldown_s == 300.0, "default 5 minutes"
    monkeypatch.setenv("BROADCASTER_TTS_GTTS_COOLDOWN_S", "42")
    assert speech_settings(load_settings(home)).gtts_cooldown_s == 42.0
    with pytest.raises(ValueError, match="gtts_cooldown_s"):
        SpeechSettings(gtts_cooldown_s=-1)


def _cut_wav(path: Path, frames: int = 44100, kept: int = 4410) -> Path:
    """A WAV whose header announces ``frames`` but holds ``kept`` (a full disk cut it)."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(44100)
        wav.writeframes(b"\x00\x40" * frames)
    with open(path, "r+b") as handle:
        handle.truncate(44 + kept * 2)
    return path


def test_a_speech_clip_cut_short_by_a_full_disk_is_rejected_and_made_again(tmp_path: Path) -> None:
    from audio.audiofile import AudioToolError, check_speech_audio

    clip = _cut_wav(tmp_path / "cut.wav")
    with wave.open(str(clip), "rb") as wav:
        assert wav.getnframes() == 44100, "the header still announces every frame"
    with pytest.raises(AudioToolError, match="bị cắt cụt"):
        check_speech_audio(clip)
    assert tts._cached(clip) is False, "not a cache hit"
    assert not clip.exists(), "discarded, so the next render makes it again"
    whole = tmp_path / "whole.wav"
    with wave.open(str(whole), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(44100)
        wav.writeframes(b"\x00\x40" * 4410)
    assert tts._cached(whole) is True
