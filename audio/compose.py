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
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

with warnings.catch_warnings():  # pydub imports audioop, deprecated in 3.11 (audioop-lts on 3.13)
    warnings.simplefilter("ignore", DeprecationWarning)
    from pydub import AudioSegment

from audio import jingles, level
from audio.audiofile import sha256_file
from audio.cache import touch
from audio.normalize import normalize
from audio.tts import SpeechSettings, SynthesisError, synthesize

logger = logging.getLogger(__name__)

#: Bump when the way a program is joined changes, so cached renders are redone.
RENDER_VERSION = 2  # 2: joined with pydub
KINDS = ("speech", "recording", "jingle", "pause")
FORMATS = {"wav": "wav", "mp3": "mp3", "opus": "opus"}
PRIORITIES = ("normal", "priority", "emergency")
#: Short ramps at the edges of every part: no click, no inter-sample overshoot at a cut.
EDGE_FADE_S = 0.005
GREETING_TITLE = "Lời chào"
REPEAT_TITLE = "Xin nhắc lại"


class RenderError(Exception):
    """A program could not be rendered; ``str(exc)`` is a Vietnamese message for the operator."""


@dataclass(frozen=True)
class ProgramItem:
    """One item of a program.

    ``speech`` speaks ``text`` (raw bulletin text; compose normalises it with the glossary); a
    speech item with ``text=None`` speaks the greeting from :class:`RenderSettings`.
    ``recording`` plays ``path``; ``jingle`` plays a built-in jingle named ``jingle`` or an
    uploaded one at ``path``; ``pause`` is ``seconds`` of silence. ``repeat`` reads a speech or
    recording item N times in all, with the repeat phrase ("Xin nhắc lại.") before each re-reading.
    """

    kind: str
    title: str = ""
    text: str | None = None
    path: Path | None = None
    jingle: str | None = None
    seconds: float = 0.0
    repeat: int = 1


@dataclass(frozen=True)
class RenderSettings:
    """Everything besides the items that changes how a program sounds (all of it is in the key)."""

    speech: SpeechSettings
    glossary: tuple[tuple[str, str], ...] = ()
    dialect: str = "north"
    target_lufs: float = -16.0
    true_peak_dbtp: float = -1.0
    gap_s: float = 1.0
    greeting: str = "Kính thưa bà con nhân dân trong xã."
    repeat_phrase: str = "Xin nhắc lại."
    sample_rate: int = 44100
    #: A jingle followed by speech or a recording runs under its start for this long, instead of
    #: the gap of silence (0: the gap, as before).
    jingle_crossfade_s: float = 0.0


@dataclass(frozen=True)
class ItemRecord:
    """What the evidence log stores for each part that airs, in order.

    ``audio_sha256`` is the hash of the part's source audio (the TTS WAV, the uploaded file, the
    jingle file; for a pause, of its PCM samples); ``seconds`` is its length in the program.
    """

    kind: str
    title: str
    text_sha256: str | None
    normalized_text: str | None
    audio_sha256: str
    engine: str | None
    seconds: float
    text: str | None = None  # speech: the text as written, kept beside what was said


@dataclass(frozen=True)
class RenderResult:
    path: Path
    sha256: str
    seconds: float
    items: tuple[ItemRecord, ...]
    cached: bool


@dataclass
class _Part:
    """One piece of audio (or silence) in the joined program, before synthesis."""

    kind: str
    title: str
    key: str                        # content identity, for the render cache key
    text: str | None = None         # normalised text (speech)
    raw: str | None = None          # the text as written (speech), for the evidence
    source: Path | None = None      # audio file (recording, jingle)
    seconds: float = 0.0            # pause length
    record: ItemRecord | None = field(default=None)
    crossfade_ms: int = 0           # overlap the next part by this much (a jingle into speech)


def bulletin_program(title: str, text: str, *, priority: str = "normal",
                     category: str | None = None, repeats: int = 1,
                     greeting: bool = True) -> list[ProgramItem]:
    """The standard commune bulletin: intro jingle, greeting, the bulletin, outro jingle.

    Emergencies open with the ``urgent`` jingle; a category gets its own intro/outro variant.
    ``repeats`` is how many times a priority or emergency bulletin is read in all (the same
    meaning as ``ProgramItem.repeat``), each re-reading announced by "Xin nhắc lại."; normal
    bulletins are read once. The bulletin item carries ``text`` exactly as given, so a caller
    can swap it for a recording of the same bulletin (``item.text == body``).
    """
    if priority not in PRIORITIES:
        raise RenderError(f"Mức ưu tiên “{priority}” không hợp lệ (normal, priority, emergency).")
    if repeats < 1:
        raise RenderError("Số lần đọc phải từ 1 trở lên.")
    cat = (category or "").strip()
    intro = "urgent" if priority == "emergency" else (f"intro:{cat}" if cat else "intro")
    outro = f"outro:{cat}" if cat else "outro"
    readings = repeats if priority in ("priority", "emergency") else 1
    items = [ProgramItem(kind="jingle", title="Nhạc hiệu mở đầu", jingle=intro)]
    if greeting:
        items.append(ProgramItem(kind="speech", title=GREETING_TITLE, text=None))
    items.append(ProgramItem(kind="speech", title=title, text=text, repeat=readings))
    items.append(ProgramItem(kind="jingle", title="Nhạc hiệu kết thúc", jingle=outro))
    return items


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _normalise(text: str, settings: RenderSettings) -> str:
    try:
        spoken = normalize(text, glossary=dict(settings.glossary) or None,
                           dialect=settings.dialect)
    except Exception as exc:  # TextInputError and friends carry a Vietnamese message
        raise RenderError(f"Không chuẩn hoá được văn bản: {exc}") from exc
    if not spoken.strip():
        raise RenderError("Bản tin không có chữ nào để đọc.")
    return spoken


def _file_part(kind: str, title: str, path: Path) -> _Part:
    path = Path(path)
    if not path.is_file():
        raise RenderError(f"Không tìm thấy tệp âm thanh “{path.name}” cho mục “{title or kind}”.")
    digest = sha256_file(path)
    return _Part(kind=kind, title=title, key=f"{kind}:{digest}", source=path,
                 record=ItemRecord(kind, title, None, None, digest, None, 0.0))


def _plan(items: Sequence[ProgramItem], settings: RenderSettings, cache_dir: Path) -> list[_Part]:
    """Turn items into the parts that will sound, in order, gaps included; nothing synthesised."""
    if not items:
        raise RenderError("Chương trình không có mục nào.")
    parts: list[_Part] = []
    gap = _Part(kind="gap", title="", key=f"gap:{settings.gap_s:.3f}", seconds=settings.gap_s)

    crossfade_ms = int(round(settings.jingle_crossfade_s * 1000))

    def add(part: _Part) -> None:
        if parts and crossfade_ms and parts[-1].kind == "jingle" and part.kind in ("speech", "recording"):
            parts[-1] = replace(parts[-1], crossfade_ms=crossfade_ms)
        elif parts and part.kind != "pause" and parts[-1].kind not in ("pause", "gap") \
                and settings.gap_s > 0:
            parts.append(gap)
        parts.append(part)

    phrase: _Part | None = None
    for index, item in enumerate(items, start=1):
        if item.kind not in KINDS:
            raise RenderError(f"Mục {index}: loại “{item.kind}” không hợp lệ ({', '.join(KINDS)}).")
        if item.repeat < 1:
            raise RenderError(f"Mục {index}: số lần đọc phải từ 1 trở lên.")
        if item.kind == "pause":
            if not 0 < item.seconds <= 600:
                raise RenderError(f"Mục {index}: khoảng lặng phải từ 0 đến 600 giây.")
            parts.append(_Part(kind="pause", title=item.title, key=f"pause:{item.seconds:.3f}",
                               seconds=item.seconds))
            continue
        if item.kind == "speech":
            raw = settings.greeting if item.text is None else item.text
            title = item.title or (GREETING_TITLE if item.text is None else "")
            spoken = _normalise(raw, settings)
            part = _Part(kind="speech", title=title, key=f"speech:{_sha256_text(spoken)}",
                         text=spoken, raw=raw)
        elif item.kind == "recording":
            if item.path is None:
                raise RenderError(f"Mục {index}: bản ghi chưa có tệp âm thanh.")
            part = _file_part("recording", item.title, item.path)
        else:  # jingle
            if item.path is not None:
                part = _file_part("jingle", item.title, item.path)
            else:
                try:
                    path = jingles.jingle_path(item.jingle or "", cache_dir)
                except jingles.JingleError as exc:
                    raise RenderError(f"Mục {index}: {exc}") from exc
                part = _file_part("jingle", item.title or str(item.jingle), path)
        if item.repeat > 1 and item.kind == "jingle":
            raise RenderError(f"Mục {index}: nhạc hiệu không nhắc lại được.")
        for reading in range(item.repeat):
            if reading:
                if phrase is None:
                    text = _normalise(settings.repeat_phrase, settings)
                    phrase = _Part(kind="speech", title=REPEAT_TITLE,
                                   key=f"speech:{_sha256_text(text)}", text=text)
                add(replace(phrase))
            add(replace(part))
    return parts


_TIMING_FIELDS = frozenset({"gtts_budget_s", "espeak_reserve_s"})


def _render_key(parts: list[_Part], settings: RenderSettings) -> str:
    blob = json.dumps({
        "v": RENDER_VERSION, "level": level.LEVEL_VERSION, "jingles": jingles.JINGLE_VERSION,
        "parts": [p.key + (f"~{p.crossfade_ms}" if p.crossfade_ms else "") for p in parts],
        # how the audio sounds, not how long gTTS may take (budget, reserve)
        "speech": {k: v for k, v in asdict(settings.speech).items() if k not in _TIMING_FIELDS},
        "target": settings.target_lufs, "tp": settings.true_peak_dbtp,
        "rate": settings.sample_rate,
    }, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


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
        logger.debug("render cache hit %s", final.name)
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
