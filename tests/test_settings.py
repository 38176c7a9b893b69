"""Settings: typed, frozen, checked when loaded, and every one of them in the README's table."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from broadcaster.config import SECTIONS, all_settings, default_config_text, load_settings
from broadcaster.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def _readme_settings() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("| setting | default | meaning |"):]
    table = table[:table.index("\n\n")]
    listed: set[str] = set()
    for line in table.splitlines()[2:]:
        first = line.split("|")[1]
        listed |= set(re.findall(r"`([a-z_]+\.[a-z_]+)`", first))
    return listed


def test_the_readme_table_lists_every_setting() -> None:
    names = {s.name for s in all_settings()}
    listed = _readme_settings()
    assert not names - listed, f"settings missing from the README's table: {sorted(names - listed)}"
    assert not listed - names, f"the README lists settings that do not exist: {sorted(listed - names)}"


def test_settings_are_frozen_and_typed(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={"BROADCASTER_STATION_GRACE_S": "120",
                                                "BROADCASTER_STATION_AIRCHECK": "không",
                                                "BROADCASTER_AUDIO_GAP_S": "1,5",
                                                "BROADCASTER_TTS_ENGINES": "espeak, gtts"})
    assert settings.station.grace_s == 120 and type(settings.station.grace_s) is int
    assert settings.station.aircheck is False
    assert settings.audio.gap_s == 1.5 and type(settings.audio.target_lufs) is float
    assert settings.tts.engines == ("espeak", "gtts")
    assert type(settings.station.heartbeat_s) is float
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.station.grace_s = 1  # type: ignore[misc]
    for section, cls in SECTIONS.items():
        assert dataclasses.is_dataclass(getattr(settings, section)), section
        assert cls.__dataclass_params__.frozen, section  # type: ignore[attr-defined]


@pytest.mark.parametrize("toml,key", [
    ("[station]\ngrace_s = \"năm phút\"\n", "station.grace_s"),
    ("[station]\ngrace_s = 2.5\n", "station.grace_s"),
    ("[station]\naircheck = \"có\"\n", "station.aircheck"),
    ("[web]\nport = 70000\n", "web.port"),
    ("[tts]\nengines = [\"piper\"]\n", "tts.engines"),
    ("[tts]\ndialect = \"central\"\n", "tts.dialect"),
    ("[station]\ntimezone = \"Sao/Hỏa\"\n", "station.timezone"),
    ("[station]\ngrace = 10\n", "station.grace"),
    ("[tram]\nx = 1\n", "[tram]"),
])
def test_a_bad_file_value_names_the_key_and_the_file(tmp_path: Path, toml: str, key: str) -> None:
    (tmp_path / "broadcaster.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, environ={})
    message = str(caught.value)
    assert key in message and "broadcaster.toml" in message, message


@pytest.mark.parametrize("name,value", [("BROADCASTER_WEB_PORT", "tám nghìn"),
                                        ("BROADCASTER_STATION_REPEATS", "9"),
                                        ("BROADCASTER_WEB_HTTPS", "maybe"),
                                        ("BROADCASTER_AUDIO_TARGET_LUFS", "nan")])
def test_a_bad_environment_value_names_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, environ={name: value})
    assert name in str(caught.value) and "Cài đặt" in str(caught.value), str(caught.value)


def test_the_file_init_writes_loads_back_to_the_defaults(tmp_path: Path) -> None:
    text = default_config_text()
    for info in all_settings():
        assert f"\n{info.key} = " in text and info.doc in text, info.name
    (tmp_path / "broadcaster.toml").write_text(text, encoding="utf-8")
    assert load_settings(tmp_path, environ={}) == load_settings(tmp_path / "none", environ={}).__class__(
        home=tmp_path.resolve())


def test_a_retired_key_from_an_old_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "broadcaster.toml").write_text('[commune]\ndistrict = ""\nname = "Xã Đông Hòa"\n',
                                               encoding="utf-8")
    assert load_settings(tmp_path, environ={}).commune.name == "Xã Đông Hòa"
