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
