"""``/campaigns/<id>``: a campaign opened — its plan, targets, coverage — edited, and reported.

The list and the quick "new campaign" form stay on ``/schedule/campaigns`` (next to the week they
plan); this module shows one campaign and edits it. Views parse the form and call
:mod:`broadcaster.campaigns` and the reports; every rule lives there.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from broadcaster import campaigns, permissions
from broadcaster.errors import BroadcasterError, ValidationError
from broadcaster.models import Bulletin, utcnow
from broadcaster.reports import Filters
from broadcaster.reports.coverage import campaign_coverage
from broadcaster.schedule import parse_date
from broadcaster.zones import list_zones
from web.db import get_session, get_settings
from web.security import current_user, has_role, login_required, roles_required

logger = logging.getLogger(__name__)

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

EDIT_ROLES = permissions.roles_for("campaign.edit")
COMPILE_ROLES = permissions.roles_for("report.compile")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _tz() -> str:
    return str(get_settings().station.timezone)


def _today() -> dt.date:
    return utcnow().astimezone(ZoneInfo(_tz())).date()


def _date(raw: str | None) -> dt.date | None:
    raw = (raw or "").strip()
    return parse_date(raw) if raw else None


def _int(raw: str | None, label: str) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(f"{label} phải là số nguyên") from None


def _form_values(campaign: Any) -> MultiDict[str, str]:
    def day(value: dt.date | None) -> str:
        return value.isoformat() if value else ""

    values: dict[str, str] = {
        "name": campaign.name, "theme": campaign.theme or "", "starts_on": day(campaign.starts_on),
        "ends_on": day(campaign.ends_on), "doc_number": campaign.doc_number or "",
        "doc_date": day(campaign.doc_date), "doc_issuer": campaign.doc_issuer or "",
        "doc_title": campaign.doc_title or "", "themes": "\n".join(campaign.themes or []),
        "target_per_day": str(campaign.target_per_day), "target_per_week": str(campaign.target_per_week),
        "target_minutes_per_week": str(campaign.target_minutes_per_week or 0),
        "peak_starts_on": day(campaign.peak_starts_on), "peak_ends_on": day(campaign.peak_ends_on),
        "peak_target_per_day": str(campaign.peak_target_per_day or 0),
    }
    for target in campaign.zone_targets:
        values[f"zone_{target.zone_id}_airings"] = str(target.airings_per_week)
        values[f"zone_{target.zone_id}_minutes"] = str(target.minutes_per_week)
    return MultiDict(values)


@bp.route("/<int:campaign_id>")
@login_required
def show(campaign_id: int) -> str:
    session = get_session()
    campaign = campaigns.get_campaign(session, campaign_id)
    today = _today()
    (coverage,) = campaign_coverage(session, Filters(), _tz(), today=today, campaign_id=campaign.id)
    cells = {(c.zone, c.week_start): c for c in coverage.cells}
    peak = {(p.zone, p.day): p for p in coverage.peak}
    peak_days = sorted({p.day for p in coverage.peak})
    bulletins = session.query(Bulletin).filter(Bulletin.campaign_id == campaign.id).order_by(Bulletin.id.desc()).all()
    user = current_user()
    if user is not None and permissions.is_zone_limited(user):
        bulletins = [b for b in bulletins if permissions.can_see_bulletin(user, b)]
    return render_template(
        "campaigns/show.html", campaign=campaign, coverage=coverage, cells=cells, peak=peak,
        peak_days=peak_days, bulletins=bulletins, source=campaigns.source_document(campaign),
        targets={t.zone.name: t for t in campaign.zone_targets}, today=today,
        can_edit=has_role(*EDIT_ROLES), can_compile=has_role(*COMPILE_ROLES),
        report_from=max(campaign.starts_on, today.replace(day=1)) if campaign.starts_on <= today else campaign.starts_on,
        report_to=min(campaign.ends_on, today),
    )


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@roles_required(*EDIT_ROLES)
def edit(campaign_id: int) -> Any:
    session = get_session()
    campaign = campaigns.get_campaign(session, campaign_id)
    zones = list_zones(session)
    if request.method == "GET":
        return render_template("campaigns/edit.html", campaign=campaign, form=_form_values(campaign),
                               zones=zones, errors=[])
    form = request.form
    try:
        campaigns.update_campaign(
            session, campaign,
            name=form.get("name", ""), theme=form.get("theme", ""),
            starts_on=_date(form.get("starts_on")), ends_on=_date(form.get("ends_on")),
            doc_number=form.get("doc_number", ""), doc_date=_date(form.get("doc_date")),
            doc_issuer=form.get("doc_issuer", ""), doc_title=form.get("doc_title", ""),
            themes=form.get("themes", ""),
            target_per_day=_int(form.get("target_per_day"), "Số lần phát mỗi ngày") or 1,
            target_per_week=_int(form.get("target_per_week"), "Chỉ tiêu số lần phát mỗi tuần") or 0,
            target_minutes_per_week=_int(form.get("target_minutes_per_week"), "Chỉ tiêu số phút mỗi tuần") or 0,
            peak_starts_on=_date(form.get("peak_starts_on")), peak_ends_on=_date(form.get("peak_ends_on")),
            peak_target_per_day=_int(form.get("peak_target_per_day"), "Chỉ tiêu ngày cao điểm") or 0,
        )
        for zone in zones:
            airings = _int(form.get(f"zone_{zone.id}_airings"), f"Chỉ tiêu của {zone.name}")
            minutes = _int(form.get(f"zone_{zone.id}_minutes"), f"Chỉ tiêu phút của {zone.name}")
            campaigns.set_zone_target(session, campaign, zone.id,
                                      airings if (airings or minutes) else None, minutes or 0)
    except BroadcasterError as exc:
        session.rollback()
        return render_template("campaigns/edit.html", campaign=campaigns.get_campaign(session, campaign_id),
                               form=form, zones=zones, errors=[str(exc)]), 400
    session.commit()
    flash(f"Đã lưu chiến dịch “{campaign.name}”.", "ok")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/report")
@roles_required(*COMPILE_ROLES)
def compile_report(campaign_id: int) -> Response:
    """The commune's report to the province, as a download (DOCX to edit, or PDF)."""
    from broadcaster.reports.directive_report import compile_bytes

    fmt = request.args.get("format", "docx")
    if fmt not in ("docx", "pdf"):
        raise ValidationError("Chọn định dạng docx hoặc pdf")
    session = get_session()
    campaign = campaigns.get_campaign(session, campaign_id)
    date_from, date_to = _date(request.args.get("from")), _date(request.args.get("to"))
    data = compile_bytes(session, get_settings(), campaign.id, fmt, date_from, date_to)
    start = (date_from or campaign.starts_on).isoformat()
    end = (date_to or min(campaign.ends_on, _today())).isoformat()
    name = f"bao-cao-chien-dich-{campaign.id}_{start}_{end}.{fmt}"
    logger.info("lập báo cáo chiến dịch số %s (%s)", campaign.id, fmt)
    return Response(data, mimetype=DOCX_TYPE if fmt == "docx" else "application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
