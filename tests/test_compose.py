"""Programs as they air: order, durations, repeats, jingles, levels (ebur128), cache, formats."""
from __future__ import annotations

import hashlib
import json
import subprocess
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from audio import jingles, level
from audio.compose import (
    ProgramItem,
    RenderError,
    RenderSettings,
    bulletin_program,
    render_program,
)
from audio.tts import SpeechSettings

RATE = 44100
ESPEAK = SpeechSettings(engines=("espeak",))


def tone_wav(path: Path, freq: float, seconds: float, amp: float) -> Path:
    t = np.arange(int(round(seconds * RATE))) / RATE
    sig = amp * np.sin(2 * np.pi * freq * t)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.rint(sig * 32767).astype("<i2").tobytes())
    return path


def read(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE), \
            "playout format must be s16 mono 44100 Hz"
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768


def freq_at(samples: np.ndarray, start_s: float, length_s: float = 0.2) -> float:
    seg = samples[int(start_s * RATE): int((start_s + length_s) * RATE)]
    spectrum = np.abs(np.fft.rfft(seg * np.hanning(seg.size)))
    return float(np.fft.rfftfreq(seg.size, 1 / RATE)[int(np.argmax(spectrum))])


def rms_db(samples: np.ndarray, start_s: float, length_s: float) -> float:
    seg = samples[int(start_s * RATE): int((start_s + length_s) * RATE)]
    return 20 * np.log10(np.sqrt(np.mean(seg**2)) + 1e-12)


@pytest.fixture()
def settings() -> RenderSettings:
    return RenderSettings(speech=ESPEAK, gap_s=0.25)


# --- jingles ---------------------------------------------------------------------------------

def test_jingles_are_made_once_deterministic_and_distinct(tmp_path: Path) -> None:
    names = ["intro", "outro", "urgent", "intro:y tế", "outro:y tế", "intro:nông nghiệp"]
    first = {n: jingles.jingle_path(n, tmp_path / "a") for n in names}
    again = {n: jingles.jingle_path(n, tmp_path / "b") for n in names}
    digests = {n: hashlib.sha256(p.read_bytes()).hexdigest() for n, p in first.items()}
    for n in names:
        assert again[n].read_bytes() == first[n].read_bytes(), f"{n} is not deterministic"
        samples = read(first[n])
        assert 1.5 <= samples.size / RATE <= 4.0, f"{n} lasts {samples.size / RATE:.2f} s"
        assert np.max(np.abs(samples)) > 0.1, f"{n} is silent"
    assert len(set(digests.values())) == len(names), "every jingle must sound different"
    mtime = first["intro"].stat().st_mtime_ns
    jingles.jingle_path("intro", tmp_path / "a")
    assert first["intro"].stat().st_mtime_ns == mtime, "an existing jingle must not be rewritten"


def test_intro_rises_and_outro_falls(tmp_path: Path) -> None:
    intro = read(jingles.jingle_path("intro", tmp_path))
    outro = read(jingles.jingle_path("outro", tmp_path))
    assert freq_at(intro, 0.0, 0.15) < freq_at(intro, 0.9, 0.15), "intro should climb"
    assert freq_at(outro, 0.0, 0.15) > freq_at(outro, 0.9, 0.15), "outro should descend"


def test_unknown_jingle_is_refused_in_vietnamese(tmp_path: Path) -> None:
    with pytest.raises(jingles.JingleError, match="Không có nhạc hiệu"):
        jingles.jingle_path("fanfare", tmp_path)
    with pytest.raises(RenderError, match="Không có nhạc hiệu"):
        render_program([ProgramItem(kind="jingle", jingle="urgent:x")],
                       RenderSettings(speech=ESPEAK), tmp_path)


# --- the bulletin template ---------------------------------------------------------------------

def test_bulletin_program_shapes() -> None:
    normal = bulletin_program("Lịch họp", "Họp thôn lúc tám giờ.", category="y tế", repeats=3)
    assert [(i.kind, i.jingle) for i in normal] == [
        ("jingle", "intro:y tế"), ("speech", None), ("speech", None), ("jingle", "outro:y tế")]
    assert normal[1].text is None, "greeting comes from the settings"
    assert normal[2].repeat == 1, "a normal bulletin is read once"
    assert normal[2].text == "Họp thôn lúc tám giờ." and normal[2].title == "Lịch họp"
    urgent = bulletin_program("Bão số 3", "Bão số 3 đang vào.", priority="emergency", repeats=3)
    assert urgent[0].jingle == "urgent" and urgent[2].repeat == 3
    prio = bulletin_program("Tiêm phòng", "x", priority="priority", repeats=2, greeting=False)
    assert [i.kind for i in prio] == ["jingle", "speech", "jingle"] and prio[1].repeat == 2
    with pytest.raises(RenderError, match="ưu tiên"):
        bulletin_program("a", "b", priority="khẩn")
    with pytest.raises(RenderError, match="Số lần đọc"):
        bulletin_program("a", "b", repeats=0)


# --- order, durations, repeats -----------------------------------------------------------------

def test_items_sit_in_order_with_right_durations(tmp_path: Path, settings: RenderSettings) -> None:
    a = tone_wav(tmp_path / "a.wav", 440, 1.0, 0.3)
    b = tone_wav(tmp_path / "b.wav", 880, 0.8, 0.05)  # quiet: levelling must lift it
    c = tone_wav(tmp_path / "c.wav", 1320, 1.2, 0.9)
    items = [
        ProgramItem(kind="recording", title="A", path=a),
        ProgramItem(kind="recording", title="B", path=b),
        ProgramItem(kind="pause", seconds=0.5),
        ProgramItem(kind="recording", title="C", path=c),
    ]
    result = render_program(items, settings, tmp_path / "cache")
    samples = read(result.path)
    # A, gap 0.25, B, pause 0.5 (no gap around a pause), C
    expected = 1.0 + 0.25 + 0.8 + 0.5 + 1.2
    assert result.seconds == pytest.approx(expected, abs=0.01)
    assert samples.size / RATE == pytest.approx(expected, abs=0.01)
    assert freq_at(samples, 0.4) == pytest.approx(440, abs=10)
    assert rms_db(samples, 1.05, 0.15) < -60, "the gap after A must be silent"
    assert freq_at(samples, 1.25 + 0.3) == pytest.approx(880, abs=10)
    assert rms_db(samples, 2.1, 0.4) < -60, "the pause must be silent"
    assert freq_at(samples, 2.55 + 0.5) == pytest.approx(1320, abs=10)
    assert [(r.kind, r.title) for r in result.items] == [
        ("recording", "A"), ("recording", "B"), ("pause", ""), ("recording", "C")]
    assert [r.seconds for r in result.items] == pytest.approx([1.0, 0.8, 0.5, 1.2], abs=0.01)
    assert result.items[0].audio_sha256 == hashlib.sha256(a.read_bytes()).hexdigest()
    # the quiet and the loud tone leave at the same loudness
    assert abs(rms_db(samples, 1.3, 0.6) - rms_db(samples, 2.7, 0.8)) < 1.5


def test_repeat_reads_again_after_the_phrase(tmp_path: Path, settings: RenderSettings) -> None:
    a = tone_wav(tmp_path / "a.wav", 660, 1.0, 0.3)
    result = render_program([ProgramItem(kind="recording", title="Loa", path=a, repeat=2)],
                            settings, tmp_path / "cache")
    kinds = [(r.kind, r.title) for r in result.items]
    assert kinds == [("recording", "Loa"), ("speech", "Xin nhắc lại"), ("recording", "Loa")]
    phrase = result.items[1]
    assert phrase.normalized_text == "Xin nhắc lại." and phrase.engine == "espeak"
    assert phrase.text_sha256 == hashlib.sha256(b"Xin nh\xe1\xba\xafc l\xe1\xba\xa1i.").hexdigest()
    samples = read(result.path)
    second = 1.0 + 0.25 + phrase.seconds + 0.25
    assert result.seconds == pytest.approx(second + 1.0, abs=0.01)
    assert freq_at(samples, 0.3) == pytest.approx(660, abs=10)
    assert freq_at(samples, second + 0.3) == pytest.approx(660, abs=10)


# --- levels ----------------------------------------------------------------------------------

def test_bulletin_renders_at_target_loudness_and_peak(tmp_path: Path) -> None:
    quiet = tone_wav(tmp_path / "q.wav", 300, 2.0, 0.01)
    items = bulletin_program("Thông báo", "Ngày 22/12/2024 UBND xã tổ chức tiêm phòng.",
                             priority="priority", category="y tế", repeats=2)
    items.insert(3, ProgramItem(kind="recording", title="Lời bí thư", path=quiet))
    settings = RenderSettings(speech=ESPEAK)
    result = render_program(items, settings, tmp_path / "cache", out=tmp_path / "out.wav")
    assert result.path == tmp_path / "out.wav" and not result.cached
    lufs, peak = level.measure(result.path)  # the independent meter
    assert lufs == pytest.approx(-16.0, abs=1.0), f"program at {lufs} LUFS"
    assert peak <= -1.0 + 0.2, f"program true peak {peak} dBTP over the ceiling"
    assert result.sha256 == hashlib.sha256(result.path.read_bytes()).hexdigest()
    speech = [r for r in result.items if r.kind == "speech"]
    assert [r.title for r in speech] == ["Lời chào", "Thông báo", "Xin nhắc lại", "Thông báo"]
    body = speech[1]
    assert "UBND" not in body.normalized_text and "ủy ban" in body.normalized_text.lower()
    assert body.text == "Ngày 22/12/2024 UBND xã tổ chức tiêm phòng.", "the written text is kept too"
    assert body.text_sha256 == hashlib.sha256(body.normalized_text.encode()).hexdigest()
    assert sum(r.seconds for r in result.items) < result.seconds, "gaps sit between items"


def test_other_target_is_respected(tmp_path: Path) -> None:
    a = tone_wav(tmp_path / "a.wav", 500, 1.5, 0.5)
    settings = RenderSettings(speech=ESPEAK, target_lufs=-23.0, true_peak_dbtp=-2.0)
    result = render_program([ProgramItem(kind="recording", path=a)], settings, tmp_path / "c")
    lufs, peak = level.measure(result.path)
    assert lufs == pytest.approx(-23.0, abs=1.0) and peak <= -1.9, (lufs, peak)


# --- cache and formats -------------------------------------------------------------------------

def test_second_render_is_cached_and_free(tmp_path: Path, settings: RenderSettings,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    a = tone_wav(tmp_path / "a.wav", 440, 1.0, 0.3)
    items = [ProgramItem(kind="jingle", jingle="intro"), ProgramItem(kind="recording", path=a)]
    first = render_program(items, settings, tmp_path / "cache")
    assert not first.cached

    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached render must not run ffmpeg or synthesise")

    monkeypatch.setattr(subprocess, "run", no_work)
    started = time.perf_counter()
    second = render_program(items, settings, tmp_path / "cache", out=tmp_path / "copy.wav")
    assert second.cached and second.sha256 == first.sha256 and second.items == first.items
    assert time.perf_counter() - started < 0.5
    assert (tmp_path / "copy.wav").read_bytes() == first.path.read_bytes()
    monkeypatch.undo()
    louder = render_program(items, RenderSettings(speech=ESPEAK, gap_s=0.25, target_lufs=-14),
                            tmp_path / "cache")
    assert not louder.cached and louder.sha256 != first.sha256, "settings are part of the key"


def probe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
                          "-show_streams", str(path)], capture_output=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize(("fmt", "codec"), [("mp3", "mp3"), ("opus", "opus")])
def test_web_formats(tmp_path: Path, settings: RenderSettings, fmt: str, codec: str) -> None:
    a = tone_wav(tmp_path / "a.wav", 440, 1.5, 0.3)
    items = [ProgramItem(kind="recording", path=a), ProgramItem(kind="jingle", jingle="outro")]
    wav = render_program(items, settings, tmp_path / "cache")
    result = render_program(items, settings, tmp_path / "cache", fmt=fmt,
                            out=tmp_path / f"web.{fmt}")
    info = probe(result.path)
    assert info["streams"][0]["codec_name"] == codec
    assert float(info["format"]["duration"]) == pytest.approx(wav.seconds, abs=0.1)
    assert result.items == wav.items and result.sha256 != wav.sha256
    lufs, _ = level.measure(result.path)
    assert lufs == pytest.approx(-16.0, abs=1.0)


def test_render_errors_are_vietnamese(tmp_path: Path, settings: RenderSettings) -> None:
    with pytest.raises(RenderError, match="Không tìm thấy tệp âm thanh"):
        render_program([ProgramItem(kind="recording", path=tmp_path / "missing.mp3")],
                       settings, tmp_path)
    with pytest.raises(RenderError, match="không hợp lệ"):
        render_program([ProgramItem(kind="video")], settings, tmp_path)
    with pytest.raises(RenderError, match="không hỗ trợ"):
        render_program([ProgramItem(kind="jingle", jingle="intro")], settings, tmp_path,
                       fmt="aiff")
    with pytest.raises(RenderError, match="không có mục"):
        render_program([], settings, tmp_path)
    silent = tone_wav(tmp_path / "s.wav", 440, 1.0, 0.0)
    with pytest.raises(RenderError, match="im lặng"):
        render_program([ProgramItem(kind="recording", title="Ghi âm", path=silent)],
                       settings, tmp_path)



def test_speech_rate_setting_changes_length(tmp_path: Path) -> None:
    text = "Bà con thôn Đông chú ý lịch họp ngày mai."
    items = [ProgramItem(kind="speech", title="Tin", text=text)]
    lengths = {}
    for rate in (0.8, 1.2):
        settings = RenderSettings(speech=SpeechSettings(engines=("espeak",), rate=rate))
        lengths[rate] = render_program(items, settings, tmp_path / "cache").seconds
    ratio = lengths[0.8] / lengths[1.2]
    assert 1.25 < ratio < 1.75, f"rate 0.8 vs 1.2 should differ by about 1.5x, got {ratio:.2f}"


def test_a_jingle_crossfades_into_the_speech_after_it(tmp_path: Path) -> None:
    """With audio.jingle_crossfade_s the jingle's tail runs under the start of the next part."""
    jingle = tone_wav(tmp_path / "j.wav", 660, 2.0, 0.5)
    voice = tone_wav(tmp_path / "v.wav", 220, 2.0, 0.5)
    items = [ProgramItem(kind="jingle", title="Nhạc hiệu", path=jingle),
             ProgramItem(kind="recording", title="Bản tin", path=voice)]
    gapped = render_program(items, RenderSettings(speech=ESPEAK, gap_s=1.0), tmp_path / "c1")
    faded = render_program(items, RenderSettings(speech=ESPEAK, gap_s=1.0, jingle_crossfade_s=0.5),
                           tmp_path / "c2")
    assert gapped.seconds == pytest.approx(5.0, abs=0.01), "jingle, 1 s gap, recording"
    assert faded.seconds == pytest.approx(3.5, abs=0.01), "no gap, and 0.5 s of overlap"
    samples = read(faded.path)
    overlap = samples[int(1.55 * RATE):int(1.95 * RATE)]
    spectrum = np.abs(np.fft.rfft(overlap * np.hanning(overlap.size)))
    freqs = np.fft.rfftfreq(overlap.size, 1 / RATE)
    both = [spectrum[np.argmin(abs(freqs - f))] for f in (220, 660)]
    assert min(both) > 0.05 * max(both), f"both the jingle and the voice sound in the overlap: {both}"
    assert freq_at(samples, 0.5) == pytest.approx(660, abs=10)
    assert freq_at(samples, 2.5) == pytest.approx(220, abs=10)
    assert [r.seconds for r in faded.items] == pytest.approx([2.0, 2.0], abs=0.01), \
        "each item keeps its own length in the evidence"
    assert faded.sha256 != gapped.sha256
