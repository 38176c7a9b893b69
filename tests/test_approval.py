"""Approval means what airs (issue 10): any change to what an approved bulletin sounds like or
where it goes sends it back to draft, with the change in its history and a diff for the approver;
a glossary change is shown with the new reading; one permission table answers the panel, the
API and the station commands alike; a village head sees only the own zone."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from web_helpers import OTHER_ZONE, ZONE, post

pytest_plugins = ["web_fixtures"]

ROOT = Path(__file__).resolve().parent.parent


def _user(session, name):
    from sqlalchemy import select

    from broadcaster.models import User

    return session.scalar(select(User).where(User.name == name))


def _zone_id(session, name):
    from sqlalchemy import select

    from broadcaster.models import Zone

    return session.scalar(select(Zone.id).where(Zone.name == name))


def _recording(session, title="Bản ghi tiếng Tày"):
    from broadcaster.models import AudioAsset

    asset = AudioAsset(sha256=title.encode().hex()[:64].ljust(64, "0"), kind="recording",
                       title=title, relpath=f"uploads/{title}.mp3", format="mp3", seconds=12.0)
    session.add(asset)
    session.flush()
    return asset.id


def _approved(session, **fields):
    from broadcaster import bulletins

    b = bulletins.add_bulletin(session, title=fields.pop("title", "Lịch tiêm chủng"),
                               body=fields.pop("body", "Sáng thứ Hai tiêm chủng tại trạm y tế xã."),
                               **fields)
    bulletins.transition(session, b, "approve", _user(session, "approver"))
    session.flush()
    return b


CHANGES = {
    "title": lambda s: "Lịch tiêm chủng (đổi giờ)",
    "body": lambda s: "Sáng thứ Ba tiêm chủng tại trạm y tế xã.",
    "recording_id": lambda s: _recording(s),
    "priority": lambda s: "emergency",
    "zone_id": lambda s: _zone_id(s, OTHER_ZONE),
    "valid_from": lambda s: dt.date(2026, 12, 5),
    "valid_until": lambda s: dt.date(2027, 1, 31),
    "category": lambda s: "Y tế",
}


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_any_change_to_what_airs_sends_an_approved_bulletin_back_to_draft(web_app, field) -> None:
    from broadcaster import bulletins

    with web_app.extensions["broadcaster"].session() as session:
        b = _approved(session)
        value = CHANGES[field](session)
        bulletins.update_bulletin(session, b, _user(session, "editor"), **{field: value})
        session.flush()
        assert b.status == "draft", f"a new {field} kept the approval"
        assert b.approved_at is None and b.approver_id is None
        edit = bulletins.history(session, b)[-1]
        assert edit.action == "edit" and field in (edit.changes or {}), edit.changes
        before, after = edit.changes[field]
        assert before != after
        assert bulletins.changes_since_approval(session, b)[field] == [before, after]


def test_saving_the_same_content_keeps_the_approval(web_app) -> None:
    from broadcaster import bulletins

    with web_app.extensions["broadcaster"].session() as session:
        b = _approved(session, category="Y tế")
        bulletins.update_bulletin(session, b, _user(session, "editor"), title=b.title, body=b.body,
                                  category="Y tế", priority="normal", zone_id=None)
        assert b.status == "approved"
        assert bulletins.history(session, b)[-1].action == "approve"


def test_the_approver_sees_what_changed_after_a_new_recording_through_the_panel(web_app, login_as) -> None:
    with web_app.extensions["broadcaster"].session() as session:
        b = _approved(session)
        bid = b.id
        old_rec = _recording(session, "Bản đọc cũ")
        b.recording_id = old_rec
        new_rec = _recording(session, "Bản đọc mới")
    editor = login_as("editor")
    response = post(editor, f"/bulletins/{bid}/edit", {
        "title": "Lịch tiêm chủng", "body": "Sáng thứ Ba tiêm chủng tại trạm y tế xã.",
        "category": "Thông báo", "priority": "normal", "recording_id": str(new_rec)})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = login_as("approver").get(f"/bulletins/{bid}").get_data(as_text=True)
    assert "Nháp" in page
    assert "Thay đổi so với bản đã duyệt" in page
    assert "<del>Bản đọc cũ" in page and "<ins>Bản đọc mới" in page
    # The text changed one word: the diff strikes that word, not the whole notice.
    assert "<del>Hai</del>" in page and "<ins>Ba</ins>" in page


def test_a_glossary_change_is_shown_on_the_approved_bulletin_with_its_new_reading(web_app, login_as) -> None:
    with web_app.extensions["broadcaster"].session() as session:
        # an abbreviation of the commune's own, spelled letter by letter until the glossary says
        b = _approved(session, body="Họp BQLCN Tân Tiến lúc 8 giờ tại nhà văn hóa.")
        other = _approved(session, title="Không liên quan", body="Ngày mai trời nắng.")
        bid, other_id = b.id, other.id
    editor = login_as("editor")
    assert post(editor, "/glossary", {"word": "BQLCN", "reading": "ban quản lý cụm công nghiệp"}).status_code == 302
    page = login_as("approver").get(f"/bulletins/{bid}").get_data(as_text=True)
    assert "Đã duyệt" in page, "the glossary is the commune's own: approval stays"
    assert "Cách đọc đã thay đổi" in page
    assert re.search(r'class="reading-new">[^<]*ban quản lý cụm công nghiệp', page), page
    with web_app.extensions["broadcaster"].session() as session:
        from broadcaster import bulletins
        from broadcaster.models import Bulletin

        events = bulletins.history(session, session.get(Bulletin, bid))
        assert events[-1].action == "reading"
        assert "ban quản lý cụm công nghiệp" in events[-1].changes["reading"][1]
        assert "ban quản lý cụm công nghiệp" not in events[-1].changes["reading"][0]
        assert bulletins.history(session, session.get(Bulletin, other_id))[-1].action == "approve"


# ---------------------------------------------------------------- one permission table


def test_a_village_head_cannot_file_a_priority_bulletin_through_the_panel_or_the_api(web_app, login_as) -> None:
    village = login_as("village")
    for priority in ("priority", "emergency"):
        response = post(village, "/bulletins/new", {"title": "Họp thôn", "body": "Tối nay họp thôn.",
                                                     "priority": priority, "category": "Thông báo"})
        assert response.status_code in (400, 403), priority
        assert "mức ưu tiên thường" in response.get_data(as_text=True)
    from broadcaster.users import issue_token

    with web_app.extensions["broadcaster"].session() as session:
        token = issue_token(session, _user(session, "village"))
        from sqlalchemy import func, select

        from broadcaster.models import Bulletin

        assert session.scalar(select(func.count()).select_from(Bulletin)) == 0
    response = web_app.test_client().post("/api/v1/bulletins", json={
        "title": "Họp thôn", "text": "Tối nay họp thôn.", "priority": "priority"},
        headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert "mức ưu tiên thường" in response.get_json()["error"]


def test_an_admin_cannot_approve_through_the_emergency_command(web_app, login_as) -> None:
    from sqlalchemy import func, select

    from broadcaster import bulletins
    from broadcaster.models import Bulletin, StationCommand
    from broadcaster.users import issue_token

    with web_app.extensions["broadcaster"].session() as session:
        draft = bulletins.add_bulletin(session, title="Bão số 3", body="Bão số 3 đổ bộ chiều nay.",
                                       priority="emergency")
        ready = _approved(session, title="Lũ quét", body="Nguy cơ lũ quét ở suối Nậm.")
        draft_id, ready_id = draft.id, ready.id
        token = issue_token(session, _user(session, "admin"))
    admin = login_as("admin")
    assert post(admin, f"/bulletins/{draft_id}/approve").status_code == 403
    post(admin, "/station/emergency", {"bulletin_id": str(draft_id), "confirm": "yes"})
    api = web_app.test_client()
    response = api.post("/api/v1/commands", json={"kind": "emergency", "bulletin_id": draft_id},
                        headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403, response.get_json()
    with web_app.extensions["broadcaster"].session() as session:
        assert session.get(Bulletin, draft_id).status == "draft"
        assert session.scalar(select(func.count()).select_from(StationCommand)) == 0
    # An admin may still cut in with a bulletin an approver approved.
    response = api.post("/api/v1/commands", json={"kind": "emergency", "bulletin_id": ready_id},
                        headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.get_json()


def test_the_web_layer_holds_no_role_lists_and_does_not_import_the_cli() -> None:
    roles = r'"(admin|editor|approver|village|office)"'
    for path in sorted((ROOT / "web").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(rf"\(\s*{roles}\s*,\s*{roles}", text), f"a role tuple in {path.name}"
        assert not re.search(r"user\.role\s*==\s*\"village\"", text), f"a zone rule in {path.name}"
        assert "broadcaster.cli" not in text, f"{path.name} imports the CLI"


# ---------------------------------------------------------------- a village head's zone


def _failure(session, title, zone, key):
    from broadcaster import evidence
    from broadcaster.models import utcnow

    now = utcnow()
    evidence.append_entry(session, occurrence_key=key, status="failed", scheduled_at=now,
                          started_at=None, ended_at=None, reason="mất điện", title=title,
                          zone=zone, output="main")


def test_the_dashboard_shows_a_village_head_only_the_own_zone(web_app, login_as) -> None:
    from broadcaster import schedule
    from broadcaster.models import Heartbeat, utcnow

    with web_app.extensions["broadcaster"].session() as session:
        _failure(session, "Tin riêng thôn Tây", OTHER_ZONE, "k-1")
        _failure(session, "Tin riêng thôn Đông", ZONE, "k-2")
        b = _approved(session, title="Thông báo riêng thôn Tây", body="Thôn Tây họp tối nay.",
                      zone_id=_zone_id(session, OTHER_ZONE))
        slot = schedule.add_slot(session, items=[schedule.ItemSpec(kind="bulletin", bulletin_id=b.id)],
                                 daily="05:00", zones=[OTHER_ZONE], default_tz="Asia/Ho_Chi_Minh")
        now = utcnow()
        session.add(Heartbeat(output="main", host="h", pid=1, at=now, started_at=now, state={
            "playing": {"title": "Thông báo riêng thôn Tây", "started_at": now.isoformat(),
                        "occurrence": f"slot-{slot.id}@{now.date().isoformat()}",
                        "priority": "normal"}}))
    page = login_as("village").get("/").get_data(as_text=True)
    assert "Tin riêng thôn Đông" in page
    assert "Tin riêng thôn Tây" not in page
    assert "Thông báo riêng thôn Tây" not in page, "Đang phát leaks another zone's title"
    commune = login_as("editor").get("/").get_data(as_text=True)
    assert "Tin riêng thôn Tây" in commune and "Thông báo riêng thôn Tây" in commune


def test_a_village_head_without_a_zone_does_not_get_the_whole_commune(web_app, login_as) -> None:
    with web_app.extensions["broadcaster"].session() as session:
        _failure(session, "Tin riêng thôn Tây", OTHER_ZONE, "k-1")
        _approved(session, title="Thông báo riêng thôn Tây", body="Thôn Tây họp tối nay.",
                  zone_id=_zone_id(session, OTHER_ZONE))
        _user(session, "village").zone_id = None  # the zone was taken away from the account
    village = login_as("village")
    for url in ("/", "/bulletins", "/logs"):
        page = village.get(url).get_data(as_text=True)
        assert "Tin riêng thôn Tây" not in page, url
        assert "Thông báo riêng thôn Tây" not in page, url
