"""espeak-ng: the offline Vietnamese voice, always available when the network is not.

It is robotic but it never depends on anything outside the machine, which is what a commune
station needs at 6 o'clock when the internet link is down. It reads tones correctly but not
abbreviations or dates, so it must be given already-normalised text.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from audio.audiofile import AudioToolError, run_tool, to_speech_wav, tool_available

logger = logging.getLogger(__name__)

#: Vietnamese voices shipped with Debian's espeak-ng (Northern, Central, Southern).
VOICES = ("vi", "vi-vn-x-central", "vi-vn-x-south")

#: Words per minute at rate 1.0: a little slower than espeak-ng's 175 default, because a
#: loudspeaker on a pole is heard through wind and echo.
BASE_WPM = 160


def rate_to_wpm(rate: float) -> int:
    """Map a relative speaking rate (0.8..1.2) to espeak-ng's words per minute."""
    return max(80, min(450, round(BASE_WPM * rate)))


class EspeakEngine:
    """Synthesise with the ``espeak-ng`` binary; output is resampled to the cache format."""

    name = "espeak"
    #: espeak-ng is CPU-bound and about 800x real time here: two processes fill a 2-core box.
    parallelism = 2

    def __init__(self, voice: str = "vi") -> None:
        if voice not in VOICES:
            raise ValueError(
                f"Giọng espeak-ng không hợp lệ: {voice!r} (chọn một trong: {', '.join(VOICES)})."
            )
        self.voice = voice

    def available(self) -> bool:
        """espeak-ng and ffmpeg (for resampling) must both be installed."""
        return tool_available("espeak-ng") and tool_available("ffmpeg")

    def synthesize(self, text: str, rate: float, dest: Path) -> None:
        """Write ``text`` spoken by espeak-ng to ``dest`` (WAV, s16le mono 44100 Hz).

        The text goes through stdin, never the command line, so no text can be taken for an
        option and length is not limited by the argument size.
        """
        if not self.available():
            raise AudioToolError("Không tìm thấy espeak-ng hoặc ffmpeg trên máy.")
        with tempfile.TemporaryDirectory(prefix="espeak-") as workdir:
            raw = Path(workdir) / "espeak.wav"
            run_tool(
                [
                    "espeak-ng",
                    "-b",
                    "1",
                    "-v",
                    self.voice,
                    "-s",
                    str(rate_to_wpm(rate)),
                    "--stdin",
                    "-w",
                    str(raw),
                ],  # fmt: skip
                input_bytes=text.encode("utf-8"),
                timeout_s=60.0 + len(text) / 10,
            )
            if not raw.exists() or raw.stat().st_size <= 44:
                raise AudioToolError("espeak-ng không tạo ra âm thanh.")
            to_speech_wav(raw, dest)
        logger.debug("espeak-ng voice %s: %d characters synthesised", self.voice, len(text))
