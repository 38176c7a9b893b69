"""Helpers for the receiver tests (no fixtures): a test broker and an MQTT listener."""
from __future__ import annotations

import base64
import datetime as dt
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

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from broadcaster import evidence, receivers
from broadcaster.models import utcnow

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1/receiver"


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

        def on_disconnect(_c: Any, _u: Any, _f: Any, _reason: Any, _p: Any) -> None:
            if self.connected.is_set():
                self.dropped_at = time.monotonic()
            self.connected.clear()

        self.dropped_at: float | None = None
        self.client.on_connect = on_connect
        self.client.on_message = on_message
        self.client.on_disconnect = on_disconnect
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


# ------------------------------------------------------------------ a box's enrolment and chain


def new_key() -> tuple[Ed25519PrivateKey, str]:
    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return key, pem


def enrol_box(app: Any, cli: Any, name: str, zone: str) -> dict[str, Any]:
    added = cli("receiver", "add", name, "--zone", zone, "--json")
    assert added.exit_code == 0, added.output
    code = json.loads(added.stdout)["code"]
    key, pem = new_key()
    answer = app.test_client().post(f"{API}/enrol", json={"code": code, "public_key": pem})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json() | {"private_key": key, "code": code}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class BoxChain:
    """A box's own chain, built with the same functions the box uses."""

    def __init__(self, box_ctx: Any, key: Ed25519PrivateKey) -> None:
        self.ctx = box_ctx
        self.key = key

    def add(self, n: int, status: str = "completed", *, reason: str = "", zone: str = "Thôn Đông",
            campaign: str = "", title: str = "Bản tin thôn", slot_id: int | None = None,
            base: dt.datetime | None = None, aircheck_sha256: str | None = None,
            aircheck_path: str | None = None) -> None:
        """``n`` entries as the box's playout writes them, a minute apart from ``base`` (now)."""
        base = base or utcnow()
        with self.ctx.session() as session:
            for i in range(n):
                when = base + dt.timedelta(minutes=i)
                count, _ = evidence.head(session)
                played = 12.5 if status == "completed" else 0.0
                evidence.append_entry(session, occurrence_key=f"slot-9@{count + 1}", status=status,
                                      scheduled_at=when, started_at=when, ended_at=when, reason=reason,
                                      seconds_played=played, title=title, zone=zone, campaign=campaign,
                                      output="thon-dong-1 (pulse:loa)", host="box", slot_id=slot_id,
                                      items=[{"kind": "speech", "title": "Tin", "seconds": played}],
                                      aircheck_sha256=aircheck_sha256, aircheck_path=aircheck_path)

    def upload(self, client: Any, token: str) -> dict[str, Any]:
        """Send every entry after the head the commune holds, as the box's uploader does."""
        head = client.get(f"{API}/evidence/head", headers=auth(token)).get_json()
        entries, checkpoint = self.batch(int(head["count"]))
        answer = client.post(f"{API}/evidence", json={"entries": entries, "checkpoint": checkpoint},
                             headers=auth(token))
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return dict(answer.get_json())

    def batch(self, after: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        from broadcaster.models import EvidenceEntry

        with self.ctx.session() as session:
            rows = session.query(EvidenceEntry).filter(EvidenceEntry.id > after).order_by(EvidenceEntry.id).all()
            entries = [receivers.wire_entry(evidence.entry_values(r), r.prev_hash, r.hash) for r in rows]
        last = entries[-1]
        created = utcnow()
        sig = self.key.sign(evidence.checkpoint_text(last["id"], last["hash"], created).encode())
        return entries, {"count": last["id"], "head_hash": last["hash"],
                         "created_at": evidence.utc_text(created),
                         "signature": base64.b64encode(sig).decode()}
