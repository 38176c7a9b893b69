"""The panel's defences: role permissions on every route, CSRF, escaping, sessions, rate limit."""
from __future__ import annotations

import io
import re
import time

import pytest
from sqlalchemy import select
from web_helpers import PASSWORDS, post, user_id

pytest_plugins = ["web_fixtures"]

ROLES = ("admin", "editor", "approver", "village", "office")
EVERYONE = set(ROLES)

# (method, path template, roles allowed); {b} = a draft bulletin of the village's zone,
# {u} = the office user's id, {z} = a zone id, {g} = a glossary entry, {t} = a token id.
ROUTES = [
    ("GET", "/", EVERYONE),
    ("GET", "/bulletins", EVERYONE),
    ("GET", "/bulletins/{b}", EVERYONE),
    ("GET", "/bulletins/new", {"editor", "village"}),
    ("GET", "/bulletins/{b}/edit", {"editor", "village"}),
    ("POST", "/bulletins/{b}/approve", {"approver"}),
    ("POST", "/bulletins/{b}/archive", {"editor", "approver"}),
    ("GET", "/glossary", EVERYONE),
    ("POST", "/glossary", {"editor"}),
    ("POST", "/glossary/{g}", {"editor"}),
    ("POST", "/glossary/{g}/delete", {"editor"}),
    ("GET", "/library", EVERYONE),
    ("POST", "/library/upload", {"editor", "village"}),
    ("POST", "/station/emergency", {"approver", "admin"}),
    ("POST", "/station/stop", {"approver", "admin"}),
    ("GET", "/admin/users", {"admin"}),
    ("POST", "/admin/users", {"admin"}),
    ("POST", "/admin/users/{u}/role", {"admin"}),
    ("POST", "/admin/users/{u}/active", {"admin"}),
    ("POST", "/admin/users/{u}/password", {"admin"}),
    ("POST", "/admin/users/{u}/tokens", {"admin"}),
    ("POST", "/admin/tokens/{t}/revoke", {"admin"}),
    ("GET", "/admin/zones", {"admin"}),
    ("POST", "/admin/zones", {"admin"}),
    ("POST", "/admin/zones/{z}", {"admin"}),
]


@pytest.fixture
def ids(web_app):
    from broadcaster.bulletins import add_bulletin
    from broadcaster.glossary import add_entry
    from broadcaster.models import User, Zone
    from broadcaster.users import issue_token

    with web_app.extensions["broadcaster"].session() as s:
        zone = s.scalar(select(Zone).where(Zone.name == "Thôn Đông"))
        bulletin = add_bulletin(s, title="Bản tin thử", body="Nội dung thử.", zone_id=zone.id)
        entry = add_entry(s, "UBND", "ủy ban nhân dân")
        office = s.scalar(select(User).where(User.name == "office"))
        issue_token(s, office, "thử")
        from broadcaster.models import ApiToken

        token_id = s.scalar(select(ApiToken.id))
        return {"b": bulletin.id, "g": entry.id, "u": office.id, "z": zone.id, "t": token_id}


@pytest.mark.parametrize("role", ROLES)
def test_every_route_for_every_role(role, login_as, ids):
    for method, template, allowed in ROUTES:
        client = login_as(role)
        path = template.format(**ids)
        response = client.get(path) if method == "GET" else post(client, path, {})
        if role in allowed:
            assert response.status_code != 403, f"{role} must be allowed {method} {path}"
            assert response.status_code < 500, f"{method} {path} crashed for {role}"
        else:
            assert response.status_code == 403, \
                f"{role} must be refused {method} {path}, got {response.status_code}"
            text = response.get_data(as_text=True)
            assert "Không có quyền" in text and "không có quyền" in text, "Vietnamese 403 page"


def test_visitor_is_sent_to_login_everywhere(client, ids):
    for method, template, _ in ROUTES:
        path = template.format(**ids)
        response = client.get(path) if method == "GET" else post(client, path, {})
        assert response.status_code == 302 and "/login" in response.location, f"{method} {path}"


def test_csrf_refused_without_or_with_wrong_token(login_as, ids, web_app):
    from broadcaster.models import GlossaryEntry

    editor = login_as("editor")
    for data in ({"word": "HTX", "reading": "hợp tác xã"},
                 {"word": "HTX", "reading": "hợp tác xã", "csrf_token": "gia-mao"}):
        r = editor.post("/glossary", data=data)
        assert r.status_code == 400, "a form without the session's token must be refused"
        assert "Phiên biểu mẫu không hợp lệ" in r.get_data(as_text=True)
    with web_app.extensions["broadcaster"].session() as s:
        assert s.scalar(select(GlossaryEntry).where(GlossaryEntry.word == "HTX")) is None
    assert login_as("admin").post(f"/admin/users/{ids['u']}/role", data={"role": "admin"}).status_code == 400
    assert web_app.test_client().post("/login", data={"name": "editor",
                                                      "password": PASSWORDS["editor"]}).status_code == 400
    r = editor.post("/api/v1/anything", json={})
    assert "Phiên biểu mẫu" not in r.get_data(as_text=True), "the token API is not cookie/CSRF based"


def test_html_and_script_are_escaped_everywhere(login_as, web_app, ids):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    editor, admin = login_as("editor"), login_as("admin")
    r = post(editor, "/bulletins/new", {"title": evil, "body": evil, "category": evil, "priority": "normal"})
    assert r.status_code == 302, r.get_data(as_text=True)
    bid = int(r.location.rsplit("/", 1)[1])
    post(login_as("approver"), f"/bulletins/{bid}/reject", {"reason": evil})
    post(editor, "/glossary", {"word": evil[:90], "reading": evil})
    post(admin, "/admin/zones", {"name": evil[:100], "kind": "thôn", "description": evil})
    post(admin, "/admin/users", {"name": "nguoimoi", "role": "office", "full_name": evil})
    pages = ["/bulletins", f"/bulletins/{bid}", f"/bulletins/{bid}/edit", "/glossary", "/admin/zones",
             "/admin/users", "/bulletins?q=" + evil]
    for path in pages:
        client = admin if path.startswith("/admin") else editor
        text = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in text and "<img src=x" not in text, f"unescaped input on {path}"
        assert "&lt;script&gt;" in text, f"the text should still be shown, escaped, on {path}"


def test_forged_role_change_by_non_admin_is_refused(login_as, web_app, ids):
    from broadcaster import accounts
    from broadcaster.errors import PermissionDenied
    from broadcaster.models import User

    for role in ("editor", "approver", "village", "office"):
        r = post(login_as(role), f"/admin/users/{user_id(web_app, role)}/role", {"role": "admin"})
        assert r.status_code == 403, f"{role} made itself admin"
    with web_app.extensions["broadcaster"].session() as s:
        assert s.scalar(select(User.role).where(User.name == "editor")) == "editor"
        editor = s.scalar(select(User).where(User.name == "editor"))
        with pytest.raises(PermissionDenied):
            accounts.change_role(s, editor, editor, "admin")
    r = post(login_as("admin"), f"/admin/users/{user_id(web_app, 'admin')}/role", {"role": "office"})
    assert r.status_code == 400 and "quản trị viên cuối cùng" in r.get_data(as_text=True)


def test_expired_session_goes_to_login(login_as, web_app):
    client = login_as("editor")
    assert client.get("/bulletins").status_code == 200
    with client.session_transaction() as sess:
        sess["seen"] = time.time() - web_app.permanent_session_lifetime.total_seconds() - 5
    r = client.get("/bulletins")
    assert r.status_code == 302 and "/login" in r.location
    assert "Phiên làm việc đã hết hạn" in client.get(r.location).get_data(as_text=True)
    assert client.get("/bulletins").status_code == 302, "the expired session is gone for good"


def test_login_rate_limit_per_ip_and_name(web_app):
    client = web_app.test_client()
    for _ in range(5):
        assert post(client, "/login", {"name": "editor", "password": "sai-mat-khau"}).status_code == 401
    blocked = post(client, "/login", {"name": "editor", "password": PASSWORDS["editor"]})
    assert blocked.status_code == 429, "the right password must wait after 5 failures"
    assert "quá nhiều lần" in blocked.get_data(as_text=True)
    other_ip = web_app.test_client()
    r = post(other_ip, "/login", {"name": "editor", "password": PASSWORDS["editor"]},
             environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert r.status_code == 302, "another machine is not locked out"
    assert post(client, "/login", {"name": "office", "password": PASSWORDS["office"]}).status_code == 302


def test_session_cookie_flags_and_security_headers(web_app):
    client = web_app.test_client()
    r = post(client, "/login", {"name": "office", "password": PASSWORDS["office"]})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
    assert "Expires=" in cookie, "the session lives for settings.web.session_minutes"
    page = client.get("/")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_error_pages_are_vietnamese(login_as):
    client = login_as("office")
    r = client.get("/khong-co-trang-nay")
    assert r.status_code == 404 and "Không tìm thấy trang" in r.get_data(as_text=True)
    r = client.get("/bulletins/99999")
    assert r.status_code == 404 and "Không tìm thấy" in r.get_data(as_text=True)
    r = client.get("/station/stop")
    assert r.status_code == 405 and "không nhận thao tác" in r.get_data(as_text=True)


def test_secret_key_generated_once_in_data_folder(ctx):
    from web import create_app

    first = create_app(context=ctx).config["SECRET_KEY"]
    key_file = ctx.home / "web_secret_key"
    assert key_file.is_file() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert create_app(context=ctx).config["SECRET_KEY"] == first, "sessions survive a restart"
    assert len(first) >= 32


def test_settings_drive_upload_limit_and_session_lifetime(home, monkeypatch):
    from broadcaster.context import open_context
    from web import create_app

    monkeypatch.setenv("BROADCASTER_AUDIO_MAX_UPLOAD_MB", "3")
    monkeypatch.setenv("BROADCASTER_WEB_SESSION_MINUTES", "15")
    monkeypatch.setenv("BROADCASTER_WEB_SECRET_KEY", "khoa-bi-mat-cau-hinh")
    context = open_context(home)
    try:
        app = create_app(context=context)
        assert app.config["MAX_CONTENT_LENGTH"] == 3 * 1024 * 1024
        assert app.permanent_session_lifetime.total_seconds() == 15 * 60
        assert app.config["SECRET_KEY"] == "khoa-bi-mat-cau-hinh"
    finally:
        context.dispose()


# ------------------------------------------------------------------ findings of the attacker's audit


@pytest.mark.parametrize("target", [
    "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/ /evil.example",
    "/\\evil.example", "/\x0b/evil.example", "javascript:alert(1)", "https://evil.example/",
    "///evil.example", "/\u200b/evil.example",
])
def test_login_next_with_whitespace_or_control_chars_stays_home(web_app, target):
    """Browsers drop tabs/newlines from URLs: ``/<TAB>/evil.example`` would land on evil.example."""
    client = web_app.test_client()
    r = post(client, "/login", {"name": "editor", "password": PASSWORDS["editor"]},
             query_string={"next": target})
    assert r.status_code == 302, f"login with next={target!r} answered {r.status_code}"
    assert r.location == "/", f"open redirect through next={target!r}: {r.location!r}"


def test_login_next_keeps_an_ordinary_local_path(web_app):
    client = web_app.test_client()
    r = post(client, "/login", {"name": "editor", "password": PASSWORDS["editor"]},
             query_string={"next": "/bulletins?status=draft"})
    assert r.location == "/bulletins?status=draft", r.location


def _real_login(web_app, name):
    client = web_app.test_client()
    r = post(client, "/login", {"name": name, "password": PASSWORDS[name]})
    assert r.status_code == 302, r.get_data(as_text=True)
    return client, client.get_cookie("loaxa_session").value


def test_a_copied_cookie_stops_working_after_logout(web_app):
    client, cookie = _real_login(web_app, "editor")
    assert post(client, "/logout").status_code == 302
    thief = web_app.test_client()
    thief.set_cookie("loaxa_session", cookie)
    r = thief.get("/bulletins")
    assert r.status_code == 302 and "/login" in r.location, \
        "a session cookie copied before logout must not be accepted afterwards"


def test_a_password_change_or_reset_ends_the_other_sessions(web_app, login_as):
    elsewhere, _ = _real_login(web_app, "office")
    here, _ = _real_login(web_app, "office")
    r = post(here, "/account/password", {"current": PASSWORDS["office"], "new": "vanphong-moi-456",
                                         "confirm": "vanphong-moi-456"})
    assert r.status_code == 302, r.get_data(as_text=True)
    assert here.get("/bulletins").status_code == 200, "the session that changed it goes on"
    assert elsewhere.get("/bulletins").status_code == 302, \
        "another session of the account must end when its password changes"
    victim, _ = _real_login(web_app, "editor")
    post(login_as("admin"), f"/admin/users/{user_id(web_app, 'editor')}/password", {})
    assert victim.get("/bulletins").status_code == 302, "an admin's reset must end the sessions"


def test_a_deactivated_users_cookie_stops_working(web_app, login_as):
    client, _ = _real_login(web_app, "approver")
    assert client.get("/bulletins").status_code == 200
    r = post(login_as("admin"), f"/admin/users/{user_id(web_app, 'approver')}/active", {"active": "0"})
    assert r.status_code == 302, r.get_data(as_text=True)
    assert client.get("/bulletins").status_code == 302, "a locked account's session must end"


def test_session_cookie_without_the_server_marks_is_refused(web_app):
    """A cookie forged with only ``uid`` (e.g. minted before the marks existed) is not a login."""
    client = web_app.test_client()
    with client.session_transaction() as sess:
        sess["uid"] = user_id(web_app, "admin")
        sess["seen"] = time.time()
    assert client.get("/admin/users").status_code == 302


def test_bodies_other_than_uploads_are_held_to_the_form_limit(web_app, login_as):
    """The 200 MB upload limit must not let a login form or a JSON call read 200 MB."""
    size = web_app.config["MAX_FORM_BYTES"] + 1024
    visitor = web_app.test_client()
    r = post(visitor, "/login", {"name": "editor", "password": "x" * size})
    assert r.status_code == 413, f"a {size}-byte login form was read ({r.status_code})"
    assert "vượt quá giới hạn" in r.get_data(as_text=True)
    r = post(visitor, "/library/upload", {"title": "to", "file": (io.BytesIO(b"\0" * size), "a.wav")},
             content_type="multipart/form-data")
    assert r.status_code == 413, "a visitor's upload is refused before the file is read"
    editor = login_as("editor")
    r = editor.post("/bulletins/preview", data=b'{"text": "' + b"a" * size + b'"}',
                    content_type="application/json", headers={"X-CSRF-Token": "token-editor"})
    assert r.status_code == 413, r.get_data(as_text=True)[:200]
    from broadcaster.models import User
    from broadcaster.users import issue_token

    with web_app.extensions["broadcaster"].session() as s:
        token = issue_token(s, s.scalar(select(User).where(User.name == "editor")))
    r = web_app.test_client().post("/api/v1/bulletins", data=b'{"title": "' + b"a" * size + b'"}',
                                   content_type="application/json",
                                   headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 413 and r.json["status"] == 413, r.get_data(as_text=True)[:200]


def test_an_editor_may_still_upload_up_to_the_upload_limit(web_app, login_as):
    size = web_app.config["MAX_FORM_BYTES"] + 1024
    r = post(login_as("editor"), "/library/upload",
             {"title": "to", "file": (io.BytesIO(b"\0" * size), "a.wav")},
             content_type="multipart/form-data")
    assert r.status_code == 400, "read and refused as not audio, not cut off as too large"
    assert "vượt quá giới hạn" not in r.get_data(as_text=True)


def test_login_limit_counts_case_and_spacing_variants_of_a_name_together(web_app):
    client = web_app.test_client()
    for name in ("editor", "Editor", " EDITOR ", "editor\t", "eDiToR"):
        assert post(client, "/login", {"name": name, "password": "sai"}).status_code == 401, name
    r = post(client, "/login", {"name": "EDITOR", "password": PASSWORDS["editor"]})
    assert r.status_code == 429, "spelling the name differently must not reset the count"


def test_login_limiter_forgets_names_whose_failures_aged_out():
    from web.security import LoginLimiter

    now = [0.0]
    limiter = LoginLimiter(5, 60.0, clock=lambda: now[0])
    for i in range(LoginLimiter.SWEEP_ABOVE + 500):
        limiter.blocked_for("10.0.0.1", f"ten-{i}")
        limiter.failed("10.0.0.1", f"ten-{i}")
        now[0] += 1.0
    assert len(limiter) <= LoginLimiter.SWEEP_ABOVE, \
        f"{len(limiter)} names kept: guessing with new names grows memory without bound"
    assert limiter.blocked_for("10.0.0.1", "never-tried") == 0.0 and len(limiter) <= LoginLimiter.SWEEP_ABOVE


def test_healthz_tells_a_visitor_only_whether_the_station_is_alive(client, web_app):
    from broadcaster.models import Heartbeat, utcnow

    with web_app.extensions["broadcaster"].session() as s:
        s.add(Heartbeat(output="main", host="may-tram-noi-bo", pid=4242, at=utcnow(),
                        state={"playing": {"title": "Thông báo riêng Thôn Đông", "priority": "normal"}}))
    r = client.get("/healthz")
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and r.json["station_alive"] is True, text
    for secret in ("may-tram-noi-bo", "4242", "Thông báo riêng"):
        assert secret not in text, f"/healthz shows {secret!r} to anyone without a login"


def _add_ip_echo(app):
    """A route answering with the client address the app believes (added before any request)."""
    from flask import request

    app.add_url_rule("/_ip", "_ip", lambda: request.remote_addr or "")


def test_behind_https_the_cookie_is_secure_and_the_proxy_is_believed(home, monkeypatch):
    from broadcaster.context import open_context
    from web import create_app

    (home / "broadcaster.toml").write_text("[web]\nhttps = true\nproxy_hops = 1\n", encoding="utf-8")
    context = open_context(home)
    try:
        app = create_app(context=context)
        _add_ip_echo(app)
        assert app.config["SESSION_COOKIE_SECURE"] is True
        client = app.test_client()
        r = client.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "max-age=" in r.headers.get("Strict-Transport-Security", ""), dict(r.headers)
        cookie = r.headers.get("Set-Cookie", "")
        assert "Secure" in cookie, f"the session cookie must be Secure behind HTTPS: {cookie!r}"
        r = client.get("/_ip", headers={"X-Forwarded-For": "203.0.113.7"})
        assert r.get_data(as_text=True) == "203.0.113.7", "the login limit must see the client"
    finally:
        context.dispose()


def test_without_the_https_setting_forwarded_headers_are_not_believed(web_app):
    _add_ip_echo(web_app)
    assert web_app.config["SESSION_COOKIE_SECURE"] is False, "plain-HTTP LANs must still log in"
    r = web_app.test_client().get("/login")
    assert "Strict-Transport-Security" not in r.headers
    r = web_app.test_client().get("/_ip", headers={"X-Forwarded-For": "203.0.113.7"},
                                  environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert r.get_data(as_text=True) == "10.0.0.5", "a client-sent X-Forwarded-For must not count"


def test_village_head_cannot_play_another_zones_render_by_its_id(web_app, login_as):
    from web_helpers import OTHER_ZONE, ZONE, post_json

    from broadcaster.bulletins import add_bulletin
    from broadcaster.models import Zone

    with web_app.extensions["broadcaster"].session() as s:
        other = add_bulletin(s, title="Riêng thôn Tây", body="Họp thôn Tây.",
                             zone_id=s.scalar(select(Zone.id).where(Zone.name == OTHER_ZONE)))
        own = add_bulletin(s, title="Riêng thôn Đông", body="Họp thôn Đông.",
                           zone_id=s.scalar(select(Zone.id).where(Zone.name == ZONE)))
        other_id, own_id = other.id, own.id
    editor, village = login_as("editor"), login_as("village")
    rendered = post_json(editor, f"/bulletins/{other_id}/render", {})
    assert rendered.status_code == 200, rendered.get_data(as_text=True)
    url = rendered.json["url"]
    assert editor.get(url).status_code == 200, "the editor listens to what he rendered"
    assert village.get(f"/bulletins/{other_id}").status_code == 404
    assert village.get(url).status_code == 404, \
        "a village head played another zone's bulletin by counting asset ids"
    mine = post_json(village, f"/bulletins/{own_id}/render", {})
    assert mine.status_code == 200, mine.get_data(as_text=True)
    assert village.get(mine.json["url"]).status_code == 200, "the own zone's render plays"


def test_a_render_cannot_be_attached_to_a_bulletin_as_its_recording(web_app, login_as):
    """Otherwise a village head attaches another zone's render to an own notice and hears it."""
    from broadcaster.models import AudioAsset, Bulletin

    with web_app.extensions["broadcaster"].session() as s:
        s.add(AudioAsset(sha256="ab" * 32, kind="rendered", title="Bản dựng thôn Tây", language="vi",
                         relpath="cache/x.mp3", format="mp3", seconds=3.0, size_bytes=100))
        s.flush()
        render_id = s.scalar(select(AudioAsset.id).where(AudioAsset.kind == "rendered"))
    r = post(login_as("village"), "/bulletins/new",
             {"title": "Thông báo", "body": "Họp thôn.", "priority": "normal",
              "recording_id": str(render_id)})
    assert r.status_code == 400, f"a render was accepted as a recording ({r.status_code})"
    with web_app.extensions["broadcaster"].session() as s:
        assert s.scalar(select(Bulletin.id).where(Bulletin.recording_id == render_id)) is None


def test_script_in_campaign_slot_upload_and_full_names_is_escaped(web_app, login_as):
    from broadcaster.models import AudioAsset, User

    evil = '"><script>alert(1)</script><img src=x onerror=alert(1)>'
    editor, approver, admin = login_as("editor"), login_as("approver"), login_as("admin")
    r = post(editor, "/schedule/campaigns", {"name": "C" + evil, "theme": evil, "starts_on": "01/01/2026",
                                             "ends_on": "28/02/2026", "target_per_day": "1"})
    assert r.status_code == 302, r.get_data(as_text=True)
    r = post(editor, "/bulletins/new", {"title": evil, "body": "Nội dung thử.", "priority": "normal"})
    bid = int(r.location.rsplit("/", 1)[1])
    assert post(approver, f"/bulletins/{bid}/approve", {}).status_code == 302
    r = post(editor, "/schedule/new", {"bulletin_ids": str(bid), "kind": "daily", "daily": "07:00",
                                       "name": evil, "zones": "Thôn Đông", "repeats": "1",
                                       "accept_warnings": "yes", "greeting": "yes"})
    assert r.status_code == 302, r.get_data(as_text=True)
    with web_app.extensions["broadcaster"].session() as s:
        s.add(AudioAsset(sha256="cd" * 32, kind="recording", title=evil, language="vi",
                         relpath="uploads/x.ogg", format="ogg", seconds=3.0, size_bytes=100))
        s.scalar(select(User).where(User.name == "editor")).full_name = evil
    for path in ("/", "/schedule", "/schedule/campaigns", "/schedule/new", "/library",
                 f"/bulletins/{bid}/edit", "/bulletins/new"):
        for client in (editor, admin):
            text = client.get(path).get_data(as_text=True)
            assert "<script>alert" not in text and "<img src=x" not in text, f"unescaped on {path}"


def test_every_state_changing_panel_route_demands_the_csrf_token(web_app, login_as):
    """Walks the URL map, so a route added later without the check is caught too."""
    client = login_as("admin")
    checked = 0
    for rule in web_app.url_map.iter_rules():
        unsafe = set(rule.methods or ()) & {"POST", "PUT", "PATCH", "DELETE"}
        if not unsafe or rule.rule.startswith("/api/v1"):
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", "1")
        path = re.sub(r"<any\(([a-z]+)[^>]*\):\w+>", r"\1", path)
        path = re.sub(r"<(?:\w+:)?\w+>", "csv", path)
        for method in unsafe:
            r = client.open(path, method=method, data={"name": "x"})
            assert r.status_code == 400 and "Phiên biểu mẫu" in r.get_data(as_text=True), \
                f"{method} {path} ran without a CSRF token ({r.status_code})"
            checked += 1
    assert checked >= 20, f"only {checked} routes found: the walk is broken"
