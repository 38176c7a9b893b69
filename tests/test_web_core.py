"""The panel's pages, driven with the Flask test client as each role would use them."""
from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from pathlib import Path

from sqlalchemy import select
from web_helpers import OTHER_ZONE, ZONE, post, post_json, user_id

pytest_plugins = ["web_fixtures"]

ROLES = ("admin", "editor", "approver", "village", "office")


def _zone_id(web_app, name: str) -> int:
    from broadcaster.models import Zone

    with web_app.extensions["broadcaster"].session() as s:
        return s.scalar(select(Zone.id).where(Zone.name == name))


def _bulletin(web_app, title: str = "Lịch tiêm phòng", body: str = "Ngày 22/12/2024 tiêm phòng cho trẻ.",
              status: str = "draft", zone: str | None = None) -> int:
    from broadcaster.bulletins import add_bulletin, transition

    with web_app.extensions["broadcaster"].session() as s:
        b = add_bulletin(s, title=title, body=body, zone_id=_zone_id(web_app, zone) if zone else None)
        if status == "approved":
            transition(s, b, "approve", None)
        elif status == "submitted":
            transition(s, b, "submit", None)
        return b.id


def _status(web_app, bulletin_id: int) -> str:
    from broadcaster.models import Bulletin

    with web_app.extensions["broadcaster"].session() as s:
        return s.get(Bulletin, bulletin_id).status


def test_login_page_and_dashboard_for_each_role(client, login_as, web_app):
    page = client.get("/")
    assert page.status_code == 302 and "/login" in page.location, "a visitor must be sent to login"
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)
    for role in ROLES:
        body = login_as(role).get("/").get_data(as_text=True)
        assert "Tổng quan hôm nay" in body, f"{role} must see the dashboard"
        assert ("Phát khẩn cấp" in body) == (role in ("approver", "admin")), \
            f"emergency button visibility wrong for {role}"


def test_real_login_logout_and_first_login_password_change(web_app):
    from broadcaster.users import add_user

    with web_app.extensions["broadcaster"].session() as s:
        add_user(s, "moi", "editor", "tam-thoi-1", must_change_password=True)
    c = web_app.test_client()
    r = post(c, "/login", {"name": "moi", "password": "tam-thoi-1"})
    assert r.status_code == 302 and r.location.endswith("/account/password"), r.location
    assert "/account/password" in c.get("/bulletins").location, "must change password before anything"
    r = post(c, "/account/password", {"current": "tam-thoi-1", "new": "rieng-cua-toi", "confirm": "khac"})
    assert r.status_code == 400 and "không khớp" in r.get_data(as_text=True)
    r = post(c, "/account/password", {"current": "tam-thoi-1", "new": "rieng-cua-toi",
                                      "confirm": "rieng-cua-toi"})
    assert r.status_code == 302
    assert c.get("/bulletins").status_code == 200, "after the change the panel opens"
    assert post(c, "/logout").status_code == 302
    assert c.get("/bulletins").status_code == 302, "logged out"
    bad = post(c, "/login", {"name": "moi", "password": "tam-thoi-1"})
    assert bad.status_code == 401 and "không đúng" in bad.get_data(as_text=True)
    assert post(c, "/login", {"name": "moi", "password": "rieng-cua-toi"}).status_code == 302


def test_login_next_never_leaves_the_site(web_app):
    c = web_app.test_client()
    r = post(c, "/login?next=//evil.example/x", {"name": "editor", "password": "bientap-123"})
    assert r.location == "/", f"open redirect: {r.location}"


def test_healthz_reports_heartbeat_without_login(client, web_app):
    from broadcaster.models import Heartbeat, utcnow

    empty = client.get("/healthz")
    assert empty.status_code == 200 and empty.json["last_heartbeat"] is None
    assert empty.json["station_alive"] is False
    at = utcnow()
    with web_app.extensions["broadcaster"].session() as s:
        s.add(Heartbeat(output="main", host="tram", pid=42, at=at,
                        state={"playing": {"title": "Bản tin sáng", "priority": "normal"}}))
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json["station_alive"] is True, r.json
    assert dt.datetime.fromisoformat(r.json["last_heartbeat"]) == at
    assert r.json["heartbeats"][0]["playing"] is True, "says that something plays, not what"


def test_dashboard_shows_now_playing_timeline_and_failures(web_app, login_as):
    from broadcaster.models import EvidenceEntry, Heartbeat, Slot, SlotItem, utcnow

    bid = _bulletin(web_app, title="Thông báo thu thuế", status="approved")
    tz = dt.timezone(dt.timedelta(hours=7))
    now_local = dt.datetime.now(tz)
    later = (now_local + dt.timedelta(minutes=30)).replace(second=0, microsecond=0)
    with web_app.extensions["broadcaster"].session() as s:
        slot = Slot(name="Bản tin chiều", kind="once", at_utc=later.astimezone(dt.timezone.utc))
        slot.items.append(SlotItem(kind="bulletin", bulletin_id=bid, position=0))
        s.add(slot)
        s.add(Heartbeat(output="main", at=utcnow(), state={"playing": {"title": "Nhạc hiệu <sáng>"}}))
        s.add(EvidenceEntry(status="failed", title="Bản tin hôm qua", reason="Loa <b>mất điện</b>",
                            scheduled_at=utcnow(), prev_hash="0" * 64, hash="1" * 64))
    body = login_as("office").get("/").get_data(as_text=True)
    if later.date() == now_local.date():
        assert "Bản tin chiều" in body and later.strftime("%H:%M") in body, "today's timeline"
    assert "Buổi phát tiếp theo" in body and later.strftime("%d/%m/%Y %H:%M") in body, "next broadcast"
    assert "Nhạc hiệu &lt;sáng&gt;" in body, "now playing, escaped"
    assert "Loa &lt;b&gt;mất điện&lt;/b&gt;" in body, "recent failure with its reason, escaped"


def test_dashboard_timeline_names_a_one_bulletin_slot_once(web_app, login_as):
    """A slot named after its only bulletin (the default name) read "X — X" on today's timeline."""
    from broadcaster.models import Slot, SlotItem

    title = "Thông báo lịch cắt điện"
    bid = _bulletin(web_app, title=title, status="approved")
    now_local = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).replace(second=0, microsecond=0)
    with web_app.extensions["broadcaster"].session() as s:
        slot = Slot(name=title, kind="once", at_utc=now_local.astimezone(dt.timezone.utc))
        slot.items.append(SlotItem(kind="bulletin", bulletin_id=bid, position=0))
        s.add(slot)
    body = login_as("office").get("/").get_data(as_text=True)
    timeline = body[body.index("Lịch phát hôm nay"):body.index("Sự cố gần đây")]
    assert timeline.count(title) == 1, timeline


def test_emergency_and_stop_write_commands_with_confirmation(web_app, login_as):
    from broadcaster.models import StationCommand

    bid = _bulletin(web_app, status="approved")
    c = login_as("approver")
    r = post(c, "/station/emergency", {"bulletin_id": bid})
    assert r.status_code == 302
    with web_app.extensions["broadcaster"].session() as s:
        assert s.scalar(select(StationCommand)) is None, "no command without the confirmation box"
    r = post(c, "/station/emergency", {"bulletin_id": bid, "confirm": "yes"})
    assert r.status_code == 302
    with web_app.extensions["broadcaster"].session() as s:
        cmd = s.scalars(select(StationCommand)).one()
        assert (cmd.kind, cmd.bulletin_id, cmd.status) == ("emergency", bid, "pending")
        cmd_id = cmd.id
    status = c.get(f"/station/commands/{cmd_id}").json
    assert status["status"] == "pending" and "chờ" in status["label"]
    assert "Đang chờ trạm" in c.get("/").get_data(as_text=True) or "chờ trạm" in c.get("/").get_data(as_text=True)
    assert post(c, "/station/stop").status_code == 302
    with web_app.extensions["broadcaster"].session() as s:
        kinds = sorted(k for k in s.scalars(select(StationCommand.kind)))
    assert kinds == ["emergency", "stop"]
    for role in ("editor", "village", "office"):
        other = login_as(role)
        assert post(other, "/station/emergency", {"bulletin_id": bid, "confirm": "yes"}).status_code == 403
        assert post(other, "/station/stop").status_code == 403


def test_bulletin_write_preview_submit_approve_flow(web_app, login_as):
    editor, approver = login_as("editor"), login_as("approver")
    assert "Máy sẽ đọc là" in editor.get("/bulletins/new").get_data(as_text=True)
    prev = post_json(editor, "/bulletins/preview", {"text": "Họp lúc 7h30 ngày 22/12/2024"})
    assert prev.status_code == 200, prev.get_data(as_text=True)
    assert "hai mươi hai" in prev.json["normalized"] and prev.json["chars"] == 28
    assert prev.json["seconds"] > 0 and "ký tự" in prev.json["summary"]
    no_token = editor.post("/bulletins/preview", json={"text": "x"})
    assert no_token.status_code == 400, "JSON POST without the CSRF header must be refused"
    r = post(editor, "/bulletins/new", {"title": "Họp dân", "body": "Mời bà con họp lúc 7h30.",
                                        "priority": "normal", "then": "submit"})
    assert r.status_code == 302, r.get_data(as_text=True)
    bid = int(r.location.rsplit("/", 1)[1])
    assert _status(web_app, bid) == "submitted"
    assert post(editor, f"/bulletins/{bid}/approve").status_code == 403, "editor cannot approve"
    rej = post(approver, f"/bulletins/{bid}/reject", {"reason": ""})
    assert rej.status_code == 302 and _status(web_app, bid) == "submitted", "reject needs a reason"
    assert post(approver, f"/bulletins/{bid}/reject", {"reason": "Sai giờ họp"}).status_code == 302
    assert _status(web_app, bid) == "rejected"
    page = editor.get(f"/bulletins/{bid}").get_data(as_text=True)
    assert "Sai giờ họp" in page and "Từ chối" in page, "reason and history shown"
    assert post(editor, f"/bulletins/{bid}/edit", {"title": "Họp dân", "body": "Mời bà con họp lúc 8h.",
                                                   "priority": "normal"}).status_code == 302
    assert post(editor, f"/bulletins/{bid}/submit").status_code == 302
    assert post(approver, f"/bulletins/{bid}/approve").status_code == 302
    assert _status(web_app, bid) == "approved"
    history = approver.get(f"/bulletins/{bid}").get_data(as_text=True)
    for label in ("Tạo", "Gửi duyệt", "Từ chối", "Sửa", "Phê duyệt"):
        assert label in history, f"history misses {label}"


def test_bulletin_list_search_and_filters(web_app, login_as):
    _bulletin(web_app, title="Phòng chống bão", status="approved")
    _bulletin(web_app, title="Tiêm phòng dại")
    c = login_as("office")
    assert "Phòng chống bão" in c.get("/bulletins?q=bão").get_data(as_text=True)
    assert "Tiêm phòng dại" not in c.get("/bulletins?q=bão").get_data(as_text=True)
    approved = c.get("/bulletins?status=approved").get_data(as_text=True)
    assert "Phòng chống bão" in approved and "Tiêm phòng dại" not in approved
    assert c.get("/bulletins?status=<script>&page=x").status_code == 200, "bad filters are ignored"


def test_village_head_sees_and_writes_only_own_zone(web_app, login_as):
    mine = _bulletin(web_app, title="Việc của thôn Đông", zone=ZONE)
    theirs = _bulletin(web_app, title="Việc của thôn Tây", zone=OTHER_ZONE)
    c = login_as("village")
    listing = c.get("/bulletins").get_data(as_text=True)
    assert "Việc của thôn Đông" in listing and "Việc của thôn Tây" not in listing
    assert c.get(f"/bulletins/{theirs}").status_code == 404
    assert post(c, f"/bulletins/{theirs}/submit").status_code == 404
    assert c.get(f"/bulletins/{mine}").status_code == 200
    r = post(c, "/bulletins/new", {"title": "Họp thôn", "body": "Tối nay họp thôn.",
                                   "zone_id": str(_zone_id(web_app, OTHER_ZONE)), "priority": "normal"})
    assert r.status_code == 302
    from broadcaster.models import Bulletin

    with web_app.extensions["broadcaster"].session() as s:
        created = s.scalar(select(Bulletin).where(Bulletin.title == "Họp thôn"))
        assert created.zone.name == ZONE, "a forged zone_id must be replaced by the head's own zone"
    r = post(c, "/bulletins/new", {"title": "Khẩn", "body": "Khẩn cấp", "priority": "emergency"})
    assert r.status_code == 400 and "khẩn cấp" in r.get_data(as_text=True)


def test_listen_before_approving_renders_and_serves_by_id(web_app, login_as):
    bid = _bulletin(web_app, title="Thử", body="Xin chào bà con.")
    c = login_as("approver")
    r = post_json(c, f"/bulletins/{bid}/render", {})
    assert r.status_code == 200, r.get_data(as_text=True)
    url = r.json["url"]
    assert re.fullmatch(r"/library/assets/\d+/audio", url), url
    audio = c.get(url)
    assert audio.status_code == 200 and audio.mimetype == "audio/mpeg"
    assert audio.data[:3] == b"ID3" or audio.data[0] == 0xFF, "an MP3 stream"
    assert r.json["seconds"] > 1
    again = post_json(c, f"/bulletins/{bid}/render", {})
    assert again.json["asset_id"] == r.json["asset_id"], "same content, same asset (cached)"
    assert c.get("/library/assets/9999/audio").status_code == 404


def _tone(path: Path, seconds: float = 1.0, fmt: list[str] | None = None) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=440:duration={seconds}", *(fmt or []), str(path)], check=True)
    return path


def test_upload_stored_by_hash_ignoring_path_tricks(web_app, login_as, tmp_path):
    from broadcaster.models import AudioAsset

    wav = _tone(tmp_path / "tone.wav").read_bytes()
    c = login_as("editor")
    r = post(c, "/library/upload", {"title": "Lời <b>mời</b>", "kind": "recording", "language": "tay",
                                    "file": (io.BytesIO(wav), "../../../etc/passwd.wav")},
             content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    home = web_app.extensions["broadcaster"].settings.home
    assert not (home.parent / "etc").exists() and not Path("/etc/passwd.wav").exists()
    with web_app.extensions["broadcaster"].session() as s:
        asset = s.scalars(select(AudioAsset)).one()
        assert re.fullmatch(r"uploads/[0-9a-f]{64}\.wav", asset.relpath), asset.relpath
        assert asset.language == "tay"
    page = c.get("/library").get_data(as_text=True)
    assert "Lời &lt;b&gt;mời&lt;/b&gt;" in page and "Tiếng Tày" in page
    assert "tối đa 200 MB, 60 phút" in page, "limits as numbers are written here, not '200.0 MB'"
    assert c.get(f"/library/assets/{asset.id}/audio").data == wav


def test_upload_rejections_are_explained(web_app, login_as):
    c = login_as("editor")
    r = post(c, "/library/upload", {"title": "Hỏng", "file": (io.BytesIO(b"not audio at all" * 100), "x.mp3")},
             content_type="multipart/form-data")
    assert r.status_code == 400
    text = r.get_data(as_text=True)
    assert "Không nhận tệp" in text and "x.mp3" in text
    r = post(c, "/library/upload", {"title": "Trống"}, content_type="multipart/form-data")
    assert r.status_code == 400 and "Hãy chọn tệp" in r.get_data(as_text=True)
    assert post(login_as("office"), "/library/upload", {"title": "x"}).status_code == 403


def test_browser_recording_webm_is_accepted(web_app, login_as, tmp_path):
    webm = _tone(tmp_path / "rec.webm", 1.0, ["-c:a", "libopus"]).read_bytes()
    c = login_as("village")
    r = post(c, "/library/upload", {"title": "Thông báo tiếng Nùng", "language": "nung",
                                    "file": (io.BytesIO(webm), "ghi-am.webm")},
             content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    assert "Thông báo tiếng Nùng" in c.get("/library").get_data(as_text=True)


def test_oversized_upload_gets_vietnamese_413(web_app, login_as):
    web_app.config["MAX_CONTENT_LENGTH"] = 1024
    c = login_as("editor")
    r = post(c, "/library/upload", {"title": "To", "file": (io.BytesIO(b"\0" * 4096), "to.wav")},
             content_type="multipart/form-data")
    assert r.status_code == 413
    assert "vượt quá giới hạn" in r.get_data(as_text=True)


def test_glossary_crud_feeds_the_preview(web_app, login_as):
    editor = login_as("editor")
    assert post(editor, "/glossary", {"word": "HTX", "reading": "hợp tác xã"}).status_code == 302
    dup = post(editor, "/glossary", {"word": "htx", "reading": "x"}, follow_redirects=True)
    assert "đã có" in dup.get_data(as_text=True)
    prev = post_json(editor, "/bulletins/preview", {"text": "HTX Tân Hòa"})
    assert "hợp tác xã" in prev.json["normalized"], prev.json
    from broadcaster.models import GlossaryEntry

    with web_app.extensions["broadcaster"].session() as s:
        entry_id = s.scalar(select(GlossaryEntry.id))
    assert post(editor, f"/glossary/{entry_id}", {"word": "HTX", "reading": "hợp tác xã nông nghiệp"}).status_code == 302
    assert "nông nghiệp" in login_as("office").get("/glossary").get_data(as_text=True)
    assert post(login_as("office"), "/glossary", {"word": "UB", "reading": "ủy ban"}).status_code == 403
    assert post(editor, f"/glossary/{entry_id}/delete").status_code == 302
    assert "nông nghiệp" not in editor.get("/glossary").get_data(as_text=True)


def test_admin_users_tokens_and_zones(web_app, login_as):
    from broadcaster.users import user_for_token

    admin = login_as("admin")
    r = post(admin, "/admin/users", {"name": "thonnam", "role": "village",
                                     "zone_id": str(_zone_id(web_app, ZONE)), "full_name": "Ông Nam"})
    assert r.status_code == 200 and "Mật khẩu tạm" in r.get_data(as_text=True)
    r = post(admin, "/admin/users", {"name": "thieuthon", "role": "village"})
    assert r.status_code == 400 and "phải gắn với một thôn" in r.get_data(as_text=True)


    uid = user_id(web_app, "editor")
    r = post(admin, f"/admin/users/{uid}/tokens", {"name": "máy chủ"})
    token = re.search(r'id="one-time-secret">([^<]+)<', r.get_data(as_text=True)).group(1)
    with web_app.extensions["broadcaster"].session() as s:
        assert user_for_token(s, token).name == "editor", "the shown token authenticates"
    assert token not in admin.get("/admin/users").get_data(as_text=True), "token shown only once"
    assert post(admin, f"/admin/users/{uid}/role", {"role": "approver"}).status_code == 302
    assert post(admin, f"/admin/users/{uid}/active", {"active": "0"}).status_code == 302
    locked = login_as("editor").get("/bulletins")
    assert locked.status_code == 302, "a locked account's session stops working"
    assert post(admin, "/admin/zones", {"name": "Khu phố 3", "kind": "khu phố"}).status_code == 302
    assert "Khu phố 3" in admin.get("/admin/zones").get_data(as_text=True)
    zid = _zone_id(web_app, "Khu phố 3")
    assert post(admin, f"/admin/zones/{zid}", {"name": "Khu phố Ba", "kind": "khu phố",
                                               "output": "main"}).status_code == 302
    assert "Khu phố Ba" in admin.get("/admin/zones").get_data(as_text=True)


def test_admin_pages_offer_what_can_be_done_in_vietnamese_numbers(web_app, login_as):
    """A zone's place reads back with a decimal comma (as typed, "21,0285"), never 21.0285; the
    administrator is not offered a lock on their own account (the server refuses it anyway)."""
    admin = login_as("admin")
    assert post(admin, "/admin/zones", {"name": "Thôn Nam", "kind": "thôn", "latitude": "21,0285",
                                        "longitude": "105.835"}).status_code == 302
    zones = admin.get("/admin/zones").get_data(as_text=True)
    assert 'value="21,0285"' in zones and 'value="105,835"' in zones, zones
    assert not re.search(r'(value|placeholder)="\d+\.\d+"', zones), "a dotted decimal in the form"
    users = admin.get("/admin/users").get_data(as_text=True)
    own = user_id(web_app, "admin")
    assert f"/admin/users/{own}/active" not in users, "a lock on one's own account"
    assert f"/admin/users/{user_id(web_app, 'editor')}/active" in users


def test_approving_an_emergency_bulletin_sends_it_to_air_at_once(web_app, login_as):
    from broadcaster.models import StationCommand

    editor, approver = login_as("editor"), login_as("approver")
    r = post(editor, "/bulletins/new", {"title": "Cảnh báo lũ quét", "body": "Lũ quét trên suối Nà Pồng.",
                                        "priority": "emergency", "then": "submit"})
    bid = int(r.location.rsplit("/", 1)[1])
    page = approver.get(f"/bulletins/{bid}").get_data(as_text=True)
    assert "KHẨN CẤP: phê duyệt sẽ phát ngay" in page, "the approver is warned before it airs"
    done = approver.post(f"/bulletins/{bid}/approve", data={"csrf_token": _csrf(approver, bid)},
                         follow_redirects=True)
    assert "phát ngay" in done.get_data(as_text=True)
    with web_app.extensions["broadcaster"].session() as s:
        sent = s.scalars(select(StationCommand).where(StationCommand.bulletin_id == bid)).all()
    assert [(c.kind, c.status) for c in sent] == [("emergency", "pending")], sent
    normal = _bulletin(web_app, title="Thông báo thường", status="submitted")
    assert post(approver, f"/bulletins/{normal}/approve").status_code == 302
    with web_app.extensions["broadcaster"].session() as s:
        assert s.scalars(select(StationCommand).where(StationCommand.bulletin_id == normal)).all() == []


def _csrf(client, bid: int) -> str:
    page = client.get(f"/bulletins/{bid}").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
