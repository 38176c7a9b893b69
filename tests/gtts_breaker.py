"""Test helper: the passing of gTTS's breaker cooldown (audio.tts keeps it in a file)."""

from __future__ import annotations

import json
from pathlib import Path


def cooldown_passes(cache_dir: Path) -> None:
    """Make gTTS's open breaker (audio.tts, a file in the cache folder) look expired: what the
    clock does after ``tts.gtts_cooldown_s``, without a test waiting five minutes."""
    breaker = Path(cache_dir) / "gtts-unreachable.json"
    if breaker.is_file():
        state = json.loads(breaker.read_text(encoding="utf-8"))
        breaker.write_text(json.dumps(dict(state, until=0)), encoding="utf-8")
