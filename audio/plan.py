"""What a program is and its content key, without numpy: items, settings, parts, the cache key.

Why its own module: :func:`audio.compose.render_program` files every render under the hash of
its parts and settings (:func:`render_key`); the station daemon computes that same key to find a
finished, verified render (:func:`find_render`) without waiting for its render worker to start
(a restarted station would otherwise render again what the killed one had ready). Nothing here
synthesises or levels audio; :mod:`audio.compose` does, with these same definitions.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from audio import jingles
from audio.audiofile import AudioToolError, check_speech_audio, sha256_file
from audio.cache import touch
from audio.normalize import normalize
from audio.tts import SpeechSettings
from audio.versions import JINGLE_VERSION, LEVEL_VERSION, RENDER_VERSION

KINDS = ("speech", "recording", "jingle", "pause")
FORMATS = {"wav": "wav", "mp3": "mp3", "opus": "opus"}
PRIORITIES = ("normal", "priority", "emergency")
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
class Part:
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


def normalise_text(text: str, settings: RenderSettings) -> str:
    try:
        spoken = normalize(text, glossary=dict(settings.glossary) or None,
                           dialect=settings.dialect)
    except Exception as exc:  # TextInputError and friends carry a Vietnamese message
        raise RenderError(f"Không chuẩn hoá được văn bản: {exc}") from exc
    if not spoken.strip():
        raise RenderError("Bản tin không có chữ nào để đọc.")
    return spoken


def _file_part(kind: str, title: str, path: Path) -> Part:
    path = Path(path)
    if not path.is_file():
        raise RenderError(f"Không tìm thấy tệp âm thanh “{path.name}” cho mục “{title or kind}”.")
    digest = sha256_file(path)
    return Part(kind=kind, title=title, key=f"{kind}:{digest}", source=path,
                 record=ItemRecord(kind, title, None, None, digest, None, 0.0))


def plan_parts(items: Sequence[ProgramItem], settings: RenderSettings, cache_dir: Path,
               make_jingles: bool = True) -> list[Part]:
    """Turn items into the parts that will sound, in order, gaps included; nothing synthesised.

    ``make_jingles=False`` never synthesises a missing built-in jingle (that needs numpy): it
    raises RenderError instead, for :func:`find_render`.
    """
    if not items:
        raise RenderError("Chương trình không có mục nào.")
    parts: list[Part] = []
    gap = Part(kind="gap", title="", key=f"gap:{settings.gap_s:.3f}", seconds=settings.gap_s)

    crossfade_ms = int(round(settings.jingle_crossfade_s * 1000))

    def add(part: Part) -> None:
        if parts and crossfade_ms and parts[-1].kind == "jingle" and part.kind in ("speech", "recording"):
            parts[-1] = replace(parts[-1], crossfade_ms=crossfade_ms)
        elif parts and part.kind != "pause" and parts[-1].kind not in ("pause", "gap") \
                and settings.gap_s > 0:
            parts.append(gap)
        parts.append(part)

    phrase: Part | None = None
    for index, item in enumerate(items, start=1):
        if item.kind not in KINDS:
            raise RenderError(f"Mục {index}: loại “{item.kind}” không hợp lệ ({', '.join(KINDS)}).")
        if item.repeat < 1:
            raise RenderError(f"Mục {index}: số lần đọc phải từ 1 trở lên.")
        if item.kind == "pause":
            if not 0 < item.seconds <= 600:
                raise RenderError(f"Mục {index}: khoảng lặng phải từ 0 đến 600 giây.")
            parts.append(Part(kind="pause", title=item.title, key=f"pause:{item.seconds:.3f}",
                               seconds=item.seconds))
            continue
        if item.kind == "speech":
            raw = settings.greeting if item.text is None else item.text
            title = item.title or (GREETING_TITLE if item.text is None else "")
            spoken = normalise_text(raw, settings)
            part = Part(kind="speech", title=title, key=f"speech:{_sha256_text(spoken)}",
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
                    path = (jingles.jingle_path(item.jingle or "", cache_dir) if make_jingles
                            else jingles.jingle_file(item.jingle or "", cache_dir))
                except jingles.JingleError as exc:
                    raise RenderError(f"Mục {index}: {exc}") from exc
                part = _file_part("jingle", item.title or str(item.jingle), path)
        if item.repeat > 1 and item.kind == "jingle":
            raise RenderError(f"Mục {index}: nhạc hiệu không nhắc lại được.")
        for reading in range(item.repeat):
            if reading:
                if phrase is None:
                    text = normalise_text(settings.repeat_phrase, settings)
                    phrase = Part(kind="speech", title=REPEAT_TITLE,
                                   key=f"speech:{_sha256_text(text)}", text=text)
                add(replace(phrase))
            add(replace(part))
    return parts


_TIMING_FIELDS = frozenset({"gtts_budget_s", "espeak_reserve_s"})


def render_key(parts: list[Part], settings: RenderSettings) -> str:
    blob = json.dumps({
        "v": RENDER_VERSION, "level": LEVEL_VERSION, "jingles": JINGLE_VERSION,
        "parts": [p.key + (f"~{p.crossfade_ms}" if p.crossfade_ms else "") for p in parts],
        # how the audio sounds, not how long gTTS may take (budget, reserve)
        "speech": {k: v for k, v in asdict(settings.speech).items() if k not in _TIMING_FIELDS},
        "target": settings.target_lufs, "tp": settings.true_peak_dbtp,
        "rate": settings.sample_rate,
    }, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def find_render(items: Sequence[ProgramItem], settings: RenderSettings,
                cache_dir: Path, verify: bool = True) -> RenderResult | None:
    """The cached WAV render of exactly this program, verified, or None.

    Verified means: its metadata is there, the file's SHA-256 is the one recorded when it was
    made, and it is neither empty nor silent. Anything missing or different (a changed text, a
    changed setting, a pruned or damaged file, a jingle not yet made) gives None: render again.
    ``verify=False`` only looks the render up (what was made from it is what the caller needs).
    """
    try:
        parts = plan_parts(items, settings, cache_dir, make_jingles=False)
    except (RenderError, OSError):
        return None
    key = render_key(parts, settings)
    wav = Path(cache_dir) / "renders" / f"{key}.wav"
    try:
        meta = json.loads(wav.with_suffix(".json").read_text(encoding="utf-8"))
        digest = meta["sha256"]["wav"]
        if not wav.is_file():
            return None
        if verify:
            if sha256_file(wav) != digest:
                return None
            check_speech_audio(wav)
        records = tuple(ItemRecord(**r) for r in meta["items"])
        seconds = float(meta["seconds"])
    except (OSError, ValueError, KeyError, TypeError, AudioToolError):
        return None
    touch(wav)
    touch(wav.with_suffix(".json"))
    return RenderResult(wav, digest, seconds, records, cached=True)
