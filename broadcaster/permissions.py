"""Who may do what, and which part of the commune a login sees: the one table of the domain.

Why one module: the panel's decorators, its templates (which buttons to show), the JSON API, the
station commands and the tests all ask these functions, so a role cannot be allowed by a button
and refused by the server, or allowed by the panel and refused by the API (issue 10 found both: a
village head filed a ``priority`` bulletin through the panel that the API refused, and an admin
approved through the emergency command while the approve route refused admins).

The rule for that second case, decided here once: *sending* an emergency is ``station.command``
(approvers and admins: whoever watches the station), but an emergency of a bulletin that is not
yet approved also approves it, so it needs ``bulletin.review`` too. An admin can cut in with an
approved warning; only an approver can approve one.
"""
from __future__ import annotations

from typing import Collection, Iterable

from broadcaster.errors import PermissionDenied, ValidationError
from broadcaster.models import PRIORITIES, ROLES, AudioAsset, Bulletin, User

#: action → roles allowed. Reading lists is open to every logged-in role (village scoped).
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "bulletin.view": ROLES,
    "bulletin.write": ("editor", "village"),
    "bulletin.submit": ("editor", "village"),
    # Filing or raising a bulletin above normal priority: it leads slots and can cut in.
    "bulletin.raise_priority": ("editor",),
    "bulletin.review": ("approver",),
    "bulletin.archive": ("editor", "approver"),
    # Rendering costs CPU and disk: only those who write or review a bulletin hear it rendered.
    "bulletin.render": ("editor", "village", "approver"),
    "glossary.view": ROLES,
    "glossary.write": ("editor",),
    "library.view": ROLES,
    "library.upload": ("editor", "village"),
    "schedule.view": ROLES,
    "schedule.edit": ("admin", "editor"),
    "station.command": ("approver", "admin"),
    "station.read_commands": ("admin", "approver", "editor", "office"),
    "evidence.view": ROLES,
    "evidence.verify": ("admin", "editor", "approver", "office"),
    "evidence.export": ("admin", "editor", "approver", "office"),
    "users.manage": ("admin",),
    "zones.manage": ("admin",),
    # The directive's loop: the plan, the villages' reports, the report to the province.
    "campaign.edit": ("admin", "editor"),
    "village_report.write": ("village",),  # own village only (broadcaster.village_reports)
    "village_report.review": ("office", "editor"),
    "village_report.view_all": ("admin", "editor", "approver", "office"),
    "report.compile": ("admin", "editor", "approver", "office"),
    # Village receivers: the list and its warnings; enrolling (a one-time code) and revoking a box.
    "receivers.view": ("admin", "editor", "approver", "office"),
    "receivers.manage": ("admin",),
}

#: The zone id of a village head whose account has no zone: matches no zone, so such a login
#: sees only commune-wide content (never, by default, the whole commune's village notices).
NO_ZONE_ID = -1
#: The same for rules that compare zone names (zone names can never hold a NUL).
NO_ZONE_NAME = "\x00"

DENIED = "Tài khoản của bạn không có quyền thực hiện việc này."


def roles_for(action: str) -> tuple[str, ...]:
    """The roles allowed to do ``action`` (KeyError for an unknown action: a typo fails loudly)."""
    return PERMISSIONS[action]


def allowed(user: User | None, action: str) -> bool:
    return user is not None and user.active and user.role in PERMISSIONS[action]


def require(user: User | None, action: str, message: str = DENIED) -> None:
    if not allowed(user, action):
        raise PermissionDenied(message)


# ---------------------------------------------------------------- zones


def is_zone_limited(user: User) -> bool:
    """Does this login see only one zone (a village head)?"""
    return user.role == "village"


def zone_scope(user: User) -> int | None:
    """The zone id a login is limited to; None means the whole commune."""
    if not is_zone_limited(user):
        return None
    return user.zone_id if user.zone_id is not None else NO_ZONE_ID


def zone_name_scope(user: User | None) -> str | None:
    """The zone name a login is limited to (for airings, evidence); None: the whole commune."""
    if user is None or not is_zone_limited(user):
        return None
    return user.zone.name if user.zone is not None else NO_ZONE_NAME


def reaches_zone(zone_names: Iterable[str], scope: str | None) -> bool:
    """Did an airing aimed at ``zone_names`` (none: the whole commune) reach ``scope``?"""
    names = [name for name in zone_names if name]
    return scope is None or not names or scope in names


def can_see_bulletin(user: User, bulletin: Bulletin) -> bool:
    scope = zone_scope(user)
    return scope is None or bulletin.zone_id == scope


def can_edit_bulletin(user: User, bulletin: Bulletin) -> bool:
    """Editors edit any bulletin; a village head only drafts of the own zone not yet approved."""
    if not allowed(user, "bulletin.write") or bulletin.status == "archived":
        return False
    if is_zone_limited(user):
        return bulletin.zone_id == zone_scope(user) and bulletin.status in {"draft", "rejected"}
    return True


def check_bulletin_fields(user: User | None, *, priority: str, zone_id: int | None) -> int | None:
    """What a login may file: the zone the bulletin must have (forced for a village head).

    The panel and the API both call this, so both refuse a village head's ``priority`` notice
    with the same message. ``user`` None is the operator at the station's shell.
    """
    if priority not in PRIORITIES:
        raise ValidationError(
            f"Mức ưu tiên không hợp lệ: {priority!r} (chọn normal, priority hoặc emergency)"
        )
    if user is None:
        return zone_id
    if priority != "normal" and not allowed(user, "bulletin.raise_priority"):
        raise PermissionDenied(
            "Tài khoản của bạn chỉ gửi được bản tin mức ưu tiên thường; "
            "bản tin ưu tiên hoặc khẩn cấp do cán bộ xã soạn."
        )
    if is_zone_limited(user):
        return zone_scope(user)
    return zone_id


def can_hear_asset(user: User, asset: AudioAsset, rendered_for_user: Collection[int] = ()) -> bool:
    """Uploads are the commune's shared library; a render is a bulletin's text made audible.

    A render is stored under its content hash with no link to its bulletin, so a village head
    (who reads only the own zone's bulletins) may fetch one only after rendering it through a
    bulletin he may see (``rendered_for_user``): otherwise counting up asset ids would play the
    other zones' drafts.
    """
    if asset.kind != "rendered" or zone_scope(user) is None:
        return True
    return asset.id in rendered_for_user


def may_send_emergency(user: User | None, bulletin: Bulletin) -> None:
    """Raise unless ``user`` may put ``bulletin`` on air now (see the module's docstring)."""
    if user is None:
        return  # the operator at the station's shell
    require(user, "station.command")
    if bulletin.status != "approved":
        require(user, "bulletin.review",
                "Bản tin chưa được duyệt: chỉ cán bộ phê duyệt mới phát khẩn cấp được "
                "(phát khẩn cấp cũng là phê duyệt).")
