"""The audio cache's size cap, applied with what the station still needs kept.

Why its own module: both the panel's renders (:mod:`broadcaster.library`) and the station's own
(:mod:`broadcaster.station.render_jobs`) add files to the same cache, and the station daemon must
not import the renderer (numpy, SciPy) to prune it. A kept program keeps its metadata file
(``<key>.json``) too: without it the render is no longer found by its key.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from audio.cache import PruneResult, prune
from broadcaster.config import Settings
from broadcaster.models import Occurrence
from broadcaster.programs import cache_dir

#: Occurrence states whose render is still to air (or airing).
UPCOMING_STATES = ("pending", "rendered", "playing")


def upcoming_renders(session: Session) -> list[Path]:
    """The programs the station rendered for broadcasts still to come."""
    paths = session.scalars(
        select(Occurrence.render_path).where(Occurrence.render_path.is_not(None),
                                             Occurrence.state.in_(UPCOMING_STATES))
    ).all()
    return [Path(p) for p in paths if p]


def prune_caches(session: Session, settings: Settings, keep: Iterable[Path] = ()) -> PruneResult:
    """Hold the speech and render caches to ``audio.cache_max_mb``, least recently used first,
    never removing a program rendered for a broadcast still to come, nor one in ``keep``."""
    kept: list[Path] = []
    for path in [*keep, *upcoming_renders(session)]:
        kept += [path, path.with_suffix(".json")]
    max_bytes = int(float(settings.audio.cache_max_mb) * 1024 * 1024)
    return prune(cache_dir(settings), max_bytes, keep=kept)
