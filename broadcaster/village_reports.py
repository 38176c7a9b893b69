"""Villages report back: what each village did for the directive in a period, and its review.

The directive asks each village to bring the content into its meetings and report its results
to the commune's People's Committee through the Office of Culture and Society, periodically. A
report belongs to one zone and one period (a calendar month by default, due on
``reports.village_due_day`` of the next month; the office may move a period's due day). It goes
draft → submitted → accepted, or submitted → returned (with a reason) → submitted again. Every
save and every step is kept in the history with a copy of the content, so what a village said
and when cannot be lost by a later edit. Lateness is judged by the *first* submission: a report
sent on time and returned for a correction is not late.
"""
from __future__ import annotations

import calendar
import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcaster.errors import NotFoundError, PermissionDenied, ValidationError, WorkflowError
from broadcaster.models import ReportPeriod, User, VillageReport, VillageReportEvent, Zone, utcnow
from broadcaster.textsort import vietnamese_key

logger = logging.getLogger(__name__)

MEETING_KINDS: dict[str, str] = {
    "chi_bo": "Sinh hoạt chi bộ",
    "hop_thon": "Họp thôn, khu phố",
    "doan_the": "Sinh hoạt đoàn thể",
}
#: The form's counted items, in the form's order, with their Vietnamese labels.
COUNTS: dict[str, str] = {
    "loudspeaker_sessions": "Buổi phát trên loa của thôn",
    "banners": "Băng rôn đã treo",
    "slogans": "Khẩu hiệu, pa nô, áp phích",
    "zalo_posts": "Bài đăng trên nhóm Zalo cộng đồng",
    "leaflets": "Tờ rơi, tài liệu đã phát",
    "talks": "Buổi nói chuyện, tọa đàm",
}
TEXTS: dict[str, str] = {"difficulties": "Khó khăn, vướng mắc", "proposals": "Đề xuất, kiến nghị"}
STATE_LABELS = {"draft": "Nháp", "submitted": "Đã nộp", "returned": "Bị trả lại", "accepted": "Đã duyệt"}
#: What the office's grid shows for a village in a period.
STATUS_LABELS = {
    "accepted": "Đã duyệt",
    "submitted": "Đã nộp đúng hạn",
    "late": "Nộp muộn",
    "returned": "Trả lại, chờ nộp lại",
    "missing": "Chưa nộp (quá hạn)",
    "pending": "Chưa nộp (còn hạn)",
    "not_owed": "Không phải nộp (thôn chưa có trong kỳ này)",
}
ACTION_LABELS = {"save": "Lưu nháp", "submit": "Nộp báo cáo", "return": "Trả lại", "accept": "Duyệt",
                 "due": "Đổi hạn nộp"}
MAX_MEETINGS = 200
MAX_LINKS = 50
MAX_COUNT = 100_000
MAX_PARTICIPANTS = 100_000
MAX_TEXT = 5000
MAX_LINK = 500
PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


# ------------------------------------------------------------------ periods


def parse_period(text: str | None) -> tuple[int, int]:
    """'2025-10' → (2025, 10); a clear Vietnamese error for anything else."""
    match = PERIOD_RE.match((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise ValidationError(f"Kỳ báo cáo không hợp lệ: {text!r} (viết dạng NĂM-THÁNG, ví dụ 2025-10)")
    return int(match.group(1)), int(match.group(2))


def period_key(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def default_due(year: int, month: int, due_day: int) -> dt.date:
    """The due day of the month after the period (a report covers the whole month)."""
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return dt.date(year, month, min(due_day, calendar.monthrange(year, month)[1]))


def get_period(session: Session, key: str, due_day: int, *, create: bool = True) -> ReportPeriod:
    """The period ``key`` (YYYY-MM), made with the default due day the first time it is used."""
    year, month = parse_period(key)
    key = f"{year:04d}-{month:02d}"
    period = session.scalar(select(ReportPeriod).where(ReportPeriod.key == key))
    if period is None:
        period = _new_period(year, month, due_day)
        if create:
            session.add(period)
            session.flush()
    return period


def _new_period(year: int, month: int, due_day: int) -> ReportPeriod:
    """A period not stored yet, with the default due day."""
    return ReportPeriod(key=f"{year:04d}-{month:02d}", starts_on=dt.date(year, month, 1),
                        ends_on=dt.date(year, month, calendar.monthrange(year, month)[1]),
                        due_on=default_due(year, month, due_day))


def set_due_date(session: Session, period: ReportPeriod, due_on: dt.date, user: User | None) -> None:
    """The office moves a period's due day (not before the period starts, at most 3 months after)."""
    if due_on < period.starts_on or due_on > period.ends_on + dt.timedelta(days=92):
        raise ValidationError(
            f"Hạn nộp phải từ {period.starts_on:%d/%m/%Y} đến {period.ends_on + dt.timedelta(days=92):%d/%m/%Y}"
        )
    period.due_on = due_on
    period.updated_by_id = user.id if user else None
    session.flush()
    logger.info("kỳ báo cáo %s: hạn nộp %s", period.key, due_on.isoformat())


def recent_periods(today: dt.date, count: int = 6) -> list[str]:
    """The ``count`` months ending with ``today``'s, oldest first (a month is reported after it)."""
    year, month = today.year, today.month
    keys = []
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(keys))


# ------------------------------------------------------------------ content


def _int(value: Any, label: str, high: int) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, bool):
        raise ValidationError(f"{label}: phải là số")
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise ValidationError(f"{label}: “{value}” không phải là số") from None
    if not 0 <= number <= high:
        raise ValidationError(f"{label}: phải từ 0 đến {high:,}".replace(",", "."))
    return number


def _text(value: Any, label: str, limit: int = MAX_TEXT) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"{label}: phải là văn bản")
    text = "".join(ch for ch in value if ch in "\n\t" or ch.isprintable()).strip()
    if len(text) > limit:
        raise ValidationError(f"{label}: quá dài ({len(text)} ký tự, tối đa {limit})")
    return text


def clean_content(raw: dict[str, Any], period: ReportPeriod) -> dict[str, Any]:
    """The form (or the API's JSON) checked and normalised; nothing unknown is kept."""
    if not isinstance(raw, dict):
        raise ValidationError("Nội dung báo cáo phải là một đối tượng")
    meetings_raw = raw.get("meetings") or []
    if not isinstance(meetings_raw, list):
        raise ValidationError("Danh sách cuộc họp không hợp lệ")
    if len(meetings_raw) > MAX_MEETINGS:
        raise ValidationError(f"Tối đa {MAX_MEETINGS} cuộc họp trong một báo cáo")
    meetings = []
    for number, meeting in enumerate(meetings_raw, start=1):
        if not isinstance(meeting, dict):
            raise ValidationError(f"Cuộc họp thứ {number} không hợp lệ")
        kind = meeting.get("kind")
        if kind not in MEETING_KINDS:
            raise ValidationError(
                f"Cuộc họp thứ {number}: loại phải là một trong {', '.join(MEETING_KINDS)} "
                f"({', '.join(MEETING_KINDS.values())})"
            )
        try:
            from broadcaster.schedule import parse_date

            day = parse_date(str(meeting.get("date") or ""))
        except ValidationError:
            raise ValidationError(f"Cuộc họp thứ {number}: ngày họp không hợp lệ") from None
        if not period.starts_on <= day <= period.ends_on:
            raise ValidationError(
                f"Cuộc họp thứ {number}: ngày {day:%d/%m/%Y} không thuộc kỳ báo cáo "
                f"({period.starts_on:%d/%m/%Y}–{period.ends_on:%d/%m/%Y})"
            )
        meetings.append({
            "kind": kind, "date": day.isoformat(),
            "participants": _int(meeting.get("participants"), f"Cuộc họp thứ {number}: số người dự",
                                 MAX_PARTICIPANTS),
            "note": _text(meeting.get("note"), f"Cuộc họp thứ {number}: ghi chú", 500),
        })
    meetings.sort(key=lambda m: (m["date"], m["kind"]))
    content: dict[str, Any] = {"meetings": meetings}
    for name, label in COUNTS.items():
        content[name] = _int(raw.get(name), label, MAX_COUNT)
    links_raw = raw.get("zalo_links") or []
    if isinstance(links_raw, str):
        links_raw = links_raw.split()
    if not isinstance(links_raw, list) or len(links_raw) > MAX_LINKS:
        raise ValidationError(f"Tối đa {MAX_LINKS} đường dẫn bài đăng Zalo")
    links = []
    for link in links_raw:
        link = _text(link, "Đường dẫn bài đăng Zalo", MAX_LINK)
        if not link:
            continue
        if not re.match(r"^https?://[^\s<>\"']+$", link):
            raise ValidationError(f"Đường dẫn bài đăng không hợp lệ: {link[:80]!r} (phải bắt đầu bằng https://)")
        if link not in links:
            links.append(link)
    content["zalo_links"] = links
    if len(links) > content["zalo_posts"]:
        content["zalo_posts"] = len(links)  # every linked post is a post
    for name, label in TEXTS.items():
        content[name] = _text(raw.get(name), label)
    return content


def empty_content() -> dict[str, Any]:
    return {"meetings": [], **{name: 0 for name in COUNTS}, "zalo_links": [], **{name: "" for name in TEXTS}}


# ------------------------------------------------------------------ the workflow


def find_report(session: Session, zone_id: int, period: ReportPeriod) -> VillageReport | None:
    if period.id is None:
        return None
    return session.scalar(select(VillageReport).where(VillageReport.zone_id == zone_id,
                                                      VillageReport.period_id == period.id))


def get_report(session: Session, report_id: int) -> VillageReport:
    report = session.get(VillageReport, report_id)
    if report is None:
        raise NotFoundError(f"Không có báo cáo số {report_id}")
    return report


def _event(report: VillageReport, user: User | None, action: str, note: str = "",
           now: dt.datetime | None = None) -> None:
    report.events.append(VillageReportEvent(user_id=user.id if user else None, action=action, note=note,
                                            content=dict(report.content or {}), at=now or utcnow()))


def _check_author(user: User | None, zone_id: int) -> None:
    """A village head writes only the own village's report (the office writes none)."""
    if user is not None and (user.role != "village" or user.zone_id != zone_id):
        raise PermissionDenied("Chỉ trưởng thôn của thôn này được viết và nộp báo cáo của thôn.")


def save(session: Session, zone: Zone, period: ReportPeriod, raw: dict[str, Any], user: User | None, *,
         submit: bool = False, now: dt.datetime | None = None) -> VillageReport:
    """Save the village's report as a draft, or save and submit it.

    A submitted or accepted report cannot be changed: the office has it; it must be returned
    first. ``user`` None is the command line (the operator acting for the village).
    """
    _check_author(user, zone.id)
    now = now or utcnow()
    content = clean_content(raw, period)
    report = find_report(session, zone.id, period)
    if report is None:
        report = VillageReport(zone_id=zone.id, period_id=period.id, state="draft", content={},
                               return_reason="", author_id=user.id if user else None, created_at=now)
        session.add(report)
    elif report.state in ("submitted", "accepted"):
        raise WorkflowError(
            f"Báo cáo kỳ {period.key} của {zone.name} đã {STATE_LABELS[report.state].lower()}, không sửa được"
            + ("; cần văn phòng trả lại trước" if report.state == "submitted" else "")
        )
    report.content = content
    report.updated_at = now
    if user is not None:
        report.author_id = user.id
    _event(report, user, "save", now=now)
    if submit:
        _submit(report, user, now)
    session.flush()
    return report


def _submit(report: VillageReport, user: User | None, now: dt.datetime) -> None:
    report.state = "submitted"
    report.submitted_at = now
    report.first_submitted_at = report.first_submitted_at or now
    _event(report, user, "submit", now=now)
    logger.info("thôn số %s đã nộp báo cáo kỳ số %s", report.zone_id, report.period_id)


def submit(session: Session, report: VillageReport, user: User | None, now: dt.datetime | None = None) -> None:
    _check_author(user, report.zone_id)
    if report.state not in ("draft", "returned"):
        raise WorkflowError(f"Báo cáo đang ở trạng thái “{STATE_LABELS[report.state]}”, không nộp lại được")
    _submit(report, user, now or utcnow())
    session.flush()


def review(session: Session, report: VillageReport, action: str, user: User | None, reason: str = "",
           now: dt.datetime | None = None) -> None:
    """The office accepts a submitted report or returns it with a reason."""
    if action not in ("accept", "return"):
        raise ValidationError(f"Thao tác không hợp lệ: {action!r} (accept hoặc return)")
    if report.state != "submitted":
        raise WorkflowError(f"Chỉ duyệt hoặc trả lại được báo cáo đã nộp (đang: {STATE_LABELS[report.state]})")
    now = now or utcnow()
    reason = _text(reason, "Lý do trả lại", 2000)
    if action == "return":
        if not reason:
            raise ValidationError("Ghi lý do trả lại để trưởng thôn biết cần sửa gì")
        report.state = "returned"
        report.return_reason = reason
    else:
        report.state = "accepted"
        report.accepted_at = now
    _event(report, user, action, reason, now=now)
    session.flush()
    logger.info("báo cáo số %s: %s", report.id, ACTION_LABELS[action].lower())


# ------------------------------------------------------------------ how the office sees them


def is_late(report: VillageReport | None, period: ReportPeriod, tz: dt.tzinfo) -> bool:
    """Submitted (first) after the due day, local time."""
    if report is None or report.first_submitted_at is None:
        return False
    return report.first_submitted_at.astimezone(tz).date() > period.due_on


def owes(zone: Zone, period: ReportPeriod, tz: dt.tzinfo) -> bool:
    """Whether the village owes a report for ``period``: it existed before the period ended.

    A village added (or a station installed, which adds its villages) after a month owes nothing
    for that month; one added during the month owes it, for the days it had. A village of an old
    database with no date owes every period.
    """
    if zone.created_at is None:
        return True
    return zone.created_at.astimezone(tz).date() <= period.ends_on


def status_of(report: VillageReport | None, period: ReportPeriod, today: dt.date, tz: dt.tzinfo,
              zone: Zone | None = None) -> str:
    """One of ``STATUS_LABELS``' keys (``zone``: say ``not_owed`` for a month before it existed)."""
    if report is None and zone is not None and not owes(zone, period, tz):
        return "not_owed"
    state = report.state if report is not None else "draft"
    if state == "accepted":
        return "accepted"
    if state == "submitted":
        return "late" if is_late(report, period, tz) else "submitted"
    if state == "returned":
        return "returned"
    return "missing" if today > period.due_on else "pending"


@dataclass
class VillageRow:
    zone: Zone
    period: ReportPeriod
    report: VillageReport | None
    status: str
    late: bool

    def as_dict(self, tz: dt.tzinfo) -> dict[str, Any]:
        report = self.report

        def when(value: dt.datetime | None) -> str | None:
            return value.astimezone(tz).isoformat() if value else None

        return {
            "zone": self.zone.name, "zone_id": self.zone.id, "period": self.period.key,
            "period_from": self.period.starts_on.isoformat(), "period_until": self.period.ends_on.isoformat(),
            "due_on": self.period.due_on.isoformat(),
            "id": report.id if report else None,
            "state": report.state if report else None,
            "status": self.status, "status_label": STATUS_LABELS[self.status], "late": self.late,
            "submitted_at": when(report.first_submitted_at if report else None),
            "last_submitted_at": when(report.submitted_at if report else None),
            "accepted_at": when(report.accepted_at if report else None),
            "return_reason": report.return_reason if report and report.state == "returned" else "",
            "content": dict(report.content) if report else None,
        }


def villages_for_period(session: Session, period: ReportPeriod, today: dt.date, tz: dt.tzinfo,
                        zone_id: int | None = None) -> list[VillageRow]:
    """Every village (or one) with its report for the period and its status, by village name."""
    query = select(Zone)
    if zone_id is not None:
        query = query.where(Zone.id == zone_id)
    zones = sorted(session.scalars(query), key=lambda z: vietnamese_key(z.name))
    reports = {}
    if period.id is not None:
        reports = {r.zone_id: r for r in session.scalars(
            select(VillageReport).where(VillageReport.period_id == period.id))}
    return _rows(zones, period, reports, today, tz)


def _rows(zones: Sequence[Zone], period: ReportPeriod, reports: dict[int, VillageReport],
          today: dt.date, tz: dt.tzinfo) -> list[VillageRow]:
    return [VillageRow(zone, period, reports.get(zone.id),
                       status_of(reports.get(zone.id), period, today, tz, zone),
                       is_late(reports.get(zone.id), period, tz)) for zone in zones]


def grid(session: Session, keys: Sequence[str], due_day: int, today: dt.date, tz: dt.tzinfo
         ) -> tuple[list[ReportPeriod], list[Zone], dict[tuple[int, str], VillageRow]]:
    """Villages × periods at a glance: (periods, zones, (zone id, period key) → row).

    Three statements whatever the number of months (periods, villages, reports): the office
    opens the grid often, and a statement per month and per village cost it more than the page.
    """
    months = [parse_period(key) for key in keys]
    wanted = [f"{year:04d}-{month:02d}" for year, month in months]
    stored = {p.key: p for p in session.scalars(select(ReportPeriod).where(ReportPeriod.key.in_(wanted)))}
    periods = [stored.get(key) or _new_period(year, month, due_day)
               for key, (year, month) in zip(wanted, months, strict=True)]
    zones = sorted(session.scalars(select(Zone)), key=lambda z: vietnamese_key(z.name))
    reports: dict[int, dict[int, VillageReport]] = {}
    ids = [p.id for p in periods if p.id is not None]
    if ids:
        for report in session.scalars(select(VillageReport).where(VillageReport.period_id.in_(ids))):
            reports.setdefault(report.period_id, {})[report.zone_id] = report
    cells: dict[tuple[int, str], VillageRow] = {}
    for period in periods:
        found = reports.get(period.id, {}) if period.id is not None else {}
        for row in _rows(zones, period, found, today, tz):
            cells[(row.zone.id, period.key)] = row
    return periods, zones, cells


def totals(reports: Iterable[VillageReport]) -> dict[str, Any]:
    """The other forms of communication, totalled over the given (accepted or submitted) reports."""
    result: dict[str, Any] = {
        "reports": 0,
        "meetings": {kind: {"count": 0, "participants": 0} for kind in MEETING_KINDS},
        **{name: 0 for name in COUNTS}, "zalo_links": [],
        "difficulties": [], "proposals": [],
    }
    for report in reports:
        content = report.content or {}
        result["reports"] += 1
        for meeting in content.get("meetings", []):
            row = result["meetings"].get(meeting.get("kind"))
            if row is not None:
                row["count"] += 1
                row["participants"] += int(meeting.get("participants") or 0)
        for name in COUNTS:
            result[name] += int(content.get(name) or 0)
        result["zalo_links"].extend(content.get("zalo_links") or [])
        village = report.zone.name if report.zone else ""
        for name in TEXTS:
            if (content.get(name) or "").strip():
                result[name].append((village, content[name].strip()))
    return result


def reports_between(session: Session, first: dt.date, last: dt.date, states: Sequence[str] = ("submitted", "accepted")
                    ) -> list[VillageReport]:
    """Reports of the periods that overlap [first, last] in ``states``, by period then village."""
    query = (select(VillageReport).join(ReportPeriod).join(Zone)
             .where(ReportPeriod.starts_on <= last, ReportPeriod.ends_on >= first,
                    VillageReport.state.in_(tuple(states)))
             .order_by(ReportPeriod.starts_on))
    return sorted(session.scalars(query), key=lambda r: (r.period.starts_on, vietnamese_key(r.zone.name)))


@dataclass
class Reminder:
    period: ReportPeriod
    status: str
    days_left: int

    @property
    def message(self) -> str:
        when = f"{self.period.due_on:%d/%m/%Y}"
        month = f"tháng {self.period.starts_on.month}/{self.period.starts_on.year}"
        if self.status == "returned":
            return f"Báo cáo {month} của thôn bị trả lại: sửa và nộp lại (hạn {when})."
        if self.days_left < 0:
            return f"Báo cáo {month} của thôn đã quá hạn nộp ({when}). Hãy nộp ngay."
        if self.days_left == 0:
            return f"Hôm nay ({when}) là hạn nộp báo cáo {month} của thôn."
        return f"Còn {self.days_left} ngày đến hạn nộp báo cáo {month} của thôn ({when})."


def reminders_for(session: Session, zone_id: int, today: dt.date, due_day: int, remind_days: int,
                  tz: dt.tzinfo) -> list[Reminder]:
    """What a village head should be told on the dashboard, oldest first: reports overdue,
    returned, or due within ``remind_days`` (the last three months are looked at)."""
    found = []
    for key in recent_periods(today, 3):
        period = get_period(session, key, due_day, create=False)
        if period.starts_on > today:
            continue
        report = find_report(session, zone_id, period)
        status = status_of(report, period, today, tz, session.get(Zone, zone_id))
        days_left = (period.due_on - today).days
        if status in ("returned", "missing") or (status == "pending" and days_left <= remind_days):
            found.append(Reminder(period, status, days_left))
    return found
