"""Rendering for the station, run in a short-lived child process.

Why a child: rendering needs numpy, SciPy and the loudness code (about 100 MB once imported, more
while levelling); the daemon runs for months and must stay small (aim: 120 MB). A spawned child
with one task does the work through the same functions as ``broadcaster render``
(:func:`broadcaster.programs.slot_items`, :func:`broadcaster.programs.bulletin_items`,
:func:`audio.compose.render_program`) and returns plain values; its memory goes back to the system
when it exits. It also keeps a crash inside a codec or a speech engine out of the daemon.
"""
from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import SimpleNamespace
from typing import Any

logger = logging.getLogger(__name__)

CHILD_TIMEOUT_S = 600.0


class RenderFailed(Exception):
    """A program could not be rendered or failed its check; ``str(exc)`` is Vietnamese."""


def _records(result: Any) -> list[dict[str, Any]]:
    return [
        {"kind": r.kind, "title": r.title, "text_sha256": r.text_sha256,
         "audio_sha256": r.audio_sha256, "engine": r.engine, "seconds": r.seconds}
        for r in result.items
    ]


def _render(home: str, what: str, ident: int, head_ids: list[int]) -> dict[str, Any]:
    """In the child: render a slot's program (``what="slot"``) or an urgent bulletin."""
    from audio.audiofile import AudioToolError, check_speech_audio
    from audio.compose import RenderError, render_program
    from audio.tts import SynthesisError
    from broadcaster.context import open_context
    from broadcaster.errors import BroadcasterError
    from broadcaster.models import Bulletin, Slot
    from broadcaster.programs import bulletin_items, cache_dir, render_settings, slot_items

    ctx = open_context(Path(home))
    try:
        with ctx.session() as session:
            if what == "slot":
                slot = session.get(Slot, ident)
                if slot is None:
                    raise RenderFailed(f"Lịch phát số {ident} không còn")
                head = [b for b in (session.get(Bulletin, i) for i in head_ids) if b is not None]
                items = slot_items(ctx.settings, slot, head)
                if not items:
                    raise RenderFailed("Chương trình trống: không có bản tin đã duyệt nào")
            else:
                bulletin = session.get(Bulletin, ident)
                if bulletin is None:
                    raise RenderFailed(f"Không có bản tin số {ident}")
                urgent = SimpleNamespace(title=bulletin.title, body=bulletin.body,
                                         category=bulletin.category, priority="emergency",
                                         recording=bulletin.recording)
                items = bulletin_items(ctx.settings, urgent)  # type: ignore[arg-type]
            rsettings = render_settings(ctx.settings, session)
        try:
            result = render_program(items, rsettings, cache_dir(ctx.settings))
            check_speech_audio(result.path)  # an empty or silent program is a failure
        except (RenderError, SynthesisError, AudioToolError, BroadcasterError, OSError) as exc:
            raise RenderFailed(str(exc)) from None
        return {"path": str(result.path), "sha256": result.sha256, "seconds": result.seconds,
                "items": _records(result)}
    finally:
        ctx.dispose()


def render_in_child(home: Path, what: str, ident: int, head_ids: list[int] | None = None) -> dict[str, Any]:
    """Render in a fresh spawned process; raises RenderFailed with the reason."""
    context = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=context, max_tasks_per_child=1) as pool:
            future = pool.submit(_render, str(home), what, ident, list(head_ids or []))
            return future.result(timeout=CHILD_TIMEOUT_S)
    except RenderFailed:
        raise
    except BrokenProcessPool as exc:
        raise RenderFailed(f"Tiến trình dựng chương trình chết giữa chừng: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - timeouts, pickling, anything: one clear reason
        raise RenderFailed(f"Dựng chương trình lỗi: {exc}") from None
