"""Slots, their occurrences, and the checks made before a slot is saved.

The expansion and overlap functions at the top are pure (no clock, no database) so the station,
the panel and the tests share one definition of "when does this slot air".
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from broadcaster.errors import NotFoundError, ScheduleConflictError, ValidationError
from broadcaster.models import Bulletin, Campaign, Slot, SlotItem, Zone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
CHARS_PER_SECOND = 14.0  # Vietnamese read at a loudspeaker pace
JINGLE_SECONDS = 4.0
GREETING_SECONDS = 3.0
GAP_SECONDS = 1.0
CONFLICT_HORIZON_DAYS = 62


# ---------------------------------------------------------------- pure functions


def parse_weekdays(text: str | None) -> tuple[int, ...]:
    """'mon,wed' → (0, 2); empty means every day."""
    if not text or not text.strip():
        return tuple(range(7))
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        if not part:
            continue
        if part not in WEEKDAYS:
            raise ValidationError(
                f"Thứ không hợp lệ: {part!r}. Dùng mon,tue,wed,thu,fri,sat,sun"
            )
        days.add(WEEKDAYS.index(part))
    return tuple(sorted(days))


def weekdays_text(days: Iterable[int]) -> str:
    return ",".join(WEEKDAYS[d] for d in sorted(set(days)))


@dataclass(frozen=True)
class SlotTimes:
    """What decides when a slot airs, without the database."""

    kind: str
    at_utc: dt.datetime | None = None
    time_local: dt.time | None = None
    weekdays: tuple[int, ...] = tuple(range(7))
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    timezone: str = "Asia/Ho_Chi_Minh"

    @classmethod
    def of(cls, slot: Slot, default_tz: str) -> "SlotTimes":
        return cls(
            kind=slot.kind,
            at_utc=slot.at_utc,
            time_local=slot.time_local,
            weekdays=parse_weekdays(slot.weekdays),
            starts_on=slot.starts_on,
            ends_on=slot.ends_on,
            timezone=slot.timezone or default_tz,
        )


def occurrences_between(
    times: SlotTimes, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.date, dt.datetime]]:
    """(local date, UTC instant) of every airing with start <= instant < end."""
    zone = ZoneInfo(times.timezone)
    if times.kind == "once":
        assert times.at_utc is not None
        if start <= times.at_utc < end:
            return [(times.at_utc.astimezone(zone).date(), times.at_utc)]
        return []
    assert times.time_local is not None
    found: list[tuple[dt.date, dt.datetime]] = []
    day = start.astimezone(zone).date() - dt.timedelta(days=1)
    last = end.astimezone(zone).date() + dt.timedelta(days=1)
    while day <= last:
        if (
            day.weekday() in times.weekdays
            and (times.starts_on is None or day >= times.starts_on)
            and (times.ends_on is None or day <= times.ends_on)
        ):
            instant = dt.datetime.combine(day, times.time_local, tzinfo=zone).astimezone(dt.timezone.utc)
            if start <= instant < end:
                found.append((day, instant))
        day += dt.timedelta(days=1)
    return found


def estimate_program_seconds(texts: Sequence[str], recordings: Sequence[float] = (),
                             pauses: Sequence[float] = (), repeats: int = 1,
                             greeting: bool = True) -> float:
    """A program's length before it is rendered, to warn of overlaps and overruns."""
    speech = sum(len(t) for t in texts) / CHARS_PER_SECOND * max(1, repeats)
    items = len(texts) + len(recordings) + len(pauses)
    return (
        2 * JINGLE_SECONDS
        + (GREETING_SECONDS if greeting else 0.0)
        + speech
        + sum(recordings) * max(1, repeats)
        + sum(pauses)
        + GAP_SECONDS * max(0, items + 1)
    )


def overlaps(a_start: dt.datetime, a_seconds: float, b_start: dt.datetime, b_seconds: float) -> bool:
    a_end = a_start + dt.timedelta(seconds=a_seconds)
    b_end = b_start + dt.timedelta(seconds=b_seconds)
    return a_start < b_end and b_start < a_end


# ---------------------------------------------------------------- database


def parse_local_datetime(text: str, tz: str) -> dt.datetime:
    try:
        naive = dt.datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        try:
            naive = dt.datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
        except ValueError:
            raise ValidationError(
                f"Thời điểm không hợp lệ: {text!r}. Dùng dạng \"YYYY-MM-DD HH:MM:SS\""
            ) from None
    return naive.replace(tzinfo=ZoneInfo(tz)).astimezone(dt.timezone.utc)


def parse_time(text: str) -> dt.time:
    for fmt in ("%H:%M", "%H:%M:%S"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).time()
        except ValueError:
            continue
    raise ValidationError(f"Giờ không hợp lệ: {text!r}. Dùng dạng HH:MM, ví dụ 06:00")


def parse_date(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ValidationError(f"Ngày không hợp lệ: {text!r}. Dùng dạng YYYY-MM-DD hoặc dd/mm/yyyy")


@dataclass(frozen=True)
class ItemSpec:
    """A program item to put in a slot, before it has an id."""

    kind: str
    bulletin_id: int | None = None
    asset_id: int | None = None
    jingle: str | None = None
    seconds: float = 0.0


def occurrence_estimated_seconds(session: Session, slot: Slot, local_date: dt.date,
                                 instant: dt.datetime, now: dt.datetime) -> float:
    """One occurrence's length as it will air: the slot's program and, for an occurrence within
    the next day, the priority bulletins that would lead it (:mod:`broadcaster.priority_heads`)."""
    seconds = slot_estimated_seconds(slot)
    if now <= instant <= now + dt.timedelta(days=1):
        from broadcaster.priority_heads import head_seconds

        seconds += head_seconds(session, slot, local_date, now)
    return seconds


def slot_estimated_seconds(slot: Slot) -> float:
    texts = [i.bulletin.body for i in slot.items if i.kind == "bulletin" and i.bulletin]
    recordings = [i.asset.seconds for i in slot.items if i.kind == "recording" and i.asset]
    recordings += [
        i.bulletin.recording.seconds
        for i in slot.items
        if i.kind == "bulletin" and i.bulletin and i.bulletin.recording
    ]
    pauses = [i.seconds for i in slot.items if i.kind == "pause"]
    repeats = slot.repeats if slot.priority != "normal" or slot.repeats > 1 else 1
    return estimate_program_seconds(texts, recordings, pauses, repeats, slot.greeting)


def add_slot(
    session: Session,
    *,
    items: Sequence[ItemSpec],
    default_tz: str,
    at_local: str | None = None,
    daily: str | None = None,
    days: str | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    timezone: str | None = None,
    zones: Sequence[str] = (),
    output: str = "main",
    name: str = "",
    campaign_id: int | None = None,
    repeats: int = 1,
    greeting: bool = True,
    allow_conflict: bool = False,
    now: dt.datetime | None = None,
    created_by_id: int | None = None,
) -> Slot:
    """Validate and store a slot; refuses one that would overlap another on the same output."""
    tz = timezone or default_tz
    try:
        ZoneInfo(tz)
    except Exception:  # noqa: BLE001
        raise ValidationError(f"Múi giờ không hợp lệ: {tz!r}") from None
    if (at_local is None) == (daily is None):
        raise ValidationError("Chọn đúng một trong hai: --at (một lần) hoặc --daily (hằng ngày)")
    if not items:
        raise ValidationError("Lịch phát phải có ít nhất một mục chương trình")
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError("Ngày kết thúc phải sau ngày bắt đầu")
    if not 1 <= repeats <= 5:
        raise ValidationError("Số lần nhắc lại phải từ 1 đến 5")
    now = now or dt.datetime.now(dt.timezone.utc)
    slot = Slot(
        name=name.strip()[:200],
        timezone=timezone,
        output=output,
        campaign_id=campaign_id,
        repeats=repeats,
        greeting=greeting,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by_id=created_by_id,
    )
    if at_local is not None:
        slot.kind = "once"
        slot.at_utc = parse_local_datetime(at_local, tz)
        if slot.at_utc < now - dt.timedelta(seconds=1):
            raise ValidationError(f"Thời điểm {at_local} đã qua")
    else:
        slot.kind = "daily"
        slot.time_local = parse_time(daily or "")
        slot.weekdays = weekdays_text(parse_weekdays(days))
    if campaign_id is not None and session.get(Campaign, campaign_id) is None:
        raise NotFoundError(f"Không có chiến dịch số {campaign_id}")
    priorities = []
    for position, spec in enumerate(items):
        item = SlotItem(position=position, kind=spec.kind, jingle=spec.jingle, seconds=spec.seconds)
        if spec.kind == "bulletin":
            bulletin = session.get(Bulletin, spec.bulletin_id) if spec.bulletin_id else None
            if bulletin is None:
                raise NotFoundError(f"Không có bản tin số {spec.bulletin_id}")
            if bulletin.status != "approved":
                raise ValidationError(
                    f"Bản tin số {bulletin.id} chưa được phê duyệt, chưa thể đưa vào lịch phát"
                )
            item.bulletin = bulletin
            priorities.append(bulletin.priority)
            if not slot.name:
                slot.name = bulletin.title[:200]
        elif spec.kind == "recording":
            from broadcaster.models import AudioAsset

            asset = session.get(AudioAsset, spec.asset_id) if spec.asset_id else None
            if asset is None:
                raise NotFoundError(f"Không có bản ghi âm số {spec.asset_id}")
            item.asset = asset
        elif spec.kind == "pause":
            if not 0 < spec.seconds <= 600:
                raise ValidationError("Khoảng lặng phải dài từ 0 đến 600 giây")
        elif spec.kind != "jingle":
            raise ValidationError(f"Loại mục không hợp lệ: {spec.kind!r}")
        slot.items.append(item)
    for rank in ("emergency", "priority"):
        if rank in priorities:
            slot.priority = rank
            break
    for zone_name in zones:
        zone = session.scalar(select(Zone).where(Zone.name == zone_name))
        if zone is None:
            raise NotFoundError(f"Không có thôn/khu phố tên {zone_name!r}")
        slot.zones.append(zone)
    if not allow_conflict:
        conflicts = find_conflicts(session, slot, default_tz, now)
        if conflicts:
            other, instant = conflicts[0]
            local = instant.astimezone(ZoneInfo(tz)).strftime("%H:%M:%S ngày %d/%m/%Y")
            raise ScheduleConflictError(
                f"Trùng lịch với lịch phát số {other.id} ({other.name}) lúc {local} "
                f"trên cùng đầu ra '{slot.output}'"
            )
    session.add(slot)
    session.flush()
    return slot


def find_conflicts(
    session: Session, slot: Slot, default_tz: str, now: dt.datetime
) -> list[tuple[Slot, dt.datetime]]:
    """Occurrences of other active slots on the same output that overlap this slot's airings."""
    horizon = now + dt.timedelta(days=CONFLICT_HORIZON_DAYS)
    mine = occurrences_between(SlotTimes.of(slot, default_tz), now, horizon)
    if not mine:
        return []
    next_day, next_instant = mine[0]
    with session.no_autoflush:
        first_seconds = occurrence_estimated_seconds(session, slot, next_day, next_instant, now)
    my_seconds = slot_estimated_seconds(slot)
    others = session.scalars(
        select(Slot)
        .where(Slot.active.is_(True), Slot.output == slot.output)
        .options(selectinload(Slot.items))
    ).all()
    found: list[tuple[Slot, dt.datetime]] = []
    for other in others:
        if other.id == slot.id:
            continue
        other_seconds = slot_estimated_seconds(other)
        theirs = occurrences_between(SlotTimes.of(other, default_tz), now - dt.timedelta(hours=1), horizon)
        their_instants = [instant for _, instant in theirs]
        for _, instant in mine:
            seconds = first_seconds if instant == next_instant else my_seconds
            for their in their_instants:
                if overlaps(instant, seconds, their, other_seconds):
                    found.append((other, instant))
                    break
            if found and found[-1][0] is other:
                break
    return found


def get_slot(session: Session, slot_id: int) -> Slot:
    slot = session.get(Slot, slot_id)
    if slot is None:
        raise NotFoundError(f"Không có lịch phát số {slot_id}")
    return slot


def active_slots(session: Session, output: str | None = None) -> Sequence[Slot]:
    query = select(Slot).where(Slot.active.is_(True)).options(
        selectinload(Slot.items).selectinload(SlotItem.bulletin), selectinload(Slot.zones)
    )
    if output is not None:
        query = query.where(Slot.output == output)
    return session.scalars(query.order_by(Slot.id)).all()


def next_occurrences(
    slots: Sequence[Slot], default_tz: str, start: dt.datetime, end: dt.datetime
) -> list[tuple[Slot, dt.date, dt.datetime]]:
    found = []
    for slot in slots:
        for local_date, instant in occurrences_between(SlotTimes.of(slot, default_tz), start, end):
            found.append((slot, local_date, instant))
    return sorted(found, key=lambda row: (row[2], row[0].id))


def deactivate_slot(session: Session, slot: Slot) -> None:
    slot.active = False
