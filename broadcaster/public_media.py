"""Files the public site serves: a small MP3 of each published bulletin, and share images.

Why an MP3 of its own: the render that airs is a 44.1 kHz WAV (about 5 MB a minute); a resident
on a cheap phone over 3G needs something that starts at once and costs little data. The bulletin
is rendered exactly as it airs (:func:`broadcaster.programs.bulletin_items`, the same jingles,
greeting and levels, cached by content) and ffmpeg makes a mono 48 kbit/s MP3 of it (about 360 kB
a minute). The MP3 is named after the render's hash, so a changed text or voice gives a new file
and an unchanged one is never encoded twice.

Why images: a link pasted into a Zalo group or on Facebook shows the page's Open Graph image.
Each bulletin gets a 1200×630 PNG with the commune's name and the bulletin's title, drawn here
with Pillow and the DejaVu fonts shipped in ``broadcaster/fonts`` (every Vietnamese mark, offline).

Everything lands in ``$BROADCASTER_HOME/public/``; nothing there is ever named by a request.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from broadcaster.config import Settings
from broadcaster.errors import BroadcasterError
from broadcaster.models import Bulletin
from broadcaster.publishing import station_name

logger = logging.getLogger(__name__)

FONTS = Path(__file__).resolve().parent / "fonts"
MP3_BITRATE = "48k"
MP3_SAMPLE_RATE = 24000
#: Bump when the MP3 encoding or the images' drawing changes: old files are then not reused.
MEDIA_VERSION = "1"
SHARE_SIZE = (1200, 630)
COVER_SIZE = (1400, 1400)  # the square podcast cover podcast apps ask for
GREEN = (20, 95, 60)
GOLD = (240, 190, 60)
INK = (255, 255, 255)

#: One render or encode at a time in this process: two cores serve the panel too.
_render_lock = threading.Lock()
#: Recently made MP3s by what decides their content, so a busy feed does not re-plan each one.
_memo: dict[tuple[object, ...], tuple[float, "PublicAudio"]] = {}
MEMO_SECONDS = 300.0


class MediaUnavailable(BroadcasterError):
    """The MP3 (or image) could not be made; the message says why, in Vietnamese."""


@dataclass(frozen=True)
class PublicAudio:
    path: Path
    size_bytes: int
    seconds: float


def public_dir(settings: Settings) -> Path:
    return settings.home / "public"


def _atomic_target(dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=dest.suffix, dir=dest.parent)
    os.close(fd)
    return Path(name)


def _publish_file(tmp: Path, dest: Path) -> None:
    os.chmod(tmp, 0o644)
    os.replace(tmp, dest)


# ------------------------------------------------------------------ MP3


def bulletin_mp3(settings: Settings, session: Session, bulletin: Bulletin) -> PublicAudio:
    """The bulletin as it airs, as a small MP3 (rendered and encoded on first use)."""
    memo_key = (str(settings.home), bulletin.id, bulletin.title, bulletin.body, bulletin.priority,
                bulletin.category, bulletin.recording_id)
    hit = _memo.get(memo_key)
    if hit is not None and time.monotonic() - hit[0] < MEMO_SECONDS and hit[1].path.is_file():
        return hit[1]
    with _render_lock:
        audio = _make_mp3(settings, session, bulletin)
    _memo[memo_key] = (time.monotonic(), audio)
    return audio


def _make_mp3(settings: Settings, session: Session, bulletin: Bulletin) -> PublicAudio:
    from audio.compose import RenderError, render_program
    from audio.tts import SynthesisError
    from broadcaster.programs import bulletin_items, cache_dir, render_settings

    try:
        result = render_program(bulletin_items(settings, bulletin),
                                render_settings(settings, session), cache_dir(settings))
    except (RenderError, SynthesisError, OSError) as exc:
        logger.warning("không dựng được bản tin số %s cho trang công khai: %s", bulletin.id, exc)
        raise MediaUnavailable(f"Chưa có bản nghe của bản tin này: {exc}") from None
    tags = _tags(settings, bulletin)
    dest = mp3_path(settings, bulletin, result.sha256)
    if not dest.is_file():
        _encode_mp3(result.path, dest, tags)
        logger.info("trang công khai: đã tạo MP3 cho bản tin số %s (%.1f giây, %d kB)",
                    bulletin.id, result.seconds, dest.stat().st_size // 1024)
    return PublicAudio(dest, dest.stat().st_size, float(result.seconds))


def _tags(settings: Settings, bulletin: Bulletin) -> dict[str, str]:
    commune = str(settings.commune.name)
    return {"title": bulletin.title, "artist": station_name(commune),
            "album": f"Bản tin {commune}", "genre": "Speech", "language": "vie"}


def mp3_path(settings: Settings, bulletin: Bulletin, render_sha256: str) -> Path:
    """Where the MP3 of this render of the bulletin, with its tags, is kept."""
    tags = _tags(settings, bulletin)
    tag_key = hashlib.sha256(json.dumps(tags, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    return public_dir(settings) / "mp3" / f"{render_sha256[:32]}-{tag_key[:12]}-v{MEDIA_VERSION}.mp3"


def mp3_ready(settings: Settings, session: Session, bulletin: Bulletin) -> bool:
    """Whether the bulletin's MP3 is made for its current text and settings (no numpy, no render:
    the station asks this to know which MP3s its render worker should make)."""
    from audio.plan import find_render
    from broadcaster.programs import bulletin_items, cache_dir, render_settings

    try:
        found = find_render(bulletin_items(settings, bulletin), render_settings(settings, session),
                            cache_dir(settings), verify=False)
    except Exception:  # noqa: BLE001 - unknown: let the worker make it and say what is wrong
        return False
    return found is not None and mp3_path(settings, bulletin, found.sha256).is_file()


def _encode_mp3(wav: Path, dest: Path, tags: dict[str, str]) -> None:
    tmp = _atomic_target(dest)
    metadata: list[str] = []
    for name, value in tags.items():
        metadata += ["-metadata", f"{name}={value}"]
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(wav),
            "-map_metadata", "-1", *metadata, "-id3v2_version", "3",
            "-ac", "1", "-ar", str(MP3_SAMPLE_RATE), "-c:a", "libmp3lame", "-b:a", MP3_BITRATE,
            "-f", "mp3", str(tmp)]
    try:
        proc = subprocess.run(args, capture_output=True, check=False, timeout=300)
        if proc.returncode != 0 or tmp.stat().st_size == 0:
            detail = proc.stderr.decode("utf-8", "replace").strip()[-300:]
            raise MediaUnavailable(f"Không mã hoá được MP3: {detail or 'ffmpeg không báo lỗi'}")
        _publish_file(tmp, dest)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MediaUnavailable(f"Không chạy được ffmpeg để tạo MP3: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


# ------------------------------------------------------------------ images


def _font(size: int, bold: bool = False):  # type: ignore[no-untyped-def]
    from PIL import ImageFont

    return ImageFont.truetype(str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size)


def _wrap(draw, text: str, font, width: int, max_lines: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Greedy word wrap to ``width`` pixels; the last line ends with "…" when text is left over."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if not current or draw.textlength(trial, font=font) <= width:
            current = trial
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while " " in last and draw.textlength(last + " …", font=font) > width:
            last = last.rsplit(" ", 1)[0]
        lines[-1] = last + " …"
    return lines


def _loudspeaker(draw, x: int, y: int, size: int) -> None:  # type: ignore[no-untyped-def]
    """A horn loudspeaker with sound waves, the sign of the commune station."""
    s = size / 100
    draw.rectangle([x, y + 35 * s, x + 18 * s, y + 65 * s], fill=GOLD)
    draw.polygon([(x + 18 * s, y + 35 * s), (x + 60 * s, y + 10 * s), (x + 60 * s, y + 90 * s),
                  (x + 18 * s, y + 65 * s)], fill=GOLD)
    for radius in (22, 38):
        box = [x + 60 * s - radius * s, y + 50 * s - radius * s,
               x + 60 * s + radius * s, y + 50 * s + radius * s]
        draw.arc(box, start=-45, end=45, fill=GOLD, width=max(3, int(6 * s)))


def _draw_card(size: tuple[int, int], commune: str, title: str, footer: str) -> bytes:
    from io import BytesIO

    from PIL import Image, ImageDraw

    width, height = size
    image = Image.new("RGB", size, GREEN)
    draw = ImageDraw.Draw(image)
    margin = int(width * 0.06)
    band = int(height * 0.2) if height < width else int(height * 0.16)
    draw.rectangle([0, 0, width, band], fill=(14, 70, 44))
    _loudspeaker(draw, margin, int(band * 0.15), int(band * 0.7))
    head_x = margin + int(band * 0.95)
    head = station_name(commune).upper()
    head_size = int(band * 0.3)
    head_font = _font(head_size, bold=True)
    while head_size > 12 and draw.textlength(head, font=head_font) > width - head_x - margin:
        head_size -= 2
        head_font = _font(head_size, bold=True)
    draw.text((head_x, band // 2), head, font=head_font, fill=INK, anchor="lm")
    draw.rectangle([0, band, width, band + 8], fill=GOLD)
    title_size = int(height * (0.085 if height < width else 0.075))
    title_font = _font(title_size, bold=True)
    lines = _wrap(draw, title, title_font, width - 2 * margin, 4 if height < width else 7)
    y = band + int(height * 0.08)
    for line in lines:
        draw.text((margin, y), line, font=title_font, fill=INK)
        y += int(title_size * 1.25)
    foot_font = _font(int(title_size * 0.55))
    draw.text((margin, height - margin), footer, font=foot_font, fill=(220, 235, 225), anchor="ls")
    out = BytesIO()
    image.quantize(colors=32).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _cached_image(settings: Settings, kind: str, size: tuple[int, int], commune: str, title: str,
                  footer: str) -> Path:
    key = hashlib.sha256(json.dumps([MEDIA_VERSION, kind, size, commune, title, footer],
                                    ensure_ascii=False).encode("utf-8")).hexdigest()
    dest = public_dir(settings) / "img" / f"{kind}-{key[:32]}.png"
    if dest.is_file():
        return dest
    try:
        data = _draw_card(size, commune, title, footer)
    except (OSError, ValueError) as exc:
        raise MediaUnavailable(f"Không vẽ được ảnh chia sẻ: {exc}") from None
    tmp = _atomic_target(dest)
    try:
        tmp.write_bytes(data)
        _publish_file(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def share_image(settings: Settings, title: str, footer: str) -> Path:
    """The 1200×630 Open Graph PNG for a page titled ``title``."""
    return _cached_image(settings, "share", SHARE_SIZE, str(settings.commune.name), title, footer)


def cover_image(settings: Settings) -> Path:
    """The square cover for the podcast feed and the site's own preview."""
    commune = str(settings.commune.name)
    return _cached_image(settings, "cover", COVER_SIZE, commune, f"Bản tin {commune}",
                         "Nghe lại bản tin trên loa truyền thanh")
