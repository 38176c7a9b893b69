"""Small helpers for audio files: hashing, WAV facts, silence checks, atomic writes, ffmpeg.

Every file this package produces goes through :func:`atomic_output`, so a crash or a failed
engine never leaves a half-written or 0-byte file where a reader (the station, the cache)
would take it for real audio. WAV facts are read with the standard :mod:`wave` module because
all our intermediate audio is PCM s16le: no external process is needed to check a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import shutil
import subprocess
import tempfile
import wave
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

#: The one format every speech file in the cache has: what the rest of the pipeline expects.
SAMPLE_RATE = 44100
CHANNELS = 1
SAMPLE_WIDTH = 2  # bytes: PCM s16le

#: A file whose peak stays below this level is treated as silence (a failed synthesis).
SILENCE_PEAK_DBFS = -45.0


class AudioToolError(RuntimeError):
    """An external audio tool failed or produced unusable audio; ``str(exc)`` is Vietnamese."""


@dataclass(frozen=True)
class WavInfo:
    """Facts about a PCM WAV file, read from its header."""

    seconds: float
    sample_rate: int
    channels: int
    sample_width: int
    frames: int


def sha256_file(path: Path, chunk_size: int = 1 << 16) -> str:
    """Return the SHA-256 hex digest of a file's bytes (the evidence log records it)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


def wav_info(path: Path) -> WavInfo:
    """Read a WAV header; raise :class:`AudioToolError` when the file is not a readable WAV."""
    try:
        with wave.open(str(path), "rb") as wav:
            frames = wav.getnframes()
            rate = wav.getframerate()
            return WavInfo(
                seconds=frames / rate if rate else 0.0,
                sample_rate=rate,
                channels=wav.getnchannels(),
                sample_width=wav.getsampwidth(),
                frames=frames,
            )
    except (OSError, EOFError, wave.Error) as exc:
        raise AudioToolError(f"Tệp âm thanh {path.name} không đọc được: {exc}") from exc


def peak_dbfs(path: Path) -> float:
    """Return the peak level of a 16-bit PCM WAV in dBFS (``-inf`` for digital silence).

    The peak, not the loudness, is what tells a real voice from an empty or silent file:
    speech engines produce peaks near 0 dBFS, and a silent MP3 decodes to (near) zeros.
    """
    info = wav_info(path)
    if info.sample_width != SAMPLE_WIDTH:
        raise AudioToolError(
            f"Tệp âm thanh {path.name} không phải PCM 16 bit (độ rộng mẫu {info.sample_width})."
        )
    peak = 0
    with wave.open(str(path), "rb") as wav:
        while frames := wav.readframes(1 << 16):
            samples = array("h")
            samples.frombytes(frames[: len(frames) - len(frames) % 2])
            if samples:
                peak = max(peak, max(samples), -min(samples))
    if peak == 0:
        return float("-inf")
    return 20.0 * math.log10(min(peak, 32767) / 32767.0)


def last_frame_present(path: Path) -> bool:
    """Whether the last frame the header announces is really in the file (one seek, one read).

    Why: a WAV cut short by a full disk can keep a header that announces all its frames
    (measured: a speech clip announcing 108,166 frames held 10,218), and :func:`wav_info` reads
    only the header, so the cut clip passed as a cache hit and the bulletin aired cut short.
    Reading only the last frame keeps a cache check O(1) for a ten-minute programme.
    """
    try:
        with wave.open(str(path), "rb") as wav:
            frames = wav.getnframes()
            if frames == 0:
                return True
            wav.setpos(frames - 1)
            return len(wav.readframes(1)) == wav.getsampwidth() * wav.getnchannels()
    except (OSError, EOFError, wave.Error) as exc:
        raise AudioToolError(f"Tệp âm thanh {path.name} không đọc được: {exc}") from exc


def check_complete(path: Path) -> WavInfo:
    """The header, once the frames it announces are all there; AudioToolError otherwise."""
    info = wav_info(path)
    if not last_frame_present(path):
        raise AudioToolError(f"Tệp âm thanh {path.name} bị cắt cụt (thiếu khung cuối trong "
                             f"{info.frames} khung tiêu đề báo; ổ đĩa đầy khi ghi?)")
    return info


def check_speech_audio(path: Path, *, min_seconds: float = 0.05) -> WavInfo:
    """Check that a WAV holds audible sound; raise :class:`AudioToolError` otherwise.

    An empty or silent file is a failed synthesis, never a result: played on air it would be
    dead air recorded as a completed broadcast.
    """
    info = check_complete(path)
    if info.frames == 0 or info.seconds < min_seconds:
        raise AudioToolError(f"Tệp âm thanh rỗng ({info.seconds:.2f} giây).")
    level = peak_dbfs(path)
    if level < SILENCE_PEAK_DBFS:
        shown = "−∞" if math.isinf(level) else f"{level:.1f}"
        raise AudioToolError(f"Tệp âm thanh chỉ có im lặng (đỉnh {shown} dBFS).")
    return info


@contextlib.contextmanager
def atomic_output(dest: Path, *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; on success rename it onto ``dest``.

    The rename (:func:`os.replace`) is atomic on one file system, so readers see either the
    old file, no file, or the complete new one. On any exception the temporary file is removed
    and nothing appears at ``dest``.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=suffix, dir=dest.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise AudioToolError(f"Không tạo được tệp {dest.name}: tệp tạm rỗng.")
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the web panel may run as another user
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write_bytes(dest: Path, data: bytes) -> None:
    """Write ``data`` to ``dest`` atomically (temporary file, fsync, rename)."""
    with atomic_output(dest) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())


def tool_available(name: str) -> bool:
    """Tell whether an external program is on ``PATH``."""
    return shutil.which(name) is not None


def run_tool(
    args: Sequence[str], *, input_bytes: bytes | None = None, timeout_s: float = 120.0
) -> subprocess.CompletedProcess[bytes]:
    """Run an external program (argument list, no shell); raise a Vietnamese error with stderr."""
    program = args[0]
    try:
        return subprocess.run(
            list(args), input=input_bytes, capture_output=True, check=True, timeout=timeout_s
        )
    except FileNotFoundError as exc:
        raise AudioToolError(f"Không tìm thấy chương trình {program}.") from exc
    except subprocess.TimeoutExpired as exc:
        raise AudioToolError(f"{program} chạy quá {timeout_s:g} giây và đã bị dừng.") from exc
    except subprocess.CalledProcessError as exc:
        stderr = (exc.stderr or b"").decode("utf-8", "replace").strip()
        raise AudioToolError(
            f"{program} lỗi (mã {exc.returncode}): {stderr[-500:] or 'không có thông báo'}"
        ) from exc


def to_speech_wav(src: Path, dest: Path, *, tempo: float = 1.0) -> None:
    """Convert any audio ffmpeg reads into the cache format (PCM s16le, mono, 44100 Hz).

    ``tempo`` changes the speaking rate without changing pitch (ffmpeg ``atempo``). The output
    carries no encoder tag or metadata, so the same input always gives the same bytes.
    """
    filters = [f"atempo={tempo:.4f}"] if abs(tempo - 1.0) > 1e-6 else []
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(src)]
    if filters:
        args += ["-af", ",".join(filters)]
    args += [
        "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact",
        "-ar", str(SAMPLE_RATE), "-ac", str(CHANNELS), "-c:a", "pcm_s16le",
        "-f", "wav", str(dest),
    ]  # fmt: skip
    run_tool(args)


def silence_frames(seconds: float) -> bytes:
    """Return PCM s16le mono frames of digital silence lasting ``seconds`` at the cache rate."""
    return b"\x00\x00" * int(round(seconds * SAMPLE_RATE))


def join_wavs(parts: Sequence[tuple[Path, float]], dest: Path) -> None:
    """Join cache-format WAVs into ``dest``, each followed by its pause in seconds (atomically).

    All parts must already be in the cache format; joining them needs no re-encoding, so it
    is exact and fast.
    """
    with atomic_output(dest) as tmp:
        with wave.open(str(tmp), "wb") as out:
            out.setnchannels(CHANNELS)
            out.setsampwidth(SAMPLE_WIDTH)
            out.setframerate(SAMPLE_RATE)
            for index, (path, pause_s) in enumerate(parts):
                info = wav_info(path)
                if (info.sample_rate, info.channels, info.sample_width) != (
                    SAMPLE_RATE,
                    CHANNELS,
                    SAMPLE_WIDTH,
                ):
                    raise AudioToolError(f"Tệp {path.name} không đúng định dạng để ghép.")
                with wave.open(str(path), "rb") as wav:
                    while frames := wav.readframes(1 << 16):
                        out.writeframes(frames)
                if index < len(parts) - 1 and pause_s > 0:
                    out.writeframes(silence_frames(pause_s))
