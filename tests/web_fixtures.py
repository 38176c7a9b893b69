"""Fixtures for the panel's tests: an app on a fresh data folder, one user per role, logins.

Use from a test module with ``pytest_plugins = ["web_fixtures"]``. ``login_as("editor")`` gives a
test client whose session is already logged in (no scrypt per test); helpers (``csrf``, ``post``, ``post_json``) are in
``web_helpers``.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

# Re-exported so ``from web_fixtures import post`` keeps working in test modules.
from web_helpers import OTHER_ZONE, PASSWORDS, ZONE, csrf, post, post_json, user_id

__all__ = ["OTHER_ZONE", "PASSWORDS", "ZONE", "csrf", "post", "post_json", "user_id"]


@pytest.fixture
def web_app(ctx: Any) -> Iterator[Flask]:
    """The panel on a fresh data folder, with two zones and one user per role (name = role)."""
    from broadcaster.models import Zone
    from broadcaster.users import add_user
    from web import create_app

    with ctx.session() as session:
        session.add_all([Zone(name=ZONE), Zone(name=OTHER_ZONE)])
        session.flush()
        for role, password in PASSWORDS.items():
            add_user(session, role, role, password, zone_name=ZONE if role == "village" else None,
                     full_name=f"Người dùng {role}")
    app = create_app({"TESTING": True}, context=ctx)
    yield app


@pytest.fixture
def client(web_app: Flask) -> FlaskClient:
    return web_app.test_client()


@pytest.fixture
def login_as(web_app: Flask) -> Callable[[str], FlaskClient]:
    """A new client logged in as the user named ``name`` (the role names are users)."""

    def make(name: str) -> FlaskClient:
        from broadcaster.models import User
        from web.db import get_session
        from web.security import session_values

        client = web_app.test_client()
        uid = user_id(web_app, name)
        assert uid is not None, f"no user {name!r}"
        with web_app.test_request_context():
            values = session_values(get_session().get(User, uid))
        with client.session_transaction() as sess:
            sess.update(values)
            sess["csrf_token"] = f"token-{name}"
            sess.permanent = True
        return client

    return make
