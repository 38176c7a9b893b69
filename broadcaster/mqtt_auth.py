"""The broker's side of the receivers' credentials: Mosquitto's password file and ACL file.

Why files and not the dynamic-security plugin: Debian's Mosquitto reads both files and reloads
them on SIGHUP, any MQTT broker of a province's cluster has an equivalent (files, or an HTTP auth
hook fed from the same table), and the commune database stays the one source of truth: the files
are written again from the ``receivers`` table after every enrolment or revocation.

A revoked box's *open* connection is cut at once through Mosquitto's dynamic-security plugin,
loaded beside the files only as a deny list (:func:`cut_commands`): the hub, whose login may
publish to ``$CONTROL/dynamic-security/v1``, creates the box there disabled, which disconnects it
now and refuses it from then on whatever the files say; a broker that reads the files again
(SIGHUP) also drops a client whose login left them. A broker cluster swaps in its own way of
kicking a client (docs/RECEIVERS.md) with ``receivers.broker_control``.

Passwords are stored as Mosquitto 2's ``$7$`` PBKDF2-SHA512 hashes (what ``mosquitto_passwd``
writes), so the commune never keeps a box's MQTT password in clear text.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
import signal
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcaster.config import Settings
from broadcaster.models import Receiver
from broadcaster.receiver import topics

logger = logging.getLogger(__name__)

#: PBKDF2 rounds: 1000 keeps a reconnect storm of hundreds of boxes cheap for the broker.
ITERATIONS = 1000
COMMUNE_USER = "loaxa-commune"
#: Mosquitto's dynamic-security control topic (and where its answers come)
DYNSEC_TOPIC = "$CONTROL/dynamic-security/v1"
DYNSEC_RESPONSES = DYNSEC_TOPIC + "/response"


def hash_password(password: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """A Mosquitto 2 ``$7$`` hash: ``$7$<rounds>$<b64 salt>$<b64 PBKDF2-HMAC-SHA512>``."""
    salt = salt or secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations, 64)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def mqtt_dir(settings: Settings) -> Path:
    return settings.home / "mqtt"


def passwd_path(settings: Settings) -> Path:
    return mqtt_dir(settings) / "passwd"


def acl_path(settings: Settings) -> Path:
    return mqtt_dir(settings) / "acl"


def pid_path(settings: Settings) -> Path:
    configured = str(settings.receivers.broker_pid_file or "").strip()
    return Path(configured) if configured else mqtt_dir(settings) / "mosquitto.pid"


def commune_secret_path(settings: Settings) -> Path:
    return mqtt_dir(settings) / "commune.secret"


def commune_credentials(settings: Settings) -> tuple[str, str]:
    """The commune hub's own broker login, made once and kept 0600 in the data folder."""
    path = commune_secret_path(settings)
    if path.is_file():
        secret = path.read_text(encoding="utf-8").strip()
        if secret:
            return COMMUNE_USER, secret
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    return COMMUNE_USER, secret


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def render_files(commune_hash: str, boxes: Iterable[Receiver]) -> tuple[str, str]:
    """(password file, ACL file) for the commune hub and every enrolled, unrevoked box."""
    passwd = [f"{COMMUNE_USER}:{commune_hash}"]
    acl = [f"user {COMMUNE_USER}", f"topic readwrite {topics.PREFIX}/#", f"topic readwrite {DYNSEC_TOPIC}/#", ""]
    for box in boxes:
        if box.revoked_at is not None or not box.mqtt_password_hash or not box.mqtt_username:
            continue
        passwd.append(f"{box.mqtt_username}:{box.mqtt_password_hash}")
        acl.extend(topics.acl_lines(box.mqtt_username, box.zone_id))
        acl.append("")
    return "\n".join(passwd) + "\n", "\n".join(acl) + "\n"


def write_broker_files(session: Session, settings: Settings) -> None:
    """Write the password and ACL files from the table, then ask a running broker to reload."""
    _user, secret = commune_credentials(settings)
    hash_file = mqtt_dir(settings) / "commune.hash"
    # The commune's hash is kept so rewriting the files does not change its line each time.
    commune_hash = hash_file.read_text(encoding="utf-8").strip() if hash_file.is_file() else ""
    if not commune_hash:
        commune_hash = hash_password(secret)
        _write_atomic(hash_file, commune_hash + "\n")
    boxes = session.scalars(select(Receiver).order_by(Receiver.id)).all()
    passwd, acl = render_files(commune_hash, boxes)
    _write_atomic(passwd_path(settings), passwd)
    _write_atomic(acl_path(settings), acl)
    reload_broker(settings)


def reload_broker(settings: Settings) -> bool:
    """SIGHUP the broker started by ``scripts/mqtt-broker`` (its pid file); False if none runs."""
    path = pid_path(settings)
    try:
        pid = int(path.read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        logger.info("không thấy máy chủ MQTT nội bộ (%s): tệp mật khẩu và ACL đã ghi, "
                    "máy chủ sẽ đọc khi khởi động", path)
        return False
    try:
        os.kill(pid, signal.SIGHUP)
    except OSError as exc:
        logger.warning("không báo được máy chủ MQTT (pid %d) nạp lại quyền: %s", pid, exc)
        return False
    logger.info("đã báo máy chủ MQTT nạp lại mật khẩu và ACL")
    return True


def cut_commands(usernames: Iterable[str]) -> dict[str, Any]:
    """Dynamic-security commands that disconnect these logins now and refuse them from then on.

    Each is created in the plugin with a random password nobody keeps, then disabled: disabling
    kicks every connection of that username (``mosquitto_kick_client_by_username``), and the
    plugin answers "not authorised" for a login it knows as disabled before the password file is
    even read. Sent again, ``createClient`` answers "already exists" and ``disableClient`` is a
    no-op, so the hub may send them every time it starts.
    """
    commands: list[dict[str, Any]] = []
    for name in usernames:
        commands.append({"command": "createClient", "username": name, "password": secrets.token_urlsafe(24),
                         "textname": "Loa xã: máy thu đã thu hồi"})
        commands.append({"command": "disableClient", "username": name})
    return {"commands": commands}


def uncut_commands(usernames: Iterable[str]) -> dict[str, Any]:
    """Remove these logins from the plugin's deny list (a login of that name is active again)."""
    return {"commands": [{"command": "deleteClient", "username": name} for name in usernames]}
