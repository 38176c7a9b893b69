"""Validate and store recordings uploaded by the office or village heads.

Why so strict: an uploaded file goes on air to the whole commune, often at a scheduled hour when
no one is listening in the office. A renamed document, a half-uploaded MP3 or an hour of hiss must
be refused at upload time, with a message the uploader understands, not discovered at airtime.
Files are stored under the SHA-256 of their content: the name given by the uploader never reaches
the file system (no path tricks, no overwrites) and the evidence log can name the exact audio.

Checks, cheapest first: size, ffprobe (is it a supported audio container with an audio stream,
how long does it claim to be), then one full decode through ffmpeg's ebur128 meter (does it decode
to the end without errors, is it as long as it claims, is there any sound in it).
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audio.audiofile import sha256_file

logger = logging.getLogger(__name__)

MAX_BYTES = 200 * 1024 * 1024
MAX_SECONDS = 3600.0
#: Loudness (LUFS) and sample peak (dBFS) below which a recording is considered silent.
SILENT_LUFS = -60.0
SILENT_PEAK_DBFS = -50.0

#: ffprobe format name (as it reports it) → the extension we store the file under.
_FORMATS = {
    "mp3": "mp3",
    "wav": "wav",
    "ogg": "ogg",
    "flac": "flac",
    "mov,mp4,m4a,3gp,3g2,mj2": "m4a",
}
_CODECS = {"mp3", "mp3float", "pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_u8",
           "pcm_s16be", "pcm_mulaw", "pcm_alaw", "adpcm_ms", "adpcm_ima_wav", "vorbis", "opus",
           "flac", "aac", "alac"}
_ACCEPTED = "MP3, WAV, OGG/Opus, M4A/AAC, FLAC"

_SUMMARY_I = re.compile(r"I:\s+(-?[\d.]+|-inf)\s+LUFS")
_SUMMARY_PEAK = re.compile(r"Peak:\s+(-?[\d.]+|-inf)\s+dBFS")
_OUT_TIME = re.compile(r"^out_time_us=(\d+)$", re.MULTILINE)


class UploadRejected(Exception):
    """An upload was refused; ``str(exc)`` says why, in Vietnamese, for the uploader."""


@dataclass(frozen=True)
class AudioAsset:
    """A stored, validated recording."""

    path: Path
    sha256: str
    seconds: float
    format: str        # mp3 | wav | ogg | m4a | flac
    sample_rate: int
    channels: int



def _vi(value: float) -> str:
    """One decimal with a comma, as Vietnamese readers write it ("2,5 phút")."""
    return f"{value:.1f}".replace(".", ",")

def _probe(src: Path) -> dict[str, Any]:
    try:
        proc = subprocess.run(
            ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
             str(src)],
            capture_output=True, check=False, timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UploadRejected(f"Không kiểm tra được tệp (ffprobe lỗi: {exc}).") from exc
    if proc.returncode != 0:
        logger.info("ffprobe từ chối %s: %s", src, proc.stderr.decode("utf-8", "replace").strip())
        raise UploadRejected(
            f"Tệp tải lên không phải là âm thanh (chỉ nhận {_ACCEPTED}) hoặc đã hỏng."
        )
    try:
        info: dict[str, Any] = json.loads(proc.stdout or b"{}")
        return info
    except ValueError as exc:
        raise UploadRejected("Không đọc được thông tin của tệp tải lên.") from exc


def _decode_check(src: Path, claimed_seconds: float) -> tuple[float, float, float]:
    """Decode the whole file once: return (decoded seconds, LUFS, sample peak dBFS).

    Raises UploadRejected when the decoder reports errors or stops well short of the length the
    container announces (a truncated upload).
    """
    try:
        proc = subprocess.run(
            ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "level+info",
             "-i", str(src), "-vn", "-af", "ebur128=peak=sample:framelog=verbose",
             "-progress", "pipe:1", "-f", "null", "-"],
            capture_output=True, check=False, timeout=600,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UploadRejected(f"Không giải mã được tệp tải lên: {exc}") from exc
    err = proc.stderr.decode("utf-8", "replace")
    errors = [line for line in err.splitlines() if "[error]" in line or "[fatal]" in line]
    times = _OUT_TIME.findall(proc.stdout.decode("ascii", "replace"))
    decoded = int(times[-1]) / 1e6 if times else 0.0
    if proc.returncode != 0 or decoded <= 0:
        raise UploadRejected("Tệp âm thanh bị hỏng: không giải mã được.")
    if claimed_seconds > 0 and decoded < claimed_seconds * 0.95 - 0.5:
        raise UploadRejected(
            f"Tệp âm thanh bị hỏng hoặc tải lên chưa hết: chỉ đọc được {_vi(decoded)} giây "
            f"trên {_vi(claimed_seconds)} giây."
        )
    if errors:
        logger.info("lỗi giải mã trong %s: %s", src, errors[:3])
        raise UploadRejected(
            f"Tệp âm thanh bị hỏng: có {len(errors)} lỗi khi giải mã. "
            "Hãy xuất lại tệp và tải lên lần nữa."
        )
    summary = err[err.rfind("Summary:"):]
    m_i, m_p = _SUMMARY_I.findall(summary), _SUMMARY_PEAK.findall(summary)
    lufs = float(m_i[-1]) if m_i and m_i[-1] != "-inf" else float("-inf")
    peak = float(m_p[-1]) if m_p and m_p[-1] != "-inf" else float("-inf")
    return decoded, lufs, peak


def _wav_header_seconds(path: Path) -> float | None:
    """Length a PCM WAV header announces, or None when unknown (streaming writers put 0 or
    0xFFFFFFFF there). ffprobe trusts the file size instead, so a cut WAV looks whole to it."""
    try:
        with wave.open(str(path), "rb") as w:
            frames, rate, width = w.getnframes(), w.getframerate(), w.getsampwidth()
            channels = w.getnchannels()
    except (wave.Error, EOFError, OSError):
        return None
    data_bytes = frames * width * channels
    if frames <= 0 or rate <= 0 or data_bytes >= 0xFFFFFF00:
        return None
    return frames / rate


def _validate(path: Path, max_seconds: float) -> tuple[str, dict[str, Any], float]:
    """Probe and decode ``path``; return (stored extension, audio stream info, seconds)."""
    info = _probe(path)
    fmt_name = info.get("format", {}).get("format_name", "")
    ext = _FORMATS.get(fmt_name)
    audio = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if ext is None or not audio:
        raise UploadRejected(
            f"Tệp tải lên không phải là âm thanh được hỗ trợ (chỉ nhận {_ACCEPTED})."
        )
    stream = audio[0]
    if stream.get("codec_name") not in _CODECS:
        raise UploadRejected(
            f"Định dạng âm thanh {stream.get('codec_name')} không được hỗ trợ "
            f"(chỉ nhận {_ACCEPTED})."
        )
    try:
        claimed = float(info["format"].get("duration") or stream.get("duration") or 0.0)
    except (TypeError, ValueError):
        claimed = 0.0
    if ext == "wav":
        claimed = max(claimed, _wav_header_seconds(path) or 0.0)
    if claimed > max_seconds:
        raise UploadRejected(
            f"Bản ghi quá dài: {_vi(claimed / 60)} phút, giới hạn là {max_seconds / 60:.0f} phút."
        )
    seconds, lufs, peak = _decode_check(path, claimed)
    if seconds > max_seconds:
        raise UploadRejected(
            f"Bản ghi quá dài: {_vi(seconds / 60)} phút, giới hạn là {max_seconds / 60:.0f} phút."
        )
    if lufs <= SILENT_LUFS or peak <= SILENT_PEAK_DBFS:
        raise UploadRejected("Bản ghi không có tiếng (im lặng). Hãy kiểm tra micro và ghi lại.")

    return ext, stream, seconds


def ingest_upload(src: Path, store_dir: Path, *, max_bytes: int = MAX_BYTES,
                  max_seconds: float = MAX_SECONDS) -> AudioAsset:
    """Validate an uploaded recording and store it as ``store_dir/<sha256>.<ext>``.

    Raises UploadRejected (Vietnamese message) when the file is not audio in a supported format,
    is corrupt or truncated, is longer than ``max_seconds``, larger than ``max_bytes``, or silent.
    Storing the same content twice returns the same asset.
    """
    src = Path(src)
    if not src.is_file():
        raise UploadRejected("Không tìm thấy tệp tải lên.")
    size = src.stat().st_size
    if size == 0:
        raise UploadRejected("Tệp tải lên rỗng (0 byte).")
    if size > max_bytes:
        raise UploadRejected(
            f"Tệp quá lớn: {_vi(size / 1048576)} MB, giới hạn là {max_bytes / 1048576:.0f} MB."
        )
    store_dir = Path(store_dir)
    store_dir.mkdir(parents=True, exist_ok=True)
    # Work on our own copy from here on: what is checked is exactly what is stored.
    fd, tmp_name = tempfile.mkstemp(prefix=".upload-", dir=store_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        shutil.copyfile(src, tmp)
        ext, stream, seconds = _validate(tmp, max_seconds)
        digest = sha256_file(tmp)
        dest = store_dir / f"{digest}.{ext}"
        if not dest.exists():
            os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    asset = AudioAsset(path=dest, sha256=digest, seconds=round(seconds, 3), format=ext,
                       sample_rate=int(stream.get("sample_rate") or 0),
                       channels=int(stream.get("channels") or 0))
    logger.info("đã lưu tệp tải lên %s thành %s (%.1f giây, %s)", src.name, dest.name, seconds, ext)
    return asset
