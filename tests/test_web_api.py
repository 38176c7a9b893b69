"""``/api/v1``: token authentication, roles, every endpoint, JSON errors, the OpenAPI document."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from web_helpers import ZONE

pytest_plugins = ["web_fixtures"]

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ROLES = ("admin", "editor", "approver", "village", "office")


@pytest.fixture
def tokens(web_app) -> dict[str, str]:
    """One API token per role, issued as the admin would."""
    from sqlalchemy import select

    from broadcaster.models import User
    from broadcaster.users import issue_token

    found = {}
    with web_app.extensions["broadcaster"].session() as session:
        for role in ROLES:
            user = session.scalar(select(User).where(User.name == role))
            found[role] = issue_token(session, user, "kiểm thử")
    return found


@pytest.fixture
def api(client, tokens):
    """``api("editor", "get", "/bulletins", json=...)`` → response."""

    def call(role: str | None, method: str, path: str, **kwargs):
        headers = kwargs.pop("headers", {})
        if role is not None:
            headers["Authorization"] = f"Bearer {tokens[role]}"
        return getattr(client, method)("/api/v1" + path, headers=headers, **kwargs)

    return call


def approved(web_app, title="Thông báo lịch cắt điện", body="Ngày mai cắt điện từ 7 giờ.") -> int:
    from broadcaster import bulletins

    with web_app.extensions["broadcaster"].session() as session:
        b = bulletins.add_bulletin(session, title=title, body=body)
        bulletins.transition(session, b, "approve", None)
        session.flush()
        return b.id


def test_401_without_or_with_a_bad_token_403_for_a_role_that_may_not(api, client) -> None:
    for headers in ({}, {"Authorization": "Bearer lx_sai"}, {"Authorization": "Basic abc"},
                    {"Authorization": "Bearer "}):
        response = client.get("/api/v1/bulletins", headers=headers)
        assert response.status_code == 401, headers
        body = response.get_json()
        assert body["status"] == 401 and ("mã" in body["error"].lower() or "Authorization" in body["error"]), body
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    forbidden = api("village", "post", "/schedule", json={"bulletin_ids": [1], "daily": "06:00"})
    assert forbidden.status_code == 403 and "không được phép" in forbidden.get_json()["error"]
    assert api("office", "post", "/bulletins", json={"title": "x", "text": "y"}).status_code == 403
    assert api("editor", "post", "/bulletins/1/approve").status_code == 403
    assert api("editor", "post", "/commands", json={"kind": "stop"}).status_code == 403
    assert api("village", "get", "/evidence/verify").status_code == 403


def test_session_cookie_is_not_an_api_credential(web_app, login_as) -> None:
    browser = login_as("admin")
    assert browser.get("/api/v1/bulletins").status_code == 401, "API chỉ nhận mã truy cập"


def test_revoked_token_is_refused(web_app, api, tokens) -> None:
    from broadcaster.models import ApiToken

    assert api("editor", "get", "/me").get_json()["role"] == "editor"
    with web_app.extensions["broadcaster"].session() as session:
        for row in session.query(ApiToken).all():
            row.revoked = True
    assert api("editor", "get", "/me").status_code == 401


def test_bulletin_workflow_through_the_api(web_app, api) -> None:
    created = api("editor", "post", "/bulletins", json={
        "title": "Tiêm phòng dại cho chó mèo", "text": "Ngày 15/3 tiêm phòng tại <b>nhà văn hóa</b>.",
        "category": "Thú y", "submit": True})
    assert created.status_code == 201, created.get_json()
    bulletin = created.get_json()
    assert bulletin["status"] == "submitted" and bulletin["author"] == "editor"
    assert bulletin["text"].endswith("<b>nhà văn hóa</b>."), "văn bản được lưu nguyên, HTML chỉ là chữ"
    approved_ = api("approver", "post", f"/bulletins/{bulletin['id']}/approve")
    assert approved_.status_code == 200 and approved_.get_json()["status"] == "approved"
    again = api("approver", "post", f"/bulletins/{bulletin['id']}/approve")
    assert again.status_code == 400 and "Không thể phê duyệt" in again.get_json()["error"]
    assert api("approver", "post", "/bulletins/9999/approve").status_code == 404
    listed = api("office", "get", "/bulletins?status=approved").get_json()
    assert [b["id"] for b in listed["items"]] == [bulletin["id"]] and listed["next_offset"] is None
    assert api("office", "get", f"/bulletins/{bulletin['id']}").get_json()["category"] == "Thú y"


@pytest.mark.parametrize("body, message", [
    ([1, 2], "đối tượng JSON"),
    ({"title": "", "text": "x"}, "Tiêu đề bản tin không được để trống"),
    ({"title": 5, "text": "x"}, "phải là chuỗi"),
    ({"title": "T", "text": "x" * 20_001}, "Nội dung quá dài"),
    ({"title": "T", "text": "x", "priority": "cao"}, "Mức ưu tiên không hợp lệ"),
    ({"title": "T", "text": "x", "submit": "yes"}, "true hoặc false"),
])
def test_bad_bulletin_input_gives_vietnamese_json_errors(web_app, api, body, message) -> None:
    response = api("editor", "post", "/bulletins", json=body)
    assert response.status_code == 400, response.get_json()
    assert message in response.get_json()["error"]
    assert api("editor", "get", "/bulletins").get_json()["items"] == [], "không lưu gì"


def test_village_notice_goes_to_its_zone_for_approval(web_app, api) -> None:
    made = api("village", "post", "/bulletins", json={"title": "Họp thôn", "text": "Tối nay họp."})
    assert made.status_code == 201
    body = made.get_json()
    assert body["status"] == "submitted" and body["zone"] == ZONE, body
    urgent = api("village", "post", "/bulletins", json={"title": "Khẩn", "text": "x", "priority": "emergency"})
    assert urgent.status_code == 403
    other = approved(web_app, "Tin toàn xã", "Không gắn thôn.")
    assert [b["id"] for b in api("village", "get", "/bulletins").get_json()["items"]] == [body["id"]]
    assert api("village", "get", f"/bulletins/{other}").status_code == 404


def test_bulletin_paging(web_app, api) -> None:
    for n in range(5):
        approved(web_app, f"Tin {n}", "Nội dung.")
    first = api("office", "get", "/bulletins?limit=2").get_json()
    assert [b["title"] for b in first["items"]] == ["Tin 4", "Tin 3"] and first["next_offset"] == 2
    last = api("office", "get", "/bulletins?limit=2&offset=4").get_json()
    assert [b["title"] for b in last["items"]] == ["Tin 0"] and last["next_offset"] is None
    assert api("office", "get", "/bulletins?limit=0").status_code == 400
    assert "số nguyên" in api("office", "get", "/bulletins?offset=x").get_json()["error"]


def test_schedule_create_conflict_warning_list_and_occurrences(web_app, api) -> None:
    bid = approved(web_app)
    check = api("editor", "post", "/schedule/check", json={"bulletin_ids": [bid], "daily": "06:00"})
    assert check.status_code == 200 and check.get_json()["ok"] is True, check.get_json()
    made = api("editor", "post", "/schedule", json={"bulletin_ids": [bid], "daily": "06:00",
                                                    "days": ["mon", "wed", "fri"], "zones": [ZONE]})
    assert made.status_code == 201, made.get_json()
    slot = made.get_json()
    assert slot["kind"] == "daily" and slot["days"] == "mon,wed,fri" and slot["zones"] == [ZONE]
    assert slot["next"], "phải có lần phát sắp tới"
    clash = api("editor", "post", "/schedule", json={"bulletin_ids": [bid], "daily": "06:00", "days": "mon"})
    assert clash.status_code == 409 and "Trùng lịch" in clash.get_json()["error"]
    night = api("editor", "post", "/schedule", json={"bulletin_ids": [bid], "daily": "23:30"})
    assert night.status_code == 422 and "giờ nghỉ đêm" in night.get_json()["error"]
    ok = api("editor", "post", "/schedule", json={"bulletin_ids": [bid], "daily": "23:30",
                                                  "accept_warnings": True})
    assert ok.status_code == 201
    bad = api("editor", "post", "/schedule", json={"bulletin_ids": "1", "daily": "06:00"})
    assert bad.status_code == 400 and "bulletin_ids" in bad.get_json()["error"]
    slots = api("office", "get", "/schedule").get_json()
    assert slots["total"] == 2
    today = dt.datetime.now(VN).date()
    occ = api("office", "get", f"/schedule/occurrences?from={today.isoformat()}").get_json()
    assert occ["from"] == today.isoformat() and occ["to"] == (today + dt.timedelta(days=6)).isoformat()
    at_23 = [o for o in occ["items"] if o["at"][11:16] == "23:30"]
    # A slot made after 23:30 first airs tomorrow: six in the week, not seven.
    made_late = dt.datetime.now(VN).time() >= dt.time(23, 30)
    assert len(at_23) == (6 if made_late else 7), occ["items"]
    assert occ["items"][0]["items"][0]["title"] == "Thông báo lịch cắt điện"
    too_long = api("office", "get", f"/schedule/occurrences?from={today}&to={today + dt.timedelta(days=100)}")
    assert too_long.status_code == 400 and "tối đa" in too_long.get_json()["error"]


def test_commands_emergency_and_stop(web_app, api) -> None:
    bid = approved(web_app)
    made = api("approver", "post", "/commands", json={"kind": "emergency", "bulletin_id": bid})
    assert made.status_code == 201, made.get_json()
    command = made.get_json()
    assert command["kind"] == "emergency" and command["status"] == "pending"
    assert command["acknowledged_at"] is None
    seen = api("office", "get", f"/commands/{command['id']}").get_json()
    assert seen["id"] == command["id"] and seen["label"]
    stop = api("admin", "post", "/commands", json={"kind": "stop"})
    assert stop.status_code == 201 and stop.get_json()["kind"] == "stop"
    assert api("approver", "post", "/commands", json={"kind": "reboot"}).status_code == 400
    missing = api("approver", "post", "/commands", json={"kind": "emergency"})
    assert missing.status_code == 400 and "bulletin_id" in missing.get_json()["error"]
    assert api("approver", "post", "/commands", json={"kind": "emergency", "bulletin_id": 999}).status_code == 404
    assert api("office", "get", "/commands/999").status_code == 404
    assert api("village", "get", f"/commands/{command['id']}").status_code == 403


def test_evidence_same_objects_as_the_cli_and_verify(web_app, api) -> None:
    from broadcaster import evidence

    when = dt.datetime(2025, 3, 10, 6, 0, tzinfo=VN)
    with web_app.extensions["broadcaster"].session() as session:
        for n, zone in enumerate(["", ZONE, "Thôn Tây"]):
            evidence.append_entry(session, occurrence_key=f"slot-1@2025-03-1{n}", status="completed",
                                  scheduled_at=when + dt.timedelta(days=n), started_at=None,
                                  ended_at=None, seconds_played=30.0, zone=zone, title=f"Tin {n}")
    listed = api("office", "get", "/evidence").get_json()
    from broadcaster.models import EvidenceEntry

    with web_app.extensions["broadcaster"].session() as session:
        # evidence.entry_dict is what ``broadcaster log list --json`` prints (INTERFACE.md).
        expected = [evidence.entry_dict(e, "Asia/Ho_Chi_Minh")
                    for e in session.query(EvidenceEntry).order_by(EvidenceEntry.id.desc())]
    assert listed["items"] == expected, "API và CLI phải trả cùng một đối tượng"
    assert listed["items"][0]["scheduled_at"] == "2025-03-12T06:00:00+07:00"
    village = api("village", "get", "/evidence").get_json()
    assert [e["zone"] for e in village["items"]] == [ZONE, ""], village
    assert [e["id"] for e in api("office", "get", "/evidence?status=completed&from=2025-03-12").get_json()["items"]] == [3]
    assert api("office", "get", "/evidence?status=vui").status_code == 400
    verify = api("office", "get", "/evidence/verify").get_json()
    assert verify["ok"] is True and verify["count"] == 3, verify


def _flask_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.removeprefix("/api/v1"))


def test_openapi_documents_every_route_with_its_roles(web_app, client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200, "tài liệu API công khai"
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    routes = set()
    for rule in web_app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes.add((_flask_path(rule.rule), method.lower()))
                view = web_app.view_functions[rule.endpoint]
                operation = doc["paths"].get(_flask_path(rule.rule), {}).get(method.lower())
                assert operation is not None, f"chưa mô tả {method} {rule.rule}"
                roles = getattr(view, "allowed_roles", None)
                if roles is not None:
                    assert sorted(operation["x-roles"]) == sorted(roles), rule.rule
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert documented == routes, documented ^ routes
    # Every $ref points at something that exists.
    refs = re.findall(r'"\$ref": "#/components/(\w+)/(\w+)"', response.get_data(as_text=True).replace('":"', '": "'))
    for section, name in refs:
        assert name in doc["components"][section], name
