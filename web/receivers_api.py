"""Receivers over HTTP: the box-facing API under ``/api/v1/receiver`` and the panel's page.

The box API authenticates each box by its own bearer token (:func:`broadcaster.receivers.
authenticate`): 401 without a valid one, 403 for a revoked box. Only ``POST /enrol`` takes no
token; it takes the one-time code instead. Like the rest of ``/api/v1`` it is exempt from CSRF
(no cookie is read) and its bodies are held to the 1 MB limit before they are read.

The views parse, call :mod:`broadcaster.receivers` and serialise; the rules live there.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.http import parse_content_range_header
from werkzeug.wrappers import Response

from broadcaster import mqtt_auth, permissions, receiver_airchecks, receivers
from broadcaster.errors import BroadcasterError, NotFoundError, PermissionDenied, ValidationError
from broadcaster.evidence import utc_text
from broadcaster.models import Receiver, utcnow
from broadcaster.zones import list_zones
from web.db import get_session, get_settings
from web.errors import render_error
from web.nav import register_nav
from web.security import current_user, login_required, roles_required

logger = logging.getLogger(__name__)

bp = Blueprint("receivers", __name__)
register_nav(bp, "Máy thu", "receivers.index", roles=permissions.roles_for("receivers.view"),
             order=45)
API = "/api/v1/receiver"
OPEN_ENDPOINTS = {"receivers.enrol"}


def _box() -> Receiver:
    return g.receiver_box


@bp.before_request
def _authenticate_box() -> Any:
    """Box endpoints need the box's token; the panel pages are left to their own decorators."""
    if not request.path.startswith(API + "/") or request.endpoint in OPEN_ENDPOINTS:
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    session = get_session()
    try:
        if scheme.lower() != "bearer":
            raise NotFoundError("Thiếu mã truy cập của máy thu")
        g.receiver_box = receivers.authenticate(session, token.strip())
    except NotFoundError as exc:
        body, code = render_error(401, str(exc))
        return body, code, {"WWW-Authenticate": 'Bearer realm="loa-xa-receiver"'}
    except PermissionDenied as exc:
        return render_error(403, str(exc))
    return None


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError("Dữ liệu gửi lên phải là một đối tượng JSON")
    return data


@bp.post(f"{API}/enrol")
def enrol() -> Any:
    data = _json()
    session = get_session()
    settings = get_settings()
    code, key = data.get("code"), data.get("public_key")
    if not isinstance(code, str) or not isinstance(key, str):
        raise ValidationError("Cần 'code' và 'public_key' (chuỗi)")
    try:
        credentials = receivers.enrol(session, settings, code, key)
    except PermissionDenied as exc:
        session.rollback()
        logger.warning("từ chối đăng ký máy thu từ %s", request.remote_addr)
        return render_error(403, str(exc))
    session.commit()
    mqtt_auth.write_broker_files(session, settings)
    return jsonify(credentials)


@bp.get(f"{API}/time")
def clock() -> Any:
    """The commune's clock, for the box's offset measurement (NTP-style, over the same link)."""
    return jsonify({"now": utc_text(utcnow())})


@bp.get(f"{API}/plan")
def plan() -> Any:
    session = get_session()
    body = receivers.plan_for(session, get_settings(), _box())
    session.commit()
    return jsonify(body)


@bp.get(f"{API}/programs/<sha256>")
def program(sha256: str) -> Response:
    """The program file by its hash; ``Range`` requests resume a broken download."""
    path = receivers.program_path(get_session(), get_settings(), _box(), sha256)
    response = send_file(path, mimetype="audio/wav", conditional=True, etag=sha256,
                         max_age=86400)
    response.headers["X-Content-SHA256"] = sha256
    return response


@bp.get(f"{API}/evidence/head")
def evidence_head() -> Any:
    count, head_hash = receivers.evidence_head(get_session(), _box())
    return jsonify({"count": count, "hash": head_hash})


@bp.post(f"{API}/evidence")
def evidence_upload() -> Any:
    data = _json()
    session = get_session()
    try:
        head = receivers.ingest_evidence(session, _box(), data.get("entries"), data.get("checkpoint"))
    except receivers.ChainRejected as exc:
        session.rollback()
        count, head_hash = receivers.evidence_head(session, _box())
        body = {"error": str(exc), "status": 409, "count": count, "hash": head_hash}
        return jsonify(body), 409
    session.commit()
    return jsonify(head)


@bp.get(f"{API}/airchecks/<int:seq>")
def aircheck_state(seq: int) -> Any:
    """How much of the air-check of the box's entry ``seq`` the commune holds (to resume)."""
    return jsonify(receiver_airchecks.upload_state(get_session(), get_settings(), _box(), seq))


@bp.put(f"{API}/airchecks/<int:seq>")
def aircheck_chunk(seq: int) -> Any:
    """One chunk of the air-check, raw bytes, placed by ``Content-Range: bytes S-E/TOTAL``.

    409 with ``received`` when it does not start where the commune's copy ends; 422 when the
    whole file does not hash to the air-check hash of the box's signed entry (nothing kept).
    """
    where = parse_content_range_header(request.headers.get("Content-Range"))
    if where is None or where.units != "bytes" or where.start is None or where.length is None:
        raise ValidationError("Cần tiêu đề Content-Range: bytes ĐẦU-CUỐI/TỔNG cho phần bản thu")
    data = request.get_data(cache=False)
    if where.stop - where.start != len(data):
        raise ValidationError(f"Content-Range báo {where.stop - where.start} byte, thân có {len(data)} byte")
    session = get_session()
    try:
        state = receiver_airchecks.receive_chunk(session, get_settings(), _box(), seq,
                                                 start=where.start, total=where.length, data=data)
    except receiver_airchecks.WrongOffset as exc:
        session.rollback()
        return jsonify({"error": str(exc), "status": 409, "received": exc.received}), 409
    except receiver_airchecks.AircheckMismatch as exc:
        session.commit()  # the refusal's note on the entry, for the office to read
        return jsonify({"error": str(exc), "status": 422}), 422
    session.commit()
    return jsonify(state)


@bp.post(f"{API}/airchecks/<int:seq>/dropped")
def aircheck_dropped(seq: int) -> Any:
    """The box says it dropped this air-check (queue full) and why: the entry page says so."""
    session = get_session()
    receiver_airchecks.record_dropped(session, get_settings(), _box(), seq, _json().get("note"))
    session.commit()
    return jsonify({"seq": seq, "noted": True})


# ------------------------------------------------------------------ the panel


def _can_manage() -> bool:
    return permissions.allowed(current_user(), "receivers.manage")


def _page(session: Any, settings: Any, new_code: dict[str, str] | None) -> str:
    """The receivers page: the boxes, their warnings, the villages' map, the add form."""
    from broadcaster.village_map import build_map

    rows = receivers.receiver_rows(session, settings)
    places = list_zones(session)
    return render_template("receivers/index.html", rows=rows, warnings=receivers.warnings(rows, settings),
                           zones=places, village_map=build_map(places, rows), new_code=new_code,
                           can_manage=_can_manage())


@bp.get("/receivers")
@login_required
@roles_required(*permissions.roles_for("receivers.view"))
def index() -> str:
    session = get_session()
    settings = get_settings()
    return _page(session, settings, new_code=None)


@bp.post("/receivers")
@login_required
@roles_required(*permissions.roles_for("receivers.manage"))
def add() -> Any:
    session = get_session()
    settings = get_settings()
    try:
        added = receivers.add_receiver(session, settings, request.form.get("name", ""),
                                       request.form.get("zone", ""))
    except BroadcasterError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("receivers.index"))
    session.commit()
    # The code is shown once, on this page only (never stored in clear, never in a redirect URL).
    return _page(session, settings, new_code={"name": added.receiver.name, "code": added.code})


@bp.post("/receivers/<name>/revoke")
@login_required
@roles_required(*permissions.roles_for("receivers.manage"))
def revoke(name: str) -> Any:
    session = get_session()
    settings = get_settings()
    try:
        box = receivers.revoke(session, name)
    except NotFoundError:
        abort(404)
    session.commit()
    mqtt_auth.write_broker_files(session, settings)
    flash(f"Đã thu hồi máy thu {box.name}", "success")
    return redirect(url_for("receivers.index"))
