"""``/logs``: evidence with filters, the chain's verification, paging, who sees what."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from web_helpers import OTHER_ZONE, ZONE, post

pytest_plugins = ["web_fixtures"]

VN = ZoneInfo("Asia/Ho_Chi_Minh")




def add_entries(app, rows: list[dict]) -> None:
    from broadcaster import evidence

    with app.extensions["broadcaster"].session() as session:
        for n, row in enumerate(rows):
            when = row.pop("when")
            evidence.append_entry(
                session,
                occurrence_key=f"slot-1@{when.date().isoformat()}-{n}",
                scheduled_at=when, started_at=when,
                ended_at=when + dt.timedelta(seconds=row.get("seconds_played", 0)),
                **{"status": "completed", "seconds_played": 60.0, **row},
            )


@pytest.fixture
def day_of_airings(web_app):
    day = dt.datetime(2025, 3, 10, 6, 0, tzinfo=VN)
    add_entries(web_app, [
        {"when": day, "title": "Tin sáng toàn xã", "category": "Thời sự"},
        {"when": day + dt.timedelta(hours=1), "title": "Họp thôn Đông", "zone": ZONE,
         "category": "Thông báo", "campaign": "Tiêm chủng"},
        {"when": day + dt.timedelta(hours=2), "title": "Họp thôn Tây", "zone": OTHER_ZONE,
         "category": "Thông báo"},
        {"when": day + dt.timedelta(days=1), "title": "Tin lỡ", "status": "missed",
         "reason": "Trạm tắt máy", "seconds_played": 0.0, "zone": f"{ZONE}, {OTHER_ZONE}"},
    ])
    return day


def titles(html: str) -> list[str]:
    table = html.split('id="evidence"', 1)[1].split("</table>", 1)[0] if 'id="evidence"' in html else ""
    return [t.strip() for t in re.findall(r'<td data-label="Nội dung">([^<]+)', table)]


def test_office_reads_everything_and_filters(web_app, login_as, day_of_airings) -> None:
    office = login_as("office")
    page = office.get("/logs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert titles(html) == ["Tin lỡ", "Họp thôn Tây", "Họp thôn Đông", "Tin sáng toàn xã"], titles(html)
    assert "10/03/2025 06:00" in html, "giờ địa phương dd/mm/yyyy"
    assert "Trạm tắt máy" in html and "Bị lỡ" in html
    cases = {
        "?status=missed": ["Tin lỡ"],
        "?category=Thông báo": ["Họp thôn Tây", "Họp thôn Đông"],
        "?campaign=Tiêm chủng": ["Họp thôn Đông"],
        f"?zone={OTHER_ZONE}": ["Tin lỡ", "Họp thôn Tây", "Tin sáng toàn xã"],
        "?from=2025-03-11&to=2025-03-11": ["Tin lỡ"],
        "?from=10/03/2025&to=10/03/2025": ["Họp thôn Tây", "Họp thôn Đông", "Tin sáng toàn xã"],
    }
    for query, expected in cases.items():
        assert titles(office.get("/logs" + query).get_data(as_text=True)) == expected, query
    bad = office.get("/logs?from=31/02/2025")
    assert bad.status_code == 400 and "Ngày không hợp lệ" in bad.get_data(as_text=True)
    wrong = office.get("/logs?status=played")
    assert wrong.status_code == 400 and "Trạng thái không hợp lệ" in wrong.get_data(as_text=True)


def test_village_sees_only_own_zone_airings_whatever_it_asks(web_app, login_as, day_of_airings) -> None:
    village = login_as("village")  # zone Thôn Đông
    html = village.get("/logs").get_data(as_text=True)
    assert titles(html) == ["Tin lỡ", "Họp thôn Đông", "Tin sáng toàn xã"], titles(html)
    forged = village.get(f"/logs?zone={OTHER_ZONE}").get_data(as_text=True)
    assert "Họp thôn Tây" not in titles(forged), "trưởng thôn không được xem thôn khác"
    assert "Kiểm tra ngay" not in html and "Tải về" not in html
    from sqlalchemy import select

    from broadcaster.models import EvidenceEntry

    with web_app.extensions["broadcaster"].session() as session:
        west = session.scalar(select(EvidenceEntry.id).where(EvidenceEntry.title == "Họp thôn Tây"))
        east = session.scalar(select(EvidenceEntry.id).where(EvidenceEntry.title == "Họp thôn Đông"))
    assert village.get(f"/logs/{west}").status_code == 404
    detail = village.get(f"/logs/{east}")
    assert detail.status_code == 200 and "Mã băm" in detail.get_data(as_text=True)
    assert village.post("/logs/verify", data={"csrf_token": "token-village"}).status_code == 403


def test_chain_verification_shows_intact_then_tampering(web_app, login_as, day_of_airings) -> None:
    office = login_as("office")
    assert "Chưa kiểm tra chuỗi" in office.get("/logs").get_data(as_text=True)
    done = post(office, "/logs/verify")
    assert done.status_code == 302
    html = office.get(done.location).get_data(as_text=True)
    assert "nguyên vẹn" in html and "4 mục" in html, html
    assert html.count("Nhật ký nguyên vẹn: 4 mục") == 1, "the result is said once (the card), not in a flash too"
    assert "Nguyên vẹn: Nhật ký nguyên vẹn" not in html and " UTC" not in html, "không lặp chữ, không giờ UTC"
    as_json = office.get("/logs/verify?format=json").get_json()
    assert as_json["ok"] is True and as_json["count"] == 4, as_json
    # Someone edits an entry directly in the database: the check names it.
    with web_app.extensions["broadcaster"].session() as session:
        session.execute(text("UPDATE evidence SET seconds_played = 999 WHERE id = 2"))
    broken = office.get("/logs/verify?format=json").get_json()
    assert broken["ok"] is False and broken["first_bad_id"] == 2, broken
    page = office.get("/logs").get_data(as_text=True)
    assert "CÓ SAI LỆCH" in page and "/logs/2" in page


def test_paging_keeps_filters(web_app, login_as) -> None:
    base = dt.datetime(2025, 4, 1, 6, 0, tzinfo=VN)
    add_entries(web_app, [{"when": base + dt.timedelta(minutes=n), "title": f"Tin {n:03d}",
                           "category": "Thời sự" if n % 2 else "Khác"} for n in range(130)])
    office = login_as("office")
    first = office.get("/logs?category=Thời sự").get_data(as_text=True)
    assert len(titles(first)) == 50 and titles(first)[0] == "Tin 129"
    assert "page=2" in first and "category=Th%E1%BB%9Di+s%E1%BB%B1" in first.replace("&amp;", "&")
    third = office.get("/logs?category=Thời sự&page=2").get_data(as_text=True)
    assert len(titles(third)) == 15 and "Trang sau" not in third and "Trang trước" in third
    assert office.get("/logs?page=abc").status_code == 200


def test_every_role_may_open_logs_and_visitors_may_not(web_app, login_as, client) -> None:
    assert client.get("/logs").status_code == 302
    for role in ("admin", "editor", "approver", "village", "office"):
        assert login_as(role).get("/logs").status_code == 200, role


def test_html_in_evidence_is_escaped(web_app, login_as) -> None:
    add_entries(web_app, [{"when": dt.datetime(2025, 5, 1, 6, 0, tzinfo=VN),
                           "title": "<script>alert(1)</script>", "reason": "<img src=x>"}])
    html = login_as("office").get("/logs").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_exports_download_the_filtered_report(web_app, login_as, day_of_airings) -> None:
    import csv
    import io

    office = login_as("office")
    page = office.get("/logs?status=completed").get_data(as_text=True)
    assert "/logs/export.csv?status=completed" in page and "/logs/export.pdf" in page
    got = office.get("/logs/export.csv?status=completed")
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert "attachment" in got.headers["Content-Disposition"]
    text_ = got.get_data().decode("utf-8-sig")
    assert "Tin sáng toàn xã" in text_ and "Họp thôn Tây" in text_ and "Tin lỡ" not in text_
    assert len(list(csv.reader(io.StringIO(text_)))) > 3
    pdf = office.get("/logs/export.pdf")
    assert pdf.status_code == 200 and pdf.get_data()[:5] == b"%PDF-"
    xlsx = office.get("/logs/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.get_data()[:2] == b"PK"
    assert office.get("/logs/export.exe").status_code == 404
    assert login_as("village").get("/logs/export.csv").status_code == 403


def test_period_filter_uses_start_or_record_time_when_nothing_was_scheduled(web_app, login_as) -> None:
    from broadcaster import evidence

    with web_app.extensions["broadcaster"].session() as session:
        started = dt.datetime(2025, 6, 2, 9, 0, tzinfo=VN)
        evidence.append_entry(session, occurrence_key=None, status="completed", scheduled_at=None,
                              started_at=started, ended_at=started + dt.timedelta(seconds=20),
                              seconds_played=20.0, title="Khẩn cấp không lịch", priority="emergency")
    office = login_as("office")
    assert titles(office.get("/logs?from=2025-06-02&to=2025-06-02").get_data(as_text=True)) == \
        ["Khẩn cấp không lịch"]
    assert titles(office.get("/logs?from=2025-06-03").get_data(as_text=True)) == []
    assert titles(office.get("/logs?to=2025-06-01").get_data(as_text=True)) == []
