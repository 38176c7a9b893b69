"""``station`` (the daemon), ``emergency`` and ``stop``: the command line of the loudspeakers.

``emergency`` and ``stop`` never touch the sound card: they write a command row that the running
station executes and acknowledges, exactly as the panel does.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time

from broadcaster import commands
from broadcaster.cli.common import context, print_json
from broadcaster.context import Context
from broadcaster.errors import BroadcasterError

logger = logging.getLogger(__name__)

POLL_S = 0.1


class StationTimeoutError(BroadcasterError):
    pass


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    station = subparsers.add_parser(
        "station", help="chạy trạm phát (phát theo lịch, khẩn cấp, ghi nhật ký) đến khi bị dừng")
    station.set_defaults(handler=cmd_station)

    emergency = subparsers.add_parser("emergency", help="yêu cầu trạm phát phát ngay một bản tin, "
                                                         "ngắt chương trình đang phát")
    emergency.add_argument("bulletin_id", type=int)
    emergency.add_argument("--output", help="đầu ra (mặc định: mọi trạm đang chạy)")
    emergency.add_argument("--wait", type=float, metavar="GIÂY",
                           help="chờ trạm phát xác nhận tối đa bấy nhiêu giây")
    emergency.add_argument("--json", action="store_true")
    emergency.set_defaults(handler=cmd_emergency)

    stop = subparsers.add_parser("stop", help="yêu cầu trạm phát dừng chương trình đang phát")
    stop.add_argument("--reason", default="")
    stop.add_argument("--output")
    stop.add_argument("--wait", type=float, metavar="GIÂY")
    stop.add_argument("--json", action="store_true")
    stop.set_defaults(handler=cmd_stop)


def cmd_station(args: argparse.Namespace) -> int:
    from broadcaster.station import logs
    from broadcaster.station.daemon import Station

    verbose = bool(getattr(args, "verbose", False))
    logs.configure(verbose)  # the same one-line format as the render worker's, on stderr
    ctx = context()
    try:
        station = Station(ctx, verbose=verbose)
        out = ctx.settings.output
        print(f"Trạm phát đầu ra '{out.name}' ({out.backend}: {out.device or 'mặc định'}) "
              f"đang chạy. Dừng bằng Ctrl+C hoặc SIGTERM.", file=sys.stderr, flush=True)
        code = station.run()
        print("Trạm phát đã dừng.", file=sys.stderr)
        return code
    finally:
        ctx.dispose()


def _wait(ctx: object, command_id: int, seconds: float) -> tuple[str, str]:
    """Poll the command until the station acknowledges it; (status, result)."""
    deadline = time.monotonic() + seconds
    while True:
        with ctx.session() as session:  # type: ignore[attr-defined]
            command = commands.get_command(session, command_id)
            status, result = command.status, command.result
        if status != commands.PENDING:
            return status, result
        if time.monotonic() >= deadline:
            raise StationTimeoutError(
                f"Trạm phát chưa xác nhận lệnh số {command_id} sau {seconds:g} giây "
                f"(trạm phát có đang chạy không? chạy: broadcaster station)"
            )
        time.sleep(POLL_S)


def _report(args: argparse.Namespace, command_id: int, what: str) -> int:
    ctx = context()
    status = commands.PENDING
    result = ""
    if args.wait is not None:
        status, result = _wait(ctx, command_id, args.wait)
    if status == commands.PENDING and not _station_alive(ctx, args.output):
        print(f"Cảnh báo: chưa thấy trạm phát nào đang chạy; lệnh số {command_id} chỉ được thực hiện "
              f"nếu trạm phát khởi động trong {ctx.settings.station.grace_s} giây tới "
              "(broadcaster station).", file=sys.stderr)
    if args.json:
        print_json({"id": command_id, "status": status, "result": result})
    else:
        print(f"Đã gửi lệnh số {command_id}: {what}.")
        if args.wait is not None:
            label = commands.STATUS_LABELS.get(status, status)
            print(f"Lệnh số {command_id}: {label}" + (f" — {result}" if result else ""))
    return 1 if status == commands.FAILED else 0


def _station_alive(ctx: Context, output: str | None) -> bool:
    """Whether a station (that output's, or any when None) has a fresh heartbeat."""
    from broadcaster.overview import pulses

    with ctx.session() as session:
        beats = pulses(session, ctx.settings.station.heartbeat_s)
    return any(beat.alive and output in (None, beat.output) for beat in beats)


def cmd_emergency(args: argparse.Namespace) -> int:
    ctx = context()
    with ctx.session() as session:
        command = commands.request_emergency(session, args.bulletin_id, output=args.output)
        command_id = command.id
    return _report(args, command_id, f"phát khẩn cấp bản tin số {args.bulletin_id}")


def cmd_stop(args: argparse.Namespace) -> int:
    ctx = context()
    with ctx.session() as session:
        command = commands.request_stop(session, output=args.output, reason=args.reason)
        command_id = command.id
    return _report(args, command_id, "dừng chương trình đang phát")
