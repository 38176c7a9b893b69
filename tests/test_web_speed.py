"""The speed measures of the panel change nothing a user sees: cached rows follow every change."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, text
from web_helpers import ZONE

pytest_plugins = ["web_fixtures"]


def _bulletin_rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>.*?</tr>", body, flags=re.S)


def test_bulletin_list_rows_follow_title_status_zone_and_time_changes(web_app, login_as) -> None:
    from broadcaster import bulletins
    from broadcaster.models import Bulletin, Zone

    with web_app.extensions["broadcaster"].session() as session:
        zone = session.scalar(select(Zone).where(Zone.name == ZONE))
        first = bulletins.add_bulletin(session, title="Lịch tiêm chủng", body="Kính thưa bà con.")
        second = bulletins.add_bulletin(session, title="Họp thôn", body="Kính thưa bà con.",
                                        zone_id=zone.id)
        session.flush()
        first_id, second_id, zone_id = first.id, second.id, zone.id
    editor = login_as("editor")
    before = editor.get("/bulletins").get_data(as_text=True)
    assert "Lịch tiêm chủng" in before and f"· {ZONE}" in before, before
    assert len(_bulletin_rows(before)) == 2
    # Changed behind the panel's back (another process, the command line): the list follows.
    with web_app.extensions["broadcaster"].session() as session:
        b = session.get(Bulletin, first_id)
        b.title = "Lịch tiêm chủng <đợt 2>"
        b.status = "approved"
        session.get(Zone, zone_id).name = "Thôn Đông Mới"
        session.execute(text("UPDATE bulletins SET updated_at = :t WHERE id = :i"),
                        {"t": dt.datetime(2025, 1, 2, 3, 4), "i": second_id})
    after = editor.get("/bulletins").get_data(as_text=True)
    rows = _bulletin_rows(after)
    assert len(rows) == 2, after
    first_row = next(r for r in rows if f"/bulletins/{first_id}\"" in r)
    second_row = next(r for r in rows if f"/bulletins/{second_id}\"" in r)
    assert "Lịch tiêm chủng &lt;đợt 2&gt;" in first_row, "tiêu đề mới, vẫn được thoát HTML"
    assert "badge-approved" in first_row and "Đã duyệt" in first_row, first_row
    assert "· Thôn Đông Mới" in second_row and f"· {ZONE}<" not in after, second_row
    assert "02/01/2025 10:04" in second_row, "giờ cập nhật mới, theo giờ của đài"


def test_bulletin_rows_under_another_mount_point_link_there(web_app, login_as) -> None:
    from broadcaster import bulletins

    with web_app.extensions["broadcaster"].session() as session:
        bulletin = bulletins.add_bulletin(session, title="Tin sáng", body="Kính thưa bà con.")
        session.flush()
        bulletin_id = bulletin.id
    editor = login_as("editor")
    assert f'href="/bulletins/{bulletin_id}"' in editor.get("/bulletins").get_data(as_text=True)
    mounted = editor.get("/bulletins", environ_overrides={"SCRIPT_NAME": "/panel"})
    page = mounted.get_data(as_text=True)
    assert f'href="/panel/bulletins/{bulletin_id}"' in page
    # the page's fixed links (stylesheet, logo, logout, the filter form) follow the mount too
    for link in ('href="/panel/static/app.css"', 'href="/panel/"', 'action="/panel/logout"',
                 'action="/panel/bulletins"', 'src="/panel/static/app.js"'):
        assert link in page, link
    assert 'href="/static/app.css"' in editor.get("/bulletins").get_data(as_text=True)


def test_mount_points_sent_by_clients_do_not_grow_what_the_panel_keeps(web_app, login_as) -> None:
    """A proxy passing the client's own prefix header would let anyone send a new mount point
    with every request; the links are still right, and what is kept stays bounded."""
    from web.nav import FIXED_URLS_KEY, MAX_MOUNTS, NAV_CACHE_KEY

    editor = login_as("editor")
    for n in range(600):
        page = editor.get("/bulletins", environ_overrides={"SCRIPT_NAME": f"/p{n}"}).get_data(as_text=True)
        assert f'href="/p{n}/static/app.css"' in page and f'action="/p{n}/bulletins"' in page
    kept = web_app.extensions[FIXED_URLS_KEY]
    assert len({mount for mount, _, _ in kept}) <= MAX_MOUNTS
    assert len(web_app.extensions[NAV_CACHE_KEY]) <= 64 * MAX_MOUNTS + 1


def test_log_rows_follow_a_changed_entry(web_app, login_as) -> None:
    from broadcaster import evidence

    when = dt.datetime(2025, 3, 10, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    with web_app.extensions["broadcaster"].session() as session:
        evidence.append_entry(session, occurrence_key="slot-1@2025-03-10", scheduled_at=when,
                              started_at=when, ended_at=when + dt.timedelta(seconds=60),
                              status="completed", seconds_played=60.0, title="Tin sáng",
                              category="Thời sự")
    office = login_as("office")
    page = office.get("/logs").get_data(as_text=True)
    assert "Tin sáng" in page and "1 phút 00 giây" in page, page
    # A tampered entry must show as it now stands (the chain check then names it).
    with web_app.extensions["broadcaster"].session() as session:
        session.execute(text("UPDATE evidence SET seconds_played = 999, title = 'Tin <sửa>'"))
    page = office.get("/logs").get_data(as_text=True)
    assert "Tin &lt;sửa&gt;" in page and "16 phút 39 giây" in page, page
    assert "1 phút 00 giây" not in page


def test_row_cache_is_bounded() -> None:
    from web.fragments import RowCache

    cache = RowCache(size=3)
    html = cache.render(range(5), lambda n: n, lambda n: f"<tr><td>{n}</td></tr>")
    assert str(html) == "".join(f"<tr><td>{n}</td></tr>" for n in range(5))
    assert len(cache) == 3 and cache.misses == 5
    again = cache.render([4, 3, 0], lambda n: n, lambda n: f"<tr><td>{n}!</td></tr>")
    assert str(again) == "<tr><td>4</td></tr><tr><td>3</td></tr><tr><td>0!</td></tr>"
    assert cache.hits == 2


def test_log_filter_choices_campaigns_newest_first_and_zones_by_name(web_app, login_as) -> None:
    """The log page's two choice lists come from one statement; their order is the old one."""
    from broadcaster.models import Campaign

    with web_app.extensions["broadcaster"].session() as session:
        for name, start in (("Chiến dịch cũ", dt.date(2024, 1, 1)), ("Ngày Chuyển đổi số 10/10", dt.date(2025, 10, 1)),
                            ("Bình dân học vụ số", dt.date(2025, 3, 1))):
            session.add(Campaign(name=name, starts_on=start, ends_on=start + dt.timedelta(days=30)))
    page = login_as("office").get("/logs").get_data(as_text=True)
    form = page.split('name="campaign"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="([^"]+)"', form) == [
        "Ngày Chuyển đổi số 10/10", "Bình dân học vụ số", "Chiến dịch cũ"], form
    zones = page.split('name="zone"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="([^"]+)"', zones) == sorted(re.findall(r'<option value="([^"]+)"', zones))
    assert ZONE in zones
    village = login_as("village").get("/logs").get_data(as_text=True)
    assert 'name="zone"' not in village.split("<main", 1)[1], "a village head reads only the own zone"


def test_bulletin_summaries_match_the_full_list_for_every_filter(ctx) -> None:
    """The list's plain rows (statements kept per filter combination) select what the full list
    selects, and a kept statement takes each call's own values."""
    from broadcaster import bulletins
    from broadcaster.models import Zone

    with ctx.session() as session:
        east, west = Zone(name="Thôn Đông"), Zone(name="Thôn Tây")
        session.add_all([east, west])
        session.flush()
        for n in range(12):
            b = bulletins.add_bulletin(
                session, title=f"Tin số {n} {'tiêm chủng' if n % 3 == 0 else 'họp thôn'}",
                body="Kính thưa bà con.", category=["Y tế", "Thông báo"][n % 2],
                priority=["normal", "priority"][n % 4 == 1], zone_id=[None, east.id, west.id][n % 3])
            if n % 2:
                bulletins.transition(session, b, "approve", None)
        session.flush()
        cases = [{}, {"search": "tiêm"}, {"search": "  họp "}, {"status": "approved"}, {"status": "draft"},
                 {"category": "Y tế"}, {"category": "Thông báo", "status": "approved"},
                 {"priority": "priority"}, {"zone_id": east.id}, {"zone_id": west.id},
                 {"search": "Tin", "zone_id": east.id, "status": "draft"}, {"limit": 3, "offset": 2}]
        for case in cases:
            full = [(b.id, b.title, b.zone.name if b.zone else None, b.status)
                    for b in bulletins.list_bulletins(session, **case)]
            plain = [(r.id, r.title, r.zone_name, r.status) for r in bulletins.list_summaries(session, **case)]
            assert plain == full, case
            assert full or case == {"priority": "priority"}, f"the case selects something: {case}"


def test_log_summary_pages_match_the_full_pages_for_every_filter(ctx) -> None:
    """The log list's plain rows (kept statements, ids-first under a period) are the entries the
    full query selects, in the same order, with each call's own values."""
    from broadcaster import evidence_filter
    from broadcaster.models import EvidenceEntry
    from broadcaster.reports.query import Filters

    start = dt.datetime(2025, 1, 1, 0, 30, tzinfo=dt.timezone.utc)
    with ctx.session() as session:
        for n in range(60):
            at = start + dt.timedelta(hours=9 * n)
            session.add(EvidenceEntry(
                occurrence_key=f"slot-{n % 3}@{n}", status=["completed", "missed", "failed"][n % 3],
                category=["Y tế", "Thông báo"][n % 2], campaign=["", "Chuyển đổi số"][n % 4 == 0],
                zone=["", "Thôn Đông", "Thôn Tây, Thôn Đông", "Khu 5_0%, Thôn Tây", "Thôn Đông 2"][n % 5],
                scheduled_at=None if n % 7 == 0 else at, started_at=at, recorded_at=at,
                prev_hash=f"{n:064d}", hash=f"{n + 1:064d}"))
    cases = [Filters(), Filters(status="missed"), Filters(status="failed"), Filters(category="Y tế"),
             Filters(category="Thông báo", status="completed"), Filters(campaign="Chuyển đổi số"),
             Filters(zone="Thôn Đông"), Filters(category="Y tế", date_from=dt.date(2025, 1, 5),
                                                 date_to=dt.date(2025, 1, 15)),
             Filters(date_from=dt.date(2025, 1, 10)), Filters(date_to=dt.date(2025, 1, 8), status="missed"),
             # a zone is a whole name among the entry's zones (LIKE's own characters are letters)
             Filters(zone="Thôn Tây", date_from=dt.date(2025, 1, 5), date_to=dt.date(2025, 1, 20)),
             Filters(zone="Khu 5_0%"), Filters(zone="Thôn Đông 2", status="missed"), Filters(zone="Khu 5"),
             Filters(zone="Thôn Đông", campaign="Chuyển đổi số", date_to=dt.date(2025, 1, 25))]
    with ctx.session() as session:
        for filters in cases:
            for limit, offset in ((50, 0), (7, 3)):
                full, more = evidence_filter.page(session, filters, "Asia/Ho_Chi_Minh", limit=limit, offset=offset)
                plain, plain_more = evidence_filter.summary_page(session, filters, "Asia/Ho_Chi_Minh",
                                                                 limit=limit, offset=offset)
                assert [r.id for r in plain] == [e.id for e in full] and plain_more == more, (filters, limit)
                assert [r.status for r in plain] == [e.status for e in full]
            assert full or filters.date_to, f"the case selects something: {filters}"


def _cookie(client) -> str:
    cookie = client.get_cookie("loaxa_session")
    assert cookie is not None
    return cookie.value


def test_a_kept_cookie_verification_refuses_any_changed_byte_and_an_expired_cookie(web_app, login_as) -> None:
    """The session cookie's check is remembered by its exact text: the genuine cookie, once
    seen, does not make a cookie with one byte changed good,
    and a cookie past the idle lifetime is refused even though it was verified before."""
    import time

    office = login_as("office")
    assert office.get("/logs").status_code == 200
    genuine = _cookie(office)
    assert office.get("/logs").status_code == 200  # verified, then kept
    payload, signature = genuine.rsplit(".", 1)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for forged in (payload + "." + flipped, "x" + genuine[1:]):
        stranger = web_app.test_client()
        stranger.set_cookie("loaxa_session", forged)
        answer = stranger.get("/logs")
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], forged
    # The idle lifetime is counted from when the cookie was signed (``seen``), kept or not.
    interface = web_app.session_interface
    later = time.time() + web_app.permanent_session_lifetime.total_seconds() + 120
    real_time = time.time
    try:
        time.time = lambda: later  # type: ignore[assignment]
        answer = office.get("/logs")
    finally:
        time.time = real_time  # type: ignore[assignment]
    assert answer.status_code == 302, "an expired cookie is refused though it was verified before"
    assert interface.__class__.__name__ == "VerifiedCookieSessionInterface"


def test_what_one_request_writes_in_its_session_never_reaches_the_next(web_app, login_as) -> None:
    """Two requests carrying the same cookie text (so the same kept, verified contents): a flash
    message the first adds to the cookie's pending ones is not seen by the second."""
    editor = login_as("editor")
    form = {"csrf_token": "token-editor", "title": "Thông báo họp thôn", "body": "Kính thưa bà con.",
            "priority": "normal", "category": "Thông báo"}
    saved = editor.post("/bulletins/new", data=form)
    assert saved.status_code == 302
    pending = _cookie(editor)  # holds the flash "Đã lưu bản tin số N." not yet shown
    first = web_app.test_client()
    first.set_cookie("loaxa_session", pending)
    assert first.post("/bulletins/new", data=dict(form, title="Bản tin thứ hai")).status_code == 302
    second = web_app.test_client()
    second.set_cookie("loaxa_session", pending)
    page = second.get(saved.headers["Location"]).get_data(as_text=True)
    shown = re.findall(r"Đã lưu bản tin số \d+", page)
    assert len(shown) == 1, f"another request's flash leaked through the kept copy: {shown}"
