"""The MQTT link (paho-mqtt 2.x), used the same way by the commune hub and by each box.

Both sides connect out to the broker (a box behind carrier NAT can only connect out), subscribe
again on every (re)connection, and reconnect by themselves with a capped back-off, so a broker
restart or a dead 4G link heals without anyone touching the box. Messages arrive on paho's
network thread and are handed to ``on_message``, which must return quickly (the daemons queue).
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from broadcaster.errors import ConfigError
from broadcaster.receiver.topics import QOS

logger = logging.getLogger(__name__)

KEEPALIVE_S = 30
RECONNECT_MAX_S = 8


def parse_url(url: str) -> tuple[str, int, bool]:
    """``mqtt://host:port`` or ``mqtts://host:port`` → (host, port, tls)."""
    parsed = urlparse(url or "")
    if parsed.scheme not in ("mqtt", "mqtts") or not parsed.hostname:
        raise ConfigError(f"Địa chỉ máy chủ MQTT không hợp lệ: {url!r} (ví dụ mqtt://127.0.0.1:1883)")
    tls = parsed.scheme == "mqtts"
    return parsed.hostname, parsed.port or (8883 if tls else 1883), tls


class MqttLink:
    def __init__(self, url: str, username: str, password: str, client_id: str,
                 subscriptions: list[str], on_message: Callable[[str, bytes], None],
                 *, clean_session: bool = False) -> None:
        self.host, self.port, tls = parse_url(url)
        self.subscriptions = list(subscriptions)
        self._on_message = on_message
        self.connected = threading.Event()
        self.connections = 0  # successful (re)connections so far
        self.refused = ""
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                  clean_session=clean_session, protocol=mqtt.MQTTv311)
        self.client.username_pw_set(username, password)
        if tls:
            self.client.tls_set()
        self.client.reconnect_delay_set(min_delay=1, max_delay=RECONNECT_MAX_S)
        self.client.on_connect = self._connected
        self.client.on_disconnect = self._disconnected
        self.client.on_message = self._message

    def start(self) -> None:
        self.client.connect_async(self.host, self.port, keepalive=KEEPALIVE_S)
        self.client.loop_start()

    def stop(self) -> None:
        try:
            self.client.disconnect()
        finally:
            self.client.loop_stop()

    def publish(self, topic: str, payload: dict[str, Any], qos: int = QOS) -> bool:
        """Queue a message; False when not connected (the caller keeps its own retry)."""
        if not self.connected.is_set():
            return False
        info = self.client.publish(topic, json.dumps(payload, ensure_ascii=False), qos=qos, retain=False)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def _connected(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any,
                   _properties: Any) -> None:
        if reason.is_failure:
            self.refused = str(reason)
            logger.warning("máy chủ MQTT %s:%d từ chối kết nối: %s", self.host, self.port, reason)
            return
        self.refused = ""
        self.connections += 1
        for topic in self.subscriptions:
            client.subscribe(topic, qos=QOS)
        self.connected.set()
        logger.info("đã kết nối máy chủ MQTT %s:%d", self.host, self.port)

    def _disconnected(self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any,
                      _properties: Any) -> None:
        if self.connected.is_set():
            logger.warning("mất kết nối máy chủ MQTT (%s); sẽ tự kết nối lại", reason)
        self.connected.clear()

    def _message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            self._on_message(message.topic, bytes(message.payload))
        except Exception:
            logger.exception("xử lý tin MQTT %s lỗi", message.topic)
