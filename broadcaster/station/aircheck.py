"""Air-check: record what the output actually played, from the PulseAudio sink's monitor.

Why: the rendered file proves what was meant; only a recording of the output proves what aired.
:class:`MonitorTap` reads the monitor as raw PCM in a thread, keeps the peak and the first audible
sample (with its wall-clock time), and optionally pipes the PCM into ffmpeg to store an Opus file.
The same tap measures start error in the tests and the benchmark, so there is one definition of
"heard".

Timing: the monitor is a continuous real-time stream, so sample *k* was captured at ``t0 + k/rate``.
``t0`` is estimated as the minimum of ``arrival − frames_so_far/rate`` over the chunks read within
``WINDOW_S`` of the sample in question: the least-delayed chunk bounds the capture latency, and the
window keeps slow drift between the sound server's clock and the system clock out of the estimate.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import os
import shutil
import subprocess
import threading
import time
from array import array
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from audio.audiofile import sha256_file
from broadcaster.station import children

logger = logging.getLogger(__name__)

RATE = 44100
CHUNK_FRAMES = 441  # 10 ms
#: Above this |sample| (about −50 dBFS) a sample is "audible"; the null sink's silence is 0.
AUDIBLE_THRESHOLD = 100
#: An air-check whose peak stays below this (dBFS) is dead air.
DEAD_AIR_DBFS = -45.0
OPUS_BITRATE = "32k"
#: Chunks this close (in seconds of audio) to a sample time it.
WINDOW_S = 1.5


#: Less free space than this under the air-check when the encoder stops: the disk filled.
FULL_DISK_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class TapResult:
    frames: int
    peak: int
    first_audible_at: dt.datetime | None
    error: str

    @property
    def peak_dbfs(self) -> float:
        return 20 * math.log10(self.peak / 32767) if self.peak else float("-inf")

    @property
    def silent(self) -> bool:
        return self.frames > 0 and self.peak_dbfs < DEAD_AIR_DBFS


class MonitorTap:
    """``parec`` on a monitor source, read in a thread; optionally teed into an ffmpeg encoder."""

    def __init__(self, source: str, *, encode_to: Path | None = None,
                 threshold: int = AUDIBLE_THRESHOLD) -> None:
        self.source = source
        self.encode_to = encode_to
        self.threshold = threshold
        self.frames = 0
        self.peak = 0
        self._first_frame: int | None = None
        self._estimates: deque[tuple[int, float]] = deque(maxlen=200_000)
        self._error = ""
        self._parec: subprocess.Popen[bytes] | None = None
        self._ffmpeg: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._tmp: Path | None = None
        self.started = threading.Event()

    def start(self) -> None:
        argv = ["parec", f"--device={self.source}", "--format=s16le", f"--rate={RATE}",
                "--channels=1", "--latency-msec=10", "--raw"]
        # Both die with the station (kill -9 included): no recorder outlives what it records.
        self._parec = children.popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL)
        if self.encode_to is not None:
            self.encode_to.parent.mkdir(parents=True, exist_ok=True)
            self._tmp = self.encode_to.with_name(f".{self.encode_to.name}.{os.getpid()}.part")
            self._ffmpeg = children.popen(
                ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-f", "s16le",
                 "-ar", str(RATE), "-ac", "1", "-i", "pipe:0", "-c:a", "libopus",
                 "-b:a", OPUS_BITRATE, "-flush_packets", "1", "-page_duration", "250000",
                 "-f", "ogg", "-y", str(self._tmp)],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._thread = threading.Thread(target=self._read, name="aircheck", daemon=True)
        self._thread.start()

    @property
    def part_path(self) -> Path | None:
        """The file being encoded (renamed to ``encode_to`` when complete)."""
        return self._tmp

    def wait_started(self, timeout: float = 2.0) -> bool:
        """True once the first audio arrived (the monitor is being heard)."""
        return self.started.wait(timeout)

    def _why_encoder_stopped(self) -> str:
        """The reason the office reads when the encoder stopped taking audio mid-air.

        Why not the exception's text: it is "[Errno 32] Broken pipe" whatever happened; the
        usual cause is a full disk under the air-check, which is said so.
        """
        folder = self._tmp.parent if self._tmp is not None else None
        try:
            if folder is not None and shutil.disk_usage(folder).free < FULL_DISK_BYTES:
                return "ổ đĩa đầy, bộ mã hóa không ghi tiếp được bản thu"
        except OSError:
            pass
        code = self._ffmpeg.poll() if self._ffmpeg is not None else None
        return "bộ mã hóa bản thu dừng đột ngột" + (f" (mã thoát {code})" if code is not None else "")

    def _read(self) -> None:
        assert self._parec is not None and self._parec.stdout is not None
        stream = self._parec.stdout
        size = CHUNK_FRAMES * 2
        pending = b""
        while True:
            data = os.read(stream.fileno(), size * 4)
            arrival = time.time()
            if not data:
                break
            if self._ffmpeg is not None and self._ffmpeg.stdin is not None:
                try:
                    self._ffmpeg.stdin.write(data)
                except OSError:
                    self._error = self._why_encoder_stopped()
                    self._ffmpeg = None
            data = pending + data
            usable = len(data) - len(data) % 2
            pending = data[usable:]
            samples = array("h")
            samples.frombytes(data[:usable])
            start_frame = self.frames
            self.frames += len(samples)
            self._estimates.append((self.frames, arrival - self.frames / RATE))
            if samples:
                high = max(max(samples), -min(samples))
                if high > self.peak:
                    self.peak = min(high, 32767)
                if self._first_frame is None and high > self.threshold:
                    for index, value in enumerate(samples):
                        if abs(value) > self.threshold:
                            self._first_frame = start_frame + index
                            break
            self.started.set()

    def first_audible_at(self) -> dt.datetime | None:
        """Wall-clock time of the first sample above the threshold (None: nothing heard yet)."""
        return self.frame_time(self._first_frame) if self._first_frame is not None else None

    def frame_time(self, frame: int) -> dt.datetime | None:
        window = int(WINDOW_S * RATE)
        near = [t0 for frames, t0 in list(self._estimates) if abs(frames - frame) <= window]
        if not near:
            return None
        return dt.datetime.fromtimestamp(min(near) + frame / RATE, dt.timezone.utc)

    def reset_first_audible(self) -> None:
        """Look for the next sound from now on (one tap can time many broadcasts)."""
        self._first_frame = None

    def stop(self) -> TapResult:
        """Stop recording; finish the Opus file (renamed into place only when complete)."""
        if self._parec is not None:
            if self._parec.poll() is None:
                self._parec.terminate()
            try:
                _, err = self._parec.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                self._parec.kill()
                _, err = self._parec.communicate()
            if self.frames == 0 and err:
                self._error = err.decode("utf-8", "replace").strip().splitlines()[-1]
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._ffmpeg is not None:
            assert self._ffmpeg.stdin is not None
            try:
                self._ffmpeg.stdin.close()
            except OSError:
                pass
            try:
                code = self._ffmpeg.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._ffmpeg.kill()
                code = -9
            ffmpeg_err = (self._ffmpeg.stderr.read() if self._ffmpeg.stderr else b"").decode("utf-8", "replace")
            if code != 0:
                self._error = self._error or f"ffmpeg lỗi mã {code}: {ffmpeg_err.strip()[-200:]}"
        if self._tmp is not None and self.encode_to is not None:
            if not self._error and self._tmp.exists() and self.frames > 0:
                os.replace(self._tmp, self.encode_to)
            else:
                self._tmp.unlink(missing_ok=True)
        return TapResult(self.frames, self.peak, self.first_audible_at(), self._error)


@dataclass(frozen=True)
class Aircheck:
    """A finished air-check, as the evidence stores it."""

    path: Path | None
    sha256: str | None
    seconds: float
    dead_air: bool
    note: str


def finish(tap: MonitorTap, home: Path) -> Aircheck:
    """Stop a tap and turn it into evidence fields; a recording problem is a note, not a failure."""
    result = tap.stop()
    seconds = round(result.frames / RATE, 3)
    if result.error or result.frames == 0:
        note = f"Không ghi được bản kiểm tra phát sóng: {result.error or 'không nhận được âm thanh'}"
        logger.warning(note)
        return Aircheck(None, None, seconds, False, note)
    path = tap.encode_to
    digest = sha256_file(path) if path is not None and path.exists() else None
    relpath = path.relative_to(home) if path is not None and path.is_relative_to(home) else path
    dead = result.silent
    note = ""
    if dead:
        loudest = (f"mức to nhất {result.peak_dbfs:.0f} dBFS" if result.peak
                   else "không có một mẫu âm thanh nào")  # not "-inf dBFS"
        note = (f"Mất tín hiệu (loa im lặng): bản ghi kiểm tra trên đầu ra im lặng suốt buổi phát "
                f"({loudest})")
    return Aircheck(relpath, digest, seconds, dead, note)


def salvage(part: Path, home: Path) -> Aircheck | None:
    """After a crash: turn a partial air-check into a playable file (None when nothing is left).

    The Opus encoder was killed with the station; what it wrote up to then is a valid Ogg stream
    without its last page. It is copied (not re-encoded) into its final name.
    """
    name = part.name
    if not (name.startswith(".") and name.endswith(".part")):
        return None
    final = part.with_name(name[1:].rsplit(".", 2)[0])
    try:
        done = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                               "-i", str(part), "-c", "copy", "-f", "ogg", str(final)],
                              capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.warning("không cứu được bản kiểm tra phát sóng %s: %s", part, exc)
        done = None
    part.unlink(missing_ok=True)
    if done is None or done.returncode != 0 or not final.exists() or final.stat().st_size == 0:
        final.unlink(missing_ok=True)
        return None
    relpath = final.relative_to(home) if final.is_relative_to(home) else final
    return Aircheck(relpath, sha256_file(final), 0.0, False,
                    "Bản kiểm tra phát sóng được cứu lại sau khi trạm phát dừng đột ngột")


def audible_seconds(path: Path, skip_s: float = 0.0,
                    threshold: int = AUDIBLE_THRESHOLD) -> float | None:
    """Seconds from the first to the last audible sample of an air-check after its first
    ``skip_s`` (0.0: silence only); None when it cannot be decoded. Why: after a crash it tells
    whether anything of the airing was heard."""
    try:
        done = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
                               "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(RATE),
                               "pipe:1"], capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.warning("không đọc được bản kiểm tra phát sóng %s: %s", path, exc)
        return None
    if done.returncode != 0:
        return None
    samples = array("h")
    skip = max(0, int(skip_s * RATE)) * 2
    pcm = done.stdout[skip:]
    samples.frombytes(pcm[:len(pcm) - len(pcm) % 2])
    loud = [i for i in range(0, len(samples), CHUNK_FRAMES)
            if max(map(abs, samples[i:i + CHUNK_FRAMES]), default=0) > threshold]
    if not loud:
        return 0.0
    last = loud[-1] + CHUNK_FRAMES
    return round((min(last, len(samples)) - loud[0]) / RATE, 3)


def leftover_parts(audio_dir: Path) -> list[Path]:
    """Partial air-checks whose recorder is gone (its pid, in the name, no longer runs)."""
    root = audio_dir / "aircheck"
    if not root.is_dir():
        return []
    found = []
    for part in root.rglob(".*.part"):
        try:
            pid = int(part.name.rsplit(".", 2)[1])
        except (ValueError, IndexError):
            pid = 0
        if pid and pid != os.getpid() and Path(f"/proc/{pid}").exists():
            continue  # another output's station is recording it now
        found.append(part)
    return found


def aircheck_path(audio_dir: Path, key: str, when: dt.datetime) -> Path:
    safe = key.replace("/", "_").replace("@", "_")
    return audio_dir / "aircheck" / when.strftime("%Y") / when.strftime("%m") / f"{safe}.opus"


def cleanup(audio_dir: Path, retention_days: int, now: dt.datetime) -> int:
    """Delete air-checks older than the retention; returns how many were removed.

    A village box's upload left half-way (``receivers/<box>/incoming/*.upload``: the box was
    replaced, or dropped it from its capped queue while offline) goes by the same rule: untouched
    for the whole retention, nobody is coming back to finish it.
    """
    root = audio_dir / "aircheck"
    if retention_days <= 0 or not root.is_dir():
        return 0
    limit = now.timestamp() - retention_days * 86400
    removed = 0
    for path in [*root.rglob("*.opus"), *root.glob("receivers/*/incoming/*.upload")]:
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except OSError:
            logger.exception("không xóa được bản kiểm tra phát sóng cũ %s", path)
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        try:
            folder.rmdir()
        except OSError:
            pass
    if removed:
        logger.info("đã xóa %d bản kiểm tra phát sóng cũ hơn %d ngày", removed, retention_days)
    return removed
