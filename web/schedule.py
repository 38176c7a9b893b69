"""``/schedule``: the week of airings, the slot forms with checks before saving, and campaigns.

The views parse forms and call :mod:`broadcaster.week` / :mod:`broadcaster.campaigns`; the check
endpoint (called by ``schedule.js`` while the editor types) and the save use the same functions,
so the warning shown before saving is the rule enforced on save.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from broadcaster import campaigns, permissions, schedule, week
from broadcaster.bulletins import list_bulletins
from broadcaster.errors import BroadcasterError, ScheduleConflictError, ValidationError
from broadcaster.models import utcnow
from web.db import get_session, get_settings
from web.nav import register_nav
from web.security import current_user, has_role, login_required, roles_required

logger = logging.getLogger(__name__)

bp = Blueprint("schedule", __name__, url_prefix="/schedule")
register_nav(bp, "Lịch phát", "schedule.week", order=30)

EDIT_ROLES = permissions.roles_for("schedule.edit")
DAY_CHOICES = list(zip(schedule.WEEKDAYS, schedule.WEEKDAY_LABELS, strict=True))
#: How many approved bulletins the form offers (newest first).
BULLETIN_CHOICES = 300


def _tz() -> str:
    return get_settings().station.timezone


def _today() -> dt.date:
    return utcnow().astimezone(ZoneInfo(_tz())).date()


def _user_zone() -> str | None:
    """A village head sees only the own zone's airings (and commune-wide ones)."""
    return permissions.zone_name_scope(current_user())


# ------------------------------------------------------------------ week view


@bp.route("", endpoint="week")
@login_required
def week_view() -> Any:
    session = get_session()
    try:
        start = week.parse_week(request.args.get("week"), _today())
    except BroadcasterError as exc:
        flash(str(exc), "error")
        start = week.monday_of(_today())
    view = week.week_view(session, _tz(), start, today=_today(), zone_name=_user_zone())
    return render_template(
        "schedule/week.html",
        view=view,
        zone=_user_zone(),
        can_edit=has_role(*EDIT_ROLES),
        this_week=week.monday_of(_today()),
    )


# ------------------------------------------------------------------ slot form


def _form_fields(form: MultiDict[str, str]) -> dict[str, Any]:
    """Form input → ``add_slot`` arguments (ValidationError with a Vietnamese message)."""
    return week.slot_form_fields(
        bulletin_ids=form.getlist("bulletin_ids"),
        kind=form.get("kind", ""),
        at_local=form.get("at") or None,
        daily=form.get("daily") or None,
        days=form.getlist("days"),
        starts_on=form.get("from") or None,
        ends_on=form.get("until") or None,
        zones=form.getlist("zones"),
        output=get_settings().output.name,
        name=form.get("name", ""),
        repeats=form.get("repeats", "1") or "1",
        greeting=form.get("greeting") == "yes",
        campaign_id=form.get("campaign_id") or None,
        created_by_id=current_user().id,  # type: ignore[union-attr]
    )


def _render_form(form: MultiDict[str, str], *, status: int = 200, errors: list[str] | None = None,
                 warnings: list[str] | None = None) -> tuple[str, int]:
    session = get_session()
    return render_template(
        "schedule/new.html",
        form=form,
        errors=errors or [],
        warnings=warnings or [],
        bulletins=list_bulletins(session, status="approved", limit=BULLETIN_CHOICES),
        zones=week.zone_names(session),
        campaign_choices=campaigns.list_campaigns(session),
        day_choices=DAY_CHOICES,
        tz=_tz(),
    ), status


@bp.route("/new", methods=["GET"])
@roles_required(*EDIT_ROLES)
def new_slot() -> tuple[str, int]:
    defaults = MultiDict({"kind": request.args.get("kind", "daily"), "repeats": "1",
                          "greeting": "yes"})
    for bulletin_id in request.args.getlist("bulletin"):
        defaults.add("bulletin_ids", bulletin_id)
    return _render_form(defaults)


@bp.route("/new", methods=["POST"])
@roles_required(*EDIT_ROLES)
def create_slot() -> Any:
    session = get_session()
    form = request.form
    try:
        fields = _form_fields(form)
        slot = week.save_slot(session, default_tz=_tz(),
                              accept_warnings=form.get("accept_warnings") == "yes",
                              reason=form.get("reason", ""), **fields)
    except ScheduleConflictError as exc:
        session.rollback()
        return _render_form(form, status=409, warnings=exc.warnings)
    except week.OverrunError as exc:
        session.rollback()
        return _render_form(form, status=422, warnings=exc.warnings)
    except BroadcasterError as exc:
        session.rollback()
        return _render_form(form, status=400, errors=[str(exc)])
    session.commit()
    logger.info("%s tạo lịch phát số %s", current_user().name, slot.id)  # type: ignore[union-attr]
    first = schedule.occurrences_between(
        schedule.SlotTimes.of(slot, _tz()), utcnow(), utcnow() + dt.timedelta(days=400)
    )
    flash(f"Đã lưu lịch phát số {slot.id}.", "ok")
    for warning in campaigns.slot_period_warnings(slot, _tz(), _today()):
        flash(f"Lưu ý: {warning}.", "info")
    target = first[0][1].astimezone(ZoneInfo(_tz())).date() if first else _today()
    return redirect(url_for("schedule.week", week=week.monday_of(target).isoformat()))


@bp.route("/check", methods=["POST"])
@roles_required(*EDIT_ROLES)
def check() -> Response:
    """JSON for ``schedule.js``: errors, conflicts, warnings and the next airings; saves nothing."""
    session = get_session()
    try:
        fields = _form_fields(request.form)
    except BroadcasterError as exc:
        return jsonify(week.SlotCheck(ok=False, errors=[str(exc)]).as_dict())
    result = week.check_slot(session, default_tz=_tz(), **fields)
    session.rollback()
    return jsonify(result.as_dict())


# ------------------------------------------------------------------ one slot: edit and rundown


def _visible_slot(slot_id: int) -> Any:
    """The slot, or 404 for a village head whose village it does not serve."""
    from flask import abort

    slot = schedule.get_slot(get_session(), slot_id)
    if not week.slot_serves_zone(slot, _user_zone()):
        abort(404, description=f"Không có lịch phát số {slot_id}")
    return slot


def _edit_changes(form: MultiDict[str, str]) -> dict[str, Any]:
    """The edit form → ``edit_slot`` arguments; the rundown comes as ``item`` tokens in order,
    plus whatever was picked in the "add" lists (so the page works without JavaScript too)."""
    tokens = form.getlist("item")
    for key, kind in (("add_bulletin", "bulletin"), ("add_recording", "recording")):
        if form.get(key):
            tokens.append(f"{kind}:{form[key]}")
    kind = form.get("kind") or None
    return week.edit_fields(
        kind=kind,
        at_local=form.get("at") or None,
        daily=form.get("daily") or None,
        days=form.getlist("days") if kind == "daily" else None,
        starts_on=form.get("from", "") if kind == "daily" else None,
        ends_on=form.get("until", "") if kind == "daily" else None,
        zones=form.getlist("zones"),
        name=form.get("name", ""),
        repeats=form.get("repeats", "1") or "1",
        greeting=form.get("greeting") == "yes",
        items=week.parse_item_tokens(tokens),
    )


def _slot_form(slot: Any) -> MultiDict[str, str]:
    tz = ZoneInfo(slot.timezone or _tz())
    form: MultiDict[str, str] = MultiDict({
        "kind": slot.kind,
        "name": slot.name,
        "repeats": str(slot.repeats),
        "greeting": "yes" if slot.greeting else "",
        "daily": slot.time_local.strftime("%H:%M") if slot.time_local else "",
        "at": slot.at_utc.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if slot.at_utc else "",
        "from": slot.starts_on.isoformat() if slot.starts_on else "",
        "until": slot.ends_on.isoformat() if slot.ends_on else "",
    })
    if slot.kind == "daily" and slot.weekdays != ",".join(schedule.WEEKDAYS):
        for day in slot.weekdays.split(","):
            form.add("days", day)
    for zone in slot.zones:
        form.add("zones", zone.name)
    return form


def _render_slot(slot: Any, form: MultiDict[str, str] | None = None, *, status: int = 200,
                 errors: list[str] | None = None, warnings: list[str] | None = None) -> Any:
    session = get_session()
    view = week.rundown(session, slot, default_tz=_tz())
    can_edit = has_role(*EDIT_ROLES) and slot.active and not view.aired_once
    return render_template(
        "schedule/slot.html",
        slot=slot,
        view=view,
        form=form if form is not None else _slot_form(slot),
        errors=errors or [],
        warnings=warnings or [],
        can_edit=can_edit,
        can_stop=has_role(*EDIT_ROLES) and slot.active and not view.aired_once,
        bulletins=list_bulletins(session, status="approved", limit=BULLETIN_CHOICES) if can_edit else [],
        recordings=week.recording_choices(session) if can_edit else [],
        zones=week.zone_names(session),
        day_choices=DAY_CHOICES,
        tz=_tz(),
        format_minutes=week.format_minutes,
    ), status


@bp.route("/<int:slot_id>", methods=["GET"], endpoint="slot")
@login_required
def slot_page(slot_id: int) -> Any:
    return _render_slot(_visible_slot(slot_id))


@bp.route("/<int:slot_id>", methods=["POST"])
@roles_required(*EDIT_ROLES)
def save_slot_edit(slot_id: int) -> Any:
    session = get_session()
    slot = schedule.get_slot(session, slot_id)
    form = request.form
    try:
        changes = _edit_changes(form)
        week.save_edit(session, slot, default_tz=_tz(),
                       accept_warnings=form.get("accept_warnings") == "yes",
                       reason=form.get("reason", ""), user_id=current_user().id,  # type: ignore[union-attr]
                       **changes)
    except (ScheduleConflictError, week.OverrunError) as exc:
        session.rollback()
        return _render_slot(schedule.get_slot(session, slot_id), form, status=409,
                            warnings=exc.warnings)
    except BroadcasterError as exc:
        session.rollback()
        return _render_slot(schedule.get_slot(session, slot_id), form, status=400,
                            errors=[str(exc)])
    session.commit()
    logger.info("%s sửa lịch phát số %s", current_user().name, slot_id)  # type: ignore[union-attr]
    flash(f"Đã lưu lịch phát số {slot_id}. Lần phát tới sẽ được dựng lại theo chương trình mới.",
          "ok")
    return redirect(url_for("schedule.slot", slot_id=slot_id))


@bp.route("/<int:slot_id>/check", methods=["POST"])
@roles_required(*EDIT_ROLES)
def check_edit(slot_id: int) -> Response:
    """JSON for the edit page: conflicts, warnings, the draft rundown's durations; saves nothing."""
    session = get_session()
    try:
        changes = _edit_changes(request.form)
    except BroadcasterError as exc:
        return jsonify(week.SlotCheck(ok=False, errors=[str(exc)]).as_dict())
    result = week.check_edit(session, slot_id, default_tz=_tz(), **changes)
    session.rollback()
    return jsonify(result.as_dict())


@bp.route("/<int:slot_id>/stop", methods=["POST"])
@roles_required(*EDIT_ROLES)
def stop_slot(slot_id: int) -> Response:
    session = get_session()
    slot = schedule.get_slot(session, slot_id)
    try:
        schedule.deactivate_slot(session, slot)
    except ValidationError as exc:
        flash(str(exc), "error")
        return redirect(url_for("schedule.slot", slot_id=slot_id))
    session.commit()
    flash(f"Đã ngừng lịch phát số {slot_id}.", "ok")
    return redirect(url_for("schedule.week", week=request.form.get("week") or None))


# ------------------------------------------------------------------ campaigns


def _campaign_rows() -> list[dict[str, Any]]:
    session = get_session()
    today = _today()
    rows = []
    for campaign in campaigns.list_campaigns(session):
        rows.append({
            "campaign": campaign,
            "coverage": campaigns.planned_coverage(session, campaign, _tz(), today=today),
            "bulletins": campaigns.campaign_bulletin_count(session, campaign.id),
            "running": campaign.starts_on <= today <= campaign.ends_on,
            "over": campaign.ends_on < today,
        })
    return rows


@bp.route("/campaigns", methods=["GET"])
@login_required
def campaign_list() -> str:
    return render_template("schedule/campaigns.html", rows=_campaign_rows(), form=MultiDict(),
                           errors=[], can_edit=has_role(*EDIT_ROLES))


@bp.route("/campaigns", methods=["POST"])
@roles_required(*EDIT_ROLES)
def campaign_create() -> Any:
    session = get_session()
    form = request.form
    try:
        if not form.get("starts_on") or not form.get("ends_on"):
            raise ValidationError("Nhập ngày bắt đầu và ngày kết thúc chiến dịch")
        try:
            target = int(form.get("target_per_day", "1") or "1")
        except ValueError:
            raise ValidationError("Số lần phát mỗi ngày phải là số nguyên") from None
        campaign = campaigns.add_campaign(
            session,
            name=form.get("name", ""),
            theme=form.get("theme", ""),
            starts_on=schedule.parse_date(form["starts_on"]),
            ends_on=schedule.parse_date(form["ends_on"]),
            target_per_day=target,
        )
    except BroadcasterError as exc:
        session.rollback()
        return render_template("schedule/campaigns.html", rows=_campaign_rows(), form=form,
                               errors=[str(exc)], can_edit=True), 400
    session.commit()
    flash(f"Đã tạo chiến dịch “{campaign.name}”.", "ok")
    return redirect(url_for("schedule.campaign_list"))
