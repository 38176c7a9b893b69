"""Login, logout and the password change forced on first login."""
from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from broadcaster.errors import ValidationError
from broadcaster.passwords import verify_password
from broadcaster.users import MIN_PASSWORD, authenticate, set_password
from web.db import get_session
from web.security import (
    current_user,
    log_in,
    log_out,
    login_limiter,
    login_required,
    password_limiter,
    safe_next,
)

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)


def _client_ip() -> str:
    # Behind a reverse proxy the operator sets ProxyFix; we do not trust headers by default.
    return request.remote_addr or "?"


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    next_url = safe_next(request.args.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(next_url or url_for("dashboard.index"))
        return render_template("auth/login.html", name="", next=next_url)
    name = request.form.get("name", "").strip()[:80]
    password = request.form.get("password", "")
    limiter = login_limiter()
    wait = limiter.blocked_for(_client_ip(), name)
    if wait > 0:
        minutes = max(1, round(wait / 60))
        flash(f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau khoảng {minutes} phút.", "error")
        return render_template("auth/login.html", name=name, next=next_url), 429
    session = get_session()
    user = authenticate(session, name, password) if name and password else None
    if user is None:
        limiter.failed(_client_ip(), name)
        logger.info("đăng nhập sai cho %r từ %s", name, _client_ip())
        flash("Tên đăng nhập hoặc mật khẩu không đúng.", "error")
        return render_template("auth/login.html", name=name, next=next_url), 401
    limiter.succeeded(_client_ip(), name)
    log_in(user)
    logger.info("%s đăng nhập (%s)", user.name, user.role)
    if user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return redirect(next_url or url_for("dashboard.index"))


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    log_out()
    flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | str | tuple[str, int]:
    user = current_user()
    assert user is not None
    if request.method == "POST":
        current = request.form.get("current", "")
        new = request.form.get("new", "")
        confirm = request.form.get("confirm", "")
        error = None
        limiter = password_limiter()
        key = ("account", str(user.id))
        wait = limiter.blocked_for(*key)
        if wait > 0:
            minutes = max(1, round(wait / 60))
            flash(f"Nhập sai mật khẩu hiện tại quá nhiều lần. Vui lòng thử lại sau khoảng {minutes} phút.",
                  "error")
            return render_template("auth/change_password.html", min_length=MIN_PASSWORD), 429
        if not verify_password(current, user.password_hash):
            limiter.failed(*key)
            logger.info("%s nhập sai mật khẩu hiện tại khi đổi mật khẩu", user.name)
            error = "Mật khẩu hiện tại không đúng."
        elif new != confirm:
            error = "Hai lần nhập mật khẩu mới không khớp."
        elif new == current:
            error = "Mật khẩu mới phải khác mật khẩu hiện tại."
        else:
            try:
                set_password(get_session(), user, new)
            except ValidationError as exc:
                error = str(exc)
        if error is None:
            get_session().commit()
            log_in(user)  # a new session (and CSRF token) after a credential change
            flash("Đã đổi mật khẩu.", "ok")
            return redirect(url_for("dashboard.index"))
        flash(error, "error")
        return render_template("auth/change_password.html", min_length=MIN_PASSWORD), 400
    return render_template("auth/change_password.html", min_length=MIN_PASSWORD)


