"""What a glossary edit costs now that it notes new readings on approved bulletins.

A fresh data folder gets ``--bulletins`` approved bulletins of about 600 characters, one in ten
using the abbreviation the edit defines; the edit (``glossary.add_entry``) is timed from the call
to the flush of the "reading" events, over ``--trials`` fresh words.

    .venv/bin/python benchmarks/glossary_change.py [--bulletins 2000] [--trials 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from broadcaster import bulletins, glossary  # noqa: E402
from broadcaster.context import init_home  # noqa: E402

SENTENCE = ("Ủy ban nhân dân xã thông báo lịch tiêm chủng mở rộng cho trẻ em dưới 5 tuổi tại trạm "
            "y tế xã vào sáng thứ Hai ngày 14/12/2026, đề nghị bà con đưa con em đến đúng giờ. ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bulletins", type=int, default=2000)
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ctx, _ = init_home(Path(tmp) / "home")
        words = [f"QXZ{chr(65 + i)}" for i in range(args.trials)]
        with ctx.session() as session:
            for i in range(args.bulletins):
                word = words[(i // 10) % len(words)] if i % 10 == 0 else ""
                b = bulletins.add_bulletin(session, title=f"Bản tin {i}",
                                           body=(SENTENCE * 3) + (f"Họp {word} lúc 8 giờ." if word else ""))
                bulletins.transition(session, b, "approve", None)
        timings, changed = [], []
        for word in words:
            with ctx.session() as session:
                started = time.perf_counter()
                glossary.add_entry(session, word, "ban quản lý")
                session.flush()
                timings.append(time.perf_counter() - started)
                from sqlalchemy import func, select

                from broadcaster.models import BulletinEvent

                changed.append(session.scalar(select(func.count()).select_from(BulletinEvent)
                                              .where(BulletinEvent.action == "reading")))
        ctx.dispose()
    load = os.getloadavg()
    print(f"{args.bulletins} approved bulletins, {args.trials} glossary additions")
    print(f"reading events after each: {changed}")
    print(f"glossary edit: median {statistics.median(timings) * 1000:.0f} ms, "
          f"worst {max(timings) * 1000:.0f} ms")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
