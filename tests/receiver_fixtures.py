"""Fixtures for the receiver tests: a real Mosquitto broker of the test's own.

The broker is started by ``scripts/mqtt-broker`` exactly as an operator would, on a free port
(never 1883: other stations on this machine may use it), with its files in the test's data folder.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from receiver_helpers import Broker, free_port


@pytest.fixture
def broker(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Broker]:
    server = Broker(home, free_port())
    for key, value in server.start().items():
        monkeypatch.setenv(key, value)
    yield server
    server.stop()
