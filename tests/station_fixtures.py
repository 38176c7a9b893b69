"""Fixtures for the tests that run a real station daemon on a null sink of their module's own.

Use from a test module with ``pytest_plugins = ["station_fixtures"]``: ``station(...)`` starts
``python -m broadcaster station`` (settings as keyword arguments, BROADCASTER_STATION_<NAME>,
or whole variables in ``env_extra``) and kills whatever it started at the end of the test;
``tap`` records the sink's monitor as the air-check does, to prove what the loudspeakers aired.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from station_helpers import StationProcess, monitor_tap

from broadcaster.station.aircheck import MonitorTap


@pytest.fixture
def station(home: Path, pulse_server: dict[str, str], sink: str) -> Iterator[Callable[..., StationProcess]]:
    started: list[StationProcess] = []

    def start(env_extra: dict[str, str] | None = None, **settings: str) -> StationProcess:
        env = dict(os.environ)
        env.update(pulse_server)
        env.update({
            "BROADCASTER_HOME": str(home), "BROADCASTER_TTS_ENGINES": "espeak",
            "BROADCASTER_OUTPUT_BACKEND": "pulse", "BROADCASTER_OUTPUT_DEVICE": sink,
            "BROADCASTER_STATION_RENDER_LEAD_S": "10", "BROADCASTER_AUDIO_GAP_S": "0.3", "BROADCASTER_STATION_RECONCILE_S": "0.2",
            "BROADCASTER_STATION_HEARTBEAT_S": "1", "BROADCASTER_STATION_GRACE_S": "60",
        })
        env.update({f"BROADCASTER_STATION_{k.upper()}": v for k, v in settings.items()})
        env.update(env_extra or {})
        process = StationProcess(home, env).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill_all()


@pytest.fixture
def tap(sink: str) -> Iterator[MonitorTap]:
    listener = monitor_tap(sink)
    yield listener
    listener.stop()
