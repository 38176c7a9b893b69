"""What the playout engine needs from whoever runs it, as small interfaces.

The commune station and a village receiver air programs the same way but keep their own records:
the commune in the shared database, a receiver in its own local SQLite file with its own evidence
chain. So the engine (:mod:`.engine`) never opens a database session; it talks to

* an :class:`EvidenceSink` — appends one entry per occurrence and moves the occurrence's state
  (the commune's is :class:`broadcaster.station.occurrences.CommuneEvidenceSink`);
* a :class:`~broadcaster.station.clock.Clock` — ``now()`` and a precise ``sleep_until()``;
* an :class:`Output` — a sound output that prepares and starts playbacks
  (:class:`broadcaster.station.playout.Player`).

The values passed through them are plain dataclasses defined here: a :class:`Program` (a rendered
file ready to air) and an :class:`Airing` (what is being aired: its stable key, its instant and the
fields its evidence entry carries).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from broadcaster.station.follow import Follow
from broadcaster.station.playout import Playback, PreparedPlayback


@dataclass
class Program:
    """A program ready to air: the file, its hash, and the per-item records for the evidence.

    ``then``: the rest of the programme, still being made while this opening airs (an
    emergency's signal, then its bulletin: :mod:`.follow`); the engine feeds it into the same
    stream and the entry lists what actually aired.
    """

    path: Path
    sha256: str
    seconds: float
    items: list[dict[str, Any]]
    note: str = ""
    then: Follow | None = None


@dataclass(frozen=True)
class Airing:
    """One occurrence to air.

    ``key`` is the stable occurrence key (:mod:`broadcaster.occurrence_keys`); ``fields`` are the
    evidence fields that do not depend on what happens on air (title, category, campaign,
    priority, zone, output, host, slot_id); ``ref`` is the sink's own handle on the occurrence (the
    commune's occurrence row id), passed back to it untouched.
    """

    key: str
    scheduled_at: dt.datetime
    fields: dict[str, Any] = field(default_factory=dict)
    ref: int | None = None

    @property
    def title(self) -> str:
        return str(self.fields.get("title", ""))

    @property
    def priority(self) -> str:
        return str(self.fields.get("priority", "normal"))

    @property
    def zone(self) -> str:
        return str(self.fields.get("zone", ""))


@dataclass
class EntryRecord:
    """One evidence entry to append (``fields`` are ``evidence.append_entry``'s keywords) and the
    state its occurrence moves to in the same transaction."""

    fields: dict[str, Any]
    ref: int | None
    state: str
    attempts: int = 0
    #: (path, SHA-256) of the program that aired: a sink that keeps render records fills in one
    #: the render could not write (disk full, lock) and a crash took from memory.
    program: tuple[str, str] | None = None

    @property
    def key(self) -> str:
        return str(self.fields.get("occurrence_key") or "")


@dataclass
class StateMark:
    """An occurrence state change that is not an entry (``playing``, back to ``rendered``)."""

    key: str
    ref: int | None
    state: str
    only_if: tuple[str, ...] = ()
    attempts: int = 0


class EvidenceSink(Protocol):
    """Where entries go. Both methods raise on failure (a locked database, a full disk): the
    :class:`~broadcaster.station.evidence_writer.EvidenceWriter` retries them beside the playout."""

    def append(self, record: EntryRecord) -> None:
        """Append the entry and set the occurrence state in one transaction (a duplicate key is
        not an error: the entry exists)."""
        ...

    def mark(self, mark: StateMark) -> None:
        """Set an occurrence state (only when it is one of ``mark.only_if``, when given)."""
        ...

    def has_entry(self, key: str) -> bool:
        """Whether the occurrence already has its entry."""
        ...


class Output(Protocol):
    """A sound output: what :class:`broadcaster.station.playout.Player` offers the engine."""

    backend: str
    device: str

    @property
    def monitor_source(self) -> str | None:
        """The PulseAudio source that hears this output (None: no air-check possible)."""
        ...

    @property
    def label(self) -> str:
        """How the evidence names the output's device, e.g. ``pulse:loa_chinh``."""
        ...

    def prepare(self, path: Path) -> PreparedPlayback | None:
        """Connect a player before the instant (None: this output cannot, use :meth:`start`);
        raises OutputMissingError when the sound server or sink is not there."""
        ...

    def start(self, path: Path, started_at: dt.datetime) -> Playback:
        """Launch a player now; raises PlayoutError when the program cannot even start."""
        ...
