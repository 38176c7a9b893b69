"""``public``: what the public site shows, and a campaign's printable poster."""
from __future__ import annotations

import argparse
from pathlib import Path

from broadcaster import publishing
from broadcaster.cli.common import (
    Commands,
    command,
    command_group,
    context,
    print_json,
    write_output,
)
from broadcaster.errors import ValidationError


def register(subparsers: Commands) -> None:
    sub = command_group(subparsers, "public", "trang công khai: bản tin đã đăng, áp phích")
    lst = command(sub, "list", "liệt kê bản tin đang đăng công khai (mới nhất trước)", cmd_public_list)
    lst.add_argument("--campaign", type=int, help="chỉ bản tin của chiến dịch này")
    command(sub, "render", "tạo sẵn MP3 của các bản tin đang đăng (trang và nguồn tin mở ngay)",
            cmd_public_render)
    poster = command(sub, "poster", "áp phích A4 (PDF) của chiến dịch, có mã QR tới trang công khai",
                     cmd_public_poster)
    poster.add_argument("--campaign", type=int, required=True, help="số chiến dịch")
    poster.add_argument("--out", type=Path, required=True, help="tệp PDF")
    poster.add_argument("--base-url", help="địa chỉ trang công khai (mặc định: public.base_url)")


def _base_url(settings: object, given: str | None) -> str:
    if given:
        if not given.startswith(("http://", "https://")):
            raise ValidationError("--base-url phải bắt đầu bằng http:// hoặc https://")
        return given.rstrip("/")
    return publishing.configured_base_url(settings) or publishing.panel_base_url(settings)  # type: ignore[arg-type]


def cmd_public_list(args: argparse.Namespace) -> int:
    ctx = context()
    base = _base_url(ctx.settings, None)
    with ctx.session() as session:
        publishing.refresh_all_airings(session)
        rows = [{
            "id": p.bulletin.id, "title": p.bulletin.title, "url": base + publishing.public_path(p.bulletin),
            "campaign_id": p.bulletin.campaign_id, "priority": p.bulletin.priority,
            "status": p.bulletin.status,
            "approved_at": p.bulletin.approved_at.isoformat() if p.bulletin.approved_at else None,
            "first_aired": p.first_aired.isoformat() if p.first_aired else None,
            "last_aired": p.last_aired.isoformat() if p.last_aired else None,
            "times_aired": p.times_aired,
        } for p in publishing.list_published(session, campaign_id=args.campaign, limit=100_000)]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("Chưa có bản tin nào được đăng công khai.")
    for row in rows:
        aired = f"phát {row['times_aired']} lần" if row["times_aired"] else "chưa phát"
        print(f"{row['id']:>5}  {row['title']}  ({aired})  {row['url']}")
    return 0


def cmd_public_poster(args: argparse.Namespace) -> int:
    from broadcaster.poster import poster_bytes

    ctx = context()
    base = _base_url(ctx.settings, args.base_url)
    settings = ctx.settings
    with ctx.session() as session:
        campaign = publishing.get_campaign(session, args.campaign)
        url = base + publishing.campaign_path(campaign.id)
        recent = [p.bulletin.title for p in publishing.list_published(session, campaign_id=campaign.id, limit=5)]
        data = poster_bytes(
            issuer=str(settings.commune.issuer), commune=str(settings.commune.name),
            name=campaign.name, starts_on=campaign.starts_on, ends_on=campaign.ends_on,
            theme=campaign.theme or "", url=url, recent=recent,
        )
    write_output(args.out, data)
    if args.json:
        print_json({"path": str(args.out), "url": url})
    else:
        print(f"Đã tạo áp phích {args.out}; mã QR mở {url}")
    return 0


def cmd_public_render(args: argparse.Namespace) -> int:
    """Make every published bulletin's MP3 now (after an upgrade, or from a timer at night)."""
    import time

    from broadcaster.public_media import MediaUnavailable, bulletin_mp3

    ctx = context()
    done: list[dict[str, object]] = []
    failed: list[dict[str, object]] = []
    with ctx.session() as session:
        for row in publishing.list_published(session, limit=100_000):
            start = time.monotonic()
            try:
                mp3 = bulletin_mp3(ctx.settings, session, row.bulletin)
            except MediaUnavailable as exc:
                failed.append({"id": row.bulletin.id, "error": str(exc)})
                continue
            done.append({"id": row.bulletin.id, "bytes": mp3.size_bytes, "seconds": mp3.seconds,
                         "took_s": round(time.monotonic() - start, 2)})
    if args.json:
        print_json({"rendered": done, "failed": failed})
    else:
        print(f"Đã có MP3 của {len(done)} bản tin")
        for failure in failed:
            print(f"  bản tin số {failure['id']}: {failure['error']}")
    if failed:
        raise ValidationError(f"{len(failed)} bản tin chưa tạo được MP3 (xem danh sách ở trên)")
    return 0
