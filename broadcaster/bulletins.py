"""Bulletins and their workflow: draft → submitted → approved or rejected → archived."""
from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from audio.normalize import TextInputError, clean_text
from broadcaster.errors import NotFoundError, ValidationError, WorkflowError
from broadcaster.models import (
    PRIORITIES,
    Bulletin,
    BulletinEvent,
    Campaign,
    User,
    Zone,
    utcnow,
)

MAX_TITLE = 300
MAX_BODY = 20_000
PRIORITY_LABELS = {"normal": "Thường", "priority": "Ưu tiên", "emergency": "Khẩn cấp"}
STATUS_LABELS = {
    "draft": "Nháp",
    "submitted": "Chờ duyệt",
    "approved": "Đã duyệt",
    "rejected": "Bị từ chối",
    "archived": "Lưu trữ",
}
# Which status a bulletin may move to from which.
TRANSITIONS = {
    "submit": ({"draft", "rejected"}, "submitted"),
    "approve": ({"draft", "submitted"}, "approved"),
    "reject": ({"submitted", "draft"}, "rejected"),
    "archive": ({"draft", "submitted", "approved", "rejected"}, "archived"),
}
ACTION_LABELS = {
    "create": "Tạo",
    "edit": "Sửa",
    "submit": "Gửi duyệt",
    "approve": "Phê duyệt",
    "reject": "Từ chối",
    "archive": "Lưu trữ",
}


def _without_controls(text: str) -> str:
    """Control characters (NUL, bell, escape...) never belong in a notice; line breaks do."""
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


def validate_content(title: str, body: str) -> tuple[str, str]:
    title = _without_controls(" ".join((title or "").split())).strip()
    body = _without_controls((body or "").replace("\r\n", "\n")).strip()
    if not title:
        raise ValidationError("Tiêu đề bản tin không được để trống")
    if len(title) > MAX_TITLE:
        raise ValidationError(f"Tiêu đề quá dài ({len(title)} ký tự, tối đa {MAX_TITLE})")
    if not body:
        raise ValidationError("Nội dung bản tin không được để trống")
    if len(body) > MAX_BODY:
        raise ValidationError(
            f"Nội dung quá dài ({len(body):,} ký tự, tối đa {MAX_BODY:,})".replace(",", ".")
        )
    try:
        clean_text(body)
    except TextInputError:
        raise ValidationError("Nội dung không có chữ nào để đọc (chỉ có biểu tượng hoặc ký tự đặc biệt)") from None
    return title, body


def add_bulletin(
    session: Session,
    *,
    title: str,
    body: str,
    category: str = "Thông báo",
    priority: str = "normal",
    author: User | None = None,
    campaign_id: int | None = None,
    zone_id: int | None = None,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    recording_id: int | None = None,
    public: bool | None = None,
) -> Bulletin:
    """Store a new draft; ``public=None`` takes the default of :func:`publishing.default_public`."""
    from broadcaster.publishing import public_choice

    title, body = validate_content(title, body)
    if priority not in PRIORITIES:
        raise ValidationError(
            f"Mức ưu tiên không hợp lệ: {priority!r} (chọn normal, priority hoặc emergency)"
        )
    if valid_from and valid_until and valid_until < valid_from:
        raise ValidationError("Ngày hết hiệu lực phải sau ngày bắt đầu")
    if campaign_id is not None and session.get(Campaign, campaign_id) is None:
        raise NotFoundError(f"Không có chiến dịch số {campaign_id}")
    if zone_id is not None and session.get(Zone, zone_id) is None:
        raise NotFoundError(f"Không có thôn/khu phố số {zone_id}")
    bulletin = Bulletin(
        title=title,
        body=body,
        category=(category or "Thông báo").strip()[:100],
        priority=priority,
        author=author,
        campaign_id=campaign_id,
        zone_id=zone_id,
        valid_from=valid_from,
        valid_until=valid_until,
        recording_id=recording_id,
        public=public_choice(zone_id, public),
    )
    session.add(bulletin)
    session.flush()
    _record(session, bulletin, author, "create")
    return bulletin


def update_bulletin(session: Session, bulletin: Bulletin, user: User | None, **fields: object) -> None:
    """Editing an approved bulletin sends it back to draft: what airs must be what was approved."""
    if bulletin.status == "archived":
        raise WorkflowError("Bản tin đã lưu trữ, không sửa được")
    title, body = validate_content(
        str(fields.get("title", bulletin.title)), str(fields.get("body", bulletin.body))
    )
    changed = title != bulletin.title or body != bulletin.body
    bulletin.title, bulletin.body = title, body
    for name in ("category", "priority", "campaign_id", "zone_id", "valid_from", "valid_until"):
        if name in fields:
            setattr(bulletin, name, fields[name])
    if "public" in fields:
        from broadcaster.publishing import public_choice

        wanted = fields["public"]
        bulletin.public = public_choice(bulletin.zone_id, None if wanted is None else bool(wanted))
    elif bulletin.zone_id is not None:
        bulletin.public = False  # became a village-only notice: never published
    if bulletin.priority not in PRIORITIES:
        raise ValidationError(f"Mức ưu tiên không hợp lệ: {bulletin.priority!r}")
    if changed and bulletin.status in {"approved", "submitted"}:
        bulletin.status = "draft"
        bulletin.approver_id = None
        bulletin.approved_at = None
    _record(session, bulletin, user, "edit")


def get_bulletin(session: Session, bulletin_id: int) -> Bulletin:
    bulletin = session.get(Bulletin, bulletin_id)
    if bulletin is None:
        raise NotFoundError(f"Không có bản tin số {bulletin_id}")
    return bulletin


def transition(session: Session, bulletin: Bulletin, action: str, user: User | None, note: str = "") -> None:
    allowed, target = TRANSITIONS[action]
    if bulletin.status not in allowed:
        raise WorkflowError(
            f"Không thể {ACTION_LABELS[action].lower()} bản tin đang ở trạng thái "
            f"'{STATUS_LABELS[bulletin.status]}'"
        )
    if action == "reject" and not note.strip():
        raise ValidationError("Phải ghi lý do khi từ chối bản tin")
    bulletin.status = target
    if action == "approve":
        bulletin.approver = user
        bulletin.approved_at = utcnow()
        bulletin.reject_reason = ""
    elif action == "reject":
        bulletin.reject_reason = note.strip()
    _record(session, bulletin, user, action, note)


def list_bulletins(
    session: Session,
    *,
    search: str = "",
    status: str | None = None,
    category: str | None = None,
    priority: str | None = None,
    zone_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Sequence[Bulletin]:
    query = select(Bulletin).order_by(Bulletin.id.desc())
    if search:
        like = f"%{search.strip()}%"
        query = query.where(or_(Bulletin.title.ilike(like), Bulletin.body.ilike(like)))
    if status:
        query = query.where(Bulletin.status == status)
    if category:
        query = query.where(Bulletin.category == category)
    if priority:
        query = query.where(Bulletin.priority == priority)
    if zone_id is not None:
        query = query.where(Bulletin.zone_id == zone_id)
    return session.scalars(query.limit(limit).offset(offset)).all()


def history(session: Session, bulletin: Bulletin) -> Sequence[BulletinEvent]:
    return session.scalars(
        select(BulletinEvent).where(BulletinEvent.bulletin_id == bulletin.id).order_by(BulletinEvent.id)
    ).all()


def _record(session: Session, bulletin: Bulletin, user: User | None, action: str, note: str = "") -> None:
    session.add(BulletinEvent(bulletin_id=bulletin.id, user=user, action=action, note=note))
