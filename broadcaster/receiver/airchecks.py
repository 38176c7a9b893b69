"""The box's air-check queue: what it recorded, sent to the commune when the 4G link allows.

Why a queue in the box's SQLite (``box_airchecks``) and not "send when recorded": a box may be
offline for days, and it must neither lose what it recorded the moment the link is back nor fill
its SD card while waiting. The queue is filled from the box's own evidence chain (every entry
with an air-check hash, in order), so a crash between recording and queueing loses nothing.

* Sending: oldest first, only entries the commune already holds (the hash it checks against
  arrives with the evidence), in chunks of :data:`CHUNK_BYTES`, each starting where the commune
  says its copy ends: a broken upload resumes, never restarts. The bytes are the recorded Opus
  file itself, so they hash to the SHA-256 in the signed entry. Once the commune has kept them the
  box deletes its copy (the commune holds it now, under its retention).
* The cap: while the files waiting exceed ``receivers.aircheck_queue_mb``, the oldest is dropped
  (its file deleted) with a note saying why; the commune is told the note, and the entry's page
  there says the recording was dropped on the box rather than showing nothing.
* A refusal (the file no longer matches its hash: the card is failing) is recorded and not
  retried: sending it again would not make it match.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from broadcaster.context import Context
from broadcaster.models import BoxAircheck, EvidenceEntry, utcnow
from broadcaster.receiver.client import CommuneClient, LinkError

logger = logging.getLogger(__name__)

#: One request's worth: a 4G break costs at most this much again (well inside the 1 MiB limit).
CHUNK_BYTES = 256 * 1024


def local_file(home: Path, relpath: str) -> Path | None:
    """The box's air-check file named by its entry, when it is inside ``audio/aircheck``."""
    raw = Path(relpath)
    path = (raw if raw.is_absolute() else home / raw).resolve()
    root = (home / "audio" / "aircheck").resolve()
    return path if root in path.parents else None


def enqueue(ctx: Context, cap_bytes: int, now: dt.datetime | None = None) -> int:
    """Queue the air-checks of entries written since the last call, then hold the cap.

    Returns how many were queued.
    """
    now = now or utcnow()
    queued = 0
    with ctx.session() as session:
        last = session.scalar(select(func.max(BoxAircheck.seq))) or 0
        rows = session.execute(
            select(EvidenceEntry.id, EvidenceEntry.aircheck_sha256, EvidenceEntry.aircheck_path)
            .where(EvidenceEntry.id > last, EvidenceEntry.aircheck_sha256.is_not(None))
            .order_by(EvidenceEntry.id)).all()
        for seq, sha, relpath in rows:
            path = local_file(ctx.home, relpath or "")
            if path is None or not path.is_file():
                session.add(BoxAircheck(seq=seq, sha256=sha, relpath=relpath or "", size_bytes=0,
                                        queued_at=now, state="dropped", done_at=now,
                                        note="Bản thu không còn trên máy thu khi xếp hàng gửi lên xã"))
                continue
            session.add(BoxAircheck(seq=seq, sha256=sha, relpath=relpath, queued_at=now,
                                    size_bytes=path.stat().st_size, state="queued"))
            queued += 1
        session.flush()
        _hold_cap(session, ctx.home, cap_bytes, now)
    return queued


def _hold_cap(session: Any, home: Path, cap_bytes: int, now: dt.datetime) -> None:
    waiting = session.scalars(select(BoxAircheck).where(BoxAircheck.state == "queued")
                              .order_by(BoxAircheck.seq)).all()
    total = sum(w.size_bytes for w in waiting)
    for oldest in waiting:
        if total <= cap_bytes:
            break
        path = local_file(home, oldest.relpath)
        if path is not None:
            path.unlink(missing_ok=True)
        total -= oldest.size_bytes
        oldest.state, oldest.done_at = "dropped", now
        oldest.note = (f"Máy thu đã bỏ bản thu này (mục #{oldest.seq}) khi chưa gửi được lên xã: "
                       f"hàng đợi bản thu vượt {cap_bytes / (1024 * 1024):g} MB "
                       "(máy thu mất kết nối lâu); bỏ bản cũ nhất để thẻ nhớ không đầy")
        logger.warning("%s", oldest.note)


def waiting(ctx: Context) -> int:
    """How many air-checks wait to be sent (the heartbeat's ``airchecks_waiting``)."""
    with ctx.session() as session:
        return int(session.scalar(select(func.count()).select_from(BoxAircheck)
                                  .where(BoxAircheck.state == "queued")) or 0)


def send(ctx: Context, client: CommuneClient, held: int, stopping: threading.Event) -> int:
    """Tell the commune the dropped ones, then send what waits; returns how many it kept.

    ``held`` is the commune's evidence head for this box: later entries are not sent yet (the
    commune needs the entry to know the hash). LinkError propagates: the caller retries later.
    """
    with ctx.session() as session:
        untold = session.execute(select(BoxAircheck.seq, BoxAircheck.note).where(
            BoxAircheck.state == "dropped", BoxAircheck.told.is_(False),
            BoxAircheck.seq <= held).order_by(BoxAircheck.seq)).all()
    for seq, note in untold:
        try:
            client.aircheck_dropped(seq, note)
        except LinkError as exc:
            if exc.status != 404:
                raise
        _set(ctx, seq, told=True)
    with ctx.session() as session:
        todo = session.execute(select(BoxAircheck.seq, BoxAircheck.relpath, BoxAircheck.size_bytes)
                               .where(BoxAircheck.state == "queued", BoxAircheck.seq <= held)
                               .order_by(BoxAircheck.seq)).all()
    kept = 0
    for seq, relpath, size in todo:
        if stopping.is_set():
            break
        try:
            if _send_one(ctx, client, seq, local_file(ctx.home, relpath), size, stopping):
                kept += 1
        except LinkError as exc:
            if exc.status != 404:
                raise
            logger.warning("xã chưa nhận bản thu mục #%d: %s", seq, exc)
    return kept


def _send_one(ctx: Context, client: CommuneClient, seq: int, path: Path | None, size: int,
              stopping: threading.Event) -> bool:
    if path is None or not path.is_file():
        _set(ctx, seq, state="dropped", note="Bản thu không còn trên máy thu khi gửi lên xã")
        return False
    state = client.aircheck_state(seq)
    offset = 0 if state.get("kept") else int(state.get("received") or 0)
    with open(path, "rb") as handle:
        while not state.get("kept"):
            if stopping.is_set():
                return False
            handle.seek(offset)
            chunk = handle.read(CHUNK_BYTES)
            if not chunk:  # the commune says it holds more than the file has: cannot match
                _set(ctx, seq, state="refused",
                     note=f"Xã giữ {offset} byte, nhiều hơn bản thu trên máy thu ({size} byte)")
                return False
            state = client.send_aircheck_chunk(seq, offset, chunk, size)
            if state.get("status") == 422:
                note = str(state.get("error") or "Xã từ chối bản thu: không khớp mã băm")
                logger.error("xã từ chối bản thu mục #%d: %s", seq, note)
                _set(ctx, seq, state="refused", note=note)
                return False
            offset = int(state.get("received") or 0)
    path.unlink(missing_ok=True)
    _set(ctx, seq, state="sent")
    logger.info("đã gửi bản thu mục #%d lên xã (%d byte); xóa bản trên máy thu", seq, size)
    return True


def _set(ctx: Context, seq: int, **values: Any) -> None:
    with ctx.session() as session:
        row = session.get(BoxAircheck, seq)
        if row is None:
            return
        for name, value in values.items():
            setattr(row, name, value)
        if "state" in values:
            row.done_at = utcnow()
