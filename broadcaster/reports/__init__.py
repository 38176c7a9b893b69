"""The office's reports: filters → entries → summaries, campaign coverage, and exports.

Functions the web panel calls (the CLI uses the same ones):

- ``Filters(date_from, date_to, category, campaign, zone, status)`` and ``parse_date(text)``
- ``select_entries(session, filters, tz)`` → rows with the entry's attributes, oldest first
- ``summarize(entries)`` → ``Summary``; ``daily_minutes(entries, tz)``;
  ``campaign_coverage(session, filters, tz, entries=None)``
- ``report_data(session, settings, filters)`` → one dict (JSON-ready) for a dashboard page
- ``export_bytes(session, settings, fmt, filters)`` → bytes; ``export_file(..., path)`` → count
- ``MEDIA_TYPES[fmt]``, ``suggested_filename(settings, fmt, filters)`` for a download response
- ``verify_export_file(path, public_key)`` → ``VerifyResult`` (CSV or JSON export)
"""
from __future__ import annotations

import datetime as dt
import io
import logging
import os
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from broadcaster.errors import ValidationError
from broadcaster.evidence import VerifyResult, entry_dict
from broadcaster.reports.bundle import ExportBundle, build_bundle, verify_parsed
from broadcaster.reports.coverage import CampaignCoverage, campaign_coverage
from broadcaster.reports.query import (
    Filters,
    Summary,
    daily_minutes,
    entry_when,
    parse_date,
    select_entries,
    summarize,
    summarize_receivers,
)

logger = logging.getLogger(__name__)

FORMATS = ("csv", "xlsx", "pdf", "json")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "json": "application/json",
}

__all__ = [
    "FORMATS", "MEDIA_TYPES", "CampaignCoverage", "ExportBundle", "Filters", "Summary",
    "campaign_coverage", "daily_minutes", "export_bytes", "export_file", "parse_date", "report_data",
    "select_entries", "suggested_filename", "summarize", "verify_export_file",
]


def _period(bundle: ExportBundle) -> tuple[dt.date | None, dt.date | None]:
    """The report's period: the filter's dates, else the first and last entries' local days."""
    filters = bundle.filters
    zone = ZoneInfo(bundle.tz)
    days = [entry_when(e).astimezone(zone).date() for e in (bundle.entries[:1] + bundle.entries[-1:])]
    return (filters.date_from or (days[0] if days else None), filters.date_to or (days[-1] if days else None))


def export_bytes(session: Session, settings: Any, fmt: str, filters: Filters,
                 now: dt.datetime | None = None, csv_header: str = "vi") -> bytes:
    """The report in ``fmt`` (csv, xlsx, pdf, json) as bytes, e.g. for a download response."""
    if fmt not in FORMATS:
        raise ValidationError(f"Định dạng không hỗ trợ: {fmt!r} (chọn {', '.join(FORMATS)})")
    bundle = build_bundle(session, settings, filters, now=now, stored_text=(fmt == "csv"))
    if fmt == "csv":
        from broadcaster.reports import csv_report

        return csv_report.to_bytes(bundle, csv_header)
    if fmt == "json":
        from broadcaster.reports import json_report

        return json_report.to_bytes(bundle)
    summary = summarize(bundle.entries)
    boxes = summarize_receivers(bundle.receiver_entries)
    # Coverage counts every category and status; reuse the selection when it is the same one.
    same = not (filters.category or filters.status or filters.campaign)
    coverage = campaign_coverage(session, filters, bundle.tz, entries=bundle.entries if same else None,
                                 receiver_entries=bundle.receiver_entries if same else None)
    date_from, date_to = _period(bundle)
    from broadcaster.reports.pdf_report import period_text

    if fmt == "xlsx":
        from broadcaster.reports import xlsx_report

        buffer = io.BytesIO()
        xlsx_report.write_xlsx(bundle, summary, coverage, period_text(date_from, date_to), buffer, boxes)
        return buffer.getvalue()
    from broadcaster.reports import pdf_report

    issued = bundle.generated_at.astimezone(ZoneInfo(bundle.tz)).date()
    return pdf_report.write_pdf(bundle, summary, coverage, daily_minutes(bundle.entries, bundle.tz),
                                issued, date_from, date_to, boxes)


def export_file(session: Session, settings: Any, fmt: str, filters: Filters, path: Path,
                now: dt.datetime | None = None, csv_header: str = "vi") -> int:
    """Write the report to ``path`` atomically (a half-written report is never left behind)."""
    data = export_bytes(session, settings, fmt, filters, now=now, csv_header=csv_header)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(data)


def suggested_filename(settings: Any, fmt: str, filters: Filters) -> str:
    start = filters.date_from.isoformat() if filters.date_from else "dau"
    end = filters.date_to.isoformat() if filters.date_to else "nay"
    return f"nhat-ky-phat-thanh_{start}_{end}.{fmt}"


def report_data(session: Session, settings: Any, filters: Filters, limit: int = 500) -> dict[str, Any]:
    """Everything a report page shows, JSON-ready: entries (newest ``limit``), summary, coverage."""
    tz = settings.station.timezone
    entries = select_entries(session, filters, tz)
    return {
        "count": len(entries),
        "entries": [entry_dict(e, tz) | {"title": e.title, "category": e.category, "campaign": e.campaign}
                    for e in entries[-limit:]],
        "summary": summarize(entries).as_dict(),
        "minutes_per_day": {day.isoformat(): {k: round(v, 2) for k, v in cats.items()}
                            for day, cats in daily_minutes(entries, tz).items()},
        "coverage": [c.as_dict() for c in campaign_coverage(session, filters, tz)],
    }


def verify_export_file(path: Path, public_key: Any) -> VerifyResult:
    """Verify an exported CSV or JSON with the station's public key alone (no database)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        from broadcaster.reports.json_report import read_json

        parsed = read_json(path)
    elif path.suffix.lower() == ".csv":
        from broadcaster.reports.csv_report import read_csv

        parsed = read_csv(path)
    else:
        raise ValidationError(f"Chỉ kiểm tra được bản xuất .csv hoặc .json, không phải {path.name}")
    return verify_parsed(parsed, public_key)
