"""Logins and roles. Passwords are stored hashed; tokens for scripts are stored as SHA-256."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcaster.errors import DuplicateError, NotFoundError, ValidationError
from broadcaster.models import ROLES, ApiToken, User, Zone, utcnow
from broadcaster.names import clean_name, find_by_name
from broadcaster.passwords import hash_password, verify_password

ROLE_LABELS = {
    "admin": "Quản trị",
    "editor": "Biên tập",
    "approver": "Phê duyệt",
    "village": "Trưởng thôn",
    "office": "Văn phòng",
}
MIN_PASSWORD = 8


def check_role(role: str) -> None:
    """Refuse a role that does not exist, naming the roles in Vietnamese first.

    A panel form only offers real roles, so this is seen after a tampered form or an API call:
    the code in brackets is what the API and the command line take."""
    if role not in ROLES:
        choices = ", ".join(f"{label} ({code})" for code, label in ROLE_LABELS.items())
        raise ValidationError(f"Vai trò không hợp lệ: «{role}». Chọn một trong: {choices}")

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
    name = clean_name(name, "Tên đăng nhập", max_length=80)
    if not _NAME_RE.match(name):
        raise ValidationError(
            "Tên đăng nhập phải dài 2–80 ký tự, chỉ gồm chữ, số và . _ - @"
        )
    check_role(role)
    check_password(password)
    same = find_by_name(session, User.name, name)
    if same is not None:
        raise DuplicateError(f"Tên đăng nhập {name!r} đã tồn tại (trùng với {same.name!r}: chữ hoa và chữ thường là một)")
    zone = None
    if zone_name:
        zone = find_by_name(session, Zone.name, zone_name)
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
    user = find_by_name(session, User.name, name)
    if user is None or not user.active:
        # Check against a stored-like hash anyway: one scrypt either way, so timing does not
        # tell which names exist.
        verify_password(password, _decoy_hash())
        return None
    return user if verify_password(password, user.password_hash) else None


@functools.lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def check_password(password: str) -> None:
    """Refuse a password too short to resist guessing, counting only what is not blank.

    Why the blanks: eight spaces pass a length check, and a form field that looks empty is the
    first thing someone guessing tries.
    """
    if not password.strip():
        raise ValidationError("Mật khẩu không được chỉ gồm khoảng trắng")
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự")
    if len("".join(password.split())) < MIN_PASSWORD // 2:
        raise ValidationError(
            f"Mật khẩu phải có ít nhất {MIN_PASSWORD // 2} ký tự không phải khoảng trắng"
        )


def set_password(session: Session, user: User, password: str) -> None:
    """A new password; every API token issued before it stops working."""
    check_password(password)
    user.password_hash = hash_password(password)
    user.must_change_password = False
    user.password_changed_at = utcnow()


def count_admins(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.role == "admin")) or 0


def issue_token(session: Session, user: User, name: str = "") -> str:
    """Returns the token once; only its hash is kept."""
    token = "lx_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, name=name, token_sha256=_token_hash(token)))
    session.flush()
    return token


class TokenRefused(Exception):
    """Why a token cannot be used, in Vietnamese; ``status`` is 401 or 403."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


def user_for_token(session: Session, token: str, max_age_days: float = 0) -> User | None:
    """The token's user, or None when it is unknown, revoked, expired or dead (see
    :func:`check_token`)."""
    try:
        return check_token(session, token, max_age_days)
    except TokenRefused:
        return None


def check_token(session: Session, token: str, max_age_days: float = 0) -> User:
    """The token's user; raises :class:`TokenRefused` with the reason otherwise.

    A token dies with a password change or reset (it was issued under the old password: whoever
    copied it then must not keep the access the new password was meant to end), expires after
    ``max_age_days`` (0: never) and is refused while the account must change its password.
    """
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _token_hash(token)))
    if row is None or row.revoked or not row.user.active:
        raise TokenRefused("Mã truy cập không hợp lệ hoặc đã bị thu hồi")
    user = row.user
    now = utcnow()
    dead = token_dead(row, max_age_days, now)
    if dead:
        raise TokenRefused(f"Mã truy cập {dead}; hãy xin quản trị viên cấp mã mới")
    if user.must_change_password:
        raise TokenRefused("Tài khoản phải đổi mật khẩu trên bảng điều khiển trước khi dùng "
                           "mã truy cập", status=403)
    row.last_used_at = now
    return user


def token_expires_at(row: ApiToken, max_age_days: float) -> dt.datetime | None:
    return row.created_at + dt.timedelta(days=max_age_days) if max_age_days else None


def token_dead(row: ApiToken, max_age_days: float, now: dt.datetime | None = None) -> str:
    """Why a token no longer works by itself (expired, or older than the password), or ""."""
    now = now or utcnow()
    changed = row.user.password_changed_at
    if changed is not None and row.created_at < changed:
        return "đã hết hiệu lực vì mật khẩu của tài khoản đã đổi"
    expires = token_expires_at(row, max_age_days)
    if expires is not None and expires < now:
        return "đã hết hạn"
    return ""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
