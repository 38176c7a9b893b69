"""Screens checked as their users see them (issue 12), at 1366x768 and on a 390 px phone: the log's
filters laid out across the card, and a slot's rundown whose every row says what it is.
Debian's chromium under Playwright; screenshots in tests/artifacts/."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_browser import ARTIFACTS, browser_page, log_in, served  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _morning_slot(home: Path) -> int:
    """A daily 06:00 slot of two approved bulletins, with a greeting (the default)."""
    from broadcaster import bulletins, schedule
    from broadcaster.context import open_context

    ctx = open_context(home)
    with ctx.session() as session:
        ids = []
        for title in ("Lịch tiêm chủng tháng 12", "Thu gom rác thải cuối tuần"):
            b = bulletins.add_bulletin(session, title=title, body=f"Bà con chú ý: {title}.")
            bulletins.transition(session, b, "approve", None)
            session.flush()
            ids.append(b.id)
        slot = schedule.add_slot(session, default_tz="Asia/Ho_Chi_Minh", daily="06:00",
                                 items=[schedule.ItemSpec(kind="bulletin", bulletin_id=i) for i in ids],
                                 name="Bản tin sáng")
        slot_id = slot.id
    ctx.dispose()
    return slot_id


def test_the_log_filters_fill_the_card_on_a_desktop_and_a_phone(served: str, browser_page: Any) -> None:
    page, base = browser_page, served
    log_in(page, base, "bientap")
    for size, name in ((DESKTOP, "layout-01-loc-nhat-ky-1366"), (PHONE, "layout-02-loc-nhat-ky-dien-thoai")):
        page.set_viewport_size(size)
        page.goto(f"{base}/logs")
        form = page.locator("form.logs-filters").bounding_box()
        boxes = [label.bounding_box() for label in page.locator("form.logs-filters label").all()]
        assert form and boxes and all(boxes)
        lefts = sorted({round(b["x"]) for b in boxes})  # type: ignore[index]
        if size is DESKTOP:
            check = page.locator("#chain button:has-text('Kiểm tra ngay')").bounding_box()
            assert check and check["width"] < 300, f"nút một việc không kéo ngang cả thẻ: {check}"
            assert len(lefts) >= 4, f"bộ lọc phải nằm ngang trên màn hình rộng: {lefts}"
            assert boxes[0]["x"] - form["x"] < 5, "bộ lọc bắt đầu từ mép trái của thẻ"  # type: ignore[index]
        else:
            for box in boxes:
                assert box["width"] >= form["width"] - 2, f"ô lọc hẹp trên điện thoại: {box} / {form}"  # type: ignore[index]
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"trang tràn ngang {overflow}px"
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]


def test_every_rundown_row_says_what_it_is_on_a_phone(served: str, browser_page: Any, home: Path) -> None:
    page, base = browser_page, served
    slot_id = _morning_slot(home)
    log_in(page, base, "bientap")
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/schedule/{slot_id}")
    rows = page.locator("#rundown li")
    assert rows.count() >= 5, rows.all_inner_texts()
    for i in range(rows.count()):
        kind = rows.nth(i).locator(".kind")
        assert kind.is_visible() and kind.inner_text().strip(), (
            f"dòng {i + 1} của chương trình không nói nó là gì: {rows.nth(i).inner_text()!r}")
    fixed = page.locator("#rundown li.rundown-fixed[data-kind=intro]")
    assert "Nhạc hiệu" in fixed.inner_text(), fixed.inner_text()
    page.screenshot(path=str(ARTIFACTS / "layout-03-chuong-trinh-dien-thoai.png"), full_page=True)
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]


def test_an_administrators_menu_fits_two_short_lines_and_opens_on_a_phone(served: str, browser_page: Any,
                                                                          home: Path) -> None:
    """Ten menu entries and a long name used to take three lines (136 px) of a 768 px screen."""
    from broadcaster.context import open_context
    from broadcaster.users import add_user

    ctx = open_context(home)
    with ctx.session() as session:
        add_user(session, "quantri", "admin", "quantri-12345", full_name="Nguyễn Thị Phương Thảo")
    ctx.dispose()
    page, base = browser_page, served
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/login")
    page.fill("input[name=name]", "quantri")
    page.fill("input[name=password]", "quantri-12345")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Đăng xuất")
    links = page.locator(".nav a").all()
    assert len(links) >= 9, "quản trị thấy đủ trình đơn"
    bar = page.locator(".topbar").bounding_box()
    assert bar and bar["height"] <= 90, f"thanh trên cùng cao {bar}"
    tops = {round(link.bounding_box()["y"]) for link in links}
    assert len(tops) == 1, f"trình đơn gói thành nhiều dòng: {tops}"
    assert page.locator(".nav-user .who").inner_text().startswith("Nguyễn Thị Phương Thảo")
    page.screenshot(path=str(ARTIFACTS / "layout-04-trinh-don-quan-tri-1366.png"))

    page.set_viewport_size(PHONE)
    page.goto(f"{base}/")
    logout = page.locator("button:has-text('Đăng xuất')")
    assert not logout.is_visible(), "trên điện thoại trình đơn gập lại"
    page.click("label.nav-toggle-label")
    assert logout.is_visible() and page.locator(".nav a").first.is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"trang tràn ngang {overflow}px"
    page.screenshot(path=str(ARTIFACTS / "layout-05-trinh-don-dien-thoai.png"), full_page=True)
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]


def test_dates_and_times_are_said_the_vietnamese_way_in_an_english_browser(served: str, home: Path) -> None:
    """An English browser draws 2 December as 12/02/2026 and 18:00 as 06:00 PM; the echo beside
    each picker says "Thứ Tư, 02/12/2026" and "18:00", and the slot saved is the one meant."""
    import datetime as dt

    from playwright.sync_api import sync_playwright
    from sqlalchemy import select
    from test_browser import CHROMIUM, CHROMIUM_ARGS, PASSWORDS

    from broadcaster import bulletins
    from broadcaster.context import open_context
    from broadcaster.models import Slot

    ctx = open_context(home)
    with ctx.session() as session:
        b = bulletins.add_bulletin(session, title="Lịch thu gom rác", body="Bà con chú ý thu gom rác.")
        bulletins.transition(session, b, "approve", None)
        session.flush()
        bulletin_id = b.id
    ctx.dispose()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=DESKTOP, locale="en-US").new_page()
        page.set_default_timeout(15_000)
        try:
            page.goto(f"{served}/login")
            page.fill("input[name=name]", "bientap")
            page.fill("input[name=password]", PASSWORDS["bientap"])
            page.click("button[type=submit]")
            page.wait_for_selector("text=Đăng xuất")
            page.goto(f"{served}/schedule/new")
            page.check(f"input[name=bulletin_ids][value='{bulletin_id}']")
            page.fill("input[name=daily]", "18:00")
            page.fill("input[name=from]", "2026-12-02")
            daily_echo = page.locator("input[name=daily] + .date-echo")
            from_echo = page.locator("input[name=from] + .date-echo")
            assert daily_echo.inner_text() == "18:00"
            assert from_echo.inner_text() == "Thứ Tư, 02/12/2026"
            page.screenshot(path=str(ARTIFACTS / "layout-06-ngay-gio-trinh-duyet-tieng-anh.png"))
            page.click("button:has-text('Lưu lịch phát')")
            page.wait_for_load_state()
        finally:
            browser.close()
    ctx = open_context(home)
    with ctx.session() as session:
        slot = session.scalars(select(Slot)).one()
        assert (slot.kind, slot.time_local, slot.starts_on) == ("daily", dt.time(18, 0), dt.date(2026, 12, 2))
    ctx.dispose()
