"""Benchmark: a campaign's coverage and the commune's report to the province, on a big log.

Run: ``.venv/bin/python benchmarks/directive_bench.py [--entries 100000] [--month-entries 3000] [--zones 30]``.
The log holds ``--entries`` entries (the evidence benchmark's generator: 10 % missed, failed or
interrupted), every one tagged with the campaign, spread over ``--zones`` villages; the month
reported holds ``--month-entries`` of them, and every village filed a report for it. Timed: the
weekly coverage of the month (``campaign coverage``), the DOCX and the PDF of ``report compile``,
and the XLSX export of the month (its coverage sheet uses the same query).
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from evidence_bench import fill, make_rows, timed  # noqa: E402

from broadcaster import campaigns, village_reports, zones  # noqa: E402
from broadcaster.checkpoints import make_checkpoint  # noqa: E402
from broadcaster.context import init_home  # noqa: E402
from broadcaster.keys import load_private_key  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--month-entries", type=int, default=3000)
    parser.add_argument("--zones", type=int, default=30)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from broadcaster.reports import Filters, export_bytes
    from broadcaster.reports.coverage import campaign_coverage
    from broadcaster.reports.directive_report import compile_bytes

    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} on {os.cpu_count()} cores")
    figures: dict[str, float] = {}
    names = [f"Thôn {n:02d}" for n in range(1, args.zones + 1)]
    month_first, month_last = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
    with tempfile.TemporaryDirectory() as tmp:
        ctx, _ = init_home(Path(tmp) / "home")
        per_day = max(1, args.month_entries // 31)
        end = dt.datetime(2026, 11, 1, tzinfo=dt.timezone(dt.timedelta(hours=7)))
        start = end - dt.timedelta(days=args.entries / per_day)
        rows = make_rows(args.entries, start.astimezone(dt.timezone.utc), per_day)
        import random

        rng = random.Random(3)
        from broadcaster import evidence

        prev = evidence.GENESIS
        for row in rows:  # the campaign and villages of this benchmark, chained again
            row["campaign"] = "Nghị quyết 57"
            row["zone"] = "" if rng.random() < 0.3 else rng.choice(names)
            row["prev_hash"] = prev
            row["hash"] = prev = evidence.link_hash(prev, evidence.content_digest(row))
        timed("bulk insert", lambda: fill(ctx, rows), figures)
        with ctx.session() as session:
            for name in names:
                zones.add_zone(session, name)
            campaign = campaigns.add_campaign(
                session, name="Nghị quyết 57", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31),
                themes=["Quan điểm, mục tiêu", "Bình dân học vụ số"], target_per_week=20,
                doc_number="160/KH-SVHTTDL", doc_date=dt.date(2025, 8, 18), doc_issuer="Sở VHTTDL tỉnh",
                peak_starts_on=dt.date(2026, 10, 8), peak_ends_on=dt.date(2026, 10, 12), peak_target_per_day=3)
            period = village_reports.get_period(session, "2026-10", 5)
            for zone in zones.list_zones(session):
                village_reports.save(session, zone, period, {
                    "meetings": [{"kind": "hop_thon", "date": "2026-10-12", "participants": 80}],
                    "banners": 2, "zalo_posts": 3, "leaflets": 100,
                    "difficulties": "Thiếu loa ở cuối thôn.", "proposals": "Bổ sung cụm loa."}, None, submit=True)
            make_checkpoint(session, load_private_key(ctx.settings.key_path))
            campaign_id = campaign.id
        tz = str(ctx.settings.station.timezone)
        now = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.timezone.utc)
        with ctx.session() as session:
            coverage = timed(f"coverage of the month ({args.zones} villages)", lambda: campaign_coverage(
                session, Filters(month_first, month_last), tz, today=now.date(), campaign_id=campaign_id), figures)
            print(f"  {len(coverage[0].cells)} week × village cells, {coverage[0].cells_met} met")
        for fmt in ("docx", "pdf"):
            with ctx.session() as session:
                data = timed(f"report compile {fmt} of the month", lambda fmt=fmt: compile_bytes(
                    session, ctx.settings, campaign_id, fmt, month_first, month_last, now=now), figures)
            print(f"  {len(data) / 1024:.0f} kB")
        with ctx.session() as session:
            data = timed("log export xlsx of the month", lambda: export_bytes(
                session, ctx.settings, "xlsx", Filters(month_first, month_last)), figures)
        print(f"  {len(data) / 1024:.0f} kB")
    print(f"load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
