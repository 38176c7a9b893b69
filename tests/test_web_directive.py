"""The panel and API side of the directive: campaign page and edit, bulletin tagging, village
reports (form, grid, review, reminder), the compiled report download, the village-reports API."""
from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from web_helpers import OTHER_ZONE, ZONE, post

pytest_plugins = ["web_fixtures"]

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def today() -> dt.date:
    return dt.datetime.now(VN).date()


def campaign(app: Any, **plan: Any) -> int:
    from broadcaster import campaigns

    with app.extensions["broadcaster"].session() as session:
        c = campaigns.add_campaign(session, name="Chuyển đổi số 2025", starts_on=today() - dt.timedelta(days=20),
                                   ends_on=today() + dt.timedelta(days=40), themes=["Nghị quyết 57", "Bình dân học vụ số"],
                                   **plan)
        return c.id


def test_campaign_page_edit_and_zone_targets(web_app: Any, login_as: Any) -> None:
    cid = campaign(web_app)
    office = login_as("office")
    page = office.get(f"/campaigns/{cid}").get_data(as_text=True)
    assert "Chuyển đổi số 2025" in page and "Bình dân học vụ số" in page and "Mức phủ theo tuần" in page
    assert "Sửa chiến dịch" not in page, "office only reads"
    assert post(office, f"/campaigns/{cid}/edit", {"name": "X"}).status_code == 403
    editor = login_as("editor")
    form = editor.get(f"/campaigns/{cid}/edit").get_data(as_text=True)
    assert 'name="doc_number"' in form and 'name="peak_starts_on"' in form
    from broadcaster.models import Zone

    with web_app.extensions["broadcaster"].session() as session:
        zone_id = session.scalar(select(Zone.id).where(Zone.name == ZONE))
    start = today() - dt.timedelta(days=20)
    fields = {
        "name": "Chuyển đổi số 2025", "starts_on": start.isoformat(),
        "ends_on": (today() + dt.timedelta(days=40)).isoformat(), "doc_number": "160/KH-SVHTTDL",
        "doc_date": "2025-08-18", "doc_issuer": "Sở Văn hóa, Thể thao và Du lịch tỉnh",
        "doc_title": "về tuyên truyền thực hiện Nghị quyết số 57-NQ/TW", "themes": "Nghị quyết 57\nBình dân học vụ số\n",
        "target_per_week": "10", "target_minutes_per_week": "30", "target_per_day": "1",
        "peak_starts_on": "", "peak_ends_on": "", "peak_target_per_day": "0",
        f"zone_{zone_id}_airings": "14", f"zone_{zone_id}_minutes": "",
    }
    saved = post(editor, f"/campaigns/{cid}/edit", fields)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    page = editor.get(f"/campaigns/{cid}").get_data(as_text=True)
    assert "Kế hoạch số 160/KH-SVHTTDL ngày 18/8/2025 của Sở Văn hóa, Thể thao và Du lịch tỉnh" in page
    assert f"{ZONE}: 14 lượt" in page and "10 lượt phát và 30 phút" in page
    bad = post(editor, f"/campaigns/{cid}/edit", dict(fields, peak_starts_on=(start - dt.timedelta(days=3)).isoformat(),
                                                        peak_target_per_day="2"))
    assert bad.status_code == 400 and "phải nằm trong thời gian" in bad.get_data(as_text=True)


def test_bulletin_form_tags_campaign_and_theme(web_app: Any, login_as: Any) -> None:
    cid = campaign(web_app)
    editor = login_as("editor")
    form = editor.get("/bulletins/new").get_data(as_text=True)
    assert 'name="campaign_id"' in form and "Bình dân học vụ số" in form
    r = post(editor, "/bulletins/new", {"title": "Học kỹ năng số", "body": "Mời bà con đến nhà văn hóa.",
                                        "campaign_id": str(cid), "theme": "Bình dân học vụ số", "then": "save"})
    assert r.status_code == 302, r.get_data(as_text=True)
    from broadcaster.models import Bulletin

    with web_app.extensions["broadcaster"].session() as session:
        b = session.scalar(select(Bulletin).where(Bulletin.title == "Học kỹ năng số"))
        assert (b.campaign_id, b.theme) == (cid, "Bình dân học vụ số")
    wrong = post(editor, "/bulletins/new", {"title": "Sai chủ đề", "body": "Nội dung.", "campaign_id": str(cid),
                                            "theme": "Phòng chống bão", "then": "save"})
    assert wrong.status_code == 400 and "không thuộc chiến dịch" in wrong.get_data(as_text=True)


def test_village_head_fills_submits_office_returns_accepts(web_app: Any, login_as: Any) -> None:
    key = f"{today().year:04d}-{today().month:02d}"
    village = login_as("village")
    listing = village.get("/village-reports").get_data(as_text=True)
    assert "Báo cáo kết quả của thôn" in listing and key.split("-")[0] in listing
    form = village.get(f"/village-reports/{key}/mine").get_data(as_text=True)
    assert "Sinh hoạt chi bộ" in form and "Khó khăn, vướng mắc" in form
    day = today().replace(day=1).isoformat()
    data = {"meeting_kind": ["hop_thon", "chi_bo"], "meeting_date": [day, ""],
            "meeting_participants": ["60", ""], "meeting_note": ["", ""], "banners": "2", "zalo_posts": "1",
            "zalo_links": "https://zalo.me/g/abc\n", "difficulties": "Thiếu loa <b>cầm tay</b>",
            "proposals": "Cấp thêm loa", "then": "save"}
    assert post(village, f"/village-reports/{key}/mine", data).status_code == 302
    bad = post(village, f"/village-reports/{key}/mine", dict(data, banners="nhiều"))
    assert bad.status_code == 400 and "không phải là số" in bad.get_data(as_text=True)
    assert post(village, f"/village-reports/{key}/mine", dict(data, then="submit")).status_code == 302
    from broadcaster.models import VillageReport

    with web_app.extensions["broadcaster"].session() as session:
        report = session.scalar(select(VillageReport))
        assert report.state == "submitted" and report.content["meetings"][0]["participants"] == 60
        report_id = report.id
    assert post(login_as("editor"), f"/village-reports/{report_id}/review", {"action": "x"}).status_code == 302
    grid = login_as("office").get("/village-reports").get_data(as_text=True)
    assert ZONE in grid and OTHER_ZONE in grid and "Đã nộp đúng hạn" in grid
    shown = login_as("office").get(f"/village-reports/{report_id}").get_data(as_text=True)
    assert "Thiếu loa &lt;b&gt;cầm tay&lt;/b&gt;" in shown, "escaped"
    assert post(login_as("village"), f"/village-reports/{report_id}/review", {"action": "accept"}).status_code == 403
    office = login_as("office")
    no_reason = post(office, f"/village-reports/{report_id}/review", {"action": "return", "reason": ""})
    assert no_reason.status_code == 302
    assert post(office, f"/village-reports/{report_id}/review",
                {"action": "return", "reason": "Ghi rõ số người dự"}).status_code == 302
    mine = village.get("/village-reports").get_data(as_text=True)
    assert "Ghi rõ số người dự" in mine
    assert post(village, f"/village-reports/{key}/mine", dict(data, then="submit")).status_code == 302
    assert post(office, f"/village-reports/{report_id}/review", {"action": "accept"}).status_code == 302
    history = office.get(f"/village-reports/{report_id}").get_data(as_text=True)
    for step in ("Lưu nháp", "Nộp báo cáo", "Trả lại", "Duyệt"):
        assert step in history, step
    # Another zone's report is not the village head's business.
    assert login_as("village").get(f"/village-reports/{report_id + 99}").status_code == 404


def test_dashboard_reminds_the_village_head_before_the_due_day(web_app: Any, login_as: Any) -> None:
    from broadcaster import village_reports

    t = today()
    key = f"{t.year:04d}-{t.month:02d}"
    with web_app.extensions["broadcaster"].session() as session:
        period = village_reports.get_period(session, key, 5)
        village_reports.set_due_date(session, period, t + dt.timedelta(days=3), None)
    page = login_as("village").get("/").get_data(as_text=True)
    assert f"Còn 3 ngày đến hạn nộp báo cáo tháng {t.month}/{t.year}" in page, page
    assert "report-reminder" not in login_as("editor").get("/").get_data(as_text=True)


def test_report_download_from_the_panel(web_app: Any, login_as: Any) -> None:
    cid = campaign(web_app)
    office = login_as("office")
    page = office.get(f"/campaigns/{cid}").get_data(as_text=True)
    assert "Lập báo cáo (Word)" in page
    r = office.get(f"/campaigns/{cid}/report?format=docx")
    assert r.status_code == 200 and r.mimetype.endswith("wordprocessingml.document"), r.status_code
    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(r.data)).paragraphs)
    assert "BÁO CÁO" in text and "Kết quả tuyên truyền thực hiện Chuyển đổi số 2025" in text
    pdf = office.get(f"/campaigns/{cid}/report?format=pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert login_as("village").get(f"/campaigns/{cid}/report").status_code == 403


def test_village_reports_api(web_app: Any, client: Any) -> None:
    from broadcaster.models import User
    from broadcaster.users import issue_token

    with web_app.extensions["broadcaster"].session() as session:
        tokens = {u.name: issue_token(session, u, "kiểm thử") for u in session.scalars(select(User))}

    def call(method: str, role: str, url: str, body: Any = None) -> Any:
        return client.open(url, method=method, json=body, headers={"Authorization": f"Bearer {tokens[role]}"})

    key = f"{today().year:04d}-{today().month:02d}"
    body = {"period": key, "submit": True, "banners": 3,
            "meetings": [{"kind": "doan_the", "date": today().replace(day=1).isoformat(), "participants": 25}]}
    assert call("POST", "office", "/api/v1/village-reports", body).status_code == 403
    created = call("POST", "village", "/api/v1/village-reports", body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["state"] == "submitted" and created.get_json()["zone"] == ZONE
    again = call("POST", "village", "/api/v1/village-reports", body)
    assert again.status_code == 400 and "không sửa được" in again.get_json()["error"]
    listing = call("GET", "office", f"/api/v1/village-reports?period={key}").get_json()
    assert {row["zone"] for row in listing["items"]} == {ZONE, OTHER_ZONE}
    own = call("GET", "village", f"/api/v1/village-reports?period={key}").get_json()
    assert [row["zone"] for row in own["items"]] == [ZONE]
    report_id = created.get_json()["id"]
    reviewed = call("POST", "office", f"/api/v1/village-reports/{report_id}/review", {"action": "accept"})
    assert reviewed.status_code == 200 and reviewed.get_json()["status"] == "accepted"
    assert call("GET", "office", "/api/v1/village-reports?period=2025-13").status_code == 400
    assert client.get("/api/v1/village-reports").status_code == 401
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"get", "post"} <= set(spec["paths"]["/village-reports"])
