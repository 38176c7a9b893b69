"""The panel's receivers page: the admin adds a box and sees its code once, revokes it; everyone
who runs the station sees which boxes are offline, on the page and on the dashboard."""
from __future__ import annotations

import datetime as dt
from typing import Any

from broadcaster import receivers
from broadcaster.models import utcnow

pytest_plugins = ["web_fixtures"]
from web_helpers import ZONE, post  # noqa: E402


def test_admin_adds_a_receiver_sees_the_code_once_and_can_revoke(login_as: Any, ctx: Any) -> None:
    admin = login_as("admin")
    page = post(admin, "/receivers", {"name": "thon-dong-1", "zone": ZONE})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "broadcaster receiver enrol" in html and "Chờ đăng ký" in html
    code = html.split("broadcaster receiver enrol", 1)[1].split("</pre>", 1)[0].split()[-1]
    with ctx.session() as session:
        assert receivers.get_receiver(session, "thon-dong-1").code_sha256 != code, "only a hash is kept"
    again = admin.get("/receivers").get_data(as_text=True)
    assert code not in again, "the code is shown once"
    bad = post(admin, "/receivers", {"name": "<script>", "zone": ZONE}, follow_redirects=True)
    assert "Tên máy thu" in bad.get_data(as_text=True) and "<script>" not in bad.get_data(as_text=True)
    done = post(admin, "/receivers/thon-dong-1/revoke", follow_redirects=True)
    assert "Đã thu hồi" in done.get_data(as_text=True)


def test_only_the_admin_adds_or_revokes_and_villages_do_not_see_the_page(login_as: Any) -> None:
    assert post(login_as("editor"), "/receivers", {"name": "thon-x", "zone": ZONE}).status_code == 403
    assert post(login_as("office"), "/receivers/thon-x/revoke").status_code == 403
    assert login_as("village").get("/receivers").status_code == 403
    assert login_as("office").get("/receivers").status_code == 200


def test_offline_box_is_warned_about_on_the_dashboard(login_as: Any, ctx: Any) -> None:
    with ctx.session() as session:
        added = receivers.add_receiver(session, ctx.settings, "thon-dong-1", ZONE)
        receivers.enrol(session, ctx.settings, added.code, _pem())
        receivers.record_status(session, "thon-dong-1", {"held_24h": 0},
                                utcnow() - dt.timedelta(hours=2))
    html = login_as("editor").get("/").get_data(as_text=True)
    assert "Máy thu thon-dong-1" in html and "mất kết nối từ" in html
    listing = login_as("approver").get("/receivers").get_data(as_text=True)
    assert "Mất kết nối" in listing


def _pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def test_the_map_says_where_to_place_a_village_without_a_command_line(login_as: Any, ctx: Any) -> None:
    """A village without coordinates is named under the map; the hint was a CLI command with flags
    (``broadcaster zone edit TÊN --lat ...``). The admin gets a link, the office who to ask."""
    from broadcaster.zones import add_zone

    with ctx.session() as session:
        add_zone(session, "Thôn Bản Đồ", latitude="21,0301", longitude="105,8120")  # one on the map
        receivers.add_receiver(session, ctx.settings, "thon-dong-1", ZONE)
    admin = login_as("admin").get("/receivers").get_data(as_text=True)
    assert "Chưa có tọa độ" in admin and "--lat" not in admin and 'href="/admin/zones"' in admin
    office = login_as("office").get("/receivers").get_data(as_text=True)
    assert "Chưa có tọa độ" in office and "--lat" not in office and "quản trị viên thêm tọa độ" in office
