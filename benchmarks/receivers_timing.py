"""Benchmark: two village receivers on one machine — how together they start, how fast a command lands.

Run: ``eval "$(scripts/pulse-null-sink loaxa)"; .venv/bin/python benchmarks/receivers_timing.py
[--occurrences 10] [--emergencies 10] [--fresh 10]``.

Everything is real and separate, as deployed: a private Mosquitto, ``broadcaster web``,
``broadcaster receiver hub`` and two ``broadcaster receiver run`` boxes (own data folders, own
keys), each on a null sink of its own whose monitor is recorded with the air-check's tap.

* **Start-time difference**: ``--occurrences`` commune-wide one-off slots 15 s apart; both boxes
  air each from their own store; the figure is |first audible sample at box A − at box B| on the
  one machine's clock (both monitors are timed by the same tap code).
* **Command to first sample**: ``--emergencies`` times, ``broadcaster receiver command emergency``
  is run; the figure is from that command to the first audible sample at each box, split into the
  commune's part (the hub picks it up and renders the urgent program, cached after the first) and
  MQTT-publish → first sample at the box (delivery, download by SHA-256, preemption, start).
  Each emergency is stopped by a ``stop`` command once heard, so the next starts from quiet.
  That bulletin was approved at the start: the hub rendered it then and the boxes hold it.
* **Never rendered**: ``--fresh`` times, a new emergency bulletin is approved and its receiver
  command written in one transaction, so nothing rendered it before; the figure is from that row
  to the first audible sample at each box (the box opens with the urgent signal it holds and the
  bulletin follows once the hub rendered it). Each box's entry is printed: what aired.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from broadcaster import bulletins, receivers, schedule  # noqa: E402
from broadcaster.context import init_home  # noqa: E402
from broadcaster.models import ReceiverCommand  # noqa: E402
from broadcaster.station.aircheck import MonitorTap  # noqa: E402
from broadcaster.zones import add_zone  # noqa: E402

TZ = "Asia/Ho_Chi_Minh"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def wait(predicate, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.005)
    raise SystemExit(f"hết {timeout} giây mà chưa thấy: {what}")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--occurrences", type=int, default=10)
    parser.add_argument("--emergencies", type=int, default=10)
    parser.add_argument("--fresh", type=int, default=10)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="loaxa-rx-timing-"))
    home = tmp / "commune"
    mqtt_port, web_port = free_port(), free_port()
    env = {**os.environ, "BROADCASTER_HOME": str(home), "BROADCASTER_TTS_ENGINES": "espeak",
           "BROADCASTER_RECEIVERS_MQTT_URL": f"mqtt://127.0.0.1:{mqtt_port}",
           "BROADCASTER_RECEIVERS_BROKER_PID_FILE": str(home / "mqtt" / "mosquitto.pid"),
           "BROADCASTER_RECEIVERS_HUB_POLL_S": "0.1"}
    os.environ.update({k: v for k, v in env.items() if k.startswith("BROADCASTER_")})
    ctx, _ = init_home(home)
    with ctx.session() as session:
        add_zone(session, "Thôn A")
        add_zone(session, "Thôn B")
        b = bulletins.add_bulletin(session, title="Thử loa", body="Thử loa truyền thanh.")
        bulletins.transition(session, b, "approve", None)
        storm = bulletins.add_bulletin(session, title="Khẩn cấp", body="Khẩn cấp.", priority="emergency")
        bulletins.transition(session, storm, "approve", None)
        bulletin_id, storm_id = b.id, storm.id
    subprocess.run([str(ROOT / "scripts" / "mqtt-broker")], env=env, check=True, capture_output=True)
    broker_pid = int((home / "mqtt" / "mosquitto.pid").read_text().split()[0])
    py = [sys.executable, "-m", "broadcaster"]
    logs = []
    procs: list[subprocess.Popen[bytes]] = []

    def spawn(argv: list[str], e: dict[str, str], name: str) -> None:
        log = open(tmp / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        logs.append(log)
        procs.append(subprocess.Popen([*py, *argv], cwd=ROOT, env=e, stdout=subprocess.DEVNULL,
                                      stderr=log, start_new_session=True))

    pulse = {k: os.environ[k] for k in ("PULSE_SERVER", "XDG_RUNTIME_DIR") if k in os.environ}
    modules = []
    taps: dict[str, MonitorTap] = {}
    try:
        spawn(["web", "--port", str(web_port)], env, "web")
        url = f"http://127.0.0.1:{web_port}"
        wait(lambda: _answers(url), 30, "web")
        spawn(["receiver", "hub"], env, "hub")
        start = now() + dt.timedelta(seconds=120)
        instants = [start + dt.timedelta(seconds=15 * i) for i in range(args.occurrences)]
        with ctx.session() as session:
            for at in instants:
                local = (at + dt.timedelta(seconds=2)).astimezone(dt.timezone(dt.timedelta(hours=7)))
                slot = schedule.add_slot(session, items=[schedule.ItemSpec("bulletin", bulletin_id)],
                                         default_tz=TZ, at_local=local.strftime("%Y-%m-%d %H:%M:%S"),
                                         greeting=False, allow_conflict=True)
                slot.at_utc = at
        for name, zone in (("box-a", "Thôn A"), ("box-b", "Thôn B")):
            sink = f"rxt_{name[-1]}"
            out = subprocess.run(["pactl", "load-module", "module-null-sink", f"sink_name={sink}",
                                  "norewinds=1", "rate=44100", "channels=2"], capture_output=True,
                                 text=True, check=True)
            modules.append(out.stdout.strip())
            added = subprocess.run([*py, "receiver", "add", name, "--zone", zone, "--json"], cwd=ROOT,
                                   env=env, capture_output=True, text=True, check=True)
            code = json.loads(added.stdout)["code"]
            box_env = {**os.environ, **pulse, "BROADCASTER_HOME": str(tmp / name),
                       "BROADCASTER_OUTPUT_BACKEND": "pulse", "BROADCASTER_OUTPUT_DEVICE": sink,
                       "BROADCASTER_TTS_ENGINES": "espeak"}
            for key in ("BROADCASTER_RECEIVERS_MQTT_URL", "BROADCASTER_RECEIVERS_BROKER_PID_FILE"):
                box_env.pop(key, None)
            subprocess.run([*py, "receiver", "enrol", url, code], cwd=ROOT, env=box_env, check=True,
                           capture_output=True)
            spawn(["receiver", "run"], box_env, name)
            tap = MonitorTap(f"{sink}.monitor")
            tap.start()
            tap.wait_started(3)
            taps[name] = tap
        load = os.getloadavg()
        diffs: list[float] = []
        for at in instants:
            for tap in taps.values():
                tap.reset_first_audible()
            wait(lambda at=at: now() > at + dt.timedelta(seconds=6), 300, "an occurrence")
            heard = [t.first_audible_at() for t in taps.values()]
            if None in heard:
                print(f"{at.isoformat()}: một máy thu không phát (xem {tmp})")
                continue
            diffs.append(abs((heard[0] - heard[1]).total_seconds()) * 1000)  # type: ignore[operator]
            wait(lambda at=at: now() > at + dt.timedelta(seconds=13), 60, "the end of the occurrence")
        total: list[float] = []
        box_part: list[float] = []
        cli: list[float] = []
        for _ in range(args.emergencies):
            for tap in taps.values():
                tap.reset_first_audible()
            asked = now()
            out = subprocess.run([*py, "receiver", "command", "emergency", "--bulletin", str(storm_id),
                                  "--json"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
            command_id = json.loads(out.stdout)["id"]
            heard = [wait(t.first_audible_at, 60, "the emergency") for t in taps.values()]
            with ctx.session() as session:
                row = session.get(ReceiverCommand, command_id)
                assert row is not None and row.published_at is not None
                created, published = row.created_at, row.published_at
            for h in heard:
                total.append((h - created).total_seconds())
                box_part.append((h - published).total_seconds())
                cli.append((h - asked).total_seconds())
            subprocess.run([*py, "receiver", "command", "stop"], cwd=ROOT, env=env, check=True,
                           capture_output=True)
            time.sleep(3)
        fresh: list[float] = []
        for trial in range(args.fresh):
            for tap in taps.values():
                tap.reset_first_audible()
            with ctx.session() as session:
                new = bulletins.add_bulletin(
                    session, title=f"Cảnh báo lũ lần {trial + 1}", priority="emergency",
                    body=f"Cảnh báo lần {trial + 1}: nước sông đang lên nhanh, bà con vùng trũng "
                         "di chuyển ngay lên chỗ cao.")
                bulletins.transition(session, new, "approve", None)
                row = receivers.request_command(session, ctx.settings, "emergency",
                                                payload={"bulletin_id": new.id})
                command_id, created = row.id, row.created_at
            heard = [wait(t.first_audible_at, 60, "the never-rendered emergency") for t in taps.values()]
            for h in heard:
                fresh.append((h - created).total_seconds())
            time.sleep(8)  # the signal, then the bulletin behind it
            subprocess.run([*py, "receiver", "command", "stop"], cwd=ROOT, env=env, check=True,
                           capture_output=True)
            time.sleep(3)
            for name, h in zip(taps, heard, strict=True):
                print(f"chưa dựng lần {trial + 1} {name}: {(h - created).total_seconds():.2f} s; "
                      f"mục: {_box_entry(tmp / name, f'emergency-r{command_id}')}")
        load_after = os.getloadavg()
        print(f"máy: {os.cpu_count()} lõi; load average 1 phút {load[0]:.2f} lúc bắt đầu, "
              f"{load_after[0]:.2f} lúc kết thúc")
        if diffs:
            print(f"lệch giờ bắt đầu giữa hai máy thu ({len(diffs)} lượt): trung vị "
                  f"{statistics.median(diffs):.1f} ms, p95 {pct(diffs, 0.95):.1f} ms, tối đa {max(diffs):.1f} ms")
        if total:
            print(f"lệnh khẩn cấp (dòng lệnh được ghi) → mẫu âm thanh đầu tiên ({len(total)} lần nghe): trung vị "
                  f"{statistics.median(total):.2f} s, p95 {pct(total, 0.95):.2f} s, tối đa {max(total):.2f} s")
            print(f"  trong đó từ lúc trạm điều phối gửi lệnh (MQTT) → mẫu đầu tiên: trung vị "
                  f"{statistics.median(box_part):.2f} s, p95 {pct(box_part, 0.95):.2f} s, "
                  f"tối đa {max(box_part):.2f} s")
            print(f"  tính cả thời gian khởi động tiến trình `broadcaster receiver command` (Python): "
                  f"trung vị {statistics.median(cli):.2f} s, p95 {pct(cli, 0.95):.2f} s")
        if fresh:
            print(f"lệnh khẩn cấp cho bản tin chưa dựng (dòng lệnh được ghi) → mẫu âm thanh đầu tiên "
                  f"({len(fresh)} lần nghe): trung vị {statistics.median(fresh):.2f} s, p95 "
                  f"{pct(fresh, 0.95):.2f} s, tối đa {max(fresh):.2f} s")
    finally:
        for tap in taps.values():
            tap.stop()
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        for log in logs:
            log.close()
        os.kill(broker_pid, signal.SIGTERM)
        for module in modules:
            subprocess.run(["pactl", "unload-module", module], capture_output=True, check=False)
    return 0


def _box_entry(box_home: Path, key: str) -> str:
    """What a box's own evidence says aired for an emergency: status, seconds, items."""
    import sqlite3

    with sqlite3.connect(box_home / "broadcaster.db") as db:
        row = db.execute("SELECT status, seconds_played, items, reason FROM evidence "
                         "WHERE occurrence_key = ?", (key,)).fetchone()
    if row is None:
        return "chưa có"
    items = ", ".join(str(i.get("title")) for i in json.loads(row[2] or "[]"))
    return f"{row[0]} {row[1]:.1f} s [{items}] {row[3] or ''}"


def _answers(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


if __name__ == "__main__":
    raise SystemExit(main())
