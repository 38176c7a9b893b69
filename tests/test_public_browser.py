"""The public site in a real browser, as a resident on a phone sees it, after a real broadcast.

The station daemon airs a scheduled bulletin on the PulseAudio null sink; the evidence it writes is
what the public page shows as "when it aired". Debian's chromium visits without logging in and with
JavaScript off (the site must not need it): published present, private absent and 404, the Open
Graph tags a Zalo preview reads, the feed and its enclosures, the poster's QR code.
"""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from playwright.sync_api import sync_playwright
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, served, station_daemon  # noqa: F401
from test_public import decode_qr, make_campaign

pytestmark = [pytest.mark.browser, pytest.mark.sound, pytest.mark.slow]

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PUBLISHED = "Ra quân Ngày Chuyển đổi số quốc gia"
PUBLISHED_TEXT = "Sáng Chủ nhật, đoàn thanh niên hướng dẫn bà con cài VNeID tại nhà văn hóa."


@pytest.fixture
def phone() -> Iterator[Any]:
    """A visitor's phone: a small screen, Vietnamese, no login, JavaScript switched off."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chưa cài chromium: chạy scripts/test để cài đủ phụ thuộc")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN",
                                      java_script_enabled=False, is_mobile=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def run_cli(home: Path, *args: str) -> str:
    import os
    import sys

    env = dict(os.environ, BROADCASTER_HOME=str(home), BROADCASTER_TTS_ENGINES="espeak")
    proc = subprocess.run([sys.executable, "-m", "broadcaster", *args], capture_output=True,
                          text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def add(home: Path, title: str, text: str, *extra: str) -> int:
    return int(json.loads(run_cli(home, "bulletin", "add", "--title", title, "--text", text,
                                  "--json", *extra))["id"])


def wait_for_airing(home: Path, timeout_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        entries = json.loads(run_cli(home, "log", "list", "--json"))
        done = [e for e in entries if e["status"] == "completed"]
        if done:
            return done[0]
        failed = [e for e in entries if e["status"] in ("failed", "missed")]
        assert not failed, failed
        time.sleep(1)
    log = (home / "station-browser.log").read_text(encoding="utf-8", errors="replace")[-3000:]
    pytest.fail(f"trạm phát chưa phát xong bản tin sau {timeout_s:.0f} giây:\n{log}")


def test_a_resident_reads_and_hears_what_aired(served: str, home: Path, phone: Any,  # noqa: F811
                                               station_daemon: subprocess.Popen[bytes],  # noqa: F811
                                               tmp_path: Path) -> None:
    from broadcaster.context import open_context

    base, page = served, phone
    ctx = open_context(home)
    try:
        campaign = make_campaign(ctx)
    finally:
        ctx.dispose()
    published = add(home, PUBLISHED, PUBLISHED_TEXT, "--approve", "--campaign", str(campaign))
    private = {
        "draft": add(home, "Bản nháp chưa duyệt", "Nội dung nháp."),
        "village": add(home, "Thông báo riêng thôn Đông", "Họp thôn.", "--zone", "Thôn Đông", "--approve"),
        "unpublished": add(home, "Tin không đăng công khai", "Chỉ phát loa.", "--no-public", "--approve"),
    }
    at = (dt.datetime.now(TZ) + dt.timedelta(seconds=12)).strftime("%Y-%m-%d %H:%M:%S")
    run_cli(home, "schedule", "add", "--bulletin", str(published), "--at", at, "--no-greeting",
            "--name", "Bản tin chuyển đổi số")
    entry = wait_for_airing(home)
    aired = dt.datetime.fromisoformat(entry["started_at"]).astimezone(TZ)

    # The list: what aired, when the evidence says, with its campaign and a player.
    response = page.goto(f"{base}/public/")
    assert response is not None and response.status == 200
    item = page.locator("article", has_text=PUBLISHED)
    item_text = " ".join(item.inner_text().split())
    assert f"Phát trên loa lúc {aired:%H:%M}, " in item_text and f"{aired:%d/%m/%Y}" in item_text, item_text
    assert "bà con cài VNeID" in item_text and "Ngày Chuyển đổi số quốc gia 10/10" in item_text
    assert item.locator("audio[controls]").count() == 1
    body = page.inner_text("body")
    for title in ("Bản nháp chưa duyệt", "Thông báo riêng thôn Đông", "Tin không đăng công khai"):
        assert title not in body, f"{title} hiện trên trang công khai"
    page.screenshot(path=str(ARTIFACTS / "public-01-danh-sach.png"), full_page=True)

    # One page per bulletin, with the tags a Zalo or Facebook preview reads.
    page.click(f"text={PUBLISHED}")
    page.wait_for_selector("h1")
    url = page.url
    og = {prop: page.get_attribute(f'meta[property="{prop}"]', "content")
          for prop in ("og:title", "og:description", "og:image", "og:url", "og:type")}
    assert og["og:title"] == PUBLISHED and og["og:url"] == url and og["og:type"] == "article"
    assert og["og:description"].startswith("Sáng Chủ nhật, đoàn thanh niên")
    image = page.request.get(og["og:image"])
    assert image.status == 200 and image.headers["content-type"] == "image/png"
    assert image.body()[:8] == b"\x89PNG\r\n\x1a\n"
    page.screenshot(path=str(ARTIFACTS / "public-02-ban-tin.png"), full_page=True)
    mp3_url = page.locator("audio").get_attribute("src")
    mp3 = page.request.get(f"{base}{mp3_url}")
    assert mp3.status == 200 and mp3.headers["content-type"] == "audio/mpeg"

    # Private bulletins: their public addresses answer 404, for the page and the sound.
    from broadcaster.models import Bulletin

    ctx = open_context(home)
    try:
        with ctx.session() as session:
            keys = {name: session.get(Bulletin, bid).public_key for name, bid in private.items()}
    finally:
        ctx.dispose()
    for name, key in keys.items():
        response = page.goto(f"{base}/public/ban-tin/{key}")
        assert response is not None and response.status == 404, name
        assert "Không tìm thấy" in page.inner_text("h1")
        assert page.request.get(f"{base}/public/ban-tin/{key}/nghe.mp3").status == 404

    # The podcast feed parses and its enclosures download at the stated length.
    feed = page.request.get(f"{base}/public/feed.xml")
    assert feed.status == 200
    channel = etree.fromstring(feed.body()).find("channel")
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == [PUBLISHED]
    enclosure = items[0].find("enclosure")
    download = page.request.get(enclosure.get("url"))
    assert download.status == 200 and len(download.body()) == int(enclosure.get("length"))
    assert enclosure.get("type") == "audio/mpeg" and items[0].findtext(f"{{{ITUNES}}}duration")
    assert items[0].findtext("link") == url

    # The campaign's poster: its QR code opens the campaign's page.
    page.goto(f"{base}/public/chien-dich/{campaign}")
    poster_link = page.locator("a", has_text="Áp phích").get_attribute("href")
    poster = page.request.get(f"{base}{poster_link}")
    assert poster.status == 200 and poster.headers["content-type"] == "application/pdf"
    codes = decode_qr(poster.body(), tmp_path)
    assert codes == [f"{base}/public/chien-dich/{campaign}"], codes
    response = page.goto(codes[0])
    assert response is not None and response.status == 200 and PUBLISHED in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / "public-03-chien-dich.png"), full_page=True)
