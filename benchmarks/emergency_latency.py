"""Emergency latency: from the ``emergency`` command to the first audible sample on the sink.

The station runs as ``python -m broadcaster station`` (espeak-ng only, as offline) in a fresh data
folder on a null sink of its own. For each trial a new emergency bulletin (new text: its speech is
not cached) is written and the command row is added exactly as ``broadcaster emergency`` adds it;
the clock starts when that transaction commits and stops at the first sample above the air-check's
threshold on the sink's monitor. The emergency is then stopped (``stop`` command) before the next.

    eval "$(scripts/pulse-null-sink loaxa)"
    .venv/bin/python benchmarks/emergency_latency.py [--trials 10] [--mode fresh|prerendered|both]
        [--checkout DIR]

``--mode fresh`` (the default) approves each bulletin and sends its command in the next
transaction, so nothing was rendered before the command (the signal-first path);
``prerendered`` approves it, waits until the station says it pre-rendered it (its log), then sends
the command; ``both`` runs the two in turn. Each trial prints the split: command row committed →
picked up by the station (the acknowledgement's time), → first sample handed to the player (the
entry's start), → first sample heard on the monitor; and what the entry says aired.

``--checkout DIR`` runs the station from another tree (``git archive REV | tar -x -C DIR``) to
compare with an older revision. benchmarks/README-station.md records a run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from broadcaster import bulletins, commands  # noqa: E402
from broadcaster.context import init_home, open_context  # noqa: E402
from broadcaster.models import EvidenceEntry, Heartbeat, StationCommand  # noqa: E402
from broadcaster.station.aircheck import MonitorTap  # noqa: E402

NUMBERS = ["một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười", "mười một",
           "mười hai", "mười ba", "mười bốn", "mười lăm", "mười sáu", "mười bảy", "mười tám",
           "mười chín", "hai mươi"]


def wait_until(predicate, timeout: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    return None


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(0.95 * len(ordered))) - 1))]


def summary(label: str, ms: list[float]) -> str:
    return (f"{label} ({len(ms)} trials): min {min(ms):.0f}  median {statistics.median(ms):.0f}  "
            f"p95 {p95(ms):.0f}  max {max(ms):.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--mode", choices=("fresh", "prerendered", "both"), default="fresh")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="run the station from this tree")
    args = parser.parse_args()
    if "PULSE_SERVER" not in os.environ:
        print('Chạy trước: eval "$(scripts/pulse-null-sink loaxa)"', file=sys.stderr)
        return 1
    sink = f"loaxa_emerg_{os.getpid()}"
    module = subprocess.run(["pactl", "load-module", "module-null-sink", f"sink_name={sink}",
                             "norewinds=1", "rate=44100", "channels=2"],
                            capture_output=True, text=True, check=True).stdout.strip()
    home = Path(tempfile.mkdtemp(prefix="loaxa-emerg-")) / "home"
    os.environ.update({"BROADCASTER_HOME": str(home), "BROADCASTER_TTS_ENGINES": "espeak"})
    ctx, _ = init_home(home)
    ctx.dispose()
    ctx = open_context(home)
    env = dict(os.environ, BROADCASTER_OUTPUT_DEVICE=sink, BROADCASTER_STATION_RECONCILE_S="0.2",
               BROADCASTER_STATION_HEARTBEAT_S="1", PYTHONPATH=str(args.checkout))
    log = home / "station.log"
    station = subprocess.Popen([sys.executable, "-m", "broadcaster", "station"], cwd=args.checkout,
                               env=env, stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
    tap = MonitorTap(f"{sink}.monitor")
    tap.start()
    tap.wait_started(3)
    modes = ["fresh", "prerendered"] if args.mode == "both" else [args.mode]
    results: dict[str, list[tuple[float, float, float]]] = {m: [] for m in modes}
    trial = 0
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    try:
        def ready() -> bool:
            with ctx.session() as session:
                beat = session.get(Heartbeat, "main")
                if beat is None:
                    return False
                worker = (beat.state or {}).get("render_worker")
                return worker is None or bool(worker.get("ready"))  # older trees: no worker
        if not wait_until(ready, 60):
            print("trạm phát không khởi động:\n" + log.read_text(), file=sys.stderr)
            return 1
        # The signal is rendered once the worker is up (older trees: nothing to wait for).
        wait_until(lambda: "tín hiệu khẩn cấp sẵn sàng" in log.read_text(), 20)
        time.sleep(1.0)
        for mode in modes:
            for _ in range(args.trials):
                number = NUMBERS[trial % len(NUMBERS)]
                trial += 1
                with ctx.session() as session:
                    bulletin = bulletins.add_bulletin(
                        session, title=f"Khẩn cấp số {number} ({trial})", priority="emergency",
                        body=f"Cảnh báo số {number}, lần {trial}: nước lũ đang lên, bà con di chuyển ngay.")
                    bulletins.transition(session, bulletin, "approve", None)
                    bulletin_id = bulletin.id
                if mode == "prerendered":
                    said = f"đã dựng sẵn bản tin khẩn cấp số {bulletin_id}"
                    if not wait_until(lambda said=said: said in log.read_text(), 30):  # type: ignore[misc]
                        print(f"lần {trial}: trạm chưa dựng sẵn bản tin số {bulletin_id} sau 30 giây")
                tap.reset_first_audible()
                with ctx.session() as session:
                    command = commands.request_emergency(session, bulletin_id)
                    session.flush()
                    command_id = command.id
                    requested = command.requested_at
                heard = wait_until(tap.first_audible_at, 30)
                if heard is None:
                    print(f"{mode} lần {trial}: không nghe thấy gì trong 30 giây")
                    continue
                key = f"emergency-{command_id}"

                time.sleep(4.5 if mode == "fresh" else 1.5)  # signal + bulletin on air
                with ctx.session() as session:
                    commands.request_stop(session, reason="đo xong")

                def settled(command_id: int = command_id, key: str = key) -> EvidenceEntry | None:
                    with ctx.session() as session:
                        row = session.get(StationCommand, command_id)
                        if row is None or row.status not in ("done", "failed"):
                            return None
                        return session.scalar(select(EvidenceEntry).where(
                            EvidenceEntry.occurrence_key == key))
                entry = wait_until(settled, 30)
                with ctx.session() as session:
                    row = session.get(StationCommand, command_id)
                    picked = (row.acknowledged_at - requested).total_seconds() if row and row.acknowledged_at else float("nan")
                latency = (heard - requested).total_seconds()
                handed = (entry.started_at - requested).total_seconds() if entry is not None and entry.started_at else float("nan")
                results[mode].append((latency, picked, handed))
                aired = ", ".join(f"{i.get('kind')}:{i.get('title')}" for i in (entry.items if entry else []))
                print(f"{mode} lần {trial}: lệnh → mẫu đầu tiên {latency * 1000:.0f} ms "
                      f"(nhận lệnh {picked * 1000:.0f} ms, trình phát nhận mẫu đầu {handed * 1000:.0f} ms); "
                      f"mục: {entry.status if entry else '?'} {entry.seconds_played if entry else 0:.1f} s [{aired}]")
                time.sleep(0.5)
    finally:
        station.terminate()
        station.wait(30)
        tap.stop()
        subprocess.run(["pactl", "unload-module", module], capture_output=True, check=False)
    print()
    for mode, rows in results.items():
        if rows:
            print(summary(f"{mode}: command → first audible sample", [r[0] * 1000 for r in rows]))
            print(summary(f"{mode}:   of which command → picked up", [r[1] * 1000 for r in rows]))
            print(summary(f"{mode}:   command → first sample handed to the player", [r[2] * 1000 for r in rows]))
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
