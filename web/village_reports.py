"""``/village-reports``: village heads report back; the office sees, accepts or returns them.

A village head sees the own village's periods and fills the Vietnamese form; everyone else who
may see all villages gets villages × periods at a glance. Views parse the form into the
content :func:`broadcaster.village_reports.clean_content` checks; the workflow rules live there.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from broadcaster import permissions, village_reports
from broadcaster.errors import BroadcasterError
from broadcaster.models import utcnow
from broadcaster.schedule import parse_date
from web.db import get_session, get_settings
from web.nav import register_nav
from web.security import current_user, has_role, login_required, roles_required

logger = logging.getLogger(__name__)

bp = Blueprint("village_reports", __name__, url_prefix="/village-reports")
register_nav(bp, "Báo cáo thôn", "village_reports.index",
             roles=tuple(dict.fromkeys(permissions.roles_for("village_report.write")
                                       + permissions.roles_for("village_report.view_all"))), order=45)

WRITE_ROLES = permissions.roles_for("village_report.write")
REVIEW_ROLES = permissions.roles_for("village_report.review")
VIEW_ALL_ROLES = permissions.roles_for("village_report.view_all")
PERIODS_SHOWN = 6
BLANK_MEETINGS = 3


def _tz() -> ZoneInfo:
    return ZoneInfo(str(get_settings().station.timezone))


def _today() -> dt.date:
    return utcnow().astimezone(_tz()).date()


def _due_day() -> int:
    return int(get_settings().reports.village_due_day)


def _form_content() -> dict[str, Any]:
    """The form's fields as the content dict; empty meeting rows are dropped."""
    form = request.form
    meetings = []
    for kind, date, participants, note in zip(form.getlist("meeting_kind"), form.getlist("meeting_date"),
                                              form.getlist("meeting_participants"), form.getlist("meeting_note"),
                                              strict=False):
        if not (date.strip() or participants.strip() or note.strip()):
            continue
        meetings.append({"kind": kind, "date": date, "participants": participants, "note": note})
    content: dict[str, Any] = {"meetings": meetings,
                               "zalo_links": [line.strip() for line in form.get("zalo_links", "").splitlines()]}
    for name in (*village_reports.COUNTS, *village_reports.TEXTS):
        content[name] = form.get(name, "")
    return content


@bp.route("")
@login_required
def index() -> str:
    user = current_user()
    assert user is not None
    session = get_session()
    today, tz = _today(), _tz()
    keys = village_reports.recent_periods(today, PERIODS_SHOWN)
    if permissions.is_zone_limited(user):
        if user.zone_id is None:
            abort(403, description="Tài khoản trưởng thôn chưa được gán thôn; hãy báo quản trị viên.")
        rows = []
        for key in reversed(keys):
            period = village_reports.get_period(session, key, _due_day(), create=False)
            rows.extend(village_reports.villages_for_period(session, period, today, tz, zone_id=user.zone_id))
        reminders = village_reports.reminders_for(session, user.zone_id, today, _due_day(),
                                                  int(get_settings().reports.village_remind_days), tz)
        return render_template("village_reports/mine.html", rows=rows, reminders=reminders,
                               labels=village_reports.STATUS_LABELS)
    if not has_role(*VIEW_ALL_ROLES):
        abort(403)
    periods, zones, cells = village_reports.grid(session, keys, _due_day(), today, tz)
    return render_template("village_reports/grid.html", periods=periods, zones=zones, cells=cells,
                           labels=village_reports.STATUS_LABELS, can_review=has_role(*REVIEW_ROLES))


@bp.route("/periods/<key>/due", methods=["POST"])
@roles_required(*REVIEW_ROLES)
def set_due(key: str) -> Any:
    session = get_session()
    try:
        period = village_reports.get_period(session, key, _due_day())
        village_reports.set_due_date(session, period, parse_date(request.form.get("due_on", "")), current_user())
    except BroadcasterError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("village_reports.index"))
    session.commit()
    flash(f"Đã đặt hạn nộp báo cáo kỳ {period.key}: {period.due_on:%d/%m/%Y}.", "ok")
    return redirect(url_for("village_reports.index"))


@bp.route("/<key>/mine", methods=["GET", "POST"])
@roles_required(*WRITE_ROLES)
def mine(key: str) -> Any:
    """The village head's form for one period: save a draft, or save and submit."""
    user = current_user()
    assert user is not None
    if user.zone is None:
        abort(403, description="Tài khoản trưởng thôn chưa được gán thôn; hãy báo quản trị viên.")
    session = get_session()
    try:
        period = village_reports.get_period(session, key, _due_day(), create=request.method == "POST")
    except BroadcasterError:
        abort(404)
    report = village_reports.find_report(session, user.zone.id, period)
    editable = report is None or report.state in ("draft", "returned")
    content = dict(report.content) if report else village_reports.empty_content()
    if request.method == "POST":
        if not editable:
            flash("Báo cáo đã nộp, không sửa được nữa.", "error")
            return redirect(url_for("village_reports.mine", key=period.key))
        raw = _form_content()
        try:
            report = village_reports.save(session, user.zone, period, raw, user,
                                          submit=request.form.get("then") == "submit")
        except BroadcasterError as exc:
            session.rollback()
            flash(str(exc), "error")
            return render_template("village_reports/form.html", period=period, report=report, content=raw,
                                   editable=True, zone=user.zone, kinds=village_reports.MEETING_KINDS,
                                   counts=village_reports.COUNTS, blank=BLANK_MEETINGS), 400
        session.commit()
        flash("Đã nộp báo cáo cho văn phòng." if report.state == "submitted" else "Đã lưu nháp.", "ok")
        return redirect(url_for("village_reports.mine", key=period.key))
    return render_template("village_reports/form.html", period=period, report=report, content=content,
                           editable=editable, zone=user.zone, kinds=village_reports.MEETING_KINDS,
                           counts=village_reports.COUNTS, blank=BLANK_MEETINGS)


@bp.route("/<int:report_id>")
@login_required
def show(report_id: int) -> str:
    user = current_user()
    assert user is not None
    session = get_session()
    report = village_reports.get_report(session, report_id)
    if not has_role(*VIEW_ALL_ROLES) and not (permissions.is_zone_limited(user) and permissions.zone_scope(user) == report.zone_id):
        abort(404)
    tz = _tz()
    return render_template(
        "village_reports/show.html", report=report, period=report.period,
        status=village_reports.status_of(report, report.period, _today(), tz),
        late=village_reports.is_late(report, report.period, tz), labels=village_reports.STATUS_LABELS,
        kinds=village_reports.MEETING_KINDS, counts=village_reports.COUNTS,
        actions=village_reports.ACTION_LABELS, can_review=has_role(*REVIEW_ROLES),
    )


@bp.route("/<int:report_id>/review", methods=["POST"])
@roles_required(*REVIEW_ROLES)
def review(report_id: int) -> Any:
    session = get_session()
    report = village_reports.get_report(session, report_id)
    action = request.form.get("action", "")
    try:
        village_reports.review(session, report, action, current_user(), request.form.get("reason", ""))
    except BroadcasterError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("village_reports.show", report_id=report_id))
    session.commit()
    flash("Đã duyệt báo cáo." if action == "accept" else "Đã trả lại báo cáo kèm lý do.", "ok")
    return redirect(url_for("village_reports.show", report_id=report_id))
