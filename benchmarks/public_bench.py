"""Benchmark: the public site — reading airings from a large evidence log, page sizes and times.

Run: ``.venv/bin/python benchmarks/public_bench.py [--bulletins 2000] [--entries 100000]
[--rendered 50]``.

Prints: how long the first full read of the evidence takes (``refresh_airings`` in batches, as
the first visitors after an upgrade trigger it), what a request costs when nothing new was logged,
the bytes a phone downloads for the list and a bulletin page, the MP3 size per minute of speech
and the time of a first (cold) MP3, and the feed's time once its MP3s exist.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("BROADCASTER_TTS_ENGINES", "espeak")

from broadcaster.context import Context, init_home  # noqa: E402
from broadcaster.models import Bulletin, EvidenceEntry  # noqa: E402

WORDS = ("bà con", "nhân dân", "thôn", "xã", "tiêm phòng", "chuyển đổi số", "VNeID", "họp",
         "nhà văn hóa", "phòng chống", "bão", "lũ", "an toàn", "giao thông", "thuế đất")


def fill(ctx: Context, bulletins: int, entries: int) -> list[str]:
    rng = random.Random(5)
    now = dt.datetime.now(dt.timezone.utc)
    start = now - dt.timedelta(days=365)
    bodies = [" ".join(rng.choice(WORDS) for _ in range(40)) + f" (số {n})." for n in range(bulletins)]
    with ctx.session() as session:
        session.execute(Bulletin.__table__.insert(), [
            {"title": f"Bản tin số {n}", "body": body, "category": "Thông báo", "priority": "normal",
             "language": "vi", "status": "approved", "reject_reason": "", "public": True,
             "public_key": f"k{n:011d}", "approved_at": start, "created_at": start, "updated_at": start}
            for n, body in enumerate(bodies)
        ])
        rows = []
        for number in range(1, entries + 1):
            at = start + dt.timedelta(seconds=number * 300)
            text = rng.choice(bodies)
            items = [
                {"kind": "jingle", "title": "Nhạc hiệu", "text_sha256": None, "audio_sha256": "a" * 64,
                 "engine": None, "seconds": 4.0},
                {"kind": "speech", "title": "Lời chào", "text_sha256": "b" * 64, "audio_sha256": "c" * 64,
                 "engine": "espeak", "seconds": 2.0, "text": "Kính thưa bà con nhân dân trong xã.",
                 "normalized_text": "kính thưa bà con nhân dân trong xã"},
                {"kind": "speech", "title": "Bản tin", "text_sha256": "d" * 64, "audio_sha256": "e" * 64,
                 "engine": "espeak", "seconds": 30.0, "text": text, "normalized_text": text.lower()},
            ]
            digest = hashlib.sha256(str(number).encode()).hexdigest()
            rows.append({"occurrence_key": f"slot-1@{number}", "slot_id": 1, "title": "Bản tin",
                         "category": "Thông báo", "campaign": "", "scheduled_at": at, "started_at": at,
                         "ended_at": at + dt.timedelta(seconds=36), "status": "completed",
                         "reason": "", "seconds_played": 36.0, "priority": "normal", "zone": "",
                         "output": "main", "host": "bench", "items": items, "recorded_at": at,
                         "prev_hash": digest, "hash": digest[::-1] + str(number)})
            if len(rows) == 5000:
                session.execute(EvidenceEntry.__table__.insert(), rows)
                rows = []
        if rows:
            session.execute(EvidenceEntry.__table__.insert(), rows)
    return bodies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bulletins", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--rendered", type=int, default=50,
                        help="MP3s made before timing the feed (it lists 50; fewer skips the feed)")
    args = parser.parse_args()
    print(f"tải máy: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"(1/5/15 phút), {os.cpu_count()} lõi")
    from broadcaster import publishing
    from web import create_app

    with tempfile.TemporaryDirectory(prefix="loaxa-public-bench-") as tmp:
        home = Path(tmp) / "home"
        os.environ["BROADCASTER_HOME"] = str(home)
        ctx, _ = init_home(home)
        t0 = time.perf_counter()
        fill(ctx, args.bulletins, args.entries)
        print(f"nạp {args.bulletins} bản tin, {args.entries} mục nhật ký: {time.perf_counter() - t0:.1f} s")

        t0 = time.perf_counter()
        batches, found = 0, 0
        while True:
            with ctx.session() as session:
                batch_start = time.perf_counter()
                found += publishing.refresh_airings(session)
                state = session.get(publishing.PublicScan, 1)
                batches += 1
                if batches == 1:
                    print(f"một lượt đọc {publishing.SCAN_BATCH} mục: "
                          f"{(time.perf_counter() - batch_start) * 1000:.0f} ms")
                if state is not None and state.last_evidence_id >= args.entries:
                    break
        print(f"đọc hết nhật ký lần đầu: {time.perf_counter() - t0:.1f} s, {batches} lượt, "
              f"{found} lần phát ghi nhận")

        app = create_app({"TESTING": True}, context=ctx)
        client = app.test_client()

        def timed(url: str, runs: int = 30) -> tuple[float, float, int]:
            client.get(url)
            times, size = [], 0
            for _ in range(runs):
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                size = len(response.data)
                assert response.status_code == 200, (url, response.status_code)
            times.sort()
            return statistics.median(times), times[int(len(times) * 0.95) - 1], size

        for label, url in (("danh sách /public/", "/public/"), ("trang 50", "/public/?trang=50"),
                           ("một bản tin", "/public/ban-tin/k00000000007")):
            p50, p95, size = timed(url)
            print(f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, {size / 1024:.1f} kB HTML")

        from broadcaster.public_media import bulletin_mp3

        with ctx.session() as session:
            rows = publishing.list_published(session, limit=args.rendered)
            start = time.perf_counter()
            first = bulletin_mp3(ctx.settings, session, rows[0].bulletin)
            cold = time.perf_counter() - start
            for row in rows[1:]:
                bulletin_mp3(ctx.settings, session, row.bulletin)
        print(f"MP3 đầu tiên (dựng nguội, espeak): {cold:.1f} s; {first.seconds:.0f} giây âm thanh, "
              f"{first.size_bytes / 1024:.0f} kB = {first.size_bytes / 1024 / (first.seconds / 60):.0f} kB/phút")
        start = time.perf_counter()
        client.get(f"/public/ban-tin/{rows[0].key}/nghe.mp3")
        print(f"tải MP3 đã có: {(time.perf_counter() - start) * 1000:.1f} ms")
        if args.rendered >= 50:  # every item of the feed has its MP3: time the feed itself
            p50, p95, size = timed("/public/feed.xml", runs=10)
            print(f"nguồn tin feed.xml (50 mục): p50 {p50:.1f} ms, p95 {p95:.1f} ms, {size / 1024:.1f} kB")
        ctx.dispose()


if __name__ == "__main__":
    main()
