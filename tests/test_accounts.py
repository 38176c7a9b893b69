"""Domain modules behind the panel: permissions, account changes, zones, glossary, library."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from broadcaster import accounts, glossary, library, zones
from broadcaster.errors import DuplicateError, PermissionDenied, ValidationError
from broadcaster.users import add_user, authenticate, user_for_token


def test_permission_table_matches_the_roles_of_the_issue():
    assert accounts.roles_for("bulletin.review") == ("approver",), "only approvers approve"
    assert accounts.roles_for("users.manage") == ("admin",)
    assert "office" not in accounts.roles_for("bulletin.write"), "office reads, never writes"
    with pytest.raises(KeyError):
        accounts.roles_for("bulletin.aprove")


def test_account_changes_are_checked_against_the_actor(ctx):
    with ctx.session() as s:
        zone = zones.add_zone(s, "Thôn Bắc")
        admin = add_user(s, "quantri", "admin", "matkhau-1")
        editor = add_user(s, "bientap", "editor", "matkhau-2")
        with pytest.raises(PermissionDenied):
            accounts.change_role(s, editor, editor, "admin")
        with pytest.raises(ValidationError, match="phải gắn với một thôn"):
            accounts.change_role(s, admin, editor, "village")
        accounts.change_role(s, admin, editor, "village", zone.id)
        assert (editor.role, editor.zone.name) == ("village", "Thôn Bắc")
        with pytest.raises(ValidationError, match="tự khóa"):
            accounts.set_active(s, admin, admin, False)
        with pytest.raises(ValidationError, match="cuối cùng"):
            accounts.change_role(s, admin, admin, "office")
        temp = accounts.reset_password(s, admin, editor)
        assert authenticate(s, "bientap", temp) is editor and editor.must_change_password
        token = accounts.new_token(s, admin, editor, "kịch bản")
        assert user_for_token(s, token) is None, "refused while the password must be changed"
        editor.must_change_password = False
        assert user_for_token(s, token) is editor
        accounts.revoke_token(s, admin, accounts.tokens_of(s, editor)[0].id)
        assert user_for_token(s, token) is None, "a revoked token stops working"
        accounts.set_active(s, admin, editor, False)
        assert authenticate(s, "bientap", temp) is None, "a locked account cannot log in"


def test_zones_validate_names(ctx):
    with ctx.session() as s:
        zone = zones.add_zone(s, "  Khu   phố 1 ", "khu phố")
        assert zone.name == "Khu phố 1"
        with pytest.raises(DuplicateError):
            zones.add_zone(s, "khu phố 1", "khu phố")
        with pytest.raises(ValidationError):
            zones.add_zone(s, "", "thôn")
        with pytest.raises(ValidationError, match="Loại địa bàn"):
            zones.add_zone(s, "Xóm Mới", "thành phố")
        zones.update_zone(s, zone, "Khu phố Một", "khu phố", "loa-2")
        assert (zone.name, zone.output) == ("Khu phố Một", "loa-2")


def test_glossary_entries_change_the_reading_preview(ctx):
    with ctx.session() as s:
        before = glossary.reading_preview(s, "CLBTT Tân Hòa họp ngày 22/12/2024")
        glossary.add_entry(s, "CLBTT", "câu lạc bộ thể thao")
        after = glossary.reading_preview(s, "CLBTT Tân Hòa họp ngày 22/12/2024")
        assert "câu lạc bộ thể thao" in after.normalized and "câu lạc bộ" not in before.normalized
        assert "hai mươi hai tháng mười hai" in after.normalized, after.normalized
        assert after.chars == len("CLBTT Tân Hòa họp ngày 22/12/2024") and after.seconds > 0
        with pytest.raises(DuplicateError):
            glossary.add_entry(s, "clbtt", "khác")
        with pytest.raises(ValidationError):
            glossary.reading_preview(s, "   ")


def _tone(path: Path, seconds: float, extra: list[str]) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=330:duration={seconds}", *extra, str(path)], check=True)
    return path


def test_library_stores_by_hash_and_remuxes_browser_webm(ctx, tmp_path):
    wav = _tone(tmp_path / "a.wav", 0.8, [])
    webm = _tone(tmp_path / "b.webm", 0.8, ["-c:a", "libopus"])
    with ctx.session() as s:
        first = library.store_upload(s, ctx.settings, wav, title="Thông báo")
        again = library.store_upload(s, ctx.settings, wav, title="Bản khác tên")
        assert again.id == first.id, "the same content is one asset"
        recorded = library.store_upload(s, ctx.settings, webm, title="Ghi từ trình duyệt",
                                        language="tay")
        assert recorded.format == "ogg" and recorded.relpath.startswith("uploads/")
        assert library.asset_file(ctx.settings, recorded).read_bytes()[:4] == b"OggS"
        assert abs(recorded.seconds - 0.8) < 0.1
        with pytest.raises(ValidationError):
            library.store_upload(s, ctx.settings, wav, title="   ")
        bogus = tmp_path / "bogus.mp3"
        bogus.write_bytes(b"\x1a\x45\xdf\xa3 not really matroska")
        with pytest.raises(ValidationError, match="WebM"):
            library.store_upload(s, ctx.settings, bogus, title="Hỏng")
