"""The evidence log: every edit, deletion, reordering, truncation or forged checkpoint is caught.

Tampering is done the way an attacker with the database file would do it: raw SQL, bypassing the
code (which has no update path). Each case is checked through ``broadcaster log verify`` as an
operator runs it: exit 1, the bad entry named in Vietnamese.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from broadcaster import evidence
from broadcaster.checkpoints import ensure_daily_checkpoint, make_checkpoint
from broadcaster.errors import DuplicateError, ValidationError
from broadcaster.keys import key_id, load_private_key, load_public_key
from broadcaster.models import Checkpoint, EvidenceEntry

T0 = dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.timezone.utc)  # 06:30 on 21/11 in Hà Nội


def add(session: Any, n: int, **overrides: Any) -> EvidenceEntry:
    values: dict[str, Any] = dict(
        occurrence_key=f"slot-{n}@2026-11-21",
        status="completed",
        scheduled_at=T0 + dt.timedelta(hours=n),
        started_at=T0 + dt.timedelta(hours=n, seconds=0.25),
        ended_at=T0 + dt.timedelta(hours=n, seconds=95.5),
        seconds_played=95.25,
        title=f"Thông báo số {n}: lịch tiêm chủng “đợt 2”",
        category="Y tế",
        campaign="Tiêm chủng mở rộng",
        priority="normal",
        zone="Thôn Đông, Thôn Tây",
        output="main",
        host="tram-phat",
        items=[{"kind": "bulletin", "title": "Tiêm chủng", "text_sha256": "a" * 64,
                "audio_sha256": "b" * 64, "engine": "espeak", "seconds": 95.25}],
        slot_id=n,
        aircheck_sha256="c" * 64,
        aircheck_path=f"audio/aircheck/{n}.flac",
        now=T0 + dt.timedelta(hours=n, minutes=2),
    )
    values.update(overrides)
    return evidence.append_entry(session, **values)


@pytest.fixture
def log5(ctx: Any) -> Any:
    """Five entries and a checkpoint signed after them."""
    with ctx.session() as session:
        for n in range(1, 6):
            add(session, n)
        make_checkpoint(session, load_private_key(ctx.settings.key_path), T0 + dt.timedelta(hours=6))
    return ctx


def raw(ctx: Any, sql: str, **params: Any) -> None:
    with ctx.engine.begin() as connection:
        connection.execute(text(sql), params)


def verify_json(cli: Any) -> tuple[int, dict[str, Any]]:
    result = cli("log", "verify", "--json")
    return result.exit_code, json.loads(result.stdout)


def test_intact_log_verifies_and_links_each_entry_to_the_one_before(log5: Any, cli: Any) -> None:
    with log5.session() as session:
        entries = session.query(EvidenceEntry).order_by(EvidenceEntry.id).all()
    assert entries[0].prev_hash == "0" * 64, "the first entry chains to 64 zeros"
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.hash, f"entry #{after.id} must carry #{before.id}'s hash"
    result = cli("log", "verify")
    assert result.exit_code == 0, result.output
    assert "nguyên vẹn" in result.stdout and entries[-1].hash in result.stdout, result.stdout
    code, report = verify_json(cli)
    assert code == 0 and report["ok"] and report["count"] == 5 and report["checkpoints_checked"] == 1, report


def test_one_entry_per_occurrence(log5: Any) -> None:
    with log5.session() as session:
        assert evidence.has_entry(session, "slot-1@2026-11-21")
        assert not evidence.has_entry(session, "slot-1@2026-11-22")
        with pytest.raises(DuplicateError, match="đã có mục"):
            add(session, 1)


def test_bad_input_is_refused_in_vietnamese(ctx: Any) -> None:
    with ctx.session() as session:
        with pytest.raises(ValidationError, match="Trạng thái"):
            add(session, 1, status="played")
        with pytest.raises(ValidationError, match="múi giờ"):
            add(session, 1, scheduled_at=dt.datetime(2026, 11, 21, 6, 30))
        with pytest.raises(ValidationError, match="Số giây"):
            add(session, 1, seconds_played=float("nan"))


# Every column of the evidence table, with a raw-SQL value different from what entry #3 holds.
TAMPERS: dict[str, Any] = {
    "occurrence_key": "slot-3@2026-11-22",
    "slot_id": 33,
    "title": "Thông báo số 3 (đã sửa)",
    "category": "Nông nghiệp",
    "campaign": "Chuyển đổi số",
    "scheduled_at": "2026-11-21 03:30:00.000000",
    "started_at": "2026-11-21 02:30:00.250001",
    "ended_at": "2026-11-21 02:31:00.000000",
    "status": "failed",
    "reason": "Mất điện",
    "seconds_played": 95.0,
    "priority": "emergency",
    "zone": "Thôn Đông",
    "output": "phu",
    "host": "may-khac",
    "items": json.dumps([{"kind": "bulletin", "title": "Tiêm chủng", "text_sha256": "a" * 64,
                          "audio_sha256": "b" * 64, "engine": "gtts", "seconds": 95.25}]),
    "aircheck_sha256": "d" * 64,
    "aircheck_path": None,
    "corrects_id": 1,
    "recorded_at": "2026-11-21 02:33:00.000000",
    "prev_hash": "1" * 64,
    "hash": "f" * 64,
}


def test_every_field_is_covered_by_a_tamper_case() -> None:
    columns = {c.name for c in EvidenceEntry.__table__.columns} - {"id"}
    assert columns == set(TAMPERS), f"columns without a tamper test: {columns ^ set(TAMPERS)}"


@pytest.mark.parametrize("column", sorted(TAMPERS))
def test_editing_any_field_is_caught_and_the_entry_named(log5: Any, cli: Any, column: str) -> None:
    raw(log5, f"UPDATE evidence SET {column} = :value WHERE id = 3", value=TAMPERS[column])
    result = cli("log", "verify")
    assert result.exit_code == 1, f"editing {column} went unnoticed: {result.output}"
    assert "#3" in result.stderr and "sửa" in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1, f"one line on stderr: {result.stderr!r}"
    code, report = verify_json(cli)
    assert code == 1 and report["first_bad_id"] == 3 and report["problem"] == "edited", report


def test_a_null_made_empty_string_is_an_edit_too(log5: Any, cli: Any) -> None:
    raw(log5, "UPDATE evidence SET corrects_id = NULL, aircheck_path = '' WHERE id = 2")
    code, report = verify_json(cli)
    assert code == 1 and report["first_bad_id"] == 2, report


def test_moving_an_entry_to_another_id_is_caught(log5: Any, cli: Any) -> None:
    raw(log5, "UPDATE evidence SET id = 99 WHERE id = 3")
    code, report = verify_json(cli)
    assert code == 1 and report["first_bad_id"] == 3, report


def test_deleting_an_entry_is_caught(log5: Any, cli: Any) -> None:
    raw(log5, "DELETE FROM evidence WHERE id = 3")
    result = cli("log", "verify")
    assert result.exit_code == 1, result.output
    assert "thiếu mục #3" in result.stderr, result.stderr
    code, report = verify_json(cli)
    assert report["problem"] == "deleted" and report["first_bad_id"] == 3, report


def test_deleting_the_first_entry_is_caught(log5: Any, cli: Any) -> None:
    raw(log5, "DELETE FROM evidence WHERE id = 1")
    code, report = verify_json(cli)
    assert code == 1 and report["problem"] == "deleted" and report["first_bad_id"] == 1, report


def test_reordering_entries_is_caught(log5: Any, cli: Any) -> None:
    raw(log5, "UPDATE evidence SET id = -2 WHERE id = 2")
    raw(log5, "UPDATE evidence SET id = 2 WHERE id = 4")
    raw(log5, "UPDATE evidence SET id = 4 WHERE id = -2")
    result = cli("log", "verify")
    assert result.exit_code == 1, result.output
    assert "đảo thứ tự" in result.stderr and "#2" in result.stderr, result.stderr
    code, report = verify_json(cli)
    assert report["problem"] == "reordered" and report["first_bad_id"] == 2, report


def test_truncating_the_tail_after_a_checkpoint_is_caught(log5: Any, cli: Any) -> None:
    raw(log5, "DELETE FROM evidence WHERE id >= 4")
    result = cli("log", "verify")
    assert result.exit_code == 1, result.output
    assert "bị cắt" in result.stderr and "#4" in result.stderr, result.stderr
    code, report = verify_json(cli)
    assert report["problem"] == "truncated" and report["first_bad_id"] == 4, report


def test_rewriting_the_whole_chain_after_an_edit_is_caught_by_the_signed_checkpoint(log5: Any, cli: Any) -> None:
    """Someone edits #2 and recomputes every hash after it: the chain holds, the signature does not."""
    raw(log5, "UPDATE evidence SET status = 'missed', seconds_played = 0 WHERE id = 2")
    with log5.session() as session:
        rows = session.query(EvidenceEntry).order_by(EvidenceEntry.id).all()
        values = [(e.id, evidence.content_digest(evidence.entry_values(e))) for e in rows]
    prev = evidence.GENESIS
    for entry_id, digest in values:
        new = evidence.link_hash(prev, digest)
        raw(log5, "UPDATE evidence SET prev_hash = :p, hash = :h WHERE id = :i", p=prev, h=new, i=entry_id)
        prev = new
    code, report = verify_json(cli)
    assert code == 1 and report["first_bad_id"] == 5 and report["bad_checkpoint_id"] == 1, report
    assert "điểm kiểm #1" in report["message"], report


@pytest.mark.parametrize("forgery", ["count", "head_hash", "created_at", "signature", "other_key"])
def test_a_forged_checkpoint_is_caught(log5: Any, cli: Any, forgery: str) -> None:
    if forgery == "count":
        raw(log5, "UPDATE checkpoints SET count = 3")
    elif forgery == "head_hash":
        raw(log5, "UPDATE checkpoints SET head_hash = :h", h="e" * 64)
    elif forgery == "created_at":
        raw(log5, "UPDATE checkpoints SET created_at = '2026-11-21 06:00:00.000000'")
    elif forgery == "signature":
        raw(log5, "UPDATE checkpoints SET signature = :s", s=base64.b64encode(b"\0" * 64).decode())
    else:
        other = Ed25519PrivateKey.generate()
        with log5.session() as session:
            cp = make_checkpoint(session, other, T0 + dt.timedelta(hours=7))
            assert cp.key_id == key_id(other.public_key())
    result = cli("log", "verify")
    assert result.exit_code == 1, f"forged checkpoint ({forgery}) accepted: {result.output}"
    assert "Điểm kiểm #" in result.stderr, result.stderr
    code, report = verify_json(cli)
    assert report["problem"] == "forged_checkpoint", report


def test_a_correction_is_a_new_entry_pointing_at_the_old_one(log5: Any, cli: Any) -> None:
    with log5.session() as session:
        before = session.get(EvidenceEntry, 2).hash
    result = cli("log", "correct", "2", "--reason", "Thực tế bị mất điện", "--status", "failed", "--seconds", "0")
    assert result.exit_code == 0, result.output
    assert "#6" in result.stdout, result.stdout
    with log5.session() as session:
        original = session.get(EvidenceEntry, 2)
        correction = session.get(EvidenceEntry, 6)
        assert original.hash == before and original.status == "completed", "the original is untouched"
        assert correction.corrects_id == 2 and correction.status == "failed"
        assert correction.occurrence_key is None and "mất điện" in correction.reason
        assert correction.title == original.title and correction.zone == original.zone
    assert cli("log", "verify").exit_code == 0
    missing = cli("log", "correct", "42", "--reason", "x")
    assert missing.exit_code == 1 and "#42" in missing.stderr, missing.output


def test_fast_sqlite_path_encodes_exactly_like_the_reference(ctx: Any) -> None:
    """The SQLite fast path and the portable encoding must agree byte for byte, odd values included."""
    with ctx.session() as session:
        add(session, 1)
        add(session, 2, occurrence_key=None, title='ngoặc "kép" \\ và\nxuống dòng\t😀', reason="",
            seconds_played=1e-7, items=[], zone="", slot_id=None, aircheck_sha256=None, aircheck_path=None,
            started_at=None, ended_at=None, status="missed")
        add(session, 3, seconds_played=12345678.125, items=[{"z": 1, "a": [1.5, None, True], "ư": "ê"}],
            corrects_id=1)
    with ctx.session() as session:
        fast = {row.id: row.digest for row in evidence.iter_chain_rows(session)}
        reference = {e.id: evidence.content_digest(evidence.entry_values(e))
                     for e in session.query(EvidenceEntry)}
    assert fast == reference


def stored_items(ctx: Any) -> dict[int, str]:
    with ctx.engine.connect() as connection:
        return dict(connection.execute(text("SELECT id, items FROM evidence ORDER BY id")).all())


def test_items_are_stored_as_the_canonical_text_that_was_hashed(log5: Any) -> None:
    with log5.session() as session:
        expected = {e.id: evidence.items_text(e.items) for e in session.query(EvidenceEntry)}
        entry = add(session, 9, items=[{"z": 1, "ư": "ê", "a": 2.5}])
        assert entry.items == [{"z": 1, "ư": "ê", "a": 2.5}], "the entity keeps the Python value"
        session.commit()
    stored = stored_items(log5)
    assert {k: stored[k] for k in expected} == expected
    assert stored[6] == '[{"a":2.5,"z":1,"ư":"ê"}]', f"sorted keys, compact, no \\u escapes: {stored[6]}"


def test_entries_written_before_canonical_items_still_verify(log5: Any, cli: Any) -> None:
    """Older entries hold json.dumps' text (ASCII escapes, spaces, insertion order): mixed runs verify."""
    with log5.session() as session:
        legacy = {e.id: json.dumps([dict(reversed(list(item.items()))) for item in e.items])
                  for e in session.query(EvidenceEntry) if e.id in (1, 2, 4)}
    for entry_id, value in legacy.items():
        raw(log5, "UPDATE evidence SET items = :value WHERE id = :id", value=value, id=entry_id)
    assert "\\u" in stored_items(log5)[1], "the legacy text must really differ from the canonical one"
    code, report = verify_json(cli)
    assert code == 0 and report["ok"] and report["count"] == 5, report
    with log5.session() as session:
        fast = {row.id: row.digest for row in evidence.iter_chain_rows(session)}
        reference = {e.id: evidence.content_digest(evidence.entry_values(e))
                     for e in session.query(EvidenceEntry)}
    assert fast == reference, "legacy and canonical rows give the reference digests"

    # An edit to a legacy entry's items is still caught and named.
    raw(log5, "UPDATE evidence SET items = :value WHERE id = 4",
        value=legacy[4].replace("espeak", "gtts"))
    code, report = verify_json(cli)
    assert code == 1 and report["first_bad_id"] == 4 and report["problem"] == "edited", report


@pytest.mark.parametrize("value", [
    '[{"audio_sha256":"' + "b" * 64 + '","engine":"gtts","kind":"bulletin","seconds":95.25,'
    '"text_sha256":"' + "a" * 64 + '","title":"Tiêm chủng"}]',  # canonical text of other items
    '[]',
    'null',
    '[{"audio_sha256":"' + "b" * 64 + '","engine":"espeak","kind":"bulletin","seconds":95.25,'
    '"text_sha256":"' + "a" * 64 + '","title":"Tiêm chủng"}],"extra":1',  # not JSON at all
])
def test_items_edited_to_other_canonical_text_is_caught(log5: Any, cli: Any, value: str) -> None:
    raw(log5, "UPDATE evidence SET items = :value WHERE id = 2", value=value)
    code, report = verify_json(cli)
    assert code == 1 and report["first_bad_id"] == 2 and report["problem"] == "edited", (value, report)


def test_concurrent_writers_keep_one_unbroken_chain(ctx: Any) -> None:
    """Two writers (like two outputs' stations) append at once; the chain never forks."""
    errors: list[BaseException] = []

    def writer(prefix: str) -> None:
        try:
            for n in range(15):
                with ctx.session() as session:
                    evidence.append_entry(session, occurrence_key=f"{prefix}-{n}", status="completed",
                                          scheduled_at=T0, started_at=T0, ended_at=T0, seconds_played=1.0)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with ctx.session() as session:
        result = evidence.verify_chain(session, load_public_key(ctx.settings.public_key_path))
    assert result.ok and result.count == 30, result.message


def test_daily_checkpoint_is_made_once_per_local_day(ctx: Any) -> None:
    late = dt.datetime(2026, 11, 26, 16, 59, tzinfo=dt.timezone.utc)  # 23:59 local
    with ctx.session() as session:
        add(session, 1)
        assert ensure_daily_checkpoint(session, ctx.settings, late - dt.timedelta(hours=10)) is not None
        assert ensure_daily_checkpoint(session, ctx.settings, late) is None, "same local day: no second"
        add(session, 2)
        next_day = ensure_daily_checkpoint(session, ctx.settings, late + dt.timedelta(minutes=2))
        assert next_day is not None and next_day.count == 2, "00:01 local is a new day"
    with ctx.session() as session:
        assert session.query(Checkpoint).count() == 2
        result = evidence.verify_chain(session, load_public_key(ctx.settings.public_key_path))
    assert result.ok and result.checkpoints_checked == 2, result.message


def test_checkpoint_command_signs_the_current_head(log5: Any, cli: Any) -> None:
    result = cli("log", "checkpoint", "--json")
    assert result.exit_code == 0, result.output
    signed = json.loads(result.stdout)
    with log5.session() as session:
        assert signed["count"] == 5 and signed["head_hash"] == evidence.head(session)[1]
    public = load_public_key(log5.settings.public_key_path)
    created = dt.datetime.fromisoformat(signed["created_at"])
    with log5.session() as session:
        first = evidence.load_checkpoints(session)[0]
    assert signed["id"] == 2 and signed["prev_hash"] == first.hash, "chained to the fixture's checkpoint #1"
    public.verify(base64.b64decode(signed["signature"]),
                  evidence.checkpoint_text(5, signed["head_hash"], created, checkpoint_id=2,
                                           prev_hash=first.hash).encode())


def test_list_json_gives_the_interface_fields_in_local_time(log5: Any, cli: Any) -> None:
    result = cli("log", "list", "--json", "--from", "21/11/2026", "--to", "2026-11-21")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)
    assert [e["id"] for e in entries] == [1, 2, 3, 4, 5]
    first = entries[0]
    assert set(first) == {"id", "occurrence", "scheduled_at", "started_at", "ended_at", "status", "reason",
                          "seconds_played", "priority", "zone", "output", "items", "aircheck_sha256",
                          "prev_hash", "hash", "receiver"}
    assert first["receiver"] is None  # the commune's own outputs; a village box's entries name it
    assert first["scheduled_at"] == "2026-11-21T07:30:00+07:00", first
    assert first["items"][0]["engine"] == "espeak"
    assert json.loads(cli("log", "list", "--json", "--status", "missed").stdout) == []
    human = cli("log", "list")
    assert "Thông báo số 1" in human.stdout and "Tổng cộng 5 mục" in human.stdout, human.stdout
    assert re.search(r"\d,\d phút", human.stdout) and not re.search(r"\d\.\d phút", human.stdout), \
        "phút với dấu phẩy thập phân: " + human.stdout
    bad = cli("log", "list", "--from", "31/02/2026")
    assert bad.exit_code == 1 and "Ngày không hợp lệ" in bad.stderr, bad.output
