"""Hearing what aired (issue 12): every entry with an air-check has a player for those who may see
the entry, the hash beside it; no internals (occurrence keys, engine codes, backends) on the page."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from zoneinfo import ZoneInfo

import pytest
from web_helpers import OTHER_ZONE, ZONE

pytest_plugins = ["web_fixtures"]

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def airings(web_app):
    """Two airings with air-checks (own village, other village) and one whose row points outside."""
    from broadcaster import evidence

    home = web_app.extensions["broadcaster"].settings.home
    folder = home / "audio" / "aircheck" / "2025" / "03"
    folder.mkdir(parents=True)
    when = dt.datetime(2025, 3, 10, 6, 0, tzinfo=VN)
    ids = {}
    with web_app.extensions["broadcaster"].session() as session:
        for n, (zone, title) in enumerate([(ZONE, "Họp thôn Đông"), (OTHER_ZONE, "Họp thôn Tây")]):
            path = folder / f"slot-{n + 1}_2025-03-10.opus"
            path.write_bytes(b"OggS" + title.encode() * 50)
            entry = evidence.append_entry(
                session, occurrence_key=f"slot-{n + 1}@2025-03-10", status="completed",
                scheduled_at=when, started_at=when, ended_at=when + dt.timedelta(seconds=60),
                seconds_played=60.5, title=title, zone=zone, output="main (pulse:loaxa)",
                items=[{"kind": "speech", "title": title, "engine": "espeak", "seconds": 58.25,
                        "text_sha256": "a" * 64, "audio_sha256": "b" * 64}],
                aircheck_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                aircheck_path=str(path.relative_to(home)))
            ids[zone] = entry.id
        sneaky = evidence.append_entry(
            session, occurrence_key="slot-9@2025-03-10", status="completed", scheduled_at=when,
            started_at=when, ended_at=when, title="Lạ", zone=ZONE, aircheck_sha256="c" * 64,
            aircheck_path="../../../../etc/passwd")
        ids["sneaky"] = sneaky.id
    return ids


def test_village_head_hears_the_own_airing_only(web_app, login_as, airings) -> None:
    village = login_as("village")
    page = village.get(f"/logs/{airings[ZONE]}").get_data(as_text=True)
    assert "Nghe lại buổi phát" in page and f'src="/logs/{airings[ZONE]}/aircheck"' in page
    digest = re.search(r'class="token hash">([0-9a-f]{64})<', page).group(1)
    sound = village.get(f"/logs/{airings[ZONE]}/aircheck")
    assert sound.status_code == 200 and sound.mimetype == "audio/ogg"
    assert hashlib.sha256(sound.data).hexdigest() == digest, "mã băm bên cạnh là của chính bản thu"
    assert village.get(f"/logs/{airings[OTHER_ZONE]}/aircheck").status_code == 404
    assert village.get(f"/logs/{airings['sneaky']}/aircheck").status_code == 404
    assert "▶ Nghe lại" in village.get("/logs?from=2025-03-10&to=2025-03-10").get_data(as_text=True)
    office = login_as("office")
    assert office.get(f"/logs/{airings[OTHER_ZONE]}/aircheck").status_code == 200


def test_entry_page_speaks_vietnamese_not_internals(web_app, login_as, airings) -> None:
    page = login_as("office").get(f"/logs/{airings[ZONE]}").get_data(as_text=True)
    main = page.split("<main", 1)[1]
    for internal in ("slot-1@2025-03-10", "espeak", "speech", "pulse:loaxa", ">main<"):
        assert internal not in main, internal
    assert "Lịch phát số 1, ngày 10/03/2025" in main and "Lời đọc" in main
    assert "Giọng máy" in main and "Loa chính của xã" in main
