"""Benchmark: the panel's list pages under load — 10,000 bulletins, 100,000 evidence entries.

Run: ``.venv/bin/python benchmarks/web_bench.py [--bulletins 10000] [--entries 100000]
[--clients 20] [--requests 40] [--threads 8] [--processes 0]``.

The panel is served by waitress on loopback exactly as ``broadcaster web`` serves it (same
factory, same number of processes and worker threads by default). Each client is a thread with its own
``http.client`` connection and its own logged-in session (the real login form, CSRF and all);
every client makes a bounded number of requests, cycling through the list pages. Figures are
printed per page: p50, p95 and max latency, and the throughput. The target from the issue is
p95 ≤ 50 ms with 20 concurrent clients.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import logging
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from broadcaster.context import Context, init_home  # noqa: E402
from broadcaster.models import Bulletin, EvidenceEntry, Zone  # noqa: E402
from broadcaster.users import add_user  # noqa: E402

PASSWORD = "banchmark-123"
PAGES = [
    "/bulletins",
    "/bulletins?page=5",
    "/bulletins?status=approved",
    "/logs",
    "/logs?page=20",
    "/logs?status=missed",
    "/logs?category=Y%20t%E1%BA%BF&from=2025-01-01&to=2025-12-31",
]


# Run with ``--gc-trace``: the server, with a note of every full garbage collection (its process,
# its pause) in the file $LOAXA_GC_TRACE; with ``--unfrozen`` as it ran before
# ``web.server.freeze_long_lived_objects`` (to measure what freezing gives).
GC_TRACE_SERVER = """
import gc, os, sys, time
trace = open(os.environ["LOAXA_GC_TRACE"], "a", buffering=1)
began = [0.0]
def note(phase, info):
    if phase == "start":
        began[0] = time.perf_counter()
    elif info["generation"] == 2:
        trace.write(f"{os.getpid()} {(time.perf_counter() - began[0]) * 1000:.2f}\\n")
gc.callbacks.append(note)
if os.environ.get("LOAXA_GC_UNFROZEN"):
    import web.server
    web.server.freeze_long_lived_objects = lambda: 0
sys.argv = ["broadcaster"] + sys.argv[1:]
from broadcaster.cli import main
sys.exit(main())
"""


def fill(ctx: Context, bulletins: int, entries: int) -> None:
    """Bulk-load realistic content (one executemany per table, so loading does not dominate)."""
    from evidence_bench import make_rows  # the evidence benchmark's realistic, valid chain

    rng = random.Random(3)
    now = dt.datetime.now(dt.timezone.utc)
    statuses = ["draft", "submitted", "approved", "approved", "rejected", "archived"]
    rows = [
        {
            "title": f"Thông báo số {n}: lịch tiêm chủng và vệ sinh môi trường",
            "body": "Kính thưa bà con nhân dân trong xã. " * rng.randint(3, 30),
            "category": rng.choice(["Thông báo", "Y tế", "Nông nghiệp", "An ninh trật tự"]),
            "priority": rng.choice(["normal"] * 8 + ["priority", "emergency"]),
            "language": "vi",
            "status": rng.choice(statuses),
            "reject_reason": "",
            "created_at": now - dt.timedelta(minutes=n),
            "updated_at": now - dt.timedelta(minutes=n),
        }
        for n in range(bulletins)
    ]
    with ctx.engine.begin() as connection:
        connection.execute(Bulletin.__table__.insert(), rows)
        connection.execute(
            EvidenceEntry.__table__.insert(),
            make_rows(entries, dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc), per_day=24),
        )
    with ctx.session() as session:
        session.add(Zone(name="Thôn Đông"))
        session.flush()
        add_user(session, "vanphong", "office", PASSWORD)
        add_user(session, "bientap", "editor", PASSWORD)
    if ctx.engine.dialect.name == "sqlite":
        # Into the database file, as a station's own checkpoints keep it: a bulk load leaves the
        # whole 100 MB in the write-ahead log, which every read would then search first.
        with ctx.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


class Client(threading.Thread):
    """One browser-like user: logs in through the form, then reads list pages."""

    def __init__(self, port: int, name: str, requests: int, start: threading.Barrier,
                 results: dict[str, list[float]], errors: list[str], lock: threading.Lock,
                 think_s: float = 0.0) -> None:
        super().__init__(daemon=True)
        self.think_s = think_s
        self.port, self.name_, self.requests = port, name, requests
        self.start_barrier, self.results, self.errors, self.lock = start, results, errors, lock
        self.cookie = ""
        self.rng = random.Random(name + str(id(self)))
        self.offset = self.rng.randrange(len(PAGES))

    def _request(self, conn: http.client.HTTPConnection, method: str, path: str,
                 body: str | None = None) -> tuple[int, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read().decode("utf-8", errors="replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                self.cookie = value.split(";", 1)[0]
        return response.status, data

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            status, page = self._request(conn, "GET", "/login")
            found = re.search(r'name="csrf_token" value="([^"]+)"', page)
            if found is None:
                raise RuntimeError(f"/login: HTTP {status}, no form: {page[:300]!r}")
            token = found.group(1)
            form = urllib.parse.urlencode({"csrf_token": token, "name": self.name_, "password": PASSWORD})
            status, _ = self._request(conn, "POST", "/login", form)
            if status != 302:
                raise RuntimeError(f"login failed: {status}")
            self.start_barrier.wait()
            if self.think_s:
                time.sleep(self.rng.uniform(0, 2 * self.think_s))  # people do not click in step
            for n in range(self.requests):
                path = PAGES[(n + self.offset) % len(PAGES)]
                began = time.perf_counter()
                status, _ = self._request(conn, "GET", path)
                elapsed = time.perf_counter() - began
                if status != 200:
                    raise RuntimeError(f"{path}: HTTP {status}")
                with self.lock:
                    self.results.setdefault(path, []).append(elapsed)
                if self.think_s:
                    time.sleep(self.rng.uniform(0, 2 * self.think_s))  # a person reading the page
        except Exception as exc:  # noqa: BLE001 - reported in the figures
            with self.lock:
                self.errors.append(f"{self.name}: {exc}")
            try:
                self.start_barrier.abort()
            except threading.BrokenBarrierError:
                pass
        finally:
            conn.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_listening(port: int, server: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"broadcaster web exited: {server.stderr.read().decode()}")  # type: ignore[union-attr]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("broadcaster web did not start listening")


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def worker_pids(pid: int) -> list[int]:
    """The server process and its workers (``--processes N`` forks N children)."""
    found = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the server's processes have used so far (Linux ``/proc``), to tell cost
    from queueing."""
    total = 0
    for pid in pids:
        fields = _stat(pid)
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bulletins", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=100,
                        help="requests per client (100: 2,000 in all, a few seconds; 40 was over in one)")
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    parser.add_argument("--processes", type=int, default=0,
                        help="server processes (web.processes; 0: one per core, the default)")
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="mean pause between a client's requests (0: back to back, the worst case)")
    parser.add_argument("--gc-trace", action="store_true",
                        help="count the server's full garbage collections and their pauses")
    parser.add_argument("--unfrozen", action="store_true",
                        help="with --gc-trace: the server without freezing its long-lived objects")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="loaxa-webbench-") as folder:
        home = Path(folder) / "home"
        ctx, _ = init_home(home)
        began = time.perf_counter()
        fill(ctx, args.bulletins, args.entries)
        ctx.dispose()
        print(f"nạp dữ liệu: {args.bulletins:,} bản tin, {args.entries:,} mục nhật ký "
              f"trong {time.perf_counter() - began:.1f} s")
        port = free_port()
        # The panel runs in its own process, as in production (``broadcaster web``): the clients'
        # threads here do not compete with it for this interpreter's lock.
        env = dict(os.environ, BROADCASTER_HOME=str(home))
        launch = [sys.executable, "-m", "broadcaster"]
        trace = Path(folder) / "gc-trace.txt"
        if args.gc_trace:
            launch = [sys.executable, "-c", GC_TRACE_SERVER]
            env["LOAXA_GC_TRACE"] = str(trace)
            if args.unfrozen:
                env["LOAXA_GC_UNFROZEN"] = "1"
        server = subprocess.Popen(
            [*launch, "web", "--host", "127.0.0.1", "--port", str(port),
             "--threads", str(args.threads), "--processes", str(args.processes)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        try:
            wait_listening(port, server)
            time.sleep(1.0)  # the other workers finish building their apps
            pids = worker_pids(server.pid)
            results: dict[str, list[float]] = {}
            errors: list[str] = []
            lock = threading.Lock()
            barrier = threading.Barrier(args.clients + 1)
            names = ["vanphong" if n % 2 == 0 else "bientap" for n in range(args.clients)]
            clients = [Client(port, names[n], args.requests, barrier, results, errors, lock,
                              args.think_ms / 1000.0) for n in range(args.clients)]
            for client in clients:
                client.start()
            try:
                barrier.wait(timeout=300)
            except threading.BrokenBarrierError:
                pass
            began = time.perf_counter()
            server_cpu, client_cpu = cpu_seconds(pids), own_cpu_seconds()
            trace.write_text("")  # the collections while the clients logged in do not count
            for client in clients:
                client.join(600)
            wall = time.perf_counter() - began
            server_cpu = cpu_seconds(pids) - server_cpu
            client_cpu = own_cpu_seconds() - client_cpu
            pauses = [float(line.split()[1]) for line in trace.read_text().splitlines()
                      ] if args.gc_trace else []
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(5)
    if errors:
        print("LỖI:", *errors[:5], sep="\n  ")
        return 1
    every = [v for values in results.values() for v in values]
    print(f"{args.clients} khách đồng thời, {len(every)} yêu cầu, {len(pids) - 1 or 1} tiến trình "
          f"waitress × {args.threads} luồng, "
          f"nghỉ trung bình {args.think_ms:.0f} ms giữa hai yêu cầu, {len(every) / wall:.0f} yêu cầu/giây")
    print(f"CPU mỗi yêu cầu: máy chủ {server_cpu / len(every) * 1000:.2f} ms "
          f"({server_cpu / wall * 100:.0f}% một lõi), khách đo {client_cpu / len(every) * 1000:.2f} ms; "
          f"tải máy (1 phút) {os.getloadavg()[0]:.2f}")
    if args.gc_trace:
        state = "không đóng băng" if args.unfrozen else "đóng băng trước khi phục vụ"
        print(f"thu gom rác toàn phần ({state}): {len(pauses)} lần trong {wall:.1f} s, dừng lâu nhất "
              f"{max(pauses, default=0):.0f} ms, tổng {sum(pauses):.0f} ms")
    print(f"{'trang':<58} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for path in PAGES:
        values = results.get(path, [])
        if values:
            print(f"{path:<58} {len(values):>4} {statistics.median(values) * 1000:8.1f} "
                  f"{percentile(values, 0.95) * 1000:8.1f} {max(values) * 1000:8.1f}")
    for prefix in ("/bulletins", "/logs"):
        values = [v for path, vs in results.items() if path.startswith(prefix) for v in vs]
        print(f"{prefix + ' (mọi trang)':<58} {len(values):>4} {statistics.median(values) * 1000:8.1f} "
              f"{percentile(values, 0.95) * 1000:8.1f} {max(values) * 1000:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
