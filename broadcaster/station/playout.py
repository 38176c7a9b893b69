"""Playout backends: ``paplay`` on a PulseAudio sink, ``aplay`` on an ALSA device.

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
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from broadcaster.errors import PlayoutError
from broadcaster.station import children

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


class Playback:
    """One running player process."""

    def __init__(self, proc: subprocess.Popen[bytes], started_at: dt.datetime, device: str) -> None:
        self.proc = proc
        self.started_at = started_at
        self._started_mono = time.monotonic()
        self._device = device
        self._preempt_reason = ""
        self._lock = threading.Lock()

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

    def wait(self) -> PlayResult:
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
