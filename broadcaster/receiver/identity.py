"""What a box learnt at enrolment: who it is, where the commune is, its credentials.

Kept in ``$BROADCASTER_HOME/receiver.json``, mode 0600 (it holds the HTTP token and the MQTT
password), written atomically so a power cut during enrolment never leaves half a file.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from broadcaster.errors import ConfigError

FILE = "receiver.json"


@dataclass
class Identity:
    commune_url: str
    name: str
    receiver_id: int
    zone_id: int
    zone_name: str
    token: str
    mqtt_url: str
    mqtt_username: str
    mqtt_password: str
    timezone: str = "Asia/Ho_Chi_Minh"
    settings: dict[str, Any] = field(default_factory=dict)

    def save(self, home: Path) -> None:
        path = home / FILE
        tmp = path.with_name(FILE + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, ensure_ascii=False, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)


def load(home: Path) -> Identity:
    path = home / FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Identity(**data)
    except FileNotFoundError:
        raise ConfigError(
            f"Máy thu chưa đăng ký (không có {path}). Hãy chạy: broadcaster receiver enrol URL MÃ"
        ) from None
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"Tệp {path} bị hỏng: {exc}") from None
