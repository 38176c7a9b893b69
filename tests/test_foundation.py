"""The foundation as a user meets it: init, settings, accounts, bulletins, schedule, demo, units."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from broadcaster.config import load_settings
from broadcaster.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
INTERFACE_COMMANDS = ("init", "user", "normalize", "bulletin", "render", "schedule", "station",
                      "emergency", "log", "web", "demo")


def test_help_lists_every_contract_command(cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0, result.output
    for command in INTERFACE_COMMANDS:
        assert command in result.stdout, f"'broadcaster {command}' missing from --help"


def test_init_is_idempotent_and_makes_schema_key_and_settings(tmp_path: Path, cli, monkeypatch) -> None:
    home = tmp_path / "station"
    monkeypatch.setenv("BROADCASTER_HOME", str(home))
    first = cli("init")
    assert first.exit_code == 0, first.output
    second = cli("init")
    assert second.exit_code == 0, second.output
    assert "Đã tạo" not in second.stdout, "a second init must not recreate anything"
    assert (home / "broadcaster.toml").exists()
    key = home / "station_key.pem"
    assert key.stat().st_mode & 0o777 == 0o600, "the private key must be readable by its owner only"
    with sqlite3.connect(home / "broadcaster.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    head = sorted(p.name for p in (ROOT / "broadcaster" / "migrations" / "versions").glob("*.py"))[-1]
    assert head.startswith(version), f"database at {version}, newest migration is {head}"
    for table in ("users", "zones", "bulletins", "campaigns", "audio_assets", "slots", "slot_items",
                  "occurrences", "station_commands", "evidence", "checkpoints", "glossary"):
        assert table in tables, f"table {table} missing"


def test_home_option_before_subcommand(tmp_path: Path, cli) -> None:
    home = tmp_path / "other"
    result = cli("--home", str(home), "init")
    assert result.exit_code == 0, result.output
    assert (home / "broadcaster.db").exists()


def test_missing_data_folder_is_one_vietnamese_line(tmp_path: Path, cli, monkeypatch) -> None:
    monkeypatch.setenv("BROADCASTER_HOME", str(tmp_path / "nowhere"))
    result = cli("bulletin", "list")
    assert result.exit_code != 0
    assert "broadcaster init" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_settings_file_then_environment_override(tmp_path: Path) -> None:
    (tmp_path / "broadcaster.toml").write_text(
        '[output]\nbackend = "alsa"\ndevice = "hw:0"\n[station]\ngrace_s = 120\n', encoding="utf-8"
    )
    settings = load_settings(tmp_path, environ={})
    assert settings.output.backend == "alsa" and settings.station.grace_s == 120
    env = {"BROADCASTER_OUTPUT_BACKEND": "pulse", "BROADCASTER_TTS_ENGINES": "espeak",
           "BROADCASTER_STATION_RENDER_LEAD_S": "30", "BROADCASTER_AUDIO_TARGET_LUFS": "-18"}
    settings = load_settings(tmp_path, environ=env)
    assert settings.output.backend == "pulse"
    assert settings.tts.engines == ("espeak",), "lists are tuples in the frozen settings"
    assert settings.station.render_lead_s == 30
    assert settings.audio.target_lufs == -18.0
    assert settings.output.device == "hw:0", "file values not overridden must stay"


def test_defaults_match_the_contract(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})
    assert settings.tts.engines == ("gtts", "espeak")
    assert settings.station.timezone == "Asia/Ho_Chi_Minh"
    assert settings.audio.target_lufs == -16.0
    assert settings.web.port == 8080
    assert settings.database_url.startswith("sqlite:///")


@pytest.mark.parametrize("env", [{"BROADCASTER_OUTPUT_BACKEND": "jack"},
                                 {"BROADCASTER_STATION_GRACE_S": "năm phút"},
                                 {"BROADCASTER_STATION_TIMEZONE": "Sao/Hỏa"}])
def test_bad_settings_fail_with_vietnamese_message(tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, environ=env)
    assert any(ch in str(info.value) for ch in "ảạáàãệếềểễộ"), str(info.value)


def test_user_add_roles_duplicates_and_zone(home: Path, cli) -> None:
    ok = cli("user", "add", "bientap", "--role", "editor", "--password-stdin", stdin="mat-khau-dai\n")
    assert ok.exit_code == 0, ok.output
    dup = cli("user", "add", "BienTap", "--role", "editor", "--password-stdin", stdin="mat-khau-dai\n")
    assert dup.exit_code == 1 and "đã tồn tại" in dup.stderr
    bad_role = cli("user", "add", "x1", "--role", "boss", "--password-stdin", stdin="mat-khau-dai\n")
    assert bad_role.exit_code == 2 and "lựa chọn không hợp lệ" in bad_role.stderr
    short = cli("user", "add", "x2", "--role", "office", "--password-stdin", stdin="123\n")
    assert short.exit_code == 1 and "Mật khẩu" in short.stderr
    village = cli("user", "add", "truongthon", "--role", "village", "--password-stdin", stdin="mat-khau-dai\n")
    assert village.exit_code == 1 and "thôn" in village.stderr
    listing = cli("user", "list", "--json")
    names = [u["name"] for u in json.loads(listing.stdout)]
    assert names == ["bientap"], names
    with sqlite3.connect(home / "broadcaster.db") as conn:
        stored = conn.execute("SELECT password_hash FROM users").fetchone()[0]
    assert "mat-khau-dai" not in stored and stored.startswith("scrypt$")


def test_bootstrap_admin_once(home: Path, cli) -> None:
    first = cli("user", "bootstrap")
    assert "Mật khẩu dùng một lần" in first.stdout
    second = cli("user", "bootstrap")
    assert "Mật khẩu" not in second.stdout, "the one-time password is printed once only"


def test_bulletin_add_json_text_file_and_list(home: Path, cli, tmp_path: Path) -> None:
    text = tmp_path / "tb.txt"
    text.write_text("UBND xã thông báo lịch tiêm chủng ngày 05/12/2026.", encoding="utf-8")
    added = cli("bulletin", "add", "--title", "Tiêm chủng", "--text-file", str(text),
                "--category", "Y tế", "--priority", "priority", "--approve", "--json")
    assert added.exit_code == 0, added.output
    bulletin_id = json.loads(added.stdout)["id"]
    plain = cli("bulletin", "add", "--title", "Họp", "--text", "Họp thôn lúc 19h00")
    assert plain.stdout.strip().isdigit(), plain.stdout
    rows = json.loads(cli("bulletin", "list", "--json").stdout)
    first = next(r for r in rows if r["id"] == bulletin_id)
    assert first["status"] == "approved" and first["priority"] == "priority" and first["category"] == "Y tế"
    assert first["title"] == "Tiêm chủng"


@pytest.mark.parametrize("args,needle", [
    (("--title", "Trống", "--text", "   "), "không được để trống"),
    (("--title", "Dài", "--text", "a" * 20_001), "quá dài"),
    (("--title", "Tệp", "--text-file", "/khong/co/tep.txt"), "Không tìm thấy"),
    (("--title", "Biểu tượng", "--text", "😀🙏 \u0007"), "không có chữ nào để đọc"),
])
def test_bulletin_bad_input(home: Path, cli, args, needle) -> None:
    result = cli("bulletin", "add", *args)
    assert result.exit_code == 1 and needle in result.stderr, result.output
    assert json.loads(cli("bulletin", "list", "--json").stdout) == []


def test_schedule_add_list_conflict_and_errors(home: Path, cli) -> None:
    bid = cli("bulletin", "add", "--title", "Tin sáng", "--text", "Kính thưa bà con.", "--approve").stdout.strip()
    draft = cli("bulletin", "add", "--title", "Nháp", "--text", "Chưa duyệt").stdout.strip()
    daily = cli("schedule", "add", "--bulletin", bid, "--daily", "06:00", "--days", "mon,wed,fri", "--json")
    assert daily.exit_code == 0, daily.output
    slot_id = json.loads(daily.stdout)["id"]
    once = cli("schedule", "add", "--bulletin", bid, "--at", "2099-01-02 17:00:00")
    assert once.exit_code == 0, once.output
    conflict = cli("schedule", "add", "--bulletin", bid, "--daily", "06:00")
    assert conflict.exit_code == 1 and "Trùng lịch" in conflict.stderr
    unapproved = cli("schedule", "add", "--bulletin", draft, "--daily", "09:00")
    assert unapproved.exit_code == 1 and "chưa được phê duyệt" in unapproved.stderr
    for bad in (("--bulletin", "999", "--daily", "07:00"), ("--bulletin", bid, "--at", "31/02/2099 7h"),
                ("--bulletin", bid, "--daily", "25:00"), ("--bulletin", bid, "--daily", "08:00", "--days", "thu2")):
        result = cli("schedule", "add", *bad)
        assert result.exit_code == 1, (bad, result.output)
        assert "Traceback" not in result.stderr and result.stderr.startswith("Lỗi:"), result.stderr
    rows = json.loads(cli("schedule", "list", "--json").stdout)
    slot = next(r for r in rows if r["id"] == slot_id)
    assert slot["daily"] == "06:00:00" and slot["days"] == "mon,wed,fri"
    assert all(n.endswith("+07:00") and "T06:00:00" in n for n in slot["next"]), slot["next"]
    assert len(slot["next"]) == 3, "mon, wed and fri within the next 7 days"


def test_demo_fills_an_empty_station_once(home: Path, cli) -> None:
    result = cli("demo")
    assert result.exit_code == 0, result.output
    rows = json.loads(cli("bulletin", "list", "--json").stdout)
    titles = " ".join(r["title"] for r in rows)
    assert "57-NQ/TW" in titles and "Bình dân học vụ số" in titles and "10/10" in titles
    # The approver trying the demo finds the flood warning in the queue, as the message says.
    waiting = [r["title"] for r in rows if r["status"] == "submitted"]
    assert waiting == ["Cảnh báo mưa lũ do bão số 3"], rows
    assert "chờ duyệt" in result.stdout and "nháp" not in result.stdout, result.stdout
    slots = json.loads(cli("schedule", "list", "--json").stdout)
    assert {s["daily"] for s in slots} >= {"06:00:00", "17:00:00"}
    again = cli("demo")
    assert again.exit_code == 1 and "đã có nội dung" in again.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_units_verify(tmp_path: Path) -> None:
    venv_bin = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "broadcaster"
    for unit in (ROOT / "systemd").glob("loa-xa*"):
        text = unit.read_text(encoding="utf-8").replace("/opt/loa-xa/.venv/bin/broadcaster", str(venv_bin))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    station = (tmp_path / "loa-xa-station.service").read_text(encoding="utf-8")
    assert "PrivateDevices" not in station and "SupplementaryGroups=audio" in station
    assert "PartOf=loa-xa.target" in station and "Restart=always" in station
    units = sorted(str(p) for p in tmp_path.iterdir())
    proc = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True,
                          check=False)
    problems = [line for line in proc.stderr.splitlines() if "loa-xa" in line]
    assert not problems, proc.stderr


def test_commune_glossary_wins_over_default_in_normalize(home: Path, cli) -> None:
    before = cli("normalize", "UBND xã và HTX Tân Tiến")
    assert before.exit_code == 0, before.output
    assert "ủy ban nhân dân" in before.stdout
    assert cli("glossary", "add", "HTX", "hợp tác xã").exit_code == 0
    assert cli("glossary", "add", "UBND", "ủy ban").exit_code == 0
    after = cli("normalize", "UBND xã và HTX Tân Tiến")
    assert after.stdout.strip() == "ủy ban xã và hợp tác xã Tân Tiến", after.stdout
    assert json.loads(cli("glossary", "list", "--json").stdout) == [
        {"word": "HTX", "reading": "hợp tác xã"}, {"word": "UBND", "reading": "ủy ban"}]
    assert cli("glossary", "remove", "UBND").exit_code == 0
    assert "ủy ban nhân dân" in cli("normalize", "UBND xã").stdout
    missing = cli("glossary", "remove", "KHÔNGCÓ")
    assert missing.exit_code == 1 and "không có từ" in missing.stderr


def test_normalize_reads_stdin_line_by_line(home: Path, cli) -> None:
    result = cli("normalize", stdin="Họp lúc 7h30\n\nNgày 22/12/2024\n")
    lines = result.stdout.split("\n")
    assert lines[:3] == ["Họp lúc bảy giờ ba mươi phút", "",
                         "Ngày hai mươi hai tháng mười hai năm hai nghìn không trăm hai mươi tư"], lines


def test_help_and_usage_errors_are_vietnamese(cli) -> None:
    helped = cli("log", "verify", "--help")
    assert "cách dùng:" in helped.stdout and "hiện trợ giúp này rồi thoát" in helped.stdout
    assert "usage:" not in helped.stdout and "show this help" not in helped.stdout
    missing = cli("schedule", "add")
    assert missing.exit_code == 2
    assert missing.stderr.startswith("Lỗi: thiếu tham số bắt buộc"), missing.stderr


def test_user_add_without_a_password_gets_a_one_time_one(home: Path, cli) -> None:
    from broadcaster.context import open_context
    from broadcaster.users import authenticate

    result = cli("user", "add", "vanphong", "--role", "office", "--json", stdin="")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    ctx = open_context(home)
    with ctx.session() as session:
        user = authenticate(session, "vanphong", data["one_time_password"])
        assert user is not None and user.must_change_password, "the printed password must work once"
    ctx.dispose()


def test_station_process_never_loads_flask_and_cli_stays_light() -> None:
    """The daemon must not import Flask; heavy audio libraries wait for the render worker."""
    code = (
        "import sys, broadcaster.cli as c; c.build_parser(); "
        "import broadcaster.station.daemon; "
        "print(','.join(m for m in ('flask', 'werkzeug', 'web', 'numpy', 'scipy') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"loaded by the station's process: {proc.stdout.strip()}"


def test_bulletin_control_characters_are_dropped_text_kept(home: Path, cli) -> None:
    bid = cli("bulletin", "add", "--title", "Họp\x07 thôn", "--text", "Họp\x00 lúc 7h\n\nMời bà con 🙏").stdout.strip()
    from broadcaster.bulletins import get_bulletin
    from broadcaster.context import open_context

    ctx = open_context(home)
    with ctx.session() as session:
        bulletin = get_bulletin(session, int(bid))
        assert bulletin.title == "Họp thôn" and bulletin.body == "Họp lúc 7h\n\nMời bà con 🙏"
    ctx.dispose()
