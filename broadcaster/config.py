"""Settings: ``$BROADCASTER_HOME/broadcaster.toml`` overridden by ``BROADCASTER_<SECTION>_<KEY>``.

Every setting has a default here, so the file is optional and the defaults document the settings.
An environment override is coerced to the type of the default (lists are comma-separated), so a
typo in a number fails at start with a clear message instead of deep inside the station.
"""
from __future__ import annotations

import copy
import logging
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Mapping

from broadcaster.errors import ConfigError

logger = logging.getLogger(__name__)

CONFIG_FILE = "broadcaster.toml"
ENV_PREFIX = "BROADCASTER_"

DEFAULTS: dict[str, dict[str, Any]] = {
    "database": {
        # Empty means SQLite in the data folder; any SQLAlchemy URL works.
        "url": "",
    },
    "output": {
        "backend": "pulse",  # pulse | alsa
        "device": "",  # sink (pulse) or ALSA device name; empty = the server's default
        "name": "main",  # the output's name in the evidence and its station lock
    },
    "tts": {
        "engines": ["gtts", "espeak"],
        "voice": "vi",
        "rate": 1.0,
        "gtts_tld": "com.vn",
        "gtts_timeout_s": 10.0,
        "gtts_retries": 2,
        # After gTTS could not be reached (no connection, timeout, DNS): go straight to the
        # next engine for this many seconds, then try gTTS again.
        "gtts_cooldown_s": 300.0,
        "dialect": "north",
    },
    "station": {
        "timezone": "Asia/Ho_Chi_Minh",
        "render_lead_s": 600,
        "grace_s": 300,
        "amp_lead_s": 5,
        "amp_on_command": "",
        "amp_off_command": "",
        "aircheck": True,
        "aircheck_retention_days": 90,
        "heartbeat_s": 5,
        "reconcile_s": 0.5,
        "repeats": 1,
    },
    "audio": {
        "target_lufs": -16.0,
        "true_peak_dbtp": -1.0,
        "gap_s": 1.0,
        "greeting": "Kính thưa bà con nhân dân trong xã.",
        "repeat_phrase": "Xin nhắc lại.",
        "max_upload_mb": 200,
        "max_upload_minutes": 60,
    },
    "web": {
        "host": "127.0.0.1",
        "port": 8080,
        "secret_key": "",
        "session_minutes": 480,
        "https": False,  # served behind HTTPS: Secure cookie and HSTS
        "proxy_hops": 0,  # reverse proxies trusted for X-Forwarded-For/Proto
    },
    "receivers": {
        # The broker the commune hub and the boxes use; boxes are told public_mqtt_url when set
        # (the address they reach over 4G), else this one.
        "mqtt_url": "mqtt://127.0.0.1:1883",
        "public_mqtt_url": "",
        "broker_pid_file": "",  # empty: $BROADCASTER_HOME/mqtt/mosquitto.pid (scripts/mqtt-broker)
        "horizon_hours": 48,  # how far ahead the commune renders and a box keeps its plan
        "lock_minutes": 20,  # a program due this soon is not changed by a late plan (obplayer)
        "status_s": 60,  # a box's heartbeat period
        "offline_after_s": 180,  # no heartbeat for this long: offline
        "code_hours": 72,  # an enrolment code's validity
        "command_ttl_s": 300,  # a command not delivered within this is dropped
        "sync_s": 300,  # a box re-fetches its plan this often even without a notice
        "hub_poll_s": 0.5,  # how often the commune hub looks for new commands and plan changes
        "volume": 100,  # a box's starting volume in percent
    },
    "commune": {
        "name": "Xã Tân Hòa",
        "district": "",
        "province": "Tỉnh Thái Nguyên",
        "issuer": "ỦY BAN NHÂN DÂN XÃ TÂN HÒA",
        "place": "Tân Hòa",
    },
}


def default_home() -> Path:
    """The data folder: ``$BROADCASTER_HOME`` or ``./var`` in a checkout."""
    return Path(os.environ.get("BROADCASTER_HOME") or "var").resolve()


def _coerce(raw: str, default: Any, name: str) -> Any:
    try:
        if isinstance(default, bool):
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on", "có"}:
                return True
            if lowered in {"0", "false", "no", "off", "không", ""}:
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, list):
            return [part.strip() for part in raw.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"Biến môi trường {name} có giá trị không hợp lệ: {raw!r}") from None
    return raw


@dataclass
class Settings:
    """Resolved settings; sections are reachable as attributes (``settings.station.grace_s``)."""

    home: Path
    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __getattr__(self, section: str) -> SimpleNamespace:
        values = self.__dict__.get("values", {})
        if section in values:
            return SimpleNamespace(**values[section])
        raise AttributeError(section)

    @property
    def database_url(self) -> str:
        url = self.values["database"]["url"]
        return url or f"sqlite:///{self.home / 'broadcaster.db'}"

    @property
    def audio_dir(self) -> Path:
        return self.home / "audio"

    @property
    def exports_dir(self) -> Path:
        return self.home / "exports"

    @property
    def key_path(self) -> Path:
        return self.home / "station_key.pem"

    @property
    def public_key_path(self) -> Path:
        return self.home / "station_key.pub.pem"


def load_settings(home: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Merge defaults, the TOML file and environment overrides, in that order."""
    home = (home or default_home()).resolve()
    environ = os.environ if environ is None else environ
    values = copy.deepcopy(DEFAULTS)
    config_path = home / CONFIG_FILE
    if config_path.exists():
        try:
            loaded = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Tệp cấu hình {config_path} bị lỗi: {exc}") from None
        for section, entries in loaded.items():
            if section not in values or not isinstance(entries, dict):
                logger.warning("Bỏ qua mục cấu hình không biết: %s", section)
                continue
            values[section].update(entries)
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "BROADCASTER_HOME":
            continue
        rest = name[len(ENV_PREFIX):].lower()
        section, _, key = rest.partition("_")
        if section in values and key in values[section]:
            values[section][key] = _coerce(raw, DEFAULTS[section][key], name)
    _validate(values)
    return Settings(home=home, values=values)


def _validate(values: dict[str, dict[str, Any]]) -> None:
    if values["output"]["backend"] not in {"pulse", "alsa"}:
        raise ConfigError(
            f"output.backend phải là 'pulse' hoặc 'alsa', không phải {values['output']['backend']!r}"
        )
    unknown = [e for e in values["tts"]["engines"] if e not in {"gtts", "espeak"}]
    if unknown or not values["tts"]["engines"]:
        raise ConfigError(f"tts.engines chỉ nhận 'gtts' và 'espeak' (có: {unknown or 'rỗng'})")
    if not 0.8 <= float(values["tts"]["rate"]) <= 1.2:
        raise ConfigError("tts.rate phải nằm trong khoảng 0,8 đến 1,2")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(values["station"]["timezone"])
    except Exception:  # noqa: BLE001 - any failure means the zone name is unusable
        raise ConfigError(f"Múi giờ không hợp lệ: {values['station']['timezone']!r}") from None


def default_config_text() -> str:
    """The commented TOML written by ``init`` so an operator sees every setting in one place."""
    import tomli_w

    header = (
        "# Cấu hình đài truyền thanh Loa xã. Mỗi mục có thể ghi đè bằng biến môi trường\n"
        "# BROADCASTER_<MỤC>_<KHÓA>, ví dụ BROADCASTER_OUTPUT_BACKEND=pulse.\n\n"
    )
    values = copy.deepcopy(DEFAULTS)
    return header + tomli_w.dumps(values)
