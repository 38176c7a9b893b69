"""The README's first command, ``scripts/run``, as a user runs it: everything starts, the panel
answers, and one Ctrl-C (SIGINT to the whole process group, as a terminal sends it) stops it all —
station, its render worker, panel, hub and the private MQTT broker it started — with no traceback."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from receiver_helpers import free_port

ROOT = Path(__file__).resolve().parent.parent


def _processes_using(home: Path) -> list[str]:
    """Command lines of live processes that name ``home`` (the broker's config does)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            line = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(home) in line and state != "Z":
            found.append(line)
    return found


def _healthz(port: int) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return dict(json.load(answer))
    except OSError:
        return None


@pytest.mark.slow
@pytest.mark.sound
def test_scripts_run_starts_everything_and_one_ctrl_c_stops_it_all(
        tmp_path: Path, pulse_server: dict[str, str]) -> None:
    home, port, mqtt_port = tmp_path / "var", free_port(), free_port()
    env = {**os.environ, **pulse_server, "BROADCASTER_HOME": str(home),
           "BROADCASTER_WEB_PORT": str(port),
           "BROADCASTER_RECEIVERS_MQTT_URL": f"mqtt://127.0.0.1:{mqtt_port}"}
    run = subprocess.Popen([str(ROOT / "scripts" / "run")], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        beat = None
        while time.monotonic() < deadline and run.poll() is None:
            beat = _healthz(port)
            if beat and beat.get("station_alive"):
                break
            time.sleep(0.5)
        assert beat and beat.get("station_alive"), (beat, run.poll())
        time.sleep(2)  # the render worker and the hub up too
        assert any("mosquitto" in line for line in _processes_using(home)), "the broker was started"
        os.killpg(run.pid, signal.SIGINT)
        output = run.communicate(timeout=60)[0].decode(errors="replace")
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(10)
    assert run.returncode == 0, output[-3000:]
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output[-3000:]
    assert output.count("Đang dừng đài và bảng điều khiển") == 1, output[-2000:]
    assert "Trạm phát đã dừng." in output and output.rstrip().endswith("Đã dừng."), output[-2000:]
    assert "Not authorized" not in output and "Normal disconnection" not in output, output[-3000:]
    time.sleep(1)
    assert _processes_using(home) == [], "nothing it started may be left running"
    assert _healthz(port) is None, "the panel is down"
