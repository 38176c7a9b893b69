"""Broadcast loudness: measure, level each item once, finish a program under a true-peak ceiling.

Why this shape: a commune program joins a quiet hand-held recording, loud synthetic speech
(espeak-ng peaks at 0 dBFS) and bright chimes. Each item is levelled once to the loudness
target with a real look-ahead limiter run on 4x oversampled audio (so the ceiling holds for
inter-sample peaks too), and the result is cached by the item's audio hash. A program render is
then little more than joining levelled items; :func:`finish_program` measures the joined program
with an in-process BS.1770 meter and applies the small remaining correction, falling back to the
ffmpeg limiter only when a gain would break the ceiling.

The independent meter is ffmpeg's ``ebur128=peak=true`` (:func:`measure`); tests use it.
"""
from __future__ import annotations

import json
import logging
import math
import os
import re
import subprocess
import tempfile
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly, sosfilt, tf2sos

from audio.versions import LEVEL_VERSION

logger = logging.getLogger(__name__)

#: Headroom under the ceiling given to each item's limiter. Resampling back from 4x and s16
#: rounding add < 0.1 dB; the rest leaves room for the program's final correction (a few
#: tenths of a dB, see finish_program) to be a plain gain instead of a second limiter pass.
LIMIT_MARGIN_DB = 0.6
#: How far under the target finish_program may leave a program rather than run the limiter over
#: all of it (well inside the +-1 LU the station promises).
MAX_SHORTFALL_LU = 0.5
#: A levelled item may be this far from the target before a corrective pass is run.
LEVEL_TOLERANCE_LU = 0.4
#: Below this integrated loudness (or with a peak below SILENT_PEAK_DBFS) audio counts as silent.
SILENT_LUFS = -60.0
SILENT_PEAK_DBFS = -60.0

_SUMMARY_I = re.compile(r"^\s*I:\s+(-?[\d.]+|-inf|nan)\s+LUFS", re.MULTILINE)
_SUMMARY_PEAK = re.compile(r"^\s*Peak:\s+(-?[\d.]+|-inf|nan)\s+dBFS", re.MULTILINE)


class LevelError(Exception):
    """Levelling failed; ``str(exc)`` is a Vietnamese message for the operator."""


def _run(args: list[str], what: str) -> subprocess.CompletedProcess[bytes]:
    """Run an external program, turning any failure into a LevelError carrying its stderr."""
    try:
        proc = subprocess.run(args, capture_output=True, check=False)
    except OSError as exc:  # ffmpeg missing or not executable
        raise LevelError(f"Không chạy được {args[0]} để {what}: {exc}") from exc
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise LevelError(f"Lỗi khi {what} (ffmpeg trả mã {proc.returncode}): {' | '.join(tail)}")
    return proc


def _parse_db(value: str) -> float:
    return float("-inf") if value in {"-inf", "nan"} else float(value)


def measure(path: Path) -> tuple[float, float]:
    """Return (integrated loudness in LUFS, true peak in dBTP) of a file, via ffmpeg ebur128.

    This is the independent meter: it shares no code with the levelling in this module.
    Silence gives -70 LUFS (ebur128's floor) and -inf dBTP.
    """
    proc = _run(
        ["ffmpeg", "-hide_banner", "-nostats", "-nostdin", "-i", str(path),
         "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
        f"đo độ to của {Path(path).name}",
    )
    return _parse_summary(proc.stderr.decode("utf-8", "replace"), Path(path).name)


# --- in-process BS.1770-4 meter (fast path for whole programs) -------------------------------

def _k_weighting(rate: int) -> tuple[np.ndarray, np.ndarray]:
    """K-weighting (BS.1770 pre-filter: high shelf +4 dB at 1.5 kHz, then 38 Hz high-pass)
    designed for any sample rate, combined into one 4th-order filter."""
    def shelf() -> tuple[list[float], list[float]]:
        gain_db, q, fc = 4.0, 1 / math.sqrt(2), 1500.0
        a = 10 ** (gain_db / 40)
        w0 = 2 * math.pi * fc / rate
        alpha = math.sin(w0) / (2 * q)
        cw = math.cos(w0)
        b = [a * ((a + 1) + (a - 1) * cw + 2 * math.sqrt(a) * alpha),
             -2 * a * ((a - 1) + (a + 1) * cw),
             a * ((a + 1) + (a - 1) * cw - 2 * math.sqrt(a) * alpha)]
        den = [(a + 1) - (a - 1) * cw + 2 * math.sqrt(a) * alpha,
               2 * ((a - 1) - (a + 1) * cw),
               (a + 1) - (a - 1) * cw - 2 * math.sqrt(a) * alpha]
        return b, den

    def highpass() -> tuple[list[float], list[float]]:
        q, fc = 0.5, 38.0
        w0 = 2 * math.pi * fc / rate
        alpha = math.sin(w0) / (2 * q)
        cw = math.cos(w0)
        return [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2], [1 + alpha, -2 * cw, 1 - alpha]

    b1, a1 = shelf()
    b2, a2 = highpass()
    b = np.convolve(np.array(b1) / a1[0], np.array(b2) / a2[0])
    a = np.convolve(np.array(a1) / a1[0], np.array(a2) / a2[0])
    return b, a


def integrated_loudness(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS) of mono float samples in [-1, 1], BS.1770-4 gating.

    Vectorised (one IIR pass, block energies from a cumulative sum) so a five-minute program is
    measured in well under a second; agrees with ffmpeg ebur128 within 0.1 LU (see tests).
    """
    if samples.size < int(0.4 * rate):
        return float("-inf")
    b, a = _k_weighting(rate)
    sos = tf2sos(b, a)
    state = np.zeros((sos.shape[0], 2))
    hop = int(round(0.1 * rate))
    hops = samples.size // hop
    chunk = hop * 100  # filter ten seconds at a time: memory stays flat for long programs
    energies = []
    # energy of each 100 ms hop; a 400 ms gating block is four consecutive hops (75 % overlap)
    for start in range(0, hops * hop, chunk):
        piece = samples[start:min(start + chunk, hops * hop)].astype(np.float64)
        weighted, state = sosfilt(sos, piece, zi=state)
        energies.append(np.square(weighted).reshape(-1, hop).sum(axis=1))
    hop_energy = np.concatenate(energies)
    z = (hop_energy[:-3] + hop_energy[1:-2] + hop_energy[2:-1] + hop_energy[3:]) / (4 * hop)
    with np.errstate(divide="ignore"):
        loud = -0.691 + 10 * np.log10(z)
    z_abs = z[loud > -70.0]
    if z_abs.size == 0:
        return float("-inf")
    rel_gate = -0.691 + 10 * math.log10(float(z_abs.mean())) - 10.0
    z_rel = z[(loud > -70.0) & (loud > rel_gate)]
    return -0.691 + 10 * math.log10(float(z_rel.mean()))


# --- per-item levelling ------------------------------------------------------------------------

@dataclass(frozen=True)
class LevelInfo:
    """What levelling did to one item; cached next to the levelled file as JSON."""

    gain_db: float
    lufs: float            # integrated loudness after levelling (ebur128)
    true_peak_dbtp: float  # true peak after levelling (ebur128)
    limited: bool          # whether the limiter had to act
    seconds: float


def _chain(gain_db: float, tempo: float, rate: int, ceiling_dbtp: float, limit: bool) -> str:
    """The ffmpeg filter chain: tempo (pitch kept), gain, 4x-oversampled limiter, back to rate."""
    filters = []
    if abs(tempo - 1.0) > 1e-6:
        filters.append(f"atempo={tempo:.4f}")
    if limit:
        over = rate * 4
        limit_lin = 10 ** ((ceiling_dbtp - LIMIT_MARGIN_DB) / 20)
        filters += [
            f"aresample={over}",
            f"volume={gain_db:.4f}dB",
            f"alimiter=limit={limit_lin:.6f}:attack=5:release=60:level=disabled",
            f"aresample={rate}",
        ]
    else:
        filters += [f"aresample={rate}", f"volume={gain_db:.4f}dB"]
    return ",".join(filters)


def _render(src: Path, dst: Path, chain: str) -> tuple[float, float]:
    """Run ``chain`` on ``src`` into an s16 mono WAV and meter the result in the same pass.

    Returns ebur128's (LUFS, dBTP) of the processed audio (measured before the final s16
    rounding, which moves neither figure by a measurable amount). One process instead of two
    matters: ffmpeg's start-up is most of the cost of a short item.
    """
    graph = f"[0:a]{chain},aformat=channel_layouts=mono,asplit=2[out][m];" \
            "[m]ebur128=peak=true:framelog=verbose,anullsink"
    proc = _run(
        ["ffmpeg", "-hide_banner", "-nostats", "-nostdin", "-y", "-i", str(src),
         "-filter_complex", graph, "-map", "[out]", "-c:a", "pcm_s16le", "-f", "wav", str(dst)],
        f"chỉnh mức âm thanh {src.name}",
    )
    return _parse_summary(proc.stderr.decode("utf-8", "replace"), src.name)


def _parse_summary(err: str, name: str) -> tuple[float, float]:
    summary = err[err.rfind("Summary:"):] if "Summary:" in err else err
    m_i, m_p = _SUMMARY_I.findall(summary), _SUMMARY_PEAK.findall(summary)
    if not m_i or not m_p:
        raise LevelError(f"Không đọc được kết quả đo độ to của {name}.")
    return _parse_db(m_i[-1]), _parse_db(m_p[-1])


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate())


def true_peak(samples: np.ndarray) -> float:
    """True peak (dBTP) of mono float samples: the sample peak of a 4x oversampled copy."""
    if samples.size == 0:
        return float("-inf")
    over = resample_poly(samples.astype(np.float32), 4, 1)
    peak = float(np.max(np.abs(over)))
    peak = max(peak, float(np.max(np.abs(samples))))
    return 20 * math.log10(peak) if peak > 0 else float("-inf")


def _measure_fast(path: Path) -> tuple[float, float]:
    """(LUFS, dBTP) in-process for PCM s16 WAV (what the TTS cache and jingles are); falls back
    to ffmpeg for anything else. Only used to pick the first gain: outputs are metered by ffmpeg."""
    try:
        with wave.open(str(path), "rb") as w:
            if w.getsampwidth() != 2 or w.getnchannels() != 1:
                return measure(path)
            rate = w.getframerate()
            data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    except (wave.Error, EOFError):
        return measure(path)
    samples = data.astype(np.float32) / 32768.0
    return integrated_loudness(samples, rate), true_peak(samples)


def level_file(src: Path, dst: Path, *, target_lufs: float = -16.0, ceiling_dbtp: float = -1.0,
               sample_rate: int = 44100, tempo: float = 1.0) -> LevelInfo:
    """Write ``src`` to ``dst`` as s16 mono WAV at ``target_lufs`` under ``ceiling_dbtp``.

    The first gain comes from a measurement of the source; when that gain would push the true
    peak over the ceiling a 4x oversampled limiter catches it. Every output is metered by ffmpeg
    ebur128 in the same pass; since limiting lowers loudness a little, a corrective pass follows
    when the result is more than LEVEL_TOLERANCE_LU off (the whole program gets a final, exact
    correction in :func:`finish_program`). ``tempo`` changes speed without changing pitch.
    Raises LevelError for silent input (no gain can make silence reach a loudness target).
    """
    src, dst = Path(src), Path(dst)
    lufs_in, peak_in = _measure_fast(src)
    if lufs_in <= SILENT_LUFS or peak_in <= SILENT_PEAK_DBFS:
        raise LevelError(f"Âm thanh {src.name} gần như im lặng, không thể chỉnh mức để phát.")
    gain = target_lufs - lufs_in
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".level-", suffix=".wav", dir=dst.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        limited = peak_in + gain > ceiling_dbtp - LIMIT_MARGIN_DB
        lufs_out = peak_out = float("nan")
        for _attempt in range(4):
            lufs_out, peak_out = _render(src, tmp, _chain(gain, tempo, sample_rate, ceiling_dbtp,
                                                          limited))
            if not limited and peak_out > ceiling_dbtp - 0.05:
                limited = True  # tempo or resampling raised a peak: limit after all
                continue
            if abs(lufs_out - target_lufs) <= LEVEL_TOLERANCE_LU:
                break
            gain += target_lufs - lufs_out
            headroom = ceiling_dbtp - LIMIT_MARGIN_DB - peak_out
            limited = limited or target_lufs - lufs_out > headroom
        if peak_out > ceiling_dbtp + 0.1:
            raise LevelError(
                f"Không giữ được đỉnh của {src.name} dưới {ceiling_dbtp:.1f} dBTP "
                f"(đo được {peak_out:.1f} dBTP)."
            )
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    info = LevelInfo(gain_db=round(gain, 3), lufs=lufs_out, true_peak_dbtp=peak_out,
                     limited=limited, seconds=_wav_seconds(dst))
    logger.debug("levelled %s: gain %.2f dB, %.1f LUFS, %.1f dBTP, limited=%s",
                 src.name, gain, lufs_out, peak_out, limited)
    return info


def level_cached(src: Path, source_sha256: str, cache_dir: Path, *, target_lufs: float,
                 ceiling_dbtp: float, sample_rate: int, tempo: float = 1.0
                 ) -> tuple[Path, LevelInfo]:
    """Level ``src`` once per (audio hash, settings); later calls only read a small JSON file."""
    import hashlib

    key = hashlib.sha256(json.dumps(
        [LEVEL_VERSION, source_sha256, round(target_lufs, 3), round(ceiling_dbtp, 3),
         sample_rate, round(tempo, 4)]).encode()).hexdigest()
    out = Path(cache_dir) / f"{key}.wav"
    meta = out.with_suffix(".json")
    if out.exists() and meta.exists():
        try:
            return out, LevelInfo(**json.loads(meta.read_text(encoding="utf-8")))
        except (ValueError, TypeError):
            logger.warning("không đọc được mục bộ nhớ đệm âm lượng %s; chuẩn hóa âm lượng lại",
                           meta.name)
    info = level_file(src, out, target_lufs=target_lufs, ceiling_dbtp=ceiling_dbtp,
                      sample_rate=sample_rate, tempo=tempo)
    tmp = meta.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(info)), encoding="utf-8")
    os.replace(tmp, meta)
    return out, info


# --- whole program -----------------------------------------------------------------------------

def limit_file(src: Path, dst: Path, *, gain_db: float, ceiling_dbtp: float,
               sample_rate: int) -> None:
    """Apply a gain through the oversampled limiter (the slow, safe path for a whole program)."""
    _render(Path(src), Path(dst), _chain(gain_db, 1.0, sample_rate, ceiling_dbtp, True))


def finish_program(samples: np.ndarray, rate: int, *, target_lufs: float, ceiling_dbtp: float,
                   peak_dbtp: float) -> tuple[np.ndarray | None, float]:
    """Bring joined, already levelled samples (float, [-1, 1]) to the target.

    ``peak_dbtp`` is the highest true peak of the parts (known from the per-item cache; the
    silences between them add none). Returns (samples scaled in place, gain) when a plain gain
    keeps the ceiling, even if that leaves the program up to MAX_SHORTFALL_LU under the target;
    otherwise (None, gain) and the caller runs :func:`limit_file` with that gain.
    """
    lufs = integrated_loudness(samples, rate)
    if not math.isfinite(lufs):
        raise LevelError("Chương trình không có âm thanh nào để phát.")
    gain = target_lufs - lufs
    if abs(gain) < 0.05:
        return samples, 0.0
    headroom = ceiling_dbtp - 0.05 - peak_dbtp
    if gain > headroom and gain - headroom > MAX_SHORTFALL_LU:
        return None, gain
    gain = min(gain, headroom)
    samples *= np.float32(10 ** (gain / 20))
    return samples, gain
