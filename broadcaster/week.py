"""The schedule as people plan it: a week of airings, and the checks made before a slot is saved.

The panel's week view, its "check before saving" endpoint and the JSON API all read from here, so
a warning an editor sees in the browser is the same one a script gets and the same rule the
server enforces on save. Nothing here knows about Flask.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from broadcaster import campaigns, priority_heads, schedule
from broadcaster.errors import BroadcasterError, ScheduleConflictError, ValidationError
from broadcaster.labels import EVIDENCE_STATUS_LABELS
from broadcaster.local_days import days_bounds
from broadcaster.models import AudioAsset, Bulletin, EvidenceEntry, Occurrence, Slot, Zone
from broadcaster.occurrence_keys import occurrence_key

logger = logging.getLogger(__name__)

#: A commune program longer than this is almost always a mistake (a pasted document, repeats × 5).
MAX_PROGRAM_SECONDS = 30 * 60
#: Loudspeakers stay silent at night; a program that would still be airing then is flagged.
QUIET_START = dt.time(22, 0)
QUIET_END = dt.time(5, 0)
#: A program that ends closer than this to the next one on the same output leaves no margin for
#: an estimate that is a little short (a slow reader, a longer recording).
MIN_MARGIN_SECONDS = 60.0
#: How far ahead overruns are looked for (same horizon as conflicts).
CHECK_HORIZON_DAYS = schedule.CONFLICT_HORIZON_DAYS
#: How far ahead an airing is shown with the priority heads likely to lead it (a priority
#: bulletin leads for a day after its approval: ``schedule.occurrence_estimated_seconds``).
HEADS_AHEAD = dt.timedelta(days=1)

ITEM_KIND_LABELS = {
    "bulletin": "Bản tin",
    "recording": "Bản ghi âm",
    "jingle": "Nhạc hiệu",
    "pause": "Khoảng lặng",
}


class OverrunError(ValidationError):
    """A slot's program is too long or runs into the night or the next program; ``warnings``
    holds each reason alone (the panel shows its own acknowledgement box beside them)."""

    def __init__(self, message: str, warnings: list[str] | None = None) -> None:
        super().__init__(message)
        self.warnings = list(warnings) if warnings else [message]


# ---------------------------------------------------------------- week view


def zone_names(session: Session) -> list[str]:
    """The zones a slot can be aimed at, for forms."""
    return list(session.scalars(select(Zone.name).order_by(Zone.name)).all())


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def parse_week(text: str | None, today: dt.date) -> dt.date:
    """The Monday of the week named by ``text`` (any date in it), or of ``today``'s week."""
    if not text or not text.strip():
        return monday_of(today)
    return monday_of(schedule.parse_date(text))


@dataclass(frozen=True)
class WeekItem:
    kind: str
    kind_label: str
    title: str
    bulletin_id: int | None


@dataclass(frozen=True)
class WeekOccurrence:
    """One airing in the week: when, what, where, and what the evidence says if it already aired."""

    slot_id: int
    key: str
    name: str
    kind: str
    local_date: dt.date
    at_utc: dt.datetime
    at_local: dt.datetime
    estimated_seconds: float
    priority: str
    output: str
    zones: tuple[str, ...]
    campaign: str
    items: tuple[WeekItem, ...]
    evidence_status: str | None
    evidence_label: str
    #: What the week view shows: the evidence's word, else "Sắp phát" or "Chưa có nhật ký".
    state_label: str = ""
    #: The priority bulletins likely to lead this airing (within the next day), counted in
    #: ``estimated_seconds`` as in the slot's rundown.
    heads: tuple[WeekItem, ...] = ()
    #: Seconds on air by the log (None: not aired, or not logged yet): what an aired airing
    #: shows instead of the estimate (a priority head makes 45 s into 2 min 35).
    aired_seconds: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "slot_id": self.slot_id,
            "occurrence": self.key,
            "name": self.name,
            "kind": self.kind,
            "local_date": self.local_date.isoformat(),
            "at": self.at_local.isoformat(),
            "estimated_seconds": round(self.estimated_seconds, 1),
            "priority": self.priority,
            "output": self.output,
            "zones": list(self.zones),
            "campaign": self.campaign,
            "items": [
                {"kind": i.kind, "title": i.title, "bulletin_id": i.bulletin_id} for i in self.items
            ],
            "evidence_status": self.evidence_status,
            "aired_seconds": round(self.aired_seconds, 1) if self.aired_seconds is not None else None,
            "heads": [{"title": i.title, "bulletin_id": i.bulletin_id} for i in self.heads],
        }


@dataclass(frozen=True)
class WeekDay:
    date: dt.date
    label: str
    is_today: bool
    occurrences: tuple[WeekOccurrence, ...]


@dataclass(frozen=True)
class WeekView:
    start: dt.date
    days: tuple[WeekDay, ...]
    previous: dt.date
    next: dt.date

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=6)

    @property
    def count(self) -> int:
        return sum(len(day.occurrences) for day in self.days)


def _item_title(item: Any) -> str:
    if item.kind == "bulletin" and item.bulletin is not None:
        title: str = item.bulletin.title
        return title
    if item.kind == "recording" and item.asset is not None:
        return item.asset.title or f"Bản ghi âm số {item.asset.id}"
    if item.kind == "jingle":
        return item.jingle or "Nhạc hiệu"
    if item.kind == "pause":
        return f"{item.seconds:g} giây"
    return ""


def slot_serves_zone(slot: Slot, zone_name: str | None) -> bool:
    """A slot without zones airs everywhere in the commune; otherwise only in its zones."""
    if zone_name is None or not slot.zones:
        return True
    return any(zone.name == zone_name for zone in slot.zones)


def _before_slot_existed(slot: Slot, instant: dt.datetime) -> bool:
    """An airing earlier than the slot's creation never was planned: a daily slot made on
    Thursday has no Monday airing to be "Chưa có nhật ký" about (evidence, if any, still shows).
    The station's rule (``station.reconcile.expand``): a one-off keeps its one instant."""
    created = slot.created_at
    if slot.kind != "daily" or created is None:
        return False
    if created.tzinfo is None:
        created = created.replace(tzinfo=dt.timezone.utc)
    return instant < created


def occurrences_in(
    session: Session,
    default_tz: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    zone_name: str | None = None,
) -> list[WeekOccurrence]:
    """Every airing of an active slot with start <= instant < end, in time order.

    Airings before the slot was created are left out unless the log has an entry for them."""
    tz = ZoneInfo(default_tz)
    slots = [s for s in schedule.active_slots(session) if slot_serves_zone(s, zone_name)]
    found = schedule.next_occurrences(slots, default_tz, start, end)
    keys = [occurrence_key(slot.id, local_date) for slot, local_date, _ in found]
    statuses: dict[str, str] = {}
    aired: dict[str, float] = {}
    for chunk in range(0, len(keys), 500):
        rows = session.execute(
            select(EvidenceEntry.occurrence_key, EvidenceEntry.status, EvidenceEntry.seconds_played)
            .where(EvidenceEntry.occurrence_key.in_(keys[chunk:chunk + 500]))
            .order_by(EvidenceEntry.id)  # a later entry (a correction) has the last word
        ).all()
        for logged_key, logged_status, played in rows:
            if logged_key:
                statuses[logged_key] = logged_status
                aired[logged_key] = float(played or 0.0)
    estimates: dict[int, float] = {}
    now_utc = dt.datetime.now(dt.timezone.utc)
    # one query tells whether any airing can have heads at all (most days none: no fresh
    # priority bulletin), so the week costs no per-airing look-ups then
    heads_possible = any(now_utc <= instant <= now_utc + HEADS_AHEAD for _s, _d, instant in found) and (
        session.scalar(select(Bulletin.id).where(
            Bulletin.status == "approved", Bulletin.priority == "priority",
            Bulletin.approved_at >= now_utc - priority_heads.ELIGIBLE_FOR).limit(1)) is not None)
    result: list[WeekOccurrence] = []
    for (slot, local_date, instant), key in zip(found, keys, strict=True):
        status = statuses.get(key)
        if status is None and _before_slot_existed(slot, instant):
            continue
        if slot.id not in estimates:
            estimates[slot.id] = schedule.slot_estimated_seconds(slot)
        heads: list[Bulletin] = []
        seconds = estimates[slot.id]
        if heads_possible and status is None and now_utc <= instant <= now_utc + HEADS_AHEAD:
            # as the slot's rundown and the checks count it: the week said 1 minute 20 for a
            # 06:00 that the rundown (and the air) made 2 minutes 52 with its priority heads
            heads = likely_priority_heads(session, slot, local_date, now_utc)
            if heads:
                seconds = schedule.slot_estimated_seconds(slot, heads)
        label = EVIDENCE_STATUS_LABELS.get(status or "", "")
        state = label or ("Sắp phát" if instant > now_utc else "Chưa có nhật ký")
        result.append(
            WeekOccurrence(
                slot_id=slot.id,
                key=key,
                name=slot.name,
                kind=slot.kind,
                local_date=local_date,
                at_utc=instant,
                at_local=instant.astimezone(ZoneInfo(slot.timezone) if slot.timezone else tz),
                estimated_seconds=seconds,
                priority=slot.priority,
                output=slot.output,
                zones=tuple(z.name for z in slot.zones),
                campaign=slot.campaign.name if slot.campaign else "",
                items=tuple(
                    WeekItem(i.kind, ITEM_KIND_LABELS.get(i.kind, i.kind), _item_title(i), i.bulletin_id)
                    for i in slot.items
                ),
                evidence_status=status,
                evidence_label=label,
                state_label=state,
                heads=tuple(WeekItem("head", ESTIMATE_KIND_LABELS["head"], b.title, b.id) for b in heads),
                aired_seconds=aired.get(key) if aired.get(key) else None,
            )
        )
    return result


def week_view(
    session: Session,
    default_tz: str,
    week_start: dt.date,
    *,
    today: dt.date,
    zone_name: str | None = None,
) -> WeekView:
    """Seven local days from ``week_start`` (a Monday), each with its airings in time order."""
    tz = ZoneInfo(default_tz)
    start, end = days_bounds(week_start, week_start + dt.timedelta(days=6), tz)
    occurrences = occurrences_in(session, default_tz, start, end, zone_name=zone_name)
    by_day: dict[dt.date, list[WeekOccurrence]] = {}
    for occurrence in occurrences:
        by_day.setdefault(occurrence.at_utc.astimezone(tz).date(), []).append(occurrence)
    days = []
    for offset in range(7):
        day = week_start + dt.timedelta(days=offset)
        days.append(
            WeekDay(
                date=day,
                label=schedule.WEEKDAY_LABELS[day.weekday()],
                is_today=day == today,
                occurrences=tuple(by_day.get(day, ())),
            )
        )
    return WeekView(
        start=week_start,
        days=tuple(days),
        previous=week_start - dt.timedelta(days=7),
        next=week_start + dt.timedelta(days=7),
    )


# ---------------------------------------------------------------- checks before saving


def _in_quiet_hours(moment: dt.time) -> bool:
    return moment >= QUIET_START or moment < QUIET_END


def overrun_warnings(
    session: Session, slot: Slot, default_tz: str, now: dt.datetime
) -> list[str]:
    """Why this slot's program may run too long: its length, the night, the next program.

    Pure reading: the slot may be a draft (flushed or not); nothing is written.
    """
    warnings: list[str] = []
    tz = ZoneInfo(slot.timezone or default_tz)
    horizon = now + dt.timedelta(days=CHECK_HORIZON_DAYS)
    upcoming = schedule.occurrences_between(schedule.SlotTimes.of(slot, default_tz), now, horizon)
    seconds = schedule.slot_estimated_seconds(slot)
    if upcoming:  # the next airing as it will be heard: with its priority heads
        with session.no_autoflush:
            seconds = schedule.occurrence_estimated_seconds(session, slot, *upcoming[0], now)
    if seconds > MAX_PROGRAM_SECONDS:
        warnings.append(
            f"Chương trình dài khoảng {format_minutes(seconds)}, quá {MAX_PROGRAM_SECONDS // 60} "
            "phút cho một buổi phát"
        )
    mine = upcoming
    for _, instant in mine[:1]:
        start_local = instant.astimezone(tz)
        end_local = (instant + dt.timedelta(seconds=seconds)).astimezone(tz)
        if _in_quiet_hours(end_local.time()) or end_local.date() != start_local.date():
            if not _in_quiet_hours(start_local.time()):
                warnings.append(
                    f"Chương trình kết thúc khoảng {end_local:%H:%M}, lấn vào giờ nghỉ đêm "
                    f"({QUIET_START:%H:%M}–{QUIET_END:%H:%M})"
                )
        if _in_quiet_hours(start_local.time()):
            warnings.append(
                f"Giờ phát {start_local:%H:%M} nằm trong giờ nghỉ đêm "
                f"({QUIET_START:%H:%M}–{QUIET_END:%H:%M})"
            )
    others = [
        other
        for other in schedule.active_slots(session, output=slot.output)
        if other.id != slot.id and other is not slot
    ]
    if mine and others:
        theirs = schedule.next_occurrences(others, default_tz, now, horizon + dt.timedelta(days=1))
        for _, instant in mine:
            end = instant + dt.timedelta(seconds=seconds)
            for other, _, other_start in theirs:
                if other_start <= instant:
                    continue
                margin = (other_start - end).total_seconds()
                if 0 <= margin < MIN_MARGIN_SECONDS:
                    warnings.append(
                        f"Chương trình kết thúc chỉ {int(margin)} giây trước lịch phát số {other.id} "
                        f"({other.name}) lúc {other_start.astimezone(tz):%H:%M ngày %d/%m/%Y}"
                    )
                    break
            else:
                continue
            break
    return warnings


def format_minutes(seconds: float) -> str:
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} phút {rest:02d} giây" if minutes else f"{rest} giây"


@dataclass
class SlotCheck:
    """What an editor is told before saving: blocking errors, conflicts, warnings, the airings."""

    ok: bool
    errors: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    estimated_seconds: float = 0.0
    next_airings: list[str] = field(default_factory=list)
    rundown: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rundown": self.rundown,
            "next_end": (self.rundown or {}).get("next_end_label"),
            "ok": self.ok,
            "errors": self.errors,
            "conflicts": self.conflicts,
            "warnings": self.warnings,
            "estimated_seconds": round(self.estimated_seconds, 1),
            "estimated": format_minutes(self.estimated_seconds),
            "next_airings": self.next_airings,
        }


def _conflict_messages(
    session: Session, slot: Slot, default_tz: str, now: dt.datetime
) -> list[str]:
    tz = slot.timezone or default_tz
    return [
        schedule.conflict_message(conflict, tz)
        for conflict in schedule.find_conflicts(session, slot, default_tz, now)
    ]


def _checked(session: Session, slot: Slot, default_tz: str, now: dt.datetime) -> SlotCheck:
    tz = ZoneInfo(slot.timezone or default_tz)
    conflicts = _conflict_messages(session, slot, default_tz, now)
    warnings = overrun_warnings(session, slot, default_tz, now)
    warnings += campaigns.slot_period_warnings(slot, default_tz, now.astimezone(tz).date())
    seconds = schedule.slot_estimated_seconds(slot)
    upcoming = schedule.occurrences_between(
        schedule.SlotTimes.of(slot, default_tz), now, now + dt.timedelta(days=CHECK_HORIZON_DAYS)
    )
    airings = [f"{instant.astimezone(tz):%H:%M %d/%m/%Y}" for _, instant in upcoming[:5]]
    if not upcoming:
        warnings.append("Lịch này không có lần phát nào trong hai tháng tới")
    draft = rundown(session, slot, default_tz=default_tz, now=now)
    return SlotCheck(ok=not conflicts, conflicts=conflicts, warnings=warnings,
                     estimated_seconds=draft.total_seconds if upcoming else seconds,
                     next_airings=airings, rundown=draft.as_dict())


def _claim_writes(session: Session) -> None:
    """Take SQLite's write lock before a dry run reads anything.

    A dry run writes its draft after reading. In WAL mode a transaction that began by reading keeps
    that snapshot, and once another connection (the station, the other panel process) commits, the
    snapshot cannot be upgraded to a writer: SQLite answers "database is locked" at once, without
    the busy wait. Writing first (an update that matches no row) makes the dry run wait its turn
    like any save. Other databases lock by row; nothing to do there.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.connection().execute(update(Slot).where(Slot.id.is_(None)).values(name=Slot.name))


def check_slot(session: Session, *, default_tz: str, now: dt.datetime | None = None,
               **slot_fields: Any) -> SlotCheck:
    """Everything ``add_slot`` would refuse or warn about, without keeping anything.

    The draft is built by ``add_slot`` itself inside a savepoint that is always rolled back, so
    the check and the save can never disagree about what is valid.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    slot_fields = dict(slot_fields, allow_conflict=True)
    savepoint = session.begin_nested()
    try:
        _claim_writes(session)
        slot = schedule.add_slot(session, default_tz=default_tz, now=now, **slot_fields)
        return _checked(session, slot, default_tz, now)
    except BroadcasterError as exc:
        return SlotCheck(ok=False, errors=[str(exc)])
    finally:
        savepoint.rollback()


def check_edit(session: Session, slot_id: int, *, default_tz: str,
               now: dt.datetime | None = None, **changes: Any) -> SlotCheck:
    """What saving these changes (``schedule.edit_slot`` arguments) would refuse or warn about.

    Made on the real slot inside a savepoint that is always rolled back, then the slot is
    reloaded so the caller's session holds nothing of the draft.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    savepoint = session.begin_nested()
    try:
        _claim_writes(session)
        slot = schedule.get_slot(session, slot_id)
        schedule.edit_slot(session, slot, default_tz=default_tz, now=now, allow_conflict=True,
                           **changes)
        return _checked(session, slot, default_tz, now)
    except BroadcasterError as exc:
        return SlotCheck(ok=False, errors=[str(exc)])
    finally:
        savepoint.rollback()
        session.expire_all()


#: The longest reason kept with a slot saved over a warning (the panel's textarea holds as much).
REASON_MAX = 1000


def _enforce_warnings(session: Session, slot: Slot, *, default_tz: str, now: dt.datetime,
                      acknowledge: bool, reason: str, user_id: int | None) -> None:
    """Conflicts and overrun warnings stop a save unless acknowledged with a reason.

    The reason is kept on the slot with what was warned, so the week view and the rundown show
    why two programmes share a minute; the log line names who decided it.
    """
    conflicts = _conflict_messages(session, slot, default_tz, now)
    warnings = overrun_warnings(session, slot, default_tz, now)
    if not acknowledge:
        if conflicts:
            raise ScheduleConflictError(
                "; ".join(conflicts) + ". Nếu vẫn muốn lưu, hãy xác nhận và ghi lý do",
                conflicts + warnings,
            )
        if warnings:
            raise OverrunError("Cần xác nhận trước khi lưu: " + "; ".join(warnings), warnings)
        slot.override_warnings = ""
        slot.override_reason = ""
        slot.override_by_id = None
        slot.override_at = None
        return
    if not conflicts and not warnings:
        slot.override_warnings = slot.override_reason = ""
        slot.override_by_id = None
        slot.override_at = None
        return
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationError(f"Lý do quá dài ({len(reason)} ký tự, tối đa {REASON_MAX})")
    if not reason:
        raise ValidationError(
            "Hãy ghi lý do vẫn lưu dù có cảnh báo: " + "; ".join(conflicts + warnings)
        )
    slot.override_warnings = "; ".join(conflicts + warnings)[:4000]
    slot.override_reason = reason
    slot.override_by_id = user_id
    slot.override_at = dt.datetime.now(dt.timezone.utc)
    logger.warning("lịch phát số %s được lưu dù có cảnh báo (%s); lý do: %s",
                   slot.id, slot.override_warnings, slot.override_reason)


def save_slot(session: Session, *, default_tz: str, accept_warnings: bool = False,
              reason: str = "", now: dt.datetime | None = None, **slot_fields: Any) -> Slot:
    """``add_slot`` plus the rule that conflicts and overrun warnings need an acknowledgement.

    ``accept_warnings`` acknowledges both (the panel's "Tôi đã xem cảnh báo", the API's
    ``accept_warnings``, the command line's ``--allow-conflict``) and then needs ``reason``.
    Raises ``ScheduleConflictError`` or ``OverrunError`` carrying every message when not
    acknowledged; the caller rolls back.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    slot_fields.pop("allow_conflict", None)
    slot = schedule.add_slot(session, default_tz=default_tz, now=now, allow_conflict=True,
                             **slot_fields)
    _enforce_warnings(session, slot, default_tz=default_tz, now=now, acknowledge=accept_warnings,
                      reason=reason, user_id=slot_fields.get("created_by_id"))
    session.flush()
    logger.info("đã lưu lịch phát số %s (%s)", slot.id, slot.kind)
    return slot


def save_edit(session: Session, slot: Slot, *, default_tz: str, accept_warnings: bool = False,
              reason: str = "", user_id: int | None = None, now: dt.datetime | None = None,
              **changes: Any) -> Slot:
    """``schedule.edit_slot`` with the same acknowledgement rule as :func:`save_slot`."""
    now = now or dt.datetime.now(dt.timezone.utc)
    changes.pop("allow_conflict", None)
    schedule.edit_slot(session, slot, default_tz=default_tz, now=now, allow_conflict=True, **changes)
    _enforce_warnings(session, slot, default_tz=default_tz, now=now, acknowledge=accept_warnings,
                      reason=reason, user_id=user_id)
    session.flush()
    logger.info("đã sửa lịch phát số %s", slot.id)
    return slot


def slot_form_fields(
    *,
    bulletin_ids: Sequence[int],
    kind: str,
    at_local: str | None = None,
    daily: str | None = None,
    days: Sequence[str] = (),
    starts_on: str | None = None,
    ends_on: str | None = None,
    zones: Sequence[str] = (),
    output: str = "main",
    name: str = "",
    repeats: int | str = 1,
    greeting: bool = True,
    campaign_id: int | str | None = None,
    created_by_id: int | None = None,
) -> dict[str, Any]:
    """Turns loosely typed input (a form, JSON) into ``add_slot`` arguments, or ValidationError.

    Shared by the panel's form, its check endpoint and the API so the three parse alike.
    """
    if kind not in ("once", "daily"):
        raise ValidationError("Chọn kiểu lịch: một lần hoặc hằng ngày")
    ids: list[int] = []
    for raw in bulletin_ids:
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            raise ValidationError(f"Số bản tin không hợp lệ: {raw!r}") from None
    if not ids:
        raise ValidationError("Chọn ít nhất một bản tin đã duyệt")
    try:
        repeats_n = int(repeats)
    except (TypeError, ValueError):
        raise ValidationError(f"Số lần nhắc lại không hợp lệ: {repeats!r}") from None
    campaign: int | None = None
    if campaign_id not in (None, ""):
        try:
            campaign = int(campaign_id)
        except (TypeError, ValueError):
            raise ValidationError(f"Chiến dịch không hợp lệ: {campaign_id!r}") from None
    fields: dict[str, Any] = {
        "items": [schedule.ItemSpec(kind="bulletin", bulletin_id=i) for i in ids],
        "zones": [z for z in zones if z],
        "output": output or "main",
        "name": name or "",  # a name too long is refused by add_slot, never cut
        "repeats": repeats_n,
        "greeting": bool(greeting),
        "campaign_id": campaign,
        "created_by_id": created_by_id,
        "starts_on": schedule.parse_date(starts_on) if starts_on else None,
        "ends_on": schedule.parse_date(ends_on) if ends_on else None,
    }
    if kind == "once":
        if not at_local or not at_local.strip():
            raise ValidationError("Nhập ngày và giờ phát")
        # <input type="datetime-local"> sends "YYYY-MM-DDTHH:MM".
        fields["at_local"] = at_local.strip().replace("T", " ")
    else:
        if not daily or not daily.strip():
            raise ValidationError("Nhập giờ phát hằng ngày")
        fields["daily"] = daily.strip()
        fields["days"] = ",".join(d for d in days if d) or None
    return fields


# ---------------------------------------------------------------- a slot's rundown

ESTIMATE_KIND_LABELS = {
    "intro": "Nhạc hiệu",
    "greeting": "Lời chào",
    "head": "Tin ưu tiên đầu buổi",
    "bulletin": "Bản tin",
    "recording": "Bản ghi âm",
    "jingle": "Nhạc hiệu",
    "pause": "Khoảng lặng",
    "outro": "Nhạc kết",
}
OCCURRENCE_STATE_LABELS = {
    "pending": "Chưa dựng âm thanh",
    "rendered": "Đã dựng âm thanh",
    "playing": "Đang phát",
    "completed": "Đã phát",
    "interrupted": "Bị ngắt",
    "failed": "Lỗi",
    "missed": "Bị lỡ",
}


def likely_priority_heads(session: Session, slot: Slot, local_date: dt.date,
                          now: dt.datetime) -> list[Bulletin]:
    """Priority bulletins that the station would read at this slot's head, for the estimate: an
    editor planning 06:00 sees the two minutes a fresh priority notice will add. The rule has one
    home, :func:`broadcaster.priority_heads.choose` (the station renders with it).
    """
    return priority_heads.choose(session, slot, local_date, now, priority_heads.CLAIM_GRACE_S)


@dataclass(frozen=True)
class RundownLine:
    kind: str
    kind_label: str
    title: str
    seconds_each: float
    plays: int
    seconds: float
    bulletin_id: int | None
    asset_id: int | None
    movable: bool


@dataclass(frozen=True)
class Rundown:
    """A slot as the editor builds it: its items in order, each one's length, the total with
    everything the station adds, and when the next airing starts and ends."""

    slot: Slot
    lines: tuple[RundownLine, ...]
    total_seconds: float
    gaps_seconds: float
    next_start: dt.datetime | None
    next_end: dt.datetime | None
    next_key: str | None
    next_state: str | None
    next_state_label: str
    aired_once: bool

    @property
    def items(self) -> tuple[RundownLine, ...]:
        return tuple(line for line in self.lines if line.movable)

    def as_dict(self) -> dict[str, Any]:
        return {
            "slot_id": self.slot.id,
            "items": [
                {"kind": line.kind, "label": line.kind_label, "title": line.title,
                 "seconds": round(line.seconds, 1), "duration": format_minutes(line.seconds),
                 "plays": line.plays, "bulletin_id": line.bulletin_id,
                 "recording_id": line.asset_id}
                for line in self.lines
            ],
            "estimated_seconds": round(self.total_seconds, 1),
            "estimated": format_minutes(self.total_seconds),
            "next_start": self.next_start.isoformat() if self.next_start else None,
            "next_end": self.next_end.isoformat() if self.next_end else None,
            "next_state": self.next_state,
            "next_end_label": f"{self.next_end:%H:%M:%S}" if self.next_end else None,
        }


def rundown(session: Session, slot: Slot, *, default_tz: str,
            now: dt.datetime | None = None) -> Rundown:
    now = now or dt.datetime.now(dt.timezone.utc)
    tz = ZoneInfo(slot.timezone or default_tz)
    upcoming = schedule.occurrences_between(
        schedule.SlotTimes.of(slot, default_tz), now, now + dt.timedelta(days=CHECK_HORIZON_DAYS)
    ) if slot.active else []
    local_date = upcoming[0][0] if upcoming else now.astimezone(tz).date()
    heads = likely_priority_heads(session, slot, local_date, now) if upcoming else []
    estimate = schedule.program_estimate(slot, heads)
    lines = tuple(
        RundownLine(
            kind=line.kind,
            kind_label=ESTIMATE_KIND_LABELS.get(line.kind, line.kind),
            title=line.title,
            seconds_each=line.seconds_each,
            plays=line.plays,
            seconds=line.seconds,
            bulletin_id=line.bulletin_id,
            asset_id=line.asset_id,
            movable=line.kind in ("bulletin", "recording", "jingle", "pause"),
        )
        for line in estimate.lines
    )
    total = estimate.total_seconds
    next_start = next_end = None
    next_key = next_state = None
    if upcoming:
        next_start = upcoming[0][1].astimezone(tz)
        next_end = next_start + dt.timedelta(seconds=total)
        next_key = f"slot-{slot.id}@{local_date.isoformat()}"
        next_state = session.scalar(
            select(Occurrence.state).where(Occurrence.slot_id == slot.id,
                                           Occurrence.local_date == local_date)
        )
    aired_once = slot.kind == "once" and slot.at_utc is not None and slot.at_utc <= now
    return Rundown(slot=slot, lines=lines, total_seconds=total, gaps_seconds=estimate.gaps_seconds,
                   next_start=next_start, next_end=next_end, next_key=next_key,
                   next_state=next_state,
                   next_state_label=OCCURRENCE_STATE_LABELS.get(next_state or "pending", ""),
                   aired_once=aired_once)


def item_specs(raw: Sequence[Any]) -> list[schedule.ItemSpec]:
    """``[{"bulletin_id": N} | {"recording_id": N}, ...]`` (API body, panel form) → item specs."""
    if not isinstance(raw, (list, tuple)):
        raise ValidationError("Trường 'items' phải là danh sách các mục chương trình")
    specs: list[schedule.ItemSpec] = []
    for position, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict) or len(entry) != 1:
            raise ValidationError(
                f"Mục thứ {position} phải có đúng một trong hai: 'bulletin_id' hoặc 'recording_id'"
            )
        (key, value), = entry.items()
        if key not in ("bulletin_id", "recording_id"):
            raise ValidationError(
                f"Mục thứ {position} phải có đúng một trong hai: 'bulletin_id' hoặc 'recording_id'"
            )
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationError(f"Mục thứ {position}: số không hợp lệ {value!r}") from None
        if isinstance(value, bool) or isinstance(value, float):
            raise ValidationError(f"Mục thứ {position}: số không hợp lệ {value!r}")
        if key == "bulletin_id":
            specs.append(schedule.ItemSpec(kind="bulletin", bulletin_id=number))
        else:
            specs.append(schedule.ItemSpec(kind="recording", asset_id=number))
    if not specs:
        raise ValidationError("Lịch phát phải có ít nhất một mục chương trình")
    return specs


def recording_choices(session: Session, limit: int = 300) -> list[AudioAsset]:
    """Uploaded recordings an editor can put in a rundown, newest first."""
    return list(session.scalars(
        select(AudioAsset).where(AudioAsset.kind == "recording")
        .order_by(AudioAsset.id.desc()).limit(limit)
    ).all())


def parse_item_tokens(tokens: Sequence[str]) -> list[schedule.ItemSpec]:
    """The panel's rundown inputs (``bulletin:12``, ``recording:3``, in order) → item specs."""
    raw: list[dict[str, str]] = []
    for token in tokens:
        kind, _, number = (token or "").partition(":")
        if kind not in ("bulletin", "recording"):
            raise ValidationError(f"Mục chương trình không hợp lệ: {token!r}")
        raw.append({f"{kind}_id": number})
    return item_specs(raw)


def edit_fields(
    *,
    kind: str | None = None,
    at_local: str | None = None,
    daily: str | None = None,
    days: Sequence[str] | str | None = None,
    starts_on: str | None = None,
    ends_on: str | None = None,
    zones: Sequence[str] | None = None,
    name: str | None = None,
    repeats: int | str | None = None,
    greeting: bool | None = None,
    items: list[schedule.ItemSpec] | None = None,
) -> dict[str, Any]:
    """Loosely typed edits (the panel's form, a JSON PATCH, the command line) → ``edit_slot``
    arguments; a ``None`` argument leaves that part of the slot as it is, an empty date clears it.
    """
    changes: dict[str, Any] = {}
    if kind not in (None, "", "once", "daily"):
        raise ValidationError("Chọn kiểu lịch: một lần hoặc hằng ngày")
    if kind == "once" or (kind is None and at_local):
        if not at_local or not at_local.strip():
            raise ValidationError("Nhập ngày và giờ phát")
        changes["at_local"] = at_local.strip().replace("T", " ")
    elif kind == "daily" or (kind is None and daily):
        if not daily or not daily.strip():
            raise ValidationError("Nhập giờ phát hằng ngày")
        changes["daily"] = daily.strip()
    if days is not None:
        changes["days"] = days if isinstance(days, str) else ",".join(d for d in days if d)
        changes["days"] = changes["days"] or None
    if starts_on is not None:
        changes["starts_on"] = schedule.parse_date(starts_on) if starts_on.strip() else None
    if ends_on is not None:
        changes["ends_on"] = schedule.parse_date(ends_on) if ends_on.strip() else None
    if zones is not None:
        changes["zones"] = [z for z in zones if z]
    if name is not None:
        changes["name"] = name  # checked (and refused when too long) by edit_slot
    if repeats is not None:
        try:
            changes["repeats"] = int(repeats)
        except (TypeError, ValueError):
            raise ValidationError(f"Số lần nhắc lại không hợp lệ: {repeats!r}") from None
    if greeting is not None:
        changes["greeting"] = bool(greeting)
    if items is not None:
        changes["items"] = items
    if "at_local" in changes:  # a one-off has no weekdays or date range
        for key in ("days", "starts_on", "ends_on"):
            changes.pop(key, None)
    return changes
