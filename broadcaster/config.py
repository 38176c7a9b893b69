"""Settings: ``$BROADCASTER_HOME/broadcaster.toml`` overridden by ``BROADCASTER_<SECTION>_<KEY>``.

Each section is a frozen dataclass and each setting one line in it: its type, its default and
what it means (the README's table and the commented ``broadcaster.toml`` that ``init`` writes
both come from these lines). Values are checked against the type (and any ``choices`` or range)
when loaded, with a Vietnamese message naming the key and where the bad value came from, so the
places that use a setting never cast it: ``settings.station.grace_s`` is an ``int``.

Adding a setting is adding one line to its section below, e.g.
``token_days: int = setting(30, "how long an API token lasts", minimum=1)``.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, get_type_hints
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from broadcaster.errors import ConfigError

logger = logging.getLogger(__name__)

CONFIG_FILE = "broadcaster.toml"
ENV_PREFIX = "BROADCASTER_"
#: Keys older versions wrote into broadcaster.toml that mean nothing now: ignored with a warning
#: (communes have had no district since July 2025).
RETIRED = frozenset({"commune.district"})


def setting(default: Any, doc: str, *, choices: tuple[Any, ...] | None = None,
            minimum: float | None = None, maximum: float | None = None,
            check: Callable[[Any], str | None] | None = None) -> Any:
    """One setting: its default, what it means, and what values it accepts beyond its type.

    ``check`` returns a Vietnamese reason when a value is refused (None when it is fine).
    """
    return field(default=default, metadata={"doc": doc, "choices": choices, "minimum": minimum,
                                            "maximum": maximum, "check": check})


def _timezone_problem(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except Exception:  # noqa: BLE001 - any failure means the zone name is unusable
        return "không phải tên múi giờ (ví dụ Asia/Ho_Chi_Minh)"
    return None


def _engines_problem(value: tuple[str, ...]) -> str | None:
    unknown = [e for e in value if e not in {"gtts", "espeak"}]
    if unknown or not value:
        return f"chỉ nhận 'gtts' và 'espeak' (có: {', '.join(unknown) or 'rỗng'})"
    return None


def _base_url_problem(value: str) -> str | None:
    """A typo here would print a useless QR code on a hundred posters: refused at start."""
    raw = value.strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        return "phải là địa chỉ http:// hoặc https:// đầy đủ, ví dụ https://tanhoa.gov.vn/loaxa"
    return None


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = setting("", "any SQLAlchemy URL; empty: SQLite `broadcaster.db` in the data folder")


@dataclass(frozen=True)
class OutputSettings:
    backend: str = setting("pulse", "`pulse` (paplay to a sink) or `alsa` (aplay on a device)",
                           choices=("pulse", "alsa"))
    device: str = setting("", "sink name or ALSA device; empty: the server's default")
    name: str = setting("main", "this output's name in the schedule, the evidence and the station lock")


@dataclass(frozen=True)
class TtsSettings:
    engines: tuple[str, ...] = setting(("gtts", "espeak"), "engines tried in order; the one that produced "
                                       "each file is recorded", check=_engines_problem)
    voice: str = setting("vi", "espeak-ng voice: `vi`, `vi-vn-x-central`, `vi-vn-x-south`")
    rate: float = setting(1.0, "speaking rate", minimum=0.8, maximum=1.2)
    gtts_tld: str = setting("com.vn", "Google Translate domain gTTS asks (translate.google.<tld>)")
    gtts_timeout_s: float = setting(10.0, "gTTS request timeout", minimum=0.1)
    gtts_retries: int = setting(2, "gTTS attempts after the first failure", minimum=0)
    gtts_cooldown_s: float = setting(300.0, "after gTTS was unreachable, skip it this long", minimum=0)
    gtts_budget_s: float = setting(20.0, "the longest a render waits for gTTS in all; a render due soon "
                                   "gives gTTS only what is left before espeak_reserve_s", minimum=0)
    espeak_reserve_s: float = setting(5.0, "time kept before air time for espeak-ng and the levelling",
                                      minimum=0)
    prerender_hours: int = setting(48, "programs airing within this many hours are rendered ahead, "
                                   "with gTTS while it answers", minimum=0)
    dialect: str = setting("north", "how numbers are read: `north` or `south`", choices=("north", "south"))


@dataclass(frozen=True)
class StationSettings:
    timezone: str = setting("Asia/Ho_Chi_Minh", "zone of daily slots; instants are stored in UTC",
                            check=_timezone_problem)
    render_lead_s: int = setting(600, "render each occurrence this long before it airs", minimum=0)
    grace_s: int = setting(300, "after a restart, still play what is at most this late", minimum=0)
    amp_lead_s: int = setting(5, "switch the amplifier on this long before a broadcast", minimum=0)
    amp_on_command: str = setting("", "amplifier / relay on: a command line, run without a shell")
    amp_off_command: str = setting("", "amplifier / relay off: a command line, run without a shell")
    aircheck: bool = setting(True, "record the sink's monitor while playing (the air-check)")
    aircheck_retention_days: int = setting(90, "keep air-check recordings this many days", minimum=1)
    heartbeat_s: float = setting(5.0, "how often the station reports it is alive", minimum=0.5)
    reconcile_s: float = setting(0.5, "how often the station re-reads the schedule", minimum=0.05)
    repeats: int = setting(1, "extra readings of a priority or emergency bulletin", minimum=0, maximum=5)


@dataclass(frozen=True)
class AudioSettings:
    target_lufs: float = setting(-16.0, "broadcast loudness (LUFS)", minimum=-40, maximum=-5)
    true_peak_dbtp: float = setting(-1.0, "true-peak ceiling (dBTP)", minimum=-12, maximum=0)
    gap_s: float = setting(1.0, "silence between the items of a programme", minimum=0, maximum=30)
    jingle_crossfade_s: float = setting(0.0, "a jingle runs under the start of the speech after it this "
                                        "long, instead of the gap (0: the gap)", minimum=0, maximum=5)
    greeting: str = setting("Kính thưa bà con nhân dân trong xã.", "spoken before the first bulletin")
    repeat_phrase: str = setting("Xin nhắc lại.", "spoken before a repeated reading")
    max_upload_mb: float = setting(200.0, "largest recording the panel accepts (MB)", minimum=1)
    max_upload_minutes: float = setting(60.0, "longest recording the panel accepts (minutes)", minimum=1)
    cache_max_mb: float = setting(2048.0, "speech and render caches together; the least recently used "
                                  "files go first (never a program rendered for a broadcast to come, "
                                  "nor one a village box may still fetch)",
                                  minimum=1)


@dataclass(frozen=True)
class WebSettings:
    host: str = setting("127.0.0.1", "address `broadcaster web` listens on")
    port: int = setting(8080, "panel port", minimum=1, maximum=65535)
    secret_key: str = setting("", "session signing key; empty: a random key kept in the data folder")
    session_minutes: int = setting(480, "a login lasts this long", minimum=1)
    https: bool = setting(False, "served behind HTTPS: Secure cookie and HSTS")
    proxy_hops: int = setting(0, "reverse proxies trusted for X-Forwarded-For/Proto", minimum=0, maximum=5)
    max_body_kb: int = setting(1024, "largest request body but an audio upload's, refused from its "
                               "headers before it is read", minimum=1)
    header_timeout_s: float = setting(15.0, "a request's headers must arrive this soon after its first byte",
                                      minimum=1)
    min_upload_kbps: float = setting(8.0, "a slower request body (after header_timeout_s) is dropped",
                                     minimum=0)
    channel_timeout_s: float = setting(20.0, "an idle connection is closed after this", minimum=1)
    connection_limit: int = setting(500, "connections the server holds at once", minimum=10)
    processes: int = setting(0, "panel server processes (each with `--threads` threads); 0: one per "
                             "core", minimum=0, maximum=16)
    token_days: int = setting(90, "API tokens expire after this many days (0: never)", minimum=0)
    renders_per_minute: int = setting(10, "\"listen before approving\" renders per user and minute",
                                      minimum=1)


@dataclass(frozen=True)
class ReceiversSettings:
    mqtt_url: str = setting("mqtt://127.0.0.1:1883", "the MQTT broker the commune hub and the village "
                            "receivers use (scripts/mqtt-broker starts Mosquitto)")
    public_mqtt_url: str = setting("", "the broker's address as the boxes reach it over 4G, told them at "
                                   "enrolment; empty: mqtt_url")
    broker_pid_file: str = setting("", "Mosquitto's pid file, signalled to reload its password file; "
                                   "empty: mqtt/mosquitto.pid in the data folder")
    broker_control: str = setting("dynsec", "how the hub cuts a revoked box's open connection: `dynsec` "
                                  "(Mosquitto's dynamic-security plugin) or `none` (reload only)",
                                  choices=("dynsec", "none"))
    horizon_hours: float = setting(48.0, "how far ahead the commune renders and a box keeps its plan",
                                   minimum=1)
    lock_minutes: float = setting(20.0, "a programme due this soon is not changed by a late plan",
                                  minimum=0)
    status_s: float = setting(60.0, "a box's heartbeat period", minimum=1)
    offline_after_s: float = setting(180.0, "a box not heard from this long is shown offline", minimum=1)
    code_hours: float = setting(72.0, "an enrolment code is valid this long", minimum=0.1)
    command_ttl_s: float = setting(300.0, "a command not delivered to its box within this is dropped",
                                   minimum=1)
    sync_s: float = setting(300.0, "a box re-fetches its plan this often even without a notice", minimum=5)
    hub_poll_s: float = setting(0.5, "how often the commune hub looks for new commands and plan changes",
                                minimum=0.05)
    volume: int = setting(100, "a box's starting volume (percent)", minimum=0, maximum=100)
    aircheck_queue_mb: float = setting(300.0, "on a box: the air-checks waiting to be sent to the commune "
                                       "are kept up to this size; past it the oldest is dropped, with a "
                                       "note the commune is told", minimum=1)
    aircheck_max_mb: float = setting(64.0, "at the commune: the largest air-check file a box may send",
                                     minimum=1)


@dataclass(frozen=True)
class PublicSettings:
    base_url: str = setting("", "the address in public links, feeds, previews and poster QR codes, e.g. "
                            "https://tanhoa.gov.vn/loaxa; empty: the address the visitor used",
                            check=_base_url_problem)


@dataclass(frozen=True)
class CommuneSettings:
    name: str = setting("Xã Tân Hòa", "the commune, on reports and exports")
    province: str = setting("Tỉnh Thái Nguyên", "the province reports go to")
    issuer: str = setting("ỦY BAN NHÂN DÂN XÃ TÂN HÒA", "the issuing body printed on reports")
    place: str = setting("Tân Hòa", "the place in a report's date line")
    report_to: str = setting("", "who the commune's reports go to (\"Kính gửi\"); empty: the province's "
                             "Department of Culture, Sports and Tourism, named from `province`")
    signer_authority: str = setting("TM. ỦY BAN NHÂN DÂN", "signature block of a filed report "
                                    "(Decree 30/2020/NĐ-CP): on behalf of")
    signer_deputy: str = setting("KT. CHỦ TỊCH", "signature block: signing for (empty: none)")
    signer_title: str = setting("PHÓ CHỦ TỊCH", "signature block: the signer's title")
    signer_name: str = setting("", "signature block: the signer's name (empty: left to sign by hand)")


@dataclass(frozen=True)
class ReportsSettings:
    village_due_day: int = setting(5, "village reports cover a calendar month and are due on this day "
                                   "of the next month", minimum=1, maximum=28)
    village_remind_days: int = setting(7, "a village head is reminded this many days before the due day",
                                       minimum=0, maximum=31)


#: The sections, by their name in broadcaster.toml and in BROADCASTER_<SECTION>_<KEY>.
SECTIONS: dict[str, type] = {
    "database": DatabaseSettings,
    "output": OutputSettings,
    "tts": TtsSettings,
    "station": StationSettings,
    "audio": AudioSettings,
    "web": WebSettings,
    "receivers": ReceiversSettings,
    "public": PublicSettings,
    "commune": CommuneSettings,
    "reports": ReportsSettings,
}


@dataclass(frozen=True)
class Settings:
    """Resolved settings: ``settings.station.grace_s`` and so on, every value of its type."""

    home: Path
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    output: OutputSettings = field(default_factory=OutputSettings)
    tts: TtsSettings = field(default_factory=TtsSettings)
    station: StationSettings = field(default_factory=StationSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    web: WebSettings = field(default_factory=WebSettings)
    receivers: ReceiversSettings = field(default_factory=ReceiversSettings)
    public: PublicSettings = field(default_factory=PublicSettings)
    commune: CommuneSettings = field(default_factory=CommuneSettings)
    reports: ReportsSettings = field(default_factory=ReportsSettings)

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.home / 'broadcaster.db'}"

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

    @property
    def checkpoint_witness_path(self) -> Path:
        """Every signed checkpoint, appended once committed: the copy outside the database."""
        return self.home / "checkpoints.jsonl"


@dataclass(frozen=True)
class SettingInfo:
    """One setting as the README and ``init``'s file describe it."""

    section: str
    key: str
    default: Any
    doc: str

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"


def all_settings() -> list[SettingInfo]:
    return [SettingInfo(section, f.name, f.default, f.metadata["doc"])
            for section, cls in SECTIONS.items() for f in dataclasses.fields(cls)]


def default_home() -> Path:
    """The data folder: ``$BROADCASTER_HOME`` or ``./var`` in a checkout."""
    return Path(os.environ.get("BROADCASTER_HOME") or "var").resolve()


# --------------------------------------------------------------------------- reading values

_TYPE_NAMES = {bool: "true hoặc false", int: "một số nguyên", float: "một số", str: "một chuỗi",
               tuple: "một danh sách"}


def _from_text(raw: str, kind: Any) -> Any:
    """An environment variable's text as ``kind`` (lists are comma-separated)."""
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on", "có"}:
            return True
        if lowered in {"0", "false", "no", "off", "không", ""}:
            return False
        raise ValueError(raw)
    if kind is int:
        return int(raw.strip())
    if kind is float:  # "1,5" is how a Vietnamese keyboard writes 1.5
        text = raw.strip()
        return float(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text)
    if kind is tuple:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def _typed(value: Any, kind: Any) -> Any:
    """A TOML value as ``kind``, or ValueError. No silent conversions but int → float."""
    if kind is bool:
        if isinstance(value, bool):
            return value
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
    elif kind is tuple:
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return tuple(value)
    elif isinstance(value, str):
        return value
    raise ValueError(value)


def _kind(hint: Any) -> Any:
    return tuple if getattr(hint, "__origin__", None) is tuple else hint


def _section(name: str, cls: type, given: Mapping[str, tuple[Any, str, bool]]) -> Any:
    """Build section ``cls`` from ``given`` (key → (value, where from, from the environment))."""
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in given:
            continue
        raw, source, from_env = given[f.name]
        kind = _kind(hints[f.name])
        key = f"{name}.{f.name}"
        try:
            value = _from_text(raw, kind) if from_env else _typed(raw, kind)
            if kind is float and not math.isfinite(value):
                raise ValueError(raw)
        except ValueError:
            raise ConfigError(
                f"Cài đặt {key} ({source}) phải là {_TYPE_NAMES.get(kind, kind)}, không phải {raw!r}"
            ) from None
        _check(key, value, f.metadata, source)
        values[f.name] = value
    return cls(**values)


def _check(key: str, value: Any, meta: Mapping[str, Any], source: str) -> None:
    choices, low, high, check = meta["choices"], meta["minimum"], meta["maximum"], meta["check"]
    if choices is not None and value not in choices:
        raise ConfigError(f"Cài đặt {key} ({source}) chỉ nhận {', '.join(map(repr, choices))}, không phải {value!r}")
    if low is not None and value < low:
        raise ConfigError(f"Cài đặt {key} ({source}) phải từ {low:g} trở lên, không phải {value!r}")
    if high is not None and value > high:
        raise ConfigError(f"Cài đặt {key} ({source}) phải từ {high:g} trở xuống, không phải {value!r}")
    if check is not None:
        problem = check(value)
        if problem:
            raise ConfigError(f"Cài đặt {key} ({source}) không hợp lệ: {value!r} {problem}")


def load_settings(home: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the TOML file, then environment overrides; every value checked."""
    home = (home or default_home()).resolve()
    environ = os.environ if environ is None else environ
    given: dict[str, dict[str, tuple[Any, str, bool]]] = {name: {} for name in SECTIONS}
    config_path = home / CONFIG_FILE
    if config_path.exists():
        try:
            loaded = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Tệp cấu hình {config_path} bị lỗi: {exc}") from None
        for section, entries in loaded.items():
            if section not in SECTIONS or not isinstance(entries, dict):
                raise ConfigError(f"Mục cấu hình không biết trong {config_path}: [{section}] "
                                  f"(các mục: {', '.join(SECTIONS)})")
            known = {f.name for f in dataclasses.fields(SECTIONS[section])}
            for key, value in entries.items():
                if f"{section}.{key}" in RETIRED:
                    logger.warning("bỏ qua cài đặt %s.%s: không còn dùng", section, key)
                elif key not in known:
                    raise ConfigError(f"Cài đặt không biết trong {config_path}: {section}.{key} "
                                      f"(các cài đặt của [{section}]: {', '.join(sorted(known))})")
                else:
                    given[section][key] = (value, f"tệp {CONFIG_FILE}", False)
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "BROADCASTER_HOME":
            continue
        section, _, key = name[len(ENV_PREFIX):].lower().partition("_")
        if section in SECTIONS and key in {f.name for f in dataclasses.fields(SECTIONS[section])}:
            given[section][key] = (raw, f"biến môi trường {name}", True)
    sections = {name: _section(name, cls, given[name]) for name, cls in SECTIONS.items()}
    return Settings(home=home, **sections)


def default_config_text() -> str:
    """The commented TOML written by ``init``: every setting, its meaning and its default."""
    import tomli_w

    lines = [
        "# Cấu hình đài truyền thanh Loa xã. Mỗi mục có thể ghi đè bằng biến môi trường",
        "# BROADCASTER_<MỤC>_<KHÓA>, ví dụ BROADCASTER_OUTPUT_BACKEND=pulse.",
    ]
    for section, cls in SECTIONS.items():
        lines += ["", f"[{section}]"]
        for f in dataclasses.fields(cls):
            default = list(f.default) if isinstance(f.default, tuple) else f.default
            lines.append(f"# {f.metadata['doc']}")
            lines.append(tomli_w.dumps({f.name: default}).strip())
    return "\n".join(lines) + "\n"
