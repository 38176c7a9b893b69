"""``broadcaster receiver enrol URL CODE``: make the box's key and register it with the commune.

The box's data folder is an ordinary one (``broadcaster init``): its SQLite will hold its plan,
programs and evidence chain, and ``station_key.pem`` is the box's own Ed25519 key. Only the public
half leaves the box. Enrolling again with a new code (after ``receiver code`` at the commune)
keeps the key and replaces the credentials.
"""
from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlparse

from broadcaster.context import init_home
from broadcaster.errors import ValidationError
from broadcaster.receiver.client import CommuneClient
from broadcaster.receiver.identity import Identity

logger = logging.getLogger(__name__)


def enrol(home: Path | None, url: str, code: str) -> Identity:
    parsed = urlparse(url or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValidationError(f"Địa chỉ xã không hợp lệ: {url!r} (ví dụ https://loa.tanhoa.gov.vn)")
    ctx, _done = init_home(home)
    try:
        pem = ctx.settings.public_key_path.read_text(encoding="ascii")
        answer = CommuneClient(url).enrol(code.strip(), pem)
        identity = Identity(
            commune_url=url.rstrip("/"), name=answer["name"], receiver_id=int(answer["id"]),
            zone_id=int(answer["zone"]["id"]), zone_name=str(answer["zone"]["name"]),
            token=answer["token"], mqtt_url=answer["mqtt"]["url"],
            mqtt_username=answer["mqtt"]["username"], mqtt_password=answer["mqtt"]["password"],
            timezone=str(answer.get("timezone") or ctx.settings.station.timezone),
            settings=dict(answer.get("settings") or {}),
        )
        identity.save(ctx.home)
    finally:
        ctx.dispose()
    logger.info("máy thu %s đã đăng ký với xã %s", identity.name, url)
    return identity
