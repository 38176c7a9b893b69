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
from broadcaster.names import clean_name, find_by_name

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


def weekdays_label(text: str) -> str:
    """"mon,wed" as a person reads it: "Thứ Hai, Thứ Tư" ("mọi ngày trong tuần" for all seven)."""
    chosen = parse_weekdays(text)
    if len(chosen) == 7:
        return "mọi ngày trong tuần"
    return ", ".join(WEEKDAY_LABELS[d] for d in chosen)


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
    if now <= instant <= now + dt.timedelta(days=1):
        from broadcaster.priority_heads import CLAIM_GRACE_S, choose

        return slot_estimated_seconds(slot, choose(session, slot, local_date, now, CLAIM_GRACE_S))
    return slot_estimated_seconds(slot)


@dataclass(frozen=True)
class EstimateLine:
    """One part of a programme as it will air: what, how long once, how many times."""

    kind: str  # intro | greeting | head | bulletin | recording | jingle | pause | outro
    title: str
    seconds_each: float
    plays: int = 1
    bulletin_id: int | None = None
    asset_id: int | None = None

    @property
    def seconds(self) -> float:
        return self.seconds_each * self.plays


@dataclass(frozen=True)
class ProgramEstimate:
    lines: tuple[EstimateLine, ...]
    gaps_seconds: float

    @property
    def total_seconds(self) -> float:
        return sum(line.seconds for line in self.lines) + self.gaps_seconds


def _bulletin_seconds(bulletin: Bulletin) -> float:
    if bulletin.recording is not None:
        return float(bulletin.recording.seconds)
    return len(bulletin.body) / CHARS_PER_SECOND


def program_estimate(slot: Slot, heads: Sequence[Bulletin] = ()) -> ProgramEstimate:
    """The slot's programme before it is rendered, part by part, as ``programs.slot_items``
    builds it: intro jingle, greeting, priority bulletins at the head (read ``repeats + 1``
    times), each item (a priority or emergency bulletin once more than the slot's repeats),
    outro jingle, and a gap between parts. One estimate serves the rundown, the week view and
    the conflict check, so what the editor reads is what the server checks.
    """
    lines: list[EstimateLine] = [EstimateLine("intro", "Nhạc hiệu mở đầu", JINGLE_SECONDS)]
    if slot.greeting:
        lines.append(EstimateLine("greeting", "Lời chào", GREETING_SECONDS))
    for bulletin in heads:
        lines.append(EstimateLine("head", bulletin.title, _bulletin_seconds(bulletin),
                                  max(1, slot.repeats + 1), bulletin_id=bulletin.id))
    for item in slot.items:
        if item.kind == "bulletin" and item.bulletin is not None:
            extra = 1 if item.bulletin.priority != "normal" else 0
            lines.append(EstimateLine("bulletin", item.bulletin.title, _bulletin_seconds(item.bulletin),
                                      max(1, slot.repeats + extra), bulletin_id=item.bulletin.id))
        elif item.kind == "recording" and item.asset is not None:
            lines.append(EstimateLine("recording", item.asset.title or f"Bản ghi âm số {item.asset.id}",
                                      float(item.asset.seconds), asset_id=item.asset.id))
        elif item.kind == "jingle":
            lines.append(EstimateLine("jingle", item.jingle or "Nhạc hiệu", JINGLE_SECONDS))
        elif item.kind == "pause":
            lines.append(EstimateLine("pause", "Khoảng lặng", float(item.seconds)))
    lines.append(EstimateLine("outro", "Nhạc kết", JINGLE_SECONDS))
    parts = sum(line.plays for line in lines)
    return ProgramEstimate(tuple(lines), GAP_SECONDS * max(0, parts - 1))


def slot_estimated_seconds(slot: Slot, heads: Sequence[Bulletin] = ()) -> float:
    return program_estimate(slot, heads).total_seconds


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
    tz = _check_timezone(timezone or default_tz)
    if (at_local is None) == (daily is None):
        raise ValidationError("Chọn đúng một trong hai: phát một lần (ngày giờ) hoặc hằng ngày (giờ)")
    now = now or dt.datetime.now(dt.timezone.utc)
    slot = Slot(
        name=clean_name(name, "Tên lịch phát", max_length=200, required=False),
        timezone=timezone,
        output=output,
        campaign_id=campaign_id,
        repeats=repeats,
        greeting=greeting,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by_id=created_by_id,
        # The injected clock, so a slot made "at" ``now`` is not older than its first airing.
        created_at=now,
    )
    _check_dates_and_repeats(starts_on, ends_on, repeats)
    _apply_when(slot, at_local=at_local, daily=daily, days=days, tz=tz, now=now)
    _check_campaign(session, campaign_id)
    _apply_items(session, slot, items)
    _apply_zones(session, slot, zones)
    if not allow_conflict:
        _refuse_conflicts(session, slot, default_tz, now)
    session.add(slot)
    session.flush()
    return slot


#: "Leave this as it is" for :func:`edit_slot` (``None`` means "clear it" for the dates).
UNCHANGED: object = object()


def edit_slot(
    session: Session,
    slot: Slot,
    *,
    default_tz: str,
    at_local: str | None | object = UNCHANGED,
    daily: str | None | object = UNCHANGED,
    days: str | None | object = UNCHANGED,
    starts_on: dt.date | None | object = UNCHANGED,
    ends_on: dt.date | None | object = UNCHANGED,
    zones: Sequence[str] | object = UNCHANGED,
    name: str | object = UNCHANGED,
    repeats: int | object = UNCHANGED,
    greeting: bool | object = UNCHANGED,
    campaign_id: int | None | object = UNCHANGED,
    items: Sequence[ItemSpec] | object = UNCHANGED,
    allow_conflict: bool = False,
    now: dt.datetime | None = None,
) -> Slot:
    """Change a slot in place with the checks made when one is added.

    The slot keeps its id, so occurrences already aired keep their evidence key and an airing
    that already happened today is not played a second time at the new hour. A one-off that
    already aired is history and refuses changes (the editor schedules a new one). Raises
    before anything is meant to be kept; the caller rolls back on error.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    if not slot.active:
        raise ValidationError(f"Lịch phát số {slot.id} đã ngừng, không sửa được; hãy xếp lịch mới")
    if slot.kind == "once" and slot.at_utc is not None and slot.at_utc < now:
        raise ValidationError(
            f"Lịch phát số {slot.id} chỉ phát một lần và giờ phát đã qua; hãy xếp lịch mới"
        )
    tz = _check_timezone(slot.timezone or default_tz)
    if at_local is not UNCHANGED and daily is not UNCHANGED and at_local and daily:
        raise ValidationError("Chọn đúng một trong hai: phát một lần (ngày giờ) hoặc hằng ngày (giờ)")
    new_starts = slot.starts_on if starts_on is UNCHANGED else starts_on
    new_ends = slot.ends_on if ends_on is UNCHANGED else ends_on
    new_repeats = slot.repeats if repeats is UNCHANGED else repeats
    _check_dates_and_repeats(new_starts, new_ends, new_repeats)  # type: ignore[arg-type]
    if at_local not in (UNCHANGED, None, ""):
        _apply_when(slot, at_local=str(at_local), daily=None, days=None, tz=tz, now=now)
    elif daily not in (UNCHANGED, None, ""):
        keep_days = slot.weekdays if slot.kind == "daily" else None
        _apply_when(slot, at_local=None, daily=str(daily),
                    days=keep_days if days is UNCHANGED else days,  # type: ignore[arg-type]
                    tz=tz, now=now)
    elif days is not UNCHANGED:
        if slot.kind != "daily":
            raise ValidationError("Chỉ lịch phát hằng ngày mới chọn được các thứ trong tuần")
        slot.weekdays = weekdays_text(parse_weekdays(days))  # type: ignore[arg-type]
    if slot.kind == "once" and (starts_on not in (UNCHANGED, None) or ends_on not in (UNCHANGED, None)):
        raise ValidationError("Lịch phát một lần không có ngày bắt đầu, ngày kết thúc")
    slot.starts_on = new_starts  # type: ignore[assignment]
    slot.ends_on = new_ends  # type: ignore[assignment]
    slot.repeats = new_repeats  # type: ignore[assignment]
    if greeting is not UNCHANGED:
        slot.greeting = bool(greeting)
    if campaign_id is not UNCHANGED:
        _check_campaign(session, campaign_id)  # type: ignore[arg-type]
        slot.campaign_id = campaign_id  # type: ignore[assignment]
    if items is not UNCHANGED:
        _apply_items(session, slot, items)  # type: ignore[arg-type]
    if zones is not UNCHANGED:
        _apply_zones(session, slot, zones)  # type: ignore[arg-type]
    if name is not UNCHANGED:
        slot.name = clean_name(str(name), "Tên lịch phát", max_length=200, required=False) or _first_title(slot)
    if not allow_conflict:
        _refuse_conflicts(session, slot, default_tz, now)
    # Stamped by hand: a change of items or zones alone does not touch the slot's own columns,
    # and the station renders an occurrence again when this moves.
    slot.updated_at = dt.datetime.now(dt.timezone.utc)
    session.flush()
    return slot


def set_items(session: Session, slot: Slot, items: Sequence[ItemSpec], *, default_tz: str,
              allow_conflict: bool = False, now: dt.datetime | None = None) -> Slot:
    """Replace a slot's rundown, in the order given (the station renders it again)."""
    return edit_slot(session, slot, default_tz=default_tz, items=items,
                     allow_conflict=allow_conflict, now=now)


def _check_timezone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except Exception:  # noqa: BLE001
        raise ValidationError(f"Múi giờ không hợp lệ: {tz!r}") from None
    return tz


def _check_dates_and_repeats(starts_on: dt.date | None, ends_on: dt.date | None,
                             repeats: int) -> None:
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError("Ngày kết thúc phải sau ngày bắt đầu")
    if not isinstance(repeats, int) or not 1 <= repeats <= 5:
        raise ValidationError("Số lần nhắc lại phải từ 1 đến 5")


def _apply_when(slot: Slot, *, at_local: str | None, daily: str | None, days: str | None,
                tz: str, now: dt.datetime) -> None:
    if at_local is not None:
        at_utc = parse_local_datetime(at_local, tz)
        if at_utc < now - dt.timedelta(seconds=1):
            raise ValidationError(f"Thời điểm {at_local} đã qua")
        slot.kind = "once"
        slot.at_utc = at_utc
        slot.time_local = None
        slot.starts_on = slot.ends_on = None
    else:
        slot.time_local = parse_time(daily or "")
        slot.weekdays = weekdays_text(parse_weekdays(days))
        slot.kind = "daily"
        slot.at_utc = None


def _check_campaign(session: Session, campaign_id: int | None) -> None:
    if campaign_id is not None and session.get(Campaign, campaign_id) is None:
        raise NotFoundError(f"Không có chiến dịch số {campaign_id}")


def _first_title(slot: Slot) -> str:
    """The name a slot gets when none is typed: its first bulletin's or recording's title."""
    for item in slot.items:
        title = item.bulletin.title if item.bulletin is not None else (item.asset.title if item.asset else "")
        name = clean_name("".join(ch for ch in title or "" if ch.isprintable()), "Tên lịch phát",
                          max_length=10_000, required=False)[:200]
        if name:
            return name
    return ""


def _apply_items(session: Session, slot: Slot, items: Sequence[ItemSpec]) -> None:
    """Build the rundown from specs (approved bulletins, uploaded recordings, jingles, pauses)."""
    from broadcaster.models import AudioAsset

    if not items:
        raise ValidationError("Lịch phát phải có ít nhất một mục chương trình")
    built: list[SlotItem] = []
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
        elif spec.kind == "recording":
            asset = session.get(AudioAsset, spec.asset_id) if spec.asset_id else None
            if asset is None or asset.kind != "recording":
                raise NotFoundError(f"Không có bản ghi âm số {spec.asset_id}")
            item.asset = asset
        elif spec.kind == "pause":
            if not 0 < spec.seconds <= 600:
                raise ValidationError("Khoảng lặng phải dài từ 0 đến 600 giây")
        elif spec.kind != "jingle":
            raise ValidationError(f"Loại mục không hợp lệ: {spec.kind!r}")
        built.append(item)
    slot.items = built
    slot.priority = "normal"
    for rank in ("emergency", "priority"):
        if rank in priorities:
            slot.priority = rank
            break
    if not slot.name:
        slot.name = _first_title(slot)


def _apply_zones(session: Session, slot: Slot, zones: Sequence[str]) -> None:
    found: list[Zone] = []
    for zone_name in dict.fromkeys(z.strip() for z in zones if z and z.strip()):
        zone = find_by_name(session, Zone.name, zone_name)
        if zone is None:
            raise NotFoundError(f"Không có thôn/khu phố tên {zone_name!r}")
        found.append(zone)
    slot.zones = found


def _refuse_conflicts(session: Session, slot: Slot, default_tz: str, now: dt.datetime) -> None:
    conflicts = find_conflicts(session, slot, default_tz, now)
    if conflicts:
        raise ScheduleConflictError(
            conflict_message(conflicts[0], slot.timezone or default_tz)
            + ". Nếu vẫn muốn lưu, hãy xác nhận và ghi lý do"
        )


@dataclass(frozen=True)
class Conflict:
    """This slot's airing at ``instant`` overlaps ``other``'s at ``their_instant``."""

    other: Slot
    instant: dt.datetime
    their_instant: dt.datetime
    overlap_seconds: float


def conflict_message(conflict: Conflict, tz: str) -> str:
    """Vietnamese: which programme it runs into, when, and by how much."""
    zone = ZoneInfo(tz)
    other = conflict.other
    label = f"“{other.name}” (lịch phát số {other.id})" if other.name else f"lịch phát số {other.id}"
    mine = conflict.instant.astimezone(zone)
    theirs = conflict.their_instant.astimezone(zone)
    seconds = int(round(conflict.overlap_seconds))
    minutes, rest = divmod(seconds, 60)
    amount = f"{minutes} phút {rest:02d} giây" if minutes else f"{rest} giây"
    return (
        f"Trùng lịch với {label} phát lúc {theirs:%H:%M:%S ngày %d/%m/%Y}: buổi phát lúc "
        f"{mine:%H:%M:%S} chồng lên khoảng {amount}"
    )


def find_conflicts(
    session: Session, slot: Slot, default_tz: str, now: dt.datetime
) -> list[Conflict]:
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
    found: list[Conflict] = []
    for other in others:
        if other.id == slot.id or other is slot:
            continue
        other_seconds = slot_estimated_seconds(other)
        theirs = occurrences_between(SlotTimes.of(other, default_tz), now - dt.timedelta(hours=1), horizon)
        # Each of their airings as long as it will air: the next day's with the priority
        # bulletins likely to lead it, as this slot's own next airing is counted.
        with session.no_autoflush:
            their_spans = [(instant, occurrence_estimated_seconds(session, other, day, instant, now)
                            if now <= instant <= now + dt.timedelta(days=1) else other_seconds)
                           for day, instant in theirs]
        hit: Conflict | None = None
        for _, instant in mine:
            seconds = first_seconds if instant == next_instant else my_seconds
            for their, their_seconds in their_spans:
                if overlaps(instant, seconds, their, their_seconds):
                    hit = Conflict(other, instant, their,
                                   overlap_seconds(instant, seconds, their, their_seconds))
                    break
            if hit is not None:
                break
        if hit is not None:
            found.append(hit)
    return found


def overlap_seconds(a_start: dt.datetime, a_seconds: float, b_start: dt.datetime,
                    b_seconds: float) -> float:
    a_end = a_start + dt.timedelta(seconds=a_seconds)
    b_end = b_start + dt.timedelta(seconds=b_seconds)
    return max(0.0, (min(a_end, b_end) - max(a_start, b_start)).total_seconds())


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


def deactivate_slot(session: Session, slot: Slot, now: dt.datetime | None = None) -> None:
    """"Ngừng lịch này": no later airing; the slot and its log stay for history.

    A one-off that already aired has no later airing to stop, and stopping it would take it out
    of the week view it aired in: refused, from the panel and the command line alike.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    if slot.kind == "once" and slot.at_utc is not None and slot.at_utc <= now:
        raise ValidationError(f"Lịch phát số {slot.id} chỉ phát một lần và giờ phát đã qua: "
                              "không còn gì để ngừng")
    slot.active = False
