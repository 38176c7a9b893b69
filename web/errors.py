"""Error pages in Vietnamese (HTML for the panel, JSON under ``/api/``).

A domain error (:class:`broadcaster.errors.BroadcasterError`) that escapes a view is the user's
mistake, not a crash: it becomes a 400 with its own Vietnamese message. Anything else is a 500
that is logged with its traceback and shown without internals.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, jsonify, render_template, request
from markupsafe import escape
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, InternalServerError

from broadcaster.errors import BroadcasterError, NotFoundError, PermissionDenied

logger = logging.getLogger(__name__)

TITLES = {
    400: "Yêu cầu không hợp lệ",
    401: "Chưa xác thực",
    403: "Không có quyền",
    404: "Không tìm thấy trang",
    405: "Thao tác không được phép",
    409: "Trùng với dữ liệu đã có",
    413: "Tệp hoặc biểu mẫu quá lớn",
    429: "Thử quá nhiều lần",
    500: "Lỗi hệ thống",
}
MESSAGES = {
    400: "Yêu cầu gửi lên không hợp lệ.",
    401: "Cần đăng nhập hoặc mã truy cập (token) hợp lệ.",
    403: "Tài khoản của bạn không có quyền thực hiện việc này. "
         "Nếu cần, hãy liên hệ quản trị viên.",
    404: "Trang hoặc mục bạn tìm không tồn tại hoặc đã bị xóa.",
    405: "Trang này không nhận thao tác đó.",
    429: "Bạn đã thử quá nhiều lần. Vui lòng đợi rồi thử lại.",
    500: "Đã xảy ra lỗi trong hệ thống. Thao tác chưa được lưu. "
         "Vui lòng thử lại hoặc báo cho quản trị viên.",
}


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _message(exc: HTTPException) -> str:
    code = exc.code or 500
    if code == 413:
        limit = request.max_content_length or 0
        from web.security import UPLOAD_ENDPOINTS

        if request.endpoint in UPLOAD_ENDPOINTS:
            mb = f"{limit / (1024 * 1024):g}".replace(".", ",")
            return f"Tệp hoặc biểu mẫu gửi lên vượt quá giới hạn {mb} MB. Hãy chọn tệp nhỏ hơn."
        kb = max(1, limit // 1024)
        return f"Dữ liệu gửi lên vượt quá giới hạn {kb} kB cho thao tác này."
    # Werkzeug's own English descriptions are replaced; ours (from abort(..., "…")) are kept.
    if exc.description and exc.description != type(exc).description:
        return exc.description
    return MESSAGES.get(code, TITLES.get(code, "Lỗi"))


#: Said when the database refuses a write as a duplicate that no check caught first (two people
#: adding the same name at the same instant): the user's data is not lost, only not saved.
DUPLICATE_MESSAGE = ("Không lưu được: dữ liệu trùng với một mục đã có (ví dụ một tên đã được dùng, "
                     "có thể vừa được người khác thêm). Hãy tải lại trang, kiểm tra rồi thử lại.")


def _discard_failed_writes() -> None:
    """Roll the request's session back before an error page reads the database (the menu, the
    user): after a failed flush every query raises ``PendingRollbackError`` until then, and the
    error page itself would become werkzeug's English 500."""
    session = g.get("db_session")
    if session is not None:
        try:
            session.rollback()
        except Exception:  # noqa: BLE001 - the page must still be shown
            logger.exception("không hoàn tác được phiên cơ sở dữ liệu")


def _bare_page(code: int, title: str, message: str) -> str:
    """The error page without the layout, when even that cannot be drawn: still Vietnamese."""
    return (f'<!doctype html><html lang="vi"><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<h1>{escape(title)} (mã {code})</h1><p>{escape(message)}</p>"
            '<p><a href="/">Về trang chính</a></p></html>')


def render_error(code: int, message: str) -> tuple[Any, int]:
    _discard_failed_writes()
    if _is_api():
        return jsonify({"error": message, "status": code}), code
    title = TITLES.get(code, "Lỗi")
    try:
        return render_template("errors/error.html", code=code, title=title, message=message), code
    except Exception:  # noqa: BLE001 - a broken layout must not turn into an English page
        logger.exception("không vẽ được trang lỗi %s", code)
        return _bare_page(code, title, message), code


def _http_error(exc: HTTPException) -> Any:
    code = exc.code or 500
    response = render_error(code, _message(exc))
    if code == 405 and exc.get_response().headers.get("Allow"):
        body, status = response
        return body, status, {"Allow": exc.get_response().headers["Allow"]}
    return response


def _domain_error(exc: BroadcasterError) -> Any:
    if isinstance(exc, NotFoundError):
        return render_error(404, str(exc))
    if isinstance(exc, PermissionDenied):
        return render_error(403, str(exc))
    return render_error(400, str(exc))


def _number_too_large(exc: OverflowError) -> Any:
    """A number from a form or a query that the database cannot hold is bad input, not a bug."""
    logger.info("số quá lớn ở %s %s: %s", request.method, request.path, exc)
    return render_error(400, "Số gửi lên quá lớn.")


def _duplicate(exc: IntegrityError) -> Any:
    logger.warning("cơ sở dữ liệu từ chối ghi trùng ở %s %s: %s", request.method, request.path,
                   exc.orig)
    return render_error(409, DUPLICATE_MESSAGE)


def _unexpected(exc: Exception) -> Any:
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    logger.exception("lỗi không lường trước ở %s %s", request.method, request.path)
    return render_error(500, MESSAGES[500])


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(BroadcasterError, _domain_error)
    app.register_error_handler(OverflowError, _number_too_large)
    app.register_error_handler(IntegrityError, _duplicate)
    app.register_error_handler(InternalServerError, lambda e: render_error(500, MESSAGES[500]))
    app.register_error_handler(Exception, _unexpected)
