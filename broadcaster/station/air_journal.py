"""The air journal: a local, append-only file that says what the output did, written first.

Why: the evidence entry goes to a database that may be locked, on a disk that may be full, from a
process that may be killed at any instant. The journal is one small file beside it (the commune's
data folder, or a receiver's own), appended with plain ``write()`` calls that survive ``kill -9``
(the kernel holds them), and ``fsync``\\ ed at the start and at the end of each airing so they
survive a power cut too. It holds, per airing:

* ``start`` — written just before the first sample is handed to the output, with everything the
  entry needs (fields, items, the air-check's partial file). An airing with no ``start`` provably
  never made a sound: after a crash it may still air within the grace window;
* ``progress`` — seconds aired so far, every :data:`PROGRESS_EVERY_S` while it plays: after a crash
  the entry says how much actually aired, not 0.0;
* ``end`` — the whole entry as decided, written the moment the player exits, *before* the entry is
  handed to the database: a broadcast heard in full is never recorded interrupted because the
  station died in between;
* ``recorded`` — the sink has the entry; the airing can be forgotten (:meth:`AirJournal.compact`);
* ``unheard`` — written after a crash for an airing cut before anything of it could be heard (see
  :meth:`~.engine.PlayoutEngine.recover`): its ``start`` no longer counts, it may air again within
  the grace window, and the note says what happened to the first attempt.

On start, :meth:`AirJournal.unfinished` gives the airings whose entry may not have reached the sink.

A full disk: the journal keeps :data:`RESERVE_BYTES` allocated past its end (``fallocate`` with
``FALLOC_FL_KEEP_SIZE``, topped up when the station starts and after each airing), so its appends
land in space the file already owns. Without it a disk filled by something else made the journal
unwritable exactly when the database was too, and a crash then left no trace of an airing: heard
in full yet replayed or recorded missed. Measured on a full tmpfs: 256 kB reserved took 2,600
appends of 100 bytes after every other write failed with ENOSPC.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import errno
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

logger = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.5
#: Compact the file (drop recorded airings) when it grows past this.
COMPACT_BYTES = 4 * 1024 * 1024
#: Space kept allocated past the journal's end for a full disk. An airing takes about 1 kB for
#: its start and end records and 40 bytes per :data:`PROGRESS_EVERY_S` while it plays (60 kB for
#: ten minutes): 2 MB is a day of broadcasts with the disk full.
RESERVE_BYTES = 2 * 1024 * 1024
_FALLOC_FL_KEEP_SIZE = 1


def _load_fallocate() -> Callable[[int, int, int, int], int] | None:
    """libc's ``fallocate(2)`` (Linux); None where there is none (the reserve is then skipped)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        function = libc.fallocate
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    function.restype = ctypes.c_int
    return function


_fallocate = _load_fallocate()


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"$t": value.isoformat()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$t"}:
            return dt.datetime.fromisoformat(value["$t"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


@dataclass
class JournalledAiring:
    """What the journal knows of one airing."""

    key: str
    started_at: dt.datetime | None = None
    start: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    end: dict[str, Any] | None = None
    recorded: bool = False
    #: What became of earlier attempts cut before they could be heard (``unheard`` records).
    cut_notes: list[str] = field(default_factory=list)


class AirJournal:
    """Appends records for one output; safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._broken = False
        self._reserve_failed = False

    def _append(self, record: dict[str, Any], sync: bool) -> bool:
        line = json.dumps(_encode(record), ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
                try:
                    os.write(fd, line.encode("utf-8"))
                    if sync:
                        os.fsync(fd)
                finally:
                    os.close(fd)
                if self._broken:
                    logger.warning("nhật ký phát sóng cục bộ %s ghi lại được", self.path)
                self._broken = False
                return True
            except OSError as exc:  # a full disk must never hold a program off air
                if not self._broken:
                    logger.error("không ghi được nhật ký phát sóng cục bộ %s: %s", self.path, exc)
                self._broken = True
                return False

    def reserve(self) -> bool:
        """Keep :data:`RESERVE_BYTES` allocated past the end (cheap when they already are);
        False when the space could not be had (the disk is full now: appends use what is left)."""
        if _fallocate is None:
            return False
        with self._lock:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o640)
            except OSError as exc:
                return self._reserve_error(exc.errno or 0)
            try:
                size = os.fstat(fd).st_size
                if _fallocate(fd, _FALLOC_FL_KEEP_SIZE, size, RESERVE_BYTES) != 0:
                    return self._reserve_error(ctypes.get_errno())
            finally:
                os.close(fd)
            if self._reserve_failed:
                logger.info("nhật ký phát sóng cục bộ %s đã giữ lại được chỗ trống dự phòng",
                            self.path)
            self._reserve_failed = False
            return True

    def _reserve_error(self, code: int) -> bool:
        if code in (errno.EOPNOTSUPP, errno.ENOSYS):
            return False  # a file system without it (the appends go on as before)
        if not self._reserve_failed:
            logger.warning("chưa giữ được chỗ trống dự phòng cho nhật ký phát sóng cục bộ %s: %s",
                           self.path, os.strerror(code))
        self._reserve_failed = True
        return False

    def started(self, key: str, started_at: dt.datetime, entry: dict[str, Any], ref: int | None,
                aircheck_part: str | None, program: tuple[str, str] | None = None,
                part_at: float | None = None) -> None:
        """Just before the first sample (not synced yet: :meth:`sync` right after it);
        ``program`` is the (path, SHA-256) airing, for a render record lost with a crash;
        ``part_at`` the seconds the air-check had recorded by then (what played before: the
        tap starts while an earlier program may still be on air)."""
        self._append({"k": key, "e": "start", "at": started_at, "entry": entry, "ref": ref,
                      "part": aircheck_part, "program": program, "part_at": part_at}, sync=False)

    def sync(self) -> None:
        with self._lock:
            try:
                fd = os.open(self.path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError:
                pass

    def progress(self, key: str, seconds: float) -> None:
        self._append({"k": key, "e": "progress", "s": round(seconds, 3)}, sync=False)

    def ended(self, key: str, entry: dict[str, Any], ref: int | None, state: str) -> None:
        """The decided entry, synced before anything else happens."""
        self._append({"k": key, "e": "end", "entry": entry, "ref": ref, "state": state}, sync=True)
        self.reserve()  # topped up after the airing, never in front of its first sample

    def recorded(self, key: str) -> None:
        self._append({"k": key, "e": "recorded"}, sync=False)

    def unheard(self, key: str, note: str) -> bool:
        """The airing's last start was cut before it could be heard: it may start again
        (synced: a second crash must not turn the retry into "interrupted, 0.0 s")."""
        return self._append({"k": key, "e": "unheard", "note": note}, sync=True)

    def read(self) -> dict[str, JournalledAiring]:
        """Every airing in the file (a torn last line, from a power cut, is skipped)."""
        found: dict[str, JournalledAiring] = {}
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return found
        for line in text.splitlines():
            try:
                record = _decode(json.loads(line))
                key = str(record["k"])
                kind = record["e"]
            except (ValueError, KeyError, TypeError):
                continue
            airing = found.setdefault(key, JournalledAiring(key))
            if kind == "start":
                airing.started_at = record.get("at")
                airing.start = record
            elif kind == "progress":
                airing.seconds = max(airing.seconds, float(record.get("s") or 0.0))
            elif kind == "end":
                airing.end = record
            elif kind == "recorded":
                airing.recorded = True
            elif kind == "unheard" and airing.end is None:
                airing.started_at, airing.start, airing.seconds = None, {}, 0.0
                airing.cut_notes.append(str(record.get("note") or ""))
        return found

    def exists(self) -> bool:
        return self.path.exists()

    def touch(self) -> None:
        """Create the file: from now on, an airing missing from it provably never started."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.touch(mode=0o640, exist_ok=True)
        except OSError as exc:
            logger.error("không tạo được nhật ký phát sóng cục bộ %s: %s", self.path, exc)
            return
        self.reserve()

    def unfinished(self) -> list[JournalledAiring]:
        """Airings that started and whose entry the sink may not have (with those cut before
        they could be heard and not yet started again: their notes belong in their entry)."""
        return [a for a in self.read().values()
                if not a.recorded and (a.start or a.end or a.cut_notes)]

    def started_keys(self) -> set[str]:
        return {a.key for a in self.read().values() if a.start}

    def compact(self, keep: set[str]) -> None:
        """Rewrite the file with the airings in ``keep`` only (atomically)."""
        with self._lock:
            try:
                lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
            except FileNotFoundError:
                return
            kept = []
            for line in lines:
                try:
                    if str(json.loads(line)["k"]) in keep:
                        kept.append(line)
                except (ValueError, KeyError, TypeError):
                    continue
            tmp = self.path.with_name(self.path.name + ".tmp")
            try:
                tmp.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")
                os.replace(tmp, self.path)
            except OSError as exc:  # a full disk: the old file and its reserve stay
                logger.warning("không thu gọn được nhật ký phát sóng cục bộ: %s", exc)
                tmp.unlink(missing_ok=True)
                return
        self.reserve()  # the new file has none yet

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0
