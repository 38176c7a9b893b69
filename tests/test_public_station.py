"""The public site's MP3s are made by the station when a bulletin is approved, not by a listener.

A running station (``python -m broadcaster station``, espeak-ng) sees the approval of a
commune-wide bulletin (published by default) and has its background render worker make the MP3,
so the first resident who opens the page gets it at once and the web process never renders.
"""
from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from station_helpers import StationProcess, approved_bulletin, wait_for

pytest_plugins = ["station_fixtures"]

pytestmark = [pytest.mark.sound, pytest.mark.slow]


def test_the_station_makes_the_mp3_of_a_bulletin_approved_for_the_public_site(
        ctx: Any, station: Callable[..., StationProcess]) -> None:
    st = station()
    bulletin_id = approved_bulletin(ctx, "Bà con đến nhà văn hóa học dùng điện thoại thông minh.",
                                    "Bình dân học vụ số")
    folder = ctx.settings.home / "public" / "mp3"
    # made on the station's first pass a minute after the approval (prerender.PUBLIC_AFTER_S)
    mp3s = wait_for(lambda: sorted(p for p in folder.glob("*.mp3") if not p.name.startswith(".")), 180,
                    "the public MP3 made by the station (a finished file, not one being written)")
    assert len(mp3s) == 1, mp3s
    probe = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(mp3s[0])],
        check=True, capture_output=True, text=True).stdout)
    assert probe["streams"][0]["codec_name"] == "mp3", probe["streams"][0]
    assert probe["format"]["tags"]["title"] == "Bình dân học vụ số", probe["format"]["tags"]
    assert float(probe["format"]["duration"]) > 2.0, probe["format"]
    assert f"đã tạo MP3 công khai của bản tin số {bulletin_id}" in st.output(), st.output()[-3000:]
    assert st.terminate() == 0, st.output()
