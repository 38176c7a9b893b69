"""The RSS 2.0 podcast feed of published bulletins, written with lxml.

Why by hand: feedgen (the usual library) is not installable offline here, and the format is
small. What podcast apps and the commune portal need is all here: a channel with title, link,
description, language, an ``atom:link rel="self"``, the iTunes tags Apple Podcasts and most apps
read (author, summary, image, category, explicit, type); and per bulletin an item with a
permanent ``guid``, an RFC 822 ``pubDate``, the text as written, and an ``enclosure`` with the
MP3's exact length in bytes and its type, plus ``itunes:duration``.

lxml escapes every text and attribute, so a title with ``<script>`` or ``&`` stays text.
"""
from __future__ import annotations

import datetime as dt
import email.utils
from dataclasses import dataclass, field
from typing import Sequence

from lxml import etree

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ATOM = "http://www.w3.org/2005/Atom"
NSMAP = {"itunes": ITUNES, "atom": ATOM}
GENERATOR = "Loa xã (đài truyền thanh cơ sở)"


@dataclass(frozen=True)
class Enclosure:
    url: str
    length: int
    type: str = "audio/mpeg"
    seconds: float = 0.0


@dataclass(frozen=True)
class FeedItem:
    title: str
    link: str
    guid: str
    published: dt.datetime
    text: str
    summary: str
    enclosure: Enclosure | None
    categories: Sequence[str] = ()


@dataclass(frozen=True)
class Channel:
    title: str
    link: str
    self_url: str
    description: str
    author: str
    image_url: str
    language: str = "vi"
    category: str = "Government"
    updated: dt.datetime | None = None
    keywords: Sequence[str] = field(default_factory=tuple)


def rfc822(value: dt.datetime) -> str:
    """RSS dates: 'Tue, 01 Dec 2026 00:30:00 +0000' (RFC 822 with a four-digit year)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return email.utils.format_datetime(value.astimezone(dt.timezone.utc))


def itunes_duration(seconds: float) -> str:
    total = max(0, int(round(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def build_feed(channel: Channel, items: Sequence[FeedItem]) -> bytes:
    """The feed document as UTF-8 bytes with its XML declaration."""
    rss = etree.Element("rss", nsmap=NSMAP, version="2.0")
    ch = _sub(rss, "channel")
    _sub(ch, "title", channel.title)
    _sub(ch, "link", channel.link)
    _sub(ch, "description", channel.description)
    _sub(ch, "language", channel.language)
    _sub(ch, "generator", GENERATOR)
    _sub(ch, "docs", "https://www.rssboard.org/rss-specification")
    updated = channel.updated or max((i.published for i in items), default=None)
    if updated is not None:
        _sub(ch, "lastBuildDate", rfc822(updated))
        _sub(ch, "pubDate", rfc822(updated))
    _sub(ch, f"{{{ATOM}}}link", href=channel.self_url, rel="self", type="application/rss+xml")
    image = _sub(ch, "image")
    _sub(image, "url", channel.image_url)
    _sub(image, "title", channel.title)
    _sub(image, "link", channel.link)
    _sub(ch, f"{{{ITUNES}}}author", channel.author)
    _sub(ch, f"{{{ITUNES}}}summary", channel.description)
    _sub(ch, f"{{{ITUNES}}}type", "episodic")
    _sub(ch, f"{{{ITUNES}}}explicit", "false")
    _sub(ch, f"{{{ITUNES}}}image", href=channel.image_url)
    etree.SubElement(ch, f"{{{ITUNES}}}category", {"text": channel.category})
    owner = _sub(ch, f"{{{ITUNES}}}owner")
    _sub(owner, f"{{{ITUNES}}}name", channel.author)
    if channel.keywords:
        _sub(ch, f"{{{ITUNES}}}keywords", ",".join(channel.keywords))
    for item in items:
        it = _sub(ch, "item")
        _sub(it, "title", item.title)
        _sub(it, "link", item.link)
        _sub(it, "guid", item.guid, isPermaLink="true" if item.guid == item.link else "false")
        _sub(it, "pubDate", rfc822(item.published))
        _sub(it, "description", item.text)
        for category in item.categories:
            if category:
                _sub(it, "category", category)
        _sub(it, f"{{{ITUNES}}}title", item.title)
        _sub(it, f"{{{ITUNES}}}summary", item.summary)
        _sub(it, f"{{{ITUNES}}}author", channel.author)
        _sub(it, f"{{{ITUNES}}}explicit", "false")
        _sub(it, f"{{{ITUNES}}}episodeType", "full")
        if item.enclosure is not None:
            _sub(it, "enclosure", url=item.enclosure.url, length=str(int(item.enclosure.length)),
                 type=item.enclosure.type)
            _sub(it, f"{{{ITUNES}}}duration", itunes_duration(item.enclosure.seconds))
    return etree.tostring(rss, xml_declaration=True, encoding="UTF-8", pretty_print=True)
