"""The directive's loop: a month of a campaign, two villages reporting, the report to the province.

October 2025 of the Resolution 57 campaign in two villages. The commune's daily programme reaches
both; Thôn Đông also hears its own programme three times a week; the peak (8–12/10) adds one more
airing a day. Two airings go wrong (a power cut, a sound device). Thôn Đông reports on time and is
accepted; Thôn Tây reports late. The compiled DOCX (read back with python-docx) and PDF (read
back with pdftotext, pages rendered to PNG in tests/artifacts/) must hold the header, the coverage
the evidence gives, the villages' totals, the difficulties and the signature block.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from broadcaster import bulletins, evidence, schedule, village_reports, zones
from broadcaster.checkpoints import make_checkpoint
from broadcaster.keys import load_private_key
from broadcaster.models import Campaign
from broadcaster.reports.coverage import heard_in_zones

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
TZ = "Asia/Ho_Chi_Minh"
ICT = dt.timezone(dt.timedelta(hours=7))
UTC = dt.timezone.utc
DOCUMENT = ("Kế hoạch số 160/KH-SVHTTDL ngày 18/8/2025 của Sở Văn hóa, Thể thao và Du lịch tỉnh "
            "về tuyên truyền thực hiện Nghị quyết số 57-NQ/TW")
THEMES = ("Quan điểm, mục tiêu, nhiệm vụ của Nghị quyết 57", "Phong trào Bình dân học vụ số")
DONG_REPORT = {
    "meetings": [
        {"kind": "chi_bo", "date": "2025-10-03", "participants": 18},
        {"kind": "hop_thon", "date": "2025-10-12", "participants": 96},
        {"kind": "doan_the", "date": "2025-10-20", "participants": 35},
    ],
    "loudspeaker_sessions": 8, "banners": 2, "slogans": 3, "zalo_posts": 4,
    "zalo_links": ["https://zalo.me/g/thondong/1", "https://zalo.me/g/thondong/2"],
    "leaflets": 150, "talks": 1,
    "difficulties": "Cụm loa cuối thôn hay mất điện vào buổi chiều.",
    "proposals": "Đề nghị xã hỗ trợ bộ lưu điện cho cụm loa cuối thôn.",
}
TAY_REPORT = {
    "meetings": [{"kind": "hop_thon", "date": "2025-10-18", "participants": 72}],
    "loudspeaker_sessions": 4, "banners": 1, "slogans": 0, "zalo_posts": 6, "leaflets": 80, "talks": 0,
    "difficulties": "Nhiều hộ chưa có điện thoại thông minh để học kỹ năng số.",
    "proposals": "Mở thêm lớp Bình dân học vụ số vào buổi tối.",
}


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 10, day, hour, minute, tzinfo=ICT).astimezone(UTC)


@pytest.fixture
def month(ctx: Any, cli: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The campaign, its bulletins and slots, a month of evidence and both villages' reports."""
    result = cli("campaign", "add", "Nghị quyết số 57-NQ/TW về đột phá phát triển khoa học, công nghệ",
                 "--from", "2025-09-15", "--until", "2025-12-31", "--document", DOCUMENT,
                 "--theme", THEMES[0], "--theme", THEMES[1], "--target-per-week", "8",
                 "--peak-from", "2025-10-08", "--peak-until", "2025-10-12", "--peak-target", "2", "--json")
    assert result.exit_code == 0, result.output
    campaign_id = json.loads(result.stdout)["id"]
    with ctx.session() as session:
        dong = zones.add_zone(session, "Thôn Đông")
        tay = zones.add_zone(session, "Thôn Tây")
        made = []
        for title, theme in (("Nghị quyết 57: những điểm mới", THEMES[0]),
                             ("Bình dân học vụ số ở thôn Đông", THEMES[1])):
            b = bulletins.add_bulletin(session, title=title, body=f"{title}. Kính mời bà con theo dõi.",
                                       campaign_id=campaign_id, theme=theme)
            bulletins.transition(session, b, "approve", None)
            made.append(b)
        commune_slot = schedule.add_slot(
            session, items=[schedule.ItemSpec(kind="bulletin", bulletin_id=made[0].id)], default_tz=TZ,
            daily="06:00", starts_on=dt.date(2025, 10, 1), ends_on=dt.date(2025, 10, 31),
            now=at(1, 0) - dt.timedelta(days=1))
        dong_slot = schedule.add_slot(
            session, items=[schedule.ItemSpec(kind="bulletin", bulletin_id=made[1].id)], default_tz=TZ,
            daily="17:00", days="mon,wed,fri", zones=["Thôn Đông"], starts_on=dt.date(2025, 10, 1),
            ends_on=dt.date(2025, 10, 31), now=at(1, 0) - dt.timedelta(days=1))
        peak_slot = schedule.add_slot(
            session, items=[schedule.ItemSpec(kind="bulletin", bulletin_id=made[1].id)], default_tz=TZ,
            daily="11:00", starts_on=dt.date(2025, 10, 8), ends_on=dt.date(2025, 10, 12),
            now=at(1, 0) - dt.timedelta(days=1))
        campaign_name = session.get(Campaign, campaign_id).name
        plan = []  # (slot, bulletin, day, hour, zone, status, seconds, reason)
        for day in range(1, 32):
            status, reason = "completed", ""
            if day == 7:
                status, reason = "missed", "Mất điện lưới cả xã từ 5 giờ đến 7 giờ"
            elif day == 15:
                status, reason = "failed", "Không mở được thiết bị âm thanh"
            plan.append((commune_slot, made[0], day, 6, "", status, 120.0 if status == "completed" else 0.0, reason))
            if dt.date(2025, 10, day).weekday() in (0, 2, 4):
                interrupted = day == 22
                plan.append((dong_slot, made[1], day, 17, "Thôn Đông", "interrupted" if interrupted else "completed",
                             40.0 if interrupted else 90.0, "Bị ngắt bởi bản tin khẩn cấp" if interrupted else ""))
            if 8 <= day <= 12:
                plan.append((peak_slot, made[1], day, 11, "", "completed", 90.0, ""))
        for slot, bulletin, day, hour, zone, status, seconds, reason in sorted(plan, key=lambda p: (p[2], p[3])):
            start = at(day, hour)
            played = status != "missed" and status != "failed"
            evidence.append_entry(
                session, occurrence_key=f"slot-{slot.id}@2025-10-{day:02d}", status=status,
                scheduled_at=start, started_at=start if played else None,
                ended_at=start + dt.timedelta(seconds=seconds) if played else None, reason=reason,
                seconds_played=seconds, title=bulletin.title, category="Tuyên truyền",
                campaign=campaign_name, zone=zone, output="main (pulse:loaxa)", host="tram-phat",
                items=[{"kind": "bulletin", "title": bulletin.title, "text_sha256": f"{bulletin.id:064x}",
                        "audio_sha256": f"{bulletin.id + 50:064x}", "engine": "espeak", "seconds": seconds}]
                if played else [],
                slot_id=slot.id, now=start + dt.timedelta(minutes=5),
            )
        make_checkpoint(session, load_private_key(ctx.settings.key_path), at(31, 23))
        period = village_reports.get_period(session, "2025-10", 5)
        on_time = village_reports.save(session, dong, period, DONG_REPORT, None, submit=True,
                                       now=dt.datetime(2025, 11, 3, 9, 0, tzinfo=ICT))
        village_reports.review(session, on_time, "accept", None, now=dt.datetime(2025, 11, 4, 9, 0, tzinfo=ICT))
        village_reports.save(session, tay, period, TAY_REPORT, None, submit=True,
                             now=dt.datetime(2025, 11, 8, 15, 0, tzinfo=ICT))
    monkeypatch.setenv("BROADCASTER_COMMUNE_SIGNER_NAME", "Nguyễn Văn Bình")
    return {"campaign_id": campaign_id, "campaign": campaign_name}


def evidence_counts(cli: Any) -> dict[str, Any]:
    """Per village, from ``log list --json`` alone: completed airings heard there, and minutes."""
    result = cli("log", "list", "--from", "2025-10-01", "--to", "2025-10-31", "--json")
    assert result.exit_code == 0, result.output
    airings: Counter[str] = Counter()
    minutes: Counter[str] = Counter()
    weeks: Counter[tuple[str, str]] = Counter()
    for entry in json.loads(result.stdout):
        if entry["status"] != "completed":
            continue
        reached = ["Thôn Đông", "Thôn Tây"] if not entry["zone"] else [entry["zone"]]
        day = dt.datetime.fromisoformat(entry["scheduled_at"]).date()
        for zone in reached:
            airings[zone] += 1
            minutes[zone] += entry["seconds_played"] / 60
            weeks[(zone, (day - dt.timedelta(days=day.weekday())).isoformat())] += 1
    return {"airings": airings, "minutes": minutes, "weeks": weeks}


def docx_text(path: Path) -> tuple[str, list[list[str]], Any]:
    from docx import Document

    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    rows = []
    for table in document.tables:
        for row in table.rows:
            cells = [cell.text for cell in row.cells]
            rows.append(cells)
            parts.extend(cells)
    return "\n".join(parts), rows, document


def test_village_reports_period_states_and_history(month: dict[str, Any], cli: Any, ctx: Any) -> None:
    result = cli("report", "villages", "--period", "2025-10", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["zone"]: r for r in json.loads(result.stdout)}
    assert rows["Thôn Đông"]["status"] == "accepted" and rows["Thôn Đông"]["late"] is False, rows
    assert rows["Thôn Tây"]["status"] == "late" and rows["Thôn Tây"]["late"] is True, rows
    assert rows["Thôn Tây"]["due_on"] == "2025-11-05"
    assert rows["Thôn Đông"]["content"]["zalo_links"] == DONG_REPORT["zalo_links"]
    with ctx.session() as session:
        report = village_reports.get_report(session, rows["Thôn Tây"]["id"])
        village_reports.review(session, report, "return", None, "Thiếu danh sách người dự họp")
        assert [e.action for e in report.events] == ["save", "submit", "return"]
    again = json.loads(cli("report", "villages", "--period", "2025-10", "--json").stdout)
    tay = next(r for r in again if r["zone"] == "Thôn Tây")
    assert tay["status"] == "returned" and tay["return_reason"] == "Thiếu danh sách người dự họp", tay
    assert tay["late"] is True, "a late first submission stays late after a return"
    bad = cli("report", "villages", "--period", "10/2025")
    assert bad.exit_code == 1 and "Kỳ báo cáo không hợp lệ" in bad.stderr, bad.output


def test_village_report_content_is_checked(ctx: Any) -> None:
    with ctx.session() as session:
        zone = zones.add_zone(session, "Thôn Bắc")
        period = village_reports.get_period(session, "2025-10", 5)
        for raw, message in (
            ({"meetings": [{"kind": "hội nghị", "date": "2025-10-02"}]}, "loại phải là"),
            ({"meetings": [{"kind": "chi_bo", "date": "2025-11-02"}]}, "không thuộc kỳ báo cáo"),
            ({"banners": -1}, "phải từ 0"),
            ({"zalo_links": ["javascript:alert(1)"]}, "không hợp lệ"),
        ):
            with pytest.raises(village_reports.ValidationError, match=message):
                village_reports.save(session, zone, period, raw, None)
        report = village_reports.save(session, zone, period, {"zalo_links": ["https://zalo.me/a"]}, None,
                                      submit=True)
        assert report.content["zalo_posts"] == 1, "a linked post counts as a post"
        with pytest.raises(village_reports.WorkflowError, match="không sửa được"):
            village_reports.save(session, zone, period, {}, None)


def test_coverage_counts_completed_airings_per_zone_and_week(month: dict[str, Any], cli: Any) -> None:
    counts = evidence_counts(cli)
    result = cli("campaign", "coverage", str(month["campaign_id"]), "--from", "2025-10-01", "--to",
                 "2025-10-31", "--json")
    assert result.exit_code == 0, result.output
    coverage = json.loads(result.stdout)
    cells = {(c["zone"], c["week"]): c for c in coverage["cells"]}
    for (zone, week), airings in counts["weeks"].items():
        assert cells[(zone, week)]["airings"] == airings, (zone, week)
    # Week of 6–12/10: Tây heard 6 daily airings (7/10 missed) + 5 peak = 11 ≥ 8; Đông 3 more.
    assert cells[("Thôn Tây", "2025-10-06")]["airings"] == 11 and cells[("Thôn Tây", "2025-10-06")]["met"]
    # Week of 13–19/10: Tây heard 6 (15/10 failed) < 8; Đông 6 + 3 = 9 ≥ 8.
    assert cells[("Thôn Tây", "2025-10-13")]["verdict"] == "Chưa đạt"
    assert cells[("Thôn Đông", "2025-10-13")]["verdict"] == "Đạt"
    # 1–5/10 is 5 days of its week: 8 × 5/7 → 6 airings asked.
    assert cells[("Thôn Đông", "2025-09-29")]["target_airings"] == 6
    peak = {(p["zone"], p["day"]): p for p in coverage["peak"]}
    assert all(p["met"] for p in peak.values()) and len(peak) == 10, peak


def test_receiver_entries_count_in_their_zone_once() -> None:
    when = at(3, 6)

    def row(n: int, zone: str, receiver: str | None, slot: int = 1, status: str = "completed") -> Any:
        return SimpleNamespace(id=n, corrects_id=None, status=status, zone=zone, slot_id=slot,
                               scheduled_at=when, receiver=receiver)

    heard = heard_in_zones([row(1, "", None), row(2, "Thôn Tây", "may-thu-tay"), row(3, "Thôn Tây", "may-thu-tay", 2),
                            row(4, "Thôn Đông", "may-thu-dong", 3, "failed")], ["Thôn Đông", "Thôn Tây"])
    assert [e.id for e in heard["Thôn Tây"]] == [1, 3], "same slot and instant in one zone is one airing"
    assert [e.id for e in heard["Thôn Đông"]] == [1]


def test_compiled_report_docx_and_pdf(month: dict[str, Any], cli: Any, tmp_path: Path) -> None:
    counts = evidence_counts(cli)
    docx_path = tmp_path / "bao-cao.docx"
    result = cli("report", "compile", "--campaign", str(month["campaign_id"]), "--from", "2025-10-01",
                 "--to", "2025-10-31", "--format", "docx", "--out", str(docx_path))
    assert result.exit_code == 0, result.output
    text, rows, document = docx_text(docx_path)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297), "A4"
    assert (round(section.left_margin.mm), round(section.right_margin.mm),
            round(section.top_margin.mm), round(section.bottom_margin.mm)) == (30, 15, 20, 20)
    fonts = {run.font.name for p in document.paragraphs for run in p.runs if run.text.strip()}
    sizes = {run.font.size.pt for p in document.paragraphs for run in p.runs if run.text.strip() and run.font.size}
    assert fonts == {"Times New Roman"} and 14 in sizes, (fonts, sizes)

    pdf_path = tmp_path / "bao-cao.pdf"
    result = cli("report", "compile", "--campaign", str(month["campaign_id"]), "--from", "2025-10-01",
                 "--to", "2025-10-31", "--out", str(pdf_path))
    assert result.exit_code == 0, result.output
    pdf_text = subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], check=True,
                              capture_output=True, text=True).stdout
    flat_pdf = " ".join(pdf_text.split())

    expected = [
        "ỦY BAN NHÂN DÂN", "XÃ TÂN HÒA", "/BC-UBND", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO",
        "Kết quả tuyên truyền thực hiện Nghị quyết số 57-NQ/TW",
        "Kính gửi: Sở Văn hóa, Thể thao và Du lịch tỉnh Thái Nguyên",
        "Thực hiện Kế hoạch số 160/KH-SVHTTDL ngày 18/8/2025",
        "I. KẾT QUẢ THỰC HIỆN", "II. KHÓ KHĂN, VƯỚNG MẮC", "III. ĐỀ XUẤT, KIẾN NGHỊ",
        "Cụm loa cuối thôn hay mất điện vào buổi chiều.", "Nhiều hộ chưa có điện thoại thông minh",
        "Mở thêm lớp Bình dân học vụ số vào buổi tối.",
        "Nơi nhận:", "- Như trên;", "- Sở VHTTDL tỉnh;", "- Lưu: VT, VHXH.",
        "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Văn Bình",
        "Mất điện lưới cả xã từ 5 giờ đến 7 giờ", "Không mở được thiết bị âm thanh",
        "PHỤ LỤC: XÁC THỰC NHẬT KÝ PHÁT THANH", "nộp muộn: Thôn Tây",
        "ký lúc 23:00:00 ngày 31/10/2025",  # the checkpoint in the commune's time, not UTC
    ]
    flat_docx = " ".join(text.split())
    for phrase in expected:
        assert phrase in flat_docx, f"DOCX lacks {phrase!r}"
        assert phrase in flat_pdf, f"PDF lacks {phrase!r}"
    for flat in (flat_docx, flat_pdf):
        assert "UTC" not in flat and not re.search(r"\d{4}-\d\d-\d\dT\d", flat), "no UTC/ISO times"
    for flat in (flat_docx, flat_pdf):  # no districts since 1/7/2025 ("nói chuyện" is fine)
        assert not re.search(r"\bhuyện\b", flat, re.IGNORECASE), flat

    # Coverage by village: the DOCX row equals what the evidence says, and so does the PDF line.
    for zone in ("Thôn Đông", "Thôn Tây"):
        row = next(r for r in rows if r[0] == zone and len(r) == 6)
        minutes = f"{counts['minutes'][zone]:.1f}".replace(".", ",")
        assert row[1] == str(counts["airings"][zone]) and row[2] == minutes, (zone, row, counts)
        assert any(line.split()[:2] == zone.split() and line.split()[2:4] == [row[1], row[2]]
                   for line in pdf_text.splitlines() if line.strip()), (zone, row)
    # The villages' totals (Đông + Tây): meetings by kind, posts, leaflets.
    totals = {r[0]: r[1:] for r in rows if len(r) in (2, 3)}
    assert totals["Họp thôn, khu phố"] == ["2", "168"], totals
    assert totals["Sinh hoạt chi bộ"] == ["1", "18"], totals
    assert totals["Bài đăng trên nhóm Zalo cộng đồng"] == ["10"], totals
    assert totals["Tờ rơi, tài liệu đã phát"] == ["230"], totals
    for label in ("Họp thôn, khu phố 2 168", "Tờ rơi, tài liệu đã phát 230"):
        assert label in flat_pdf, label

    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for old in ARTIFACTS.glob("bao-cao-xa-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-png", "-r", "70", str(pdf_path), str(ARTIFACTS / "bao-cao-xa")], check=True)
        pages = sorted(ARTIFACTS.glob("bao-cao-xa-*.png"))
        assert len(pages) >= 3, pages


def test_minutes_per_theme_are_made_when_an_item_is_garbled(month: dict[str, Any], ctx: Any) -> None:
    """A box's uploaded entry keeps its items as the box wrote them: one without a readable length,
    or not an item at all, counts nothing — the province's report is still made."""
    from sqlalchemy import select

    from broadcaster.models import Bulletin
    from broadcaster.reports.directive_report import by_theme

    with ctx.session() as session:
        campaign = session.get(Campaign, month["campaign_id"])
        bulletin = session.scalars(select(Bulletin).where(Bulletin.campaign_id == campaign.id)).first()
        aired = [SimpleNamespace(slot_id=None, seconds_played=300.0, items=[
            {"kind": "bulletin", "title": bulletin.title, "seconds": 90.0},
            {"kind": "bulletin", "title": bulletin.title, "seconds": "không rõ"},
            {"kind": "bulletin", "title": bulletin.title, "seconds": float("nan")},
            "rác", None, ["không", "phải", "mục"]])]
        rows = [row for row in by_theme(session, campaign, aired) if row.minutes or row.airings]
    assert [round(row.minutes, 2) for row in rows] == [1.5], rows
    assert [evidence.item_seconds(v) for v in ({"seconds": 61.5}, {"seconds": True}, {"seconds": -3},
                                                {}, "x", {"seconds": "4"})] == [61.5, 0.0, 0.0, 0.0, 0.0, 4.0]
