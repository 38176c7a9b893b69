"""The public site under ``/public/``: read-only, no login, small pages, no script needed.

For residents on a cheap phone over 3G and for links pasted into Zalo groups: the published
bulletins newest first, one page per bulletin with Open Graph tags, an MP3 of each, the RSS
podcast feeds (all, and one per campaign), a campaign page and its printable poster.

Views parse the URL, call :mod:`broadcaster.publishing` (what is published, when it aired),
:mod:`broadcaster.public_media` (MP3, images), :mod:`broadcaster.public_feed` and
:mod:`broadcaster.poster`, and render. Bulletins are found by their random public key only;
anything not published answers 404 exactly like a key that never existed, and no file is ever
named by the request.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from flask import Blueprint, Response, render_template, request, send_file, url_for
from sqlalchemy.exc import SQLAlchemyError

from broadcaster import public_feed, publishing
from broadcaster.errors import NotFoundError
from broadcaster.models import Campaign
from broadcaster.public_media import (
    MediaUnavailable,
    bulletin_mp3,
    cover_image,
    share_image,
)
from web.db import get_session, get_settings

logger = logging.getLogger(__name__)

bp = Blueprint("public", __name__, url_prefix="/public")


@bp.record_once
def _check_base_url(state: Any) -> None:
    """A wrong ``public.base_url`` stops the panel at start, not on the hundredth poster."""
    publishing.configured_base_url(state.app.extensions["broadcaster"].settings)

FEED_ITEMS = 50
#: Seconds a feed request may spend making missing MP3s (about 3-10 bulletins from cold).
FEED_RENDER_BUDGET_S = 20.0
PAGE_CACHE_S = 60
MEDIA_CACHE_S = 600  # an unpublished bulletin must leave caches soon
#: Endpoints that show airings: they first read any new evidence.
_SHOWS_AIRINGS = {"public.index", "public.bulletin", "public.campaign", "public.feed",
                  "public.campaign_feed", "public.poster"}


# ------------------------------------------------------------------ helpers


def external(endpoint: str, **values: Any) -> str:
    """An absolute URL: ``public.base_url`` when set, else the address this request came to.

    Behind a reverse proxy the request's address is the proxy's (``web.proxy_hops`` trusts its
    X-Forwarded-Proto/-Host/-Prefix), so links, feeds and QR codes work either way.
    """
    base = publishing.configured_base_url(get_settings())
    if base is None:
        return url_for(endpoint, _external=True, **values)
    path = url_for(endpoint, **values)
    root = request.script_root
    if root and path.startswith(root):
        path = path[len(root):]
    return base + path


def _commune() -> str:
    return str(get_settings().commune.name)


@bp.context_processor
def _names() -> dict[str, str]:
    commune = _commune()
    return {"commune": commune, "station": publishing.station_name(commune)}


def _cached(response: Response, seconds: int) -> Response:
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    return response


def _not_found(_exc: Exception) -> tuple[str, int]:
    return render_template("public/not_found.html", commune=_commune()), 404


bp.register_error_handler(404, _not_found)
bp.register_error_handler(NotFoundError, _not_found)


@bp.errorhandler(MediaUnavailable)
def _media_unavailable(exc: MediaUnavailable) -> tuple[str, int, dict[str, str]]:
    return (render_template("public/unavailable.html", commune=_commune(), message=str(exc)),
            503, {"Retry-After": "60"})


@bp.before_request
def _read_new_evidence() -> None:
    """Bring "when it aired" up to date; a failure here only means slightly older airings."""
    if request.endpoint not in _SHOWS_AIRINGS:
        return
    session = get_session()
    try:
        publishing.refresh_airings(session)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        logger.warning("trang công khai: chưa đọc được nhật ký mới, dùng số liệu đã có", exc_info=True)


@bp.app_template_filter("summary")
def _summary(text: str, limit: int = 200) -> str:
    return publishing.summary(text, limit)


def _page_arg() -> int:
    page = request.args.get("trang", 1, type=int) or 1
    return min(max(1, page), 10_000)


# ------------------------------------------------------------------ pages


@bp.route("/")
def index() -> Response:
    session = get_session()
    page = _page_arg()
    size = publishing.PAGE_SIZE
    rows = publishing.list_published(session, limit=size + 1, offset=(page - 1) * size)
    html = render_template(
        "public/index.html", rows=rows[:size], page=page, has_more=len(rows) > size,
        commune=_commune(), canonical=external("public.index"),
        feed_url=external("public.feed"), cover_url=external("public.cover"),
    )
    return _cached(Response(html, mimetype="text/html"), PAGE_CACHE_S)


@bp.route("/ban-tin/<key>")
def bulletin(key: str) -> Response:
    session = get_session()
    item = publishing.get_published(session, key)
    b = item.bulletin
    html = render_template(
        "public/bulletin.html", item=item, b=b, commune=_commune(),
        airings=publishing.airings(session, b, limit=10),
        canonical=external("public.bulletin", key=key),
        audio_url=external("public.audio", key=key),
        image_url=external("public.share_image", key=key),
        feed_url=external("public.feed"),
        description=publishing.summary(b.body, 200),
    )
    return _cached(Response(html, mimetype="text/html"), PAGE_CACHE_S)


@bp.route("/ban-tin/<key>/nghe.mp3")
def audio(key: str) -> Response:
    session = get_session()
    item = publishing.get_published(session, key)
    mp3 = bulletin_mp3(get_settings(), session, item.bulletin)
    return send_file(mp3.path, mimetype="audio/mpeg", conditional=True, max_age=MEDIA_CACHE_S,
                     download_name=f"ban-tin-{key}.mp3")


@bp.route("/ban-tin/<key>/anh.png", endpoint="share_image")
def share_image_view(key: str) -> Response:
    session = get_session()
    b = publishing.get_published(session, key).bulletin
    footer = b.category + (f" · {b.campaign.name}" if b.campaign else "")
    path = share_image(get_settings(), b.title, footer)
    return send_file(path, mimetype="image/png", conditional=True, max_age=MEDIA_CACHE_S)


@bp.route("/anh-bia.png")
def cover() -> Response:
    return send_file(cover_image(get_settings()), mimetype="image/png", conditional=True,
                     max_age=MEDIA_CACHE_S)


@bp.route("/chien-dich/<int:campaign_id>")
def campaign(campaign_id: int) -> Response:
    session = get_session()
    c = publishing.get_campaign(session, campaign_id)
    page = _page_arg()
    size = publishing.PAGE_SIZE
    rows = publishing.list_published(session, campaign_id=c.id, limit=size + 1,
                                     offset=(page - 1) * size)
    html = render_template(
        "public/campaign.html", c=c, rows=rows[:size], page=page, has_more=len(rows) > size,
        commune=_commune(), canonical=external("public.campaign", campaign_id=c.id),
        feed_url=external("public.campaign_feed", campaign_id=c.id),
        cover_url=external("public.cover"),
        total=publishing.count_published(session, campaign_id=c.id),
    )
    return _cached(Response(html, mimetype="text/html"), PAGE_CACHE_S)


# ------------------------------------------------------------------ feeds and poster


def _feed_response(channel: public_feed.Channel, rows: list[publishing.Published]) -> Response:
    """The feed; MP3s not made yet are made now, within a time budget.

    A podcast app gives up on a feed that takes minutes. Once the budget is spent (only real
    renders spend it: a made MP3 costs milliseconds), the older items wait for the next fetch
    rather than appearing without their sound.
    """
    settings = get_settings()
    session = get_session()
    items = []
    deadline = time.monotonic() + FEED_RENDER_BUDGET_S
    for index, row in enumerate(rows):
        if index and time.monotonic() > deadline:  # the newest item always gets its sound
            logger.info("nguồn tin: %d bản tin cũ hơn chờ lần tải sau (đang tạo MP3)", len(rows) - index)
            break
        b = row.bulletin
        try:
            mp3 = bulletin_mp3(settings, session, b)
            enclosure = public_feed.Enclosure(url=external("public.audio", key=row.key),
                                              length=mp3.size_bytes, seconds=mp3.seconds)
        except MediaUnavailable as exc:
            logger.warning("nguồn tin: bản tin số %s chưa có MP3: %s", b.id, exc)
            enclosure = None
        link = external("public.bulletin", key=row.key)
        items.append(public_feed.FeedItem(
            title=b.title, link=link, guid=link, published=row.when, text=b.body,
            summary=publishing.summary(b.body, 400), enclosure=enclosure,
            categories=[b.category] + ([b.campaign.name] if b.campaign else []),
        ))
    response = Response(public_feed.build_feed(channel, items),
                        mimetype="application/rss+xml")
    response.headers["Content-Type"] = "application/rss+xml; charset=utf-8"
    response.add_etag()
    _cached(response, PAGE_CACHE_S)
    response.make_conditional(request)  # 304 for a podcast app that already has this version
    return response


@bp.route("/feed.xml")
def feed() -> Response:
    commune = _commune()
    channel = public_feed.Channel(
        title=f"Bản tin {commune}", link=external("public.index"),
        self_url=external("public.feed"),
        description=f"Các bản tin {publishing.station_name(commune)} đã phát trên loa: đọc và nghe lại.",
        author=str(get_settings().commune.issuer), image_url=external("public.cover"),
    )
    rows = publishing.list_published(get_session(), limit=FEED_ITEMS)
    return _feed_response(channel, rows)


@bp.route("/chien-dich/<int:campaign_id>/feed.xml")
def campaign_feed(campaign_id: int) -> Response:
    session = get_session()
    c = publishing.get_campaign(session, campaign_id)
    commune = _commune()
    channel = public_feed.Channel(
        title=f"{c.name} — {commune}", link=external("public.campaign", campaign_id=c.id),
        self_url=external("public.campaign_feed", campaign_id=c.id),
        description=(c.theme or f"Bản tin chiến dịch {c.name} của {publishing.station_name(commune)}."),
        author=str(get_settings().commune.issuer), image_url=external("public.cover"),
        keywords=(c.name,),
    )
    rows = publishing.list_published(session, campaign_id=c.id, limit=FEED_ITEMS)
    return _feed_response(channel, rows)


@bp.route("/chien-dich/<int:campaign_id>/ap-phich.pdf")
def poster(campaign_id: int) -> Response:
    from broadcaster.poster import poster_bytes

    session = get_session()
    c: Campaign = publishing.get_campaign(session, campaign_id)
    settings = get_settings()
    recent = [row.bulletin.title for row in publishing.list_published(session, campaign_id=c.id, limit=5)]
    data = poster_bytes(
        issuer=str(settings.commune.issuer), commune=_commune(), name=c.name,
        starts_on=c.starts_on, ends_on=c.ends_on, theme=c.theme or "",
        url=external("public.campaign", campaign_id=c.id), recent=recent,
    )
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="ap-phich-chien-dich-{c.id}.pdf"'
    return _cached(response, PAGE_CACHE_S)
