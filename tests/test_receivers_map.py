"""The receivers' map in a real browser on a phone: the admin places villages (panel form, with a
Vietnamese error for a bad coordinate), the page draws them offline from their coordinates with
each box's state, escaped, within the phone's width, asking nothing of any other server.
Debian's chromium; screenshot in tests/artifacts/."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from test_browser import ARTIFACTS, PASSWORDS, browser_page, log_in, served  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ODD_NAME = "Khu phố <b>Chợ</b> & \"Bến\""


def _boxes(home: Path) -> None:
    """Three villages with boxes: one online and ready, one offline for 2 hours, one lacking
    tomorrow's programme; one village placed without a box; one box whose village has no place."""
    from broadcaster import receivers
    from broadcaster.context import open_context
    from broadcaster.models import ReceiverProgram, utcnow
    from broadcaster.users import add_user
    from broadcaster.zones import add_zone

    ctx = open_context(home)
    now = utcnow()
    with ctx.session() as session:
        add_user(session, "quantri", "admin", PASSWORDS["quantri"], full_name="Anh Tuấn quản trị")
        add_zone(session, "Thôn Tây", latitude="21.0301", longitude="105.8120")
        add_zone(session, ODD_NAME, kind="khu phố", latitude="21.0190", longitude="105.8290")
        add_zone(session, "Thôn Bắc", latitude="21.0420", longitude="105.8230")
        add_zone(session, "Thôn Nam")
        session.flush()
        for name, zone, seen, held in (("thon-dong-1", "Thôn Đông", now, 1),
                                       ("thon-tay-1", "Thôn Tây", now - dt.timedelta(hours=2), 1),
                                       ("kp-cho-1", ODD_NAME, now, 0),
                                       ("thon-nam-1", "Thôn Nam", now, 1)):
            box = receivers.add_receiver(session, ctx.settings, name, zone).receiver
            box.enrolled_at, box.last_seen_at = now - dt.timedelta(days=3), seen
            box.status = {"held_24h": held, "version": "test"}
            session.add(ReceiverProgram(occurrence_key=f"slot-1@{name}", scheduled_at=now + dt.timedelta(hours=5),
                                        zone_ids=[box.zone_id], sha256="a" * 64, relpath="x.wav",
                                        size_bytes=1, seconds=1.0, fields={}, fingerprint="x"))
    ctx.dispose()


def test_receivers_map_on_a_phone(served: str, browser_page: Any, home: Path,  # noqa: F811 - fixtures
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(PASSWORDS, "quantri", "quantri-123")
    _boxes(home)
    page, base = browser_page, served
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    log_in(page, base, "quantri")  # at desktop width (the phone's menu is folded), then a phone
    page.set_viewport_size({"width": 390, "height": 844})
    # The admin places Thôn Đông from the panel; a mistyped latitude is refused in Vietnamese.
    page.goto(f"{base}/admin/zones")
    row = page.locator("form.actions", has=page.locator("input[name=name][value='Thôn Đông']"))
    row.locator("input[name=latitude]").fill("121,5")
    row.locator("input[name=longitude]").fill("105.83")
    row.locator("button[type=submit]").click()
    expect(page.locator("body")).to_contain_text("Vĩ độ phải nằm trong khoảng −90 đến 90 độ")
    row = page.locator("form.actions", has=page.locator("input[name=name][value='Thôn Đông']"))
    row.locator("input[name=latitude]").fill("21,0285")
    row.locator("input[name=longitude]").fill("105.8350")
    row.locator("button[type=submit]").click()
    expect(page.locator("body")).to_contain_text("Đã lưu Thôn Đông")

    page.goto(f"{base}/receivers")
    svg = page.locator("svg.village-map")
    expect(svg).to_be_visible()
    states = {a.get_attribute("data-village"): a.get_attribute("data-state")
              for a in svg.locator("a.village").all()}
    assert states == {"Thôn Đông": "online", "Thôn Tây": "offline", ODD_NAME: "lacking", "Thôn Bắc": "none"}, states
    offline = svg.locator("a[data-state=offline]")
    expect(offline.locator("text.village-state")).to_have_text("mất kết nối")
    expect(page.locator(".map-list")).to_contain_text("thon-tay-1 — mất kết nối từ")
    expect(page.locator(".map-list")).to_contain_text("kp-cho-1 — thiếu chương trình ngày mai (0/1)")
    # the odd name is text, not markup
    expect(svg.locator("a[data-state=lacking] text.village-name")).to_have_text(ODD_NAME)
    assert page.locator("svg.village-map b").count() == 0 and page.locator(".map-list b").count() == 0
    expect(page.locator("body")).to_contain_text("Chưa có tọa độ nên chưa hiện trên bản đồ: Thôn Nam")
    # north up: Thôn Bắc (21.042) is drawn above Thôn Đông (21.0285), the market (21.019) below
    y = {name: float(svg.locator(f"a.village[data-village='{name}'] circle").get_attribute("cy") or 0)
         for name in ("Thôn Bắc", "Thôn Đông")}
    assert y["Thôn Bắc"] < y["Thôn Đông"], y
    # fits the phone: no sideways scrolling, every label inside the drawing
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = svg.bounding_box()
    assert box is not None and box["width"] <= 390
    for label in svg.locator("text").all():
        inner = label.bounding_box()
        assert inner is not None and inner["x"] >= box["x"] - 1 and inner["x"] + inner["width"] <= box["x"] + box["width"] + 1, \
            (label.text_content(), inner, box)
    # tapping a village goes to its line in the list
    svg.locator("a[data-state=offline] circle").click()
    assert page.url.endswith("#" + (page.locator(".map-list li.state-offline").get_attribute("id") or "?"))
    svg.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "receivers-map-phone.png"), full_page=True)
    assert all(url.startswith(base) for url in requests), [u for u in requests if not u.startswith(base)]
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]
