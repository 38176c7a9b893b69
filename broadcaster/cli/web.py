"""``web``: serve the panel with waitress, a production WSGI server (no Flask dev server)."""
from __future__ import annotations

import argparse
import logging

from broadcaster.cli.common import context

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    web = subparsers.add_parser("web", help="chạy bảng điều khiển web")
    web.add_argument("--host")
    web.add_argument("--port", type=int)
    web.add_argument("--threads", type=int, default=8)
    web.add_argument("--processes", type=int,
                     help="số tiến trình phục vụ (mặc định web.processes; 0: mỗi lõi một tiến trình)")
    web.set_defaults(handler=cmd_web)


def cmd_web(args: argparse.Namespace) -> int:
    # Imported here so that the station daemon's process never loads Flask.
    from web import compile_templates, create_app, ensure_secret_key
    from web.server import port_taken, serve, worker_count

    ctx = context()  # opens (and migrates) the database once, before any worker exists
    settings = ctx.settings
    host = args.host or settings.web.host
    port = args.port or settings.web.port
    processes = worker_count(args.processes if args.processes is not None else settings.web.processes)
    if processes < 1 or processes > 16:
        print("Lỗi: số tiến trình phải từ 1 đến 16", flush=True)
        return 2
    if port_taken(host, port):
        print(f"Lỗi: cổng {port} trên {host} đang được dùng (bảng điều khiển đã chạy, hoặc một "
              "chương trình khác); dừng nó hoặc chọn cổng khác (--port, web.port)", flush=True)
        return 2
    # Every worker must sign cookies with the same key: made here, not raced by the workers.
    ensure_secret_key(settings)
    # Built and its templates compiled once, here: each worker forked below starts with them.
    app = create_app(context=ctx)
    compile_templates(app)
    if processes > 1:
        ctx.dispose()  # no connection may cross the fork; each worker opens its own

    def build_app() -> object:
        return app

    def ready() -> None:
        extra = f" ({processes} tiến trình)" if processes > 1 else ""
        print(f"Bảng điều khiển Loa xã đang chạy tại http://{host}:{port}{extra}", flush=True)

    serve(build_app, settings, host=host, port=port, threads=args.threads, processes=processes,
          ready=ready)
    return 0
