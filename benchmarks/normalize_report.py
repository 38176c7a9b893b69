"""Prints the normaliser's figures: the commune tables, the peers' score, the seed directive read.

Why: acceptance is measured from outside on sentences we do not see; these are the figures we
can see, printed the same way every time (issue 14). Run from the project folder:

    .venv/bin/python benchmarks/normalize_report.py [--show-failures]

1. tests/data/normalize_cases.tsv, notice_cases.tsv and broadcast_cases.tsv: exact words, per table;
2. ../shared/peers/score.py over `broadcaster normalize` (its fold, one call for all cases);
3. benchmarks/data/seed_directive.txt read end to end: what the loudspeaker says, what is left
   out, and how long it takes; then the time for a 20,000-character bulletin.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audio.normalize import MAX_TEXT_CHARS, normalize, read_document  # noqa: E402

TABLES = ("tests/data/normalize_cases.tsv", "tests/data/notice_cases.tsv",
          "tests/data/broadcast_cases.tsv")
PEERS = ROOT.parent / "shared" / "peers"


def _table(path: Path, show: bool) -> tuple[int, int]:
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    passed = 0
    for source, expected in rows:
        got = normalize(source)
        passed += got == expected
        if got != expected and show:
            print(f"  FAIL {source!r}\n       got  {got!r}\n       want {expected!r}")
    return passed, len(rows)


def main() -> int:
    show = "--show-failures" in sys.argv
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cores")
    print("1. commune tables (exact words)")
    for name in TABLES:
        started = time.perf_counter()
        passed, total = _table(ROOT / name, show)
        print(f"   {name}: {passed}/{total} ({100 * passed / total:.1f}%) "
              f"in {time.perf_counter() - started:.2f} s")
    print("2. peers' cases (../shared/peers/score.py)")
    broadcaster = ROOT / ".venv" / "bin" / "broadcaster"
    if (PEERS / "score.py").is_file() and broadcaster.is_file():
        started = time.perf_counter()
        run = subprocess.run([sys.executable, str(PEERS / "score.py"), str(PEERS / "vi_tn_cases.json"),
                              str(broadcaster), "normalize"], capture_output=True, text=True,
                             env={**os.environ, "MIN": "0"}, check=False)
        last = [line for line in run.stdout.splitlines() if line.startswith("peers:")]
        print(f"   {last[-1] if last else run.stdout[-300:]} in {time.perf_counter() - started:.1f} s")
    else:
        print("   (../shared/peers or .venv/bin/broadcaster missing: skipped)")
    print("3. the seed directive, read end to end")
    text = (ROOT / "benchmarks" / "data" / "seed_directive.txt").read_text(encoding="utf-8")
    started = time.perf_counter()
    reading = read_document(text)
    took = time.perf_counter() - started
    for line in reading.text.split("\n"):
        if line:
            print(f"   | {line}")
    for omitted in reading.omitted:
        print(f"   not read on air: {omitted}")
    print(f"   {len(text)} characters in {took * 1000:.1f} ms")
    big = (text.replace("\n", " ") * (MAX_TEXT_CHARS // len(text) + 1))[:MAX_TEXT_CHARS]
    times = []
    for _ in range(5):
        started = time.perf_counter()
        normalize(big)
        times.append(time.perf_counter() - started)
    print(f"   a {MAX_TEXT_CHARS}-character bulletin: best {min(times):.3f} s, worst {max(times):.3f} s "
          f"(5 runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
