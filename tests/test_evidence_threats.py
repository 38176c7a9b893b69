"""Each sentence of docs/EVIDENCE-THREAT-MODEL.md, tried as the attacker it describes.

The attacker has the database (raw SQL here) and the public algorithm, never the station key or
its witness file. Three local days of broadcasts, each opened by the station's daily checkpoint,
then ``broadcaster log verify`` as the office runs it.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from broadcaster import evidence
from broadcaster.checkpoints import ensure_daily_checkpoint, make_checkpoint
from broadcaster.keys import load_private_key
from broadcaster.models import EvidenceEntry

ROOT = Path(__file__).resolve().parent.parent
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
DAYS = (dt.date(2026, 11, 21), dt.date(2026, 11, 22), dt.date(2026, 11, 23))


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), ZONE).astimezone(dt.timezone.utc)


def add_entry(session: Any, day: dt.date, hour: int, n: int) -> EvidenceEntry:
    start = local(day, hour)
    return evidence.append_entry(
        session, occurrence_key=f"slot-{n}@{day.isoformat()}", status="completed",
        scheduled_at=start, started_at=start, ended_at=start + dt.timedelta(seconds=90),
        seconds_played=90.0, title=f"Bản tin số {n}", zone="Thôn Đông", output="main",
        now=start + dt.timedelta(seconds=91),
    )


@pytest.fixture
def station_log(ctx: Any) -> Any:
    """Days 21–23/11: the day's checkpoint at 05:00, broadcasts at 06:00 and 17:00 (6 entries).

    Checkpoints #1 (0 entries), #2 (2), #3 (4); entries #5 and #6 of 23/11 are not covered yet.
    """
    n = 0
    for day in DAYS:
        with ctx.session() as session:
            ensure_daily_checkpoint(session, ctx.settings, local(day, 5))
        with ctx.session() as session:
            for hour in (6, 17):
                n += 1
                add_entry(session, day, hour, n)
    return ctx


def sql(ctx: Any, statement: str, **params: Any) -> None:
    with ctx.engine.begin() as connection:
        connection.execute(text(statement), params)


def rewrite(ctx: Any, entry_id: int, **changes: Any) -> None:
    """Edit an entry, then recompute its hash and every later one with the public algorithm."""
    sets = ", ".join(f"{name} = :{name}" for name in changes)
    sql(ctx, f"UPDATE evidence SET {sets} WHERE id = :id", id=entry_id, **changes)
    with ctx.session() as session:
        rows = session.query(EvidenceEntry).order_by(EvidenceEntry.id).all()
        values = [(e.id, e.prev_hash, evidence.content_digest(evidence.entry_values(e))) for e in rows]
    prev = evidence.GENESIS
    for id_, _old_prev, digest in values:
        new = evidence.link_hash(prev, digest)
        sql(ctx, "UPDATE evidence SET prev_hash = :p, hash = :h WHERE id = :i", p=prev, h=new, i=id_)
        prev = new


def lose_witness(ctx: Any) -> None:
    ctx.settings.checkpoint_witness_path.unlink()


def verify(cli: Any, *extra: str) -> tuple[int, dict[str, Any], str]:
    plain = cli("log", "verify", *extra)
    result = cli("log", "verify", "--json", *extra)
    assert plain.exit_code == result.exit_code, plain.output
    if plain.exit_code:
        assert plain.stderr.startswith("Lỗi: "), plain.stderr
    return result.exit_code, json.loads(result.stdout), plain.stderr


def test_the_untouched_log_verifies_with_its_witness(station_log: Any, cli: Any) -> None:
    code, report, _ = verify(cli)
    assert code == 0 and report["checkpoints_checked"] == 3, report
    assert report["newest_checkpoint"]["id"] == 3 and report["newest_checkpoint"]["count"] == 4, report
    assert any("checkpoints.jsonl" in note for note in report["notes"]), report["notes"]


def test_every_sentence_has_a_test() -> None:
    doc = (ROOT / "docs" / "EVIDENCE-THREAT-MODEL.md").read_text(encoding="utf-8")
    tags = sorted(set(re.findall(r"\((T\d+)\)", doc)), key=lambda t: int(t[1:]))
    assert len(tags) >= 18, tags
    names = " ".join(name for name in globals() if name.startswith("test_"))
    missing = [t for t in tags if f"test_{t.lower()}_" not in names]
    assert not missing, f"sentences of the threat model without a test: {missing}"


# ------------------------------------------------------------------ cannot


@pytest.mark.parametrize("entry_id", [2, 6])
def test_t1_editing_any_entry_is_caught(station_log: Any, cli: Any, entry_id: int) -> None:
    sql(station_log, "UPDATE evidence SET status = 'completed', seconds_played = 1.5 WHERE id = :i", i=entry_id)
    code, report, stderr = verify(cli)
    assert code == 1 and report["first_bad_id"] == entry_id, report
    assert f"#{entry_id}" in stderr, stderr


def test_t2_recomputing_hashes_after_a_covered_edit_is_caught(station_log: Any, cli: Any) -> None:
    rewrite(station_log, 2, status="missed", seconds_played=0.0)
    code, report, _ = verify(cli)
    assert code == 1 and report["bad_checkpoint_id"] == 2 and report["first_bad_id"] == 2, report


@pytest.mark.parametrize("entry_id", [1, 3, 4])
def test_t3_deleting_an_entry_is_caught(station_log: Any, cli: Any, entry_id: int) -> None:
    sql(station_log, "DELETE FROM evidence WHERE id >= :i" if entry_id == 4 else "DELETE FROM evidence WHERE id = :i",
        i=entry_id)
    code, report, _ = verify(cli)
    assert code == 1 and report["problem"] in {"deleted", "truncated", "edited"}, report
    assert report["first_bad_id"] == entry_id, report


@pytest.mark.parametrize("column,value", [("count", 3), ("head_hash", "e" * 64), ("created_at", "2026-11-22 00:00:00.000000"),
                                          ("signature", base64.b64encode(b"\0" * 64).decode()), ("id", 9)])
def test_t4_altering_a_checkpoint_is_caught(station_log: Any, cli: Any, column: str, value: Any) -> None:
    sql(station_log, f"UPDATE checkpoints SET {column} = :v WHERE id = 3", v=value)
    code, report, _ = verify(cli)
    assert code == 1 and report["problem"] in {"forged_checkpoint", "checkpoint_deleted"}, report


def test_t4_a_checkpoint_signed_with_another_key_is_caught(station_log: Any, cli: Any) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    with station_log.session() as session:
        make_checkpoint(session, Ed25519PrivateKey.generate(), local(DAYS[2], 20))
    code, report, _ = verify(cli)
    assert code == 1 and report["problem"] == "forged_checkpoint" and report["bad_checkpoint_id"] == 4, report


def test_t5_deleting_a_middle_checkpoint_and_rewriting_after_it_is_caught(station_log: Any, cli: Any) -> None:
    sql(station_log, "DELETE FROM checkpoints WHERE id = 2")
    rewrite(station_log, 3, status="completed", title="Bản tin đã sửa")
    lose_witness(station_log)
    code, report, _ = verify(cli)
    assert code == 1 and report["problem"] == "checkpoint_deleted" and report["bad_checkpoint_id"] == 3, report


def test_t5_a_gap_in_checkpoint_numbers_names_the_first_unproven_entry(station_log: Any, cli: Any) -> None:
    sql(station_log, "DELETE FROM checkpoints WHERE id = 2")
    lose_witness(station_log)
    code, report, stderr = verify(cli)
    assert code == 1 and report["problem"] == "checkpoint_deleted" and report["bad_checkpoint_id"] == 3, report
    assert report["first_bad_id"] == 1, report  # checkpoint #1 covered 0 entries: nothing is proven
    assert "Thiếu điểm kiểm #2" in stderr, stderr


def test_t6_renumbering_checkpoints_to_close_a_gap_is_caught(station_log: Any, cli: Any) -> None:
    sql(station_log, "DELETE FROM checkpoints WHERE id = 2")
    sql(station_log, "UPDATE checkpoints SET id = 2 WHERE id = 3")
    lose_witness(station_log)
    code, report, _ = verify(cli)
    assert code == 1 and report["problem"] in {"forged_checkpoint", "checkpoint_deleted"}, report
    assert report["bad_checkpoint_id"] == 2, report


def test_t6_an_unchanged_checkpoint_moved_behind_another_breaks_the_signed_link(ctx: Any, cli: Any) -> None:
    """Checkpoints #1..#3 signed at counts 0, 0, 0: deleting #2 and sliding #3 down breaks #3's link."""
    key = load_private_key(ctx.settings.key_path)
    with ctx.session() as session:
        for hour in (5, 6, 7):
            make_checkpoint(session, key, local(DAYS[0], hour))
    sql(ctx, "DELETE FROM checkpoints WHERE id = 2")
    sql(ctx, "UPDATE checkpoints SET id = 2 WHERE id = 3")
    code, report, _ = verify(cli)
    assert code == 1 and report["bad_checkpoint_id"] == 2, report


def test_t7_deleting_the_newest_checkpoints_and_rewriting_later_days_is_caught(station_log: Any, cli: Any) -> None:
    """The issue's attack: keep checkpoint #1, delete #2 and #3, rewrite every entry after it."""
    sql(station_log, "DELETE FROM checkpoints WHERE id >= 2")
    rewrite(station_log, 3, status="completed", reason="", seconds_played=90.0, title="Đã phát đủ")
    lose_witness(station_log)
    code, report, stderr = verify(cli)
    assert code == 1 and report["problem"] == "checkpoint_missing", report
    assert report["first_bad_id"] == 1, report  # checkpoint #1 signed an empty log
    assert "22/11/2026" in stderr, stderr


def test_t7_deleting_only_the_newest_checkpoint_is_caught_by_the_day_it_left_empty(station_log: Any, cli: Any) -> None:
    sql(station_log, "DELETE FROM checkpoints WHERE id = 3")
    rewrite(station_log, 5, title="Bản tin thay thế")
    lose_witness(station_log)
    code, report, stderr = verify(cli)
    assert code == 1 and report["problem"] == "checkpoint_missing" and report["first_bad_id"] == 3, report
    assert "23/11/2026" in stderr and "#5" in stderr, stderr


def test_t8_deleting_every_checkpoint_and_rewriting_everything_is_caught(station_log: Any, cli: Any) -> None:
    sql(station_log, "DELETE FROM checkpoints")
    rewrite(station_log, 1, title="Lịch sử viết lại")
    lose_witness(station_log)
    code, report, _ = verify(cli)
    assert code == 1 and report["problem"] == "checkpoint_missing" and report["first_bad_id"] == 1, report


def test_t9_deleting_the_newest_checkpoint_on_its_own_day_is_caught_by_the_witness(station_log: Any, cli: Any) -> None:
    with station_log.session() as session:  # the office signs at 18:00 on 23/11: checkpoint #4 (6 entries)
        make_checkpoint(session, load_private_key(station_log.settings.key_path), local(DAYS[2], 18),
                        witness=station_log.settings.checkpoint_witness_path)
    sql(station_log, "DELETE FROM checkpoints WHERE id = 4")
    rewrite(station_log, 6, title="Sửa sau khi ký")
    code, report, stderr = verify(cli)
    assert code == 1 and report["problem"] == "checkpoint_deleted" and report["bad_checkpoint_id"] == 4, report
    assert report["first_bad_id"] == 6, report
    assert "checkpoints.jsonl" in stderr, stderr


def test_t9_a_checkpoint_rolled_back_never_reaches_the_witness(ctx: Any, cli: Any) -> None:
    with pytest.raises(RuntimeError):
        with ctx.session() as session:
            ensure_daily_checkpoint(session, ctx.settings, local(DAYS[0], 5))
            raise RuntimeError("disk full")
    assert not ctx.settings.checkpoint_witness_path.exists()
    code, report, _ = verify(cli)
    assert code == 0, report


def _export(cli: Any, path: Path, fmt: str) -> None:
    result = cli("log", "export", "--format", fmt, "--out", str(path))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_t10_an_export_kept_elsewhere_exposes_a_rewrite_behind_its_checkpoint(
        station_log: Any, cli: Any, tmp_path: Path, fmt: str) -> None:
    with station_log.session() as session:
        make_checkpoint(session, load_private_key(station_log.settings.key_path), local(DAYS[2], 18))
    kept = tmp_path / f"filed.{fmt}"
    _export(cli, kept, fmt)
    sql(station_log, "DELETE FROM checkpoints WHERE id = 4")
    rewrite(station_log, 5, status="completed", title="Không phải bản đã nộp")
    code, report, stderr = verify(cli, "--witness", str(kept))
    assert code == 1 and report["bad_checkpoint_id"] == 4 and report["first_bad_id"] == 5, report
    assert kept.name in stderr, stderr


def test_t10_the_checkpoint_printed_on_a_filed_report_exposes_a_rewrite(station_log: Any, cli: Any, tmp_path: Path) -> None:
    signed = cli("log", "checkpoint", "--json")
    token = f"{json.loads(signed.stdout)['id']}:{json.loads(signed.stdout)['hash']}"
    pdf = tmp_path / "bao-cao.pdf"
    _export(cli, pdf, "pdf")
    import subprocess

    printed = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert token in printed.replace("\n", "").replace(" ", ""), "the PDF carries the newest checkpoint"
    assert verify(cli, "--checkpoint", token)[0] == 0
    sql(station_log, "DELETE FROM checkpoints WHERE id = 4")
    rewrite(station_log, 6, seconds_played=5.0)
    code, report, stderr = verify(cli, "--checkpoint", token)
    assert code == 1 and report["problem"] == "checkpoint_deleted" and report["bad_checkpoint_id"] == 4, report
    assert "báo cáo" in stderr, stderr
    assert cli("log", "verify", "--checkpoint", "4:abc").exit_code == 1


def test_t11_an_export_exposes_a_rewrite_of_entries_no_checkpoint_covers(station_log: Any, cli: Any, tmp_path: Path) -> None:
    kept = tmp_path / "copy.csv"
    _export(cli, kept, "csv")  # entries #5, #6 are after the newest checkpoint
    rewrite(station_log, 6, status="completed", title="Đổi sau khi xuất")
    assert verify(cli)[0] == 0, "without the copy the tail rewrite is invisible (T13)"
    code, report, stderr = verify(cli, "--witness", str(kept))
    assert code == 1 and report["first_bad_id"] == 6 and report["problem"] == "edited", report
    assert "copy.csv" in stderr, stderr


def test_t12_a_tampered_export_is_refused_as_a_witness(station_log: Any, cli: Any, tmp_path: Path) -> None:
    kept = tmp_path / "copy.json"
    _export(cli, kept, "json")
    document = json.loads(kept.read_text(encoding="utf-8"))
    document["entries"][0]["title"] = "Sửa trong bản sao"
    kept.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = cli("log", "verify", "--witness", str(kept))
    assert result.exit_code == 1 and "đã bị sửa" in result.stderr, result.output


# ------------------------------------------------------------------ can


def test_t13_the_tail_after_the_newest_checkpoint_can_be_rewritten_until_signed(station_log: Any, cli: Any) -> None:
    rewrite(station_log, 6, status="completed", title="Không ai biết")
    sql(station_log, "DELETE FROM evidence WHERE id = 6")
    assert verify(cli)[0] == 0, "documented limit: nothing signed covers entry #6 yet"
    assert cli("log", "checkpoint").exit_code == 0  # the office signs before filing: the window closes
    sql(station_log, "UPDATE evidence SET title = 'Lại sửa' WHERE id = 5")
    assert verify(cli)[0] == 1


def test_t14_a_rewritten_tail_gets_signed_by_the_next_checkpoint(station_log: Any, cli: Any, tmp_path: Path) -> None:
    kept = tmp_path / "before.csv"
    _export(cli, kept, "csv")
    rewrite(station_log, 5, title="Chèn trước khi ký")
    assert cli("log", "checkpoint").exit_code == 0
    assert verify(cli)[0] == 0, "documented limit: the checkpoint vouches for what the database held"
    assert verify(cli, "--witness", str(kept))[0] == 1, "an export taken before the rewrite exposes it"


def test_t15_without_any_copy_the_newest_checkpoint_of_its_own_day_can_go(station_log: Any, cli: Any) -> None:
    with station_log.session() as session:
        make_checkpoint(session, load_private_key(station_log.settings.key_path), local(DAYS[2], 18))
    sql(station_log, "DELETE FROM checkpoints WHERE id = 4")
    rewrite(station_log, 6, title="Sửa cùng ngày")
    assert verify(cli)[0] == 0, "documented limit: same day, no witness, no filed copy"


def test_t16_destroying_the_log_cannot_be_hidden(station_log: Any, cli: Any) -> None:
    sql(station_log, "DELETE FROM evidence")
    sql(station_log, "DELETE FROM checkpoints")
    code, report, stderr = verify(cli)
    assert code == 1 and report["problem"] == "checkpoint_deleted" and report["bad_checkpoint_id"] == 1, report
    assert "checkpoints.jsonl" in stderr, stderr


def test_t19_without_any_copy_the_whole_log_can_go(station_log: Any, cli: Any) -> None:
    sql(station_log, "DELETE FROM evidence")
    sql(station_log, "DELETE FROM checkpoints")
    lose_witness(station_log)
    code, report, _ = verify(cli)
    assert code == 0 and report["count"] == 0, "documented limit: nothing is left to compare with"


def test_t17_the_database_holds_nothing_that_signs(station_log: Any) -> None:
    pem = station_log.settings.key_path.read_text()
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    raw_key = base64.b64decode(body)[-32:]
    blob = Path(station_log.settings.database_url.removeprefix("sqlite:///")).read_bytes()
    for suffix in ("-wal",):
        wal = Path(station_log.settings.database_url.removeprefix("sqlite:///") + suffix)
        if wal.exists():
            blob += wal.read_bytes()
    assert body[:40].encode() not in blob and raw_key not in blob, "the private key must never be in the database"
    with station_log.session() as session:
        assert session.query(EvidenceEntry).count() == 6, "entries are readable: evidence, not a secret"


def test_t18_a_covered_day_without_a_checkpoint_is_a_note(ctx: Any, cli: Any) -> None:
    key = load_private_key(ctx.settings.key_path)
    with ctx.session() as session:
        make_checkpoint(session, key, local(DAYS[0], 5), witness=ctx.settings.checkpoint_witness_path)
        add_entry(session, DAYS[0], 6, 1)
        add_entry(session, DAYS[1], 6, 2)  # 22/11: the station could not sign that day
        make_checkpoint(session, key, local(DAYS[2], 5), witness=ctx.settings.checkpoint_witness_path)
    code, report, _ = verify(cli)
    assert code == 0, report
    assert any("22/11/2026" in note for note in report["notes"]), report["notes"]


def test_t10_the_line_reports_to_the_province_print_is_a_checkpoint_verify_accepts(
        station_log: Any, cli: Any) -> None:
    """``checkpoints.proof_line`` is what the report to the province prints (and any other report)."""
    from broadcaster.checkpoints import proof_line

    with station_log.session() as session:
        line = proof_line(session, "Asia/Ho_Chi_Minh")
    assert "UTC" not in line and re.search(r"ký lúc \d\d:\d\d:\d\d ngày \d\d/\d\d/\d{4}", line), line
    token = re.search(r"mã đối chiếu (\d+:[0-9a-f]{64})", line)
    assert token is not None and token.group(1).startswith("3:"), line
    assert verify(cli, "--checkpoint", token.group(1))[0] == 0
    sql(station_log, "DELETE FROM checkpoints WHERE id = 3")
    assert verify(cli, "--checkpoint", token.group(1))[0] == 1
