"""Who is asking and may they: login, roles, CSRF and the login rate limit.

Why hand-written and small: the panel needs four things (a session login, a role check, a CSRF
token on every form, a brake on password guessing); a framework for each would bring more than
it gives to a commune server that must run offline. The JSON API under ``/api/v1`` uses tokens
instead of cookies, so CSRF does not apply there and its views authenticate themselves.
"""
from __future__ import annotations

import functools
import hmac
import logging
import secrets
import threading
import time
import unicodedata
from collections import deque
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from markupsafe import Markup

from broadcaster import panel_state
from broadcaster.models import ROLES, User
from web.db import get_session

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Paths under this prefix authenticate with API tokens, not cookies: no CSRF there.
API_PREFIX = "/api/v1"
#: Endpoints a user who must change the password may still reach.
_PASSWORD_CHANGE_ENDPOINTS = {"auth.change_password", "auth.logout", "static"}
ALL_ROLES = ROLES
#: The limiter's key for "any name from this address".
ADDRESS_ANY = "\x00*"


# ------------------------------------------------------------------ current user


def current_user() -> User | None:
    """The logged-in user of this request, or None for a visitor."""
    return g.get("user")


def _load_user() -> None:
    """Load the session's user; an idle-expired or deactivated login becomes a visitor."""
    g.user = None
    g.session_expired = False
    uid = session.get("uid")
    if uid is None:
        return
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    seen = float(session.get("seen", 0))
    now = time.time()
    if now - seen > lifetime:
        session.clear()
        g.session_expired = True
        return
    sid = session.get(SESSION_ID_FIELD)
    # The user and "was this login revoked" in one statement, seen alike by every process.
    user = panel_state.session_user(get_session(), int(uid), str(sid), time.time()) if sid else None
    if user is None or not user.active or not _session_still_valid(user):
        session.clear()
        return
    if now - seen >= SEEN_EVERY_S:
        # At most once a minute: writing it on every request re-signed and re-sent the cookie
        # on every page (the idle limit is in minutes; a minute's slack changes nothing).
        session["seen"] = now
    g.user = user


# A Flask session lives in the signed cookie, so clearing it on logout only clears the browser's
# copy: a cookie copied before (a shared computer, a proxy log) would still be accepted. Two
# server-side checks close that: each login gets a session id that logout revokes, and the
# session carries a mark of the password hash, so a password change or an admin's reset ends
# every other session of that account.
SESSION_ID_FIELD = "sid"
#: How often a request refreshes the session's ``seen`` (and so the cookie): the idle limit is
#: counted from it, so a session may live this much past ``web.session_minutes`` of idleness.
SEEN_EVERY_S = 60.0
PASSWORD_MARK_FIELD = "pw"
_REVOKED_KEY = "loaxa_revoked_sessions"


def password_mark(user: User) -> str:
    """A keyed digest of the account's password hash (the hash itself never enters the cookie)."""
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    message = f"{user.id}:{user.password_hash}".encode("utf-8")
    return hmac.new(key, message, "sha256").hexdigest()[:32]


def session_values(user: User) -> dict[str, Any]:
    """What a fresh login puts in the session (also used by tests that log in directly)."""
    return {
        "uid": user.id,
        "seen": time.time(),
        SESSION_ID_FIELD: secrets.token_urlsafe(16),
        PASSWORD_MARK_FIELD: password_mark(user),
        CSRF_FIELD: secrets.token_urlsafe(32),
    }


class RevokedSessions:
    """Session ids ended by logout, kept until no cookie carrying them could still be fresh.

    A revoked id only needs remembering for the idle lifetime: its cookie's ``seen`` is no newer
    than the logout, so after that long (plus the minute ``seen`` may lag) the idle check refuses
    it anyway. Kept in the database (:mod:`broadcaster.panel_state`), so a logout in one panel
    process ends the copied cookie in every process, and a restart forgets nothing.
    """

    def __init__(self, lifetime_s: float, sessions: Callable[[], Any],
                 clock: Callable[[], float] = time.time) -> None:
        self.lifetime_s = lifetime_s + SEEN_EVERY_S
        self.sessions = sessions
        self.clock = clock

    def revoke(self, sid: str) -> None:
        now = self.clock()
        with self.sessions() as db:
            panel_state.revoke_session(db, sid, now + self.lifetime_s, now)

    def __contains__(self, sid: object) -> bool:
        with self.sessions() as db:
            return panel_state.is_revoked(db, str(sid), self.clock())

    def __len__(self) -> int:
        with self.sessions() as db:
            return panel_state.count_revoked(db, self.clock())


def revoked_sessions() -> RevokedSessions:
    return current_app.extensions[_REVOKED_KEY]


def _session_still_valid(user: User) -> bool:
    """The session carries an id and the mark of the account's current password (whether the
    id was revoked was asked together with the user, by ``panel_state.session_user``)."""
    sid = session.get(SESSION_ID_FIELD)
    mark = session.get(PASSWORD_MARK_FIELD)
    if not sid or not mark:
        return False
    return hmac.compare_digest(str(mark), password_mark(user))


def log_in(user: User) -> None:
    """Start a fresh session for ``user`` (new id and CSRF token: nothing carried over)."""
    old_sid = session.get(SESSION_ID_FIELD)
    if old_sid:
        revoked_sessions().revoke(str(old_sid))
    session.clear()
    session.permanent = True
    session.update(session_values(user))
    g.user = user


def log_out() -> None:
    """End the session here and for any copy of its cookie."""
    sid = session.get(SESSION_ID_FIELD)
    if sid:
        revoked_sessions().revoke(str(sid))
    session.clear()
    g.user = None


def login_required(view: F) -> F:
    """Visitors go to the login form (and come back); a forced password change comes first."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None:
            if g.get("session_expired"):
                flash("Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại.", "info")
            else:
                flash("Vui lòng đăng nhập để tiếp tục.", "info")
            return redirect(url_for("auth.login", next=_safe_next(request.full_path)))
        if user.must_change_password and request.endpoint not in _PASSWORD_CHANGE_ENDPOINTS:
            flash("Bạn cần đổi mật khẩu trước khi dùng hệ thống.", "info")
            return redirect(url_for("auth.change_password"))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def roles_required(*roles: str) -> Callable[[F], F]:
    """Only these roles may use the view; others get the Vietnamese 403 page."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            assert user is not None  # login_required ran first
            if user.role not in roles:
                logger.info("từ chối %s cho %s (%s)", request.endpoint, user.name, user.role)
                abort(403)
            return view(*args, **kwargs)

        return login_required(checked)  # type: ignore[return-value]

    return decorator


def has_role(*roles: str) -> bool:
    """For templates and views: does the current user hold one of ``roles``?"""
    user = current_user()
    return user is not None and user.role in roles


def _safe_next(target: str | None) -> str:
    """Only local paths: ``next=//evil.example`` must not send a user elsewhere after login.

    Browsers drop tabs and newlines from a URL and read ``\\`` as ``/``, so ``/\t/evil.example``
    or ``/\\evil.example`` would become ``//evil.example``; any control character, whitespace or
    backslash makes the target unusable rather than something to clean up.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return ""
    if any(ch == "\\" or ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in target):
        return ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return ""
    return target.rstrip("?")


safe_next = _safe_next


# ------------------------------------------------------------------ CSRF


def csrf_token() -> str:
    """The session's CSRF token (created on first use)."""
    token = session.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def csrf_field() -> Markup:
    """``{{ csrf_field() }}`` in every form: the hidden input carrying the token."""
    return Markup('<input type="hidden" name="%s" value="%s">') % (CSRF_FIELD, csrf_token())


def _check_csrf() -> None:
    if request.method not in UNSAFE_METHODS:
        return
    if request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/"):
        return
    expected = session.get(CSRF_FIELD)
    given = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    if not expected or not given or not hmac.compare_digest(str(expected), str(given)):
        logger.warning("từ chối yêu cầu thiếu mã CSRF: %s %s", request.method, request.path)
        abort(400, description="Phiên biểu mẫu không hợp lệ hoặc đã hết hạn. "
                               "Vui lòng tải lại trang và thử lại.")


# ------------------------------------------------------------------ request size


#: Endpoints that take audio files: only these may receive ``MAX_CONTENT_LENGTH`` (the upload
#: limit from the settings), and only from a logged-in user.
UPLOAD_ENDPOINTS = frozenset({"library.upload"})


def _limit_body() -> None:
    """Every other request body is held to ``MAX_FORM_BYTES``.

    Why: the upload limit (200 MB by default) applied to every route let anyone, logged in or
    not, make the server read and parse a 200 MB form or JSON document (the CSRF check reads the
    form before any login check). Werkzeug answers 413 as soon as the limit is passed.
    """
    if request.endpoint in UPLOAD_ENDPOINTS and current_user() is not None:
        return
    request.max_content_length = int(current_app.config["MAX_FORM_BYTES"])


# ------------------------------------------------------------------ login rate limit


class MemoryAttempts:
    """Attempt instants per key in this process's memory (a limiter used on its own, in tests)."""

    def __init__(self, sweep_above: int) -> None:
        self.sweep_above = sweep_above
        self._times: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _prune(times: deque[float], since: float) -> None:
        while times and times[0] < since:
            times.popleft()

    def times(self, key: tuple[str, str], since: float) -> list[float]:
        with self._lock:
            times = self._times.get(key)
            if times is None:
                return []
            self._prune(times, since)
            if not times:
                del self._times[key]
            return list(times)

    def add(self, key: tuple[str, str], at: float, forget_before: float) -> None:
        with self._lock:
            if len(self._times) >= self.sweep_above:
                for old, times in list(self._times.items()):
                    self._prune(times, forget_before)
                    if not times:
                        del self._times[old]
            times = self._times.setdefault(key, deque())
            self._prune(times, forget_before)
            times.append(at)

    def clear(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._times.pop(key, None)

    def __len__(self) -> int:
        return len(self._times)


class DatabaseAttempts:
    """Attempt instants in the database (:mod:`broadcaster.panel_state`), shared by every panel
    process; each call is its own short transaction, apart from the request's."""

    def __init__(self, kind: str, sessions: Callable[[], Any], window_s: float,
                 clock: Callable[[], float]) -> None:
        self.kind, self.sessions, self.window_s, self.clock = kind, sessions, window_s, clock

    def times(self, key: tuple[str, str], since: float) -> list[float]:
        with self.sessions() as db:
            return list(panel_state.attempts_since(db, self.kind, *key, since=since))

    def add(self, key: tuple[str, str], at: float, forget_before: float) -> None:
        with self.sessions() as db:
            panel_state.record_attempt(db, self.kind, *key, at=at, forget_before=forget_before)

    def clear(self, key: tuple[str, str]) -> None:
        with self.sessions() as db:
            panel_state.forget_attempts(db, self.kind, *key)

    def __len__(self) -> int:
        with self.sessions() as db:
            return panel_state.count_subjects(db, self.kind, self.clock() - self.window_s)


class LoginLimiter:
    """Failed logins per (IP, name) in a sliding window.

    The panel's limiters keep their counts in the database (:class:`DatabaseAttempts`): with one
    waitress process per core, a count per process would allow each process its own guesses. A
    limiter built without a store counts in memory. The name is compared as the login compares
    it (trimmed, lower case), so ``Editor`` and `` editor`` share a count. Keys whose failures
    have all aged out are dropped, so guessing with ever new names cannot grow the store
    without bound.
    """

    #: Above this many keys, every new failure first sweeps out the aged ones (in memory).
    SWEEP_ABOVE = 1000

    def __init__(self, max_attempts: int, window_s: float,
                 clock: Callable[[], float] = time.monotonic, per_address: int = 0,
                 store: MemoryAttempts | DatabaseAttempts | None = None) -> None:
        self.max_attempts = max_attempts
        self.per_address = per_address
        self.window_s = window_s
        self.clock = clock
        self.store = store if store is not None else MemoryAttempts(self.SWEEP_ABOVE)

    @staticmethod
    def _key(ip: str, name: str) -> tuple[str, str]:
        return ip, " ".join(name.split()).lower()

    def blocked_for(self, ip: str, name: str) -> float:
        """Seconds until another attempt is allowed (0 when allowed now).

        Counted per (address, name) and per address across all names (``ADDRESS_ANY`` with
        ``per_address`` attempts): guessing one common password over many names from one
        address is stopped as well as guessing many passwords for one name.
        """
        wait = self._blocked(self._key(ip, name), self.max_attempts)
        if self.per_address:
            wait = max(wait, self._blocked((ip, ADDRESS_ANY), self.per_address))
        return wait

    def _blocked(self, key: tuple[str, str], max_attempts: int) -> float:
        now = self.clock()
        failures = self.store.times(key, now - self.window_s)
        if len(failures) < max_attempts:
            return 0.0
        return max(0.0, self.window_s - (now - failures[-max_attempts]))

    def failed(self, ip: str, name: str) -> None:
        self._failed(self._key(ip, name))
        if self.per_address:
            self._failed((ip, ADDRESS_ANY))

    def _failed(self, key: tuple[str, str]) -> None:
        now = self.clock()
        self.store.add(key, now, now - self.window_s)

    def succeeded(self, ip: str, name: str) -> None:
        self.store.clear(self._key(ip, name))

    def __len__(self) -> int:
        return len(self.store)


def login_limiter() -> LoginLimiter:
    return current_app.extensions["loaxa_login_limiter"]


def password_limiter() -> LoginLimiter:
    """Wrong current passwords on the change form, keyed ("account", user id)."""
    return current_app.extensions["loaxa_password_limiter"]


def render_limiter() -> LoginLimiter:
    """Renders asked for, keyed ("render", user id); each render counts as an attempt."""
    return current_app.extensions["loaxa_render_limiter"]


# ------------------------------------------------------------------ wiring


def no_store() -> None:
    """This response shows a secret (a one-time password, an API token): no cache may keep it."""
    g.no_store = True


def _security_headers(response: Any) -> Any:
    if g.get("no_store"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
        "style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
        "base-uri 'self'; form-action 'self'",
    )
    if current_app.config.get("LOAXA_HSTS"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _shared_limiter(kind: str, sessions: Callable[[], Any], max_attempts: int, window_s: float,
                    per_address: int = 0) -> LoginLimiter:
    """A limiter counting in the database, on the wall clock every process shares."""
    return LoginLimiter(max_attempts, window_s, clock=time.time, per_address=per_address,
                        store=DatabaseAttempts(kind, sessions, window_s, time.time))


def init_app(app: Flask) -> None:
    sessions = app.extensions["broadcaster"].session
    window = float(app.config["LOGIN_WINDOW_S"])
    app.extensions["loaxa_login_limiter"] = _shared_limiter(
        "login", sessions, int(app.config["LOGIN_MAX_ATTEMPTS"]), window,
        per_address=int(app.config["LOGIN_MAX_PER_ADDRESS"]),
    )
    # Failed current-password checks on the password change form, per account.
    app.extensions["loaxa_password_limiter"] = _shared_limiter(
        "password", sessions, int(app.config["LOGIN_MAX_ATTEMPTS"]), window)
    # "Listen before approving" renders, per account, per minute.
    app.extensions["loaxa_render_limiter"] = _shared_limiter(
        "render", sessions, int(app.config["RENDERS_PER_MINUTE"]), 60.0)
    app.extensions[_REVOKED_KEY] = RevokedSessions(
        app.permanent_session_lifetime.total_seconds(), sessions)
    app.before_request(_load_user)
    app.before_request(_limit_body)
    app.before_request(_check_csrf)
    app.after_request(_security_headers)
    app.jinja_env.globals.update(
        csrf_field=csrf_field,
        csrf_token=csrf_token,
        current_user=current_user,
        has_role=has_role,
    )
