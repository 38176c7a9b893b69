"""The playout engine's pure parts: the status rule, the evidence writer's retries, the air gate.

No sound server and no sleeping beyond a few milliseconds: the status comes from plain values, the
sink is a fake that fails on demand (a locked database), the gate is driven by threads.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

from broadcaster.station.air_gate import AirGate
from broadcaster.station.aircheck import Aircheck
from broadcaster.station.evidence_writer import EvidenceWriter
from broadcaster.station.interfaces import EntryRecord, StateMark
from broadcaster.station.playout import PlayResult
from broadcaster.station.verdict import decide

UTC = dt.timezone.utc
T = dt.datetime(2026, 12, 1, 23, 0, 0, tzinfo=UTC)


def played(seconds: float = 10.0, code: int = 0, preempted: bool = False, reason: str = "",
           late_s: float = 0.0, stderr: str = "") -> PlayResult:
    start = T + dt.timedelta(seconds=late_s)
    return PlayResult(code, stderr, start, start + dt.timedelta(seconds=seconds), seconds,
                      preempted, reason)


def heard(dead: bool = False, note: str = "") -> Aircheck:
    return Aircheck(Path("audio/aircheck/x.opus"), "ab" * 32, 10.0, dead, note)


def judge(result: PlayResult | None, check: Aircheck | None = None, error: str = "", **kw: object):
    return decide(result, error, check, scheduled_at=T, program_seconds=10.0, now=T, **kw)  # type: ignore[arg-type]


def test_a_full_playback_heard_on_the_output_is_completed() -> None:
    verdict = judge(played(), heard())
    assert verdict.status == "completed" and verdict.reason == "", verdict
    assert verdict.started_at == T and verdict.seconds == 10.0


def test_a_playback_longer_than_its_program_is_completed_with_the_silences_noted() -> None:
    verdict = judge(played(15.2), heard())
    assert verdict.status == "completed" and verdict.seconds == 15.2
    assert verdict.reason == ("Phát mất 15,2 giây cho chương trình dài 10,0 giây: đầu ra bị nghẽn, "
                              "loa có khoảng lặng giữa chừng"), verdict.reason
    assert judge(played(10.9), heard()).reason == "", "the player's own drain is no stretch"


def test_no_player_is_failed_with_the_error_and_no_seconds() -> None:
    verdict = judge(None, error="Không tìm thấy thiết bị âm thanh 'loa'")
    assert verdict.status == "failed" and verdict.seconds == 0.0
    assert "Không tìm thấy thiết bị âm thanh 'loa'" in verdict.reason


def test_cut_short_is_interrupted_with_the_reason_and_what_aired() -> None:
    verdict = judge(played(seconds=3.2, code=-15, preempted=True, reason="Dừng theo lệnh số 4"),
                    heard())
    assert verdict.status == "interrupted", verdict
    assert "Dừng theo lệnh số 4" in verdict.reason and "3,2/10,0 giây" in verdict.reason


def test_a_player_error_is_failed_with_its_stderr() -> None:
    verdict = judge(played(seconds=0.1, code=1, reason="Trình phát lỗi, mã thoát 1", stderr="boom"))
    assert verdict.status == "failed" and "mã thoát 1" in verdict.reason and "stderr: boom" in verdict.reason


def test_silence_on_the_output_while_the_player_succeeded_is_dead_air_failed() -> None:
    verdict = judge(played(), heard(dead=True, note="Mất tín hiệu (dead air): im lặng"))
    assert verdict.status == "failed" and "dead air" in verdict.reason, verdict


def test_an_aircheck_that_could_not_record_is_a_note_not_a_failure() -> None:
    verdict = judge(played(), Aircheck(None, None, 0.0, False, "Không ghi được bản kiểm tra"))
    assert verdict.status == "completed" and "Không ghi được bản kiểm tra" in verdict.reason


def test_a_late_start_is_noted_with_its_delay_but_a_small_one_is_not() -> None:
    assert "Phát trễ 4,0 giây" in judge(played(late_s=4.0)).reason
    assert judge(played(late_s=0.004)).reason == ""


def test_notes_are_kept_in_order_after_the_outcome() -> None:
    verdict = judge(played(), notes=["Dựng lại", "", "Lệnh âm ly (off) lỗi"])
    assert verdict.reason == "Dựng lại; Lệnh âm ly (off) lỗi", verdict.reason


class FlakySink:
    """A sink that fails (like a locked database) until ``fail_until`` passes."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.written: list[str] = []
        self.marks: list[tuple[str, str]] = []

    def append(self, record: EntryRecord) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("database is locked")
        self.written.append(record.key)

    def mark(self, mark: StateMark) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("database is locked")
        self.marks.append((mark.key, mark.state))

    def has_entry(self, key: str) -> bool:
        return key in self.written


def record(key: str) -> EntryRecord:
    return EntryRecord({"occurrence_key": key, "status": "completed"}, None, "completed")


def test_the_writer_returns_at_once_and_writes_in_order_after_the_database_comes_back() -> None:
    sink = FlakySink(failures=3)
    writer = EvidenceWriter(sink)
    writer.start()
    began = time.monotonic()
    writer.mark(StateMark("a", None, "playing"))
    writer.submit(record("a"))
    writer.submit(record("b"))
    handed = time.monotonic() - began
    assert handed < 0.05, f"the playout never waits for the database ({handed:.3f} s)"
    assert writer.has_entry("a") and writer.has_entry("b"), "queued entries count as recorded"
    assert writer.wait_idle(10), "written once the lock is gone"
    assert sink.marks == [("a", "playing")] and sink.written == ["a", "b"], (sink.marks, sink.written)
    assert writer.backlog() == 0
    writer.stop()


def test_the_gate_lets_overdue_airings_through_in_scheduled_order_and_urgent_first() -> None:
    stop = threading.Event()
    gate = AirGate(lambda: T, stop)
    assert gate.take(gate.enqueue(urgent=False, scheduled_at=T))
    order: list[str] = []

    def wait(name: str, offset_s: float, urgent: bool = False) -> None:
        ticket = gate.enqueue(urgent=urgent, scheduled_at=T + dt.timedelta(seconds=offset_s))
        if gate.take(ticket):
            order.append(name)
            gate.release()

    threads = []
    for name, offset, urgent in (("third", 30, False), ("first", 10, False),
                                 ("second", 20, False), ("urgent", 99, True)):
        thread = threading.Thread(target=wait, args=(name, offset, urgent))
        thread.start()
        threads.append(thread)
        time.sleep(0.02)
    gate.release()
    for thread in threads:
        thread.join(5)
    assert order == ["urgent", "first", "second", "third"], order


def test_the_gate_gives_up_at_the_deadline_and_when_stopping() -> None:
    stop = threading.Event()
    gate = AirGate(lambda: T + dt.timedelta(seconds=5), stop)
    assert gate.take(gate.enqueue(urgent=False, scheduled_at=T))
    late = gate.enqueue(urgent=False, scheduled_at=T)
    assert not gate.take(late, until=T), "past its deadline: missed"
    stop.set()
    assert not gate.take(gate.enqueue(urgent=True)), "stopping: nobody takes the air"
    assert not gate._waiting, "a ticket that gave up leaves the queue"


# ---------------------------------------------------------------- an emergency's signal, then its bulletin

def _program(title: str, seconds: float) -> object:
    from broadcaster.station.interfaces import Program

    return Program(Path(f"/tmp/{title}.wav"), "0" * 64, seconds,
                   [{"kind": "speech" if title != "signal" else "jingle", "title": title}])


def test_a_follow_lists_the_signal_as_often_as_it_aired_then_the_bulletin() -> None:
    from broadcaster.station.follow import Follow

    follow = Follow()
    follow.deliver(_program("Cảnh báo lũ", 20.0))
    follow.openings, follow.silence_s, follow.fed_rest = 2, 2.0, True
    items, seconds, note = follow.compose(_program("signal", 2.8))
    assert [i["title"] for i in items] == ["signal", "signal", "Cảnh báo lũ"], items
    assert seconds == 2.8 * 2 + 2.0 + 20.0 and "phát 2 lần" in note, (seconds, note)
    assert follow.unaired_reason() == ""


def test_a_bulletin_that_failed_after_its_signal_is_failed_with_both_said() -> None:
    from broadcaster.station.follow import Follow

    follow = Follow()
    follow.openings, follow.silence_s = 1, 1.5
    follow.fail("Không tìm thấy tệp âm thanh “ghi-am.mp3”")
    items, seconds, _ = follow.compose(_program("signal", 2.8))
    assert [i["title"] for i in items] == ["signal"] and seconds == 4.3, (items, seconds)
    unaired = follow.unaired_reason()
    assert "Chỉ phát được tín hiệu khẩn cấp" in unaired and "ghi-am.mp3" in unaired, unaired
    verdict = judge(played(seconds=4.3), heard(), unaired=unaired)
    assert verdict.status == "failed" and unaired in verdict.reason, verdict
    cut = judge(played(seconds=1.0, code=-15, preempted=True, reason="Dừng theo lệnh số 9"), heard(),
                unaired=unaired)
    assert cut.status == "interrupted" and "Dừng theo lệnh số 9" in cut.reason, cut


def test_a_late_bulletin_is_not_aired_once_the_feeder_gave_up() -> None:
    from broadcaster.station.follow import Follow

    follow = Follow(max_wait_s=0.0)
    follow.give_up("chưa dựng xong sau 0 giây")
    follow.deliver(_program("Cảnh báo lũ", 20.0))  # too late: the stream has ended
    assert follow.rest is None and "chưa dựng xong" in follow.unaired_reason()


def test_a_player_that_talks_a_lot_on_stderr_does_not_hang_the_output() -> None:
    """``paplay -v`` writes about 1 kB of progress a second: a program over a minute filled the
    unread pipe, the player blocked for ever and nothing was logged. The playback reads it."""
    import subprocess
    import sys

    from broadcaster.station.playout import Playback

    talk = ("import sys\nfor i in range(20000):\n"
            "    sys.stderr.write('Time: %d.0 sec; Latency: 250000 usec.\\n' % i)\n"
            "sys.stderr.write('xong\\n')\n")
    proc = subprocess.Popen([sys.executable, "-c", talk], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    results: list[PlayResult] = []
    waiter = threading.Thread(target=lambda: results.append(
        Playback(proc, T, "loaxa").wait(progress=lambda s: None, every_s=0.05)), daemon=True)
    waiter.start()
    waiter.join(20)
    if proc.poll() is None:
        proc.kill()
    assert results, "the player blocked on its stderr and the playback never ended"
    assert results[0].returncode == 0 and results[0].stderr.endswith("xong"), results[0].stderr[-200:]


def test_dead_air_is_said_in_vietnamese_even_for_digital_silence(tmp_path: Path) -> None:
    """The note reaches the log and the village head's dashboard: no "(dead air)", no "-inf"."""
    from broadcaster.station import aircheck

    class SilentTap:
        encode_to = None

        def __init__(self, peak: int) -> None:
            self.peak = peak

        def stop(self) -> aircheck.TapResult:
            return aircheck.TapResult(aircheck.RATE * 5, self.peak, None, "")

    for peak, words in ((0, "không có một mẫu âm thanh nào"), (3, "mức to nhất -81 dBFS")):
        check = aircheck.finish(SilentTap(peak), tmp_path)  # type: ignore[arg-type]
        assert check.dead_air and check.note.startswith("Mất tín hiệu (loa im lặng)"), check.note
        assert words in check.note and "dead" not in check.note and "inf" not in check.note, check.note


def test_air_checks_and_half_sent_box_uploads_older_than_the_retention_are_deleted(tmp_path: Path) -> None:
    """The disk keeps 90 days of what aired, the station's and the boxes', and no more: a box's
    upload left half-way for the whole retention goes too; everything younger stays."""
    import os

    from broadcaster.station import aircheck

    now = dt.datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    root = tmp_path / "aircheck"
    files = {
        "old station": root / "2026" / "08" / "slot-1_2026-08-01.opus",
        "new station": root / "2026" / "11" / "slot-1_2026-11-30.opus",
        "old box": root / "receivers" / "3" / "2026" / "08" / "12-ab.opus",
        "old partial": root / "receivers" / "3" / "incoming" / "13.upload",
        "new partial": root / "receivers" / "4" / "incoming" / "2.upload",
    }
    for name, path in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"OggS")
        age = 100 if name.startswith("old") else 2
        stamp = (now - dt.timedelta(days=age)).timestamp()
        os.utime(path, (stamp, stamp))

    assert aircheck.cleanup(tmp_path, 90, now) == 3
    assert {name for name, path in files.items() if path.exists()} == {"new station", "new partial"}
    assert not (root / "2026" / "08").exists() and not (root / "receivers" / "3").exists()


# ---------------------------------------------------------------- a crash at an airing's first instant

class KeepingSink(FlakySink):
    """A sink that keeps what it was given, to read the entries' fields."""

    def __init__(self) -> None:
        super().__init__(failures=0)
        self.records: list[EntryRecord] = []

    def append(self, record: EntryRecord) -> None:
        super().append(record)
        self.records.append(record)


def _engine_after_crash(tmp_path: Path, key: str, *, progress: float | None = None,
                        booted: dt.datetime = T - dt.timedelta(days=3)):
    """An engine starting over a journal a killed station left: ``key`` started at T."""
    from types import SimpleNamespace

    from broadcaster.station.air_journal import AirJournal
    from broadcaster.station.engine import PlayoutEngine

    journal = AirJournal(tmp_path / "station-main.airlog")
    journal.started(key, T, {"occurrence_key": key, "title": "Bản tin sáng",
                             "program_seconds": 9.6}, 7, None)
    if progress is not None:
        journal.progress(key, progress)
    sink = KeepingSink()
    writer = EvidenceWriter(sink)
    engine = PlayoutEngine(SimpleNamespace(monitor_source=None), SimpleNamespace(now=lambda: T),  # type: ignore[arg-type]
                           writer, aircheck_dir=None, home=tmp_path, timezone="Asia/Ho_Chi_Minh",
                           grace_s=300, journal=journal)
    engine.boot_time = lambda: booted
    return engine, writer, journal


def test_killed_before_half_a_second_aired_it_is_not_recorded_and_airs_again(tmp_path: Path) -> None:
    key = "slot-3@2026-12-02"
    engine, writer, journal = _engine_after_crash(tmp_path, key)
    assert engine.recover() == [], "no entry: nothing of it was heard"
    assert not writer.has_entry(key)
    assert engine.began(key) is False, "the daemon may air it again within the grace window"
    note = engine.cut_note(key)
    assert "06:00:00" in note and "dừng đột ngột" in note and "chưa nghe được" in note, note
    # A second crash before the retry: the note survives, the airing is still free to air.
    again, writer2, _ = _engine_after_crash(tmp_path / "x", key)
    again.journal = journal
    assert again.recover() == [] and again.began(key) is False and again.cut_note(key) == note
    # A retry that starts anew is a normal airing of the journal.
    journal.started(key, T + dt.timedelta(seconds=20), {"occurrence_key": key}, 7, None)
    unfinished = {a.key: a for a in journal.unfinished()}
    assert unfinished[key].started_at == T + dt.timedelta(seconds=20)
    assert unfinished[key].cut_notes == [note]


def test_too_late_for_the_retry_the_missed_entry_says_what_became_of_the_first_attempt(
        tmp_path: Path) -> None:
    key = "slot-3@2026-12-02"
    engine, writer, _ = _engine_after_crash(tmp_path, key)
    engine.recover()
    from broadcaster.station.interfaces import Airing
    engine.record(Airing(key, T, {}, 7), "missed", "Bỏ lỡ: quá thời gian cho phép")
    reason = writer.sink.records[0].fields["reason"]  # type: ignore[attr-defined]
    assert reason.startswith("Bỏ lỡ: quá thời gian cho phép; Lần phát lúc 06:00:00 bị cắt"), reason


def test_what_may_have_been_heard_is_recorded_interrupted_and_never_aired_twice(tmp_path: Path) -> None:
    cases = {
        "half a second aired (a progress tick)": dict(key="slot-3@2026-12-02", progress=0.5),
        "a reboot since (a power cut: unsynced ticks lost)": dict(
            key="slot-3@2026-12-02", booted=T + dt.timedelta(seconds=40)),
        "an emergency (no schedule would air it again)": dict(key="emergency-12"),
    }
    for why, case in cases.items():
        folder = tmp_path / str(abs(hash(why)))
        engine, writer, _ = _engine_after_crash(folder, **case)  # type: ignore[arg-type]
        key = str(case["key"])
        assert engine.recover() == [key], why
        assert writer.has_entry(key) and engine.began(key) is True, why
        assert engine.cut_note(key) == "", why


def test_an_aircheck_tells_how_long_sound_went_out_after_the_airings_start(tmp_path: Path) -> None:
    import subprocess

    from broadcaster.station.aircheck import audible_seconds

    path = tmp_path / "check.opus"
    # An earlier program's last second, a second of silence, then 0.2 s of this airing.
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=1:sample_rate=44100",
                    "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono:d=1",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=0.2:sample_rate=44100",
                    "-filter_complex", "[0][1][2]concat=n=3:v=0:a=1", "-ac", "1",
                    "-c:a", "libopus", "-b:a", "32k", str(path)], check=True)
    whole = audible_seconds(path)
    after_start = audible_seconds(path, skip_s=1.5)
    assert whole is not None and 2.1 <= whole <= 2.3, whole
    assert after_start is not None and 0.1 <= after_start <= 0.3, after_start
    silent = tmp_path / "silent.opus"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "anullsrc=r=44100:cl=mono:d=1", "-c:a", "libopus", str(silent)], check=True)
    assert audible_seconds(silent) == 0.0
    broken = tmp_path / "broken.opus"
    broken.write_bytes(b"OggS not really")
    assert audible_seconds(broken) is None
