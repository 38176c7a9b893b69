"""Original station jingles, synthesised in code (no recorded or copyrighted audio).

Why in code: the station must work offline, ship no third-party audio, and give every category its
own recognisable signature. Each jingle is a short sequence of bell-like chimes (a few inharmonic
partials with exponential decay, the timbre of a temple bell or a xylophone) on the Vietnamese
pentatonic scale. Generation is pure arithmetic, so the same name always gives the same bytes;
files are written once under ``<cache_dir>/jingles`` and reused.

Names: ``intro``, ``outro``, ``urgent``, ``intro:<category>``, ``outro:<category>``. A category
variant's melody is derived from the category name, so any category (even one added later by the
office) gets its own stable signature; ``urgent`` is deliberately harsh and insistent.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audio.versions import JINGLE_VERSION

if TYPE_CHECKING:  # numpy only where a jingle is synthesised (audio.plan needs the names)
    import numpy as np

logger = logging.getLogger(__name__)

SAMPLE_RATE = 44100
BASE_NAMES = ("intro", "outro", "urgent")

# Pentatonic scale (C D E G A) over two octaves, Hz, equal temperament from A4 = 440.
_SEMITONES = (0, 2, 4, 7, 9, 12, 14, 16, 19, 21, 24)
_SCALE = tuple(261.6256 * 2 ** (s / 12) * 2 for s in _SEMITONES)  # from C5


class JingleError(Exception):
    """Unknown jingle name; ``str(exc)`` is a Vietnamese message."""


@dataclass(frozen=True)
class _Note:
    start: float      # seconds from the start of the jingle
    freq: float       # fundamental, Hz
    length: float     # ring time, seconds
    amp: float = 1.0
    bright: float = 1.0  # weight of the upper partials


def _chime(note: _Note, rate: int) -> np.ndarray:
    """One bell-like note: a few inharmonic partials, a soft 4 ms attack, exponential decay."""
    import numpy as np

    n = int(note.length * rate)
    t = np.arange(n, dtype=np.float64) / rate
    partials = ((1.0, 1.0, 1.0), (2.0, 0.45 * note.bright, 1.6), (2.76, 0.25 * note.bright, 2.4),
                (5.40, 0.10 * note.bright, 3.5))
    out = np.zeros(n)
    for ratio, weight, decay_factor in partials:
        freq = note.freq * ratio
        if freq >= rate / 2 * 0.9:
            continue
        decay = np.exp(-t * decay_factor * 3.0 / note.length)
        out += weight * decay * np.sin(2 * np.pi * freq * t)
    attack = min(n, int(0.004 * rate))
    out[:attack] *= np.linspace(0.0, 1.0, attack, endpoint=False)
    release = min(n, int(0.03 * rate))
    out[n - release:] *= np.linspace(1.0, 0.0, release)
    return out * note.amp


def _render(notes: list[_Note], rate: int) -> np.ndarray:
    import numpy as np

    total = max(n.start + n.length for n in notes) + 0.05
    buf = np.zeros(int(total * rate))
    for note in notes:
        start = int(note.start * rate)
        tone = _chime(note, rate)
        buf[start:start + tone.size] += tone
    peak = float(np.max(np.abs(buf))) or 1.0
    return buf / peak * 0.5  # -6 dBFS; levelling sets the broadcast level later


def _motif(name: str) -> list[_Note]:
    """The melody of a jingle name."""
    base, _, category = name.partition(":")
    if base == "urgent":
        # Two alternating bright tones, three times, then a held high pair: hard to ignore.
        notes = []
        for i in range(3):
            notes.append(_Note(i * 0.5, _SCALE[9], 0.45, 1.0, 1.6))
            notes.append(_Note(i * 0.5 + 0.25, _SCALE[6], 0.45, 1.0, 1.6))
        notes.append(_Note(1.55, _SCALE[9], 1.2, 1.0, 1.4))
        notes.append(_Note(1.55, _SCALE[7], 1.2, 0.8, 1.4))
        return notes
    if category:
        digest = hashlib.sha256(category.strip().lower().encode("utf-8")).digest()
        degrees = sorted({2 + b % 7 for b in digest[:8]})[:4]
        while len(degrees) < 3:
            degrees.append(degrees[-1] + 1 if degrees[-1] < len(_SCALE) - 1 else degrees[0] - 1)
            degrees = sorted(set(degrees))
        step = 0.22 + (digest[8] % 4) * 0.03
    else:
        degrees, step = [0, 2, 4, 5], 0.3  # C E G C: the plain station signature
    if base == "outro":
        degrees = sorted(degrees, reverse=True)
    notes = [_Note(i * step, _SCALE[d], 1.4, 0.9) for i, d in enumerate(degrees)]
    last = len(degrees) * step
    # final chord: the last note with its lower fifth/third, ringing out
    final = degrees[-1]
    notes.append(_Note(last, _SCALE[final], 1.8, 1.0))
    notes.append(_Note(last, _SCALE[max(final - 2, 0)], 1.8, 0.6))
    return notes


def validate_name(name: str) -> str:
    """Return the canonical jingle name or raise JingleError."""
    base, sep, category = name.strip().partition(":")
    if base not in BASE_NAMES or (sep and (base == "urgent" or not category.strip())):
        raise JingleError(
            f"Không có nhạc hiệu tên “{name}”. Dùng: intro, outro, urgent, "
            "intro:<chuyên mục> hoặc outro:<chuyên mục>."
        )
    return f"{base}:{category.strip().lower()}" if sep else base


def synthesize_jingle(name: str, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Float samples in [-1, 1] of a jingle (deterministic for a given name and rate)."""
    return _render(_motif(validate_name(name)), rate)


def _write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    import numpy as np

    pcm = np.clip(np.round(samples * 32767), -32768, 32767).astype("<i2")
    fd, tmp = tempfile.mkstemp(prefix=".jingle-", suffix=".wav", dir=path.parent)
    os.close(fd)
    try:
        with wave.open(tmp, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(pcm.tobytes())
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def jingle_file(name: str, cache_dir: Path) -> Path:
    """Where the jingle's WAV is kept under cache_dir/jingles (it may not be made yet)."""
    canonical = validate_name(name)
    safe = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
    label = canonical.split(":")[0]
    return Path(cache_dir) / "jingles" / f"{label}-{safe}-v{JINGLE_VERSION}.wav"


def jingle_path(name: str, cache_dir: Path) -> Path:
    """Path of the jingle's WAV (s16 mono 44.1 kHz), made on first use under cache_dir/jingles."""
    canonical = validate_name(name)
    path = jingle_file(canonical, cache_dir)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_wav(path, synthesize_jingle(canonical), SAMPLE_RATE)
        logger.info("đã tạo nhạc hiệu %s tại %s", canonical, path)
    return path
