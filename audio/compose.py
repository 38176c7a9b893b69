"""Programs: ordered items (speech, recordings, jingles, pauses) rendered into one file to air.

Why this shape: the station and ``broadcaster render`` call the same :func:`render_program`, so
what an operator hears from the CLI is byte for byte what airs. Every step is cached by content
hash: speech by the TTS cache, each item's levelled audio by its audio hash (see
:mod:`audio.level`), and the whole program by the hash of its parts and settings, so rendering
the same program twice costs nothing and a changed program only redoes what changed.

A program render is: normalise texts → synthesise speech → level each part once (cached) →
join with pydub (jingles, pauses, gaps, crossfades) → bring the whole to the loudness target
under the true-peak ceiling (numpy/SciPy in :mod:`audio.level`: pydub has neither) → encode.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import warnings
import wave
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

with warnings.catch_warnings():  # pydub imports audioop, deprecated in 3.11 (audioop-lts on 3.13)
    warnings.simplefilter("ignore", DeprecationWarning)
    from pydub import AudioSegment

from audio import level
from audio.audiofile import sha256_file
from audio.cache import touch
from audio.plan import (  # the program's definitions: callers import them from here too
    FORMATS,
    GREETING_TITLE,
    KINDS,
    PRIORITIES,
    REPEAT_TITLE,
    ItemRecord,
    ProgramItem,
    RenderError,
    RenderResult,
    RenderSettings,
    bulletin_program,
)
from audio.plan import Part as _Part
from audio.plan import normalise_text as _normalise
from audio.plan import plan_parts as _plan
from audio.plan import render_key as _render_key
from audio.tts import SynthesisError, synthesize
from audio.versions import RENDER_VERSION  # in the key, see audio.plan

logger = logging.getLogger(__name__)

#: Short ramps at the edges of every part: no click, no inter-sample overshoot at a cut.
EDGE_FADE_S = 0.005
def _read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        data = w.readframes(w.getnframes())
    return np.frombuffer(data, dtype="<i2")


def _write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """Write float samples as s16 mono WAV, a few seconds at a time (no full-size temporaries)."""
    step = rate * 10
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        for start in range(0, samples.size, step):
            piece = np.rint(samples[start:start + step] * 32768.0)
            w.writeframes(np.clip(piece, -32768, 32767).astype("<i2").tobytes())


def _tmp_beside(path: Path, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=".render-", suffix=suffix, dir=path.parent)
    os.close(fd)
    return Path(name)


def _sound(parts: list[_Part], settings: RenderSettings, cache_dir: Path,
           deadline: float | None = None, upgrade: bool = False
           ) -> tuple[list[tuple[_Part, Path | None]], float]:
    """Synthesise and level every part; return (part, levelled file) pairs and the top peak."""
    level_dir = Path(cache_dir) / "levelled"
    done: dict[str, tuple[Path, level.LevelInfo, ItemRecord]] = {}
    out: list[tuple[_Part, Path | None]] = []
    top_peak = float("-inf")
    for part in parts:
        if part.kind in ("gap", "pause"):
            out.append((part, None))
            continue
        if part.key not in done:
            if part.kind == "speech":
                try:
                    speech = synthesize(part.text or "", settings.speech, cache_dir,
                                        deadline=deadline, upgrade=upgrade)
                except SynthesisError as exc:
                    raise RenderError(str(exc)) from exc
                source, digest = speech.path, speech.audio_sha256
                record = ItemRecord("speech", part.title, speech.text_sha256, part.text,
                                    digest, speech.engine, 0.0)
            else:
                assert part.source is not None and part.record is not None
                source, digest, record = part.source, part.record.audio_sha256, part.record
            try:
                path, info = level.level_cached(
                    source, digest, level_dir, target_lufs=settings.target_lufs,
                    ceiling_dbtp=settings.true_peak_dbtp, sample_rate=settings.sample_rate)
            except level.LevelError as exc:
                raise RenderError(f"“{part.title or part.kind}”: {exc}") from exc
            done[part.key] = (path, info, record)
        path, info, record = done[part.key]
        top_peak = max(top_peak, info.true_peak_dbtp)
        part.record = ItemRecord(record.kind, part.title or record.title, record.text_sha256,
                                 record.normalized_text, record.audio_sha256, record.engine,
                                 round(info.seconds, 3), part.raw)
        out.append((part, path))
    return out, top_peak


def _segment(samples: np.ndarray, rate: int) -> AudioSegment:
    """s16 mono samples as a pydub segment (no copy through a file or ffmpeg)."""
    return AudioSegment(data=samples.astype("<i2", copy=False).tobytes(), sample_width=2,
                        frame_rate=rate, channels=1)


def _with_edges(samples: np.ndarray, rate: int) -> np.ndarray:
    """A part with 5 ms linear ramps at both ends, sample by sample (pydub fades in 1 ms steps)."""
    fade = int(EDGE_FADE_S * rate)
    if samples.size <= 2 * fade:
        return samples
    out = samples.copy()
    ramp = np.linspace(0.0, 1.0, fade, endpoint=False, dtype=np.float32)
    out[:fade] = np.rint(out[:fade] * ramp)
    out[-fade:] = np.rint(out[-fade:] * ramp[::-1])
    return out


def _join(sounded: list[tuple[_Part, Path | None]], rate: int
          ) -> tuple[np.ndarray, list[ItemRecord]]:
    """Join the levelled parts with pydub: jingles, speech, pauses, gaps and crossfades.

    Every part is a pydub segment; a part marked ``crossfade_ms`` overlaps the next one by that
    much (pydub's ``append`` fades one out while the other comes in). Parts that simply follow
    each other are joined in one step (``sum`` of segments would copy the growing program once
    per part: 2 s of CPU for a 5-minute program instead of 0.05 s). The joined program comes
    back as float32 samples for the loudness pass, which pydub cannot do (no LUFS metering, no
    true-peak limiter).
    """
    loaded: dict[Path, AudioSegment] = {}
    records: list[ItemRecord] = []
    runs: list[list[AudioSegment]] = [[]]
    overlaps: list[int] = []
    for part, path in sounded:
        if path is None:
            n = int(round(part.seconds * rate))
            segment = _segment(np.zeros(n, dtype="<i2"), rate)  # exact to the sample, unlike silent(ms)
            if part.kind == "pause":
                pcm = hashlib.sha256(bytes(2 * n)).hexdigest()
                records.append(ItemRecord("pause", part.title, None, None, pcm, None,
                                          round(n / rate, 3)))
        else:
            if path not in loaded:
                loaded[path] = _segment(_with_edges(_read_wav(path), rate), rate)
            segment = loaded[path]
            assert part.record is not None
            records.append(part.record)
        runs[-1].append(segment)
        if part.crossfade_ms:
            overlaps.append(part.crossfade_ms)
            runs.append([])
    program = _concat(runs[0], rate)
    for overlap_ms, run in zip(overlaps, runs[1:], strict=True):
        following = _concat(run, rate)
        if len(program) > overlap_ms and len(following) > overlap_ms:
            program = program.append(following, crossfade=overlap_ms)
        else:
            program = _concat([program, following], rate)
    samples = np.frombuffer(program.raw_data, dtype="<i2").astype(np.float32)
    samples *= np.float32(1 / 32768)
    return samples, records


def _concat(segments: list[AudioSegment], rate: int) -> AudioSegment:
    """Segments of one format one after another, copied once."""
    return AudioSegment(data=b"".join(seg.raw_data for seg in segments), sample_width=2,
                        frame_rate=rate, channels=1)


def _encode(wav: Path, dest: Path, fmt: str) -> None:
    codec = {"mp3": ["-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3"],
             "opus": ["-c:a", "libopus", "-b:a", "64k", "-f", "ogg"]}[fmt]
    tmp = _tmp_beside(dest, f".{fmt}")
    try:
        proc = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y",
                               "-i", str(wav), *codec, str(tmp)], capture_output=True, check=False)
        if proc.returncode != 0:
            raise RenderError(
                f"Không mã hoá được {fmt}: {proc.stderr.decode('utf-8', 'replace').strip()[-300:]}"
            )
        os.replace(tmp, dest)
    except OSError as exc:
        raise RenderError(f"Không chạy được ffmpeg để mã hoá {fmt}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def _deliver(path: Path, out: Path | None) -> Path:
    if out is None:
        return path
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_beside(out, out.suffix)
    try:
        shutil.copyfile(path, tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def render_program(items: Sequence[ProgramItem], settings: RenderSettings, cache_dir: Path,
                   out: Path | None = None, fmt: str = "wav", *, deadline: float | None = None,
                   upgrade: bool = False) -> RenderResult:
    """Render ``items`` into one file: WAV s16 mono for playout, or MP3/Opus for the web.

    The result lands in ``cache_dir/renders/<key>.<fmt>`` (and is copied to ``out`` if given);
    the key hashes every part and setting, so an unchanged program returns ``cached=True``
    without any work. ``deadline`` (epoch seconds: the air time) limits how long gTTS may take;
    ``upgrade`` makes again a cached program that holds speech of a fallback engine, trying the
    preferred engine first (:func:`audio.tts.synthesize`). Raises RenderError (Vietnamese).
    """
    if fmt not in FORMATS:
        raise RenderError(f"Định dạng “{fmt}” không hỗ trợ (wav, mp3, opus).")
    cache_dir = Path(cache_dir)
    renders = cache_dir / "renders"
    renders.mkdir(parents=True, exist_ok=True)
    parts = _plan(items, settings, cache_dir)
    key = _render_key(parts, settings)
    wav_path = renders / f"{key}.wav"
    meta_path = renders / f"{key}.json"
    final = renders / f"{key}.{FORMATS[fmt]}"

    meta = _load_meta(meta_path)
    if meta is not None and upgrade and _has_fallback_speech(meta, settings):
        meta = None  # made with a fallback voice: try the preferred engine again
    if meta is not None and final.exists() and fmt in meta["sha256"]:
        logger.debug("dùng lại chương trình đã dựng %s", final.name)
        touch(final)
        return RenderResult(_deliver(final, out), meta["sha256"][fmt], meta["seconds"],
                            tuple(ItemRecord(**r) for r in meta["items"]), cached=True)

    if meta is None or not wav_path.exists():
        meta = _render_wav(parts, settings, cache_dir, wav_path, deadline, upgrade)
    if fmt != "wav":
        _encode(wav_path, final, fmt)
        meta["sha256"][fmt] = sha256_file(final)
    _save_meta(meta_path, meta)
    return RenderResult(_deliver(final, out), meta["sha256"][fmt], meta["seconds"],
                        tuple(ItemRecord(**r) for r in meta["items"]), cached=False)


def _has_fallback_speech(meta: dict[str, Any], settings: RenderSettings) -> bool:
    preferred = settings.speech.engines[0]
    return any(r.get("kind") == "speech" and r.get("engine") not in (None, preferred)
               for r in meta.get("items", []))


@dataclass(frozen=True)
class Voice:
    """Which engine will speak one speech item, as far as the cache can tell now."""

    title: str
    engine: str | None  # the engine of the cached audio, None when not made yet


def speech_voices(items: Sequence[ProgramItem], settings: RenderSettings, cache_dir: Path
                  ) -> list[Voice]:
    """For each speech item of a program (greeting included), the engine whose cached audio
    would air: no synthesis, only normalising and hashing (the dashboard asks it often)."""
    from audio.tts import cached_engine

    voices: list[Voice] = []
    for item in items:
        if item.kind != "speech":
            continue
        raw = settings.greeting if item.text is None else item.text
        try:
            spoken = _normalise(raw, settings)
        except RenderError:
            continue
        voices.append(Voice(item.title or GREETING_TITLE, cached_engine(spoken, settings.speech,
                                                                         cache_dir)))
    return voices


def _render_wav(parts: list[_Part], settings: RenderSettings, cache_dir: Path,
                wav_path: Path, deadline: float | None = None, upgrade: bool = False) -> dict[str, Any]:
    rate = settings.sample_rate
    sounded, top_peak = _sound(parts, settings, cache_dir, deadline, upgrade)
    samples, records = _join(sounded, rate)
    try:
        finished, gain = level.finish_program(samples, rate, target_lufs=settings.target_lufs,
                                              ceiling_dbtp=settings.true_peak_dbtp,
                                              peak_dbtp=top_peak)
    except level.LevelError as exc:
        raise RenderError(str(exc)) from exc
    tmp = _tmp_beside(wav_path, ".wav")
    try:
        if finished is not None:
            _write_wav(tmp, finished, rate)
        else:  # a gain would break the ceiling: the oversampled limiter takes the whole program
            logger.info("chương trình cần %.2f dB qua bộ giới hạn đỉnh", gain)
            joined = _tmp_beside(wav_path, ".wav")
            try:
                _write_wav(joined, samples, rate)
                level.limit_file(joined, tmp, gain_db=gain, ceiling_dbtp=settings.true_peak_dbtp,
                                 sample_rate=rate)
            except level.LevelError as exc:
                raise RenderError(str(exc)) from exc
            finally:
                joined.unlink(missing_ok=True)
        os.replace(tmp, wav_path)
    finally:
        tmp.unlink(missing_ok=True)
    seconds = round(samples.size / rate, 3)
    logger.info("đã dựng chương trình %s: %.1f giây, %d phần, độ lợi cuối %.2f dB",
                wav_path.name, seconds, len(records), gain)
    return {"seconds": seconds, "items": [asdict(r) for r in records],
            "sha256": {"wav": sha256_file(wav_path)}}


def _load_meta(path: Path) -> dict[str, Any] | None:
    try:
        meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(meta.get("sha256"), dict):
            return None
        return meta
    except (OSError, ValueError):
        return None


def _save_meta(path: Path, meta: dict[str, Any]) -> None:
    tmp = _tmp_beside(path, ".json")
    try:
        tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


__all__ = [
    "FORMATS", "GREETING_TITLE", "KINDS", "PRIORITIES", "RENDER_VERSION", "REPEAT_TITLE", "ItemRecord",
    "ProgramItem", "RenderError", "RenderResult", "RenderSettings", "Voice", "bulletin_program",
    "render_program", "speech_voices",
]
