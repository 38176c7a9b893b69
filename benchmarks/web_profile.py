"""Profile the panel's list pages in process: CPU per page and where it goes.

Run: ``.venv/bin/python benchmarks/web_profile.py [--requests 50] [--profile PAGE]``.

The same data as ``web_bench.py`` (10,000 bulletins, 100,000 evidence entries); the pages are
requested through Flask's test client as a logged-in office user, and each request's thread CPU
time is measured (``time.thread_time``), which the shared machine's load barely moves. With
``--profile`` the given page is run under cProfile and the top functions are printed.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from web_bench import PAGES, PASSWORD, fill  # noqa: E402

from broadcaster.context import init_home  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bulletins", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50, help="requests per page")
    parser.add_argument("--profile", help="a page path to profile (e.g. /bulletins)")
    parser.add_argument("--user", default="vanphong")
    args = parser.parse_args()
    from web import create_app

    with tempfile.TemporaryDirectory(prefix="loaxa-webprof-") as folder:
        ctx, _ = init_home(Path(folder) / "home")
        fill(ctx, args.bulletins, args.entries)
        app = create_app(context=ctx)
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        answer = client.post("/login", data={"csrf_token": token, "name": args.user,
                                             "password": PASSWORD})
        assert answer.status_code == 302, answer.status_code
        for path in PAGES:  # warm caches (templates, chain status, SQLite pages)
            for _ in range(3):
                assert client.get(path).status_code == 200, path
        print(f"{'trang':<58} {'CPU p50 ms':>10} {'min ms':>8} {'byte':>8}")
        every: list[float] = []
        for path in PAGES:
            costs = []
            for _ in range(args.requests):
                began = time.thread_time()
                response = client.get(path)
                costs.append(time.thread_time() - began)
            every.extend(costs)
            print(f"{path:<58} {statistics.median(costs) * 1000:10.2f} {min(costs) * 1000:8.2f} "
                  f"{len(response.data):8}")
        print(f"{'mọi trang':<58} {statistics.median(every) * 1000:10.2f}")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.requests):
                client.get(args.profile)
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
        ctx.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
