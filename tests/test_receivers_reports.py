"""What the village boxes aired reaches the office: the exports (CSV, JSON, XLSX, PDF, the panel's
download), `log list` and the campaign coverage count it, marked with the box, with its own chain.

Each test reads the exported file back as the office (or the province) would: csv, openpyxl,
pdftotext, `log verify --file`.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from broadcaster import evidence
from broadcaster.context import init_home
from broadcaster.models import utcnow

pytest_plugins = ["web_fixtures"]
from receiver_helpers import BoxChain, enrol_box  # noqa: E402

FAIL_REASON = "Máy thu không giữ chương trình (chưa tải được)"


@pytest.fixture
def aired(web_app: Any, cli: Any, ctx: Any, tmp_path: Path) -> dict[str, Any]:
    """Two boxes that aired (and failed) in their villages, and one airing of the commune's own."""
    campaign = cli("campaign", "add", "Chuyển đổi số", "--from", (dt.date.today() - dt.timedelta(days=2)).isoformat(),
                   "--until", (dt.date.today() + dt.timedelta(days=7)).isoformat(), "--json")
    assert campaign.exit_code == 0, campaign.output
    contexts = []
    boxes: dict[str, Any] = {}
    client = web_app.test_client()
    base = utcnow() - dt.timedelta(hours=1)
    for name, zone in (("thon-dong-1", "Thôn Đông"), ("thon-tay-1", "Thôn Tây")):
        box_ctx, _ = init_home(tmp_path / name)
        contexts.append(box_ctx)
        enrolled = enrol_box(web_app, cli, name, zone)
        boxes[name] = (BoxChain(box_ctx, enrolled["private_key"]), enrolled)
    east, east_id = boxes["thon-dong-1"]
    # a commune-wide slot the east box played (its zone field is empty: the slot is commune-wide)
    east.add(2, zone="", campaign="Chuyển đổi số", title="Bản tin chuyển đổi số", base=base)
    east.add(1, "failed", reason=FAIL_REASON, zone="", title="Bản tin chiều", base=base + dt.timedelta(minutes=5))
    assert east.upload(client, east_id["token"])["count"] == 3
    west, west_id = boxes["thon-tay-1"]
    west.add(1, zone="Thôn Tây", title="Thông báo thôn Tây", base=base + dt.timedelta(minutes=10),
             aircheck_sha256="ab" * 32)
    assert west.upload(client, west_id["token"])["count"] == 1
    with ctx.session() as session:  # the commune's own loudspeakers aired something too
        evidence.append_entry(session, occurrence_key="slot-1@own", status="completed", scheduled_at=base,
                              started_at=base, ended_at=base, seconds_played=30.0, title="Bản tin của xã",
                              output="main", host="xa")
    assert cli("log", "checkpoint").exit_code == 0
    yield {"boxes": boxes, "client": client}
    for box_ctx in contexts:
        box_ctx.dispose()


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8-sig")
    table = text.split("\r\n\r\n", 1)[0]
    return list(csv.DictReader(io.StringIO(table)))


def test_csv_export_lists_each_box_with_its_chain_and_verifies(cli: Any, ctx: Any, aired: Any, tmp_path: Path) -> None:
    out = tmp_path / "thang.csv"
    result = cli("log", "export", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = _csv_rows(out.read_bytes())
    own = [r for r in rows if not r["Máy thu"]]
    east = [r for r in rows if r["Máy thu"] == "thon-dong-1"]
    west = [r for r in rows if r["Máy thu"] == "thon-tay-1"]
    assert [r["Nội dung"] for r in own] == ["Bản tin của xã"]
    assert [r["Số"] for r in east] == ["1", "2", "3"], "numbered in the box's own chain"
    assert [r["Kết quả"] for r in east] == ["completed", "completed", "failed"]
    assert east[2]["Lý do"] == FAIL_REASON
    assert len(west) == 1 and west[0]["Nơi phát"] == "Thôn Tây"
    verified = cli("log", "verify", "--file", str(out), "--public-key", str(ctx.settings.public_key_path))
    assert verified.exit_code == 0, verified.output
    assert "Máy thu thon-dong-1 (Thôn Đông): 3 mục" in verified.stdout, verified.stdout
    # A filtered export (one village, failures only) still proves what it holds.
    narrow = tmp_path / "tay.csv"
    assert cli("log", "export", "--format", "csv", "--zone", "Thôn Đông", "--status", "failed",
               "--out", str(narrow)).exit_code == 0
    picked = _csv_rows(narrow.read_bytes())
    assert [(r["Máy thu"], r["Số"]) for r in picked] == [("thon-dong-1", "3")], picked
    narrow_check = cli("log", "verify", "--file", str(narrow), "--public-key", str(ctx.settings.public_key_path))
    assert narrow_check.exit_code == 0, narrow_check.output
    aired_only = tmp_path / "da-phat.csv"
    assert cli("log", "export", "--format", "csv", "--status", "completed", "--out", str(aired_only)).exit_code == 0
    text = aired_only.read_bytes().decode("utf-8-sig")
    assert "#receiver-link,thon-dong-1,3," in text, "the left-out failure travels as a link to the signature"
    aired_check = cli("log", "verify", "--file", str(aired_only), "--public-key", str(ctx.settings.public_key_path))
    assert aired_check.exit_code == 0, aired_check.output
    # Someone makes a failed airing at a village look aired: the offline check names box and entry.
    forged = out.read_bytes().decode("utf-8-sig").replace(f",failed,{FAIL_REASON},", ",completed,,", 1)
    assert forged != out.read_bytes().decode("utf-8-sig")
    bad = tmp_path / "sua.csv"
    bad.write_bytes(forged.encode("utf-8-sig"))
    broken = cli("log", "verify", "--file", str(bad), "--public-key", str(ctx.settings.public_key_path))
    assert broken.exit_code == 1 and "thon-dong-1" in broken.stderr and "#3" in broken.stderr, broken.stderr


def test_json_export_and_log_list_mark_the_box(cli: Any, ctx: Any, aired: Any, tmp_path: Path) -> None:
    out = tmp_path / "thang.json"
    assert cli("log", "export", "--out", str(out)).exit_code == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert [e["title"] for e in document["entries"]] == ["Bản tin của xã"]
    boxes = {(e["receiver"], e["id"]): e for e in document["receiver_entries"]}
    assert boxes[("thon-dong-1", 3)]["status"] == "failed" and boxes[("thon-dong-1", 3)]["receiver_zone"] == "Thôn Đông"
    assert {c["name"]: c["head"]["count"] for c in document["receivers"]} == {"thon-dong-1": 3, "thon-tay-1": 1}
    verified = cli("log", "verify", "--file", str(out), "--public-key", str(ctx.settings.public_key_path))
    assert verified.exit_code == 0 and "thon-tay-1" in verified.stdout, verified.output
    listed = json.loads(cli("log", "list", "--json").stdout)
    assert {e["receiver"] for e in listed} == {None, "thon-dong-1", "thon-tay-1"}
    village = json.loads(cli("log", "list", "--zone", "Thôn Tây", "--json").stdout)
    assert [e["receiver"] for e in village if e["receiver"]] == ["thon-tay-1"], "the zone is where the box stands"


def test_xlsx_and_pdf_show_what_each_box_aired_and_what_failed(cli: Any, aired: Any, tmp_path: Path) -> None:
    xlsx = tmp_path / "thang.xlsx"
    assert cli("log", "export", "--format", "xlsx", "--out", str(xlsx)).exit_code == 0
    book = load_workbook(xlsx, read_only=True)
    sheet = [tuple(row) for row in book["Máy thu các thôn"].iter_rows(values_only=True)]
    by_box = {row[0]: row for row in sheet if row and isinstance(row[0], str) and "(" in row[0]}
    assert by_box["thon-dong-1 (Thôn Đông)"][1:3] == (3, 2), "3 scheduled, 2 aired"
    assert by_box["thon-dong-1 (Thôn Đông)"][5] == 1, "1 failed"
    detail = [row for row in sheet if row and row[0] in ("thon-dong-1", "thon-tay-1")]
    assert len(detail) == 4 and any(FAIL_REASON in str(row) for row in detail)
    proof = " ".join(str(c) for row in book["Xác thực"].iter_rows(values_only=True) for c in row if c)
    assert "Máy thu thon-dong-1" in proof and "Máy thu thon-tay-1" in proof

    pdf = tmp_path / "thang.pdf"
    assert cli("log", "export", "--format", "pdf", "--out", str(pdf)).exit_code == 0
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                                   text=True).stdout.split())
    section = text.split("V. Phát tại các thôn qua máy thu", 1)[1].split("VI. Xác thực nhật ký", 1)[0]
    assert "thon-dong-1" in section and "thon-tay-1" in section and "Thông báo thôn Tây" in section
    assert "Máy thu thon-dong-1 (Thôn Đông), mục #3" in section and FAIL_REASON in section
    assert "Máy thu thon-tay-1" in text.split("VI. Xác thực nhật ký", 1)[1]


def test_panel_export_and_coverage_count_the_box_in_its_village_only(login_as: Any, cli: Any,
                                                                      aired: Any) -> None:
    office = login_as("office")
    answer = office.get("/logs/export.csv")
    assert answer.status_code == 200
    rows = _csv_rows(answer.data)
    assert sum(1 for r in rows if r["Máy thu"] == "thon-dong-1") == 3
    campaign_id = json.loads(cli("campaign", "list", "--json").stdout)[0]["id"]
    coverage = json.loads(cli("campaign", "coverage", str(campaign_id), "--json").stdout)
    heard: dict[str, list[int]] = {}
    for cell in coverage["cells"]:
        heard.setdefault(cell["zone"], [0, 0])
        heard[cell["zone"]][0] += cell["airings"]
        heard[cell["zone"]][1] += cell["from_receivers"]
    # the east box played the commune-wide campaign slot twice: heard in Thôn Đông, not Thôn Tây
    assert heard["Thôn Đông"] == [2, 2] and heard["Thôn Tây"] == [0, 0], heard


def test_logs_page_lists_what_the_boxes_aired_to_whoever_may_see_it(login_as: Any, aired: Any) -> None:
    page = login_as("office").get("/logs").get_data(as_text=True)
    section = page.split('id="receiver-airings"', 1)[1]
    assert "thon-dong-1" in section and "thon-tay-1" in section and FAIL_REASON in section
    village = login_as("village").get("/logs").get_data(as_text=True)  # the head of Thôn Đông
    mine = village.split('id="receiver-airings"', 1)[1]
    assert "thon-dong-1" in mine and "thon-tay-1" not in mine, "a village sees its own boxes only"
    rows = section.split("</table>", 1)[0]
    assert "12 giây" in rows and " phút</td>" not in rows and "0.2" not in rows, "durations as the panel writes them"
    assert "ab" * 32 in rows and "chưa gửi về xã" in rows, "a box's air-check hash is shown beside its entry, and that its audio has not reached the commune"


def test_the_report_to_the_province_counts_the_boxes_in_their_villages(cli: Any, ctx: Any, aired: Any) -> None:
    from broadcaster.reports.directive_report import build_report

    campaign_id = json.loads(cli("campaign", "list", "--json").stdout)[0]["id"]
    with ctx.session() as session:
        report = build_report(session, ctx.settings, campaign_id)
    zones = report.figures["zones"]
    assert zones["Thôn Đông"]["airings"] == 2 and zones["Thôn Đông"]["from_receivers"] == 2, zones
    assert zones["Thôn Tây"]["airings"] == 0, zones


def test_logs_page_reads_the_newest_box_entries_the_filters_ask_for(login_as: Any, ctx: Any,
                                                                    aired: Any) -> None:
    """The page asks the database for its 50 rows; they are exactly the newest 50 of what the
    exports would select, for every filter, and the page shows them newest first."""
    from broadcaster.reports.query import Filters
    from broadcaster.reports.receiver_rows import latest_receiver_entries, select_receiver_entries

    east, east_id = aired["boxes"]["thon-dong-1"]
    base = utcnow() - dt.timedelta(days=3)
    east.add(40, zone="", title="Bản tin cũ", base=base)
    east.add(60, "missed", reason="Mất điện", zone="", title="Bản tin lỡ", base=base + dt.timedelta(hours=2))
    assert east.upload(aired["client"], east_id["token"])["count"] == 103
    tz = ctx.settings.station.timezone
    today = dt.datetime.now(dt.timezone.utc).astimezone(ZoneInfo(tz)).date()
    cases = [Filters(), Filters(status="missed"), Filters(zone="thôn đông"), Filters(zone="Thôn Tây"),
             Filters(status="completed", zone="Thôn Đông"), Filters(campaign="Chuyển đổi số"),
             Filters(date_from=today - dt.timedelta(days=3), date_to=today - dt.timedelta(days=1)),
             Filters(date_from=today), Filters(zone="Không có thôn này")]
    with ctx.session() as session:
        for filters in cases:
            every = select_receiver_entries(session, filters, tz)
            every.sort(key=lambda a: (a.scheduled_at or a.started_at or a.recorded_at, a._row.id), reverse=True)
            page = latest_receiver_entries(session, filters, tz, limit=50)
            assert [(a.receiver, a.id) for a in page] == [(a.receiver, a.id) for a in every[:50]], filters
            assert len(page) == min(50, len(every))
        assert len(latest_receiver_entries(session, Filters(status="missed"), tz, limit=50)) == 50
    section = login_as("office").get("/logs").get_data(as_text=True).split('id="receiver-airings"', 1)[1]
    assert "50 mục gần nhất" in section
    assert section.index("Thông báo thôn Tây") < section.index("Bản tin lỡ"), "newest first"
    assert "Bản tin cũ" not in section, "the oldest entries are past the 50 newest"
