"""The dashboard (``/``), station commands (emergency, stop) and ``/healthz``.

The panel never plays audio: the buttons write a command row and the page shows whether the
station acknowledged it (polled by ``app.js`` from ``/station/commands/<id>``).
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from broadcaster import approvals, overview, permissions, prerender, week
from broadcaster import commands as station_commands
from broadcaster.errors import BroadcasterError
from broadcaster.local_days import day_bounds
from broadcaster.models import utcnow
from broadcaster.shapes import command_dict
from web.db import get_session, get_settings
from web.nav import register_nav
from web.security import current_user, login_required, roles_required

logger = logging.getLogger(__name__)

bp = Blueprint("dashboard", __name__)
register_nav(bp, "Tổng quan", "dashboard.index", order=10)

#: Who may send the station an emergency or a stop.
COMMAND_ROLES = permissions.roles_for("station.command")
#: How far ahead the "next broadcast" is looked for.
NEXT_HORIZON_DAYS = 8


def _user_zone() -> str | None:
    """A village head sees only the airings of the own zone; everyone else sees all."""
    return permissions.zone_name_scope(current_user())


@bp.route("/")
@login_required
def index() -> str:
    settings = get_settings()
    session = get_session()
    tz_name = settings.station.timezone
    tz = ZoneInfo(tz_name)
    now = utcnow()
    today = now.astimezone(tz).date()
    start, end = day_bounds(today, tz)
    zone = _user_zone()
    horizon = now + dt.timedelta(days=NEXT_HORIZON_DAYS)
    # Today's timeline and what comes next, from one reading of the schedule and the log.
    span = week.occurrences_in(session, tz_name, min(start, now), max(end, horizon), zone_name=zone)
    timeline = [o for o in span if start <= o.at_utc < end]
    upcoming = [o for o in span if now <= o.at_utc < horizon]
    pulses = overview.pulses_for(session, settings.station.heartbeat_s, zone, now)
    ahead = [(o.slot_id, [h.bulletin_id for h in o.heads if h.bulletin_id is not None])
             for o in [o for o in timeline if o.at_utc >= now] + upcoming[:1]]
    can_command = current_user().role in COMMAND_ROLES  # type: ignore[union-attr]
    emergency_choices = (
        station_commands.emergency_choices(session, limit=100) if can_command else []
    )
    user = current_user()
    can_review = permissions.allowed(user, "bulletin.review")
    returned, approved = ([], [])
    if user is not None and user.role == "editor":
        returned, approved = approvals.outcomes(session, user)
    return render_template(
        "dashboard/index.html",
        report_reminders=_report_reminders(session, settings, today, tz),
        review=approvals.queue(session, limit=50) if can_review else [],
        review_total=approvals.queue_count(session) if can_review else 0,
        can_review=can_review,
        returned=returned,
        approved=approved,
        notices=approvals.notices(session, user) if user is not None and permissions.is_zone_limited(user) else [],
        today=today,
        now=now,
        timeline=timeline,
        next_up=upcoming[0] if upcoming else None,
        pulses=pulses,
        failures=overview.recent_failures(session, 10, zone=zone),
        commands=overview.recent_commands(session, 5) if can_command else [],
        command_labels=overview.COMMAND_STATUS_LABELS,
        can_command=can_command,
        emergency_choices=emergency_choices,
        on_air_emergency=overview.emergency_on_air(pulses),
        zone=zone,
        receiver_warnings=_receiver_warnings(session, settings),
        voices=prerender.voices_by_slot(session, settings, ahead),  # which engine speaks
    )


def _report_reminders(session: Any, settings: Any, today: dt.date, tz: ZoneInfo) -> list[Any]:
    """A village head's reports due soon, overdue or returned (none for anyone else)."""
    user = current_user()
    if user is None or not permissions.is_zone_limited(user) or user.zone_id is None:
        return []
    from broadcaster.village_reports import reminders_for

    return reminders_for(session, user.zone_id, today, settings.reports.village_due_day,
                         settings.reports.village_remind_days, tz)


def _receiver_warnings(session: Any, settings: Any) -> list[str]:
    """Village receivers offline or short of tomorrow's programs (the receivers page has more).

    Only for those who may see the receivers page: a village head sees no other village's box.
    """
    from broadcaster import receivers

    if not permissions.allowed(current_user(), "receivers.view"):
        return []

    return receivers.warnings(receivers.receiver_rows(session, settings), settings)


def _emergency_cut_refused() -> Response | None:
    """An emergency on air is cut (by a stop or another emergency) only when asked explicitly."""
    settings = get_settings()
    on_air = overview.emergency_on_air(
        overview.pulses(get_session(), settings.station.heartbeat_s, utcnow()))
    if on_air is not None and request.form.get("cut_emergency") != "yes":
        flash(f"Đang phát bản tin khẩn cấp “{on_air.get('title', '')}”. Hãy đánh dấu ô "
              "“Ngắt bản tin khẩn cấp đang phát” nếu thật sự muốn ngắt.", "error")
        return redirect(url_for("dashboard.index"))
    return None


@bp.route("/station/emergency", methods=["POST"])
@roles_required(*COMMAND_ROLES)
def emergency() -> Response:
    from broadcaster import commands

    if request.form.get("confirm") != "yes":
        flash("Hãy đánh dấu ô xác nhận trước khi phát khẩn cấp.", "error")
        return redirect(url_for("dashboard.index"))
    try:
        bulletin_id = int(request.form.get("bulletin_id", ""))
    except ValueError:
        flash("Hãy chọn bản tin cần phát khẩn cấp.", "error")
        return redirect(url_for("dashboard.index"))
    refused = _emergency_cut_refused()
    if refused is not None:
        return refused
    session = get_session()
    try:
        command = commands.request_emergency(session, bulletin_id, user=current_user())
    except BroadcasterError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("dashboard.index"))
    session.commit()
    logger.info("lệnh phát khẩn cấp số %s cho bản tin số %s", command.id, bulletin_id)
    flash(f"Đã gửi lệnh phát khẩn cấp (lệnh số {command.id}). Đang chờ trạm xác nhận…", "ok")
    return redirect(url_for("dashboard.index", command=command.id))


@bp.route("/station/stop", methods=["POST"])
@roles_required(*COMMAND_ROLES)
def stop() -> Response:
    from broadcaster import commands

    refused = _emergency_cut_refused()
    if refused is not None:
        return refused
    session = get_session()
    try:
        command = commands.request_stop(session, user=current_user())
    except BroadcasterError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("dashboard.index"))
    session.commit()
    flash(f"Đã gửi lệnh dừng phát (lệnh số {command.id}). Đang chờ trạm xác nhận…", "ok")
    return redirect(url_for("dashboard.index", command=command.id))


@bp.route("/station/commands/<int:command_id>")
@roles_required(*COMMAND_ROLES)
def command_status(command_id: int) -> Response:
    """JSON for the page's poller: has the station acknowledged and finished the command?"""
    command = overview.get_command(get_session(), command_id)
    if command is None:
        abort(404)
    return jsonify(command_dict(command))


@bp.route("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for ``/favicon.ico`` where a page names no icon (an MP3 opened alone, the
    feed, a file download): the panel's own icon, not a 404 in every log."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


#: What ``/healthz`` tells anyone who asks, per output: enough for monitoring, nothing more.
HEALTH_FIELDS = ("output", "at", "age_s", "alive")


@bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    """200 with the station's last heartbeat(s); no login (for monitoring).

    Why so little: the page answers without a login, so it says whether each output is alive
    and playing, not the host name, the process ids or the title of what is on air (a village
    notice may be meant for one zone only; the dashboard shows it to those who log in).
    """
    settings = get_settings()
    pulses = overview.pulses(get_session(), settings.station.heartbeat_s)
    heartbeats = []
    for pulse in pulses:
        row = {k: v for k, v in pulse.as_dict().items() if k in HEALTH_FIELDS}
        row["playing"] = pulse.playing is not None
        heartbeats.append(row)
    body: dict[str, Any] = {
        "web": "ok",
        "station_alive": any(p.alive for p in pulses),
        "last_heartbeat": pulses[0].at.isoformat() if pulses else None,
        "heartbeats": heartbeats,
    }
    return jsonify(body), 200
