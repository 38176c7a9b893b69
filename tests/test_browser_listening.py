"""Approvals and listening in a real browser (issue 12): the approver clears the queue from the
dashboard; a village head plays the village's airing on a phone, its hash beside the player; the
library's player is usable at desktop width. Debian's chromium; screenshots in tests/artifacts/."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import subprocess
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from test_browser import ARTIFACTS, PASSWORDS, browser_page, log_in, log_out, served  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _open(home: Path):  # type: ignore[no-untyped-def]
    from broadcaster.context import open_context

    return open_context(home)


def test_approver_clears_the_queue(served: str, browser_page: Any, home: Path) -> None:
    from sqlalchemy import select

    from broadcaster import bulletins
    from broadcaster.models import User

    ctx = _open(home)
    with ctx.session() as session:
        editor = session.scalar(select(User).where(User.name == "bientap"))
        for title in ("Lịch tiêm chủng", "Thu gom rác", "Họp dân thôn Đông"):
            b = bulletins.add_bulletin(session, title=title, body=f"Bà con chú ý: {title}.", author=editor)
            bulletins.transition(session, b, "submit", editor)
    ctx.dispose()
    page, base = browser_page, served
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, base, "pheduyet")
    expect(page.locator(".nav .nav-count")).to_have_text("3")
    queue = page.locator("#review-queue li a")
    assert queue.all_inner_texts() == ["Lịch tiêm chủng", "Thu gom rác", "Họp dân thôn Đông"]
    page.screenshot(path=str(ARTIFACTS / "approve-01-hang-cho.png"), full_page=True)
    queue.first.click()
    for left in (2, 1, 0):
        page.click("button:has-text('Phê duyệt')")
        page.wait_for_selector(".badge-approved")
        if left:
            expect(page.locator("#next-waiting")).to_contain_text(f"Còn {left} bản tin chờ duyệt")
            page.click("#next-waiting a")
    expect(page.locator(".nav .nav-count")).to_have_count(0)
    page.goto(f"{base}/")
    expect(page.locator("#review-queue")).to_contain_text("Không có bản tin nào chờ duyệt")
    page.screenshot(path=str(ARTIFACTS / "approve-02-da-duyet-het.png"), full_page=True)
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]


def test_village_head_plays_the_airing_on_a_phone(served: str, browser_page: Any, home: Path) -> None:
    from broadcaster import evidence
    from broadcaster.users import add_user

    folder = home / "audio" / "aircheck" / "2026" / "12"
    folder.mkdir(parents=True, exist_ok=True)
    clip = folder / "slot-1_2026-12-01.opus"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
                    "-c:a", "libopus", str(clip)], check=True)
    digest = hashlib.sha256(clip.read_bytes()).hexdigest()
    when = dt.datetime.now(VN).replace(hour=6, minute=0, second=0, microsecond=0)
    ctx = _open(home)
    with ctx.session() as session:
        add_user(session, "truongthon", "village", "truongthon-123", zone_name="Thôn Đông",
                 full_name="Ông Ba trưởng thôn")
        entry = evidence.append_entry(
            session, occurrence_key=f"slot-1@{when.date().isoformat()}", status="completed",
            scheduled_at=when, started_at=when, ended_at=when + dt.timedelta(seconds=2),
            seconds_played=2.0, title="Họp dân thôn Đông", zone="Thôn Đông", output="main",
            aircheck_sha256=digest, aircheck_path=str(clip.relative_to(home)))
        entry_id = entry.id
    ctx.dispose()
    PASSWORDS["truongthon"] = "truongthon-123"
    page, base = browser_page, served
    log_in(page, base, "truongthon")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/logs")
    page.click(f"a[href$='/logs/{entry_id}#aircheck']")
    player = page.locator("#aircheck audio")
    expect(player).to_be_visible()
    assert page.inner_text("#aircheck .hash") == digest
    page.evaluate("document.querySelector('#aircheck audio').play()")
    # No wait_for_function: the panel's Content-Security-Policy forbids eval, and the test keeps it.
    played = 0.0
    for _ in range(100):
        played = page.evaluate("document.querySelector('#aircheck audio').currentTime")
        if played > 0.3:
            break
        page.wait_for_timeout(100)
    assert played > 0.3, f"trình phát không chạy (đã phát {played} giây)"
    duration = page.evaluate("document.querySelector('#aircheck audio').duration")
    assert 1.5 < duration < 2.5, duration
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"trang tràn ngang {overflow}px trên điện thoại"
    width = page.evaluate("document.querySelector('#aircheck audio').getBoundingClientRect().width")
    assert width >= 250, width
    page.screenshot(path=str(ARTIFACTS / "listen-01-truong-thon-nghe-lai.png"), full_page=True)
    assert not page.js_errors, page.js_errors  # type: ignore[attr-defined]


def test_library_player_is_usable_at_desktop_width(served: str, browser_page: Any, home: Path) -> None:
    from broadcaster.models import AudioAsset

    folder = home / "audio" / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    clip = folder / "loi-keu-goi.opus"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=300:duration=2",
                    "-c:a", "libopus", str(clip)], check=True)
    ctx = _open(home)
    with ctx.session() as session:
        session.add(AudioAsset(sha256=hashlib.sha256(clip.read_bytes()).hexdigest(), kind="recording",
                               title="Lời kêu gọi của Chủ tịch xã về chuyển đổi số", relpath="uploads/loi-keu-goi.opus",
                               format="opus", seconds=2.0))
    ctx.dispose()
    page, base = browser_page, served
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, base, "bientap")
    page.goto(f"{base}/library")
    width = page.evaluate("document.querySelector('td.player-cell audio').getBoundingClientRect().width")
    assert width >= 250, f"trình phát quá hẹp: {width}px"
    page.screenshot(path=str(ARTIFACTS / "listen-02-thu-vien.png"), full_page=True)
    assert re.search("Lời kêu gọi", page.content())
