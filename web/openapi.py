"""The OpenAPI 3.1 document of ``/api/v1``, written by hand.

Why by hand: it is what operators read, so it says in Vietnamese what each operation is for and
who may call it (``x-roles``). ``tests/test_web_api.py`` checks that every route of the API
blueprint is documented here with the same roles, so the document cannot drift from the code.
"""
from __future__ import annotations

from typing import Any

ALL = ["admin", "editor", "approver", "village", "office"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    texts = {
        400: "Dữ liệu không hợp lệ (thông báo lỗi bằng tiếng Việt)",
        401: "Thiếu mã truy cập hoặc mã không hợp lệ",
        403: "Vai trò của tài khoản không được phép",
        404: "Không tìm thấy",
        409: "Trùng lịch với một lịch phát khác trên cùng đầu ra",
        422: "Có cảnh báo (chương trình quá dài, lấn giờ nghỉ đêm...) chưa được chấp nhận",
    }
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in (401, 403, *codes)
            if code in texts}


def _op(summary: str, roles: list[str], responses: dict[str, Any], *,
        params: list[dict[str, Any]] | None = None, body: dict[str, Any] | None = None,
        errors: tuple[int, ...] = (400,), public: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "x-roles": roles, "responses": dict(responses)}
    if public:
        op["security"] = []
    else:
        op["responses"].update(_errors(*errors))
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}


def _path_id(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "integer"}}


PAGE = [
    _query("limit", "Số mục mỗi trang (1–1000, mặc định 100)",
           {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}),
    _query("offset", "Bỏ qua bao nhiêu mục đầu", {"type": "integer", "minimum": 0, "default": 0}),
]
DATE = {"type": "string", "format": "date"}
STAMP = {"type": ["string", "null"], "format": "date-time"}


def _page_of(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "limit", "offset", "next_offset"],
        "properties": {
            "items": {"type": "array", "items": _ref(item)},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "next_offset": {"type": ["integer", "null"],
                            "description": "offset của trang sau; null khi đã hết"},
        },
    }


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "status"],
        "properties": {"error": {"type": "string", "description": "thông báo bằng tiếng Việt"},
                       "status": {"type": "integer"}},
    },
    "Me": {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                       "role": {"enum": ALL}, "zone": {"type": ["string", "null"]}},
    },
    "Bulletin": {
        "type": "object",
        "required": ["id", "title", "text", "status", "priority"],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "text": {"type": "string"},
            "category": {"type": "string"},
            "priority": {"enum": ["normal", "priority", "emergency"]},
            "status": {"enum": ["draft", "submitted", "approved", "rejected", "archived"]},
            "language": {"type": "string"},
            "chars": {"type": "integer"},
            "campaign_id": {"type": ["integer", "null"]},
            "zone_id": {"type": ["integer", "null"]},
            "public": {"type": "boolean", "description": "Đăng công khai (chọn của biên tập viên)"},
            "zone": {"type": ["string", "null"]},
            "author": {"type": ["string", "null"]},
            "approver": {"type": ["string", "null"]},
            "reject_reason": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": STAMP,
            "approved_at": STAMP,
        },
    },
    "NewBulletin": {
        "type": "object",
        "required": ["title", "text"],
        "properties": {
            "title": {"type": "string", "maxLength": 300},
            "text": {"type": "string", "maxLength": 20000},
            "category": {"type": "string"},
            "priority": {"enum": ["normal", "priority", "emergency"], "default": "normal"},
            "public": {"type": ["boolean", "null"], "default": None,
                       "description": "Đăng công khai; bỏ trống: bật cho bản tin toàn xã"},
            "submit": {"type": "boolean", "default": False,
                       "description": "gửi duyệt ngay (trưởng thôn: luôn gửi duyệt, chỉ mức thường)"},
        },
    },
    "Slot": {
        "type": "object",
        "required": ["id", "kind", "items", "next"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "kind": {"enum": ["once", "daily"]},
            "at": STAMP,
            "daily": {"type": ["string", "null"], "description": "HH:MM:SS giờ địa phương"},
            "days": {"type": ["string", "null"], "description": "mon,tue,..."},
            "from": {"type": ["string", "null"], "format": "date"},
            "until": {"type": ["string", "null"], "format": "date"},
            "timezone": {"type": "string"},
            "output": {"type": "string"},
            "priority": {"type": "string"},
            "zones": {"type": "array", "items": {"type": "string"}},
            "items": {"type": "array", "items": {"type": "object"}},
            "estimated_seconds": {"type": "number"},
            "next": {"type": "array", "items": {"type": "string", "format": "date-time"}},
            "active": {"type": "boolean"},
            "campaign_id": {"type": ["integer", "null"]},
            "repeats": {"type": "integer"},
            "greeting": {"type": "boolean"},
            "override_reason": {"type": ["string", "null"],
                                "description": "lý do đã lưu dù trùng lịch hoặc có cảnh báo"},
            "override_warnings": {"type": ["string", "null"]},
            "rundown": {"type": "object", "description": "chỉ ở GET /schedule/{slot_id}"},
        },
    },
    "NewSlot": {
        "type": "object",
        "required": ["bulletin_ids"],
        "description": "Một lần (at) hoặc hằng ngày (daily); giờ địa phương của đài.",
        "properties": {
            "bulletin_ids": {"type": "array", "items": {"type": "integer"}, "minItems": 1},
            "at": {"type": "string", "examples": ["2025-01-09 17:30"]},
            "daily": {"type": "string", "examples": ["06:00"]},
            "days": {"type": "array", "items": {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}},
            "from": DATE,
            "until": DATE,
            "zones": {"type": "array", "items": {"type": "string"}},
            "output": {"type": "string"},
            "name": {"type": "string"},
            "repeats": {"type": "integer", "minimum": 1, "maximum": 5, "default": 1},
            "greeting": {"type": "boolean", "default": True},
            "campaign_id": {"type": ["integer", "null"]},
            "accept_warnings": {"type": "boolean", "default": False,
                                "description": "vẫn lưu khi trùng lịch hoặc có cảnh báo quá giờ"},
            "reason": {"type": "string", "description": "lý do vẫn lưu, được ghi lại"},
        },
    },
    "SlotCheck": {
        "type": "object",
        "required": ["ok", "errors", "conflicts", "warnings"],
        "properties": {
            "ok": {"type": "boolean"},
            "errors": {"type": "array", "items": {"type": "string"}},
            "conflicts": {"type": "array", "items": {"type": "string"}},
            "warnings": {"type": "array", "items": {"type": "string"}},
            "estimated_seconds": {"type": "number"},
            "estimated": {"type": "string"},
            "next_airings": {"type": "array", "items": {"type": "string"}},
        },
    },
    "SlotEdit": {
        "type": "object",
        "description": "Chỉ các trường gửi lên được sửa; `from`/`until` rỗng hoặc null để bỏ.",
        "properties": {
            "daily": {"type": "string", "examples": ["06:15"]},
            "at": {"type": "string", "examples": ["2025-01-09 17:30:00"]},
            "days": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "from": {"type": ["string", "null"], "format": "date"},
            "until": {"type": ["string", "null"], "format": "date"},
            "zones": {"type": "array", "items": {"type": "string"},
                      "description": "danh sách rỗng: toàn xã"},
            "name": {"type": "string"},
            "repeats": {"type": "integer", "minimum": 1, "maximum": 5},
            "greeting": {"type": "boolean"},
            "accept_warnings": {"type": "boolean",
                                "description": "vẫn lưu dù trùng lịch hoặc có cảnh báo"},
            "reason": {"type": "string", "description": "lý do vẫn lưu, được ghi lại"},
        },
    },
    "SlotItems": {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {"type": "array", "minItems": 1, "items": {"oneOf": [
                {"type": "object", "required": ["bulletin_id"],
                 "properties": {"bulletin_id": {"type": "integer"}}, "additionalProperties": False},
                {"type": "object", "required": ["recording_id"],
                 "properties": {"recording_id": {"type": "integer"}}, "additionalProperties": False},
            ]}},
            "accept_warnings": {"type": "boolean"},
            "reason": {"type": "string"},
        },
    },
    "Occurrence": {
        "type": "object",
        "properties": {
            "slot_id": {"type": "integer"},
            "occurrence": {"type": "string", "examples": ["slot-3@2025-01-09"]},
            "name": {"type": "string"},
            "kind": {"enum": ["once", "daily"]},
            "local_date": DATE,
            "at": {"type": "string", "format": "date-time"},
            "estimated_seconds": {"type": "number"},
            "priority": {"type": "string"},
            "output": {"type": "string"},
            "zones": {"type": "array", "items": {"type": "string"}},
            "campaign": {"type": "string"},
            "items": {"type": "array", "items": {"type": "object"}},
            "evidence_status": {"type": ["string", "null"]},
            "aired_seconds": {"type": ["number", "null"], "description": "giây đã phát theo nhật ký (null: chưa phát)"},
            "heads": {"type": "array", "description": "Tin ưu tiên có thể được đọc đầu buổi (trong "
                      "một ngày tới), đã tính vào estimated_seconds",
                      "items": {"type": "object", "properties": {"title": {"type": "string"},
                                                                 "bulletin_id": {"type": "integer"}}}},
        },
    },
    "NewCommand": {
        "type": "object",
        "required": ["kind"],
        "properties": {
            "kind": {"enum": ["emergency", "stop"]},
            "bulletin_id": {"type": "integer", "description": "bắt buộc với emergency"},
        },
    },
    "Command": {
        "type": "object",
        "required": ["id", "kind", "status"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"enum": ["emergency", "stop", "rerender"]},
            "bulletin_id": {"type": ["integer", "null"]},
            "output": {"type": ["string", "null"]},
            "status": {"type": "string"},
            "label": {"type": "string"},
            "requested_at": STAMP,
            "acknowledged_at": STAMP,
            "finished_at": STAMP,
            "result": {"type": "string"},
        },
    },
    "EvidenceEntry": {
        "type": "object",
        "description": "Giống một mục của `broadcaster log list --json`.",
        "required": ["id", "occurrence", "status", "prev_hash", "hash"],
        "properties": {
            "id": {"type": "integer"},
            "occurrence": {"type": ["string", "null"]},
            "scheduled_at": STAMP,
            "started_at": STAMP,
            "ended_at": STAMP,
            "status": {"enum": ["completed", "interrupted", "failed", "missed"]},
            "reason": {"type": "string"},
            "seconds_played": {"type": "number"},
            "priority": {"type": "string"},
            "zone": {"type": "string"},
            "output": {"type": "string"},
            "items": {"type": "array", "items": {"type": "object", "properties": {
                "kind": {"type": "string"}, "title": {"type": "string"},
                "text_sha256": {"type": ["string", "null"]},
                "audio_sha256": {"type": ["string", "null"]},
                "engine": {"type": ["string", "null"]}, "seconds": {"type": "number"}}}},
            "aircheck_sha256": {"type": ["string", "null"]},
            "prev_hash": {"type": "string"},
            "hash": {"type": "string"},
        },
    },
    "ChainStatus": {
        "type": "object",
        "required": ["ok", "count", "message"],
        "properties": {
            "ok": {"type": "boolean"},
            "count": {"type": "integer"},
            "head_hash": {"type": ["string", "null"]},
            "first_bad_id": {"type": ["integer", "null"]},
            "message": {"type": "string"},
        },
    },
}

EVIDENCE_FILTERS = [
    _query("from", "Từ ngày (giờ địa phương, YYYY-MM-DD hoặc dd/mm/yyyy)", DATE),
    _query("to", "Đến ngày (bao gồm)", DATE),
    _query("status", "Kết quả", {"enum": ["completed", "interrupted", "failed", "missed"]}),
    _query("category", "Chuyên mục", {"type": "string"}),
    _query("campaign", "Tên chiến dịch", {"type": "string"}),
    _query("zone", "Thôn/khu phố (trưởng thôn: luôn là thôn của mình)", {"type": "string"}),
]


def _paths() -> dict[str, Any]:
    bulletin_id = _path_id("bulletin_id", "Số bản tin")
    return {
        "/openapi.json": {"get": _op("Tài liệu OpenAPI này", ALL, {"200": _json(
            {"type": "object"}, "Tài liệu OpenAPI 3.1")}, public=True)},
        "/me": {"get": _op("Tài khoản của mã truy cập", ALL, {"200": _json(_ref("Me"), "Tài khoản")},
                           errors=())},
        "/bulletins": {
            "get": _op(
                "Danh sách bản tin, mới nhất trước (trưởng thôn: bản tin của thôn mình)", ALL,
                {"200": _json(_page_of("Bulletin"), "Một trang bản tin")},
                params=[_query("q", "Tìm trong tiêu đề và nội dung", {"type": "string"}),
                        _query("status", "Trạng thái", {"type": "string"}),
                        _query("priority", "Mức ưu tiên", {"type": "string"}),
                        _query("category", "Chuyên mục", {"type": "string"}), *PAGE]),
            "post": _op("Viết bản tin mới (nháp, hoặc gửi duyệt)", ["editor", "village"],
                        {"201": _json(_ref("Bulletin"), "Bản tin đã lưu")}, body=_ref("NewBulletin")),
        },
        "/bulletins/{bulletin_id}": {
            "get": _op("Một bản tin", ALL, {"200": _json(_ref("Bulletin"), "Bản tin")},
                       params=[bulletin_id], errors=(404,)),
        },
        "/bulletins/{bulletin_id}/approve": {
            "post": _op("Phê duyệt bản tin", ["approver"],
                        {"200": _json(_ref("Bulletin"), "Bản tin đã duyệt")},
                        params=[bulletin_id], errors=(400, 404)),
        },
        "/schedule": {
            "get": _op("Các lịch phát đang hiệu lực và lần phát sắp tới", ALL,
                       {"200": _json({"type": "object", "properties": {
                           "items": {"type": "array", "items": _ref("Slot")},
                           "total": {"type": "integer"}}}, "Lịch phát")}, errors=()),
            "post": _op("Xếp lịch phát (từ chối khi trùng lịch; cảnh báo phải được chấp nhận)",
                        ["admin", "editor"], {"201": _json(_ref("Slot"), "Lịch phát đã lưu")},
                        body=_ref("NewSlot"), errors=(400, 404, 409, 422)),
        },
        "/schedule/{slot_id}": {
            "get": _op("Một lịch phát và chương trình của nó (thời lượng từng mục, tổng, giờ kết "
                       "thúc lần tới)", ALL, {"200": _json(_ref("Slot"), "Lịch phát")},
                       params=[_path_id("slot_id", "Số lịch phát")], errors=(404,)),
            "patch": _op("Sửa giờ, thứ, ngày, thôn, tên, số lần đọc, lời chào của lịch phát "
                         "(kiểm tra như khi xếp lịch: 409 khi trùng lịch, 422 khi có cảnh báo; "
                         "`accept_warnings` cùng `reason` để vẫn lưu)",
                         ["admin", "editor"], {"200": _json(_ref("Slot"), "Lịch phát đã sửa")},
                         params=[_path_id("slot_id", "Số lịch phát")], body=_ref("SlotEdit"),
                         errors=(400, 404, 409, 422)),
        },
        "/schedule/{slot_id}/items": {
            "put": _op("Đặt chương trình của lịch phát theo thứ tự gửi lên (bản tin đã duyệt, bản "
                       "ghi âm); lần phát đã dựng sẽ được dựng lại",
                       ["admin", "editor"], {"200": _json(_ref("Slot"), "Lịch phát đã sửa")},
                       params=[_path_id("slot_id", "Số lịch phát")], body=_ref("SlotItems"),
                       errors=(400, 404, 409, 422)),
        },
        "/schedule/check": {
            "post": _op("Kiểm tra trùng lịch và quá giờ trước khi lưu (không lưu gì)",
                        ["admin", "editor"], {"200": _json(_ref("SlotCheck"), "Kết quả kiểm tra")},
                        body=_ref("NewSlot"), errors=()),
        },
        "/schedule/occurrences": {
            "get": _op("Các lần phát trong khoảng ngày (mặc định 7 ngày tới)", ALL,
                       {"200": _json({"type": "object", "properties": {
                           "items": {"type": "array", "items": _ref("Occurrence")},
                           "total": {"type": "integer"}, "from": DATE, "to": DATE}},
                           "Các lần phát")},
                       params=[_query("from", "Từ ngày", DATE), _query("to", "Đến ngày (bao gồm)", DATE)]),
        },
        "/commands": {
            "post": _op("Gửi lệnh cho trạm: phát khẩn cấp hoặc dừng phát", ["admin", "approver"],
                        {"201": _json(_ref("Command"), "Lệnh đã ghi, chờ trạm xác nhận")},
                        body=_ref("NewCommand"), errors=(400, 404)),
        },
        "/commands/{command_id}": {
            "get": _op("Trạng thái một lệnh (trạm đã nhận, đã xong...)",
                       ["admin", "approver", "editor", "office"],
                       {"200": _json(_ref("Command"), "Lệnh")},
                       params=[_path_id("command_id", "Số lệnh")], errors=(404,)),
        },
        "/evidence": {
            "get": _op("Nhật ký phát sóng (bằng chứng), mới nhất trước", ALL,
                       {"200": _json(_page_of("EvidenceEntry"), "Một trang nhật ký")},
                       params=[*EVIDENCE_FILTERS, *PAGE]),
        },
        "/evidence/verify": {
            "get": _op("Kiểm tra chuỗi băm của toàn bộ nhật ký", ["admin", "approver", "editor", "office"],
                       {"200": _json(_ref("ChainStatus"), "Kết quả kiểm tra")}, errors=()),
        },
    }


# ------------------------------------------------------------------ village reports

MEETING = {
    "type": "object", "required": ["kind", "date"],
    "properties": {"kind": {"enum": ["chi_bo", "hop_thon", "doan_the"],
                            "description": "sinh hoạt chi bộ, họp thôn/khu phố, sinh hoạt đoàn thể"},
                   "date": DATE, "participants": {"type": "integer", "minimum": 0},
                   "note": {"type": "string", "maxLength": 500}},
}
REPORT_CONTENT = {
    "meetings": {"type": "array", "items": MEETING, "description": "cuộc họp có lồng ghép nội dung"},
    "loudspeaker_sessions": {"type": "integer", "minimum": 0, "description": "buổi phát trên loa của thôn"},
    "banners": {"type": "integer", "minimum": 0, "description": "băng rôn"},
    "slogans": {"type": "integer", "minimum": 0, "description": "khẩu hiệu, pa nô, áp phích"},
    "zalo_posts": {"type": "integer", "minimum": 0, "description": "bài đăng nhóm Zalo cộng đồng"},
    "zalo_links": {"type": "array", "items": {"type": "string", "format": "uri"}, "maxItems": 50},
    "leaflets": {"type": "integer", "minimum": 0, "description": "tờ rơi, tài liệu đã phát"},
    "talks": {"type": "integer", "minimum": 0, "description": "buổi nói chuyện, tọa đàm"},
    "difficulties": {"type": "string", "maxLength": 5000, "description": "khó khăn, vướng mắc"},
    "proposals": {"type": "string", "maxLength": 5000, "description": "đề xuất, kiến nghị"},
}
SCHEMAS.update({
    "VillageReport": {
        "type": "object",
        "properties": {
            "zone": {"type": "string"}, "zone_id": {"type": "integer"},
            "period": {"type": "string", "examples": ["2025-10"]}, "period_from": DATE, "period_until": DATE,
            "due_on": DATE, "id": {"type": ["integer", "null"]},
            "state": {"enum": ["draft", "submitted", "returned", "accepted", None]},
            "status": {"enum": ["accepted", "submitted", "late", "returned", "missing", "pending", "not_owed"],
                       "description": "đã duyệt, nộp đúng hạn, nộp muộn, bị trả lại, thiếu (quá hạn), "
                                      "chưa nộp (còn hạn), không phải nộp (thôn chưa có trong kỳ)"},
            "status_label": {"type": "string"}, "late": {"type": "boolean"},
            "submitted_at": STAMP, "last_submitted_at": STAMP, "accepted_at": STAMP,
            "return_reason": {"type": "string"},
            "content": {"type": ["object", "null"], "properties": REPORT_CONTENT},
        },
    },
    "NewVillageReport": {
        "type": "object", "required": ["period"],
        "properties": {"period": {"type": "string", "description": "NĂM-THÁNG, ví dụ 2025-10"},
                       "submit": {"type": "boolean", "default": False,
                                  "description": "true: nộp luôn; false: lưu nháp"},
                       **REPORT_CONTENT},
    },
    "VillageReportReview": {
        "type": "object", "required": ["action"],
        "properties": {"action": {"enum": ["accept", "return"]},
                       "reason": {"type": "string", "description": "bắt buộc khi trả lại"}},
    },
})


def _village_report_paths() -> dict[str, Any]:
    from broadcaster.permissions import roles_for

    readers = sorted(set(roles_for("village_report.view_all")) | set(roles_for("village_report.write")))
    return {
        "/village-reports": {
            "get": _op("Báo cáo của từng thôn trong một kỳ và trạng thái (trưởng thôn: thôn mình)", readers,
                       {"200": _json({"type": "object", "properties": {
                           "period": {"type": "string"}, "from": DATE, "until": DATE, "due_on": DATE,
                           "items": {"type": "array", "items": _ref("VillageReport")}}}, "Các thôn")},
                       params=[_query("period", "Kỳ NĂM-THÁNG (mặc định tháng trước)", {"type": "string"})]),
            "post": _op("Trưởng thôn lưu nháp hoặc nộp báo cáo của thôn cho một kỳ",
                        list(roles_for("village_report.write")),
                        {"201": _json(_ref("VillageReport"), "Báo cáo đã lưu")}, body=_ref("NewVillageReport")),
        },
        "/village-reports/{report_id}/review": {
            "post": _op("Văn phòng duyệt hoặc trả lại (kèm lý do) báo cáo đã nộp",
                        list(roles_for("village_report.review")),
                        {"200": _json(_ref("VillageReport"), "Báo cáo sau khi duyệt")},
                        params=[_path_id("report_id", "Số báo cáo")], body=_ref("VillageReportReview"),
                        errors=(400, 404)),
        },
    }


def document() -> dict[str, Any]:
    """The whole document, rebuilt per call (it is small) so no shared mutable state leaks."""
    responses = {
        f"E{code}": {"description": text, "content": {"application/json": {"schema": _ref("Error")}}}
        for code, text in {
            400: "Dữ liệu không hợp lệ", 401: "Thiếu hoặc sai mã truy cập", 403: "Không có quyền",
            404: "Không tìm thấy", 409: "Trùng lịch", 422: "Cảnh báo chưa được chấp nhận",
        }.items()
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Loa xã — API",
            "version": "1",
            "description": (
                "API cho các tập lệnh của đài truyền thanh xã. Xác thực bằng mã truy cập do quản "
                "trị viên cấp: tiêu đề `Authorization: Bearer <mã>`. Mọi thời điểm theo ISO 8601 "
                "có múi giờ; ngày giờ nhập vào là giờ địa phương của đài. Lỗi trả về "
                "`{\"error\": \"...\", \"status\": mã}` bằng tiếng Việt. `x-roles` ghi các vai trò "
                "được phép."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
            "responses": responses,
        },
        "paths": _paths() | _village_report_paths(),
    }
