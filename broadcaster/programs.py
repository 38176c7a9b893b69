"""From what is scheduled to what is rendered: bulletins and slots become ``audio`` programs.

One code path for ``broadcaster render``, the panel's "listen before approving" and the station,
so what an approver hears is what the loudspeakers air.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from sqlalchemy.orm import Session

from audio.plan import ProgramItem, RenderSettings, bulletin_program
from audio.tts import SpeechSettings
from broadcaster.config import Settings
from broadcaster.glossary import pairs as glossary_pairs
from broadcaster.models import Bulletin, Slot


def speech_settings(settings: Settings, engine: str | None = None) -> SpeechSettings:
    tts = settings.tts
    return SpeechSettings(
        engines=(engine,) if engine else tts.engines,
        voice=tts.voice,
        rate=tts.rate,
        gtts_tld=tts.gtts_tld,
        gtts_timeout_s=tts.gtts_timeout_s,
        gtts_retries=tts.gtts_retries,
        gtts_cooldown_s=tts.gtts_cooldown_s,
        gtts_budget_s=tts.gtts_budget_s,
        espeak_reserve_s=tts.espeak_reserve_s,
    )


def render_settings(
    settings: Settings, session: Session, engine: str | None = None
) -> RenderSettings:
    audio = settings.audio
    return RenderSettings(
        speech=speech_settings(settings, engine),
        glossary=glossary_pairs(session),
        dialect=settings.tts.dialect,
        target_lufs=audio.target_lufs,
        true_peak_dbtp=audio.true_peak_dbtp,
        gap_s=audio.gap_s,
        jingle_crossfade_s=audio.jingle_crossfade_s,
        greeting=audio.greeting,
        repeat_phrase=audio.repeat_phrase,
    )


def bulletin_items(settings: Settings, bulletin: Bulletin, *, repeats: int | None = None,
                   greeting: bool = True) -> list[ProgramItem]:
    """A bulletin as it airs alone: jingles, greeting, text (or its recording), repeats."""
    if repeats is None:
        repeats = 1 + settings.station.repeats if bulletin.priority != "normal" else 1
    items = bulletin_program(
        bulletin.title,
        bulletin.body,
        priority=bulletin.priority,
        category=bulletin.category,
        repeats=repeats,
        greeting=greeting,
    )
    if bulletin.recording is not None:
        recording = recording_path(settings, bulletin.recording.relpath)
        items = [
            ProgramItem(kind="recording", title=item.title, path=recording, repeat=item.repeat)
            if item.kind == "speech" and item.text == bulletin.body
            else item
            for item in items
        ]
    return items


def slot_items(settings: Settings, slot: Slot, head: Sequence[Bulletin] = ()) -> list[ProgramItem]:
    """A slot's program; ``head`` holds priority bulletins that go first in the next slot."""
    body: list[ProgramItem] = []
    for bulletin in head:
        body.extend(_content_items(settings, bulletin, slot.repeats + 1))
    for item in slot.items:
        if item.kind == "bulletin" and item.bulletin is not None:
            if item.bulletin.status != "approved" or item.bulletin in head:
                continue
            repeats = slot.repeats + (1 if item.bulletin.priority != "normal" else 0)
            body.extend(_content_items(settings, item.bulletin, max(1, repeats)))
        elif item.kind == "recording" and item.asset is not None:
            body.append(
                ProgramItem(kind="recording", title=item.asset.title,
                            path=recording_path(settings, item.asset.relpath))
            )
        elif item.kind == "jingle":
            body.append(ProgramItem(kind="jingle", title=item.jingle or "", jingle=item.jingle))
        elif item.kind == "pause":
            body.append(ProgramItem(kind="pause", seconds=item.seconds))
    if not body:
        return []
    priority = slot.priority
    intro = "urgent" if priority == "emergency" else "intro"
    program: list[ProgramItem] = [ProgramItem(kind="jingle", title="Nhạc hiệu", jingle=intro)]
    if slot.greeting:
        program.append(ProgramItem(kind="speech", title="Lời chào", text=settings.audio.greeting))
    program.extend(body)
    program.append(ProgramItem(kind="jingle", title="Nhạc kết", jingle="outro"))
    return program


def _content_items(settings: Settings, bulletin: Bulletin, repeats: int) -> list[ProgramItem]:
    if bulletin.recording is not None:
        return [ProgramItem(kind="recording", title=bulletin.title,
                            path=recording_path(settings, bulletin.recording.relpath), repeat=repeats)]
    return [ProgramItem(kind="speech", title=bulletin.title, text=bulletin.body, repeat=repeats)]


def recording_path(settings: Settings, relpath: str) -> Path:
    """Resolve a stored asset inside the audio folder; never outside it."""
    base = settings.audio_dir.resolve()
    path = (base / relpath).resolve()
    if base not in path.parents:
        raise ValueError(f"asset path escapes the audio folder: {relpath!r}")
    return path


def cache_dir(settings: Settings) -> Path:
    return settings.audio_dir / "cache"
