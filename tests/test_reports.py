"""Reports: every export is parsed back and compared with the database, diacritics intact.

CSV with the csv module, XLSX with openpyxl, PDF with pypdf. CSV and JSON exports are also
verified offline with the public key alone, and tampering with them is caught.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from broadcaster import evidence
from broadcaster.checkpoints import make_checkpoint
from broadcaster.keys import load_private_key
from broadcaster.models import Campaign, EvidenceEntry, Zone
from broadcaster.reports import Filters, campaign_coverage, export_bytes, select_entries, summarize

UTC = dt.timezone.utc
# (local day, hour, category, campaign, zone, status, seconds, reason)
PLAN = [
    (1, 6, "Y tế", "Tiêm chủng mở rộng", "", "completed", 120.0, ""),
    (1, 17, "Nông nghiệp", "", "Thôn Đông", "completed", 300.0, ""),
    (2, 6, "Y tế", "Tiêm chủng mở rộng", "Thôn Đông", "completed", 90.0, ""),
    (2, 17, "An ninh trật tự", "", "Thôn Tây", "missed", 0.0, "Trạm phát khởi động lại quá thời gian cho phép"),
    (3, 6, "Y tế", "Tiêm chủng mở rộng", "Thôn Tây", "failed", 0.0, "Không mở được thiết bị âm thanh"),
    (3, 17, "Nông nghiệp", "", "Thôn Đông, Thôn Tây", "interrupted", 45.5, "Bị ngắt bởi bản tin khẩn cấp"),
    (4, 6, "Phòng chống thiên tai", "", "", "completed", 600.0, ""),
]


def local(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))).astimezone(UTC)


@pytest.fixture
def station(ctx: Any) -> Any:
    """Two villages, one campaign (target 1 a day), seven entries over four days, a checkpoint."""
    with ctx.session() as session:
        session.add_all([Zone(name="Thôn Đông"), Zone(name="Thôn Tây")])
        session.add(Campaign(name="Tiêm chủng mở rộng", starts_on=dt.date(2026, 11, 1),
                             ends_on=dt.date(2026, 11, 3), target_per_day=1))
        for n, (day, hour, category, campaign, zone, status, seconds, reason) in enumerate(PLAN, start=1):
            at = local(day, hour)
            aired = status != "missed"
            evidence.append_entry(
                session, occurrence_key=f"slot-{n}@2026-11-{day:02d}", status=status, scheduled_at=at,
                started_at=at if aired else None,
                ended_at=at + dt.timedelta(seconds=seconds) if aired else None,
                reason=reason, seconds_played=seconds, title=f"Bản tin {category.lower()} ngày {day}",
                category=category, campaign=campaign, zone=zone, output="main", host="tram-phat",
                items=[{"kind": "bulletin", "title": f"Bản tin {n}", "text_sha256": f"{n:064x}",
                        "audio_sha256": f"{n + 100:064x}", "engine": "espeak", "seconds": seconds}],
                slot_id=n, now=at + dt.timedelta(minutes=15),
            )
        make_checkpoint(session, load_private_key(ctx.settings.key_path), local(4, 23))
    return ctx


def db_entries(ctx: Any) -> list[EvidenceEntry]:
    with ctx.session() as session:
        return session.query(EvidenceEntry).order_by(EvidenceEntry.id).all()


def export(cli: Any, tmp_path: Path, name: str, *args: str) -> Path:
    out = tmp_path / name
    result = cli("log", "export", "--out", str(out), *args)
    assert result.exit_code == 0, result.output
    assert out.exists() and out.stat().st_size > 0
    return out


def read_csv_rows(path: Path) -> tuple[list[dict[str, str]], list[list[str]]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM for Excel"
    from broadcaster.reports.csv_report import COLUMNS, HEADERS_VI

    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    assert tuple(header) in (HEADERS_VI, COLUMNS), header
    header = list(COLUMNS)  # the same cells under either header
    entries = [dict(zip(header, r, strict=False)) for r in body if r and not r[0].startswith("#")]
    trailer = [r for r in body if r and r[0].startswith("#")]
    return entries, trailer


def public_key(ctx: Any) -> str:
    return str(ctx.settings.public_key_path)


def test_csv_export_matches_the_database_and_verifies_offline(station: Any, cli: Any, tmp_path: Path) -> None:
    path = export(cli, tmp_path, "bao-cao.csv", "--format", "csv")
    rows, trailer = read_csv_rows(path)
    entries = db_entries(station)
    assert [int(r["id"]) for r in rows] == [e.id for e in entries]
    for row, entry in zip(rows, entries, strict=True):
        assert row["title"] == entry.title and row["category"] == entry.category, row
        assert row["status"] == entry.status and row["reason"] == entry.reason
        assert float(row["seconds_played"]) == entry.seconds_played
        assert json.loads(row["items"]) == entry.items
        assert row["hash"] == entry.hash and row["prev_hash"] == entry.prev_hash
        assert dt.datetime.fromisoformat(row["scheduled_at"]) == entry.scheduled_at
        assert row["scheduled_at"].endswith("+07:00"), row["scheduled_at"]
    assert "Bản tin an ninh trật tự ngày 2" in path.read_text(encoding="utf-8-sig")
    head = [r for r in trailer if r[0] == "#head"][0]
    assert head[1:] == [str(entries[-1].id), entries[-1].hash]
    assert any(r[0] == "#checkpoint" for r in trailer), trailer
    result = cli("log", "verify", "--file", str(path), "--public-key", public_key(station))
    assert result.exit_code == 0, result.output
    assert "7 mục" in result.stdout, result.stdout


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_tampering_with_an_export_is_caught_offline(station: Any, cli: Any, tmp_path: Path, fmt: str) -> None:
    path = export(cli, tmp_path, f"bao-cao.{fmt}")
    edited = path.read_text(encoding="utf-8-sig").replace("Không mở được thiết bị âm thanh", "Đã phát bình thường")
    forged = tmp_path / f"sua.{fmt}"
    forged.write_text(edited, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
    result = cli("log", "verify", "--file", str(forged), "--public-key", public_key(station))
    assert result.exit_code == 1, result.output
    assert "#5" in result.stderr and "sửa" in result.stderr, result.stderr


def test_dropping_a_row_from_a_csv_export_is_caught(station: Any, cli: Any, tmp_path: Path) -> None:
    path = export(cli, tmp_path, "bao-cao.csv")
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    forged = tmp_path / "thieu.csv"
    forged.write_text("".join(line for line in lines if not line.startswith("4,")), encoding="utf-8-sig")
    result = cli("log", "verify", "--file", str(forged), "--public-key", public_key(station), "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and report["problem"] == "deleted" and report["first_bad_id"] == 4, report


def test_a_filtered_export_is_still_proven_up_to_the_signed_checkpoint(station: Any, cli: Any, tmp_path: Path) -> None:
    path = export(cli, tmp_path, "yte.csv", "--category", "Y tế")
    rows, trailer = read_csv_rows(path)
    assert [r["category"] for r in rows] == ["Y tế"] * 3, rows
    links = [r for r in trailer if r[0] == "#link"]
    assert [int(r[1]) for r in links] == [2, 4, 6, 7], "the entries left out travel as links"
    result = cli("log", "verify", "--file", str(path), "--public-key", public_key(station))
    assert result.exit_code == 0 and "3 mục được điểm kiểm đã ký xác nhận" in result.stdout, result.output
    text = path.read_text(encoding="utf-8-sig")
    forged = tmp_path / "yte-sua.csv"
    forged.write_text(text.replace(",90.0,", ",900.0,"), encoding="utf-8-sig")
    assert cli("log", "verify", "--file", str(forged), "--public-key", public_key(station)).exit_code == 1
    unlinked = tmp_path / "yte-bo-lien-ket.csv"
    unlinked.write_text("".join(line for line in text.splitlines(keepends=True) if not line.startswith("#link,4,")),
                        encoding="utf-8-sig")
    result = cli("log", "verify", "--file", str(unlinked), "--public-key", public_key(station))
    assert result.exit_code == 1 and "#4" in result.stderr, result.output


def test_filters_select_by_period_status_zone_category(station: Any) -> None:
    tz = station.settings.station.timezone
    with station.session() as session:
        def ids(**kw: Any) -> list[int]:
            return [e.id for e in select_entries(session, Filters(**kw), tz)]

        assert ids(date_from=dt.date(2026, 11, 2), date_to=dt.date(2026, 11, 3)) == [3, 4, 5, 6]
        assert ids(status="missed") == [4]
        assert ids(category="Nông nghiệp") == [2, 6]
        assert ids(zone="Thôn Tây") == [1, 4, 5, 6, 7], "whole-commune entries reach every village"
        assert ids(campaign="Tiêm chủng mở rộng", date_to=dt.date(2026, 11, 2)) == [1, 3]


def test_summary_and_campaign_coverage(station: Any) -> None:
    tz = station.settings.station.timezone
    with station.session() as session:
        entries = select_entries(session, Filters(), tz)
        summary = summarize(entries)
        coverage = campaign_coverage(session, Filters(), tz, today=dt.date(2026, 11, 26))
    assert summary.total.scheduled == 7 and summary.total.aired == 5
    assert summary.total.minutes == pytest.approx((120 + 300 + 90 + 45.5 + 600) / 60)
    by_category = {g.key: g for g in summary.by_category}
    assert by_category["Y tế"].scheduled == 3 and by_category["Y tế"].aired == 2 and by_category["Y tế"].failed == 1
    assert by_category["Y tế"].minutes == pytest.approx(3.5)
    by_status = {g.key: g.scheduled for g in summary.by_status}
    assert by_status == {"completed": 4, "interrupted": 1, "failed": 1, "missed": 1}
    assert {g.key: g.scheduled for g in summary.by_zone}["Thôn Đông"] == 3
    assert [e.id for e in summary.problems] == [4, 5, 6]
    (campaign,) = coverage
    # Weeks run Monday–Sunday; 1/11/2026 is a Sunday. The weekly target (7 airings, i.e. 1 a day)
    # is prorated to the campaign's days in each week: 1 for Sunday 1/11, 2 for 2–3/11.
    cells = {(c.first_day.day, c.zone): (c.airings, c.target_airings, c.met) for c in campaign.cells}
    assert cells == {
        (1, "Thôn Đông"): (1, 1, True), (1, "Thôn Tây"): (1, 1, True),  # aired to the whole commune
        (2, "Thôn Đông"): (1, 2, False),  # day 3 failed: not an airing; day 3's interrupted neither
        (2, "Thôn Tây"): (0, 2, False),
    }, cells


def test_a_correction_replaces_the_corrected_entry_in_totals(station: Any, cli: Any) -> None:
    assert cli("log", "correct", "4", "--reason", "Đã phát bù lúc 18 giờ", "--status", "completed",
               "--seconds", "60").exit_code == 0
    with station.session() as session:
        summary = summarize(select_entries(session, Filters(), station.settings.station.timezone))
    assert summary.total.scheduled == 7 and summary.total.missed == 0 and summary.corrections == 1


def test_xlsx_has_filtered_detail_summary_and_coverage(station: Any, cli: Any, tmp_path: Path) -> None:
    path = export(cli, tmp_path, "bao-cao.xlsx", "--format", "xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["Chi tiết", "Tổng hợp", "Chiến dịch", "Máy thu các thôn", "Xác thực"]
    detail = book["Chi tiết"]
    assert detail.auto_filter.ref == "A1:P8", detail.auto_filter.ref
    header = [c.value for c in detail[1]]
    rows = [dict(zip(header, (c.value for c in r), strict=False)) for r in detail.iter_rows(min_row=2)]
    entries = db_entries(station)
    assert [r["Số"] for r in rows] == [e.id for e in entries]
    for row, entry in zip(rows, entries, strict=True):
        assert row["Tiêu đề"] == entry.title and row["Chuyên mục"] == entry.category
        assert row["Mã băm"] == entry.hash and row["Số giây đã phát"] == entry.seconds_played
        assert row["Giờ theo lịch"] == entry.scheduled_at.astimezone(dt.timezone(dt.timedelta(hours=7))).replace(tzinfo=None)
    assert rows[4]["Trạng thái"] == "Lỗi" and rows[4]["Lý do"] == "Không mở được thiết bị âm thanh"
    summary = [[c for c in r] for r in book["Tổng hợp"].iter_rows(values_only=True)]
    yte = [r for r in summary if r[0] == "Y tế"][0]
    assert tuple(yte[1:4]) == (3, 2, 3.5), yte
    assert any(r[0] == "Thôn Tây" for r in summary), "by-zone table"
    assert any(r[4] == "Trạm phát khởi động lại quá thời gian cho phép" for r in summary), "missed with reason"
    coverage = list(book["Chiến dịch"].iter_rows(min_row=2, values_only=True))
    assert len(coverage) == 4 and coverage[0][0] == "Tiêm chủng mở rộng", coverage
    assert [row[9] for row in coverage] == ["Đạt", "Đạt", "Chưa đạt", "Chưa đạt"], coverage
    proof = {r[0]: r[1] for r in book["Xác thực"].iter_rows(values_only=True) if r and r[0]}
    assert proof["Mã băm đầu chuỗi"] == entries[-1].hash


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def test_pdf_report_has_the_office_layout_and_the_proof(station: Any, cli: Any, tmp_path: Path) -> None:
    path = export(cli, tmp_path, "bao-cao.pdf", "--format", "pdf", "--from", "01/11/2026", "--to", "30/11/2026")
    assert path.read_bytes().startswith(b"%PDF")
    text = " ".join(pdf_text(path).split())
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "ỦY BAN NHÂN DÂN XÃ TÂN HÒA",
        "Tân Hòa, ngày", "BÁO CÁO", "Kết quả công tác truyền thanh cơ sở",
        "Kính gửi: Sở Văn hóa, Thể thao và Du lịch tỉnh Thái Nguyên", "Nơi nhận:", "- Như trên;",
        "- Sở VHTTDL tỉnh;", "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH",
        "từ ngày 01/11/2026 đến ngày 30/11/2026", "Số phút phát mỗi ngày theo chuyên mục",
        "Bản tin phòng chống thiên tai ngày 4", "Không mở được thiết bị âm thanh",
        "Trạm phát khởi động lại quá thời gian cho phép", "Tiêm chủng mở rộng",
    ):
        assert expected in text, f"PDF lacks {expected!r}"
    entries = db_entries(station)
    assert entries[-1].hash in text.replace(" ", ""), "head hash at the end"
    with station.session() as session:
        from broadcaster.checkpoints import latest_checkpoint

        signature = latest_checkpoint(session).signature
    assert signature in text.replace(" ", ""), "checkpoint signature at the end"


def test_export_bytes_for_the_panel_and_bad_requests(station: Any, cli: Any, tmp_path: Path) -> None:
    with station.session() as session:
        data = export_bytes(session, station.settings, "json", Filters(status="completed"))
    document = json.loads(data)
    assert [e["status"] for e in document["entries"]] == ["completed"] * 4
    assert document["entries"][0]["title"] == "Bản tin y tế ngày 1"
    bad = cli("log", "export", "--out", str(tmp_path / "x.doc"))
    assert bad.exit_code == 1 and "--format" in bad.stderr, bad.output
    wrong = cli("log", "export", "--out", str(tmp_path / "x.csv"), "--from", "05/11/2026", "--to", "01/11/2026")
    assert wrong.exit_code == 1 and "Ngày bắt đầu" in wrong.stderr, wrong.output


def test_awkward_text_survives_the_csv_round_trip(ctx: Any, cli: Any, tmp_path: Path) -> None:
    """Quotes, commas, line breaks and emoji in a title still verify after Excel-style CSV quoting."""
    with ctx.session() as session:
        at = local(5, 6)
        evidence.append_entry(
            session, occurrence_key=None, status="completed", scheduled_at=at, started_at=at, ended_at=at,
            title='Thông báo "khẩn", họp thôn\nlúc 19 giờ 😀', category="Thông báo, họp", zone="Thôn Đông",
            seconds_played=1e-7, items=[{"kind": "pause", "seconds": 0.5}],
        )
    path = export(cli, tmp_path, "la.csv")
    rows, _ = read_csv_rows(path)
    assert rows[0]["title"] == 'Thông báo "khẩn", họp thôn\nlúc 19 giờ 😀'
    result = cli("log", "verify", "--file", str(path), "--public-key", public_key(ctx))
    assert result.exit_code == 0, result.output
    garbage = tmp_path / "hong.csv"
    garbage.write_text("id,title\n1,x\n", encoding="utf-8")
    result = cli("log", "verify", "--file", str(garbage), "--public-key", public_key(ctx))
    assert result.exit_code == 1 and "không phải bản xuất" in result.stderr, result.output


@pytest.mark.parametrize("tz", ["Asia/Ho_Chi_Minh", "Europe/Berlin", "America/St_Johns", "Australia/Lord_Howe",
                                "Asia/Kathmandu", "UTC"])
def test_csv_local_times_are_what_datetime_writes(tz: str) -> None:
    """The CSV writer's cached conversion gives ``astimezone(zone).isoformat()`` exactly, DST included."""
    from zoneinfo import ZoneInfo

    from broadcaster.reports.csv_report import LocalTimes

    zone = ZoneInfo(tz)
    when = LocalTimes(zone)
    start = dt.datetime(2026, 3, 20, tzinfo=UTC)
    instants = [start + dt.timedelta(minutes=17 * n, microseconds=(n % 3) * 250001) for n in range(20000)]
    instants += [dt.datetime(1900, 1, 1, 0, 30, 7, tzinfo=UTC),  # local mean time, odd seconds
                 dt.datetime(2026, 10, 25, 0, 59, 59, 999999, tzinfo=UTC)]
    for instant in instants:  # spans both 2026 DST changes of the northern and southern zones
        stored = instant.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        assert when(stored) == instant.astimezone(zone).isoformat(), (tz, stored)
    assert when(None) == ""


def test_csv_rows_from_stored_text_match_the_decoded_entries(station: Any) -> None:
    """The fast CSV path (stored text) writes what the entity-based row writer writes."""
    from zoneinfo import ZoneInfo

    from broadcaster.reports.csv_report import entry_row, stored_rows
    from broadcaster.reports.query import select_entry_texts

    tz = station.settings.station.timezone
    with station.session() as session:
        decoded = [entry_row(e, ZoneInfo(tz)) for e in select_entries(session, Filters(), tz)]
        fast = [[("" if v is None else str(v)) for v in row]
                for row in stored_rows(select_entry_texts(session, Filters(), tz), ZoneInfo(tz))]
    assert len(fast) == len(decoded) == len(PLAN)
    items = 16
    for mine, reference in zip(fast, decoded, strict=True):
        assert mine[:items] + mine[items + 1:] == reference[:items] + reference[items + 1:], (mine, reference)
        assert json.loads(mine[items]) == json.loads(reference[items]), (mine[items], reference[items])
        assert "Bản tin" in mine[items], f"diacritics intact in the items cell: {mine[items]}"


def test_csv_of_entries_stored_before_canonical_items_verifies(station: Any, cli: Any, tmp_path: Path) -> None:
    """Entries whose items hold json.dumps' ASCII escapes export readable text and still verify."""
    from sqlalchemy import text

    for entry in db_entries(station)[:3]:
        with station.engine.begin() as connection:
            connection.execute(text("UPDATE evidence SET items = :v WHERE id = :id"),
                               {"v": json.dumps(entry.items), "id": entry.id})
    path = export(cli, tmp_path, "cu.csv")
    rows, _ = read_csv_rows(path)
    assert "\\u" not in rows[0]["items"] and "Bản tin 1" in rows[0]["items"], rows[0]["items"]
    result = cli("log", "verify", "--file", str(path), "--public-key", public_key(station))
    assert result.exit_code == 0, result.output
