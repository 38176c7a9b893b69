"""Speech synthesis: already-normalised Vietnamese text in, one cached WAV file out.

The station must air something even when the network is down, and must never air the same
text through a fresh synthesis twice (the evidence log records exactly which audio was
played). Hence:

- engines are tried in the configured order (``tts.engines``); each failure is logged and
  the next engine is used; the engine that produced the file is recorded in :class:`Speech`;
- every file is cached by SHA-256 of (text, engine, voice, rate) under ``cache_dir/speech``;
  before synthesising anything, the cache is looked up for *every* engine in order, so a
  bulletin once made by the fallback engine is not remade (and does not change) later;
- long text is split at sentence boundaries; pieces are cached one by one (an edited
  bulletin only re-synthesises the sentences that changed) and made in parallel where the
  engine allows, then joined with short natural pauses;
- a file that is empty or silent is a failure, never a result; nothing partial is left
  behind (every write is a temporary file renamed on success);
- when gTTS cannot be reached at all (no connection, timeout, DNS), or Google's servers keep
  failing (5xx or 429 through every retry), it is skipped for
  ``gtts_cooldown_s`` (a circuit breaker): on a dead or hanging link every render would
  otherwise wait out gTTS's timeouts and retries before espeak-ng, and an emergency cannot
  wait. The breaker is a small file in the cache folder, so renders in other processes (the
  station's render worker, ``broadcaster render``) see it too. After the cooldown gTTS is tried
  again, and a success closes the breaker. The first timeout is enough to open it;
- gTTS gets a total time budget per text (``gtts_budget_s``), and a render that must be ready
  by a given instant (``deadline``) gives gTTS only what is left after ``espeak_reserve_s``
  (the time espeak-ng and the levelling need): near air time, espeak-ng speaks at once;
- ``upgrade=True`` (the pre-render of upcoming programs) looks past a cached fallback: it tries
  the engines ranked above it again, so a program once made with espeak-ng while the network
  was down is made with Google's voice as soon as it answers, before air time.

Text normalisation is not done here: see :mod:`audio.normalize`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from audio.audiofile import (
    AudioToolError,
    atomic_output,
    check_complete,
    check_speech_audio,
    join_wavs,
    sha256_file,
    wav_info,
)
from audio.cache import touch
from audio.engines_espeak import VOICES as ESPEAK_VOICES
from audio.engines_espeak import EspeakEngine
from audio.engines_gtts import GttsEngine, GttsUnavailableError, GttsUnreachableError
from audio.normalize import TextInputError, clean_text

logger = logging.getLogger(__name__)

#: Raised into the cache key: bump it when the audio made for the same key would change
#: (pause lengths, output format), so old files are not mistaken for new ones.
CACHE_FORMAT = 1

#: Longest text the engines are given at once; longer sentences are split at commas, then words.
MAX_CHUNK_CHARS = 200

#: Longest text accepted at all (the same limit as :func:`audio.normalize.clean_text`).
MAX_TEXT_CHARS = 20_000

#: Pauses inserted after a piece, by what ended it: a listener needs the breath a reader takes.
PAUSE_S = {"\n": 0.7, ".": 0.45, "!": 0.45, "?": 0.45, ";": 0.35, ",": 0.2, "": 0.15}

RATE_RANGE = (0.8, 1.2)


class SynthesisError(Exception):
    """No engine could produce speech; ``str(exc)`` is Vietnamese and lists each reason."""


@dataclass(frozen=True)
class SpeechSettings:
    """How to speak: engine order, espeak-ng voice, relative rate, gTTS network limits."""

    engines: tuple[str, ...] = ("gtts", "espeak")  # order from tts.engines
    voice: str = "vi"  # espeak voice: vi, vi-vn-x-central, vi-vn-x-south
    rate: float = 1.0  # 0.8..1.2 relative speaking rate
    gtts_tld: str = "com.vn"
    gtts_timeout_s: float = 10.0
    gtts_retries: int = 2
    gtts_cooldown_s: float = 300.0  # skip gTTS this long after it could not be reached
    gtts_budget_s: float = 20.0  # at most this long waiting for gTTS per text
    espeak_reserve_s: float = 5.0  # kept before a deadline for espeak-ng and the levelling

    def __post_init__(self) -> None:
        """Reject settings that could only fail later, at air time, with a clear message."""
        if isinstance(self.engines, str | list):
            object.__setattr__(
                self,
                "engines",
                (self.engines,) if isinstance(self.engines, str) else tuple(self.engines),
            )
        if not self.engines:
            raise ValueError("Cần ít nhất một bộ đọc (tts.engines), ví dụ: gtts, espeak.")
        unknown = [name for name in self.engines if name not in ENGINE_FACTORIES]
        if unknown:
            raise ValueError(
                f"Bộ đọc không được hỗ trợ: {', '.join(unknown)} "
                f"(chọn trong: {', '.join(ENGINE_FACTORIES)})."
            )
        if self.voice not in ESPEAK_VOICES:
            choices = ", ".join(ESPEAK_VOICES)
            raise ValueError(f"Giọng đọc không hợp lệ: {self.voice!r} (chọn một trong: {choices}).")
        if self.gtts_budget_s <= 0:
            raise ValueError("Thời gian dành cho gTTS mỗi lần dựng (tts.gtts_budget_s) phải lớn hơn 0.")
        if self.espeak_reserve_s < 0:
            raise ValueError("Thời gian dự phòng cho espeak (tts.espeak_reserve_s) không được âm.")
        if self.gtts_cooldown_s < 0:
            raise ValueError("Thời gian tạm bỏ qua gTTS (tts.gtts_cooldown_s) không được âm.")
        low, high = RATE_RANGE
        if not low <= self.rate <= high:
            raise ValueError(f"Tốc độ đọc phải trong khoảng {low} đến {high}, nhận {self.rate}.")


@dataclass(frozen=True)
class Speech:
    """One synthesised text, as the evidence log records it."""

    path: Path  # a WAV file (PCM s16le, mono, 44100 Hz) in the cache
    engine: str  # "gtts" or "espeak" — the engine that actually produced it
    voice: str
    text_sha256: str  # sha256 of the normalised text (utf-8)
    audio_sha256: str  # sha256 of the WAV file bytes
    seconds: float


class Engine(Protocol):
    """What :func:`synthesize` needs from a speech engine."""

    name: str
    parallelism: int

    @property
    def voice(self) -> str:
        """The voice the engine speaks with, recorded beside each file (read-only for gTTS)."""
        ...

    def available(self) -> bool:
        """Tell whether the engine's programs and libraries are installed."""
        ...

    def synthesize(self, text: str, rate: float, dest: Path) -> None:
        """Write ``text`` as a cache-format WAV to ``dest``; raise an exception on failure."""
        ...


#: Engine name → factory from settings. Tests and future engines register here.
ENGINE_FACTORIES: dict[str, Callable[[SpeechSettings], Engine]] = {
    "gtts": lambda s: GttsEngine(
        tld=s.gtts_tld, timeout_s=s.gtts_timeout_s, retries=s.gtts_retries
    ),
    "espeak": lambda s: EspeakEngine(voice=s.voice),
}


def available_engines() -> dict[str, bool]:
    """Which engines can run on this machine (programs and libraries installed, not network)."""
    defaults = SpeechSettings()
    return {name: factory(defaults).available() for name, factory in ENGINE_FACTORIES.items()}


@dataclass(frozen=True)
class Chunk:
    """A piece of text given to an engine at once, and the pause that follows it."""

    text: str
    pause_s: float


_BOUNDARY = re.compile(r"([.!?;]+[ \t]*\n*|\n+)")


def split_text(text: str, max_chars: int = MAX_CHUNK_CHARS) -> list[Chunk]:
    """Split text at sentence boundaries (. ! ? ; newline), then commas, then spaces.

    Pieces without a letter or digit (stray punctuation) are dropped: an engine given only
    "..." produces silence or an error. The last piece has no pause after it.
    """
    chunks: list[Chunk] = []
    parts = _BOUNDARY.split(text)
    for index in range(0, len(parts), 2):
        sentence = parts[index]
        mark = parts[index + 1] if index + 1 < len(parts) else ""
        if "\n" in mark:
            pause = PAUSE_S["\n"]
        else:
            pause = PAUSE_S.get(mark[:1], PAUSE_S[""])
        punct = mark.strip()
        chunks.extend(_split_long(sentence.strip() + punct, pause, max_chars))
    chunks = [c for c in chunks if any(ch.isalnum() for ch in c.text)]
    if chunks:
        chunks[-1] = Chunk(chunks[-1].text, 0.0)
    return chunks


def _split_long(sentence: str, pause: float, max_chars: int) -> list[Chunk]:
    """Split one sentence longer than ``max_chars`` at commas, then at spaces."""
    if len(sentence) <= max_chars:
        return [Chunk(sentence, pause)]
    pieces: list[str] = []
    for clause in re.split(r"(?<=,)\s+", sentence):
        if pieces and len(pieces[-1]) + 1 + len(clause) <= max_chars:
            pieces[-1] = f"{pieces[-1]} {clause}"
            continue
        while len(clause) > max_chars:
            cut = clause.rfind(" ", 0, max_chars)
            cut = cut if cut > 0 else max_chars
            pieces.append(clause[:cut].strip())
            clause = clause[cut:].strip()
        pieces.append(clause)
    out = [Chunk(p, PAUSE_S[","] if p.endswith(",") else PAUSE_S[""]) for p in pieces if p]
    out[-1] = Chunk(out[-1].text, pause)
    return out


def cache_key(text: str, engine: str, voice: str, rate: float) -> str:
    """SHA-256 of (text, engine, voice, rate): the identity of one synthesised file."""
    payload = json.dumps(
        {"v": CACHE_FORMAT, "text": text, "engine": engine, "voice": voice, "rate": round(rate, 4)},
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _cached(path: Path) -> bool:
    """A cache hit is a readable WAV holding every frame its header announces; anything else
    (truncated by hand, or cut by a full disk) is discarded and made again."""
    if not path.is_file():
        return False
    try:
        info = check_complete(path)
    except AudioToolError:
        logger.warning("bỏ tệp bộ nhớ đệm không đọc được %s", path)
        path.unlink(missing_ok=True)
        return False
    return info.frames > 0


def _prepare_text(text: str) -> str:
    """Validate the input (empty, too long) with a Vietnamese message; no normalisation here."""
    if not isinstance(text, str):
        raise SynthesisError("Nội dung cần đọc phải là văn bản.")
    try:
        text = clean_text(text)
    except TextInputError as exc:
        raise SynthesisError(str(exc)) from exc
    text = text.strip()
    if not text or not any(ch.isalnum() for ch in text):
        raise SynthesisError("Không có nội dung để đọc: văn bản trống.")
    if len(text) > MAX_TEXT_CHARS:
        raise SynthesisError(
            f"Văn bản quá dài ({len(text)} ký tự); tối đa {MAX_TEXT_CHARS} ký tự mỗi lần đọc."
        )
    return text


#: Less than this left for gTTS before a deadline: not worth a request, espeak-ng speaks.
MIN_GTTS_S = 1.0


def synthesize(text: str, settings: SpeechSettings, cache_dir: Path, *,
               deadline: float | None = None, upgrade: bool = False) -> Speech:
    """Speak already-normalised ``text``; return the cached WAV and who made it.

    ``deadline`` (seconds since the epoch, as ``time.time()``) is when the audio must be ready,
    usually the air time: gTTS gets at most what is left of it after ``espeak_reserve_s``, and
    never more than ``gtts_budget_s``. ``upgrade`` tries engines ranked above a cached
    fallback again (see the module docstring).

    Raises :class:`SynthesisError` (Vietnamese message) for empty input or when every engine
    failed; the message names each engine's reason.
    """
    text_sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest() if isinstance(text, str) else ""
    spoken = _prepare_text(text)
    speech_dir = Path(cache_dir) / "speech"
    engines = [ENGINE_FACTORIES[name](settings) for name in settings.engines]

    hit: Engine | None = None
    for engine in engines:  # a hit for any engine, in order, wins over synthesising anew
        path = speech_dir / f"{cache_key(spoken, engine.name, engine.voice, settings.rate)}.wav"
        if _cached(path):
            hit = engine
            break
    if hit is not None and (not upgrade or hit is engines[0]):
        logger.debug("dùng lại giọng đọc đã lưu (%s): %s", hit.name, path.name)
        touch(path)
        return _speech(path, hit, text_sha256)

    reasons: list[str] = []
    for engine in engines:
        if engine is hit:  # nothing ranked above the cached audio worked: keep what we have
            return _speech(_cache_path(spoken, engine, settings, speech_dir), engine, text_sha256)
        skipped = _breaker_open(engine.name, cache_dir)
        if skipped:
            logger.warning("bộ đọc %s: %s", engine.name, skipped)
            reasons.append(f"{engine.name}: {skipped}")
            continue
        if not engine.available():
            reason = f"{engine.name}: chưa cài đặt trên máy này"
            logger.warning("bộ đọc %s chưa cài đặt trên máy này, thử bộ đọc tiếp theo", engine.name)
            reasons.append(reason)
            continue
        limit: float | None = None
        if engine.name == "gtts":
            limit = gtts_time_left(settings, deadline)
            if limit < MIN_GTTS_S:
                reason = (f"sắp đến giờ phát (còn {max(0.0, limit + settings.espeak_reserve_s):.0f} "
                          f"giây): dùng ngay bộ đọc dự phòng")
                logger.warning("bộ đọc gtts: %s", reason)
                reasons.append(f"gtts: {reason}")
                continue
            set_deadline = getattr(engine, "set_deadline", None)
            if set_deadline is not None:
                set_deadline(time.monotonic() + limit)
        try:
            path = _synthesize_with(engine, spoken, settings.rate, speech_dir, limit)
        except Exception as exc:  # noqa: BLE001 - every failure means: try the next engine
            if isinstance(exc, GttsUnavailableError) and settings.gtts_cooldown_s > 0:
                _trip_breaker(engine.name, cache_dir, settings.gtts_cooldown_s, str(exc))
            if not isinstance(exc, AudioToolError):
                logger.exception("bộ đọc %s lỗi bất ngờ", engine.name)
            else:
                logger.warning("bộ đọc %s thất bại: %s", engine.name, exc)
            reasons.append(f"{engine.name}: {exc}")
            continue
        _reset_breaker(engine.name, cache_dir)
        return _speech(path, engine, text_sha256)
    raise SynthesisError("Không tạo được giọng đọc. " + "; ".join(reasons))


def gtts_time_left(settings: SpeechSettings, deadline: float | None) -> float:
    """Seconds gTTS may take now: its budget, cut to what a ``deadline`` leaves after the
    reserve for espeak-ng (negative when air time is too near for gTTS at all)."""
    if deadline is None:
        return settings.gtts_budget_s
    return min(settings.gtts_budget_s, deadline - time.time() - settings.espeak_reserve_s)


def cached_engine(text: str, settings: SpeechSettings, cache_dir: Path) -> str | None:
    """The engine whose cached audio of ``text`` (normalised) would air now, or None.

    Cheap (hashing and a file check, no synthesis): the dashboard and the pre-render planner
    ask it for every speech item of the upcoming programs.
    """
    try:
        spoken = _prepare_text(text)
    except SynthesisError:
        return None
    speech_dir = Path(cache_dir) / "speech"
    for name in settings.engines:
        engine = ENGINE_FACTORIES[name](settings)
        if _cache_path(spoken, engine, settings, speech_dir).is_file():
            return name
    return None


def breaker_reason(engine: str, cache_dir: Path) -> str:
    """Why ``engine`` is skipped now (Vietnamese), or "" when it is tried (see the breaker)."""
    return _breaker_open(engine, cache_dir)


def _cache_path(spoken: str, engine: Engine, settings: SpeechSettings, speech_dir: Path) -> Path:
    return speech_dir / f"{cache_key(spoken, engine.name, engine.voice, settings.rate)}.wav"


def _breaker_file(engine: str, cache_dir: Path) -> Path:
    return Path(cache_dir) / f"{engine}-unreachable.json"


def _breaker_open(engine: str, cache_dir: Path) -> str:
    """Why ``engine`` is skipped now (Vietnamese), or "" when it may be tried."""
    path = _breaker_file(engine, cache_dir)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        until, reason = float(state["until"]), str(state.get("reason", ""))
    except FileNotFoundError:
        return ""
    except (OSError, ValueError, KeyError, TypeError):
        logger.warning("bỏ qua tệp trạng thái kết nối không đọc được %s", path)
        return ""
    now = time.time()
    if now >= until:
        return ""
    when = time.strftime("%H:%M:%S", time.localtime(until))
    return (f"tạm bỏ qua đến {when} (còn {until - now:.0f} giây) vì lần trước không dùng "
            f"được: {reason}")


def _trip_breaker(engine: str, cache_dir: Path, cooldown_s: float, reason: str) -> None:
    """Remember, for every process using this cache, that ``engine`` is unreachable."""
    path = _breaker_file(engine, cache_dir)
    until = time.time() + cooldown_s
    state = {"until": until, "reason": reason, "pid": os.getpid()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        logger.exception("không ghi được tệp trạng thái kết nối %s", path)
        return
    logger.warning("bỏ qua %s đến %s (%.0f giây) vì không dùng được: %s", engine,
                   time.strftime("%H:%M:%S", time.localtime(until)), cooldown_s, reason)


def _reset_breaker(engine: str, cache_dir: Path) -> None:
    path = _breaker_file(engine, cache_dir)
    if path.exists():
        path.unlink(missing_ok=True)
        logger.info("bộ đọc %s kết nối được trở lại", engine)


def _speech(path: Path, engine: Engine, text_sha256: str) -> Speech:
    return Speech(
        path=path,
        engine=engine.name,
        voice=engine.voice,
        text_sha256=text_sha256,
        audio_sha256=sha256_file(path),
        seconds=round(wav_info(path).seconds, 3),
    )


def _synthesize_with(engine: Engine, text: str, rate: float, speech_dir: Path,
                     limit_s: float | None = None) -> Path:
    """Make the whole text with one engine (no voice change mid-bulletin), chunk by chunk.

    ``limit_s`` bounds the whole text (gTTS's budget): pieces still being fetched when it runs
    out are abandoned (their threads end at their own request timeout, which the engine has
    already cut to the same instant) and the engine counts as unreachable.
    """
    final = speech_dir / f"{cache_key(text, engine.name, engine.voice, rate)}.wav"
    chunks = split_text(text)
    if not chunks:
        raise AudioToolError("Không có câu nào để đọc.")
    paths = [
        speech_dir / f"{cache_key(c.text, engine.name, engine.voice, rate)}.wav" for c in chunks
    ]

    def make(index: int) -> Path:
        path = paths[index]
        if _cached(path):
            return path
        with atomic_output(path) as tmp:
            engine.synthesize(chunks[index].text, rate, tmp)
            check_speech_audio(tmp)
        return path

    # A sentence repeated in one bulletin ("Đề nghị bà con chú ý.") is made once.
    first_index: dict[Path, int] = {}
    for index, path in enumerate(paths):
        first_index.setdefault(path, index)
    unique = list(first_index.values())
    workers = max(1, min(engine.parallelism, len(unique)))
    if workers == 1 and limit_s is None:
        for index in unique:
            make(index)
    else:
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"tts-{engine.name}")
        try:
            futures = [pool.submit(make, index) for index in unique]
            # Stop at the first failure: the engine has failed for this text, and the next
            # engine should start as soon as possible (pieces not yet started are cancelled).
            done, pending = wait(futures, timeout=None if limit_s is None else limit_s + 0.5,
                                 return_when=FIRST_EXCEPTION)
            failed = [f for f in futures if f in done and f.exception() is not None]
            if failed:
                raise failed[0].exception()  # type: ignore[misc]
            if pending:
                raise GttsUnreachableError(
                    f"{engine.name} không trả lời hết trong {limit_s:.0f} giây dành cho nó")
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    if len(chunks) == 1 and paths[0] == final:
        return final
    join_wavs([(p, c.pause_s) for p, c in zip(paths, chunks, strict=True)], final)
    return final
