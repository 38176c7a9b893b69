"""The audio library: uploaded recordings and jingles, and bulletins rendered for listening.

Every file is stored under its SHA-256 inside the data folder's ``audio/`` and known to the
database as an :class:`~broadcaster.models.AudioAsset`; the panel serves files by asset id only,
so no path ever comes from a request. Browsers record WebM/Opus (MediaRecorder), which the
upload validator does not take: those are remuxed (no re-encode) into Ogg/Opus first.
"""
from __future__ import annotations

import logging
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from audio.compose import RenderError, render_program
from audio.upload import UploadRejected, ingest_upload
from broadcaster.config import Settings
from broadcaster.errors import NotFoundError, ValidationError
from broadcaster.models import AudioAsset, Bulletin, User
from broadcaster.programs import bulletin_items, cache_dir, recording_path, render_settings
from broadcaster.render_cache import prune_caches

logger = logging.getLogger(__name__)

ASSET_KINDS = {"recording": "Bản ghi âm", "jingle": "Nhạc hiệu", "rendered": "Bản dựng để nghe thử"}
UPLOAD_KINDS = ("recording", "jingle")
LANGUAGES = {"vi": "Tiếng Việt", "tay": "Tiếng Tày", "nung": "Tiếng Nùng", "hmn": "Tiếng H'Mông",
             "other": "Khác"}
EBML_MAGIC = b"\x1a\x45\xdf\xa3"  # WebM / Matroska
MEDIA_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg", "opus": "audio/ogg",
               "flac": "audio/flac", "m4a": "audio/mp4"}


def uploads_dir(settings: Settings) -> Path:
    return settings.audio_dir / "uploads"


def list_assets(session: Session, kind: str | None = None) -> Sequence[AudioAsset]:
    query = select(AudioAsset).order_by(AudioAsset.id.desc())
    if kind:
        query = query.where(AudioAsset.kind == kind)
    else:
        query = query.where(AudioAsset.kind.in_(UPLOAD_KINDS))
    return session.scalars(query.limit(500)).all()


def get_asset(session: Session, asset_id: int) -> AudioAsset:
    asset = session.get(AudioAsset, asset_id)
    if asset is None:
        raise NotFoundError(f"Không có tệp âm thanh số {asset_id}")
    return asset


def get_recording(session: Session, asset_id: int) -> AudioAsset:
    """An uploaded recording a bulletin may be read from.

    Only recordings: a render is a bulletin's text as audio, and attaching one (by id) to a
    bulletin of one's own would let a village head hear another zone's bulletin.
    """
    asset = get_asset(session, asset_id)
    if asset.kind != "recording":
        raise ValidationError(f"Tệp âm thanh số {asset_id} không phải bản ghi âm đã tải lên")
    return asset


def asset_file(settings: Settings, asset: AudioAsset) -> Path:
    """The stored file of ``asset``, checked to lie inside the audio folder."""
    path = recording_path(settings, asset.relpath)
    if not path.is_file():
        raise NotFoundError(f"Tệp âm thanh số {asset.id} không còn trên đĩa")
    return path


def _remux_webm(src: Path, workdir: Path) -> Path:
    """WebM/Opus from a browser → Ogg/Opus, copying the audio stream unchanged."""
    out = workdir / "recording.ogg"
    proc = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(src),
         "-vn", "-c:a", "copy", str(out)],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0 or not out.is_file():
        logger.warning("không chuyển được bản ghi webm sang ogg: %s", proc.stderr.strip())
        raise ValidationError("Không đọc được bản ghi âm từ trình duyệt (WebM hỏng?). Hãy ghi lại.")
    return out


def store_upload(session: Session, settings: Settings, src: Path, *, title: str,
                 kind: str = "recording", language: str = "vi",
                 user: User | None = None) -> AudioAsset:
    """Validate and store an uploaded file; the same content twice gives the same asset.

    Raises ValidationError with the validator's Vietnamese message (not audio, corrupt,
    truncated, too long, too large, silent).
    """
    title = " ".join((title or "").split())[:300]
    if not title:
        raise ValidationError("Hãy đặt tên cho bản ghi âm")
    if kind not in UPLOAD_KINDS:
        raise ValidationError(f"Loại tệp không hợp lệ: {kind!r}")
    if language not in LANGUAGES:
        raise ValidationError(f"Ngôn ngữ không hợp lệ: {language!r}")
    audio_settings = settings.audio
    with tempfile.TemporaryDirectory(prefix="loaxa-upload-") as tmp:
        source = Path(src)
        with source.open("rb") as handle:
            if handle.read(4) == EBML_MAGIC:
                source = _remux_webm(source, Path(tmp))
        try:
            stored = ingest_upload(
                source, uploads_dir(settings),
                max_bytes=int(audio_settings.max_upload_mb * 1024 * 1024),
                max_seconds=audio_settings.max_upload_minutes * 60,
            )
        except UploadRejected as exc:
            raise ValidationError(str(exc)) from None
    existing = session.scalar(select(AudioAsset).where(AudioAsset.sha256 == stored.sha256))
    if existing is not None:
        return existing
    asset = AudioAsset(
        sha256=stored.sha256, kind=kind, title=title, language=language,
        relpath=stored.path.relative_to(settings.audio_dir).as_posix(), format=stored.format,
        seconds=stored.seconds, size_bytes=stored.path.stat().st_size,
        uploaded_by_id=user.id if user else None,
    )
    session.add(asset)
    session.flush()
    return asset


def render_bulletin(session: Session, settings: Settings, bulletin: Bulletin,
                    *, engine: str | None = None) -> AudioAsset:
    """Render ``bulletin`` exactly as it airs (MP3 for the browser) and register the file.

    Uses the same items and settings as the station (:mod:`broadcaster.programs`), so the
    approver hears what the loudspeakers will play. Cached by content: a second call is instant.
    """
    items = bulletin_items(settings, bulletin)
    try:
        result = render_program(items, render_settings(settings, session, engine),
                                cache_dir(settings), fmt="mp3")
    except RenderError as exc:
        raise ValidationError(str(exc)) from None
    relpath = result.path.resolve().relative_to(settings.audio_dir.resolve()).as_posix()
    asset = session.scalar(select(AudioAsset).where(AudioAsset.sha256 == result.sha256))
    if asset is None:
        asset = AudioAsset(
            sha256=result.sha256, kind="rendered", title=bulletin.title[:300],
            language=bulletin.language, relpath=relpath, format="mp3",
            seconds=round(result.seconds, 3), size_bytes=result.path.stat().st_size,
        )
        session.add(asset)
        session.flush()
    elif asset.relpath != relpath:
        asset.relpath = relpath
    prune_caches(session, settings, keep=[result.path])
    return asset


def media_type(asset: AudioAsset) -> str:
    return MEDIA_TYPES.get(asset.format, "application/octet-stream")


__all__ = [
    "ASSET_KINDS", "LANGUAGES", "asset_file", "get_asset", "get_recording", "list_assets", "media_type",
    "render_bulletin", "store_upload", "uploads_dir",
]
