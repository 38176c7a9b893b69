"""The Vietnamese words for the states users read: bulletin status and priority, evidence status,
station command status, workflow actions.

Why one module: the panel, the API, the CLI, the exports and the reports each printed these
from their own copy, and two copies of "Khẩn cấp" drift apart the first time one is edited.
"""
from __future__ import annotations

PRIORITY_LABELS = {"normal": "Thường", "priority": "Ưu tiên", "emergency": "Khẩn cấp"}

BULLETIN_STATUS_LABELS = {
    "draft": "Nháp",
    "submitted": "Chờ duyệt",
    "approved": "Đã duyệt",
    "rejected": "Bị từ chối",
    "archived": "Lưu trữ",
}

EVIDENCE_STATUS_LABELS = {
    "completed": "Đã phát",
    "interrupted": "Bị ngắt",
    "failed": "Lỗi",
    "missed": "Bị lỡ",
}

#: Lower case: they follow "Lệnh số N: ..." in sentences.
COMMAND_STATUS_LABELS = {
    "pending": "đang chờ trạm phát",
    "acknowledged": "trạm phát đã nhận",
    "done": "đã thực hiện",
    "failed": "thất bại",
}

BULLETIN_ACTION_LABELS = {
    "create": "Tạo",
    "edit": "Sửa",
    "submit": "Gửi duyệt",
    "approve": "Phê duyệt",
    "reject": "Từ chối",
    "archive": "Lưu trữ",
    "reading": "Cách đọc thay đổi",
}


def capitalised(labels: dict[str, str]) -> dict[str, str]:
    """The same labels for the start of a line."""
    return {key: value[:1].upper() + value[1:] for key, value in labels.items()}

#: Why a daemon stopped, in the words of the evidence entry it cuts short (an operator's
#: village head reads "dừng theo yêu cầu (lệnh dừng của hệ thống)", not "SIGTERM").
STOP_SIGNAL_LABELS = {"SIGTERM": "lệnh dừng của hệ thống", "SIGINT": "Ctrl+C trên máy chủ"}


def stop_signal_label(name: str) -> str:
    return STOP_SIGNAL_LABELS.get(name, "tín hiệu dừng của hệ thống")
