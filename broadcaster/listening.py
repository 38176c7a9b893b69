"""Hearing what aired: where an evidence entry's air-check lives, safely inside the audio folder.

Why here and not in the web layer: the path comes from the database, and a request must never
be able to reach a file outside ``audio/aircheck`` through it, whatever a row says.

A village box's entry is heard from the copy the commune kept once its bytes matched the hash the
box signed (:mod:`broadcaster.receiver_airchecks`); the box's own ``aircheck_path`` names a file on
the box and is never opened here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from broadcaster.config import Settings
from broadcaster.reports.receiver_rows import is_receiver_airing


def aircheck_file(settings: Settings, entry: Any) -> Path | None:
    """The air-check file of ``entry`` when it still exists (retention deletes old ones).

    ``entry`` is a commune entry (:class:`~broadcaster.models.EvidenceEntry`) or a box's
    (:class:`~broadcaster.reports.receiver_rows.ReceiverAiring`).
    """
    stored = entry.kept_aircheck_path if is_receiver_airing(entry) else entry.aircheck_path
    if not entry.aircheck_sha256 or not stored:
        return None
    raw = Path(stored)
    path = (raw if raw.is_absolute() else settings.home / raw).resolve()
    root = (settings.audio_dir / "aircheck").resolve()
    if root not in path.parents or path.suffix != ".opus" or not path.is_file():
        return None
    return path
