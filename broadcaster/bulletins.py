"""Bulletins and their workflow: draft → submitted → approved or rejected → archived."""
from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any, Sequence

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from audio.normalize import TextInputError, clean_text
from broadcaster import labels
from broadcaster.db import plain_rows
from broadcaster.errors import NotFoundError, ValidationError, WorkflowError
from broadcaster.models import (
    Bulletin,
    BulletinEvent,
    Campaign,
    User,
    Zone,
    utcnow,
)
from broadcaster.permissions import check_bulletin_fields

MAX_TITLE = 300
MAX_BODY = 20_000
PRIORITY_LABELS = labels.PRIORITY_LABELS
STATUS_LABELS = labels.BULLETIN_STATUS_LABELS
# Which status a bulletin may move to from which.
TRANSITIONS = {
    "submit": ({"draft", "rejected"}, "submitted"),
    "approve": ({"draft", "submitted"}, "approved"),
    "reject": ({"submitted", "draft"}, "rejected"),
    "archive": ({"draft", "submitted", "approved", "rejected"}, "archived"),
}
ACTION_LABELS = labels.BULLETIN_ACTION_LABELS


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


def check_theme(session: Session, campaign_id: int | None, theme: str | None) -> str:
    """The bulletin's theme must be one of its campaign's themes (and needs a campaign)."""
    theme = " ".join((theme or "").split())
    if campaign_id is None:
        if theme:
            raise ValidationError("Chọn chiến dịch trước khi gắn chủ đề cho bản tin")
        return ""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFoundError(f"Không có chiến dịch số {campaign_id}")
    if theme and campaign.themes:
        for known in campaign.themes:
            if known.casefold() == theme.casefold():
                return known
        raise ValidationError(
            f"Chủ đề “{theme}” không thuộc chiến dịch “{campaign.name}” (có: {'; '.join(campaign.themes)})"
        )
    if theme:
        raise ValidationError(f"Chiến dịch “{campaign.name}” chưa có chủ đề nào; hãy thêm chủ đề cho chiến dịch trước")
    return ""


def add_bulletin(
    session: Session,
    *,
    title: str,
    body: str,
    category: str = "Thông báo",
    priority: str = "normal",
    author: User | None = None,
    campaign_id: int | None = None,
    theme: str = "",
    zone_id: int | None = None,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    recording_id: int | None = None,
    public: bool | None = None,
) -> Bulletin:
    """Store a new draft; ``public=None`` takes the default of :func:`publishing.default_public`."""
    from broadcaster.publishing import public_choice

    title, body = validate_content(title, body)
    zone_id = check_bulletin_fields(author, priority=priority, zone_id=zone_id)
    if valid_from and valid_until and valid_until < valid_from:
        raise ValidationError("Ngày hết hiệu lực phải sau ngày bắt đầu")
    theme = check_theme(session, campaign_id, theme)
    if zone_id is not None and session.get(Zone, zone_id) is None:
        raise NotFoundError(f"Không có thôn/khu phố số {zone_id}")
    bulletin = Bulletin(
        title=title,
        body=body,
        category=(category or "Thông báo").strip()[:100],
        priority=priority,
        author=author,
        campaign_id=campaign_id,
        theme=theme,
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


#: What an approval covers: a change to any of these is a change to what airs, or where, or
#: when, so it sends an approved (or submitted) bulletin back to draft. Field → label.
AIRING_FIELDS = {
    "title": "Tiêu đề",
    "body": "Nội dung",
    "recording_id": "Bản ghi âm",
    "priority": "Mức ưu tiên",
    "zone_id": "Thôn/khu phố",
    "valid_from": "Hiệu lực từ",
    "valid_until": "Hiệu lực đến",
    "category": "Chuyên mục",
    "campaign_id": "Chiến dịch",
    "theme": "Chủ đề",
}
#: Every field an edit records in the history: what airs, and whether it is published online.
HISTORY_FIELDS = {**AIRING_FIELDS, "public": "Đăng công khai"}


def _readable(session: Session, name: str, value: object) -> str:
    """A field's value as the approver reads it in the history (names, not ids)."""
    if value is None or value == "":
        return {"zone_id": "Toàn xã", "recording_id": "Không (đọc bằng giọng máy)"}.get(name, "—")
    if name == "public":
        return "Có" if value else "Không"
    if name == "priority":
        return PRIORITY_LABELS.get(str(value), str(value))
    if name == "zone_id":
        zone = session.get(Zone, value)
        return zone.name if zone else f"số {value}"
    if name == "campaign_id":
        campaign = session.get(Campaign, value)
        return campaign.name if campaign else f"số {value}"
    if name == "recording_id":
        from broadcaster.models import AudioAsset

        asset = session.get(AudioAsset, value)
        return f"{asset.title} (số {value})" if asset else f"số {value}"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def update_bulletin(session: Session, bulletin: Bulletin, user: User | None, **fields: object) -> None:
    """Edit a bulletin; any change to what airs sends an approved one back to draft.

    Why every field and not just the text: approval means "this may go on air like this". A new
    recording under the same text, a raised priority (it leads other slots, it can cut in), a
    new zone or longer validity all change what the loudspeakers do, so each needs a new
    approval. The change is kept in the history as field → [before, after], which is what the
    approver's page shows as a diff.
    """
    if bulletin.status == "archived":
        raise WorkflowError("Bản tin đã lưu trữ, không sửa được")
    title, body = validate_content(
        str(fields.get("title", bulletin.title)), str(fields.get("body", bulletin.body))
    )
    wanted: dict[str, object] = {"title": title, "body": body}
    for name in AIRING_FIELDS:
        if name in fields and name not in wanted:
            wanted[name] = fields[name]
    if "category" in wanted:
        wanted["category"] = (str(wanted["category"] or "") or "Thông báo").strip()[:100]
    priority = str(wanted.get("priority", bulletin.priority))
    zone_id = wanted.get("zone_id", bulletin.zone_id)
    forced_zone = check_bulletin_fields(user, priority=priority,
                                        zone_id=zone_id if isinstance(zone_id, int) else None)
    if "zone_id" in wanted or forced_zone != bulletin.zone_id:
        wanted["zone_id"] = forced_zone
    valid_from = wanted.get("valid_from", bulletin.valid_from)
    valid_until = wanted.get("valid_until", bulletin.valid_until)
    if isinstance(valid_from, dt.date) and isinstance(valid_until, dt.date) and valid_until < valid_from:
        raise ValidationError("Ngày hết hiệu lực phải sau ngày bắt đầu")
    if wanted.get("zone_id") is not None and session.get(Zone, wanted["zone_id"]) is None:
        raise NotFoundError(f"Không có thôn/khu phố số {wanted['zone_id']}")
    if "campaign_id" in wanted or "theme" in wanted:
        campaign_id = wanted.get("campaign_id", bulletin.campaign_id)
        kept = bulletin.theme if campaign_id == bulletin.campaign_id else ""
        wanted["theme"] = check_theme(session, campaign_id,  # type: ignore[arg-type]
                                      str(wanted.get("theme", kept) or ""))
    # "Đăng công khai" is not what airs: it is kept in the history but never resets approval
    # (unpublishing an approved bulletin must not take it off the loudspeakers).
    final_zone = wanted.get("zone_id", bulletin.zone_id)
    if "public" in fields:
        from broadcaster.publishing import public_choice

        asked = fields["public"]
        wanted_public: bool | None = public_choice(final_zone if isinstance(final_zone, int) else None,
                                                   None if asked is None else bool(asked))
    elif final_zone is not None:
        wanted_public = False  # became a village-only notice: never published
    else:
        wanted_public = None
    changes: dict[str, list[str]] = {}
    for name, value in wanted.items():
        old = getattr(bulletin, name)
        if old != value:
            changes[name] = [_readable(session, name, old), _readable(session, name, value)]
            setattr(bulletin, name, value)
    if wanted_public is not None and bool(bulletin.public) != wanted_public:
        changes["public"] = [_readable(session, "public", bool(bulletin.public)),
                             _readable(session, "public", wanted_public)]
        bulletin.public = wanted_public
    if not changes:
        return
    note = ""
    if bulletin.status in {"approved", "submitted"} and any(name in AIRING_FIELDS for name in changes):
        note = ("Đã sửa sau khi duyệt: bản tin trở về nháp và cần duyệt lại"
                if bulletin.status == "approved" else "Đã sửa khi đang chờ duyệt: bản tin trở về nháp")
        bulletin.status = "draft"
        bulletin.approver_id = None
        bulletin.approved_at = None
    _record(session, bulletin, user, "edit", note, changes=changes)


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
    query = select(Bulletin).where(*_list_criteria(
        f"%{search.strip()}%" if search.strip() else None, status or None, category or None,
        priority or None, zone_id))
    return session.scalars(query.order_by(Bulletin.id.desc()).limit(limit).offset(offset)).all()


def _list_criteria(like: Any, status: Any, category: Any, priority: Any, zone_id: Any) -> list[Any]:
    """The list's filters; None leaves one out (values or bound parameters)."""
    criteria: list[Any] = []
    if like is not None:
        criteria.append(or_(Bulletin.title.ilike(like), Bulletin.body.ilike(like)))
    if status is not None:
        criteria.append(Bulletin.status == status)
    if category is not None:
        criteria.append(Bulletin.category == category)
    if priority is not None:
        criteria.append(Bulletin.priority == priority)
    if zone_id is not None:
        criteria.append(Bulletin.zone_id == zone_id)
    return criteria


#: What a list of bulletins shows, as plain rows (``zone_name`` from the zone, None for the commune).
SUMMARY_COLUMNS = (
    Bulletin.id, Bulletin.title, Bulletin.zone_id, Zone.name.label("zone_name"), Bulletin.category,
    Bulletin.priority, Bulletin.status, Bulletin.updated_at,
)


def list_summaries(
    session: Session,
    *,
    search: str = "",
    status: str | None = None,
    category: str | None = None,
    priority: str | None = None,
    zone_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Sequence[Any]:
    """Like :func:`list_bulletins`, as plain rows of :data:`SUMMARY_COLUMNS` for a list on screen.

    Why: fifty full bulletins carry their bodies (up to 20,000 characters) and build fifty ORM
    objects, and their zones took a second query; the list shows eight short values a row.
    """
    search = search.strip()
    shape = (bool(search), bool(status), bool(category), bool(priority), zone_id is not None)
    query = _SUMMARY_QUERIES.get(shape)
    if query is None:
        # Built once per combination of filters, with parameters: composing the statement
        # anew cost about as much as running it.
        query = (select(*SUMMARY_COLUMNS).outerjoin(Zone, Zone.id == Bulletin.zone_id)
                 .where(*_list_criteria(*(bindparam(name) if on else None for name, on in zip(
                     ("like", "status", "category", "priority", "zone_id"), shape, strict=True))))
                 .order_by(Bulletin.id.desc()).limit(bindparam("limit")).offset(bindparam("offset")))
        _SUMMARY_QUERIES[shape] = query
    return plain_rows(session, query, {
        "like": f"%{search}%", "status": status, "category": category, "priority": priority,
        "zone_id": zone_id, "limit": limit, "offset": offset})


_SUMMARY_QUERIES: dict[tuple[bool, ...], Any] = {}


def history(session: Session, bulletin: Bulletin) -> Sequence[BulletinEvent]:
    return session.scalars(
        select(BulletinEvent).where(BulletinEvent.bulletin_id == bulletin.id).order_by(BulletinEvent.id)
    ).all()


def _record(session: Session, bulletin: Bulletin, user: User | None, action: str, note: str = "",
            changes: dict[str, list[str]] | None = None) -> None:
    session.add(BulletinEvent(bulletin_id=bulletin.id, user=user, action=action, note=note,
                              changes=changes))


def record_reading_change(session: Session, bulletin: Bulletin, before: str, after: str) -> None:
    """A glossary change altered how ``bulletin`` will be read: say so in its history.

    Approval stays: the glossary is the commune's own way of reading words, decided once for
    every bulletin; the history shows the new reading so an approver can check it.
    """
    _record(session, bulletin, None, "reading",
            "Bảng cách đọc thay đổi: bản tin sẽ được đọc khác đi (vẫn giữ phê duyệt)",
            changes={"reading": [before, after]})


def changes_since_approval(session: Session, bulletin: Bulletin) -> dict[str, list[str]]:
    """Every field changed since the bulletin was last approved: field → [approved, now].

    What the approver reviews when an approved bulletin comes back: the value that was approved
    (the first "before" after the last approval) and the one waiting now (the last "after").
    Empty when the bulletin was never approved, or nothing changed since.
    """
    events = history(session, bulletin)
    approvals = [i for i, e in enumerate(events) if e.action == "approve"]
    if not approvals:
        return {}
    found: dict[str, list[str]] = {}
    for event in events[approvals[-1] + 1:]:
        if event.action != "edit" or not event.changes:
            continue
        for name, (before, after) in event.changes.items():
            if name not in AIRING_FIELDS:  # e.g. "public": not what the approval covers
                continue
            if name in found:
                found[name][1] = after
            else:
                found[name] = [before, after]
    return {name: pair for name, pair in found.items() if pair[0] != pair[1]}


def readings_since_approval(session: Session, bulletin: Bulletin) -> list[BulletinEvent]:
    """Glossary changes that altered the reading of the bulletin after its last approval."""
    events = history(session, bulletin)
    approvals = [i for i, e in enumerate(events) if e.action == "approve"]
    start = approvals[-1] + 1 if approvals else 0
    return [e for e in events[start:] if e.action == "reading"]


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """``before`` → ``after`` as (op, text) runs, op one of "same", "del", "ins".

    Words, not characters: a changed number or name shows as one struck word and one new one,
    which is how a person compares two notices.
    """
    import difflib
    import re

    old, new = re.findall(r"\S+|\s+", before), re.findall(r"\S+|\s+", after)
    runs: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            runs.append(("same", "".join(old[a1:a2])))
            continue
        if a2 > a1:
            runs.append(("del", "".join(old[a1:a2])))
        if b2 > b1:
            runs.append(("ins", "".join(new[b1:b2])))
    return runs
