"""The audio library: upload or record (MediaRecorder) recordings and jingles; play them back.

An upload is written to a temporary file and handed to :func:`broadcaster.library.store_upload`,
which validates it and stores it under its hash: the name the browser sent is never used as a
path. Files are served by asset id only.
"""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask import session as login_session
from werkzeug.wrappers import Response

from broadcaster import library, permissions
from broadcaster.errors import BroadcasterError
from web.db import get_session, get_settings
from web.nav import register_nav
from web.security import current_user, login_required, roles_required

logger = logging.getLogger(__name__)

bp = Blueprint("library", __name__, url_prefix="/library")
register_nav(bp, "Thư viện âm thanh", "library.index", order=60)


def _page(status: int = 200, values: dict[str, str] | None = None) -> tuple[str, int]:
    session = get_session()
    return render_template(
        "library/index.html",
        assets=library.list_assets(session),
        kinds=library.ASSET_KINDS, languages=library.LANGUAGES,
        can_upload=permissions.allowed(current_user(), "library.upload"),
        max_mb=get_settings().audio.max_upload_mb,
        max_minutes=get_settings().audio.max_upload_minutes,
        values=values or {},
    ), status


@bp.route("")
@login_required
def index() -> tuple[str, int]:
    return _page()


@bp.route("/upload", methods=["POST"])
@roles_required(*permissions.roles_for("library.upload"))
def upload() -> Response | tuple[str, int]:
    values = {k: request.form.get(k, "") for k in ("title", "kind", "language")}
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        flash("Hãy chọn tệp âm thanh hoặc ghi âm trước khi tải lên.", "error")
        return _page(400, values)
    session = get_session()
    with tempfile.TemporaryDirectory(prefix="loaxa-web-upload-") as tmp:
        path = Path(tmp) / "upload"  # the browser's file name is never used on disk
        sent.save(path)
        try:
            asset = library.store_upload(
                session, get_settings(), path, title=values["title"],
                kind=values["kind"] or "recording", language=values["language"] or "vi",
                user=current_user(),
            )
        except BroadcasterError as exc:
            session.rollback()
            flash(f"Không nhận tệp “{sent.filename}”: {exc}", "error")
            return _page(400, values)
    session.commit()
    flash(f"Đã lưu “{asset.title}” ({asset.seconds:.0f} giây).", "ok")
    return redirect(url_for("library.index"))


#: Session key: the renders this login produced through bulletins it may see (newest last).
RENDERED_KEY = "rendered"
RENDERED_KEPT = 20


def remember_render(asset_id: int) -> None:
    """Let this session fetch a render it asked for (see :func:`permissions.can_hear_asset`)."""
    kept = [i for i in login_session.get(RENDERED_KEY, []) if i != asset_id]
    login_session[RENDERED_KEY] = (kept + [asset_id])[-RENDERED_KEPT:]


@bp.route("/assets/<int:asset_id>/audio")
@login_required
def audio(asset_id: int) -> Response:
    """The stored file of an asset (uploads and renders), by id; supports range requests."""
    settings = get_settings()
    asset = library.get_asset(get_session(), asset_id)
    if not permissions.can_hear_asset(current_user(), asset,  # type: ignore[arg-type]
                                   login_session.get(RENDERED_KEY, [])):
        abort(404)
    path = library.asset_file(settings, asset)
    return send_file(path, mimetype=library.media_type(asset), conditional=True,
                     download_name=f"loa-xa-{asset.id}.{asset.format}", max_age=0)
