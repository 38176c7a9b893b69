"""Benchmark: verify 100,000 evidence entries; export them as CSV and XLSX; the PDF of a month.

Run: ``.venv/bin/python benchmarks/evidence_bench.py [--entries 100000] [--month-entries 3000]``.
The chain is precomputed in Python and bulk-inserted (one executemany) so that filling the log
does not dominate; the timings printed are those of the code paths an operator runs.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Text, bindparam

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from broadcaster import evidence  # noqa: E402
from broadcaster.checkpoints import make_checkpoint  # noqa: E402
from broadcaster.context import Context, init_home  # noqa: E402
from broadcaster.keys import load_private_key, load_public_key  # noqa: E402
from broadcaster.models import EvidenceEntry  # noqa: E402

CATEGORIES = ["Thông báo", "Y tế", "Nông nghiệp", "An ninh trật tự", "Phòng chống thiên tai", "Văn hóa"]
CAMPAIGNS = ["", "", "Tiêm chủng mở rộng", "Phòng chống sốt xuất huyết", "Chuyển đổi số"]
ZONES = ["Thôn Đông", "Thôn Tây", "Thôn Nam", "Thôn Bắc", "Khu phố Chợ"]
REASONS = {
    "missed": "Trạm phát khởi động lại sau thời gian cho phép",
    "failed": "Không mở được thiết bị âm thanh: sink không tồn tại",
    "interrupted": "Bị ngắt bởi bản tin khẩn cấp",
}


def make_rows(count: int, start: dt.datetime, per_day: int, seed: int = 7) -> list[dict[str, Any]]:
    """A realistic chain of ``count`` entries, ``per_day`` broadcasts a day from ``start``."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    prev = evidence.GENESIS
    step = dt.timedelta(seconds=86400 // per_day)
    for number in range(1, count + 1):
        scheduled = start + (number - 1) * step
        status = rng.choices(["completed", "interrupted", "failed", "missed"], [90, 4, 3, 3])[0]
        seconds = 0.0 if status in {"failed", "missed"} else round(rng.uniform(60, 600), 3)
        category = rng.choice(CATEGORIES)
        text_sha = f"{rng.getrandbits(256):064x}"
        values: dict[str, Any] = {
            "id": number,
            "occurrence_key": f"slot-{number % 40 + 1}@{number}",
            "slot_id": number % 40 + 1,
            "title": f"Bản tin {category.lower()} số {number}",
            "category": category,
            "campaign": rng.choice(CAMPAIGNS),
            "scheduled_at": scheduled,
            "started_at": None if status == "missed" else scheduled + dt.timedelta(seconds=0.2),
            "ended_at": None if status == "missed" else scheduled + dt.timedelta(seconds=seconds + 0.2),
            "status": status,
            "reason": REASONS.get(status, ""),
            "seconds_played": seconds,
            "priority": "normal",
            "zone": rng.choice(ZONES),
            "output": "main",
            "host": "tram-phat-xa",
            "items": [
                {"kind": "bulletin", "title": f"Bản tin số {number}", "text_sha256": text_sha,
                 "audio_sha256": text_sha[::-1], "engine": "espeak", "seconds": seconds},
            ],
            "aircheck_sha256": None,
            "aircheck_path": None,
            "corrects_id": None,
            "recorded_at": scheduled + dt.timedelta(seconds=seconds + 1),
        }
        values["prev_hash"] = prev
        values["hash"] = prev = evidence.link_hash(prev, evidence.content_digest(values))
        rows.append(values)
    return rows


def fill(ctx: Context, rows: list[dict[str, Any]], legacy: bool = False) -> None:
    """Insert the rows as ``append_entry`` stores them: the items as their canonical JSON text.

    ``legacy`` stores the items as the JSON column would by itself (``json.dumps``' form), like
    entries written before the canonical text was stored; they verify through the slower path.
    """
    table = EvidenceEntry.__table__
    insert = table.insert()
    if not legacy:
        insert = insert.values(items=bindparam("items_text", type_=Text()))
        rows = [dict(row, items_text=evidence.items_text(row["items"])) for row in rows]
    with ctx.engine.begin() as connection:
        connection.execute(insert, rows)


def timed(label: str, func: Any, figures: dict[str, float]) -> Any:
    """Run ``func``; print wall-clock time and this process's CPU time.

    On a shared machine the wall clock includes waiting for a core; the CPU time is what the code
    itself costs, so the two together tell a slow run from a slow machine.
    """
    began, cpu = time.perf_counter(), time.process_time()
    value = func()
    figures[label] = time.perf_counter() - began
    print(f"{label}: {figures[label]:.2f} s (cpu {time.process_time() - cpu:.2f} s)", flush=True)
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--month-entries", type=int, default=3000, help="entries in the PDF's month")
    parser.add_argument("--legacy-items", action="store_true",
                        help="store items as json.dumps does (entries written before canonical storage)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from broadcaster.reports import Filters, export_file

    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ctx, _ = init_home(Path(tmp) / "home")
        per_day = max(1, args.month_entries // 30)
        start = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc) - dt.timedelta(days=args.entries // per_day)
        rows = timed("precompute chain", lambda: make_rows(args.entries, start, per_day), figures)
        timed("bulk insert", lambda: fill(ctx, rows, legacy=args.legacy_items), figures)
        with ctx.session() as session:
            make_checkpoint(session, load_private_key(ctx.settings.key_path))
        public_key = load_public_key(ctx.settings.public_key_path)
        for attempt in range(3):  # best of three: the figure least disturbed by other processes
            with ctx.session() as session:
                result = timed(f"verify {args.entries} entries (run {attempt + 1})",
                               lambda: evidence.verify_chain(session, public_key), figures)
            assert result.ok, result.message
        from broadcaster.evidence_audit import verify_log

        for attempt in range(3):  # what ``log verify`` runs: also the checkpoint days and witnesses
            with ctx.session() as session:
                result = timed(f"log verify of {args.entries} entries (run {attempt + 1})",
                               lambda: verify_log(session, public_key, tz=ctx.settings.station.timezone),
                               figures)
            assert result.ok, result.message
        out = Path(tmp)
        for fmt in ("csv", "xlsx"):
            with ctx.session() as session:
                timed(f"export {fmt} of {args.entries}",
                      lambda fmt=fmt: export_file(session, ctx.settings, fmt, Filters(), out / f"all.{fmt}"), figures)
            print(f"  {fmt}: {(out / f'all.{fmt}').stat().st_size / 1e6:.1f} MB")
        with ctx.session() as session:
            from broadcaster.reports import verify_export_file

            timed(f"verify csv export of {args.entries}",
                  lambda: verify_export_file(out / "all.csv", public_key), figures)
        month = Filters(date_from=dt.date(2026, 10, 1), date_to=dt.date(2026, 10, 31))
        with ctx.session() as session:
            timed(f"export pdf of a month ({args.month_entries} entries)",
                  lambda: export_file(session, ctx.settings, "pdf", month, out / "month.pdf"), figures)
        print(f"  pdf: {(out / 'month.pdf').stat().st_size / 1e6:.1f} MB")
        ctx.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
