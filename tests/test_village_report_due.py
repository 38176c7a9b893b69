"""Which village owes which monthly report: not the months before it was in the system.

On a fresh install (villages added today) a village head must not be told that last month's report
is overdue; a village that was there last month and sent nothing is overdue, as before.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from web_helpers import OTHER_ZONE, ZONE

from broadcaster import village_reports
from broadcaster.models import Zone

pytest_plugins = ["web_fixtures"]

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _last_month(today: dt.date) -> str:
    first = today.replace(day=1) - dt.timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def test_a_village_added_today_owes_no_report_for_last_month_and_an_older_one_does(
        web_app: Any, login_as: Any) -> None:
    today = dt.datetime.now(VN).date()
    key = _last_month(today)
    with web_app.extensions["broadcaster"].session() as session:
        period = village_reports.get_period(session, key, 5)
        village_reports.set_due_date(session, period, max(period.starts_on, today - dt.timedelta(days=1)), None)
        older = session.query(Zone).filter_by(name=OTHER_ZONE).one()
        older.created_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=70)
    month = f"tháng {int(key[5:])}/{key[:4]}"

    page = login_as("village").get("/").get_data(as_text=True)
    assert f"Báo cáo {month} của thôn đã quá hạn nộp" not in page, (
        "a village added today is not told last month's report is overdue")

    grid = login_as("office").get("/village-reports").get_data(as_text=True)
    assert "Không phải nộp (thôn chưa có trong kỳ này)" in grid, "the new village's cell says why"
    assert "Chưa nộp (quá hạn)" in grid, "the village that was there last month is overdue"

    with web_app.extensions["broadcaster"].session() as session:
        period = village_reports.get_period(session, key, 5)
        rows = {r.zone.name: r.status for r in village_reports.villages_for_period(session, period, today, VN)}
        reminders = village_reports.reminders_for(session, older.id, today, 5, 3, VN)
    assert rows[ZONE] == "not_owed" and rows[OTHER_ZONE] == "missing", rows
    assert [r.period.key for r in reminders if r.status == "missing"][-1:] == [key], (
        "the older village is reminded of last month's report")


def test_an_old_database_dates_its_villages_from_the_first_account(tmp_path: Any) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from broadcaster import db

    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = db.alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0010_join")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO users (name, full_name, password_hash, role, active, "
                                "created_at, must_change_password) VALUES ('admin', 'Quản trị', 'x', "
                                "'admin', 1, '2025-03-04 01:00:00.000000', 0)"))
        connection.execute(text(
            "INSERT INTO zones (name, kind, output, description) VALUES ('Thôn Đông', 'thôn', 'main', '')"))
    db.migrate(engine)
    with engine.connect() as connection:
        created = connection.execute(text("SELECT created_at FROM zones")).scalar_one()
    assert str(created).startswith("2025-03-04"), created


def test_the_grid_reads_each_cell_as_the_period_page_does(web_app: Any) -> None:
    """The office's villages × months grid (three statements for all months) shows, cell by
    cell, what each month's own list shows: stored and unstored months, a moved due day, drafts,
    submitted, accepted and returned reports."""
    today = dt.datetime.now(VN).date()
    keys = village_reports.recent_periods(today, 6)
    with web_app.extensions["broadcaster"].session() as session:
        zones = {z.name: z for z in session.query(Zone)}
        for zone in zones.values():
            zone.created_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=400)
        first = village_reports.get_period(session, keys[0], 5)
        village_reports.set_due_date(session, first, first.ends_on + dt.timedelta(days=20), None)
        second = village_reports.get_period(session, keys[1], 5)
        content = village_reports.empty_content()
        village_reports.save(session, zones[ZONE], first, content, None, submit=True)
        draft = village_reports.save(session, zones[OTHER_ZONE], first, content, None)
        assert draft.state == "draft"
        accepted = village_reports.save(session, zones[ZONE], second, content, None, submit=True)
        village_reports.review(session, accepted, "accept", None)
        returned = village_reports.save(session, zones[OTHER_ZONE], second, content, None, submit=True)
        village_reports.review(session, returned, "return", None, reason="Thiếu số buổi họp")
    with web_app.extensions["broadcaster"].session() as session:
        periods, grid_zones, cells = village_reports.grid(session, keys, 5, today, VN)
        assert [p.key for p in periods] == keys and {z.name for z in grid_zones} == set(zones)
        seen = set()
        for key in keys:
            period = village_reports.get_period(session, key, 5, create=False)
            for row in village_reports.villages_for_period(session, period, today, VN):
                cell = cells[(row.zone.id, key)]
                assert (cell.status, cell.late, cell.report.id if cell.report else None,
                        cell.period.due_on) == (row.status, row.late,
                                                row.report.id if row.report else None,
                                                row.period.due_on), (key, row.zone.name)
                seen.add(row.status)
    assert {"accepted", "returned", "missing", "pending"} <= seen, seen
