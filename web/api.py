"""The JSON API under ``/api/v1`` for scripts: bulletins, schedule, station commands, evidence.

Why tokens and not the session cookie: a script has no browser, and a cookie-authenticated JSON
endpoint would need CSRF protection; a bearer token in ``Authorization`` cannot be sent by another
site's page, so the API is exempt from CSRF (see :mod:`web.security`) and never reads the cookie.

Every answer is JSON; every error is ``{"error": "<Vietnamese message>", "status": code}``. The
views parse and check input, call ``broadcaster``, and serialise; they hold no business rules.
The OpenAPI document (:mod:`web.openapi`) is served at ``/api/v1/openapi.json``.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Any, Callable, TypeVar
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, g, jsonify, request
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from broadcaster import bulletins, commands, permissions, schedule, week
from broadcaster.errors import BroadcasterError, ScheduleConflictError, ValidationError
from broadcaster.local_days import days_bounds
from broadcaster.models import PRIORITIES, Bulletin, Slot, User, utcnow
from broadcaster.shapes import bulletin_dict, command_dict, slot_dict
from broadcaster.users import TokenRefused, check_token
from broadcaster.zones import configured_outputs
from web.db import get_session, get_settings
from web.errors import render_error

logger = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
F = TypeVar("F", bound=Callable[..., Any])

#: Who may do what, from the one table (:mod:`broadcaster.permissions`); the OpenAPI document
#: states the same roles per operation.
ALL_ROLES = permissions.roles_for("bulletin.view")
WRITE_BULLETIN_ROLES = permissions.roles_for("bulletin.write")
APPROVE_ROLES = permissions.roles_for("bulletin.review")
SCHEDULE_ROLES = permissions.roles_for("schedule.edit")
COMMAND_ROLES = permissions.roles_for("station.command")
READ_COMMAND_ROLES = permissions.roles_for("station.read_commands")
VERIFY_ROLES = permissions.roles_for("evidence.verify")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_RANGE_DAYS = 62
PUBLIC_ENDPOINTS = {"api.openapi"}


# ------------------------------------------------------------------ authentication


def api_user() -> User:
    """The token's user (set by :func:`_authenticate` before every view)."""
    return g.api_user


@bp.before_request
def _authenticate() -> Any:
    """401 without a token or with a bad one; the cookie session is deliberately ignored."""
    g.api_user = None
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        return _unauthorized("Thiếu mã truy cập: gửi tiêu đề \"Authorization: Bearer <mã>\"")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorized("Tiêu đề Authorization phải có dạng \"Bearer <mã>\"")
    session = get_session()
    try:
        user = check_token(session, token.strip(), float(get_settings().web.token_days))
    except TokenRefused as refused:
        session.rollback()
        if refused.status == 403:
            body, code = render_error(403, str(refused))
            return body, code
        return _unauthorized(str(refused))
    session.commit()  # keeps last_used_at: the admin sees which tokens are still in use
    g.api_user = user
    return None


def _unauthorized(message: str) -> Any:
    body, code = render_error(401, message)
    return body, code, {"WWW-Authenticate": 'Bearer realm="loa-xa"'}


def roles(*allowed: str) -> Callable[[F], F]:
    """403 (JSON, Vietnamese) for a token whose user's role may not use the operation."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            user = api_user()
            if user.role not in allowed:
                logger.info("API từ chối %s cho %s (%s)", request.endpoint, user.name, user.role)
                abort(403, description=(
                    f"Vai trò của tài khoản {user.name} không được phép thực hiện thao tác này"
                ))
            return view(*args, **kwargs)

        checked.allowed_roles = allowed  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorator


# ------------------------------------------------------------------ input helpers


def _json_body() -> dict[str, Any]:
    """The request's JSON object; bad JSON is a 400 with the reason, never a 500.

    The app's JSON reader (:mod:`web.jsonread`) refuses deep nesting, integers of more than 18
    digits and NaN/Infinity, which would otherwise surface as a server error further in.
    """
    if request.get_data(cache=True) and request.is_json:
        try:
            data = request.get_json()
        except BadRequest:
            raise ValidationError(
                "Dữ liệu JSON không hợp lệ: sai cú pháp, lồng nhau quá sâu hoặc có số quá lớn"
            ) from None
    else:
        data = None
    if not isinstance(data, dict):
        raise ValidationError("Dữ liệu gửi lên phải là một đối tượng JSON (Content-Type: application/json)")
    return data


def _str(data: dict[str, Any], key: str, default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ValidationError(f"Trường {key!r} phải là chuỗi ký tự")
    return value


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"Tham số {name!r} phải là số nguyên") from None
    if not low <= value <= high:
        raise ValidationError(f"Tham số {name!r} phải từ {low} đến {high}")
    return value


def _page() -> tuple[int, int]:
    return _int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT), _int_arg("offset", 0, 0, 10**9)


def _date_arg(name: str) -> dt.date | None:
    raw = request.args.get(name)
    return schedule.parse_date(raw) if raw else None


def _own_zone(user: User) -> str | None:
    """A village head reads only the own zone's content and airings."""
    return permissions.zone_name_scope(user)


def _tz() -> str:
    return get_settings().station.timezone


# ------------------------------------------------------------------ serialisers


def bulletin_json(b: Bulletin) -> dict[str, Any]:
    return dict(
        bulletin_dict(b),
        text=b.body,
        zone=b.zone.name if b.zone else None,
        author=b.author.name if b.author else None,
        approver=b.approver.name if b.approver else None,
        reject_reason=b.reject_reason,
        updated_at=b.updated_at.isoformat() if b.updated_at else None,
    )


def slot_json(slot: Slot, upcoming_days: int = 7) -> dict[str, Any]:
    tz = _tz()
    now = utcnow()
    upcoming = schedule.occurrences_between(
        schedule.SlotTimes.of(slot, tz), now, now + dt.timedelta(days=upcoming_days)
    )
    row = slot_dict(slot, tz, [instant for _, instant in upcoming[:10]])
    row["active"] = slot.active
    row["campaign_id"] = slot.campaign_id
    row["repeats"] = slot.repeats
    row["greeting"] = slot.greeting
    row["override_reason"] = slot.override_reason or None
    row["override_warnings"] = slot.override_warnings or None
    return row


def command_json(command: Any) -> dict[str, Any]:
    return command_dict(command)


def _page_json(items: list[Any], limit: int, offset: int) -> dict[str, Any]:
    """One page; the caller fetched ``limit + 1`` rows so "is there more" costs no count."""
    more = len(items) > limit
    return {"items": items[:limit], "limit": limit, "offset": offset,
            "next_offset": offset + limit if more else None}


# ------------------------------------------------------------------ document


@bp.route("/openapi.json")
def openapi() -> Response:
    """The API's description; public, like any documentation (it holds no data)."""
    from web.openapi import document

    return jsonify(document())


@bp.route("/me")
@roles(*ALL_ROLES)
def me() -> Response:
    user = api_user()
    return jsonify({"id": user.id, "name": user.name, "role": user.role,
                    "zone": user.zone.name if user.zone else None})


# ------------------------------------------------------------------ bulletins


@bp.route("/bulletins", methods=["GET"])
@roles(*ALL_ROLES)
def list_bulletins() -> Response:
    user = api_user()
    limit, offset = _page()
    status = request.args.get("status") or None
    if status and status not in bulletins.STATUS_LABELS:
        raise ValidationError(f"Trạng thái không hợp lệ: {status!r}")
    priority = request.args.get("priority") or None
    if priority and priority not in PRIORITIES:
        raise ValidationError(f"Mức ưu tiên không hợp lệ: {priority!r}")
    zone_id = permissions.zone_scope(user)
    session = get_session()
    filters = dict(search=request.args.get("q", ""), status=status, priority=priority,
                   category=request.args.get("category") or None, zone_id=zone_id)
    rows = bulletins.list_bulletins(session, limit=limit + 1, offset=offset, **filters)
    return jsonify(_page_json([bulletin_json(b) for b in rows], limit, offset))


@bp.route("/bulletins/<int:bulletin_id>", methods=["GET"])
@roles(*ALL_ROLES)
def get_bulletin(bulletin_id: int) -> Response:
    user = api_user()
    bulletin = bulletins.get_bulletin(get_session(), bulletin_id)
    if not permissions.can_see_bulletin(user, bulletin):
        abort(404, description=f"Không có bản tin số {bulletin_id}")
    return jsonify(bulletin_json(bulletin))


@bp.route("/bulletins", methods=["POST"])
@roles(*WRITE_BULLETIN_ROLES)
def create_bulletin() -> tuple[Response, int]:
    """A draft (or, with ``"submit": true``, sent for approval). A village's notice is always
    sent for approval, for its own zone, at normal priority."""
    user = api_user()
    data = _json_body()
    priority = _str(data, "priority", "normal")
    submit = data.get("submit", False)
    if not isinstance(submit, bool):
        raise ValidationError("Trường 'submit' phải là true hoặc false")
    public = data.get("public")
    if public is not None and not isinstance(public, bool):
        raise ValidationError("Trường 'public' phải là true hoặc false")
    zone_id = permissions.check_bulletin_fields(user, priority=priority, zone_id=None)
    if permissions.is_zone_limited(user):
        public = None  # a village notice is never published: its default
        submit = True
    session = get_session()
    bulletin = bulletins.add_bulletin(
        session,
        title=_str(data, "title"),
        body=_str(data, "text"),
        category=_str(data, "category", "Thông báo") or "Thông báo",
        priority=priority,
        author=user,
        zone_id=zone_id,
        public=public,
    )
    if submit:
        bulletins.transition(session, bulletin, "submit", user)
    session.commit()
    logger.info("API: %s tạo bản tin số %s", user.name, bulletin.id)
    return jsonify(bulletin_json(bulletin)), 201


@bp.route("/bulletins/<int:bulletin_id>/approve", methods=["POST"])
@roles(*APPROVE_ROLES)
def approve_bulletin(bulletin_id: int) -> Response:
    user = api_user()
    session = get_session()
    bulletin = bulletins.get_bulletin(session, bulletin_id)
    emergency = commands.approve_bulletin(session, bulletin, user)
    session.commit()
    body = bulletin_json(bulletin)
    if emergency is not None:
        body["emergency_command"] = command_json(emergency)
    return jsonify(body)


# ------------------------------------------------------------------ schedule


@bp.route("/schedule", methods=["GET"])
@roles(*ALL_ROLES)
def list_slots() -> Response:
    zone = _own_zone(api_user())
    slots = [s for s in schedule.active_slots(get_session()) if week.slot_serves_zone(s, zone)]
    return jsonify({"items": [slot_json(s) for s in slots], "total": len(slots)})


def _slot_fields(data: dict[str, Any]) -> dict[str, Any]:
    ids = data.get("bulletin_ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise ValidationError("Trường 'bulletin_ids' phải là danh sách số bản tin")
    days = data.get("days", [])
    if isinstance(days, str):
        days = days.split(",")
    zones = data.get("zones", [])
    if not isinstance(days, list) or not all(isinstance(d, str) for d in days):
        raise ValidationError("Trường 'days' phải là danh sách thứ (mon…sun)")
    if not isinstance(zones, list) or not all(isinstance(z, str) for z in zones):
        raise ValidationError("Trường 'zones' phải là danh sách tên thôn/khu phố")
    repeats = data.get("repeats", 1)
    if not isinstance(repeats, int) or isinstance(repeats, bool):
        raise ValidationError("Trường 'repeats' phải là số nguyên từ 1 đến 5")
    greeting = data.get("greeting", True)
    if not isinstance(greeting, bool):
        raise ValidationError("Trường 'greeting' phải là true hoặc false")
    campaign_id = data.get("campaign_id")
    if campaign_id is not None and (not isinstance(campaign_id, int) or isinstance(campaign_id, bool)):
        raise ValidationError("Trường 'campaign_id' phải là số")
    if data.get("at") and data.get("daily"):
        raise ValidationError("Chỉ chọn một: 'at' (phát một lần) hoặc 'daily' (phát hằng ngày)")
    kind = "once" if data.get("at") else "daily" if data.get("daily") else _str(data, "kind")
    output = _str(data, "output") or get_settings().output.name
    outputs = configured_outputs(get_session(), get_settings().output.name)
    if output not in outputs:
        raise ValidationError(f"Đầu ra {output!r} không có trong cấu hình (có: {', '.join(outputs)})")
    return week.slot_form_fields(
        bulletin_ids=ids,
        kind=kind,
        at_local=_str(data, "at") or None,
        daily=_str(data, "daily") or None,
        days=days,
        starts_on=_str(data, "from") or None,
        ends_on=_str(data, "until") or None,
        zones=zones,
        output=output,
        name=_str(data, "name"),
        repeats=repeats,
        greeting=greeting,
        campaign_id=campaign_id,
        created_by_id=api_user().id,
    )


@bp.route("/schedule", methods=["POST"])
@roles(*SCHEDULE_ROLES)
def create_slot() -> tuple[Response, int]:
    """409 on a conflict; 422 with the warnings when they were not accepted."""
    data = _json_body()
    accept, reason = _ack(data)
    fields = _slot_fields(data)
    session = get_session()
    try:
        slot = week.save_slot(session, default_tz=_tz(), accept_warnings=accept, reason=reason,
                              **fields)
    except ScheduleConflictError as exc:
        session.rollback()
        return jsonify({"error": str(exc), "status": 409}), 409
    except week.OverrunError as exc:
        session.rollback()
        return jsonify({"error": str(exc), "status": 422}), 422
    session.commit()
    logger.info("API: %s tạo lịch phát số %s", api_user().name, slot.id)
    from broadcaster.campaigns import slot_period_warnings

    return jsonify(slot_json(slot) | {"warnings": slot_period_warnings(slot, _tz())}), 201


@bp.route("/schedule/check", methods=["POST"])
@roles(*SCHEDULE_ROLES)
def check_slot() -> Response:
    """What saving would refuse or warn about; nothing is stored."""
    session = get_session()
    try:
        fields = _slot_fields(_json_body())
    except BroadcasterError as exc:
        return jsonify(week.SlotCheck(ok=False, errors=[str(exc)]).as_dict())
    result = week.check_slot(session, default_tz=_tz(), **fields)
    session.rollback()
    return jsonify(result.as_dict())


def _ack(data: dict[str, Any]) -> tuple[bool, str]:
    """``accept_warnings`` (or ``allow_conflict``) and the ``reason`` kept with the slot."""
    accept = data.get("accept_warnings", False) or data.get("allow_conflict", False)
    if not isinstance(accept, bool):
        raise ValidationError("Trường 'accept_warnings' phải là true hoặc false")
    reason = _str(data, "reason").strip()
    if accept and not reason:
        reason = f"Xác nhận qua API bởi {api_user().name}"
    return accept, reason


def _save_response(save: Callable[[], Slot], ok_status: int) -> tuple[Response, int]:
    session = get_session()
    try:
        slot = save()
    except ScheduleConflictError as exc:
        session.rollback()
        return jsonify({"error": str(exc), "status": 409}), 409
    except week.OverrunError as exc:
        session.rollback()
        return jsonify({"error": str(exc), "status": 422}), 422
    except BroadcasterError:
        session.rollback()
        raise
    session.commit()
    return jsonify(slot_json(slot)), ok_status


def _edit_changes(data: dict[str, Any]) -> dict[str, Any]:
    allowed = {"at", "daily", "days", "from", "until", "zones", "name", "repeats", "greeting",
               "accept_warnings", "allow_conflict", "reason"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError("Không sửa được trường: " + ", ".join(unknown))
    days = data.get("days")
    if days is not None and not (isinstance(days, str) or (
            isinstance(days, list) and all(isinstance(d, str) for d in days))):
        raise ValidationError("Trường 'days' phải là danh sách thứ (mon…sun)")
    zones = data.get("zones")
    if zones is not None and not (isinstance(zones, list) and all(isinstance(z, str) for z in zones)):
        raise ValidationError("Trường 'zones' phải là danh sách tên thôn/khu phố")
    repeats = data.get("repeats")
    if repeats is not None and (not isinstance(repeats, int) or isinstance(repeats, bool)):
        raise ValidationError("Trường 'repeats' phải là số nguyên từ 1 đến 5")
    greeting = data.get("greeting")
    if greeting is not None and not isinstance(greeting, bool):
        raise ValidationError("Trường 'greeting' phải là true hoặc false")
    dates = {}
    for key in ("from", "until"):
        if key in data:
            value = data[key]
            if value is not None and not isinstance(value, str):
                raise ValidationError(f"Trường {key!r} phải là ngày YYYY-MM-DD hoặc null")
            dates[key] = value or ""
    return week.edit_fields(
        at_local=_str(data, "at") or None,
        daily=_str(data, "daily") or None,
        days=days,
        starts_on=dates.get("from"),
        ends_on=dates.get("until"),
        zones=zones,
        name=_str(data, "name") if "name" in data else None,
        repeats=repeats,
        greeting=greeting,
    )


@bp.route("/schedule/<int:slot_id>", methods=["GET"])
@roles(*ALL_ROLES)
def get_slot(slot_id: int) -> Response:
    slot = schedule.get_slot(get_session(), slot_id)
    if not week.slot_serves_zone(slot, _own_zone(api_user())):
        abort(404, description=f"Không có lịch phát số {slot_id}")
    row = slot_json(slot)
    row["rundown"] = week.rundown(get_session(), slot, default_tz=_tz()).as_dict()
    return jsonify(row)


@bp.route("/schedule/<int:slot_id>", methods=["PATCH"])
@roles(*SCHEDULE_ROLES)
def edit_slot(slot_id: int) -> tuple[Response, int]:
    """Change time, days, dates, zones, name, repeats, greeting; same checks as POST."""
    data = _json_body()
    accept, reason = _ack(data)
    changes = _edit_changes(data)
    if not changes:
        raise ValidationError("Không có gì để sửa")
    session = get_session()
    slot = schedule.get_slot(session, slot_id)

    def save() -> Slot:
        return week.save_edit(session, slot, default_tz=_tz(), accept_warnings=accept,
                              reason=reason, user_id=api_user().id, **changes)

    answer = _save_response(save, 200)
    if answer[1] == 200:
        logger.info("API: %s sửa lịch phát số %s", api_user().name, slot_id)
    return answer


@bp.route("/schedule/<int:slot_id>/items", methods=["PUT"])
@roles(*SCHEDULE_ROLES)
def put_slot_items(slot_id: int) -> tuple[Response, int]:
    """Replace the rundown, in the order given; the station renders the next airing again."""
    data = _json_body()
    accept, reason = _ack(data)
    specs = week.item_specs(data.get("items"))
    session = get_session()
    slot = schedule.get_slot(session, slot_id)

    def save() -> Slot:
        return week.save_edit(session, slot, default_tz=_tz(), accept_warnings=accept,
                              reason=reason, user_id=api_user().id, items=specs)

    answer = _save_response(save, 200)
    if answer[1] == 200:
        logger.info("API: %s đặt chương trình của lịch phát số %s", api_user().name, slot_id)
    return answer


@bp.route("/schedule/occurrences", methods=["GET"])
@roles(*ALL_ROLES)
def list_occurrences() -> Response:
    """Airings between ``from`` and ``to`` (local dates, inclusive; default: the next 7 days)."""
    tz_name = _tz()
    tz = ZoneInfo(tz_name)
    today = utcnow().astimezone(tz).date()
    first = _date_arg("from") or today
    last = _date_arg("to") or first + dt.timedelta(days=6)
    if last < first:
        raise ValidationError("Ngày 'to' phải sau ngày 'from'")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise ValidationError(f"Khoảng thời gian tối đa {MAX_RANGE_DAYS} ngày")
    start, end = days_bounds(first, last, tz)
    found = week.occurrences_in(get_session(), tz_name, start, end, zone_name=_own_zone(api_user()))
    return jsonify({"items": [o.as_dict() for o in found], "total": len(found),
                    "from": first.isoformat(), "to": last.isoformat()})


# ------------------------------------------------------------------ station commands


@bp.route("/commands", methods=["POST"])
@roles(*COMMAND_ROLES)
def create_command() -> tuple[Response, int]:
    """Writes an intent; the station acknowledges it (poll ``GET /commands/{id}``)."""
    data = _json_body()
    kind = _str(data, "kind")
    session = get_session()
    if kind == "emergency":
        bulletin_id = data.get("bulletin_id")
        if not isinstance(bulletin_id, int) or isinstance(bulletin_id, bool):
            raise ValidationError("Lệnh khẩn cấp cần trường 'bulletin_id' (số bản tin đã duyệt)")
        command = commands.request_emergency(session, bulletin_id, user=api_user())
    elif kind == "stop":
        command = commands.request_stop(session, user=api_user())
    else:
        raise ValidationError("Trường 'kind' phải là 'emergency' hoặc 'stop'")
    session.commit()
    logger.info("API: %s gửi lệnh số %s (%s)", api_user().name, command.id, kind)
    return jsonify(command_json(command)), 201


@bp.route("/commands/<int:command_id>", methods=["GET"])
@roles(*READ_COMMAND_ROLES)
def get_command(command_id: int) -> Response:
    from broadcaster.overview import get_command as load

    command = load(get_session(), command_id)
    if command is None:
        abort(404, description=f"Không có lệnh số {command_id}")
    return jsonify(command_json(command))


# ------------------------------------------------------------------ evidence


@bp.route("/evidence", methods=["GET"])
@roles(*ALL_ROLES)
def list_evidence() -> Response:
    """Entries as ``broadcaster log list --json`` gives them, newest first, a page at a time."""
    from broadcaster.evidence import entry_dict
    from web.logs import evidence_filters_from, evidence_page

    user = api_user()
    limit, offset = _page()
    filters = evidence_filters_from(request.args, user)
    rows, more = evidence_page(get_session(), filters, limit=limit, offset=offset)
    tz = _tz()
    return jsonify({"items": [entry_dict(e, tz) for e in rows], "limit": limit, "offset": offset,
                    "next_offset": offset + limit if more else None})


@bp.route("/evidence/verify", methods=["GET"])
@roles(*VERIFY_ROLES)
def verify_evidence() -> Response:
    from web.logs import chain_status

    return jsonify(chain_status(get_session(), force=True))


# ------------------------------------------------------------------ village reports

VILLAGE_REPORT_READ_ROLES = tuple(dict.fromkeys(permissions.roles_for("village_report.view_all")
                                                + permissions.roles_for("village_report.write")))
VILLAGE_REPORT_WRITE_ROLES = permissions.roles_for("village_report.write")
VILLAGE_REPORT_REVIEW_ROLES = permissions.roles_for("village_report.review")


def _report_period(key: Any) -> Any:
    from broadcaster import village_reports

    if not isinstance(key, str):
        raise ValidationError("Trường 'period' phải là chuỗi NĂM-THÁNG, ví dụ \"2025-10\"")
    return village_reports.get_period(get_session(), key, int(get_settings().reports.village_due_day),
                                      create=request.method == "POST")


@bp.route("/village-reports", methods=["GET"])
@roles(*VILLAGE_REPORT_READ_ROLES)
def list_village_reports() -> Response:
    """Each village's report for ``period`` (default: last month) and its state; a village head: the own."""
    from broadcaster import village_reports

    user = api_user()
    tz = ZoneInfo(_tz())
    today = utcnow().astimezone(tz).date()
    key = request.args.get("period") or village_reports.recent_periods(today, 2)[0]
    period = _report_period(key)
    zone_id = permissions.zone_scope(user)
    if permissions.is_zone_limited(user) and user.zone_id is None:
        abort(403, description="Tài khoản trưởng thôn chưa được gán thôn")
    rows = village_reports.villages_for_period(get_session(), period, today, tz, zone_id=zone_id)
    return jsonify({"period": period.key, "from": period.starts_on.isoformat(),
                    "until": period.ends_on.isoformat(), "due_on": period.due_on.isoformat(),
                    "items": [row.as_dict(tz) for row in rows]})


@bp.route("/village-reports", methods=["POST"])
@roles(*VILLAGE_REPORT_WRITE_ROLES)
def save_village_report() -> tuple[Response, int]:
    """The village head's report for ``period``: saved as a draft, or submitted (``"submit": true``)."""
    from broadcaster import village_reports

    data = _json_body()
    submit = data.get("submit", False)
    if not isinstance(submit, bool):
        raise ValidationError("Trường 'submit' phải là true hoặc false")
    user = api_user()
    if user.zone is None:
        abort(403, description="Tài khoản trưởng thôn chưa được gán thôn")
    session = get_session()
    period = _report_period(data.get("period"))
    content = {k: v for k, v in data.items() if k not in ("period", "submit")}
    try:
        report = village_reports.save(session, user.zone, period, content, user, submit=submit)
    except BroadcasterError:
        session.rollback()
        raise
    session.commit()
    tz = ZoneInfo(_tz())
    row = village_reports.villages_for_period(session, period, utcnow().astimezone(tz).date(), tz,
                                              zone_id=user.zone.id)[0]
    logger.info("API: %s lưu báo cáo thôn số %s (%s)", user.name, report.id, report.state)
    return jsonify(row.as_dict(tz)), 201


@bp.route("/village-reports/<int:report_id>/review", methods=["POST"])
@roles(*VILLAGE_REPORT_REVIEW_ROLES)
def review_village_report(report_id: int) -> Response:
    """The office accepts a submitted report (``"action": "accept"``) or returns it with a reason."""
    from broadcaster import village_reports

    data = _json_body()
    session = get_session()
    report = village_reports.get_report(session, report_id)
    try:
        village_reports.review(session, report, _str(data, "action"), api_user(), _str(data, "reason"))
    except BroadcasterError:
        session.rollback()
        raise
    session.commit()
    tz = ZoneInfo(_tz())
    period = report.period
    row = village_reports.villages_for_period(session, period, utcnow().astimezone(tz).date(), tz,
                                              zone_id=report.zone_id)[0]
    return jsonify(row.as_dict(tz))
