"""The admin's changes to accounts (role, zone, active, password reset, API tokens).

Who may do what is :mod:`broadcaster.permissions` (re-exported here for older callers). A role
change is checked here, not in the view: a forged form from a non-admin is refused by the same
function a real admin's form goes through.
"""
from __future__ import annotations

import logging
from typing import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcaster.errors import NotFoundError, ValidationError
from broadcaster.models import ApiToken, User, Zone, utcnow
from broadcaster.passwords import hash_password, one_time_password
from broadcaster.permissions import (
    PERMISSIONS,
    allowed,
    can_edit_bulletin,
    can_hear_asset,
    can_see_bulletin,
    require,
    roles_for,
    zone_name_scope,
    zone_scope,
)
from broadcaster.users import ROLE_LABELS, check_role, issue_token

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------- account changes by the admin


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.name)).all()


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"Không có tài khoản số {user_id}")
    return user


def _active_admins(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True))
    ) or 0


def change_role(session: Session, actor: User, target: User, role: str,
                zone_id: int | None = None) -> None:
    """Give ``target`` a role (and zone for a village head); only an admin may, never the last one."""
    require(actor, "users.manage")
    check_role(role)
    zone = session.get(Zone, zone_id) if zone_id is not None else None
    if zone_id is not None and zone is None:
        raise NotFoundError(f"Không có thôn/khu phố số {zone_id}")
    if role == "village" and zone is None:
        raise ValidationError("Tài khoản trưởng thôn phải gắn với một thôn/khu phố")
    if target.role == "admin" and role != "admin" and target.active and _active_admins(session) <= 1:
        raise ValidationError("Không thể bỏ quyền quản trị của quản trị viên cuối cùng")
    logger.info("%s đổi vai trò của %s: %s → %s", actor.name, target.name, target.role, role)
    target.role = role
    target.zone = zone if role == "village" else None


def set_active(session: Session, actor: User, target: User, active: bool) -> None:
    """Deactivate (or reactivate) a login; its sessions and API tokens stop working at once."""
    require(actor, "users.manage")
    if not active and target.id == actor.id:
        raise ValidationError("Bạn không thể tự khóa tài khoản của mình")
    if not active and target.role == "admin" and target.active and _active_admins(session) <= 1:
        raise ValidationError("Không thể khóa quản trị viên cuối cùng")
    target.active = active


def reset_password(session: Session, actor: User, target: User) -> str:
    """A one-time password to hand over; the user must change it at the next login."""
    require(actor, "users.manage")
    password = one_time_password()
    target.password_hash = hash_password(password)
    target.must_change_password = True
    target.password_changed_at = utcnow()  # the account's API tokens die with the old password
    return password


def new_token(session: Session, actor: User, target: User, name: str = "") -> str:
    """An API token for ``target`` (shown once; only its hash is stored)."""
    require(actor, "users.manage")
    if not target.active:
        raise ValidationError("Không cấp mã truy cập cho tài khoản đã bị khóa")
    return issue_token(session, target, name.strip()[:100])


def tokens_of(session: Session, user: User) -> Sequence[ApiToken]:
    return session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ).all()


def revoke_token(session: Session, actor: User, token_id: int) -> ApiToken:
    require(actor, "users.manage")
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFoundError(f"Không có mã truy cập số {token_id}")
    token.revoked = True
    return token


__all__ = [
    "PERMISSIONS", "ROLE_LABELS", "allowed", "can_edit_bulletin", "can_hear_asset", "can_see_bulletin",
    "change_role", "get_user", "list_users", "new_token", "require", "reset_password",
    "revoke_token", "roles_for", "set_active", "tokens_of", "zone_name_scope", "zone_scope",
]
