"""Helpers for the receiver tests (no fixtures): a test broker and an MQTT listener."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Broker:
    def __init__(self, home: Path, port: int) -> None:
        self.home = home
        self.port = port
        self.url = f"mqtt://127.0.0.1:{port}"
        self.pid_file = home / "mqtt" / "mosquitto.pid"

    def start(self) -> dict[str, str]:
        env = {**os.environ, "BROADCASTER_HOME": str(self.home),
               "BROADCASTER_RECEIVERS_MQTT_URL": self.url}
        proc = subprocess.run([str(ROOT / "scripts" / "mqtt-broker")], capture_output=True,
                              text=True, env=env, timeout=30, check=False)
        assert proc.returncode == 0, proc.stderr
        exports: dict[str, str] = {}
        for line in proc.stdout.splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            exports[key] = value.strip("'")
        assert exports["BROADCASTER_RECEIVERS_MQTT_URL"] == self.url, proc.stdout
        return exports

    @property
    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        pid = self.pid
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)


class Listener:
    """A paho client that keeps every message it receives (for ACL checks)."""

    def __init__(self, port: int, username: str, password: str, topics: list[str]) -> None:
        import paho.mqtt.client as mqtt

        self.messages: list[tuple[str, Any]] = []
        self.connected = threading.Event()
        self.refused: list[str] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-{username}-{time.time_ns()}")
        self.client.username_pw_set(username, password)

        def on_connect(client: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
            if reason.is_failure:
                self.refused.append(str(reason))
                return
            for topic in topics:
                client.subscribe(topic, qos=1)
            self.connected.set()

        def on_message(_c: Any, _u: Any, message: Any) -> None:
            self.messages.append((message.topic, json.loads(message.payload or b"null")))

        self.client.on_connect = on_connect
        self.client.on_message = on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def wait(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return True
            time.sleep(0.05)
        return predicate()

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        self.client.publish(topic, json.dumps(payload), qos=1).wait_for_publish(3)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
