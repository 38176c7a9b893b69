"""Hearing what aired: where an evidence entry's air-check lives, safely inside the audio folder.

Why here and not in the web layer: the path comes from the database, and a request must never
be able to reach a file outside ``audio/aircheck`` through it, whatever a row says.
"""
from __future__ import annotations

from pathlib import Path

from broadcaster.config import Settings
from broadcaster.models import EvidenceEntry


def aircheck_file(settings: Settings, entry: EvidenceEntry) -> Path | None:
    """The air-check file of ``entry`` when it still exists (retention deletes old ones)."""
    if not entry.aircheck_sha256 or not entry.aircheck_path:
        return None
    stored = Path(entry.aircheck_path)
    path = (stored if stored.is_absolute() else settings.home / stored).resolve()
    root = (settings.audio_dir / "aircheck").resolve()
    if root not in path.parents or path.suffix != ".opus" or not path.is_file():
        return None
    return path
