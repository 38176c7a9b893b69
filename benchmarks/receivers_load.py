"""Benchmark: 500 simulated village receivers against one commune — its CPU and the broker's.

Run: ``.venv/bin/python benchmarks/receivers_load.py [--boxes 500] [--minutes 3] [--zones 20]``.

What runs, as in production: a private Mosquitto (``scripts/mqtt-broker``), ``broadcaster web``
(waitress) and ``broadcaster receiver hub``, on a fresh commune data folder with ``--zones``
villages, ``--boxes`` enrolled receivers (real credentials, real ACLs) and two days of rendered
programs (4 a day per zone plus 2 commune-wide). Every simulated box is a paho client with its own
login that

* publishes its heartbeat once a minute (spread over the minute, as boxes started at random times
  would), the same JSON a real box sends;
* fetches its plan over HTTP every ``--sync`` seconds (default 300, the default ``receivers.sync_s``),
  also spread, and at once when the hub announces a plan change (one change is made mid-run:
  every box of a zone re-fetches within a second or two);
* checks its evidence head once per sync (what an upload round starts with).

The figures: CPU seconds used by the web server, the hub and the broker over the run (from
/proc/<pid>/stat), as % of one core, with the machine's load average; plan fetch latency p50/p95;
heartbeats the hub stored. The simulator itself runs on the same 2 cores (its CPU is printed too).
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from broadcaster import mqtt_auth, receivers  # noqa: E402
from broadcaster.context import init_home  # noqa: E402
from broadcaster.models import ReceiverProgram, utcnow  # noqa: E402
from broadcaster.receiver import topics  # noqa: E402
from broadcaster.receiver.client import CommuneClient, LinkError  # noqa: E402
from broadcaster.zones import add_zone  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children (the hub's render worker too)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICK


def children_cpu(pid: int) -> float:
    total = 0.0
    for task in Path("/proc").iterdir():
        if not task.name.isdigit():
            continue
        try:
            stat = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == pid:
            total += cpu_seconds(int(task.name))
    return total


def fill(home: Path, boxes: int, zones: int) -> list[dict[str, object]]:
    ctx, _ = init_home(home)
    credentials: list[dict[str, object]] = []
    now = utcnow()
    with ctx.session() as session:
        zone_rows = [add_zone(session, f"Thôn {i + 1}") for i in range(zones)]
        programs = ctx.settings.audio_dir / "cache" / "renders"
        programs.mkdir(parents=True, exist_ok=True)
        made = 0
        for day in range(2):
            for hour in (6, 11, 17, 20):
                for z in [None, *zone_rows]:
                    if z is None and hour in (11, 20):
                        continue
                    made += 1
                    content = f"program {made}".encode() * 20000
                    sha = hashlib.sha256(content).hexdigest()
                    (programs / f"{sha}.wav").write_bytes(content)
                    session.add(ReceiverProgram(
                        occurrence_key=f"slot-{made}@day{day}",
                        scheduled_at=now + dt.timedelta(days=day, hours=hour),
                        zone_ids=[z.id] if z else [], sha256=sha,
                        relpath=f"cache/renders/{sha}.wav", size_bytes=len(content), seconds=30.0,
                        fields={"title": f"Chương trình {made}", "items": []}, fingerprint="bench"))
        for i in range(boxes):
            name = f"box-{i:04d}"
            added = receivers.add_receiver(session, ctx.settings, name, zone_rows[i % zones].name)
            creds = receivers.enrol(session, ctx.settings, added.code, _pem())
            credentials.append({"name": name, "zone_id": zone_rows[i % zones].id,
                                "token": creds["token"], "password": creds["mqtt"]["password"]})
    with ctx.session() as session:
        mqtt_auth.write_broker_files(session, ctx.settings)
    ctx.dispose()
    return credentials


_KEY_PEM: str | None = None


def _pem() -> str:
    global _KEY_PEM
    if _KEY_PEM is None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        _KEY_PEM = Ed25519PrivateKey.generate().public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return _KEY_PEM


class SimBox:
    """One simulated box: its own MQTT login and HTTP token; driven by its worker's loop."""

    def __init__(self, creds: dict[str, object], port: int, web: str) -> None:
        import paho.mqtt.client as mqtt

        self.name = str(creds["name"])
        self.token = str(creds["token"])
        self.web = web
        self.commune = CommuneClient(web, self.token)  # the box's own HTTP client
        self.refetch = False
        self.connected = False
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"loaxa-box-{self.name}",
                                  clean_session=False)
        self.client.username_pw_set(self.name, str(creds["password"]))
        subs = topics.box_subscriptions(self.name, int(creds["zone_id"]))  # type: ignore[arg-type]

        def on_connect(client: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
            if not reason.is_failure:
                for topic in subs:
                    client.subscribe(topic, qos=1)
                self.connected = True

        def on_message(*_a: Any) -> None:
            self.refetch = True

        self.client.on_connect = on_connect
        self.client.on_message = on_message
        self.client.connect("127.0.0.1", port, keepalive=60)

    def beat(self) -> None:
        payload = {"version": "0.1.0", "clock_offset_ms": round(random.uniform(-20, 20), 1),
                   "playing": None, "volume": 100, "free_disk_mb": 12000.0, "held_24h": 8,
                   "expected_24h": 8, "last_sync": utcnow().isoformat(), "plan_version": "x" * 64,
                   "link": "ok", "evidence_waiting": 0, "sent_at": utcnow().isoformat()}
        self.client.publish(topics.status(self.name), json.dumps(payload), qos=1)

    def sync(self) -> float:
        began = time.monotonic()
        self.commune.plan()
        self.commune.evidence_head()
        return time.monotonic() - began


def worker(creds: list[dict[str, object]], port: int, web: str, start_at: float, duration: float,
           sync_s: float, seed: int, out: Any) -> None:
    """A process driving its share of the boxes from one thread (paho's ``loop(0)`` per client),
    plan fetches on two threads: 500 paho threads in one interpreter starve each other."""
    import resource

    rng = random.Random(seed)
    boxes = []
    for c in creds:
        boxes.append(SimBox(c, port, web))
        for box in boxes:
            box.client.loop(timeout=0)
    latencies: list[float] = []
    errors: list[str] = []
    beats = 0
    pool = ThreadPoolExecutor(2)

    def fetch(box: SimBox) -> None:
        try:
            latencies.append(box.sync())
        except LinkError as exc:
            errors.append(type(exc).__name__ + ": " + str(exc)[:120])

    while time.time() < start_at:
        for box in boxes:
            box.client.loop(timeout=0)
        time.sleep(0.01)
    connected = sum(b.connected for b in boxes)
    beat_at = {b.name: start_at + rng.uniform(0, 60) for b in boxes}
    sync_at = {b.name: start_at + rng.uniform(0, sync_s) for b in boxes}
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    while time.time() < start_at + duration:
        now = time.time()
        for box in boxes:
            box.client.loop(timeout=0)
            if now >= beat_at[box.name]:
                box.beat()
                beats += 1
                beat_at[box.name] += 60
            if now >= sync_at[box.name] or box.refetch:
                box.refetch = False
                pool.submit(fetch, box)
                if now >= sync_at[box.name]:
                    sync_at[box.name] += sync_s
        time.sleep(0.005)
    pool.shutdown(wait=True)
    for box in boxes:
        box.client.loop(timeout=0)
        box.client.disconnect()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (usage.ru_utime + usage.ru_stime) - (usage0.ru_utime + usage0.ru_stime)
    out.put({"connected": connected, "latencies": latencies, "errors": errors, "beats": beats,
             "cpu": cpu})


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--boxes", type=int, default=500)
    parser.add_argument("--zones", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--sync", type=float, default=300.0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="loaxa-rx-bench-"))
    home = tmp / "commune"
    mqtt_port, web_port = free_port(), free_port()
    env = {**os.environ, "BROADCASTER_HOME": str(home), "BROADCASTER_TTS_ENGINES": "espeak",
           "BROADCASTER_RECEIVERS_MQTT_URL": f"mqtt://127.0.0.1:{mqtt_port}",
           "BROADCASTER_RECEIVERS_BROKER_PID_FILE": str(home / "mqtt" / "mosquitto.pid")}
    os.environ.update({k: v for k, v in env.items() if k.startswith("BROADCASTER_")})
    t0 = time.monotonic()
    creds = fill(home, args.boxes, args.zones)
    print(f"{args.boxes} máy thu, {args.zones} thôn: chuẩn bị {time.monotonic() - t0:.1f} s")
    subprocess.run([str(ROOT / "scripts" / "mqtt-broker")], env=env, check=True, capture_output=True)
    broker_pid = int((home / "mqtt" / "mosquitto.pid").read_text().split()[0])
    bc = str(ROOT / ".venv" / "bin" / "broadcaster")
    web = subprocess.Popen([bc, "web", "--port", str(web_port)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    hub = subprocess.Popen([bc, "receiver", "hub"], env=env, stdout=subprocess.DEVNULL,
                           stderr=open(tmp / "hub.log", "w"))
    base = f"http://127.0.0.1:{web_port}"
    for _ in range(100):
        try:
            requests.get(base + "/healthz", timeout=1)
            break
        except requests.RequestException:
            time.sleep(0.2)
    import multiprocessing

    workers = max(1, min(8, args.boxes // 100))
    out: Any = multiprocessing.Queue()
    start_at = time.time() + 30 + args.boxes / 50  # connections first, as after a power cut
    duration = args.minutes * 60
    procs = [multiprocessing.Process(target=worker, args=(creds[w::workers], mqtt_port, base, start_at,
                                                          duration, args.sync, w, out))
             for w in range(workers)]
    for proc in procs:
        proc.start()
    while time.time() < start_at:
        time.sleep(0.05)
    pids = {"web": web.pid, "hub": hub.pid, "broker": broker_pid}
    before = {k: cpu_seconds(p) + (children_cpu(p) if k == "hub" else 0.0) for k, p in pids.items()}
    load_before = os.getloadavg()
    started = time.monotonic()
    measured_from = utcnow()
    time.sleep(duration / 2)
    # A plan change for one zone: the hub announces it, that zone's boxes re-fetch.
    subprocess.run([bc, "receiver", "command", "resync", "--zone", "Thôn 1"], env=env, check=True,
                   capture_output=True)
    results = [out.get(timeout=duration + 600) for _ in procs]
    elapsed = time.monotonic() - started
    after = {k: cpu_seconds(p) + (children_cpu(p) if k == "hub" else 0.0) for k, p in pids.items()}
    load_after = os.getloadavg()
    for proc in procs:
        proc.join(10)
    latencies = [x for r in results for x in r["latencies"]]
    error_list = [e for r in results for e in r["errors"]]
    errors = len(error_list)
    me = sum(r["cpu"] for r in results)
    connected = sum(r["connected"] for r in results)
    beats = sum(r["beats"] for r in results)
    time.sleep(1.5)
    ctx_rows = subprocess.run([bc, "receiver", "list", "--json"], env=env, capture_output=True, text=True,
                              check=True)
    listed = json.loads(ctx_rows.stdout)
    seen = sum(1 for r in listed if r["last_seen"]
               and dt.datetime.fromisoformat(r["last_seen"])
               >= measured_from + dt.timedelta(seconds=max(0.0, duration - 62)))
    web.terminate()
    hub.terminate()
    web.wait(10)
    hub.wait(10)
    os.kill(broker_pid, 15)
    print(f"thời gian đo: {elapsed:.0f} s; tải máy (load average 1 phút) trước {load_before[0]:.2f}, "
          f"sau {load_after[0]:.2f}; {os.cpu_count()} lõi")
    for name in ("web", "hub", "broker"):
        used = after[name] - before[name]
        print(f"CPU {name:<7} {used:6.2f} s = {100 * used / elapsed:5.1f} % của một lõi")
    print(f"CPU bộ giả lập ({workers} tiến trình, cùng máy) {me:.2f} s = {100 * me / elapsed:.1f} % của một lõi")
    if latencies:
        ordered = sorted(latencies)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(f"lấy kế hoạch + đầu chuỗi nhật ký: {len(latencies)} lần, p50 "
              f"{1000 * statistics.median(ordered):.1f} ms, p95 {1000 * p95:.1f} ms, lỗi {errors}")
    for text in sorted(set(error_list))[:5]:
        print(f"  lỗi: {text}")
    print(f"máy thu kết nối MQTT lúc bắt đầu đo: {connected}/{len(creds)}; nhịp báo đã gửi: {beats}")
    print(f"máy thu có nhịp báo trong phút cuối mà xã đã ghi: {seen}/{len(creds)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
