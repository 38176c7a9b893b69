"""Fault benchmark: a running station killed, starved and blocked around its broadcasts.

The station runs as ``python -m broadcaster station`` (espeak-ng only) on a PulseAudio server of
this benchmark's own (so it can be killed), with its data folder on a small tmpfs when one can be
mounted (so the disk can be filled). N one-off broadcasts, ``--spacing`` seconds apart, each get one
fault, in turn:

* ``kill`` — kill -9 at a random instant from 5 s before to the end of the broadcast;
* ``kill-before`` — kill -9 in the last second before the instant;
* ``kill-start`` — kill -9 in the first 0.3 s after the instant (the airing is to air again);
* ``kill-end`` — kill -9 in the last 20 ms of the broadcast (either status is then true);
* ``sound-down`` — the sound server killed 0.5 s before the instant, started again 2 s after it;
* ``db-locked`` — another process holds a write transaction from 3 s before to 2 s after the end;
* ``disk-full`` — the data folder's disk filled from 3 s before to 3 s after the end (tmpfs only);

a killed station is started again 0.5 s later, as systemd would. At the end it prints, from the
evidence and the station's own log ("bắt đầu phát" once per player start):

* occurrences — broadcasts scheduled;
* lost — no entry, or ``missed``/``failed`` (every fault is shorter than the grace window), or
  ``interrupted`` by a kill within :data:`UNHEARD_S` of its start (it should have aired again);
* doubled — more than one player start for one occurrence (a start that a kill cut within
  :data:`UNHEARD_S` does not count: at most the opening of the signal went out);
* misrecorded — an entry that disagrees with what happened: ``interrupted`` when no kill fell in
  its airing, ``completed`` when one did (more than 20 ms before its end), or seconds off by more
  than 1 s from the truth (the program's length, or kill time − start);
* unrecorded — an occurrence whose render record (the file and hash the office reads on its row)
  is missing or names another file once the run is over: a station write the fault lost;
* unjudged — no truth to judge the entry by (no rendered file holds the program);
* stretched — a completed playback longer than its program by more than 1 s whose entry says so
  ("Phát mất …": the player starved under load, the loudspeakers had silences); counted apart,
  not as misrecorded, because the entry's seconds are air time and it tells the office why;
* worst lateness — the latest start after its instant.

The truth never comes from the station's own records: the program's length is measured from the
WAV in the render cache whose metadata holds this broadcast's text (the file the player was fed),
found by the harness itself, so a station that fails to record is caught (unrecorded, or lost) and
one that records right is not called wrong because some other record of it is missing. The
station's log (its player starts) is kept off the tmpfs, so a full disk cannot hide a start.

    .venv/bin/python benchmarks/faults.py [--broadcasts 12] [--spacing 20]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from broadcaster import bulletins, schedule  # noqa: E402
from broadcaster.context import init_home, open_context  # noqa: E402
from broadcaster.models import EvidenceEntry, Occurrence  # noqa: E402

UTC = dt.timezone.utc
TZ = "Asia/Ho_Chi_Minh"
HANOI = dt.timezone(dt.timedelta(hours=7))
FAULTS = ("kill", "kill-before", "kill-start", "kill-end", "sound-down", "db-locked", "disk-full")
#: A start cut by a kill this soon after it played less than this: the station airs it again
#: (``PlayoutEngine.recover``), and residents heard at most the opening of the signal, not twice.
UNHEARD_S = 0.5
SINK = "faults"


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def sleep_until(instant: dt.datetime) -> None:
    while (left := (instant - now()).total_seconds()) > 0:
        time.sleep(min(left, 0.05) if left > 0.002 else 0)


class Sound:
    """A PulseAudio server of our own, with one null sink."""

    def __init__(self, runtime: Path) -> None:
        self.env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime),
                        PULSE_SERVER=f"unix:{runtime}/pulse/native")
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)

    def start(self) -> None:
        subprocess.run(["pulseaudio", "-D", "-n", "--exit-idle-time=-1", "--system=false",
                        "-L", "module-native-protocol-unix",
                        "-L", f"module-null-sink sink_name={SINK} norewinds=1 rate=44100 channels=2"],
                       env=self.env, capture_output=True, check=False)
        for _ in range(50):
            if subprocess.run(["pactl", "info"], env=self.env, capture_output=True,
                              check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise SystemExit("không khởi động được PulseAudio riêng cho phép đo")

    def kill(self) -> None:
        subprocess.run(["pulseaudio", "--kill"], env=self.env, capture_output=True, check=False)
        for _ in range(50):
            if subprocess.run(["pactl", "info"], env=self.env, capture_output=True,
                              check=False).returncode != 0:
                return
            time.sleep(0.05)


class Station:
    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []

    def start(self) -> None:
        log = self.home.parent.parent / f"station-{len(self.logs)}.log"  # off the tmpfs: never full
        self.logs.append(log)
        self.proc = subprocess.Popen([sys.executable, "-m", "broadcaster", "station"], cwd=ROOT,
                                     env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=open(log, "wb"), start_new_session=True)

    def crash(self) -> dt.datetime:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        at = now()
        self.proc.wait(5)
        return at

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)

    def starts(self) -> tuple[dict[str, int], dict[str, list[dt.datetime]]]:
        """Player starts per occurrence, from the station's own log: how many made a sound,
        and when each began."""
        counts: dict[str, int] = {}
        times: dict[str, list[dt.datetime]] = {}
        for log in self.logs:
            text = log.read_text(encoding="utf-8", errors="replace")
            for match in re.finditer(r"(slot-\d+@[\d-]+): bắt đầu phát lúc (\S+)", text):
                counts[match.group(1)] = counts.get(match.group(1), 0) + 1
                times.setdefault(match.group(1), []).append(dt.datetime.fromisoformat(match.group(2)))
            # a player that stopped at once because the output was not back made no sound
            for match in re.finditer(r"(slot-\d+@[\d-]+): trình phát dừng ngay", text):
                counts[match.group(1)] = counts.get(match.group(1), 0) - 1
        return counts, times


def rendered_file(home: Path, body: str) -> Path | None:
    """The render-cache WAV whose metadata holds ``body`` (found without the station's records)."""
    for meta_path in sorted((home / "audio" / "cache" / "renders").glob("*.json")):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            texts = [str(item.get("text") or "") for item in meta["items"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # being written, or not a render's metadata
        wav_path = meta_path.with_suffix(".wav")
        if any(body in text for text in texts) and wav_path.is_file():
            return wav_path
    return None


def wav_seconds(path: Path) -> float | None:
    try:
        with wave.open(str(path), "rb") as wav:
            return wav.getnframes() / wav.getframerate()
    except (OSError, EOFError, wave.Error):
        return None


def program_seconds(home: Path, body: str, timeout: float = 30) -> float | None:
    """The program's true length: its rendered WAV's frames over its rate."""
    deadline = time.monotonic() + timeout
    while True:
        path = rendered_file(home, body)
        seconds = wav_seconds(path) if path is not None else None
        if seconds is not None or time.monotonic() >= deadline:
            return seconds
        time.sleep(0.1)


def fill(folder: Path) -> Path:
    """Fill the disk of ``folder``; the file to delete to free it."""
    ballast = folder / "ballast.bin"
    block = b"\0" * (1 << 20)
    with open(ballast, "wb") as handle:
        try:
            while True:
                handle.write(block)
                handle.flush()
        except OSError:
            pass
    return ballast


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--broadcasts", type=int, default=12)
    parser.add_argument("--spacing", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    base = Path(tempfile.mkdtemp(prefix="loaxa-faults-"))
    home = base / "disk" / "home"
    (base / "disk").mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(base / "disk")],
                             capture_output=True, check=False).returncode == 0
    if not mounted:
        print("không gắn được tmpfs (cần quyền root): bỏ phép thử đầy đĩa", file=sys.stderr)
    sound = Sound(base / "pulse")
    sound.start()
    os.environ.update(BROADCASTER_HOME=str(home), BROADCASTER_TTS_ENGINES="espeak")
    ctx, _ = init_home(home)
    ctx.dispose()
    ctx = open_context(home)
    env = dict(sound.env, BROADCASTER_HOME=str(home), BROADCASTER_TTS_ENGINES="espeak",
               BROADCASTER_OUTPUT_BACKEND="pulse", BROADCASTER_OUTPUT_DEVICE=SINK,
               BROADCASTER_STATION_RENDER_LEAD_S="10", BROADCASTER_STATION_RECONCILE_S="0.2",
               BROADCASTER_STATION_HEARTBEAT_S="1", BROADCASTER_STATION_GRACE_S="30",
               BROADCASTER_AUDIO_GAP_S="0.3")
    station = Station(home, env)
    station.start()
    faults = [f for f in FAULTS if mounted or f != "disk-full"]
    plan: list[tuple[int, dt.datetime, str]] = []
    bodies: dict[int, str] = {}
    first = now() + dt.timedelta(seconds=25)
    with ctx.session() as session:
        for index in range(args.broadcasts):
            body = f"Bà con chú ý, thông báo thử số {index + 1}."
            bulletin = bulletins.add_bulletin(session, title=f"Thử lỗi {index + 1}", body=body)
            bulletins.transition(session, bulletin, "approve", None)
            at = first + dt.timedelta(seconds=index * args.spacing)
            local = (at + dt.timedelta(seconds=1)).astimezone(HANOI).strftime("%Y-%m-%d %H:%M:%S")
            slot = schedule.add_slot(session, items=[schedule.ItemSpec("bulletin", bulletin.id)],
                                     default_tz=TZ, at_local=local, greeting=False,
                                     allow_conflict=True)
            slot.at_utc = at
            plan.append((slot.id, at, faults[index % len(faults)]))
            bodies[slot.id] = body
    kills: dict[int, dt.datetime] = {}
    lengths: dict[int, float] = {}
    load = [os.getloadavg()[0]]
    try:
        for slot_id, at, fault in plan:
            sleep_until(at - dt.timedelta(seconds=6))  # rendered by now (lead 10 s)
            length = program_seconds(home, bodies[slot_id], timeout=5) or 10.0  # to time the fault
            end = at + dt.timedelta(seconds=length)
            print(f"slot {slot_id} {at.astimezone(HANOI):%H:%M:%S.%f} ({length:.1f} s): {fault}",
                  flush=True)
            if fault.startswith("kill"):
                if fault == "kill":
                    when = at + dt.timedelta(seconds=rng.uniform(-5.0, length))
                elif fault == "kill-before":
                    when = at - dt.timedelta(seconds=rng.uniform(0.0, 1.0))
                elif fault == "kill-start":
                    when = at + dt.timedelta(seconds=rng.uniform(0.0, 0.3))
                else:
                    when = end - dt.timedelta(seconds=rng.uniform(0.0, 0.02))
                sleep_until(when)
                kills[slot_id] = station.crash()
                time.sleep(0.5)
                station.start()
            elif fault == "sound-down":
                sleep_until(at - dt.timedelta(seconds=0.5))
                sound.kill()
                sleep_until(at + dt.timedelta(seconds=2))
                sound.start()
            elif fault == "db-locked":
                sleep_until(at - dt.timedelta(seconds=3))
                lock = sqlite3.connect(home / "broadcaster.db", timeout=30, isolation_level=None)
                lock.execute("BEGIN IMMEDIATE")
                sleep_until(end + dt.timedelta(seconds=2))
                lock.execute("ROLLBACK")
                lock.close()
            elif fault == "disk-full":
                sleep_until(at - dt.timedelta(seconds=3))
                ballast = fill(base / "disk")
                sleep_until(end + dt.timedelta(seconds=3))
                ballast.unlink()
            load.append(os.getloadavg()[0])
        time.sleep(args.spacing + 10)
    finally:
        station.stop()
    starts, start_times = station.starts()
    files: dict[int, Path | None] = {}
    for slot_id, _, _ in plan:  # the true lengths, once everything is rendered
        path = rendered_file(home, bodies[slot_id])
        files[slot_id] = path.resolve() if path is not None else None
        found = wav_seconds(path) if path is not None else None
        if found is not None:
            lengths[slot_id] = found
    kill_times = sorted(kills.values())
    lost = doubled = misrecorded = unrecorded = unjudged = stretched = 0
    worst = 0.0
    with ctx.session() as session:
        for slot_id, at, fault in plan:
            key = f"slot-{slot_id}@{at.astimezone(HANOI).date().isoformat()}"
            rows = session.scalars(select(EvidenceEntry).where(EvidenceEntry.occurrence_key == key)).all()
            occurrence = session.scalar(select(Occurrence).where(Occurrence.slot_id == slot_id))
            record = occurrence.render_path if occurrence is not None else None
            count = starts.get(key, 0) - sum(  # cut unheard by a kill: not a second hearing
                1 for began in start_times.get(key, [])
                if any(0 <= (k - began).total_seconds() < UNHEARD_S for k in kills.values()))
            problems: list[str] = []
            if count > 1:
                doubled += 1
                problems.append(f"doubled ({count} starts)")
            if not rows or rows[0].status in ("missed", "failed"):
                lost += 1
                problems.append("lost" + (f" ({rows[0].status}: {rows[0].reason})" if rows else ""))
                print(f"  {key} [{fault}]: {'; '.join(problems)}")
                continue
            entry = rows[0]
            late = (entry.started_at - at).total_seconds() if entry.started_at else 0.0
            worst = max(worst, late)
            if files[slot_id] is None or not record or Path(record).resolve() != files[slot_id]:
                unrecorded += 1
                problems.append(f"unrecorded (render record {record or 'missing'})")
            if slot_id not in lengths:
                unjudged += 1
                print(f"  {key} [{fault}]: {entry.status} {entry.seconds_played:.2f} s — unjudged "
                      f"(no rendered file holds its text)")
                continue
            length = lengths[slot_id]
            # Any kill while it aired cut it (a late airing can be cut by the next slot's fault).
            killed = next((k for k in kill_times if entry.started_at is not None
                           and entry.started_at <= k
                           <= entry.started_at + dt.timedelta(seconds=length)), None)
            cut = (killed is not None and entry.started_at is not None
                   and killed <= entry.started_at + dt.timedelta(seconds=length - 0.02))
            truth = ((killed - entry.started_at).total_seconds() if cut and killed and entry.started_at
                     else length)
            if cut and truth < UNHEARD_S and entry.status == "interrupted":
                # nothing of it was heard and the grace window was open: it should have aired
                lost += 1
                problems.append(f"lost (cut {truth:.2f} s after its start, not aired again)")
                print(f"  {key} [{fault}]: {'; '.join(problems)}")
                continue
            expected = "interrupted" if cut else "completed"
            ok_status = entry.status == expected or (  # a kill in the last 20 ms: either is true
                killed is not None and not cut and entry.status == "interrupted")
            long_noted = (not cut and entry.status == "completed" and entry.seconds_played > truth
                          and "Phát mất" in (entry.reason or ""))
            if long_noted:  # the player starved: air time longer than the program, and said so
                stretched += 1
                problems.append("stretched (noted in the entry)")
            elif not ok_status or abs(entry.seconds_played - truth) > 1.0:
                misrecorded += 1
                problems.append(f"misrecorded: {entry.status} {entry.seconds_played:.2f} s, truth "
                                f"{expected} {truth:.2f} s")
            print(f"  {key} [{fault}]: {entry.status} {entry.seconds_played:.2f} s of "
                  f"{length:.2f} s, late {late * 1000:+.0f} ms — {'; '.join(problems) or 'ok'}")
            if entry.reason:
                print(f"      reason: {entry.reason[:240]}")
    sound.kill()
    if mounted:
        ctx.dispose()
        subprocess.run(["umount", "-l", str(base / "disk")], capture_output=True, check=False)
    print()
    print(f"occurrences {len(plan)}  lost {lost}  doubled {doubled}  misrecorded {misrecorded}  "
          f"unrecorded {unrecorded}  unjudged {unjudged}  worst lateness {worst:.2f} s  "
          f"(stretched {stretched})")
    if lengths:
        print(f"programs {min(lengths.values()):.2f}–{max(lengths.values()):.2f} s (their WAVs)")
    print(f"load average during the run: {min(load):.2f}–{max(load):.2f}; disk full tried: "
          f"{'yes (tmpfs 48 MB)' if mounted else 'no (no tmpfs)'}; station logs in {base}")
    return 0 if lost == doubled == misrecorded == unrecorded == unjudged == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
