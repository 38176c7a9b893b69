"""The admin's pages: accounts (add, role, lock, password reset, API tokens) and zones.

Every change goes through :mod:`broadcaster.accounts` / :mod:`broadcaster.zones`, which check the
actor again: a forged form from another role is refused there as well as by the decorator.
Secrets (a new password, an API token) are shown once, on the response page, never stored.
"""
from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from broadcaster import accounts, permissions, zones
from broadcaster.errors import BroadcasterError
from broadcaster.models import ROLES
from broadcaster.passwords import one_time_password
from broadcaster.users import add_user, token_dead, token_expires_at
from web.db import get_session, get_settings
from web.nav import register_nav
from web.security import current_user, no_store, roles_required

logger = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")
register_nav(bp, "Tài khoản", "admin.users", roles=permissions.roles_for("users.manage"), order=90)
register_nav(bp, "Thôn, khu phố", "admin.zones", roles=permissions.roles_for("zones.manage"), order=91)
USER_ADMINS = permissions.roles_for("users.manage")
ZONE_ADMINS = permissions.roles_for("zones.manage")


def _int(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    return int(raw) if raw.isdigit() else None


def _users_page(status: int = 200, secret: dict[str, str] | None = None) -> tuple[str, int]:
    session = get_session()
    users = accounts.list_users(session)
    if secret is not None:
        no_store()  # a one-time password or token must not stay in a browser's or proxy's cache
    return render_template(
        "admin/users.html", users=users, roles=ROLES, zones=zones.list_zones(session),
        tokens={u.id: accounts.tokens_of(session, u) for u in users}, secret=secret,
        token_days=float(get_settings().web.token_days), token_dead=token_dead,
        token_expires_at=token_expires_at,
    ), status


def _fail(exc: BroadcasterError) -> tuple[str, int]:
    get_session().rollback()
    flash(str(exc), "error")
    return _users_page(400)


@bp.route("/users")
@roles_required(*USER_ADMINS)
def users() -> tuple[str, int]:
    return _users_page()


@bp.route("/users", methods=["POST"])
@roles_required(*USER_ADMINS)
def add() -> Response | tuple[str, int]:
    session = get_session()
    password = one_time_password()
    zone_id = _int("zone_id")
    try:
        zone = zones.get_zone(session, zone_id) if zone_id is not None else None
        user = add_user(session, request.form.get("name", ""), request.form.get("role", ""),
                        password, zone_name=zone.name if zone else None,
                        full_name=request.form.get("full_name", "").strip()[:200],
                        must_change_password=True)
    except BroadcasterError as exc:
        return _fail(exc)
    session.commit()
    flash(f"Đã tạo tài khoản {user.name}.", "ok")
    return _users_page(secret={"label": f"Mật khẩu tạm của {user.name} (đổi ở lần đăng nhập đầu)",
                               "value": password})


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@roles_required(*USER_ADMINS)
def role(user_id: int) -> Response | tuple[str, int]:
    session = get_session()
    try:
        target = accounts.get_user(session, user_id)
        accounts.change_role(session, current_user(), target,  # type: ignore[arg-type]
                             request.form.get("role", ""), _int("zone_id"))
    except BroadcasterError as exc:
        return _fail(exc)
    session.commit()
    flash(f"Đã đổi vai trò của {target.name}.", "ok")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_required(*USER_ADMINS)
def active(user_id: int) -> Response | tuple[str, int]:
    session = get_session()
    want = request.form.get("active") == "1"
    try:
        target = accounts.get_user(session, user_id)
        accounts.set_active(session, current_user(), target, want)  # type: ignore[arg-type]
    except BroadcasterError as exc:
        return _fail(exc)
    session.commit()
    flash(f"Đã {'mở khóa' if want else 'khóa'} tài khoản {target.name}.", "ok")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@roles_required(*USER_ADMINS)
def reset(user_id: int) -> tuple[str, int]:
    session = get_session()
    try:
        target = accounts.get_user(session, user_id)
        password = accounts.reset_password(session, current_user(), target)  # type: ignore[arg-type]
    except BroadcasterError as exc:
        return _fail(exc)
    session.commit()
    return _users_page(secret={"label": f"Mật khẩu tạm mới của {target.name}", "value": password})


@bp.route("/users/<int:user_id>/tokens", methods=["POST"])
@roles_required(*USER_ADMINS)
def token(user_id: int) -> tuple[str, int]:
    session = get_session()
    try:
        target = accounts.get_user(session, user_id)
        value = accounts.new_token(session, current_user(), target,  # type: ignore[arg-type]
                                   request.form.get("name", ""))
    except BroadcasterError as exc:
        return _fail(exc)
    session.commit()
    return _users_page(secret={"label": f"Mã truy cập API của {target.name} — chỉ hiện một lần, "
                                        "hãy chép lại ngay", "value": value})


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@roles_required(*USER_ADMINS)
def revoke(token_id: int) -> Response | tuple[str, int]:
    session = get_session()
    try:
        accounts.revoke_token(session, current_user(), token_id)  # type: ignore[arg-type]
    except BroadcasterError as exc:
        return _fail(exc)
    session.commit()
    flash("Đã thu hồi mã truy cập.", "ok")
    return redirect(url_for("admin.users"))


@bp.route("/zones", methods=["GET", "POST"], endpoint="zones")
@roles_required(*ZONE_ADMINS)
def zones_page() -> Response | tuple[str, int]:
    session = get_session()
    if request.method == "POST":
        try:
            zone = zones.add_zone(session, request.form.get("name", ""), request.form.get("kind", "thôn"),
                                  request.form.get("output", "main"), request.form.get("description", ""),
                                  request.form.get("latitude"), request.form.get("longitude"))
        except BroadcasterError as exc:
            session.rollback()
            flash(str(exc), "error")
            return render_template("admin/zones.html", zones=zones.list_zones(session),
                                   kinds=zones.ZONE_KINDS), 400
        session.commit()
        flash(f"Đã thêm {zone.kind} {zone.name}.", "ok")
        return redirect(url_for("admin.zones"))
    return render_template("admin/zones.html", zones=zones.list_zones(session), kinds=zones.ZONE_KINDS), 200


@bp.route("/zones/<int:zone_id>", methods=["POST"])
@roles_required(*ZONE_ADMINS)
def zone_update(zone_id: int) -> Response:
    session = get_session()
    try:
        zone = zones.get_zone(session, zone_id)
        zones.update_zone(session, zone, request.form.get("name", ""), request.form.get("kind", "thôn"),
                          request.form.get("output", "main"), request.form.get("description", ""),
                          request.form.get("latitude"), request.form.get("longitude"))
    except BroadcasterError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.zones"))
    session.commit()
    flash(f"Đã lưu {zone.name}.", "ok")
    return redirect(url_for("admin.zones"))
