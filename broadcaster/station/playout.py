"""Playout backends: ``paplay`` on a PulseAudio sink, ``aplay`` on an ALSA device.

On time: a player launched at the instant puts its first sample on the sink a few milliseconds
later, and more under load (measured here with both cores busy: 8-67 ms, median 20 ms). So on
PulseAudio the station *prepares* the playback before the instant (:meth:`Player.prepare`):
``paplay --raw`` is started, connects its stream and says so on stderr ("Stream successfully
created"), and then waits on its stdin; at the instant the station writes the program's PCM into
it (:meth:`PreparedPlayback.go`). The only work left at the instant is one ``write()``. Preparing
also proves, before the instant, that the sound server and the sink are there; when they are not,
the engine retries until they come back or the grace window ends.

Why these players: measured here, ``paplay`` puts its first sample on the sink 3-4 ms after it is
launched and drains the stream before it exits, so its exit code means "it all played".
``ffmpeg -f pulse`` exits 0 without draining and ``aplay -D null`` plays nothing, so neither can be
trusted as a backend. Each playback is a child process that an emergency, a stop command or
SIGTERM can cut short (:meth:`Playback.preempt`), and that dies with the station even after
``kill -9`` (:mod:`.children`).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import select
import subprocess
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from broadcaster.errors import PlayoutError
from broadcaster.station import children
from broadcaster.station.follow import Follow

logger = logging.getLogger(__name__)

BACKENDS = ("pulse", "alsa")
_MISSING_DEVICE_HINTS = ("no such entity", "audio open error", "unknown pcm", "no such device",
                         "connection refused", "connection failure", "no such file or directory")


@dataclass(frozen=True)
class PlayResult:
    """What happened to one playback, for the evidence entry."""

    returncode: int
    stderr: str
    started_at: dt.datetime
    ended_at: dt.datetime
    seconds: float
    preempted: bool
    reason: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.preempted


def describe_failure(returncode: int, stderr: str, device: str) -> str:
    """A Vietnamese line for an operator: a missing device is said plainly, else the player's stderr."""
    text = stderr.strip()
    last = text.splitlines()[-1] if text else ""
    if any(hint in text.lower() for hint in _MISSING_DEVICE_HINTS):
        return (f"Không tìm thấy thiết bị âm thanh '{device or 'mặc định'}' hoặc máy chủ âm thanh "
                f"(mã thoát {returncode}): {last}")
    return f"Trình phát lỗi, mã thoát {returncode}" + (f": {last}" if last else "")


#: Longest a prepared player may take to connect its stream.
PREPARE_TIMEOUT_S = 3.0
#: The first write at the instant: 100 ms of sound (also fills the stream's pre-buffer).
FIRST_WRITE_S = 0.1
#: paplay's stream buffer when fed. Measured here (load average 5): 20 ms underran under load and
#: stretched a 3.0 s tone to 3.27 s (audible gaps); 100-250 ms never did, and the first sample
#: came as early as with 20 ms (the stream starts once the pre-buffer fills, which the pipe does
#: in a few milliseconds).
FEED_LATENCY_MS = 250
_READY = b"Stream successfully created"
#: How much of a player's stderr is kept for the evidence's reason (its last lines say why).
STDERR_KEPT = 16384


class OutputMissingError(PlayoutError):
    """The sound server or the sink is not there (now); it may come back."""


def is_missing_device(text: str) -> bool:
    return any(hint in text.lower() for hint in _MISSING_DEVICE_HINTS)


class Playback:
    """One running player process."""

    def __init__(self, proc: subprocess.Popen[bytes], started_at: dt.datetime, device: str,
                 feeder: threading.Thread | None = None, err: bytes = b"") -> None:
        self.proc = proc
        self.started_at = started_at
        self._started_mono = time.monotonic()
        self._device = device
        self._preempt_reason = ""
        self._lock = threading.Lock()
        self._feeder = feeder
        self._err = bytearray(err)
        self._drainer: threading.Thread | None = None
        if proc.stderr is not None:
            # ``paplay -v`` writes about 1 kB of progress a second: unread, the pipe is full after
            # about a minute and the player blocks on it for ever, so every longer program hung
            # the output without an evidence entry. Read it while playing; keep the tail.
            self._drainer = threading.Thread(target=self._drain, name="player-stderr", daemon=True)
            self._drainer.start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        fd = self.proc.stderr.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self._err += chunk
            if len(self._err) > STDERR_KEPT:
                del self._err[:len(self._err) - STDERR_KEPT]

    def elapsed(self) -> float:
        """Seconds since the first sample was handed to the output."""
        return time.monotonic() - self._started_mono

    @property
    def preempted(self) -> bool:
        return bool(self._preempt_reason)

    def preempt(self, reason: str) -> None:
        """Cut the playback short; the reason ends up in the evidence entry."""
        with self._lock:
            if not self._preempt_reason:
                self._preempt_reason = reason
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def wait(self, progress: Callable[[float], object] | None = None,
             every_s: float = 0.5) -> PlayResult:
        """Wait for the player to exit; ``progress(seconds)`` is called every ``every_s``."""
        if progress is not None:
            while True:
                try:
                    self.proc.wait(timeout=every_s)
                    break
                except subprocess.TimeoutExpired:
                    progress(self.elapsed())
        if self._feeder is not None:
            self._feeder.join()
            self.proc.stdin = None  # closed by the feeder (communicate() would flush it)
        if self._drainer is not None:
            self.proc.wait()
            self._drainer.join()
            err = bytes(self._err)
        else:
            _, err = self.proc.communicate()
        seconds = time.monotonic() - self._started_mono
        ended_at = self.started_at + dt.timedelta(seconds=seconds)
        stderr = (err or b"").decode("utf-8", "replace")
        code = self.proc.returncode
        if self.preempted:
            reason = self._preempt_reason
        elif code != 0:
            reason = describe_failure(code, stderr, self._device)
        else:
            reason = ""
        return PlayResult(code, stderr.strip(), self.started_at, ended_at, round(seconds, 3),
                          self.preempted, reason)


def _pcm_of(path: Path) -> tuple[bytes, int, int] | None:
    """(PCM, rate, channels) of a 16-bit WAV; None for anything else (launched as a file)."""
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getsampwidth() != 2 or wav.getcomptype() != "NONE":
                return None
            return wav.readframes(wav.getnframes()), wav.getframerate(), wav.getnchannels()
    except (OSError, EOFError, wave.Error):
        return None


class PreparedPlayback:
    """A player whose stream is connected to the output and waits for its first sample."""

    def __init__(self, proc: subprocess.Popen[bytes], pcm: bytes, rate: int, channels: int,
                 device: str) -> None:
        self.proc = proc
        self._pcm = pcm
        self._bytes_per_s = rate * channels * 2
        self._format = (rate, channels)
        self._device = device
        self._err = b""

    def wait_ready(self, timeout: float = PREPARE_TIMEOUT_S) -> None:
        """Return once the stream is connected; raise OutputMissingError / PlayoutError if not."""
        assert self.proc.stderr is not None
        deadline = time.monotonic() + timeout
        fd = self.proc.stderr.fileno()
        while _READY not in self._err:
            left = deadline - time.monotonic()
            if left <= 0:
                self.cancel()
                raise OutputMissingError(
                    f"Đầu ra âm thanh '{self._device or 'mặc định'}' không sẵn sàng sau {timeout:g} giây")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                code = self.proc.wait()
                text = self._err.decode("utf-8", "replace")
                reason = describe_failure(code, text, self._device)
                if is_missing_device(text):
                    raise OutputMissingError(reason)
                raise PlayoutError(reason)
            self._err += chunk

    def go(self, started_at: dt.datetime, follow: Follow | None = None) -> Playback:
        """At the instant: hand the first 100 ms to the stream, the rest from a feeder thread.

        With ``follow`` (an emergency's signal whose bulletin is still rendering), the feeder
        then waits for the rest and feeds it into the same stream (:mod:`.follow`).
        """
        assert self.proc.stdin is not None
        fd = self.proc.stdin.fileno()
        first = int(FIRST_WRITE_S * self._bytes_per_s) // 4 * 4
        try:
            os.write(fd, self._pcm[:first])
        except OSError:
            pass  # the player died: wait() reports its exit code and stderr
        if follow is not None:
            follow.on_air.set()
        feeder = threading.Thread(target=self._feed, args=(first, follow), name="player-feed",
                                  daemon=True)
        playback = Playback(self.proc, started_at, self._device, feeder, self._err)
        feeder.start()
        return playback

    def _write_all(self, fd: int, data: bytes | memoryview, offset: int = 0) -> None:
        view = memoryview(data)
        while offset < len(view):
            offset += os.write(fd, view[offset:offset + 65536])

    def _feed(self, offset: int, follow: Follow | None = None) -> None:
        assert self.proc.stdin is not None
        stdin = self.proc.stdin
        try:
            self._write_all(stdin.fileno(), self._pcm, offset)
            if follow is not None:
                follow.openings = 1
                self._feed_follow(stdin.fileno(), follow)
        except OSError:
            pass  # preempted (the player was terminated) or died
        finally:
            if follow is not None and not follow.fed_rest and not follow.decided():
                follow.give_up("luồng phát đã dừng")
            try:
                stdin.close()
            except OSError:
                pass

    def _feed_follow(self, fd: int, follow: Follow) -> None:
        """After the opening: silence (a gap, then a wait), the rest once ready, else the opening
        again; the pipe's back-pressure keeps all of it in step with the output."""
        step_s = 0.1
        silence = bytes(int(step_s * self._bytes_per_s) // 4 * 4)
        began = time.monotonic()
        while True:
            fed = 0.0
            while fed < follow.gap_s or (not follow.decided() and fed < follow.pause_s):
                self._write_all(fd, silence)
                fed += step_s
                follow.silence_s = round(follow.silence_s + step_s, 3)
            rest = follow.rest
            if rest is not None:
                decoded = _pcm_of(Path(rest.path))
                if decoded is None or decoded[1:] != self._format:
                    follow.unfed = "bản tin khác định dạng âm thanh với tín hiệu"
                    return
                first = int(FIRST_WRITE_S * self._bytes_per_s) // 4 * 4
                self._write_all(fd, decoded[0][:first])
                follow.fed_rest = True  # from its first sample on, the rest is on air
                self._write_all(fd, decoded[0], first)
                return
            if follow.error:
                return
            if time.monotonic() - began > follow.max_wait_s:
                follow.give_up(f"chưa dựng xong sau {follow.max_wait_s:g} giây")
                return
            self._write_all(fd, self._pcm)
            follow.openings += 1

    def cancel(self) -> None:
        """Never started: stop the waiting player."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


class Player:
    """Starts playbacks on the configured output."""

    def __init__(self, backend: str, device: str = "") -> None:
        if backend not in BACKENDS:
            raise PlayoutError(f"Kiểu đầu ra '{backend}' không hỗ trợ (pulse, alsa)")
        self.backend = backend
        self.device = device

    def argv(self, path: Path) -> list[str]:
        if self.backend == "pulse":
            argv = ["paplay"]
            if self.device:
                argv.append(f"--device={self.device}")
            return [*argv, str(path)]
        argv = ["aplay", "-q"]
        if self.device:
            argv += ["-D", self.device]
        return [*argv, str(path)]

    @property
    def monitor_source(self) -> str | None:
        """The PulseAudio source that hears what this output plays (None: cannot air-check)."""
        if self.backend != "pulse":
            return None
        return f"{self.device}.monitor" if self.device else "@DEFAULT_MONITOR@"

    @property
    def label(self) -> str:
        return f"{self.backend}:{self.device or 'mặc định'}"

    def prepare(self, path: Path) -> PreparedPlayback | None:
        """Start a player that is connected and waits for the program (None: cannot, launch it)."""
        if self.backend != "pulse":
            return None
        if not Path(path).is_file():
            raise PlayoutError(f"Không có tệp chương trình để phát: {path}")
        decoded = _pcm_of(Path(path))
        if decoded is None:
            return None
        pcm, rate, channels = decoded
        argv = ["paplay", "-v", "--raw", "--format=s16le", f"--rate={rate}",
                f"--channels={channels}", f"--latency-msec={FEED_LATENCY_MS}"]
        if self.device:
            argv.append(f"--device={self.device}")
        try:
            proc = children.popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
        except OSError as exc:
            raise PlayoutError(f"Không chạy được trình phát paplay: {exc}") from exc
        prepared = PreparedPlayback(proc, pcm, rate, channels, self.device)
        prepared.wait_ready()
        return prepared

    def start(self, path: Path, started_at: dt.datetime) -> Playback:
        """Launch the player now; raises PlayoutError when the program cannot even start."""
        if not Path(path).is_file():
            raise PlayoutError(f"Không có tệp chương trình để phát: {path}")
        try:
            proc = children.popen(self.argv(path), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as exc:
            raise PlayoutError(f"Không chạy được trình phát {self.argv(path)[0]}: {exc}") from exc
        return Playback(proc, started_at, self.device)

    def play(self, path: Path, started_at: dt.datetime) -> PlayResult:
        return self.start(path, started_at).wait()
