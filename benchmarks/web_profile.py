"""Profile the panel's list pages in process: CPU per page and where it goes.

Run: ``.venv/bin/python benchmarks/web_profile.py [--requests 50] [--profile PAGE]``.

The same data as ``web_bench.py`` (10,000 bulletins, 100,000 evidence entries). A logged-in
office user's pages are asked of the panel's WSGI application itself, with the request a server
would hand it (built once per page, with the session cookie): what is measured is the panel's
work for a page — routing, session, login check, queries, rendering — not a test client's. Each
request's thread CPU time is measured (``time.thread_time``). Figures: per page, the median of
``--requests`` requests in a row; then the same pages in rotation (what a server sees), whose
median is the "CPU per panel page". With ``--profile`` the given page is run under cProfile and
the top functions are printed.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from web_bench import PAGES, PASSWORD, fill  # noqa: E402

from broadcaster.context import init_home, open_context  # noqa: E402


def _wsgi_call(app: Any, path: str, cookie: str) -> Callable[[], int]:
    """A GET of ``path`` as a server hands it to the app; returns the body's size (200 only)."""
    from werkzeug.test import EnvironBuilder

    route, _, query = path.partition("?")
    environ = EnvironBuilder(path=route, query_string=query, headers={"Cookie": cookie}).get_environ()

    def call() -> int:
        request = dict(environ, **{"wsgi.input": io.BytesIO(b"")})
        status: list[str] = []
        body = app(request, lambda code, headers, exc_info=None: status.append(code))
        try:
            size = sum(len(chunk) for chunk in body)
        finally:
            getattr(body, "close", lambda: None)()
        assert status and status[0].startswith("200"), (path, status)
        return size

    return call


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
        loading, _ = init_home(Path(folder) / "home")
        fill(loading, args.bulletins, args.entries)
        loading.dispose()
        del loading
        gc.collect()  # the load's rows are garbage: the panel starts as a server would, afresh
        ctx = open_context(Path(folder) / "home")
        app = create_app(context=ctx)
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        answer = client.post("/login", data={"csrf_token": token, "name": args.user,
                                             "password": PASSWORD})
        assert answer.status_code == 302, answer.status_code
        cookie = answer.headers["Set-Cookie"].split(";", 1)[0]
        calls = {path: _wsgi_call(app, path, cookie) for path in PAGES}
        for call in calls.values():  # warm caches (templates, rows, SQLite pages)
            for _ in range(3):
                call()
        print(f"{'trang':<58} {'CPU p50 ms':>10} {'min ms':>8} {'byte':>8}")
        for path, call in calls.items():
            costs = []
            for _ in range(args.requests):
                began = time.thread_time()
                size = call()
                costs.append(time.thread_time() - began)
            print(f"{path:<58} {statistics.median(costs) * 1000:10.2f} {min(costs) * 1000:8.2f} {size:8}")
        rotation: list[float] = []
        for _ in range(args.requests):
            for call in calls.values():
                began = time.thread_time()
                call()
                rotation.append(time.thread_time() - began)
        print(f"{'mọi trang, lần lượt (CPU mỗi trang)':<58} {statistics.median(rotation) * 1000:10.2f} "
              f"{'trung bình':>8} {statistics.mean(rotation) * 1000:.2f}")
        print(f"tải máy (1 phút) {os.getloadavg()[0]:.2f}")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.requests):
                calls.get(args.profile, _wsgi_call(app, args.profile, cookie))()
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
        ctx.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
