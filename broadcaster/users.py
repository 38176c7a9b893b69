"""Logins and roles. Passwords are stored hashed; tokens for scripts are stored as SHA-256."""
from __future__ import annotations

import functools
import hashlib
import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcaster.errors import DuplicateError, NotFoundError, ValidationError
from broadcaster.models import ROLES, ApiToken, User, Zone, utcnow
from broadcaster.passwords import hash_password, verify_password

ROLE_LABELS = {
    "admin": "Quản trị",
    "editor": "Biên tập",
    "approver": "Phê duyệt",
    "village": "Trưởng thôn",
    "office": "Văn phòng",
}
MIN_PASSWORD = 8
_NAME_RE = re.compile(r"^[\w.@-]{2,80}$")


def add_user(
    session: Session,
    name: str,
    role: str,
    password: str,
    *,
    zone_name: str | None = None,
    full_name: str = "",
    must_change_password: bool = False,
) -> User:
    name = name.strip()
    if not _NAME_RE.match(name):
        raise ValidationError(
            "Tên đăng nhập phải dài 2–80 ký tự, chỉ gồm chữ, số và . _ - @"
        )
    if role not in ROLES:
        raise ValidationError(
            f"Vai trò không hợp lệ: {role!r}. Chọn một trong: {', '.join(ROLES)}"
        )
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự")
    if session.scalar(select(User).where(func.lower(User.name) == name.lower())):
        raise DuplicateError(f"Tên đăng nhập {name!r} đã tồn tại")
    zone = None
    if zone_name:
        zone = session.scalar(select(Zone).where(Zone.name == zone_name))
        if zone is None:
            raise NotFoundError(f"Không có thôn/khu phố tên {zone_name!r}")
    if role == "village" and zone is None:
        raise ValidationError("Tài khoản trưởng thôn phải gắn với một thôn/khu phố")
    user = User(
        name=name,
        role=role,
        full_name=full_name,
        password_hash=hash_password(password),
        zone=zone,
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    user = session.scalar(select(User).where(func.lower(User.name) == name.strip().lower()))
    if user is None or not user.active:
        # Check against a stored-like hash anyway: one scrypt either way, so timing does not
        # tell which names exist.
        verify_password(password, _decoy_hash())
        return None
    return user if verify_password(password, user.password_hash) else None


@functools.lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def set_password(session: Session, user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự")
    user.password_hash = hash_password(password)
    user.must_change_password = False


def count_admins(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.role == "admin")) or 0


def issue_token(session: Session, user: User, name: str = "") -> str:
    """Returns the token once; only its hash is kept."""
    token = "lx_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, name=name, token_sha256=_token_hash(token)))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _token_hash(token)))
    if row is None or row.revoked or not row.user.active:
        return None
    row.last_used_at = utcnow()
    return row.user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
