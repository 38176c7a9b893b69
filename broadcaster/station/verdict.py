"""What an airing's evidence says happened: a pure function of what the player, the air-check and
the engine saw.

Why pure: this is the sentence the commune files with the province ("completed", "interrupted",
"failed"), so every rule of it is tested on plain values without a sound server:

* no playback at all (the player could not start) — ``failed``, with the error;
* cut short (emergency, stop command, shutdown) — ``interrupted``, with the reason and how much
  of the program aired;
* the player exited non-zero — ``failed``, with its message and stderr;
* the player reported success but the air-check of the output stayed silent — ``failed``, "dead
  air": evidence must not claim a broadcast nobody could hear (the program was checked to hold
  sound before it aired);
* an air-check that could not be recorded at all is only a note: the status follows the player;
* a start later than :data:`LATE_NOTE_S` after the instant is noted with its delay;
* a completed playback that took :data:`STRETCH_NOTE_S` longer than the program is noted: the
  output ran on in real time while the player starved (measured in the faults benchmark at load
  average 9: 15.2 s for a 9.7 s program), so the loudspeakers had silences in the middle, and the
  entry's seconds are air time, not program heard;
* part of the program never fed to the player (an emergency's signal aired, its bulletin could
  not be rendered) — ``failed``, saying what aired and why the rest did not.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from broadcaster.station.aircheck import Aircheck
from broadcaster.station.playout import PlayResult
from broadcaster.wording import decimal

#: A start later than this (seconds) is written into the entry's reason.
LATE_NOTE_S = 1.0
#: A completed playback longer than its program by more than this (seconds) is noted.
STRETCH_NOTE_S = 1.0


@dataclass(frozen=True)
class Verdict:
    status: str
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    seconds: float
    reason: str


def late_reason(late_s: float) -> str:
    """The note kept in the evidence when a broadcast starts late but within the grace window."""
    return f"Phát trễ {decimal(late_s)} giây so với lịch (trong thời gian cho phép)"


def stretch_reason(seconds: float, program_seconds: float) -> str:
    """The note for a playback that took longer than its program (the player starved)."""
    return (f"Phát mất {decimal(seconds)} giây cho chương trình dài {decimal(program_seconds)} "
            f"giây: đầu ra bị nghẽn, loa có khoảng lặng giữa chừng")


def decide(result: PlayResult | None, error: str, check: Aircheck | None, *,
           scheduled_at: dt.datetime, program_seconds: float, now: dt.datetime,
           notes: Iterable[str] = (), unaired: str = "") -> Verdict:
    """The status, times, seconds and reason of one airing.

    ``result`` is None when no player ran (``error`` says why); ``check`` is the air-check (None
    when the output cannot be recorded); ``notes`` are added to the reason as they are (render
    fallback, amplifier hook, waiting for the output). ``unaired`` says why part of the program
    never reached the player (an emergency's bulletin that failed to render after its signal
    aired): a playback that otherwise completed is then ``failed`` with that reason.
    """
    reasons: list[str] = []
    if result is None:
        status = "failed"
        started: dt.datetime | None = now
        ended: dt.datetime | None = now
        seconds = 0.0
        reasons.append(error or "Không phát được")
    else:
        started, ended, seconds = result.started_at, result.ended_at, result.seconds
        late = (result.started_at - scheduled_at).total_seconds()
        if late > LATE_NOTE_S:
            reasons.append(late_reason(late))
        if result.preempted:
            status = "interrupted"
            total = program_seconds or seconds
            reasons.append(f"{result.reason} (đã phát {decimal(seconds)}/{decimal(total)} giây)")
        elif result.returncode != 0:
            status = "failed"
            reasons.append(result.reason)
            if result.stderr and result.stderr not in result.reason:
                reasons.append(f"stderr: {result.stderr[-500:]}")
        else:
            status = "completed"
            if program_seconds > 0 and seconds > program_seconds + STRETCH_NOTE_S:
                reasons.append(stretch_reason(seconds, program_seconds))
        if unaired and status == "completed":
            status = "failed"
            reasons.append(unaired)
        if check is not None and check.dead_air and status == "completed":
            status = "failed"
            reasons.append(check.note)
        elif check is not None and check.note and not check.dead_air:
            reasons.append(check.note)
    reasons.extend(notes)
    return Verdict(status, started, ended, seconds, "; ".join(r for r in reasons if r))
