"""The rest of a programme, made while its opening airs: an emergency's signal, then its bulletin.

Why: an emergency for a bulletin never rendered used to wait for its render (the text synthesised
twice and levelled: 0.6-1.1 s at load 3.5, 3 s and more on a busy box) before the first sample.
Now the urgent attention signal — rendered once and held in memory — goes on air the moment the
command arrives, and the bulletin rendered meanwhile is fed behind it into the *same* player
stream (:meth:`broadcaster.station.playout.PreparedPlayback.go`). While the bulletin is not ready
the signal is repeated after a short pause, as a siren is, for at most :attr:`Follow.max_wait_s`.

The feeder writes down what it actually fed (how many times the signal, whether the bulletin), so
the evidence entry lists what aired and says so when the bulletin never came
(:meth:`Follow.compose`). Stdlib only: the engine and the village boxes use it.
"""
from __future__ import annotations

import threading
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from broadcaster.wording import decimal

#: Silence between the signal and the bulletin (and between two signals while waiting), seconds.
GAP_S = 0.5
#: After a signal, how long the feeder waits (feeding silence) before playing the signal again.
PAUSE_S = 1.5
#: Longest the signal keeps an emergency on air waiting for its bulletin.
MAX_WAIT_S = 60.0


@dataclass
class Follow:
    """A promise of the rest of a programme; the player's feeder waits on it."""

    what: str = "bản tin khẩn cấp"
    gap_s: float = GAP_S
    pause_s: float = PAUSE_S
    max_wait_s: float = MAX_WAIT_S
    rest: Any = None            # a Program once delivered
    error: str = ""             # why the rest could not be made
    # What the feeder did (written by the feeder thread, read after the playback ended):
    openings: int = 0           # times the opening was handed to the player in full
    silence_s: float = 0.0      # seconds of silence fed between the parts
    fed_rest: bool = False
    unfed: str = ""             # why the rest, although made, was not fed
    _decided: threading.Event = field(default_factory=threading.Event, repr=False)
    #: Set when the opening's first sample is handed over: the rest's render may then take the
    #: CPU without delaying the player's start (measured: 60-120 ms later when they raced).
    on_air: threading.Event = field(default_factory=threading.Event, repr=False)

    def deliver(self, rest: Any) -> None:
        """The rest is ready (a :class:`~broadcaster.station.interfaces.Program`)."""
        if not self._decided.is_set():
            self.rest = rest
            self._decided.set()

    def fail(self, error: str) -> None:
        if not self._decided.is_set():
            self.error = error or "không rõ lý do"
            self._decided.set()

    def decided(self) -> bool:
        return self._decided.is_set()

    def wait(self, timeout: float | None) -> bool:
        return self._decided.wait(timeout)

    def give_up(self, why: str) -> None:
        """The feeder stopped waiting (``max_wait_s`` passed): a late rest is not aired."""
        self.fail(why)
        if self.rest is not None and not self.fed_rest:
            self.unfed = why

    def unaired_reason(self) -> str:
        """Why the rest did not air, for the evidence ("" when it was fed)."""
        if self.fed_rest:
            return ""
        detail = self.unfed or self.error or "chưa sẵn sàng khi luồng phát kết thúc"
        return f"Chỉ phát được tín hiệu khẩn cấp; {self.what} không phát được: {detail}"

    def compose(self, opening: Any) -> tuple[list[dict[str, Any]], float, str]:
        """(items, seconds, note) of what was fed: the opening as many times as it aired, then
        the rest when it was fed. ``opening`` is the Program that started the stream."""
        plays = max(1, self.openings)
        items = [dict(item) for _ in range(plays) for item in opening.items]
        seconds = float(opening.seconds) * plays + self.silence_s
        note = ""
        if plays > 1:
            note = (f"Tín hiệu khẩn cấp phát {plays} lần trong khi chờ dựng {self.what} "
                    f"({decimal(round(seconds - self.silence_s, 1))} giây)")
        if self.fed_rest and self.rest is not None:
            items.extend(dict(item) for item in self.rest.items)
            seconds += float(self.rest.seconds)
        return items, round(seconds, 3), note


def pcm_format(path: Path) -> tuple[int, int, int]:
    """(rate, channels, sample width) of a WAV file."""
    with wave.open(str(path), "rb") as wav:
        return wav.getframerate(), wav.getnchannels(), wav.getsampwidth()


def join_wavs(opening: Path, rest: Path, gap_s: float, out: Path) -> Path:
    """One WAV of opening + silence + rest, for an output that cannot be fed (ALSA's aplay FILE)."""
    with wave.open(str(opening), "rb") as first, wave.open(str(rest), "rb") as second:
        params = first.getparams()
        if (second.getframerate(), second.getnchannels(), second.getsampwidth()) != \
                (params.framerate, params.nchannels, params.sampwidth):
            raise ValueError("tín hiệu và bản tin khác định dạng âm thanh")
        silence = b"\0" * (int(gap_s * params.framerate) * params.nchannels * params.sampwidth)
        with wave.open(str(out), "wb") as joined:
            joined.setparams(params)
            joined.writeframes(first.readframes(first.getnframes()))
            joined.writeframes(silence)
            joined.writeframes(second.readframes(second.getnframes()))
    return out


def file_to_play(opening: Path, follow: Follow | None) -> Path:
    """For an output that cannot be fed (ALSA plays a file): with a follow, wait for the rest and
    play opening + rest as one file. The latency gain is lost there, the honesty is not."""
    if follow is None:
        return opening
    follow.on_air.set()
    follow.openings = 1
    if not follow.wait(follow.max_wait_s):
        follow.give_up(f"chưa dựng xong sau {follow.max_wait_s:g} giây")
        return opening
    if follow.rest is None:
        return opening
    joined = opening.with_name(f".follow-{follow.rest.sha256[:16]}.wav")
    try:
        join_wavs(opening, Path(follow.rest.path), follow.gap_s, joined)
    except (OSError, ValueError, EOFError, wave.Error) as exc:
        follow.unfed = str(exc)
        return opening
    follow.silence_s, follow.fed_rest = follow.gap_s, True
    return joined
