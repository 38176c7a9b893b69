"""Every page of the panel, as each role sees it, says things in Vietnamese and shows no internals.

Issue 12 listed what had leaked in front of users — "jingle", "speech", "espeak", occurrence keys
such as "slot-8@2026-12-02", "main (pulse:loaxa)", command-line flags ("(--zone)"), UTC times,
dotted decimals ("5.7/72.1 giây"), the stored English values of statuses and roles. Each was
mended where it was seen; this walks the whole panel instead, so a new page or a new field that
shows a raw value is caught: a station filled with the demo content, entries of every status
(with jingles, spoken items and items written without a readable length), a village receiver
that uploaded the same, and one account per role, each following every link it is shown (a few
of each kind of page), reading the text a person sees (tags, scripts and styles left out;
titles, placeholders and labels kept).
"""
from __future__ import annotations

import collections
import datetime as dt
import html
import re
from pathlib import Path
from typing import Any

import pytest
from web_helpers import post

from broadcaster import evidence, receivers
from broadcaster.context import open_context
from broadcaster.demo import load_demo
from broadcaster.models import ROLES, ReceiverEvidence
from broadcaster.users import add_user

#: What must never be read on a page: internals, English and the stored (English) values.
LEAKS = re.compile(
    r"\b(jingle|speech|espeak|gtts|pulse:|slot-\d+@|UTC|None|True|False|null|undefined|NaN"
    r"|Traceback|Exception|Internal Server Error|Not Found"
    r"|draft|submitted|approved|rejected|archived|completed|interrupted|failed|missed|pending"
    r"|normal|priority|emergency|once|daily|admin|editor|approver|village|office"
    r"|Submit|Save|Delete|Cancel|Login|Logout|Search)\b"
    r"|\(--[a-z]|\s--[a-z][a-z-]+"
    r"|\d\.\d+ ?(giây|phút|s\b)|\d\.\d+/\d"
    r"|Nguyên vẹn: Nhật ký nguyên vẹn"
)
#: Files and actions, not pages to read.
NOT_PAGES = re.compile(r"\.(mp3|ogg|wav|pdf|xlsx|csv|docx|json|xml|png|svg)(\?|$)|/logout|^/static/|^/api/")
PER_KIND = 4
PASSWORD = "matkhau-{}-123"


def visible_text(page: str) -> str:
    """What a reader of the page sees or hears from a screen reader."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    labels = " ".join(re.findall(r'(?:title|placeholder|aria-label|alt)="([^"]*)"', page))
    return html.unescape(re.sub(r"(?s)<[^>]+>", " ", page) + " " + labels)


def _kind(url: str) -> str:
    path, _, query = url.partition("?")
    return re.sub(r"\d+", "N", path) + ("?" if query else "")


@pytest.fixture
def station(home: Path) -> Any:
    ctx = open_context(home)
    when = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(days=1)
    with ctx.session() as session:
        load_demo(session, ctx.settings)
        for role in ROLES:
            add_user(session, f"u{role}", role, PASSWORD.format(role),
                     zone_name="Thôn Đông" if role == "village" else None)
        box = receivers.add_receiver(session, ctx.settings, "thon-dong-1", "Thôn Đông").receiver
        # As a station writes them, then one without its length and one with a length no one can
        # read (entries keep what was written; their page must still open).
        items = [{"kind": "jingle", "title": "Nhạc hiệu", "seconds": 4.2},
                 {"kind": "speech", "title": "Tin sáng", "engine": "espeak", "seconds": 61.3},
                 {"kind": "pause", "title": ""},
                 {"kind": "jingle", "title": "Nhạc kết", "seconds": "không rõ"}]
        for n, (status, seconds, reason) in enumerate([
                ("completed", 72.1, ""),
                ("interrupted", 5.7, "Bị ngắt để phát bản tin khẩn cấp"),
                ("failed", 0.0, "Không mở được thiết bị âm thanh"),
                ("missed", 0.0, "Trạm phát không chạy lúc đến giờ")]):
            at = when + dt.timedelta(hours=n)
            played = status in ("completed", "interrupted")
            evidence.append_entry(
                session, occurrence_key=f"slot-1@{(when + dt.timedelta(days=n)).date().isoformat()}",
                status=status, scheduled_at=at, started_at=at if played else None,
                ended_at=at + dt.timedelta(seconds=seconds) if played else None, reason=reason,
                seconds_played=seconds, title="Bản tin sáng", category="Thông báo", zone="Thôn Đông",
                output="main", host="tram-xa", items=items, slot_id=1,
                priority="emergency" if n == 1 else "normal")
            # What the village box aired, as it uploaded it (its own chain, shown beside the commune's).
            session.add(ReceiverEvidence(
                receiver_id=box.id, seq=n + 1, occurrence_key=f"slot-2@{at.date().isoformat()}",
                recorded_at=at, prev_hash="0" * 64, hash=f"{n + 1:064x}", status=status,
                scheduled_at=at, started_at=at if played else None,
                ended_at=at + dt.timedelta(seconds=seconds) if played else None, reason=reason,
                seconds_played=seconds, title="Tin thôn Đông", zone="Thôn Đông", output="main",
                host="thon-dong-1", items=items, slot_id=2))
    yield ctx
    ctx.dispose()


def _crawl(app: Any, role: str) -> tuple[set[str], dict[str, set[str]]]:
    client = app.test_client()
    answer = post(client, "/login", {"name": f"u{role}", "password": PASSWORD.format(role)})
    assert answer.status_code == 302, (role, answer.status_code)
    queue = collections.deque([answer.headers["Location"], "/"])
    seen: set[str] = set()
    per_kind: collections.Counter[str] = collections.Counter()
    leaks: dict[str, set[str]] = collections.defaultdict(set)
    while queue:
        url = queue.popleft()
        if url in seen or NOT_PAGES.search(url) or per_kind[_kind(url)] >= PER_KIND:
            continue
        seen.add(url)
        per_kind[_kind(url)] += 1
        response = client.get(url)
        if response.status_code in (301, 302, 303):
            queue.append(response.headers["Location"])
            continue
        if response.status_code >= 400:
            leaks[f"HTTP {response.status_code}"].add(url)
            continue
        if "text/html" not in response.headers.get("Content-Type", ""):
            continue
        page = response.get_data(as_text=True)
        for found in LEAKS.finditer(visible_text(page)):
            leaks[found.group(0)].add(url)
        for href in re.findall(r'href="([^"#]+)"', page):
            href = html.unescape(href)
            if href.startswith("/") and not href.startswith("//"):
                queue.append(href)
    return seen, leaks


@pytest.mark.parametrize("role", ROLES)
def test_no_page_shows_a_user_english_or_internals(station: Any, role: str) -> None:
    from web import create_app

    app = create_app(context=station)
    seen, leaks = _crawl(app, role)
    kinds = {_kind(url) for url in seen}
    # The walk reached the pages of the role's work, so an empty walk cannot pass.
    expected = {"/bulletins", "/logs", "/logs/N", "/logs/receivers/thon-dong-N/N", "/schedule", "/schedule/N",
                "/village-reports"}
    expected |= {"admin": {"/admin/users", "/admin/zones", "/receivers"}, "editor": {"/bulletins/N/edit"},
                 "approver": {"/bulletins/N"}, "office": {"/receivers"}, "village": set()}[role]
    assert expected <= kinds, sorted(expected - kinds)
    assert not leaks, {word: sorted(urls)[:3] for word, urls in leaks.items()}


def test_the_walk_sees_a_leak_where_there_is_one() -> None:
    page = ('<p title="Tệp speech">Đã phát 5.7/72.1 giây</p><script>var x = null;</script>'
            '<td>slot-8@2026-12-02</td><span>main (pulse:loaxa)</span>')
    found = {m.group(0) for m in LEAKS.finditer(visible_text(page))}
    assert found == {"speech", "5.7/7", "2.1 giây", "slot-8@", "pulse:"}, found
    assert not LEAKS.search(visible_text("<p>Đã phát 5,7/72,1 giây lúc 06:00 Thứ Hai 07/12/2026</p>"))
