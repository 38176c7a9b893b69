"""A real day in a real browser: Debian's chromium driven by Playwright against the real panel.

The panel is served by waitress on loopback (as ``broadcaster web`` serves it), the station daemon
runs as its own process on a PulseAudio null sink, and the browser does what the culture team
does: write, preview, submit, approve, schedule, look at the week, trigger an emergency and see
the station acknowledge it. Screenshots go to ``tests/artifacts/`` (kept by CI, ignored by git).
"""
from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import threading
from pathlib import Path
from typing import Any, Iterator
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect, sync_playwright
from station_helpers import BroadcasterProcess

pytestmark = [pytest.mark.browser, pytest.mark.sound, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORDS = {"bientap": "bientap-123", "pheduyet": "pheduyet-123"}
BODY = "UBND xã thông báo: ngày 15/3/2025 lúc 7h30 tiêm phòng dại cho chó mèo."
TITLE = "Tiêm phòng dại cho chó mèo"


@pytest.fixture
def served(home: Path) -> Iterator[str]:
    """The panel on a free loopback port, served by waitress in a thread; yields its base URL."""
    from waitress.server import create_server

    from broadcaster.context import open_context
    from broadcaster.models import Zone
    from broadcaster.users import add_user
    from web import create_app

    ctx = open_context(home)
    with ctx.session() as session:
        session.add(Zone(name="Thôn Đông"))
        session.flush()
        add_user(session, "bientap", "editor", PASSWORDS["bientap"], full_name="Chị Lan biên tập")
        add_user(session, "pheduyet", "approver", PASSWORDS["pheduyet"], full_name="Anh Hùng phó chủ tịch")
    app = create_app(context=ctx)
    server = create_server(app, host="127.0.0.1", port=0, threads=4, ident="loa-xa-test")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(5)
        ctx.dispose()


@pytest.fixture
def station_daemon(home: Path, pulse_server: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m broadcaster station`` on the null sink, as systemd would run it."""
    env = dict(os.environ)
    env.update(pulse_server)
    env.update({
        "BROADCASTER_HOME": str(home), "BROADCASTER_TTS_ENGINES": "espeak",
        "BROADCASTER_OUTPUT_BACKEND": "pulse", "BROADCASTER_OUTPUT_DEVICE": "loaxa",
        "BROADCASTER_STATION_RECONCILE_S": "0.2", "BROADCASTER_STATION_HEARTBEAT_S": "1",
        "BROADCASTER_AUDIO_GAP_S": "0.3",
    })
    daemon = BroadcasterProcess(["station"], env, home / "station-browser.log").start()
    assert daemon.proc is not None
    try:
        yield daemon.proc
    finally:
        daemon.stop(timeout=15, whole_session=True)


@pytest.fixture
def browser_page() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chưa cài chromium: chạy scripts/test để cài đủ phụ thuộc")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
        page.js_errors = errors  # type: ignore[attr-defined]
        try:
            yield page
        finally:
            context.close()
            browser.close()


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_selector("text=Đăng xuất")
    assert "/login" not in page.url, f"đăng nhập {name} không thành công: {page.url}"


def log_out(page: Any) -> None:
    page.click("button:has-text('Đăng xuất')")
    page.wait_for_url(re.compile(r".*/login.*|.*/$"))


def test_a_real_day(served: str, station_daemon: subprocess.Popen[bytes], browser_page: Any,
                    home: Path) -> None:
    page, base = browser_page, served

    # 1. The editor writes a bulletin and reads what the machine will say.
    log_in(page, base, "bientap")
    page.goto(f"{base}/bulletins/new")
    page.fill("input[name=title]", TITLE)
    page.fill("textarea[name=body]", BODY)
    expect(page.locator("#preview-text")).to_contain_text("ủy ban nhân dân")
    preview = page.inner_text("#preview-text")
    assert "mười lăm tháng ba" in preview and "bảy giờ ba mươi phút" in preview, preview
    assert "UBND" not in preview, "máy phải đọc chữ viết tắt thành lời"
    shot(page, "01-bien-tap-xem-truoc")
    page.click("button[value=submit]")
    page.wait_for_selector("text=Chờ duyệt")
    bulletin_id = int(re.search(r"/bulletins/(\d+)", page.url).group(1))
    log_out(page)

    # 2. The approver approves it.
    log_in(page, base, "pheduyet")
    page.goto(f"{base}/bulletins/{bulletin_id}")
    page.click("button:has-text('Phê duyệt')")
    page.wait_for_selector(".badge-approved")
    shot(page, "02-phe-duyet")
    log_out(page)

    # 3. The editor schedules it for tomorrow morning and sees it in the week view.
    log_in(page, base, "bientap")
    tomorrow = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() + dt.timedelta(days=1)
    page.goto(f"{base}/schedule/new?bulletin={bulletin_id}&kind=once")
    page.fill("input[name=at]", f"{tomorrow.isoformat()}T09:15")
    page.fill("input[name=name]", "Bản tin thú y buổi sáng")
    page.wait_for_selector("#slot-check[data-ok=yes]")
    check = page.inner_text("#slot-check")
    assert "Không trùng lịch" in check and f"09:15 {tomorrow:%d/%m/%Y}" in check, check
    shot(page, "03-xep-lich-kiem-tra")
    page.click("button:has-text('Lưu lịch phát')")
    page.wait_for_selector("text=Đã lưu lịch phát số")
    day = page.locator(f"section.day[data-date='{tomorrow.isoformat()}']")
    day_text = day.inner_text()
    assert "09:15" in day_text and "Bản tin thú y buổi sáng" in day_text, day_text
    assert TITLE in day_text, day_text
    shot(page, "04-lich-tuan")
    # The same time again: the warning comes before saving.
    page.goto(f"{base}/schedule/new?bulletin={bulletin_id}&kind=once")
    page.fill("input[name=at]", f"{tomorrow.isoformat()}T09:15")
    expect(page.locator("#slot-check")).to_contain_text("Trùng lịch với")
    assert page.get_attribute("#slot-check", "data-ok") == "no"
    shot(page, "05-canh-bao-trung-lich")
    log_out(page)

    # 4. The approver triggers an emergency; the station acknowledges it.
    log_in(page, base, "pheduyet")
    page.goto(f"{base}/")
    page.wait_for_selector("text=Trạm “Loa chính của xã” đang hoạt động", timeout=30_000)
    page.select_option("select[name=bulletin_id]", str(bulletin_id))
    page.check("input[name=confirm]")
    dialogs: list[str] = []

    def accept(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.click("button:has-text('Phát khẩn cấp')")
    page.wait_for_selector("text=Đã gửi lệnh phát khẩn cấp")
    assert dialogs and "KHẨN CẤP" in dialogs[0], dialogs
    status = page.locator(".commands li").first.locator(".command-status")
    # No eval: the panel's Content-Security-Policy forbids it, and the test keeps the policy on.
    # The page polls the command: pending → acknowledged by the station → done once it aired.
    expect(status).to_have_text(re.compile("đã nhận|Đã thực hiện", re.IGNORECASE), timeout=30_000)
    shot(page, "06-khan-cap-tram-da-nhan")
    expect(status).to_have_text("Đã thực hiện", timeout=60_000)
    shot(page, "07-khan-cap-da-phat")
    # And the airing is in the evidence.
    page.goto(f"{base}/logs")
    row = page.locator("#evidence tbody tr").first
    expect(row).to_contain_text(TITLE)
    outcome = row.locator("td[data-label='Kết quả']").inner_text()
    assert "Đã phát" in outcome, (outcome, (home / "station-browser.log").read_text(errors="replace"))
    shot(page, "08-nhat-ky")
    assert station_daemon.poll() is None, (home / "station-browser.log").read_text(errors="replace")
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]
