"""Signed checkpoints of the evidence log: count, head hash and time under the station's key.

A checkpoint is what makes truncation and wholesale rewriting detectable: anyone holding only the
public key can check that the log still has at least ``count`` entries and that entry ``count``
still hashes to ``head_hash``. The station makes one per local day; ``log checkpoint`` makes one now.
"""
from __future__ import annotations

import base64
import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcaster.evidence import checkpoint_text, head
from broadcaster.keys import key_id, load_private_key
from broadcaster.local_days import day_bounds
from broadcaster.models import Checkpoint, utcnow

logger = logging.getLogger(__name__)


def make_checkpoint(session: Session, private_key: Any, now: dt.datetime | None = None) -> Checkpoint:
    """Sign the current head and store the checkpoint (flushed; the caller commits)."""
    created = (now or utcnow()).astimezone(dt.timezone.utc)
    count, head_hash = head(session)
    signature = private_key.sign(checkpoint_text(count, head_hash, created).encode("utf-8"))
    checkpoint = Checkpoint(
        created_at=created,
        count=count,
        head_hash=head_hash,
        key_id=key_id(private_key.public_key()),
        signature=base64.b64encode(signature).decode("ascii"),
    )
    session.add(checkpoint)
    session.flush()
    logger.info("điểm kiểm #%d: %d mục, mã băm cuối %s", checkpoint.id, count, head_hash)
    return checkpoint


def latest_checkpoint(session: Session) -> Checkpoint | None:
    return session.execute(select(Checkpoint).order_by(Checkpoint.id.desc()).limit(1)).scalars().first()


def ensure_daily_checkpoint(session: Session, settings: Any, now: dt.datetime | None = None) -> Checkpoint | None:
    """Make today's checkpoint unless one exists for this local day; returns the new one or None.

    Called by the station (e.g. after each entry or on its heartbeat); cheap when already done.
    """
    now = (now or utcnow()).astimezone(dt.timezone.utc)
    zone = ZoneInfo(settings.station.timezone)
    local_day = now.astimezone(zone).date()
    start, end = day_bounds(local_day, zone)
    existing = session.execute(
        select(Checkpoint.id).where(Checkpoint.created_at >= start, Checkpoint.created_at < end).limit(1)
    ).first()
    if existing is not None:
        return None
    return make_checkpoint(session, load_private_key(settings.key_path), now)
