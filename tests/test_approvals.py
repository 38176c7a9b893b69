"""Where bulletins stand (issue 12): the approver's queue oldest first with its count in the menu,
what came back to the editor and why, what was approved, a village head's notices; explicit asks
before cutting an emergency on air."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from web_helpers import ZONE, post

pytest_plugins = ["web_fixtures"]


def _user(session, name):
    from broadcaster.models import User

    return session.scalar(select(User).where(User.name == name))


def test_queue_oldest_first_counted_in_the_menu_and_cleared(web_app, login_as) -> None:
    from broadcaster import bulletins
    from broadcaster.models import BulletinEvent

    with web_app.extensions["broadcaster"].session() as session:
        editor = _user(session, "editor")
        ids = []
        for title in ("Tin gửi sau", "Tin gửi trước", "Tin gửi giữa"):
            b = bulletins.add_bulletin(session, title=title, body=f"{title}.", author=editor)
            bulletins.transition(session, b, "submit", editor)
            session.flush()
            ids.append(b.id)
        # Resubmitted bulletins wait from their last submission, not from when they were drafted.
        base = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.timezone.utc)
        for bulletin_id, minutes in zip(ids, (30, 0, 10), strict=True):
            event = session.scalar(select(BulletinEvent).where(BulletinEvent.bulletin_id == bulletin_id,
                                                               BulletinEvent.action == "submit"))
            event.at = base + dt.timedelta(minutes=minutes)
    approver = login_as("approver")
    page = approver.get("/").get_data(as_text=True)
    queue = page.split('id="review-queue"', 1)[1].split("</section>", 1)[0]
    assert queue.index("Tin gửi trước") < queue.index("Tin gửi giữa") < queue.index("Tin gửi sau"), queue
    assert 'title="3 bản tin chờ duyệt"' in page, "số bản tin chờ duyệt trên trình đơn"
    # The controls come first on the approver's screen, the queue right after.
    assert page.index("Điều khiển trạm") < page.index('id="review-queue"') < page.index("Lịch phát hôm nay")
    # Clearing it: each bulletin page leads to the next one waiting longest.
    shown = approver.get(f"/bulletins/{ids[1]}").get_data(as_text=True)
    assert "Còn 3 bản tin chờ duyệt" in shown and "Duyệt tiếp bản chờ lâu nhất: Tin gửi giữa" in shown
    for bulletin_id in (ids[1], ids[2], ids[0]):
        assert post(approver, f"/bulletins/{bulletin_id}/approve").status_code == 302
    page = approver.get("/").get_data(as_text=True)
    assert "Không có bản tin nào chờ duyệt" in page and "bản tin chờ duyệt\"" not in page
    assert login_as("editor").get("/").get_data(as_text=True).count('class="nav-count"') == 0


def test_editor_sees_what_came_back_and_what_was_approved(web_app, login_as) -> None:
    from broadcaster import bulletins

    with web_app.extensions["broadcaster"].session() as session:
        editor, approver = _user(session, "editor"), _user(session, "approver")
        back = bulletins.add_bulletin(session, title="Tin thiếu ngày họp", body="Họp thôn.", author=editor)
        ok = bulletins.add_bulletin(session, title="Tin tiêm chủng", body="Tiêm chủng.", author=editor)
        for b in (back, ok):
            bulletins.transition(session, b, "submit", editor)
        bulletins.transition(session, back, "reject", approver, "Thiếu ngày giờ họp")
        bulletins.transition(session, ok, "approve", approver)
    page = login_as("editor").get("/").get_data(as_text=True)
    mine = page.split('id="my-outcomes"', 1)[1].split("</section>", 1)[0]
    assert "Bị trả lại" in mine and "Tin thiếu ngày họp" in mine and "Lý do: Thiếu ngày giờ họp" in mine
    assert "Đã duyệt" in mine and "Tin tiêm chủng" in mine and "chưa xếp lịch" in mine
    assert "Người dùng approver" in mine


def test_village_head_sees_where_the_notices_stand(web_app, login_as) -> None:
    from broadcaster import bulletins
    from broadcaster.models import Zone

    with web_app.extensions["broadcaster"].session() as session:
        head, approver = _user(session, "village"), _user(session, "approver")
        zone = session.scalar(select(Zone).where(Zone.name == ZONE))
        waiting = bulletins.add_bulletin(session, title="Họp thôn tối thứ Bảy", body="Họp.", author=head)
        back = bulletins.add_bulletin(session, title="Dọn vệ sinh", body="Dọn.", author=head)
        for b in (waiting, back):
            b.zone_id = zone.id
            bulletins.transition(session, b, "submit", head)
        bulletins.transition(session, back, "reject", approver, "Ghi rõ giờ tập trung")
    page = login_as("village").get("/").get_data(as_text=True)
    notices = page.split('id="my-notices"', 1)[1].split("</section>", 1)[0]
    assert "Họp thôn tối thứ Bảy" in notices and "Chờ duyệt" in notices
    assert "Dọn vệ sinh" in notices and "Lý do trả lại: Ghi rõ giờ tập trung" in notices


def test_cutting_an_emergency_on_air_asks_explicitly(web_app, login_as) -> None:
    from broadcaster.models import Heartbeat, StationCommand, utcnow

    with web_app.extensions["broadcaster"].session() as session:
        session.add(Heartbeat(output="main", host="h", pid=1, at=utcnow(), started_at=utcnow(),
                              state={"playing": {"title": "Cảnh báo bão số 9", "priority": "emergency"}}))
    approver = login_as("approver")
    page = approver.get("/").get_data(as_text=True)
    assert "Đang phát bản tin khẩn cấp “Cảnh báo bão số 9”" in page
    assert 'name="cut_emergency"' in page and "NGẮT bản tin KHẨN CẤP" in page
    refused = post(approver, "/station/stop")
    assert refused.status_code == 302
    assert "Ngắt bản tin khẩn cấp đang phát" in approver.get("/").get_data(as_text=True)
    with web_app.extensions["broadcaster"].session() as session:
        assert session.scalar(select(StationCommand).where(StationCommand.kind == "stop")) is None
    assert post(approver, "/station/stop", {"cut_emergency": "yes"}).status_code == 302
    with web_app.extensions["broadcaster"].session() as session:
        assert session.scalar(select(StationCommand).where(StationCommand.kind == "stop")) is not None


def test_a_duplicate_zone_name_is_a_vietnamese_error_whatever_its_case(web_app, login_as) -> None:
    admin = login_as("admin")
    for name in ("Thôn Đông", "thôn đông", "  THÔN ĐÔNG "):
        response = post(admin, "/admin/zones", {"name": name, "kind": "thôn", "output": "main"})
        assert response.status_code == 400, (name, response.status_code)
        assert "Đã có thôn/khu phố tên" in response.get_data(as_text=True), name
    assert admin.get("/admin/zones").status_code == 200, "trang vẫn mở được sau lỗi"
