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

#: The broker's reason codes (MQTT 5 numbering, which paho gives for 3.1.1 too) in the words the
#: logs use: paho says them in English ("Not authorized", "Normal disconnection").
REASONS = {
    0: "ngắt kết nối bình thường",
    128: "lỗi không rõ (mạng hoặc máy chủ)",
    129: "gói tin hỏng",
    130: "lỗi giao thức",
    131: "lỗi riêng của máy chủ",
    132: "máy chủ không nhận phiên bản giao thức này",
    133: "mã máy khách không hợp lệ",
    134: "sai tên đăng nhập hoặc mật khẩu",
    135: "không được phép (sai mật khẩu, tài khoản bị khóa hoặc thiếu quyền)",
    136: "máy chủ không sẵn sàng",
    137: "máy chủ đang bận",
    138: "bị cấm kết nối",
    141: "quá thời gian giữ kết nối",
    142: "một kết nối khác cùng mã máy khách đã thay phiên này",
    149: "gói tin quá lớn",
    151: "vượt hạn mức",
    156: "máy chủ bảo dùng máy chủ khác",
    157: "máy chủ đã chuyển đi nơi khác",
    159: "kết nối lại quá dày",
}


def reason_text(reason: Any) -> str:
    """A paho reason code (or a plain number) as the Vietnamese the logs and the panel show."""
    try:
        value = int(getattr(reason, "value", reason))
    except (TypeError, ValueError):
        return "lỗi không rõ"
    return REASONS.get(value, f"mã lỗi MQTT {value}")


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
        self._stopping = False
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
        self._stopping = True  # the disconnection that follows is ours, not a lost link
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
            self.refused = reason_text(reason)
            logger.warning("máy chủ MQTT %s:%d từ chối kết nối: %s", self.host, self.port,
                           self.refused)
            return
        self.refused = ""
        self.connections += 1
        for topic in self.subscriptions:
            client.subscribe(topic, qos=QOS)
        self.connected.set()
        logger.info("đã kết nối máy chủ MQTT %s:%d", self.host, self.port)

    def _disconnected(self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any,
                      _properties: Any) -> None:
        if self._stopping:
            logger.info("đã ngắt kết nối máy chủ MQTT %s:%d", self.host, self.port)
        elif self.connected.is_set():
            logger.warning("mất kết nối máy chủ MQTT (%s); sẽ tự kết nối lại", reason_text(reason))
        self.connected.clear()

    def _message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            self._on_message(message.topic, bytes(message.payload))
        except Exception:
            logger.exception("xử lý tin MQTT %s lỗi", message.topic)
