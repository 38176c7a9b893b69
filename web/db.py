"""The request's database session, taken from the app's one broadcaster context.

The engine and session factory live in the :class:`~broadcaster.context.Context` built once per
process; each request gets its own session (never shared between threads) and it is closed when
the app context ends. Views commit explicitly after calling the domain: domain functions never
commit, so a view that raises leaves nothing half-written.
"""
from __future__ import annotations

import logging

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from broadcaster.config import Settings
from broadcaster.context import Context

logger = logging.getLogger(__name__)


def get_context() -> Context:
    """The broadcaster context the app was built around."""
    return current_app.extensions["broadcaster"]


def get_settings() -> Settings:
    return get_context().settings


def get_session() -> Session:
    """This request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = get_context().sessions()
    return g.db_session


def close_session(exc: BaseException | None = None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is None:
        return
    try:
        if exc is not None:
            session.rollback()
    finally:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_session)
