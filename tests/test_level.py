"""Loudness and true peak: every figure is checked with ffmpeg's ebur128 meter (independent)."""
from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np
import pytest

from audio import level

RATE = 44100


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    pcm = np.clip(np.rint(samples * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def tone(freq: float, seconds: float, amp: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def speechlike(seconds: float, amp: float, seed: int = 1, rate: int = RATE) -> np.ndarray:
    """Syllable-like bursts of filtered noise and harmonics, with crest factor like speech."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    voice = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 12))
    noise = np.convolve(rng.standard_normal(n), np.ones(8) / 8, mode="same")
    env = (np.sin(2 * np.pi * 3.3 * t) > -0.2).astype(float)  # ~3 syllables a second
    sig = (voice + 2 * noise) * env
    return amp * sig / np.max(np.abs(sig))


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return data.astype(np.float64) / 32768, w.getframerate()


def dominant_freq(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[int(np.argmax(spectrum))])


def test_measure_matches_known_sine(tmp_path: Path) -> None:
    # A full-scale 1 kHz sine is -3.01 LUFS by definition of BS.1770; at -20 dBFS: -23 LUFS.
    path = write_wav(tmp_path / "sine.wav", tone(1000, 2.0, 0.1))
    lufs, peak = level.measure(path)
    assert lufs == pytest.approx(-23.0, abs=0.2), f"1 kHz at -20 dBFS measured {lufs} LUFS"
    assert peak == pytest.approx(-20.0, abs=0.2), f"true peak {peak} dBTP"


def test_measure_reports_silence(tmp_path: Path) -> None:
    lufs, peak = level.measure(write_wav(tmp_path / "s.wav", np.zeros(RATE)))
    assert lufs <= -70 and peak == float("-inf"), (lufs, peak)


def test_in_process_meter_agrees_with_ffmpeg(tmp_path: Path) -> None:
    sig = speechlike(6.0, 0.5)
    ours = level.integrated_loudness(sig.astype(np.float32), RATE)
    theirs, _ = level.measure(write_wav(tmp_path / "v.wav", sig))
    assert ours == pytest.approx(theirs, abs=0.15), f"ours {ours:.2f} vs ebur128 {theirs:.2f}"
    assert level.true_peak(sig) == pytest.approx(20 * math.log10(0.5), abs=0.3)


@pytest.mark.parametrize(
    ("name", "amp"),
    [("loud", 1.0), ("quiet", 0.01)],
)
def test_level_file_hits_target_under_ceiling(tmp_path: Path, name: str, amp: float) -> None:
    src = write_wav(tmp_path / f"{name}.wav", speechlike(5.0, amp))
    dst = tmp_path / f"{name}-out.wav"
    info = level.level_file(src, dst, target_lufs=-16.0, ceiling_dbtp=-1.0)
    lufs, peak = level.measure(dst)
    assert lufs == pytest.approx(-16.0, abs=0.6), f"{name}: {lufs} LUFS after levelling"
    assert peak <= -1.0 + 0.1, f"{name}: true peak {peak} dBTP over the ceiling"
    assert info.lufs == pytest.approx(lufs, abs=0.1)
    assert info.true_peak_dbtp == pytest.approx(peak, abs=0.1)
    assert info.seconds == pytest.approx(5.0, abs=0.01)
    with wave.open(str(dst), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 44100)


def test_loud_peaky_item_needs_the_limiter(tmp_path: Path) -> None:
    # Peaks at 0 dBFS yet quiet on average: reaching -16 LUFS needs > 6 dB of limiting.
    sig = speechlike(4.0, 0.05)
    sig[::4410] = 1.0  # clicks every 100 ms at full scale
    src = write_wav(tmp_path / "peaky.wav", sig)
    info = level.level_file(src, tmp_path / "out.wav", target_lufs=-16.0, ceiling_dbtp=-1.0)
    lufs, peak = level.measure(tmp_path / "out.wav")
    assert info.limited, "a 0 dBFS peak with +gain must go through the limiter"
    assert peak <= -0.9, f"limiter let {peak} dBTP through"
    assert lufs == pytest.approx(-16.0, abs=0.6), lufs


def test_tempo_changes_duration_not_pitch(tmp_path: Path) -> None:
    src = write_wav(tmp_path / "a.wav", tone(440, 3.0, 0.3))
    dst = tmp_path / "fast.wav"
    info = level.level_file(src, dst, tempo=1.2)
    samples, rate = read_wav(dst)
    assert info.seconds == pytest.approx(3.0 / 1.2, abs=0.05), info.seconds
    assert dominant_freq(samples[rate // 2: rate], rate) == pytest.approx(440, abs=3)


def test_silence_is_refused(tmp_path: Path) -> None:
    src = write_wav(tmp_path / "silent.wav", np.zeros(2 * RATE))
    with pytest.raises(level.LevelError, match="im lặng"):
        level.level_file(src, tmp_path / "o.wav")


def test_level_cached_levels_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_wav(tmp_path / "a.wav", speechlike(2.0, 0.3))
    first = level.level_cached(src, "abc", tmp_path / "cache", target_lufs=-16, ceiling_dbtp=-1,
                               sample_rate=RATE)

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("levelled again although cached")

    monkeypatch.setattr(level, "level_file", boom)
    again = level.level_cached(src, "abc", tmp_path / "cache", target_lufs=-16, ceiling_dbtp=-1,
                               sample_rate=RATE)
    assert again == first, "the cached entry must give the same file and figures"
    with pytest.raises(AssertionError):  # another target is another entry
        level.level_cached(src, "abc", tmp_path / "cache", target_lufs=-20, ceiling_dbtp=-1,
                           sample_rate=RATE)


def test_finish_program_asks_for_limiter_when_gain_would_clip() -> None:
    sig = speechlike(4.0, 0.2).astype(np.float32)
    out, gain = level.finish_program(sig, RATE, target_lufs=-16, ceiling_dbtp=-1, peak_dbtp=-1.2)
    assert out is None and gain > 0, "a positive gain over a peak at the ceiling needs the limiter"
    out, gain = level.finish_program(sig, RATE, target_lufs=-30, ceiling_dbtp=-1, peak_dbtp=-1.2)
    assert out is not None and gain < 0
    assert level.integrated_loudness(out, RATE) == pytest.approx(-30, abs=0.05)


def test_limit_file_holds_the_ceiling_under_big_gain(tmp_path: Path) -> None:
    src = write_wav(tmp_path / "p.wav", speechlike(3.0, 0.5))
    level.limit_file(src, tmp_path / "o.wav", gain_db=12.0, ceiling_dbtp=-1.0, sample_rate=RATE)
    lufs_in, _ = level.measure(src)
    lufs, peak = level.measure(tmp_path / "o.wav")
    assert peak <= -0.9, f"limiter let {peak} dBTP through"
    assert lufs > lufs_in + 6, "the gain must still raise the loudness"
