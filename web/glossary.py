"""The commune's glossary (read-as words): list, add, edit, delete."""
from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from broadcaster import glossary, permissions
from broadcaster.errors import BroadcasterError
from web.db import get_session, get_settings
from web.nav import register_nav
from web.security import current_user, login_required, roles_required

logger = logging.getLogger(__name__)

bp = Blueprint("glossary", __name__, url_prefix="/glossary")
register_nav(bp, "Cách đọc", "glossary.index", order=50)
WRITERS = permissions.roles_for("glossary.write")


@bp.route("")
@login_required
def index() -> str:
    q = request.args.get("q", "")[:100]
    return render_template(
        "glossary/index.html", entries=glossary.list_entries(get_session(), q), q=q,
        can_write=permissions.allowed(current_user(), "glossary.write"),
    )


def _done(message: str) -> Response:
    get_session().commit()
    flash(message, "ok")
    return redirect(url_for("glossary.index"))


def _failed(exc: BroadcasterError) -> Response:
    get_session().rollback()
    flash(str(exc), "error")
    return redirect(url_for("glossary.index"))


@bp.route("", methods=["POST"])
@roles_required(*WRITERS)
def add() -> Response:
    try:
        entry = glossary.add_entry(get_session(), request.form.get("word", ""),
                                   request.form.get("reading", ""), get_settings().tts.dialect)
    except BroadcasterError as exc:
        return _failed(exc)
    return _done(f"Đã thêm “{entry.word}”.")


@bp.route("/<int:entry_id>", methods=["POST"])
@roles_required(*WRITERS)
def update(entry_id: int) -> Response:
    session = get_session()
    try:
        entry = glossary.get_entry(session, entry_id)
        glossary.update_entry(session, entry, request.form.get("word", ""),
                              request.form.get("reading", ""), get_settings().tts.dialect)
    except BroadcasterError as exc:
        return _failed(exc)
    return _done(f"Đã sửa “{entry.word}”.")


@bp.route("/<int:entry_id>/delete", methods=["POST"])
@roles_required(*WRITERS)
def delete(entry_id: int) -> Response:
    session = get_session()
    try:
        entry = glossary.get_entry(session, entry_id)
        glossary.delete_entry(session, entry, get_settings().tts.dialect)
    except BroadcasterError as exc:
        return _failed(exc)
    return _done(f"Đã xóa “{entry.word}”.")
