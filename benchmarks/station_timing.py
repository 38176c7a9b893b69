"""Station benchmark: start error of scheduled broadcasts on a real sound server, and memory.

Start error = first audible sample on the sink's monitor − (scheduled instant + the program's own
leading silence). The station runs as ``python -m broadcaster station`` in a fresh data folder, on
a null sink of its own, with a day of daily slots loaded (96, every 15 minutes, the next hour
left free) plus N one-off slots a few seconds apart that it must air.

    eval "$(scripts/pulse-null-sink loaxa)"
    .venv/bin/python benchmarks/station_timing.py [--broadcasts 24] [--spacing 8]

Prints the figures; benchmarks/README-station.md records a run.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from broadcaster import bulletins, schedule  # noqa: E402
from broadcaster.context import init_home, open_context  # noqa: E402
from broadcaster.models import EvidenceEntry, Occurrence, Slot  # noqa: E402
from broadcaster.station.aircheck import AUDIBLE_THRESHOLD, MonitorTap  # noqa: E402

UTC = dt.timezone.utc
TZ = "Asia/Ho_Chi_Minh"
HANOI = dt.timezone(dt.timedelta(hours=7))


def lead_silence_s(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        rate, channels = wav.getframerate(), wav.getnchannels()
        samples = array("h", wav.readframes(rate * 2))
    for index, value in enumerate(samples):
        if abs(value) > AUDIBLE_THRESHOLD:
            return index / channels / rate
    return 0.0


def rss_mb(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def worker_rss_mb(station_pid: int) -> float:
    """Resident MB of the station's render worker (its Python child), 0 when there is none."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if ppid == station_pid and name.startswith("python"):
            try:
                total += rss_mb(int(entry.name))[0]
            except (OSError, KeyError):
                pass
    return total


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--broadcasts", type=int, default=24)
    parser.add_argument("--spacing", type=float, default=8.0)
    args = parser.parse_args()
    if "PULSE_SERVER" not in os.environ:
        print('Chạy trước: eval "$(scripts/pulse-null-sink loaxa)"', file=sys.stderr)
        return 1
    sink = f"loaxa_bench_{os.getpid()}"
    module = subprocess.run(["pactl", "load-module", "module-null-sink", f"sink_name={sink}",
                             "norewinds=1", "rate=44100", "channels=2"],
                            capture_output=True, text=True, check=True).stdout.strip()
    home = Path(tempfile.mkdtemp(prefix="loaxa-bench-")) / "home"
    os.environ.update({"BROADCASTER_HOME": str(home), "BROADCASTER_TTS_ENGINES": "espeak"})
    ctx, _ = init_home(home)
    ctx.dispose()
    ctx = open_context(home)
    now = dt.datetime.now(UTC)
    with ctx.session() as session:
        bulletin = bulletins.add_bulletin(session, title="Thử loa", body="Thử loa.")
        bulletins.transition(session, bulletin, "approve", None)
        bulletin_id = bulletin.id
        daily = 0
        for minutes in range(0, 24 * 60, 15):
            at = dt.datetime.combine(now.astimezone(HANOI).date(), dt.time(0), HANOI) \
                + dt.timedelta(minutes=minutes)
            ahead = (at - now).total_seconds() % 86400
            if ahead < 75 * 60:
                continue  # keep the next hour for the timed broadcasts
            schedule.add_slot(session, items=[schedule.ItemSpec("bulletin", bulletin_id)],
                              default_tz=TZ, daily=at.strftime("%H:%M"), allow_conflict=True)
            daily += 1
    env = dict(os.environ, BROADCASTER_OUTPUT_DEVICE=sink, BROADCASTER_STATION_RECONCILE_S="0.2",
               BROADCASTER_AUDIO_GAP_S="0.2")
    station = subprocess.Popen([sys.executable, "-m", "broadcaster", "station"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=open(home / "station.log", "wb"))
    tap = MonitorTap(f"{sink}.monitor")
    tap.start()
    tap.wait_started(3)
    time.sleep(2.0)
    # A fresh data folder has cold caches (speech, jingles): give the first renders a head start.
    first = dt.datetime.now(UTC) + dt.timedelta(seconds=40)
    slots: list[tuple[int, dt.datetime]] = []
    with ctx.session() as session:
        for index in range(args.broadcasts):
            at = first + dt.timedelta(seconds=index * args.spacing)
            local = (at + dt.timedelta(seconds=1)).astimezone(HANOI).strftime("%Y-%m-%d %H:%M:%S")
            slot = schedule.add_slot(session, items=[schedule.ItemSpec("bulletin", bulletin_id)],
                                     default_tz=TZ, at_local=local, greeting=False, allow_conflict=True)
            slot.at_utc = at
            slots.append((slot.id, at))
    errors: list[float] = []
    peak_rss = 0.0
    peak_worker = 0.0
    try:
        for slot_id, at in slots:
            key = f"slot-{slot_id}@{at.astimezone(HANOI).date().isoformat()}"
            ahead = max(0.0, (at - dt.datetime.now(UTC)).total_seconds())
            deadline = time.monotonic() + ahead + args.spacing + 30
            entry = None
            while time.monotonic() < deadline and entry is None:
                time.sleep(0.1)
                with ctx.session() as session:
                    entry = session.scalar(select(EvidenceEntry).where(EvidenceEntry.occurrence_key == key))
            heard = tap.first_audible_at()
            with ctx.session() as session:
                row = session.scalar(select(Occurrence).where(Occurrence.slot_id == slot_id))
                path = Path(row.render_path) if row and row.render_path else None
            tap.reset_first_audible()
            peak_rss = max(peak_rss, rss_mb(station.pid)[0])
            peak_worker = max(peak_worker, worker_rss_mb(station.pid))
            if entry is None or heard is None or path is None or entry.status != "completed":
                print(f"{key}: không đo được ({entry.status if entry else 'chưa có nhật ký'})")
                continue
            error_ms = ((heard - at).total_seconds() - lead_silence_s(path)) * 1000
            errors.append(error_ms)
            print(f"{key}: sai lệch bắt đầu {error_ms:+.1f} ms")
        rss, hwm = rss_mb(station.pid)
        worker = worker_rss_mb(station.pid)
    finally:
        station.terminate()
        station.wait(30)
        tap.stop()
        subprocess.run(["pactl", "unload-module", module], capture_output=True, check=False)
    with ctx.session() as session:
        active = len(session.scalars(select(Slot.id)).all())
    print()
    print(f"broadcasts measured: {len(errors)} / {len(slots)}  (slots in the database: {active}, "
          f"of which daily: {daily})")
    if errors:
        print(f"start error ms: min {min(errors):+.1f}  median {statistics.median(errors):+.1f}  "
              f"p99 {percentile(errors, 0.99):+.1f}  max {max(errors):+.1f}")
    print(f"station RSS MB: now {rss:.1f}  peak seen {max(peak_rss, rss):.1f}  high-water {hwm:.1f}")
    print(f"render worker RSS MB: now {worker:.1f}  peak seen {max(peak_worker, worker):.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
