"""The public site as a visitor meets it: what is published, when it aired, feeds, previews, posters.

Airings come from evidence entries written the way the station writes them: the bulletin is
rendered through the real pipeline and the render's item records (``station.render._records``)
become the entry's items.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from lxml import html as lxml_html
from web_helpers import ZONE, post

pytest_plugins = ["web_fixtures"]


TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ATOM = "http://www.w3.org/2005/Atom"
PUBLISHED = "Tiêm phòng dại cho chó mèo"
PUBLISHED_TEXT = "UBND xã thông báo: ngày 15/3/2025 lúc 7h30 tiêm phòng dại cho chó mèo tại nhà văn hóa."


# ------------------------------------------------------------------ helpers


def add(cli: Callable[..., Any], title: str, text: str, *extra: str) -> int:
    result = cli("bulletin", "add", "--title", title, "--text", text, "--json", *extra)
    assert result.exit_code == 0, result.output
    return int(json.loads(result.stdout)["id"])


def key_of(ctx: Any, bulletin_id: int) -> str:
    from broadcaster.models import Bulletin

    with ctx.session() as session:
        return str(session.get(Bulletin, bulletin_id).public_key)


def air(ctx: Any, bulletin_id: int, started: dt.datetime, status: str = "completed") -> None:
    """One broadcast of the bulletin, rendered and logged exactly as the station logs it."""
    from audio.compose import render_program
    from broadcaster import evidence
    from broadcaster.models import Bulletin
    from broadcaster.programs import bulletin_items, cache_dir, render_settings
    from broadcaster.station.render import evidence_items as _records

    with ctx.session() as session:
        bulletin = session.get(Bulletin, bulletin_id)
        result = render_program(bulletin_items(ctx.settings, bulletin),
                                render_settings(ctx.settings, session), cache_dir(ctx.settings))
        items = _records(result)
        evidence.append_entry(
            session, occurrence_key=f"test-{bulletin_id}-{started.isoformat()}", status=status,
            scheduled_at=started, started_at=started,
            ended_at=started + dt.timedelta(seconds=result.seconds),
            seconds_played=result.seconds if status == "completed" else 1.0,
            title=bulletin.title, category=bulletin.category, items=items, output="main",
            now=started,
        )


def page_tree(response: Any) -> Any:
    return lxml_html.fromstring(response.get_data(as_text=True))


def visible_text(response: Any) -> str:
    return " ".join(page_tree(response).text_content().split())


def meta(tree: Any, prop: str) -> str | None:
    found = tree.xpath(f'//meta[@property="{prop}"]/@content')
    return found[0] if found else None


def make_campaign(ctx: Any, name: str = "Ngày Chuyển đổi số quốc gia 10/10") -> int:
    from broadcaster.models import Campaign

    with ctx.session() as session:
        campaign = Campaign(name=name, theme="Chuyển đổi số toàn dân, toàn diện",
                            starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2026, 10, 31))
        session.add(campaign)
        session.flush()
        return campaign.id


# ------------------------------------------------------------------ the editor's choice


def test_publishing_is_on_for_commune_wide_and_off_for_village_notices(web_app: Any, ctx: Any,
                                                                       cli: Any) -> None:
    from broadcaster.models import Bulletin

    normal = add(cli, "Bản tin toàn xã", "Nội dung toàn xã.")
    urgent = add(cli, "Cảnh báo bão", "Bão số 3 sắp đổ bộ.", "--priority", "emergency")
    village = add(cli, "Họp thôn Đông", "Họp thôn tối nay.", "--zone", ZONE)
    kept = add(cli, "Không đăng", "Chỉ phát trên loa.", "--no-public")
    refused = cli("bulletin", "add", "--title", "Họp thôn", "--text", "Họp.", "--zone", ZONE, "--public")
    assert refused.exit_code != 0
    assert "không đăng công khai được" in refused.stderr, refused.stderr
    assert refused.stderr.count("\n") == 1, "một dòng báo lỗi"
    with ctx.session() as session:
        public = {b.id: b.public for b in session.query(Bulletin)}
    assert public == {normal: True, urgent: True, village: False, kept: False}
    listed = json.loads(cli("bulletin", "list", "--json").stdout)
    assert {row["id"]: row["public"] for row in listed} == public


def test_panel_form_has_the_checkbox_on_by_default_and_ignores_it_for_a_village(
        web_app: Any, ctx: Any, login_as: Any) -> None:
    from broadcaster.models import Bulletin, Zone

    editor = login_as("editor")
    form = page_tree(editor.get("/bulletins/new"))
    box = form.xpath('//input[@name="public"]')
    assert box and box[0].get("type") == "checkbox" and box[0].get("checked") is not None
    with ctx.session() as session:
        zone_id = session.query(Zone).filter_by(name=ZONE).one().id
    cases = [({"public": "1"}, True), ({}, False), ({"public": "1", "zone_id": str(zone_id)}, False)]
    for extra, expected in cases:
        data = {"title": f"Tin {expected} {extra}", "body": "Nội dung bản tin.", "priority": "normal",
                "category": "Thông báo", **extra}
        response = post(editor, "/bulletins/new", data)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        with ctx.session() as session:
            stored = session.query(Bulletin).filter_by(title=data["title"]).one()
            assert stored.public is expected, (extra, stored.public)
    # Unticking on edit unpublishes without sending an approved bulletin back to draft.
    with ctx.session() as session:
        target = session.query(Bulletin).filter_by(public=True).first()
        target.status, target.approved_at = "approved", dt.datetime.now(dt.timezone.utc)
        target_id, title, body = target.id, target.title, target.body
    response = post(editor, f"/bulletins/{target_id}/edit",
                    {"title": title, "body": body, "priority": "normal", "category": "Thông báo"})
    assert response.status_code == 302
    with ctx.session() as session:
        target = session.get(Bulletin, target_id)
        assert target.public is False and target.status == "approved"


# ------------------------------------------------------------------ who sees what


def test_visitor_sees_published_bulletins_only_and_private_urls_answer_404(
        web_app: Any, client: Any, ctx: Any, cli: Any) -> None:
    published = add(cli, PUBLISHED, PUBLISHED_TEXT, "--approve")
    private = {
        "draft": add(cli, "Bản nháp bí mật", "Chưa duyệt."),
        "submitted": add(cli, "Chờ duyệt bí mật", "Đang chờ."),
        "rejected": add(cli, "Bị từ chối bí mật", "Sai."),
        "village": add(cli, "Thông báo riêng thôn Đông", "Chỉ thôn Đông.", "--zone", ZONE, "--approve"),
        "unpublished": add(cli, "Không đăng công khai", "Chỉ trên loa.", "--no-public", "--approve"),
        "archived": add(cli, "Lưu trữ chưa phát", "Chưa từng phát."),
    }
    assert cli("bulletin", "submit", str(private["submitted"])).exit_code == 0
    assert cli("bulletin", "reject", str(private["rejected"]), "--reason", "Sai số liệu").exit_code == 0
    assert cli("bulletin", "approve", str(private["archived"])).exit_code == 0
    assert cli("bulletin", "archive", str(private["archived"])).exit_code == 0
    with ctx.session() as session:  # even a stale "public" flag never publishes a village notice
        from broadcaster.models import Bulletin

        session.get(Bulletin, private["village"]).public = True

    index = client.get("/public/")
    assert index.status_code == 200
    text = index.get_data(as_text=True)
    assert PUBLISHED in text and "tiêm phòng dại cho chó mèo tại nhà văn hóa" in text
    for name, bulletin_id in private.items():
        from broadcaster.models import Bulletin

        with ctx.session() as session:
            title = session.get(Bulletin, bulletin_id).title
        assert title not in text, f"{name} hiện trên trang công khai"
        key = key_of(ctx, bulletin_id)
        for url in (f"/public/ban-tin/{key}", f"/public/ban-tin/{key}/nghe.mp3",
                    f"/public/ban-tin/{key}/anh.png"):
            response = client.get(url)
            assert response.status_code == 404, (name, url, response.status_code)
            assert title not in response.get_data(as_text=True)
    # Unknown keys and bulletin numbers say the same as private ones.
    unknown = client.get("/public/ban-tin/khong-co-tin-nay")
    assert unknown.status_code == 404 and "Không tìm thấy" in unknown.get_data(as_text=True)
    for bulletin_id in [published, *private.values()]:
        assert client.get(f"/public/ban-tin/{bulletin_id}").status_code == 404
    assert client.get("/public/ban-tin/../../broadcaster.db").status_code == 404
    page = client.get(f"/public/ban-tin/{key_of(ctx, published)}")
    assert page.status_code == 200 and PUBLISHED in page.get_data(as_text=True)
    # A visitor gets no cookie and no script.
    assert "Set-Cookie" not in index.headers and "Set-Cookie" not in page.headers
    assert b"<script" not in index.data and b"<script" not in page.data


def test_when_it_aired_comes_from_the_evidence(web_app: Any, client: Any, ctx: Any, cli: Any) -> None:
    from broadcaster import bulletins
    from broadcaster.models import Bulletin

    first = add(cli, PUBLISHED, PUBLISHED_TEXT, "--approve")
    second = add(cli, "Lịch thu thuế đất", "Thu thuế đất từ ngày 5/12 tại trụ sở UBND xã.", "--approve")
    key = key_of(ctx, first)
    body = client.get(f"/public/ban-tin/{key}").get_data(as_text=True)
    assert "Chưa phát trên loa" in body

    # Approved three hours ago (as if yesterday's work), aired since.
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    with ctx.session() as session:
        for bulletin_id in (first, second):
            session.get(Bulletin, bulletin_id).approved_at = now - dt.timedelta(hours=3)
    aired = now - dt.timedelta(hours=2)
    air(ctx, first, aired)
    air(ctx, first, aired + dt.timedelta(minutes=30), status="interrupted")  # cut off: not aired
    air(ctx, second, aired - dt.timedelta(seconds=30))
    body = visible_text(client.get(f"/public/ban-tin/{key}"))
    local = aired.astimezone(TZ)
    assert f"Phát trên loa lúc {local:%H:%M}, " in body, body
    assert f"{local:%d/%m/%Y}" in body and "lần phát" not in body
    # Newest first: by first airing, so a bulletin aired again does not climb back to the top.
    index = client.get("/public/").get_data(as_text=True)
    assert index.index(PUBLISHED) < index.index("Lịch thu thuế đất")
    again = aired + dt.timedelta(hours=1)
    air(ctx, second, again)
    index = client.get("/public/")
    assert index.get_data(as_text=True).index(PUBLISHED) < index.get_data(as_text=True).index("Lịch thu thuế đất")
    assert f"(2 lần phát, gần nhất {again.astimezone(TZ):%H:%M %d/%m/%Y})" in visible_text(index)
    # A bulletin approved later and not yet aired is newer than both.
    third = add(cli, "Lịch tiêm chủng mở rộng", "Tiêm chủng cho trẻ dưới 5 tuổi.", "--approve")
    index = client.get("/public/").get_data(as_text=True)
    assert index.index("Lịch tiêm chủng mở rộng") < index.index(PUBLISHED)
    assert third

    # Archived after airing: history stays online.
    assert cli("bulletin", "archive", str(second)).exit_code == 0
    assert client.get(f"/public/ban-tin/{key_of(ctx, second)}").status_code == 200

    # The text changes: back to draft, off the site; approved again, the old airings were of
    # another text and are not claimed for this one.
    with ctx.session() as session:
        bulletin = session.get(Bulletin, first)
        bulletins.update_bulletin(session, bulletin, None, body=PUBLISHED_TEXT + " Mang theo sổ tiêm.")
    assert client.get(f"/public/ban-tin/{key}").status_code == 404
    assert cli("bulletin", "approve", str(first)).exit_code == 0
    body = client.get(f"/public/ban-tin/{key}").get_data(as_text=True)
    assert "Chưa phát trên loa" in body and "Mang theo sổ tiêm" in body


# ------------------------------------------------------------------ feeds


def _check_feed(client: Any, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/rss+xml")
    root = etree.fromstring(response.data)  # well-formed XML or this raises
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    for tag in ("title", "link", "description", "language"):
        assert (channel.findtext(tag) or "").strip(), f"kênh thiếu <{tag}>"
    assert channel.find(f"{{{ATOM}}}link").get("rel") == "self"
    assert channel.find(f"{{{ATOM}}}link").get("href").endswith(url)
    assert channel.find(f"{{{ITUNES}}}image").get("href").startswith("http")
    assert channel.find(f"{{{ITUNES}}}category").get("text")
    assert channel.findtext(f"{{{ITUNES}}}explicit") in ("true", "false")
    assert channel.findtext(f"{{{ITUNES}}}author")
    cover = client.get(channel.find(f"{{{ITUNES}}}image").get("href").split("localhost", 1)[1])
    assert cover.status_code == 200 and cover.mimetype == "image/png"
    guids = set()
    for item in channel.findall("item"):
        assert item.findtext("title") and item.findtext("description")
        assert item.findtext("guid") not in guids
        guids.add(item.findtext("guid"))
        email.utils.parsedate_to_datetime(item.findtext("pubDate"))  # RFC 822 or this raises
        enclosure = item.find("enclosure")
        assert enclosure is not None, f"{item.findtext('title')}: thiếu tệp nghe"
        assert enclosure.get("type") == "audio/mpeg"
        assert re.fullmatch(r"\d+", enclosure.get("length") or ""), enclosure.get("length")
        assert re.fullmatch(r"(\d+:)?\d{1,2}:\d{2}", item.findtext(f"{{{ITUNES}}}duration") or "")
    return channel


def _download(client: Any, url: str) -> bytes:
    path = url.split("localhost", 1)[1]
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "audio/mpeg"
    return response.data


def test_feed_parses_and_its_enclosures_download(web_app: Any, client: Any, ctx: Any, cli: Any,
                                                 tmp_path: Path) -> None:
    campaign = make_campaign(ctx)
    in_campaign = add(cli, PUBLISHED, PUBLISHED_TEXT, "--approve", "--campaign", str(campaign))
    add(cli, "Cảnh báo mưa lớn <script>alert(1)</script> & lũ", "Mưa lớn từ đêm nay, "
                "bà con chú ý an toàn.", "--approve", "--priority", "emergency")
    add(cli, "Nháp không được lên", "Chưa duyệt.")
    add(cli, "Thôn Đông họp", "Họp.", "--zone", ZONE, "--approve")
    air(ctx, in_campaign, dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2))

    channel = _check_feed(client, "/public/feed.xml")
    titles = [item.findtext("title") for item in channel.findall("item")]
    assert titles == ["Cảnh báo mưa lớn <script>alert(1)</script> & lũ", PUBLISHED], titles
    for item in channel.findall("item"):
        enclosure = item.find("enclosure")
        data = _download(client, enclosure.get("url"))
        assert len(data) == int(enclosure.get("length"))
        mp3 = tmp_path / "episode.mp3"
        mp3.write_bytes(data)
        probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                                "stream=codec_name,channels:format=duration", "-of", "json", str(mp3)],
                               capture_output=True, text=True, check=True)
        info = json.loads(probe.stdout)
        assert info["streams"][0]["codec_name"] == "mp3"
        minutes, seconds = item.findtext(f"{{{ITUNES}}}duration").split(":")[-2:]
        assert abs(float(info["format"]["duration"]) - (int(minutes) * 60 + int(seconds))) < 1.5
        link = item.findtext("link")
        assert client.get(link.split("localhost", 1)[1]).status_code == 200
    # The script stays text, escaped by the XML writer.
    assert b"<script>" not in client.get("/public/feed.xml").data

    campaign_channel = _check_feed(client, f"/public/chien-dich/{campaign}/feed.xml")
    assert [i.findtext("title") for i in campaign_channel.findall("item")] == [PUBLISHED]
    assert client.get("/public/chien-dich/999/feed.xml").status_code == 404
    # A podcast app asking again with the ETag gets "not modified".
    etag = client.get("/public/feed.xml").headers["ETag"]
    assert client.get("/public/feed.xml", headers={"If-None-Match": etag}).status_code == 304
    # Seeking in the player: byte ranges.
    url = channel.find("item").find("enclosure").get("url").split("localhost", 1)[1]
    partial = client.get(url, headers={"Range": "bytes=0-99"})
    assert partial.status_code == 206 and len(partial.data) == 100


# ------------------------------------------------------------------ previews and links


def test_bulletin_page_has_open_graph_tags_and_a_share_image(web_app: Any, client: Any, ctx: Any,
                                                            cli: Any) -> None:
    from PIL import Image

    campaign = make_campaign(ctx)
    title = "Bình dân học vụ số: lớp học dùng điện thoại thông minh <b>miễn phí</b>"
    bulletin_id = add(cli, title, "Tối thứ Bảy tại nhà văn hóa thôn Đông, đoàn thanh niên hướng dẫn "
                      "bà con cài ứng dụng VNeID và thanh toán không dùng tiền mặt.", "--approve",
                      "--campaign", str(campaign))
    key = key_of(ctx, bulletin_id)
    response = client.get(f"/public/ban-tin/{key}")
    assert response.status_code == 200
    assert len(response.data) < 12_000, f"trang nặng {len(response.data)} byte"
    tree = page_tree(response)
    assert meta(tree, "og:title") == title
    assert meta(tree, "og:type") == "article"
    assert meta(tree, "og:description").startswith("Tối thứ Bảy tại nhà văn hóa thôn Đông")
    assert meta(tree, "og:url") == f"http://localhost/public/ban-tin/{key}"
    assert meta(tree, "og:image") == f"http://localhost/public/ban-tin/{key}/anh.png"
    assert meta(tree, "og:locale") == "vi_VN"
    assert "<b>miễn phí</b>" not in response.get_data(as_text=True), "tiêu đề phải được thoát"
    assert tree.xpath("//audio/@src") == [f"/public/ban-tin/{key}/nghe.mp3"]
    assert tree.xpath("//audio/@preload") == ["none"], "không tải âm thanh khi chưa bấm nghe"
    assert "Ngày Chuyển đổi số quốc gia 10/10" in tree.text_content()
    assert "Chuyển đổi số toàn dân, toàn diện" in tree.text_content()
    image = client.get(f"/public/ban-tin/{key}/anh.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert len(image.data) < 100_000
    with Image.open(io.BytesIO(image.data)) as picture:
        assert picture.size == (int(meta(tree, "og:image:width")), int(meta(tree, "og:image:height")))
        assert picture.size == (1200, 630)
    campaign_page = client.get(f"/public/chien-dich/{campaign}")
    assert campaign_page.status_code == 200 and title[:20] in campaign_page.get_data(as_text=True)


def test_index_is_small_and_pages_ten_at_a_time(web_app: Any, client: Any, cli: Any) -> None:
    for n in range(12):
        add(cli, f"Bản tin số thứ {n:02d}", f"Nội dung bản tin thứ {n}. " * 20, "--approve")
    first = client.get("/public/")
    assert len(first.data) < 40_000, len(first.data)
    assert first.get_data(as_text=True).count("<article") == 10
    assert "Bản tin số thứ 11" in first.get_data(as_text=True)
    second = client.get("/public/?trang=2").get_data(as_text=True)
    assert second.count("<article") == 2 and "Bản tin số thứ 00" in second
    assert client.get("/public/?trang=abc").status_code == 200


def test_base_url_setting_names_every_public_link(ctx: Any, cli: Any, monkeypatch: Any) -> None:
    from broadcaster.context import open_context
    from broadcaster.errors import ConfigError
    from web import create_app

    bulletin_id = add(cli, PUBLISHED, PUBLISHED_TEXT, "--approve")
    monkeypatch.setenv("BROADCASTER_PUBLIC_BASE_URL", "https://tanhoa.gov.vn/loaxa/")
    context = open_context(ctx.home)
    try:
        client = create_app({"TESTING": True}, context=context).test_client()
        key = key_of(ctx, bulletin_id)
        tree = page_tree(client.get(f"/public/ban-tin/{key}"))
        assert meta(tree, "og:url") == f"https://tanhoa.gov.vn/loaxa/public/ban-tin/{key}"
        assert meta(tree, "og:image") == f"https://tanhoa.gov.vn/loaxa/public/ban-tin/{key}/anh.png"
        feed = etree.fromstring(client.get("/public/feed.xml").data)
        assert feed.findtext("channel/link") == "https://tanhoa.gov.vn/loaxa/public/"
        assert feed.find("channel/item/enclosure").get("url") == \
            f"https://tanhoa.gov.vn/loaxa/public/ban-tin/{key}/nghe.mp3"
    finally:
        context.dispose()
    monkeypatch.setenv("BROADCASTER_PUBLIC_BASE_URL", "tanhoa.gov.vn")
    with pytest.raises(ConfigError, match="public.base_url"):  # refused when loaded, at start
        open_context(ctx.home)


def test_behind_the_reverse_proxy_links_name_the_visitors_address(ctx: Any, cli: Any,
                                                                   monkeypatch: Any) -> None:
    from broadcaster.context import open_context
    from web import create_app

    bulletin_id = add(cli, PUBLISHED, PUBLISHED_TEXT, "--approve")
    key = key_of(ctx, bulletin_id)
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
                 "X-Forwarded-Host": "tanhoa.gov.vn", "X-Forwarded-Prefix": "/loaxa"}
    # Without web.proxy_hops the headers are not believed.
    plain = create_app({"TESTING": True}, context=ctx).test_client()
    tree = page_tree(plain.get(f"/public/ban-tin/{key}", headers=forwarded))
    assert meta(tree, "og:url") == f"http://localhost/public/ban-tin/{key}"
    monkeypatch.setenv("BROADCASTER_WEB_PROXY_HOPS", "1")
    context = open_context(ctx.home)
    try:
        client = create_app({"TESTING": True}, context=context).test_client()
        tree = page_tree(client.get(f"/public/ban-tin/{key}", headers=forwarded))
        assert meta(tree, "og:url") == f"https://tanhoa.gov.vn/loaxa/public/ban-tin/{key}"
        assert tree.xpath("//audio/@src") == [f"/loaxa/public/ban-tin/{key}/nghe.mp3"]
    finally:
        context.dispose()


# ------------------------------------------------------------------ the poster


def decode_qr(pdf: bytes, workdir: Path) -> list[str]:
    """What a phone reads from the printed poster: page 1 rasterised (pdftoppm), then zbarimg."""
    for tool in ("pdftoppm", "zbarimg"):
        if shutil.which(tool) is None:
            pytest.fail(f"Chưa cài {tool}: chạy scripts/test để cài đủ phụ thuộc (poppler-utils, zbar-tools)")
    (workdir / "poster.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "120", "-png", "-f", "1", "-l", "1",
                    str(workdir / "poster.pdf"), str(workdir / "page")], check=True)
    pages = sorted(workdir.glob("page*.png"))
    assert pages, "pdftoppm không ra trang nào"
    proc = subprocess.run(["zbarimg", "-q", "--raw", str(pages[0])], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, f"zbarimg không đọc được mã QR: {proc.stderr}"
    return [line for line in proc.stdout.splitlines() if line.strip()]


def test_poster_qr_code_opens_the_campaign_page(web_app: Any, client: Any, ctx: Any, cli: Any,
                                               tmp_path: Path, monkeypatch: Any) -> None:
    from pypdf import PdfReader

    campaign = make_campaign(ctx)
    add(cli, PUBLISHED, PUBLISHED_TEXT, "--approve", "--campaign", str(campaign))

    response = client.get(f"/public/chien-dich/{campaign}/ap-phich.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    text = reader.pages[0].extract_text()
    assert "Ngày Chuyển đổi số quốc gia 10/10" in text and "01/10/2026" in text and PUBLISHED in text
    (tmp_path / "web").mkdir()
    codes = decode_qr(response.data, tmp_path / "web")
    assert codes == [f"http://localhost/public/chien-dich/{campaign}"], codes
    assert client.get(codes[0].split("localhost", 1)[1]).status_code == 200

    monkeypatch.setenv("BROADCASTER_PUBLIC_BASE_URL", "https://tanhoa.gov.vn")
    out = tmp_path / "ap-phich.pdf"
    result = cli("public", "poster", "--campaign", str(campaign), "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["url"] == f"https://tanhoa.gov.vn/public/chien-dich/{campaign}"
    (tmp_path / "cli").mkdir()
    assert decode_qr(out.read_bytes(), tmp_path / "cli") == [
        f"https://tanhoa.gov.vn/public/chien-dich/{campaign}"]
    missing = cli("public", "poster", "--campaign", "999", "--out", str(out))
    assert missing.exit_code != 0 and "Không có chiến dịch số 999" in missing.stderr


# ------------------------------------------------------------------ schema


def test_migration_publishes_existing_commune_wide_bulletins(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import text

    from broadcaster import db

    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = db.alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO zones (id, name, kind, output, description) "
                                "VALUES (1, 'Thôn Đông', 'thôn', 'main', '')"))
        for bulletin_id, zone in ((1, None), (2, 1), (3, None)):
            connection.execute(text(
                "INSERT INTO bulletins (id, title, body, category, priority, language, status, "
                "reject_reason, zone_id, created_at, updated_at) VALUES (:id, 't', 'b', 'c', "
                "'normal', 'vi', 'approved', '', :zone, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
                {"id": bulletin_id, "zone": zone})
    db.migrate(engine)
    with engine.begin() as connection:
        rows = connection.execute(text("SELECT id, public, public_key FROM bulletins ORDER BY id")).all()
    assert [(r[0], bool(r[1])) for r in rows] == [(1, True), (2, False), (3, True)]
    keys = [r[2] for r in rows]
    assert all(k and len(k) >= 12 for k in keys) and len(set(keys)) == 3
    engine.dispose()


def test_feed_makes_missing_mp3s_within_a_budget_and_the_cli_makes_them_all(
        web_app: Any, client: Any, cli: Any, monkeypatch: Any) -> None:
    import web.public

    for n in range(3):
        add(cli, f"Tin dựng âm thanh số {n}", f"Nội dung tin số {n} để dựng âm thanh.", "--approve")
    monkeypatch.setattr(web.public, "FEED_RENDER_BUDGET_S", 0.0)
    items = etree.fromstring(client.get("/public/feed.xml").data).findall("channel/item")
    assert [i.findtext("title") for i in items] == ["Tin dựng âm thanh số 2"], "chỉ tin mới nhất"
    assert items[0].find("enclosure") is not None
    result = cli("public", "render", "--json")
    assert result.exit_code == 0, result.output
    rendered = json.loads(result.stdout)["rendered"]
    assert len(rendered) == 3 and all(r["bytes"] > 1000 for r in rendered)
    monkeypatch.setattr(web.public, "FEED_RENDER_BUDGET_S", 20.0)
    items = etree.fromstring(client.get("/public/feed.xml").data).findall("channel/item")
    assert len(items) == 3 and all(i.find("enclosure") is not None for i in items)
    listed = json.loads(cli("public", "list", "--json").stdout)
    assert [row["title"] for row in listed] == [f"Tin dựng âm thanh số {n}" for n in (2, 1, 0)]
    assert all(row["url"].startswith("http://") and "/public/ban-tin/" in row["url"] for row in listed)


def test_the_panels_campaign_page_links_to_its_poster_and_its_public_page(
        web_app: Any, login_as: Any, ctx: Any) -> None:
    campaign = make_campaign(ctx)
    page = lxml_html.fromstring(login_as("office").get(f"/campaigns/{campaign}").get_data(as_text=True))
    poster = page.get_element_by_id("campaign-poster")
    assert poster.get("href") == f"/public/chien-dich/{campaign}/ap-phich.pdf", poster.get("href")
    assert "Áp phích" in poster.text_content()
    public = page.get_element_by_id("campaign-public")
    assert public.get("href") == f"/public/chien-dich/{campaign}", public.get("href")
    pdf = web_app.test_client().get(poster.get("href"))  # a visitor's client: no login needed
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data[:5] == b"%PDF-"
