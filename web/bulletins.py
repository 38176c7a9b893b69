"""Bulletins: list with search and filters, write with a live preview, the review workflow,
history, and "listen before approving" (rendered on demand, served by asset id).

Views parse the form, call :mod:`broadcaster.bulletins` / :mod:`broadcaster.accounts`, commit,
and render; the rules (who may edit what, which transitions exist) live in the domain.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from broadcaster import approvals, bulletins, commands, library, permissions, publishing
from broadcaster.campaigns import list_campaigns
from broadcaster.errors import BroadcasterError, ValidationError
from broadcaster.glossary import reading_preview
from broadcaster.models import BULLETIN_STATUSES, PRIORITIES, Bulletin
from broadcaster.schedule import parse_date
from broadcaster.zones import list_zones
from web.db import get_session, get_settings
from web.format import duration
from web.fragments import rendered_rows
from web.nav import register_nav
from web.public import external
from web.security import current_user, login_required, render_limiter, roles_required

logger = logging.getLogger(__name__)

bp = Blueprint("bulletins", __name__, url_prefix="/bulletins")
register_nav(bp, "Bản tin", "bulletins.index", order=20)

PAGE_SIZE = 50
REVIEW_ACTIONS = {"submit": "bulletin.submit", "approve": "bulletin.review",
                  "reject": "bulletin.review", "archive": "bulletin.archive"}
DONE_MESSAGES = {"submit": "Đã gửi bản tin đi duyệt.", "approve": "Đã phê duyệt bản tin.",
                 "reject": "Đã từ chối bản tin và ghi lý do.", "archive": "Đã chuyển bản tin vào lưu trữ."}


def _me() -> Any:
    user = current_user()
    assert user is not None
    return user


def _load(bulletin_id: int) -> Bulletin:
    """The bulletin, or 404 — also for a village head asking about another zone's bulletin."""
    bulletin = get_session().get(Bulletin, bulletin_id)
    if bulletin is None or not permissions.can_see_bulletin(_me(), bulletin):
        abort(404)
    return bulletin


def _optional_int(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(f"Giá trị không hợp lệ ở ô {name}") from None


def _optional_date(name: str) -> dt.date | None:
    raw = request.form.get(name, "").strip()
    return parse_date(raw) if raw else None


def _form_fields() -> dict[str, Any]:
    """The bulletin form as domain arguments (who may file what is checked by the domain)."""
    fields: dict[str, Any] = {
        "title": request.form.get("title", ""),
        "body": request.form.get("body", ""),
        "category": request.form.get("category", "Thông báo").strip() or "Thông báo",
        "priority": request.form.get("priority", "normal"),
        "zone_id": _optional_int("zone_id"),
        "campaign_id": _optional_int("campaign_id"),
        "theme": request.form.get("theme", "").strip(),
        "valid_from": _optional_date("valid_from"),
        "valid_until": _optional_date("valid_until"),
    }
    if fields["priority"] not in PRIORITIES:
        raise ValidationError("Mức ưu tiên không hợp lệ")
    # "Đăng công khai" applies to commune-wide bulletins; a village notice takes the default (off).
    if permissions.is_zone_limited(_me()) or fields["zone_id"] is not None:
        fields["public"] = None
    else:
        fields["public"] = request.form.get("public") == "1"
    if fields["valid_from"] and fields["valid_until"] and fields["valid_until"] < fields["valid_from"]:
        raise ValidationError("Ngày hết hiệu lực phải sau ngày bắt đầu")
    return fields


def _form_context(bulletin: Bulletin | None, values: dict[str, Any]) -> dict[str, Any]:
    session = get_session()
    return {
        "bulletin": bulletin,
        "values": values,
        "zones": list_zones(session),
        "campaigns": list_campaigns(session),
        "recordings": library.list_assets(session, "recording"),
        "priorities": PRIORITIES,
    }




@bp.route("")
@login_required
def index() -> str:
    user = _me()
    session = get_session()
    search = request.args.get("q", "")[:200]
    status = request.args.get("status") if request.args.get("status") in BULLETIN_STATUSES else None
    priority = request.args.get("priority") if request.args.get("priority") in PRIORITIES else None
    category = request.args.get("category", "").strip()[:100] or None
    page = max(1, request.args.get("page", 1, type=int) or 1)
    # Plain rows of what the list shows, zone names joined in (one statement).
    rows = bulletins.list_summaries(
        session, search=search, status=status, priority=priority, category=category,
        zone_id=permissions.zone_scope(user), limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE,
    )
    shown = rows[:PAGE_SIZE]
    # The row *is* its key: every value ``bulletins/_row.html`` reads. One url_for for the
    # page, not one per row: the id is an integer, safe to append.
    rows_html = rendered_rows("bulletins", "bulletins/_row.html", "row", shown, tuple,
                              show_base=url_for("bulletins.index") + "/")
    return render_template(
        "bulletins/list.html", rows=shown, rows_html=rows_html, has_more=len(rows) > PAGE_SIZE,
        page=page,
        q=search, status=status or "", priority=priority or "", category=category or "",
        statuses=BULLETIN_STATUSES, priorities=PRIORITIES,
        can_write=permissions.allowed(user, "bulletin.write"),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*permissions.roles_for("bulletin.write"))
def new() -> Response | str | tuple[str, int]:
    user = _me()
    values: dict[str, Any] = {"priority": "normal", "category": "Thông báo",
                              "zone_id": permissions.zone_scope(user),
                              "public": not permissions.is_zone_limited(user)}
    if request.method == "POST":
        values = request.form.to_dict()
        session = get_session()
        try:
            fields = _form_fields()
            fields["recording_id"] = _optional_int("recording_id")
            if fields["recording_id"] is not None:
                library.get_recording(session, fields["recording_id"])
            bulletin = bulletins.add_bulletin(session, author=user, **fields)
            if request.form.get("then") == "submit":
                bulletins.transition(session, bulletin, "submit", user)
        except BroadcasterError as exc:
            session.rollback()
            flash(str(exc), "error")
            return render_template("bulletins/form.html", **_form_context(None, values)), 400
        session.commit()
        flash(f"Đã lưu bản tin số {bulletin.id}.", "ok")
        return redirect(url_for("bulletins.show", bulletin_id=bulletin.id))
    return render_template("bulletins/form.html", **_form_context(None, values))


@bp.route("/<int:bulletin_id>")
@login_required
def show(bulletin_id: int) -> str:
    bulletin = _load(bulletin_id)
    user = _me()
    session = get_session()
    return render_template(
        "bulletins/show.html", bulletin=bulletin, events=bulletins.history(session, bulletin),
        action_labels=bulletins.ACTION_LABELS, field_labels=bulletins.HISTORY_FIELDS,
        changes=bulletins.changes_since_approval(session, bulletin),
        readings=bulletins.readings_since_approval(session, bulletin),
        word_diff=bulletins.word_diff,
        can_render=permissions.allowed(user, "bulletin.render"),
        can_edit=permissions.can_edit_bulletin(user, bulletin),
        can_submit=permissions.allowed(user, "bulletin.submit") and bulletin.status in {"draft", "rejected"}
        and permissions.can_edit_bulletin(user, bulletin),
        can_review=permissions.allowed(user, "bulletin.review") and bulletin.status in {"draft", "submitted"},
        can_archive=permissions.allowed(user, "bulletin.archive") and bulletin.status != "archived",
        public_url=(external("public.bulletin", key=bulletin.public_key)
                    if publishing.is_published(session, bulletin) else None),
        next_waiting=approvals.next_waiting(session, after=bulletin.id)
        if permissions.allowed(user, "bulletin.review") else None,
        waiting_total=approvals.queue_count(session) if permissions.allowed(user, "bulletin.review") else 0,
    )


@bp.route("/<int:bulletin_id>/edit", methods=["GET", "POST"])
@roles_required(*permissions.roles_for("bulletin.write"))
def edit(bulletin_id: int) -> Response | str | tuple[str, int]:
    bulletin = _load(bulletin_id)
    user = _me()
    if not permissions.can_edit_bulletin(user, bulletin):
        abort(403)
    if request.method == "POST":
        values = request.form.to_dict()
        session = get_session()
        try:
            fields = _form_fields()
            fields["recording_id"] = _optional_int("recording_id")
            if fields["recording_id"] is not None:
                library.get_recording(session, fields["recording_id"])
            bulletins.update_bulletin(session, bulletin, user, **fields)
        except BroadcasterError as exc:
            session.rollback()
            flash(str(exc), "error")
            return render_template("bulletins/form.html", **_form_context(bulletin, values)), 400
        session.commit()
        flash("Đã lưu thay đổi.", "ok")
        return redirect(url_for("bulletins.show", bulletin_id=bulletin.id))
    values = {
        "title": bulletin.title, "body": bulletin.body, "category": bulletin.category,
        "priority": bulletin.priority, "zone_id": bulletin.zone_id,
        "campaign_id": bulletin.campaign_id, "theme": bulletin.theme,
        "valid_from": bulletin.valid_from.isoformat() if bulletin.valid_from else "",
        "valid_until": bulletin.valid_until.isoformat() if bulletin.valid_until else "",
        "recording_id": bulletin.recording_id, "public": bulletin.public,
    }
    return render_template("bulletins/form.html", **_form_context(bulletin, values))


@bp.route("/<int:bulletin_id>/<any(submit, approve, reject, archive):action>", methods=["POST"])
@login_required
def act(bulletin_id: int, action: str) -> Response:
    user = _me()
    if not permissions.allowed(user, REVIEW_ACTIONS[action]):
        abort(403)
    bulletin = _load(bulletin_id)
    if action == "submit" and not permissions.can_edit_bulletin(user, bulletin):
        abort(403)
    session = get_session()
    note = request.form.get("reason", "")[:2000]
    emergency = None
    try:
        if action == "approve":
            emergency = commands.approve_bulletin(session, bulletin, user, note)
        else:
            bulletins.transition(session, bulletin, action, user, note)
    except BroadcasterError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("bulletins.show", bulletin_id=bulletin_id))
    session.commit()
    flash(DONE_MESSAGES[action], "ok")
    if emergency is not None:
        flash(f"Bản tin khẩn cấp đã được gửi tới trạm phát để phát ngay (lệnh số {emergency.id}); "
              "theo dõi trên trang Tổng quan.", "info")
    return redirect(url_for("bulletins.show", bulletin_id=bulletin_id))


@bp.route("/preview", methods=["POST"])
@login_required
def preview() -> tuple[Response, int]:
    """JSON for the live "Máy sẽ đọc là" box: normalised text, character count, duration."""
    data = request.get_json(silent=True) or {}
    text = data.get("text", "") if isinstance(data, dict) else ""
    if not isinstance(text, str):
        return jsonify({"error": "Nội dung phải là chữ."}), 400
    if len(text) > bulletins.MAX_BODY:
        return jsonify({"error": f"Nội dung quá dài (tối đa {bulletins.MAX_BODY} ký tự)."}), 400
    if not text.strip():
        return jsonify({"normalized": "", "chars": 0, "seconds": 0,
                        "summary": "Chưa có nội dung."}), 200
    try:
        result = reading_preview(get_session(), text, get_settings().tts.dialect)
    except BroadcasterError as exc:
        return jsonify({"error": str(exc)}), 400
    summary = f"{result.chars} ký tự · đọc khoảng {duration(result.seconds)}"
    if result.omitted:  # the editor sees what of a pasted document is not read on air
        summary += " · Không đọc trên loa: " + "; ".join(result.omitted)
    return jsonify({
        "normalized": result.normalized, "chars": result.chars, "seconds": result.seconds,
        "omitted": list(result.omitted), "summary": summary,
    }), 200


@bp.route("/<int:bulletin_id>/render", methods=["POST"])
@login_required
def render(bulletin_id: int) -> tuple[Response, int]:
    """Render the bulletin as it will air, then answer with the asset's URL (by id only).

    Rendering costs CPU and disk, so only the roles that write or review bulletins may, and
    each account only ``web.renders_per_minute`` times a minute.
    """
    user = _me()
    if not permissions.allowed(user, "bulletin.render"):
        return jsonify({"error": "Tài khoản của bạn không dựng được bản tin để nghe thử."}), 403
    bulletin = _load(bulletin_id)
    limiter = render_limiter()
    wait = limiter.blocked_for("render", str(user.id))
    if wait > 0:
        return jsonify({"error": f"Bạn đã dựng quá nhiều lần trong một phút; "
                                 f"hãy thử lại sau {max(1, round(wait))} giây."}), 429
    limiter.failed("render", str(user.id))
    session = get_session()
    try:
        asset = library.render_bulletin(session, get_settings(), bulletin)
    except BroadcasterError as exc:
        session.rollback()
        return jsonify({"error": str(exc)}), 400
    session.commit()
    from web.library import remember_render

    remember_render(asset.id)
    return jsonify({
        "asset_id": asset.id, "sha256": asset.sha256, "seconds": asset.seconds,
        "url": url_for("library.audio", asset_id=asset.id),
        "summary": f"Bản dựng dài {duration(asset.seconds)} — đúng như sẽ phát trên loa.",
    }), 200
