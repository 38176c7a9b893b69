"""What the MQTT link says of the broker, against a real Mosquitto: in Vietnamese, and a stop of
our own is not reported as a lost link."""
from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from broadcaster.receiver.link import MqttLink, reason_text

pytest_plugins = ["receiver_fixtures"]


def test_a_refused_login_is_said_in_vietnamese(broker: Any, caplog: pytest.LogCaptureFixture) -> None:
    link = MqttLink(broker.url, "may-thu-la", "sai-mat-khau", "may-thu-la", [], lambda *_: None)
    with caplog.at_level(logging.INFO, logger="broadcaster.receiver.link"):
        link.start()
        try:
            deadline = time.monotonic() + 10
            while not link.refused and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            link.stop()
    assert link.refused.startswith("không được phép"), link.refused
    assert "từ chối kết nối: không được phép" in caplog.text, caplog.text
    assert "Not authorized" not in caplog.text and "Normal disconnection" not in caplog.text


def test_reason_codes_read_in_vietnamese_and_an_unknown_one_by_its_number() -> None:
    assert reason_text(ReasonCode(PacketTypes.CONNACK, identifier=134)) == \
        "sai tên đăng nhập hoặc mật khẩu"
    assert reason_text(ReasonCode(PacketTypes.DISCONNECT, identifier=128)).startswith("lỗi không rõ")
    assert reason_text(250) == "mã lỗi MQTT 250"
    assert reason_text(None) == "lỗi không rõ"


def test_our_own_stop_is_not_logged_as_a_lost_link(caplog: pytest.LogCaptureFixture) -> None:
    link = MqttLink("mqtt://127.0.0.1:9", "u", "p", "c", [], lambda *_: None)
    link.connected.set()  # as after a successful connection
    normal = ReasonCode(PacketTypes.DISCONNECT, identifier=0)
    with caplog.at_level(logging.INFO, logger="broadcaster.receiver.link"):
        link._stopping = True
        link._disconnected(link.client, None, None, normal, None)
        assert "mất kết nối" not in caplog.text and "đã ngắt kết nối" in caplog.text
        link.connected.set()
        link._stopping = False
        link._disconnected(link.client, None, None,
                           ReasonCode(PacketTypes.DISCONNECT, identifier=128), None)
    assert "mất kết nối máy chủ MQTT (lỗi không rõ (mạng hoặc máy chủ)); sẽ tự kết nối lại" in caplog.text
