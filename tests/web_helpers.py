"""Helpers for the panel's tests (plain functions; the fixtures live in ``web_fixtures``).

``csrf(client)`` gives the token a form must carry; ``post(client, url, data)`` posts a form with
it, ``post_json`` sends JSON with the ``X-CSRF-Token`` header as app.js does.
"""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

PASSWORDS = {
    "admin": "quantri-123",
    "editor": "bientap-123",
    "approver": "pheduyet-123",
    "village": "truongthon-123",
    "office": "vanphong-123",
}
ZONE = "Thôn Đông"
OTHER_ZONE = "Thôn Tây"


def user_id(app: Flask, name: str) -> int:
    from sqlalchemy import select

    from broadcaster.models import User

    with app.extensions["broadcaster"].session() as session:
        return session.scalar(select(User.id).where(User.name == name))


def csrf(client: FlaskClient) -> str:
    """The CSRF token of the client's session (created if missing)."""
    with client.session_transaction() as sess:
        if not sess.get("csrf_token"):
            sess["csrf_token"] = "token-visitor"
        return sess["csrf_token"]


def post(client: FlaskClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """POST a form carrying the session's CSRF token, as the browser would."""
    form = dict(data or {})
    form.setdefault("csrf_token", csrf(client))
    return client.post(url, data=form, **kwargs)


def post_json(client: FlaskClient, url: str, body: Any) -> Any:
    """POST JSON with the CSRF header, as app.js does."""
    return client.post(url, json=body, headers={"X-CSRF-Token": csrf(client)})
