"""The audio cache's cap keeps what the receivers hub still serves to the village boxes.

The hub renders the boxes' programmes up to 48 hours ahead into the same cache the station and the
panel prune (:func:`broadcaster.render_cache.prune_caches`). A box fetches its programme by SHA-256
whenever its 4G link allows, so a programme it has not fetched yet must survive the pruning, with
its metadata file; what no box can still be given (an occurrence past, a withdrawn one) may go.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

from broadcaster.models import ReceiverProgram, utcnow
from broadcaster.render_cache import prune_caches

MONTH_AGO = time.time() - 30 * 86400


def _render(folder: Path, name: str) -> Path:
    """A render as the worker leaves it: the audio and its metadata, last used a month ago."""
    audio = folder / f"{name}.wav"
    audio.write_bytes(b"\0" * 600_000)
    meta = audio.with_suffix(".json")
    meta.write_text("{}")
    for path in (audio, meta):
        os.utime(path, (MONTH_AGO, MONTH_AGO))
    return audio


def _program(ctx: Any, key: str, path: Path, scheduled_at: dt.datetime, *,
             zone_ids: list[int] | None = None, withdrawn: bool = False) -> None:
    with ctx.session() as session:
        session.add(ReceiverProgram(
            occurrence_key=key, slot_id=1 if key.startswith("slot-") else None,
            scheduled_at=scheduled_at, zone_ids=zone_ids or [], sha256=key.ljust(64, "0")[:64],
            relpath=str(path.relative_to(ctx.settings.audio_dir)), size_bytes=path.stat().st_size,
            seconds=60.0, fields={}, fingerprint=key, withdrawn=withdrawn))


def test_pruning_keeps_every_programme_a_box_may_still_fetch(ctx: Any) -> None:
    renders = ctx.settings.audio_dir / "cache" / "renders"
    renders.mkdir(parents=True, exist_ok=True)
    now = utcnow()
    tomorrow = _render(renders, "tomorrow")
    _program(ctx, "slot-1-tomorrow", tomorrow, now + dt.timedelta(hours=30), zone_ids=[1])
    within_grace = _render(renders, "within-grace")  # a late box may still fetch and air it
    _program(ctx, "slot-1-grace", within_grace, now - dt.timedelta(seconds=60))
    emergency = _render(renders, "emergency")  # sent an hour ago; a box may still ask for it
    _program(ctx, "emergency-7", emergency, now - dt.timedelta(hours=1))
    aired = _render(renders, "aired")
    _program(ctx, "slot-1-yesterday", aired, now - dt.timedelta(days=1))
    withdrawn = _render(renders, "withdrawn")
    _program(ctx, "slot-2-withdrawn", withdrawn, now + dt.timedelta(hours=5), withdrawn=True)
    stale = _render(renders, "stale-panel-render")
    settings = dataclasses.replace(ctx.settings,
                                   audio=dataclasses.replace(ctx.settings.audio, cache_max_mb=1))

    with ctx.session() as session:
        prune_caches(session, settings)

    for path in (tomorrow, within_grace, emergency):
        assert path.is_file() and path.with_suffix(".json").is_file(), (
            f"{path.name}: a programme a box may still fetch is kept, with its metadata")
    for path in (aired, withdrawn, stale):
        assert not path.exists(), f"{path.name}: no box can be given it any more, so it goes first"
