"""Keep the next ``tts.prerender_hours`` of programs rendered with Google's voice while it answers.

Why: gTTS sounds far better to a listener than espeak-ng, but it needs the network, and a
commune's link is often down exactly when the weather is bad and a warning must air. So each
program is rendered as soon as it is approved and scheduled, well before air time, and made
again with gTTS (``upgrade``) whenever an earlier try had to fall back to espeak-ng and gTTS may
answer now. The speech and program caches are keyed by content, so the render at air time finds
this audio and a network outage at air time still airs Google's voice.

The planning is here; the station only starts a :class:`Prerenderer` and pokes it when
something changed. Renders run in a render worker of the pre-render's own
(:class:`broadcaster.station.render.RenderWorker`, started for a pass that has work and stopped
after it), so a broadcast render never waits behind one and never pays a cold start for one.
The same forecast (:func:`voices`) tells the dashboard, for each upcoming occurrence, which engine
will speak each item, so the team sees in advance where espeak-ng would be heard.

The same background worker makes the public site's MP3 of each newly published bulletin
(:meth:`Prerenderer.run_public`), so the approval, not the first listener, pays for the render.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, Sequence

from sqlalchemy.orm import Session

from broadcaster.config import Settings
from broadcaster.models import Bulletin, Slot
from broadcaster.schedule import active_slots, next_occurrences

logger = logging.getLogger(__name__)

#: How often the planner looks again without being poked (a program whose gTTS try failed is
#: tried again on the next pass once the breaker's cooldown is over).
PASS_EVERY_S = 60.0
#: A pass waits while an airing, or the station's own render of one, is this close: starting a
#: worker and rendering takes CPU that a render or a playout about to start must not lose.
QUIET_S = 15.0
#: After a poke, wait this long before planning: an edit often comes in several writes.
DEBOUNCE_S = 2.0

#: What the dashboard calls each engine: the team knows Google's voice and "the machine's voice",
#: not the program's name.
ENGINE_LABELS = {"gtts": "giọng Google", "espeak": "giọng máy (dự phòng)"}
#: Published bulletins looked at per pass for a missing MP3 (the newest: the site's first pages).
PUBLIC_PER_PASS = 50
#: A bulletin's public MP3 is made once its approval is this old: an approval is often followed by
#: a correction, or by a broadcast scheduled at once, whose render and start must not share the
#: CPU with a worker starting for the MP3 (it is made on the next pass, within two minutes).
PUBLIC_AFTER_S = 60.0


@dataclass(frozen=True)
class ItemVoice:
    """Which engine will speak one speech item of an upcoming program, and whether that is the
    fallback (a listener will hear espeak-ng although Google's voice is preferred)."""

    title: str
    engine: str
    ready: bool  # the audio is already made (cached); False: it will be made before air time
    fallback: bool

    @property
    def label(self) -> str:
        label = ENGINE_LABELS.get(self.engine, self.engine)
        return label if self.ready else f"{label}, chưa dựng"


@dataclass(frozen=True)
class Job:
    """One program to render ahead: the slot and its next airing within the horizon."""

    slot_id: int
    at_utc: dt.datetime
    voices: tuple[ItemVoice, ...]
    preferred_usable: bool  # the preferred engine may be tried now (its breaker is closed)
    head_ids: tuple[int, ...] = ()  # the priority bulletins likely to lead that airing

    @property
    def needed(self) -> bool:
        """Not yet made, or made with a fallback voice that the preferred engine may replace."""
        return any(not v.ready for v in self.voices) or (
            self.preferred_usable and any(v.fallback for v in self.voices))


class Renderer(Protocol):
    def render(self, what: str, ident: int, head_ids: list[int] | None = None, *,
               instant: dt.datetime | None = None, urgent: bool = False,
               background: bool = False) -> dict[str, Any]: ...

    def stop(self) -> None: ...


def voices(session: Session, settings: Settings, slot: Slot,
           heads: Sequence[Bulletin] = ()) -> list[ItemVoice]:
    """Forecast, from the cache and the gTTS breaker, the engine of each speech item of ``slot``,
    with ``heads`` (the priority bulletins likely to lead that airing) read first as on air.

    An item already made airs with the engine that made it. One not yet made will be tried with
    the first engine of ``tts.engines`` unless that is gTTS and its breaker is open (then the
    next one speaks, and that is a fallback).
    """
    from audio.compose import speech_voices
    from audio.tts import breaker_reason
    from broadcaster.programs import cache_dir, render_settings, slot_items

    rsettings = render_settings(settings, session)
    engines = list(rsettings.speech.engines)
    preferred = engines[0]
    cache = cache_dir(settings)
    usable = [e for e in engines if not breaker_reason(e, cache)] or engines[-1:]
    out: list[ItemVoice] = []
    for voice in speech_voices(slot_items(settings, slot, heads), rsettings, cache):
        if voice.engine is not None:
            out.append(ItemVoice(voice.title, voice.engine, True, voice.engine != preferred))
        else:
            out.append(ItemVoice(voice.title, usable[0], False, usable[0] != preferred))
    return out


def voices_by_slot(session: Session, settings: Settings,
                   airings: Sequence[tuple[int, Sequence[int]]]) -> dict[int, list[ItemVoice]]:
    """:func:`voices` for the dashboard's upcoming airings, each a slot id and the ids of the
    priority bulletins likely to lead it (a slot's first airing in the list speaks for it); a
    slot whose program cannot be forecast is left out (and logged), never an error on the page."""
    out: dict[int, list[ItemVoice]] = {}
    firsts: dict[int, Sequence[int]] = {}
    for slot_id, head_ids in airings:
        firsts.setdefault(slot_id, head_ids)
    for slot_id, head_ids in firsts.items():
        slot = session.get(Slot, slot_id)
        if slot is None:
            continue
        heads = [b for b in (session.get(Bulletin, i) for i in head_ids) if b is not None]
        try:
            out[slot_id] = voices(session, settings, slot, heads)
        except Exception:  # noqa: BLE001 - the dashboard shows the rest
            logger.exception("không dự tính được giọng đọc của lịch phát số %d", slot_id)
    return out


def plan(session: Session, settings: Settings, output: str | None, now: dt.datetime) -> list[Job]:
    """The slots airing within ``tts.prerender_hours`` of ``now``, soonest first, one job each.

    Airings within ``station.render_lead_s`` are left out: the station renders those itself,
    on their own deadline, and a background render must not hold the worker for them.
    """
    from audio.tts import breaker_reason
    from broadcaster.priority_heads import CLAIM_GRACE_S, choose
    from broadcaster.programs import cache_dir
    from broadcaster.week import HEADS_AHEAD

    horizon = now + dt.timedelta(hours=float(settings.tts.prerender_hours))
    preferred = list(settings.tts.engines)[0]
    preferred_usable = not breaker_reason(preferred, cache_dir(settings))
    slots = active_slots(session, output)
    seen: set[int] = set()
    jobs: list[Job] = []
    start = now + dt.timedelta(seconds=float(settings.station.render_lead_s))
    for slot, local_date, instant in next_occurrences(slots, settings.station.timezone, start,
                                                      horizon):
        if slot.id in seen:
            continue
        seen.add(slot.id)
        try:
            # Rendered with the priority bulletins likely to lead it, so those (the most urgent
            # words of the programme) are made in Google's voice ahead too, not at air time.
            heads = (choose(session, slot, local_date, now, CLAIM_GRACE_S)
                     if instant <= now + HEADS_AHEAD else [])
            jobs.append(Job(slot.id, instant, tuple(voices(session, settings, slot, heads)),
                            preferred_usable, tuple(b.id for b in heads)))
        except Exception:  # noqa: BLE001 - one bad program must not stop planning the others
            logger.exception("không dự tính được giọng đọc của lịch phát số %d", slot.id)
    return jobs


class Prerenderer:
    """A thread of the station: plan, render what is needed in the background, sleep, repeat."""

    def __init__(self, session_factory: Callable[[], Any], settings: Settings, output: str | None,
                 new_renderer: Callable[[], Renderer], clock: Callable[[], dt.datetime]) -> None:
        self.session_factory = session_factory
        self.settings = settings
        self.output = output
        self.new_renderer = new_renderer  # a fresh worker for each pass that has work
        self.clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._current: Renderer | None = None  # the worker of the pass under way

    def start(self) -> None:
        if float(self.settings.tts.prerender_hours) <= 0:
            logger.info("không dựng trước chương trình (tts.prerender_hours = 0); "
                        "vẫn tạo MP3 cho trang công khai")
        self._thread = threading.Thread(target=self._loop, name="prerender", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Something changed (a bulletin approved, a slot added): plan again now."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        current = self._current
        if current is not None:
            current.stop()  # a render in flight fails at once; the pass ends
        if self._thread is not None:
            self._thread.join(timeout=2)  # a render in flight ends when the worker stops

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            if self._stop.wait(DEBOUNCE_S):
                return
            for step in (self.run_once, self.run_public):
                try:
                    step()
                except Exception:  # noqa: BLE001 - the station stays up; the next pass tries again
                    logger.exception("dựng trước chương trình lỗi; sẽ thử lại")
            self._wake.wait(PASS_EVERY_S)

    def run_once(self) -> list[int]:
        """One pass: render every program that needs it; returns the slot ids rendered."""
        now = self.clock()
        with self.session_factory() as session:
            if self._station_busy_soon(session, now):
                logger.debug("chưa dựng trước: sắp có buổi phát hoặc lượt dựng của trạm")
                return []
            if float(self.settings.tts.prerender_hours) <= 0:
                return []
            jobs = [job for job in plan(session, self.settings, self.output, now) if job.needed]
        done: list[int] = []
        if not jobs:
            return done
        with self._worker() as renderer:
            for job in jobs:
                if self._stop.is_set():
                    break
                self._render(renderer, job, done)
        return done

    def run_public(self) -> list[int]:
        """Make the MP3 of every published bulletin that has none for its current text (approved
        bulletins are on the public site at once: the first listener must not wait for a render,
        nor the web process do it); returns the bulletin ids made."""
        with self.session_factory() as session:
            if self._station_busy_soon(session, self.clock()):
                return []
            wanted = public_mp3s_to_make(session, self.settings, self.clock())
        done: list[int] = []
        if not wanted:
            return done
        with self._worker() as renderer:
            for bulletin_id in wanted:
                if self._stop.is_set():
                    break
                if self._public_mp3(renderer, bulletin_id):
                    done.append(bulletin_id)
        return done

    @contextmanager
    def _worker(self) -> Iterator[Renderer]:
        """A render worker for one pass, stopped after it (and at once when the station stops)."""
        renderer = self._current = self.new_renderer()
        try:
            yield renderer
        finally:
            self._current = None
            renderer.stop()

    def _public_mp3(self, renderer: Renderer, bulletin_id: int) -> bool:
        try:
            result = renderer.render("public", bulletin_id, [], background=True)
        except Exception as exc:  # noqa: BLE001 - RenderFailed and friends: log, go on
            logger.warning("chưa tạo được MP3 công khai của bản tin số %d: %s", bulletin_id, exc)
            return False
        logger.info("đã tạo MP3 công khai của bản tin số %d (%s)", bulletin_id,
                    Path(result["path"]).name)
        return True

    def _station_busy_soon(self, session: Session, now: dt.datetime) -> bool:
        """An airing within QUIET_S, or the station's render of one (at its render lead)."""
        lead = dt.timedelta(seconds=float(self.settings.station.render_lead_s))
        quiet = dt.timedelta(seconds=QUIET_S)
        found = next_occurrences(active_slots(session, self.output), self.settings.station.timezone,
                                 now - quiet, now + lead + quiet)
        return any(now <= at <= now + quiet or abs(at - lead - now) <= quiet
                   for _slot, _date, at in found)

    def _render(self, renderer: Renderer, job: Job, done: list[int]) -> None:
        try:
            result = renderer.render("slot", job.slot_id, list(job.head_ids), instant=job.at_utc,
                                     background=True)
        except Exception as exc:  # noqa: BLE001 - RenderFailed and friends: log, go on
            logger.warning("dựng trước lịch phát số %d không được: %s", job.slot_id, exc)
            return
        engines = sorted({i.get("engine") for i in result.get("items", [])
                          if i.get("kind") == "speech"} - {None})
        logger.info("đã dựng trước lịch phát số %d (phát lúc %s), giọng: %s", job.slot_id,
                    job.at_utc.isoformat(timespec="seconds"), ", ".join(engines) or "không có")
        done.append(job.slot_id)


def public_mp3s_to_make(session: Session, settings: Settings, now: dt.datetime) -> list[int]:
    """Published bulletins (newest first, at most :data:`PUBLIC_PER_PASS`, approved at least
    :data:`PUBLIC_AFTER_S` ago) whose MP3 for the public site is not made for their current text."""
    from broadcaster.public_media import mp3_ready
    from broadcaster.publishing import list_published

    settled = now - dt.timedelta(seconds=PUBLIC_AFTER_S)
    return [row.bulletin.id for row in list_published(session, limit=PUBLIC_PER_PASS)
            if row.bulletin.approved_at is not None and row.bulletin.approved_at <= settled
            and not mp3_ready(settings, session, row.bulletin)]


def warnings(item_voices: Sequence[ItemVoice]) -> list[str]:
    """Vietnamese lines for the dashboard: the items that will be heard in the fallback voice."""
    return [f"“{v.title}” sẽ đọc bằng {ENGINE_LABELS.get(v.engine, v.engine)}"
            for v in item_voices if v.fallback]
