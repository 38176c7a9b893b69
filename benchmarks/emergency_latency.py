"""Emergency latency: from the ``emergency`` command to the first audible sample on the sink.

The station runs as ``python -m broadcaster station`` (espeak-ng only, as offline) in a fresh data
folder on a null sink of its own. For each trial a new emergency bulletin (new text: its speech is
not cached) is written and the command row is added exactly as ``broadcaster emergency`` adds it;
the clock starts when that transaction commits and stops at the first sample above the air-check's
threshold on the sink's monitor. The emergency is then stopped (``stop`` command) before the next.

    eval "$(scripts/pulse-null-sink loaxa)"
    .venv/bin/python benchmarks/emergency_latency.py [--trials 10] [--checkout DIR]

``--checkout DIR`` runs the station from another tree (``git archive REV | tar -x -C DIR``) to
compare with an older revision. benchmarks/README-station.md records a run.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from broadcaster import bulletins, commands  # noqa: E402
from broadcaster.context import init_home, open_context  # noqa: E402
from broadcaster.models import Heartbeat, StationCommand  # noqa: E402
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=10)
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
    latencies: list[float] = []
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
        time.sleep(1.0)
        for trial in range(args.trials):
            number = NUMBERS[trial % len(NUMBERS)]
            with ctx.session() as session:
                bulletin = bulletins.add_bulletin(
                    session, title=f"Khẩn cấp số {number}", priority="emergency",
                    body=f"Cảnh báo số {number}: nước lũ đang lên, bà con di chuyển ngay.")
                bulletins.transition(session, bulletin, "approve", None)
                bulletin_id = bulletin.id
            tap.reset_first_audible()
            with ctx.session() as session:
                command_id = commands.request_emergency(session, bulletin_id).id
            sent = dt.datetime.now(dt.timezone.utc)
            heard = wait_until(tap.first_audible_at, 30)
            if heard is None:
                print(f"lần {trial + 1}: không nghe thấy gì trong 30 giây")
            else:
                latency = (heard - sent).total_seconds()
                latencies.append(latency)
                print(f"lần {trial + 1}: lệnh → mẫu âm thanh đầu tiên {latency * 1000:.0f} ms")
            with ctx.session() as session:
                commands.request_stop(session, reason="đo xong")

            def settled(command_id: int = command_id) -> bool:
                with ctx.session() as session:
                    row = session.get(StationCommand, command_id)
                    return row is not None and row.status in ("done", "failed")
            wait_until(settled, 30)
            time.sleep(0.5)
    finally:
        station.terminate()
        station.wait(30)
        tap.stop()
        subprocess.run(["pactl", "unload-module", module], capture_output=True)
    print()
    if latencies:
        ms = [x * 1000 for x in latencies]
        print(f"command → first audible sample, ms ({len(ms)} trials): min {min(ms):.0f}  "
              f"median {statistics.median(ms):.0f}  max {max(ms):.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
