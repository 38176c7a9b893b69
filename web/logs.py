"""``/logs``: the evidence of what aired, with filters, the chain's verification and exports.

A village head sees only the airings that reached the own zone; the office reads everything and
downloads CSV, XLSX and PDF reports. Filtering lives in :mod:`broadcaster.evidence_filter`,
verification in :mod:`broadcaster.evidence`, exports in :mod:`broadcaster.reports`.

Why verification is cached: recomputing a 100,000-entry chain takes about a second, far too long
for every page view. The result is kept per process for a few minutes and only while the head of
the log is unchanged; the "Kiểm tra ngay" button always recomputes.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Mapping

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from broadcaster import evidence, evidence_filter, listening, permissions
from broadcaster.errors import BroadcasterError
from broadcaster.evidence import STATUS_LABELS
from broadcaster.models import EVIDENCE_STATUSES, User, utcnow
from broadcaster.reports.query import Filters
from broadcaster.reports.receiver_rows import get_visible_airing, latest_receiver_entries
from web.db import get_session, get_settings
from web.format import station_zone
from web.fragments import rendered_rows
from web.nav import register_nav
from web.security import current_user, has_role, login_required, roles_required

logger = logging.getLogger(__name__)

bp = Blueprint("logs", __name__, url_prefix="/logs")
register_nav(bp, "Nhật ký phát", "logs.index", order=40)

EXPORT_ROLES = permissions.roles_for("evidence.export")
VERIFY_ROLES = permissions.roles_for("evidence.verify")
PAGE_SIZE = 50
MAX_PAGE = 100_000
#: How long a verification result is shown without recomputing (while the head is unchanged).
CHAIN_CACHE_S = 300.0
CACHE_KEY = "loaxa_chain_status"
STATUS_CHOICES = [(s, STATUS_LABELS[s]) for s in EVIDENCE_STATUSES]


def own_zone(user: User | None) -> str | None:
    """A village head's zone name (its airings only); None for roles that read everything."""
    return permissions.zone_name_scope(user)


def evidence_filters_from(args: Mapping[str, str], user: User | None) -> Filters:
    """The request's filters; a village head's own zone replaces any zone asked for."""
    return evidence_filter.filters_from_args(args, own_zone=own_zone(user))


def evidence_page(session: Session, filters: Filters, *, limit: int,
                  offset: int) -> tuple[list[Any], bool]:
    rows, more = evidence_filter.page(session, filters, get_settings().station.timezone,
                                      limit=limit, offset=offset)
    return list(rows), more


# ------------------------------------------------------------------ chain verification


@dataclass
class _Cached:
    head: tuple[int, str]
    at: float
    checked_at: dt.datetime
    status: dict[str, Any]


def _verify_now(session: Session) -> dict[str, Any]:
    from broadcaster.keys import load_public_key

    settings = get_settings()
    try:
        public_key = load_public_key(settings.public_key_path)
    except BroadcasterError as exc:
        return {"ok": False, "count": 0, "head_hash": None, "first_bad_id": None,
                "message": str(exc)}
    from broadcaster.evidence_audit import load_witness, verify_log

    witness = settings.checkpoint_witness_path
    try:
        witnesses = [load_witness(witness)] if witness.exists() else []
    except BroadcasterError as exc:
        return {"ok": False, "count": 0, "head_hash": None, "first_bad_id": None, "message": str(exc)}
    result = verify_log(session, public_key, tz=settings.station.timezone, witnesses=witnesses)
    return {
        "ok": result.ok,
        "count": result.count,
        "head_hash": result.head_hash,
        "first_bad_id": result.first_bad_id,
        "message": result.message,
        "checkpoints_checked": result.checkpoints_checked,
    }


def _cache() -> dict[str, Any]:
    return current_app.extensions.setdefault(CACHE_KEY, {"lock": threading.Lock(), "value": None})


def chain_status(session: Session, *, force: bool = True) -> dict[str, Any]:
    """The chain's verification (recomputed when ``force`` or when the cache is stale)."""
    cache = _cache()
    head = evidence.head(session)
    cached: _Cached | None = cache["value"]
    if not force and cached and cached.head == head and time.monotonic() - cached.at < CHAIN_CACHE_S:
        return dict(cached.status, checked_at=cached.checked_at.isoformat(), cached=True)
    with cache["lock"]:
        status = _verify_now(session)
        checked_at = utcnow()
        cache["value"] = _Cached(head, time.monotonic(), checked_at, status)
    if not status["ok"]:
        logger.warning("kiểm tra chuỗi nhật ký không đạt: %s", status["message"])
    return dict(status, checked_at=checked_at.isoformat(), cached=False)


def cached_chain_status(session: Session) -> dict[str, Any] | None:
    """The last result if still valid for the current head, else None (no recomputation)."""
    cached: _Cached | None = _cache()["value"]
    if cached and cached.head == evidence.head(session) and time.monotonic() - cached.at < CHAIN_CACHE_S:
        return dict(cached.status, checked_at=cached.checked_at.isoformat(), cached=True)
    return None


# ------------------------------------------------------------------ pages


def _offset() -> int:
    try:
        number = int(request.args.get("page", "1"))
    except ValueError:
        number = 1
    return (min(max(number, 1), MAX_PAGE) - 1) * PAGE_SIZE


#: the village boxes' latest entries shown under the commune's (all of them are in the exports)
BOX_ROWS = 50


@bp.route("", endpoint="index")
@login_required
def index() -> Any:
    session = get_session()
    user = current_user()
    tz = get_settings().station.timezone
    zone = own_zone(user)
    error = None
    try:
        filters = evidence_filter.filters_from_args(request.args, own_zone=zone)
    except BroadcasterError as exc:
        error = str(exc)
        filters = Filters(zone=zone)
    offset = _offset()
    # Only the columns the table shows, as plain rows (the API's full entries cost twice as much).
    rows, more = evidence_filter.summary_page(session, filters, tz, limit=PAGE_SIZE, offset=offset)
    page_number = offset // PAGE_SIZE + 1
    query = evidence_filter.as_query(filters, include_zone=zone is None)
    campaigns, zones = evidence_filter.filter_choices(session, zones=zone is None)
    can_verify = has_role(*VERIFY_ROLES)
    # what the village boxes aired (their own chains), newest first, for the same filters
    box_rows = latest_receiver_entries(session, filters, tz, limit=BOX_ROWS) if page_number == 1 else []
    return render_template(
        "logs/index.html",
        rows=rows,
        box_rows=box_rows,
        rows_html=rendered_rows("logs", "logs/_row.html", "row", rows, tuple,
                                fixed={"status_labels": STATUS_LABELS},
                                entry_base=url_for("logs.index") + "/"),
        filters=filters,
        query=query,
        error=error,
        page=page_number,
        more=more,
        zone=zone,
        statuses=STATUS_CHOICES,
        status_labels=STATUS_LABELS,
        campaigns=campaigns,
        zones=zones,
        chain=cached_chain_status(session) if can_verify else None,
        can_verify=can_verify,
        can_export=has_role(*EXPORT_ROLES),
        export_ready="logs.export" in current_app.view_functions,
        tz=station_zone(),
    ), 400 if error else 200


@bp.route("/<int:entry_id>")
@login_required
def entry(entry_id: int) -> Any:
    """One entry in full: its items with their hashes, its times, its links in the chain."""
    row = evidence_filter.get_visible(get_session(), entry_id, get_settings().station.timezone,
                                      own_zone=own_zone(current_user()))
    if row is None:
        abort(404, description=f"Không có mục nhật ký số {entry_id}")
    return render_template("logs/entry.html", e=row, status_labels=STATUS_LABELS, receiver=None,
                           aircheck_ready=listening.aircheck_file(get_settings(), row) is not None,
                           aircheck_url=url_for("logs.aircheck", entry_id=entry_id))


@bp.route("/<int:entry_id>/aircheck")
@login_required
def aircheck(entry_id: int) -> Any:
    """The air-check recorded while the entry aired, for whoever may see the entry."""
    row = evidence_filter.get_visible(get_session(), entry_id, get_settings().station.timezone,
                                      own_zone=own_zone(current_user()))
    path = listening.aircheck_file(get_settings(), row) if row is not None else None
    if path is None:
        abort(404, description=f"Không có bản thu của mục nhật ký số {entry_id}")
    return send_file(path, mimetype="audio/ogg", conditional=True, max_age=0,
                     download_name=f"ban-thu-nhat-ky-{entry_id}.opus")


@bp.route("/receivers/<receiver>/<int:seq>")
@login_required
def receiver_entry(receiver: str, seq: int) -> Any:
    """One entry of a village box's own chain, with the player once its air-check reached the
    commune; a village head sees only the boxes of the own village."""
    row = get_visible_airing(get_session(), receiver, seq, own_zone=own_zone(current_user()))
    if row is None:
        abort(404, description=f"Không có mục nhật ký số {seq} của máy thu {receiver}")
    return render_template("logs/entry.html", e=row, status_labels=STATUS_LABELS, receiver=row.receiver,
                           aircheck_ready=listening.aircheck_file(get_settings(), row) is not None,
                           aircheck_url=url_for("logs.receiver_aircheck", receiver=row.receiver, seq=seq))


@bp.route("/receivers/<receiver>/<int:seq>/aircheck")
@login_required
def receiver_aircheck(receiver: str, seq: int) -> Any:
    """A box's air-check as the commune kept it (its bytes matched the hash the box signed)."""
    row = get_visible_airing(get_session(), receiver, seq, own_zone=own_zone(current_user()))
    path = listening.aircheck_file(get_settings(), row) if row is not None else None
    if path is None:
        abort(404, description=f"Không có bản thu của mục nhật ký số {seq} của máy thu {receiver}")
    return send_file(path, mimetype="audio/ogg", conditional=True, max_age=0,
                     download_name=f"ban-thu-{receiver}-nhat-ky-{seq}.opus")


@bp.route("/verify", methods=["GET", "POST"])
@roles_required(*VERIFY_ROLES)
def verify() -> Any:
    """Recompute the whole chain now; JSON for scripts (``?format=json``), else back to the page."""
    status = chain_status(get_session(), force=True)
    if request.args.get("format") == "json":
        return jsonify(status)
    # the "Chuỗi bằng chứng" card shows the result on the page it leads back to: say it once there
    flash("Đã kiểm tra lại toàn bộ chuỗi bằng chứng." if status["ok"]
          else "Đã kiểm tra lại: chuỗi bằng chứng CÓ SAI LỆCH (xem thẻ Chuỗi bằng chứng).",
          "ok" if status["ok"] else "error")
    return redirect(url_for("logs.index", **{k: v for k, v in request.args.items() if k != "format"}))


@bp.route("/export.<fmt>")
@roles_required(*EXPORT_ROLES)
def export(fmt: str) -> Response:
    """The filtered evidence as a CSV, XLSX or PDF report (``broadcaster.reports``), downloaded."""
    from broadcaster import reports

    if fmt not in ("csv", "xlsx", "pdf"):
        abort(404, description="Định dạng xuất không hỗ trợ (chọn csv, xlsx hoặc pdf)")
    settings = get_settings()
    filters = evidence_filters_from(request.args, current_user())
    header = "machine" if request.args.get("header") == "machine" else "vi"
    data = reports.export_bytes(get_session(), settings, fmt, filters, csv_header=header)
    name = reports.suggested_filename(settings, fmt, filters)
    logger.info("%s xuất báo cáo %s (%d byte)", current_user().name, fmt, len(data))  # type: ignore[union-attr]
    return Response(data, mimetype=reports.MEDIA_TYPES[fmt].split(";")[0],
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"},
                    content_type=reports.MEDIA_TYPES[fmt])
