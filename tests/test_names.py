"""One rule for every typed name (broadcaster/names.py): no control characters, no invisible
formatting, NFC, and Vietnamese case folding when two names are compared."""
from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from broadcaster import schedule
from broadcaster.campaigns import add_campaign
from broadcaster.errors import DuplicateError, ValidationError
from broadcaster.glossary import add_entry
from broadcaster.models import User, Zone
from broadcaster.names import clean_name, find_by_name, name_key
from broadcaster.users import add_user, authenticate
from broadcaster.zones import add_zone

PASSWORD = "mat-khau-du-dai-123"
CONTROLS = ["\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\u2028"]


@pytest.mark.parametrize("ch", CONTROLS)
def test_control_characters_are_refused_with_a_vietnamese_message(ch: str) -> None:
    with pytest.raises(ValidationError) as caught:
        clean_name(f"Thôn{ch}Đông", "Tên thôn/khu phố")
    message = str(caught.value)
    assert "Tên thôn/khu phố" in message and "ký tự điều khiển" in message and "U+" in message, message


def test_invisible_formatting_is_removed_and_the_name_stored_nfc() -> None:
    typed = "\u202eThôn\u200b Đ\u200dông\ufeff\u2066"
    assert clean_name(typed, "Tên") == "Thôn Đông"
    decomposed = unicodedata.normalize("NFD", "Khu phố Đồng Tâm")
    stored = clean_name(decomposed, "Tên")
    assert stored == "Khu phố Đồng Tâm" and unicodedata.is_normalized("NFC", stored)
    assert clean_name("  Thôn\u00a0\u00a0Tây  ", "Tên") == "Thôn Tây"


def test_vietnamese_case_folding() -> None:
    assert name_key("Đông") == name_key("đông") == name_key(unicodedata.normalize("NFD", "ĐÔNG"))
    assert name_key("ỆP") == name_key("ệp")
    assert name_key("Đông") != name_key("Dong"), "marks are letters in Vietnamese, not case"


def test_zone_names(ctx: Any) -> None:
    with ctx.session() as session:
        add_zone(session, "Thôn Đông")
        with pytest.raises(DuplicateError):
            add_zone(session, "THÔN ĐÔNG")
        with pytest.raises(DuplicateError):
            add_zone(session, unicodedata.normalize("NFD", "thôn đông"))
        with pytest.raises(ValidationError, match="ký tự điều khiển"):
            add_zone(session, "Thôn\x1b[31mTây")
        assert find_by_name(session, Zone.name, "thôn đông").name == "Thôn Đông"


def test_logins_that_differ_only_by_case_are_one_login(ctx: Any, cli: Any) -> None:
    with ctx.session() as session:
        add_zone(session, "Thôn Đông")
        add_user(session, "Đông", "village", PASSWORD, zone_name="thôn đông")
    with ctx.session() as session:
        with pytest.raises(DuplicateError, match="đã tồn tại"):
            add_user(session, "đông", "editor", PASSWORD)
        user = authenticate(session, "đông", PASSWORD)
        assert user is not None and user.name == "Đông", "the login is found whatever the case"
        assert user.zone is not None and user.zone.name == "Thôn Đông"
        assert authenticate(session, "ĐÔNG\u200b", PASSWORD) is not None
    result = cli("user", "add", "ĐÔNG", "--role", "editor", "--password-stdin", stdin=PASSWORD + "\n")
    assert result.exit_code != 0 and "đã tồn tại" in result.stderr, result.output
    result = cli("user", "add", "an\nh", "--role", "editor", "--password-stdin", stdin=PASSWORD + "\n")
    assert result.exit_code != 0 and "ký tự điều khiển" in result.stderr, result.output
    with ctx.session() as session:
        assert session.query(User).count() == 1


def test_campaign_and_glossary_names(ctx: Any) -> None:
    with ctx.session() as session:
        import datetime as dt

        add_campaign(session, name="Ngày Chuyển đổi số", starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2026, 10, 10))
        with pytest.raises(DuplicateError):
            add_campaign(session, name="NGÀY CHUYỂN ĐỔI SỐ", starts_on=dt.date(2026, 10, 1),
                         ends_on=dt.date(2026, 10, 10))
        with pytest.raises(ValidationError, match="Tên chiến dịch chứa ký tự điều khiển"):
            add_campaign(session, name="Bình dân\thọc vụ số", starts_on=dt.date(2026, 10, 1),
                         ends_on=dt.date(2026, 10, 10))
        add_entry(session, "Đắk Lắk", "Đắc Lắc")
        with pytest.raises(DuplicateError):
            add_entry(session, "đắk lắk", "đắc lắc")
        with pytest.raises(ValidationError, match="ký tự điều khiển"):
            add_entry(session, "UBND\x00", "ủy ban nhân dân")


def test_slot_names(ctx: Any) -> None:
    from broadcaster.bulletins import add_bulletin

    with ctx.session() as session:
        add_zone(session, "Khu phố 1")
        bulletin = add_bulletin(session, title="Lịch tiêm chủng", body="Sáng mai tiêm chủng tại trạm y tế.")
        bulletin.status = "approved"
        session.flush()
        items = [schedule.ItemSpec(kind="bulletin", bulletin_id=bulletin.id)]
        with pytest.raises(ValidationError, match="Tên lịch phát chứa ký tự điều khiển"):
            schedule.add_slot(session, items=items, default_tz="Asia/Ho_Chi_Minh", daily="06:00",
                              name="Bản tin\x0bsáng")
        slot = schedule.add_slot(session, items=items, default_tz="Asia/Ho_Chi_Minh", daily="06:00",
                                 name="\u202eBản tin sáng\u200b", zones=["KHU PHỐ 1"])
        assert slot.name == "Bản tin sáng" and [z.name for z in slot.zones] == ["Khu phố 1"]


def test_slot_names_through_the_command_line(ctx: Any, cli: Any) -> None:
    with ctx.session() as session:
        add_zone(session, "Thôn Đông")
    result = cli("bulletin", "add", "--title", "Họp thôn", "--text", "Tối nay họp thôn lúc bảy giờ.",
                 "--approve", "--json")
    assert result.exit_code == 0, result.output
    bulletin = result.stdout.split(":")[1].strip(" }\n")
    result = cli("schedule", "add", "--bulletin", bulletin, "--daily", "06:00", "--zone", "THÔN ĐÔNG",
                 "--name", "Bản tin\tsáng", "--json")
    assert result.exit_code != 0 and "Tên lịch phát chứa ký tự điều khiển" in result.stderr, result.output
    result = cli("schedule", "add", "--bulletin", bulletin, "--daily", "06:00", "--zone", "THÔN ĐÔNG", "--json")
    assert result.exit_code == 0, result.output
    slot = result.stdout.split(":")[1].strip(" }\n")
    result = cli("schedule", "edit", slot, "--name", "Sáng\x1b[2J")
    assert result.exit_code != 0 and "ký tự điều khiển" in result.stderr, result.output
    result = cli("schedule", "edit", slot, "--name", "\u202eBản tin sáng\u200b", "--json")
    assert result.exit_code == 0, result.output
    listed = cli("schedule", "list", "--json").stdout
    assert "Bản tin sáng" in listed and "\\u202e" not in listed and "Thôn Đông" in listed, listed
