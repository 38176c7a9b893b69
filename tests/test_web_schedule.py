"""``/schedule``: the week view, the slot form with its checks, and campaigns, per role."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from web_helpers import OTHER_ZONE, ZONE, post

pytest_plugins = ["web_fixtures"]




VN = ZoneInfo("Asia/Ho_Chi_Minh")


def today() -> dt.date:
    return dt.datetime.now(VN).date()


def approved_bulletin(app, title: str = "Lịch tiêm chủng tháng này",
                      body: str = "Trạm y tế xã tổ chức tiêm chủng cho trẻ em.") -> int:
    from broadcaster import bulletins

    with app.extensions["broadcaster"].session() as session:
        b = bulletins.add_bulletin(session, title=title, body=body)
        bulletins.transition(session, b, "approve", None)
        session.flush()
        return b.id


def slot_count(app) -> int:
    from broadcaster.models import Slot

    with app.extensions["broadcaster"].session() as session:
        return len(session.scalars(select(Slot).where(Slot.active.is_(True))).all())


def tomorrow_at(hhmm: str) -> str:
    return f"{(today() + dt.timedelta(days=1)).isoformat()}T{hhmm}"


def test_every_role_sees_the_week_and_only_editors_get_the_form(web_app, login_as, client) -> None:
    response = client.get("/schedule")
    assert response.status_code == 302 and "/login" in response.location, "khách phải đăng nhập"
    for role in ("admin", "editor", "approver", "village", "office"):
        page = login_as(role).get("/schedule")
        assert page.status_code == 200, (role, page.status_code)
        html = page.get_data(as_text=True)
        assert "Lịch phát" in html and "Thứ Hai" in html and "Chủ Nhật" in html, role
        assert ("Xếp lịch phát" in html) == (role in ("admin", "editor")), role
    for role in ("approver", "village", "office"):
        c = login_as(role)
        assert c.get("/schedule/new").status_code == 403, role
        refused = post(c, "/schedule/new", {"kind": "daily", "daily": "06:00", "bulletin_ids": "1"})
        assert refused.status_code == 403 and "Không có quyền" in refused.get_data(as_text=True), role
        assert post(c, "/schedule/check", {}).status_code == 403, role
        assert post(c, "/schedule/campaigns", {"name": "X"}).status_code == 403, role


def test_editor_schedules_a_daily_slot_and_sees_it_in_the_week(web_app, login_as) -> None:
    bid = approved_bulletin(web_app)
    editor = login_as("editor")
    form = editor.get(f"/schedule/new?bulletin={bid}").get_data(as_text=True)
    assert f'value="{bid}"' in form and "Lịch tiêm chủng tháng này" in form
    response = post(editor, "/schedule/new", {
        "kind": "daily", "daily": "06:30", "bulletin_ids": [str(bid)], "days": [],
        "zones": [ZONE], "repeats": "2", "greeting": "yes", "name": "Bản tin sáng",
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    week_page = editor.get(response.location).get_data(as_text=True)
    assert "Đã lưu lịch phát số" in week_page
    # Every day of next week; this week only from its creation on (issue 12: no airing before).
    monday = today() - dt.timedelta(days=today().weekday())
    next_week = editor.get(f"/schedule?week={(monday + dt.timedelta(days=7)).isoformat()}")
    assert next_week.get_data(as_text=True).count("Bản tin sáng") >= 7, \
        "lịch hằng ngày phải có mặt ở mọi ngày của tuần sau"
    assert "06:30" in week_page and "Bản tin: Lịch tiêm chủng tháng này" in week_page
    assert ZONE in week_page
    # The village of another zone does not see it; the village of this zone does.
    from broadcaster.models import User, Zone

    with web_app.extensions["broadcaster"].session() as session:
        user = session.scalar(select(User).where(User.name == "village"))
        user.zone = session.scalar(select(Zone).where(Zone.name == OTHER_ZONE))
    assert "Bản tin sáng" not in login_as("village").get("/schedule").get_data(as_text=True)


def test_navigation_by_week(web_app, login_as) -> None:
    editor = login_as("editor")
    page = editor.get("/schedule?week=2025-01-09").get_data(as_text=True)
    assert "tuần 06/01/2025 – 12/01/2025" in page, "ngày bất kỳ phải đưa về thứ Hai của tuần"
    assert 'href="/schedule?week=2024-12-30"' in page and 'href="/schedule?week=2025-01-13"' in page
    bad = editor.get("/schedule?week=<script>").get_data(as_text=True)
    assert "Ngày không hợp lệ" in bad and "<script>" not in bad.split("<main", 1)[1].split("</main>")[0] \
        .replace("&lt;script&gt;", ""), "đầu vào phải được thoát HTML"


def test_check_endpoint_warns_before_saving_and_saves_nothing(web_app, login_as) -> None:
    bid = approved_bulletin(web_app)
    editor = login_as("editor")
    first = post(editor, "/schedule/new", {"kind": "once", "at": tomorrow_at("07:00"),
                                           "bulletin_ids": [str(bid)], "greeting": "yes"})
    assert first.status_code == 302, first.get_data(as_text=True)
    before = slot_count(web_app)
    check = post(editor, "/schedule/check", {"kind": "once", "at": tomorrow_at("07:00"),
                                             "bulletin_ids": [str(bid)]})
    data = check.get_json()
    assert check.status_code == 200 and data["ok"] is False, data
    assert "Trùng lịch với" in data["conflicts"][0], data
    night = post(editor, "/schedule/check", {"kind": "daily", "daily": "23:15",
                                             "bulletin_ids": [str(bid)]}).get_json()
    assert night["ok"] is True and any("giờ nghỉ đêm" in w for w in night["warnings"]), night
    assert night["next_airings"] and night["estimated"], night
    broken = post(editor, "/schedule/check", {"kind": "daily", "daily": "", "bulletin_ids": [str(bid)]})
    assert broken.get_json()["errors"] == ["Nhập giờ phát hằng ngày"]
    assert slot_count(web_app) == before, "kiểm tra không được lưu gì"
    # Without the CSRF header/field, the check is refused.
    assert editor.post("/schedule/check", data={"kind": "daily"}).status_code == 400


def test_server_refuses_conflict_and_unaccepted_overrun_with_vietnamese_message(web_app, login_as) -> None:
    bid = approved_bulletin(web_app)
    editor = login_as("editor")
    base = {"kind": "daily", "bulletin_ids": [str(bid)], "greeting": "yes"}
    assert post(editor, "/schedule/new", dict(base, daily="18:00")).status_code == 302
    clash = post(editor, "/schedule/new", dict(base, daily="18:00"))
    assert clash.status_code == 409
    html = clash.get_data(as_text=True)
    assert "Trùng lịch với" in html and 'value="18:00"' in html, "giữ lại dữ liệu đã nhập"
    night = post(editor, "/schedule/new", dict(base, daily="23:00"))
    assert night.status_code == 422 and "giờ nghỉ đêm" in night.get_data(as_text=True)
    assert slot_count(web_app) == 1
    accepted = post(editor, "/schedule/new", dict(base, daily="23:00", accept_warnings="yes", reason="Tin gấp"))
    assert accepted.status_code == 302 and slot_count(web_app) == 2


@pytest.mark.parametrize("form, message", [
    ({"kind": "daily", "daily": "06:00"}, "Chọn ít nhất một bản tin"),
    ({"kind": "daily", "daily": "06:00", "bulletin_ids": ["số một"]}, "Số bản tin không hợp lệ"),
    ({"kind": "daily", "daily": "6 giờ sáng", "bulletin_ids": ["B"]}, "Giờ không hợp lệ"),
    ({"kind": "once", "at": "2001-01-01T06:00", "bulletin_ids": ["B"]}, "đã qua"),
    ({"kind": "daily", "daily": "06:00", "bulletin_ids": ["B"], "repeats": "9"}, "nhắc lại"),
    ({"kind": "daily", "daily": "06:00", "bulletin_ids": ["B"], "days": ["funday"]}, "Thứ không hợp lệ"),
    ({"kind": "daily", "daily": "06:00", "bulletin_ids": ["999"]}, "Không có bản tin số 999"),
    ({"kind": "daily", "daily": "06:00", "bulletin_ids": ["B"], "zones": ["Thôn Ma"]}, "Không có thôn"),
    ({"kind": "daily", "daily": "06:00", "bulletin_ids": ["B"], "from": "2025-02-01",
      "until": "2025-01-01"}, "Ngày kết thúc phải sau"),
])
def test_bad_slot_input_is_refused_clearly(web_app, login_as, form, message) -> None:
    bid = approved_bulletin(web_app)
    form = {k: ([str(bid) if x == "B" else x for x in v] if isinstance(v, list) else v)
            for k, v in form.items()}
    response = post(login_as("editor"), "/schedule/new", form)
    assert response.status_code in (400, 404), response.status_code
    assert message in response.get_data(as_text=True), message
    assert slot_count(web_app) == 0


def test_unapproved_bulletin_cannot_be_scheduled(web_app, login_as) -> None:
    from broadcaster import bulletins

    with web_app.extensions["broadcaster"].session() as session:
        draft = bulletins.add_bulletin(session, title="Nháp", body="Chưa duyệt.")
        session.flush()
        draft_id = draft.id
    response = post(login_as("editor"), "/schedule/new",
                    {"kind": "daily", "daily": "06:00", "bulletin_ids": [str(draft_id)]})
    assert response.status_code == 400 and "chưa được phê duyệt" in response.get_data(as_text=True)


def test_stop_a_slot(web_app, login_as) -> None:
    bid = approved_bulletin(web_app)
    editor = login_as("editor")
    post(editor, "/schedule/new", {"kind": "daily", "daily": "06:00", "bulletin_ids": [str(bid)]})
    page = editor.get("/schedule").get_data(as_text=True)
    slot_id = int(re.search(r"/schedule/(\d+)\"", page).group(1))
    assert "/stop" in editor.get(f"/schedule/{slot_id}").get_data(as_text=True)
    assert post(login_as("office"), f"/schedule/{slot_id}/stop").status_code == 403
    assert slot_count(web_app) == 1
    assert post(editor, f"/schedule/{slot_id}/stop").status_code == 302
    assert slot_count(web_app) == 0


def test_campaigns_list_and_create_with_targets(web_app, login_as) -> None:
    editor = login_as("editor")
    start, end = today() + dt.timedelta(days=1), today() + dt.timedelta(days=3)
    created = post(editor, "/schedule/campaigns", {
        "name": "Phòng chống <b>sốt</b> xuất huyết", "theme": "Diệt lăng quăng",
        "starts_on": start.isoformat(), "ends_on": end.isoformat(), "target_per_day": "2"})
    assert created.status_code == 302, created.get_data(as_text=True)
    page = login_as("office").get("/schedule/campaigns").get_data(as_text=True)
    assert "Phòng chống &lt;b&gt;sốt&lt;/b&gt; xuất huyết" in page, "tên phải được thoát HTML"
    assert "2 lần/ngày" in page and "Thiếu 3 ngày" in page and "(0/6 lần)" in page, page
    assert "Tạo chiến dịch" not in page.split("</table>")[1], "văn phòng chỉ xem"
    dup = post(editor, "/schedule/campaigns", {"name": "phòng chống <b>sốt</b> xuất huyết",
                                               "starts_on": start.isoformat(), "ends_on": end.isoformat()})
    assert dup.status_code == 400 and "đã tồn tại" in dup.get_data(as_text=True)
    missing = post(editor, "/schedule/campaigns", {"name": "Không ngày"})
    assert missing.status_code == 400 and "Nhập ngày bắt đầu" in missing.get_data(as_text=True)
    # Schedule the campaign twice a day: the target is met.
    from broadcaster.models import Campaign

    with web_app.extensions["broadcaster"].session() as session:
        cid = session.scalar(select(Campaign.id))
    bid = approved_bulletin(web_app)
    for hhmm in ("06:00", "17:00"):
        r = post(editor, "/schedule/new", {"kind": "daily", "daily": hhmm, "bulletin_ids": [str(bid)],
                                           "campaign_id": str(cid)})
        assert r.status_code == 302, r.get_data(as_text=True)
    assert "Đủ chỉ tiêu: 6 lần trong 3 ngày" in editor.get("/schedule/campaigns").get_data(as_text=True)


def test_slot_page_edits_the_rundown_and_needs_a_reason_to_save_over_a_conflict(web_app, login_as) -> None:
    first = approved_bulletin(web_app, "Tin một", "Bà con chú ý tin một.")
    second = approved_bulletin(web_app, "Tin hai", "Bà con chú ý tin hai.")
    editor = login_as("editor")
    assert post(editor, "/schedule/new", {"kind": "daily", "daily": "06:00", "name": "Bản tin sáng",
                                          "bulletin_ids": [str(first)], "greeting": "yes"}).status_code == 302
    assert post(editor, "/schedule/new", {"kind": "daily", "daily": "07:00",
                                          "bulletin_ids": [str(second)]}).status_code == 302
    from broadcaster.models import Slot

    with web_app.extensions["broadcaster"].session() as session:
        slot_id = session.scalar(select(Slot.id).where(Slot.name == "Bản tin sáng"))
    page = editor.get(f"/schedule/{slot_id}").get_data(as_text=True)
    assert "Chương trình của buổi phát" in page and "Lời chào" in page and "Tổng ước tính" in page
    assert "Ngừng lịch này" in page and "Lần phát tới" in page
    base = {"kind": "daily", "daily": "06:00", "name": "Bản tin sáng", "repeats": "1", "greeting": "yes"}
    # Without JavaScript: the picked bulletin is added at the end; then the order is swapped.
    added = post(editor, f"/schedule/{slot_id}", dict(base, item=[f"bulletin:{first}"],
                                                      add_bulletin=str(second)))
    assert added.status_code == 302, added.get_data(as_text=True)
    swapped = post(editor, f"/schedule/{slot_id}", dict(base, item=[f"bulletin:{second}", f"bulletin:{first}"],
                                                        daily="06:15"))
    assert swapped.status_code == 302
    with web_app.extensions["broadcaster"].session() as session:
        slot = session.get(Slot, slot_id)
        assert [i.bulletin_id for i in slot.items] == [second, first]
        assert slot.time_local.strftime("%H:%M") == "06:15"
    items = [f"bulletin:{second}", f"bulletin:{first}"]
    clash = post(editor, f"/schedule/{slot_id}", dict(base, item=items, daily="07:00"))
    html = clash.get_data(as_text=True)
    assert clash.status_code == 409 and "Trùng lịch với" in html and "chồng lên khoảng" in html
    no_reason = post(editor, f"/schedule/{slot_id}", dict(base, item=items, daily="07:00", accept_warnings="yes"))
    assert no_reason.status_code == 400 and "ghi lý do" in no_reason.get_data(as_text=True)
    kept = post(editor, f"/schedule/{slot_id}", dict(base, item=items, daily="07:00", accept_warnings="yes",
                                                     reason="Thôn Đông nghe riêng"))
    assert kept.status_code == 302
    assert "Lý do: Thôn Đông nghe riêng" in editor.get(f"/schedule/{slot_id}").get_data(as_text=True)
    check = post(editor, f"/schedule/{slot_id}/check", dict(base, item=items, daily="07:00")).get_json()
    assert check["conflicts"] and check["rundown"]["estimated"], check
    # Others read the rundown but get no form; they cannot save.
    office = login_as("office")
    read_only = office.get(f"/schedule/{slot_id}").get_data(as_text=True)
    assert "Chương trình của buổi phát" in read_only and "Lưu thay đổi" not in read_only
    assert "Ngừng lịch này" not in read_only
    assert post(office, f"/schedule/{slot_id}", dict(base, item=items)).status_code == 403


def test_a_conflict_warning_says_what_and_how_much_once_with_one_instruction(web_app, login_as) -> None:
    bid = approved_bulletin(web_app)
    editor = login_as("editor")
    first = post(editor, "/schedule/new", {"kind": "daily", "daily": "06:00", "bulletin_ids": [str(bid)],
                                           "name": "Bản tin sáng"})
    assert first.status_code == 302, first.get_data(as_text=True)[:500]
    for path in ("/schedule/new", None):
        if path is None:  # the same warning when an existing slot is moved onto the first
            post(editor, "/schedule/new", {"kind": "daily", "daily": "07:00", "bulletin_ids": [str(bid)]})
            page = editor.get("/schedule").get_data(as_text=True)
            path = "/schedule/" + max(re.findall(r"/schedule/(\d+)\"", page), key=int)
        clash = post(editor, path, {"kind": "daily", "daily": "06:00", "bulletin_ids": [str(bid)],
                                    "item": [f"bulletin:{bid}"]})
        body = clash.get_data(as_text=True)
        assert clash.status_code == 409, body[:500]
        warnings = body.split('id="form-warnings"')[1].split("</div>")[0]
        assert "Bản tin sáng" in warnings and "chồng lên khoảng" in warnings, warnings
        assert warnings.count("Nếu vẫn muốn lưu") == 1, f"hướng dẫn bị lặp: {warnings}"


def test_the_new_slot_page_names_the_time_zone_in_words(web_app, login_as) -> None:
    page = login_as("editor").get("/schedule/new").get_data(as_text=True)
    assert "giờ Việt Nam, GMT+7" in page and "Asia/Ho_Chi_Minh" not in page, page[:3000]


def test_a_rundown_that_cannot_be_changed_offers_no_drag_handle(web_app, login_as) -> None:
    """The office reads a slot's rundown; a grip (⠿) there promised a drag that does nothing."""
    bid = approved_bulletin(web_app, "Tin một", "Bà con chú ý tin một.")
    editor = login_as("editor")
    assert post(editor, "/schedule/new", {"kind": "daily", "daily": "06:00", "name": "Bản tin sáng",
                                          "bulletin_ids": [str(bid)]}).status_code == 302
    from broadcaster.models import Slot

    with web_app.extensions["broadcaster"].session() as session:
        slot_id = session.scalar(select(Slot.id).where(Slot.name == "Bản tin sáng"))
    assert "⠿" in editor.get(f"/schedule/{slot_id}").get_data(as_text=True), "the editor drags"
    page = login_as("office").get(f"/schedule/{slot_id}").get_data(as_text=True)
    assert "Tin một" in page and "⠿" not in page and 'draggable="true"' not in page


def test_the_week_says_how_long_an_aired_airing_was_on_air(web_app, login_as) -> None:
    """The estimate said 45 s; a priority notice led it and it aired 2 min 35 s: the week says that."""
    from broadcaster import schedule
    from broadcaster.models import EvidenceEntry

    bid = approved_bulletin(web_app)
    with web_app.extensions["broadcaster"].session() as session:
        slot = schedule.add_slot(session, items=[schedule.ItemSpec(kind="bulletin", bulletin_id=bid)],
                                 default_tz="Asia/Ho_Chi_Minh", daily="06:00", name="Bản tin sáng",
                                 now=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))
        session.add(EvidenceEntry(occurrence_key=f"slot-{slot.id}@2025-01-07", status="completed",
                                  seconds_played=155.0, prev_hash="0" * 64, hash="c" * 64))
    page = login_as("office").get("/schedule?week=2025-01-06").get_data(as_text=True)
    assert page.count("đã phát 2 phút 35 giây") == 1, page
