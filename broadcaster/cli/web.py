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
    web.set_defaults(handler=cmd_web)


def cmd_web(args: argparse.Namespace) -> int:
    # Imported here so that the station daemon's process never loads Flask.
    from web import create_app
    from web.server import make_server

    ctx = context()
    host = args.host or ctx.settings.web.host
    port = args.port or ctx.settings.web.port
    app = create_app(context=ctx)
    server = make_server(app, ctx.settings, host=host, port=port, threads=args.threads)
    print(f"Bảng điều khiển Loa xã đang chạy tại http://{host}:{port}", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0
