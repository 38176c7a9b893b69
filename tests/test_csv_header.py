"""CSV exports (issue 12): Vietnamese column names by default for the office, the machine names on
request for scripts; the offline verifier accepts both, and the cells are the same."""
from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

pytest_plugins = ["web_fixtures"]


def _entries(ctx) -> None:
    from broadcaster import evidence

    when = dt.datetime(2026, 11, 2, 6, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    with ctx.session() as session:
        for n, title in enumerate(("Tin sáng", "Tin chiều")):
            at = when + dt.timedelta(hours=11 * n)
            evidence.append_entry(session, occurrence_key=f"slot-1@2026-11-0{2 + n}", status="completed",
                                  scheduled_at=at, started_at=at, ended_at=at + dt.timedelta(seconds=30),
                                  seconds_played=30.0, title=title)


def _rows(path):
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def test_vietnamese_header_by_default_machine_header_on_request_both_verify(ctx, cli, tmp_path) -> None:
    from broadcaster.reports.csv_report import COLUMNS

    _entries(ctx)
    office, script = tmp_path / "bao-cao.csv", tmp_path / "may.csv"
    assert cli("log", "export", "--out", str(office)).exit_code == 0
    assert cli("log", "export", "--out", str(script), "--csv-header", "machine").exit_code == 0
    vi, machine = _rows(office), _rows(script)
    assert vi[0][:3] == ["Số", "Lần phát", "Giờ dự kiến"] and "Mã băm" in vi[0]
    assert tuple(machine[0]) == COLUMNS
    assert vi[1:3] == machine[1:3], "chỉ khác dòng tiêu đề"
    for path in (office, script):
        result = cli("log", "verify", "--file", str(path), "--public-key", str(ctx.settings.public_key_path))
        assert result.exit_code == 0, result.output


def test_panel_download_has_both_headers(web_app, login_as, ctx) -> None:
    _entries(ctx)
    office = login_as("office")
    default = office.get("/logs/export.csv?from=2026-11-01&to=2026-11-30").data.decode("utf-8-sig")
    assert default.startswith("Số,Lần phát,Giờ dự kiến")
    machine = office.get("/logs/export.csv?from=2026-11-01&to=2026-11-30&header=machine").data.decode("utf-8-sig")
    assert machine.startswith("id,occurrence,scheduled_at")
