"""Error pages that never turn English (issue 12): a write the database refuses as a duplicate, one
no check caught first (two people adding the same name at the same instant), gives a Vietnamese 409
with the panel's layout, and the page after it works; the error page never reads a failed session."""
from __future__ import annotations

from typing import Any

import pytest
from web_helpers import OTHER_ZONE, ZONE, post

pytest_plugins = ["web_fixtures"]


def _zone_id(web_app: Any, name: str) -> int:
    from sqlalchemy import select

    from broadcaster.models import Zone

    with web_app.extensions["broadcaster"].session() as session:
        return int(session.scalar(select(Zone.id).where(Zone.name == name)))


def _no_prior_check(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    """The other request's row is written between this one's check and its write."""
    import importlib

    monkeypatch.setattr(importlib.import_module(module), "find_by_name", lambda *a, **k: None)


def test_a_duplicate_zone_rename_that_slipped_past_the_check_is_a_vietnamese_409(
        web_app: Any, login_as: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = login_as("admin")
    _no_prior_check(monkeypatch, "broadcaster.zones")
    response = post(admin, f"/admin/zones/{_zone_id(web_app, OTHER_ZONE)}",
                    {"name": ZONE, "kind": "thôn", "output": "main"})
    body = response.get_data(as_text=True)
    assert response.status_code == 409, body[:500]
    assert "dữ liệu trùng với một mục đã có" in body and 'class="nav' in body, body[:2000]
    assert "Internal Server Error" not in body and "IntegrityError" not in body
    monkeypatch.undo()
    after = admin.get("/admin/zones")
    assert after.status_code == 200 and OTHER_ZONE in after.get_data(as_text=True), "nothing changed"


def test_a_duplicate_login_that_slipped_past_the_check_is_a_vietnamese_409(
        web_app: Any, login_as: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = login_as("admin")
    _no_prior_check(monkeypatch, "broadcaster.users")
    response = post(admin, "/admin/users", {"name": "editor", "role": "editor", "full_name": "Chị Lan"})
    assert response.status_code == 409, response.get_data(as_text=True)[:500]
    assert "dữ liệu trùng" in response.get_data(as_text=True)


def test_the_api_says_the_same_in_json(web_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from flask import Flask

    from web.db import get_session

    assert isinstance(web_app, Flask)

    @web_app.route("/api/v1/_twice")
    def twice() -> str:  # a write the database refuses, as any route's commit could meet it
        from broadcaster.models import Zone

        session = get_session()
        session.add(Zone(name=ZONE))
        session.commit()
        return "ok"

    response = web_app.test_client().get("/api/v1/_twice")
    assert response.status_code == 409 and "dữ liệu trùng" in response.get_json()["error"]


def test_a_favicon_on_every_page_and_at_the_address_browsers_ask(web_app: Any, client: Any) -> None:
    login = client.get("/login").get_data(as_text=True)
    public = client.get("/public/").get_data(as_text=True)
    for page in (login, public):
        assert 'rel="icon"' in page and "favicon.svg" in page, page[:600]
    asked = client.get("/favicon.ico")
    assert asked.status_code in (301, 308) and asked.headers["Location"].endswith("/static/favicon.svg")
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
