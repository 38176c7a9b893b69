"""The Flask panel: ``create_app`` builds it; nothing is created at import time.

Why a factory: the CLI (``broadcaster web``), the tests and the benchmark each build their own
app around their own data folder (one :class:`broadcaster.context.Context`), and the station
daemon's process never imports Flask at all.
"""
from __future__ import annotations

import datetime as dt
import importlib
import logging
import secrets
from pathlib import Path
from typing import Any, Mapping

from flask import Flask

from broadcaster.context import Context, open_context

logger = logging.getLogger(__name__)

#: The panel's areas, one blueprint each; each module exposes ``bp``.
BLUEPRINTS = (
    "web.auth",
    "web.dashboard",
    "web.bulletins",
    "web.glossary",
    "web.library",
    "web.admin",
    "web.schedule",
    "web.logs",
    "web.campaigns",
    "web.village_reports",
    "web.api",
    "web.receivers_api",
    "web.public",
)
SECRET_KEY_FILE = "web_secret_key"


class PanelFlask(Flask):
    """Flask, minus a check repeated on every request for a panel that has no async views.

    Flask asks ``inspect.iscoroutinefunction`` of every hook and view on every request (five
    times a page); the answer for a function never changes, so it is asked once per function.
    """

    def ensure_sync(self, func: Any) -> Any:
        known: dict[Any, Any] = self.__dict__.setdefault("_sync_funcs", {})
        sync = known.get(func)
        if sync is None:
            sync = super().ensure_sync(func)
            if len(known) < 1000:  # hooks and views: a few hundred at most
                known[func] = sync
        return sync


def create_app(test_config: Mapping[str, Any] | None = None, context: Context | None = None) -> Flask:
    """Build the panel around ``context`` (or the data folder from the environment)."""
    from web.cookie_session import VerifiedCookieSessionInterface
    from web.jsonread import StrictJSONProvider

    app = PanelFlask(__name__)
    app.json = StrictJSONProvider(app)
    app.session_interface = VerifiedCookieSessionInterface()
    ctx = context or open_context()
    settings = ctx.settings
    app.extensions["broadcaster"] = ctx
    app.config.update(
        SECRET_KEY=ensure_secret_key(settings),
        MAX_CONTENT_LENGTH=int(settings.audio.max_upload_mb * 1024 * 1024),
        # Any body but an audio upload's (forms, JSON): a 20,000-character bulletin is < 100 kB.
        MAX_FORM_BYTES=int(settings.web.max_body_kb) * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="loaxa_session",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=settings.web.session_minutes),
        # The cookie is re-sent only when the session changes (``seen`` at most once a minute,
        # web/security.py), not re-signed on every page.
        SESSION_REFRESH_EACH_REQUEST=False,
        # Login attempts per (IP, name) allowed inside the window before refusing.
        LOGIN_MAX_ATTEMPTS=5,
        LOGIN_WINDOW_S=300,
        # Failed logins from one address, whatever the names, inside the same window.
        LOGIN_MAX_PER_ADDRESS=20,
        RENDERS_PER_MINUTE=int(settings.web.renders_per_minute),
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    _configure_https(app, settings)
    if test_config:
        app.config.update(test_config)

    from web import db, errors, format, fragments, nav, security

    db.init_app(app)
    security.init_app(app)
    format.init_app(app)
    errors.init_app(app)
    nav.init_app(app)
    fragments.init_app(app)

    for name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(name).bp)
    return app


def compile_templates(app: Flask) -> int:
    """Compile every template now (Jinja otherwise compiles each on its first page).

    Why: compiling the panel's templates costs about 0.7 s of CPU, paid by the first people to
    open each page after a start; ``broadcaster web`` calls this in the parent before it forks
    its workers, so every worker starts with them compiled (shared, copy-on-write)."""
    env = app.jinja_env
    names = env.list_templates(filter_func=lambda name: name.endswith((".html", ".xml", ".txt")))
    if env.cache is not None and getattr(env.cache, "capacity", len(names)) < len(names):
        logger.warning("bộ nhớ đệm mẫu trang nhỏ hơn số mẫu trang (%d)", len(names))
    for name in names:
        env.get_template(name)
    return len(names)


def _configure_https(app: Flask, settings: Any) -> None:
    """Behind an HTTPS reverse proxy: Secure cookies, HSTS, and the proxy's client address.

    ``web.https = true`` marks the session cookie Secure (never sent over plain HTTP) and asks
    browsers to keep to HTTPS; ``web.proxy_hops = 1`` trusts that many proxies' X-Forwarded-For
    and -Proto, so the login limit counts the real client, not the proxy. Both stay off by
    default: on a commune's LAN the panel is often reached over plain HTTP, where a Secure
    cookie would make logging in impossible, and a forwarded header from a client must not be
    believed when no proxy is there.
    """
    https = settings.web.https
    app.config["SESSION_COOKIE_SECURE"] = https
    app.config["LOAXA_HSTS"] = https
    hops = settings.web.proxy_hops
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Host and prefix too: the public site's links, feeds and QR codes name the address
        # the visitor used (public.base_url unset), e.g. https://xa.gov.vn/loaxa behind nginx.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)


def ensure_secret_key(settings: Any) -> str:
    """The key sessions are signed with: the setting, else the data folder's file (made now)."""
    return str(settings.web.secret_key or _secret_key_from_file(settings.home))


def _secret_key_from_file(home: Path) -> str:
    """A random key kept in the data folder, so sessions survive restarts without a setting."""
    path = home / SECRET_KEY_FILE
    if path.is_file():
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key + "\n", encoding="utf-8")
    path.chmod(0o600)
    logger.info("đã tạo khóa bí mật cho bảng điều khiển ở %s", path)
    return key
