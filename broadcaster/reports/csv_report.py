"""CSV export: one row per entry with every hashed field, then the proof lines.

UTF-8 with a BOM so Excel shows the diacritics. After the entries and an empty row come lines
whose first cell starts with ``#``: the links of entries the filters left out, every signed
checkpoint and the head, so ``broadcaster log verify --file`` needs nothing but the public key.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
from pathlib import Path
from typing import Any, Iterable, Iterator
from zoneinfo import ZoneInfo

from broadcaster import evidence
from broadcaster.errors import ValidationError
from broadcaster.evidence import ChainRow, CheckpointView
from broadcaster.reports.bundle import FORMAT_ID, ExportBundle, ParsedExport
from broadcaster.reports.cells import CSV_ESCAPED_STARTS, csv_cell
from broadcaster.reports.receiver_rows import BoxChain, checkpoint_time

logger = logging.getLogger(__name__)

COLUMNS: tuple[str, ...] = (
    "id", "occurrence", "scheduled_at", "started_at", "ended_at", "status", "reason", "seconds_played",
    "title", "category", "campaign", "priority", "zone", "output", "host", "slot_id", "items",
    "aircheck_sha256", "aircheck_path", "corrects_id", "recorded_at", "prev_hash", "hash", "receiver",
)
#: exports written before the receivers' entries travelled in them had no ``receiver`` column
COLUMNS_V1 = COLUMNS[:-1]
TIME_COLUMNS = ("scheduled_at", "started_at", "ended_at", "recorded_at")
#: The header the office reads in Excel (the default); ``header="machine"`` writes COLUMNS instead
#: for scripts. Either is read back by the verifier; the cells below are the same.
HEADERS_VI: tuple[str, ...] = (
    "Số", "Lần phát", "Giờ dự kiến", "Bắt đầu", "Kết thúc", "Kết quả", "Lý do", "Số giây đã phát",
    "Nội dung", "Chuyên mục", "Chiến dịch", "Mức ưu tiên", "Nơi phát", "Đầu ra", "Máy phát",
    "Số lịch phát", "Các mục (JSON)", "Mã băm bản thu (SHA-256)", "Tệp bản thu", "Đính chính mục số",
    "Ghi lúc", "Mã băm mục trước", "Mã băm", "Máy thu",
)
CSV_HEADERS = ("vi", "machine")


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def entry_row(entry: Any, zone: ZoneInfo) -> list[str]:
    """One entry as CSV cells: local ISO times with offset, floats as Python writes them back."""
    def when(value: Any) -> str:
        return "" if value is None else value.astimezone(zone).isoformat()

    return [
        str(entry.id), _cell(entry.occurrence_key), when(entry.scheduled_at), when(entry.started_at),
        when(entry.ended_at), entry.status, entry.reason, repr(float(entry.seconds_played or 0.0)),
        entry.title, entry.category, entry.campaign, entry.priority, entry.zone, entry.output, entry.host,
        _cell(entry.slot_id), json.dumps(entry.items, ensure_ascii=False), _cell(entry.aircheck_sha256),
        _cell(entry.aircheck_path), _cell(entry.corrects_id), when(entry.recorded_at), entry.prev_hash,
        entry.hash, getattr(entry, "receiver", None) or "",
    ]


class LocalTimes:
    """Stored UTC text ('YYYY-MM-DD HH:MM:SS.ffffff') → local ISO 8601 with offset, as
    ``datetime.astimezone(zone).isoformat()`` writes it, without a datetime per value.

    The zone's offset is looked up once per UTC hour; an hour whose offset changes inside it, or is
    not a whole number of hours, is converted value by value through ``datetime``.
    """

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.hours: dict[str, tuple[str, str] | None] = {}

    def _hour(self, key: str) -> tuple[str, str] | None:
        start = dt.datetime.fromisoformat(key + ":00:00").replace(tzinfo=dt.timezone.utc)
        start = start.astimezone(self.zone)
        end = (start + dt.timedelta(hours=1, microseconds=-1)).astimezone(self.zone)
        offset = start.utcoffset()
        if offset is None or offset != end.utcoffset() or offset.total_seconds() % 3600:
            return None
        text = start.isoformat()  # 'YYYY-MM-DDTHH:00:00+HH:MM'
        return text[:13], text[19:]

    def __call__(self, stored: str | None) -> str:
        if stored is None:
            return ""
        if len(stored) == 26 and stored[10] == " " and stored[19] == ".":
            key = stored[:13]
            try:
                hour = self.hours[key]
            except KeyError:
                hour = self.hours[key] = self._hour(key)
            if hour is not None:
                if stored[20:] == "000000":
                    return hour[0] + stored[13:19] + hour[1]
                return hour[0] + stored[13:] + hour[1]
        try:
            value = dt.datetime.fromisoformat(stored).replace(tzinfo=dt.timezone.utc)
            return value.astimezone(self.zone).isoformat()
        except (TypeError, ValueError):
            return str(stored)  # written as found: verifying the export then names the entry


def _items_cell(stored: str | None) -> str:
    """The items as JSON with Vietnamese letters intact: the stored canonical text as it is."""
    if stored is None:
        return "[]"
    if "\\u" in stored:  # written before canonical storage (ASCII escapes): re-encode for Excel
        try:
            return evidence.items_text(json.loads(stored))
        except ValueError:
            return stored
    return stored


def stored_rows(entries: Iterable[Any], zone: ZoneInfo) -> Iterator[tuple[Any, ...]]:
    """CSV rows from ``select_entry_texts`` rows (times and items as stored text)."""
    when = LocalTimes(zone)
    for (id_, occ, slot, title, cat, camp, sched, start, end, status, reason, secs, prio, zone_name,
         output, host, items, air_sha, air_path, corr, rec, prev, hash_) in entries:
        yield (id_, occ, when(sched), when(start), when(end), status, reason, repr(float(secs or 0.0)),
               title, cat, camp, prio, zone_name, output, host, slot, _items_cell(items), air_sha, air_path,
               corr, when(rec), prev, hash_, "")


class _TextWriter:
    """A csv writer whose every cell is written by ``cells.csv_cell`` (never a formula)."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self._writer = csv.writer(stream, lineterminator="\r\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        # csv_cell inlined: this runs for every cell of 100,000 entries
        writerow, starts = self._writer.writerow, CSV_ESCAPED_STARTS
        for row in rows:
            writerow([("'" + v) if v.__class__ is str and v and v[0] in starts else v for v in row])


def write_csv(bundle: ExportBundle, stream: io.TextIOBase, header: str = "vi") -> None:
    if header not in CSV_HEADERS:
        raise ValidationError(f"Dòng tiêu đề CSV không hợp lệ: {header!r} (chọn vi hoặc machine)")
    zone = ZoneInfo(bundle.tz)
    writer = _TextWriter(stream)
    writer.writerow(HEADERS_VI if header == "vi" else COLUMNS)
    if bundle.stored_text:
        writer.writerows(stored_rows(bundle.entries, zone))
    else:
        writer.writerows(entry_row(entry, zone) for entry in bundle.entries)
    # what each village receiver aired: its own chain's numbers and hashes, the box named
    writer.writerows(entry_row(airing, zone) for airing in bundle.receiver_entries)
    writer.writerow([])
    writer.writerow(["#format", FORMAT_ID, bundle.tz, evidence.utc_text(bundle.generated_at),
                     bundle.public_key_id, bundle.settings.commune.name])
    writer.writerows(["#link", str(link.id), link.digest, link.hash] for link in bundle.links)
    for cp in bundle.checkpoints:  # the last one is the newest: compare it with a copy kept elsewhere
        writer.writerow(["#checkpoint", str(cp.id), evidence.utc_text(cp.created_at), str(cp.count),
                         cp.head_hash, cp.key_id, cp.signature, cp.prev_hash or "", cp.hash])
    writer.writerow(["#head", str(bundle.head_count), bundle.head_hash])
    for chain in bundle.box_chains:
        writer.writerow(["#receiver", chain.name, chain.zone, chain.key_id, chain.public_key,
                         str(chain.head_count), chain.head_hash])
        writer.writerows(["#receiver-link", chain.name, str(link.id), link.digest, link.hash]
                         for link in chain.links)
        writer.writerows(["#receiver-checkpoint", chain.name, str(cp.id), evidence.utc_text(cp.created_at),
                          str(cp.count), cp.head_hash, cp.key_id, cp.signature] for cp in chain.checkpoints)


def to_bytes(bundle: ExportBundle, header: str = "vi") -> bytes:
    buffer = io.StringIO()
    write_csv(bundle, buffer, header)
    return buffer.getvalue().encode("utf-8-sig")


def read_csv(path: Path) -> ParsedExport:
    """Read an export back (the province's side); a malformed file is a ``ValidationError``."""
    try:
        text = path.read_bytes().decode("utf-8-sig")  # not read_text: a CR inside a cell must stay a CR
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"Không đọc được tệp {path}: {exc}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or tuple(header) not in (COLUMNS, HEADERS_VI, COLUMNS_V1, HEADERS_VI[:-1]):
        raise ValidationError(f"Tệp {path} không phải bản xuất nhật ký CSV của Loa xã (dòng tiêu đề khác)")
    columns = COLUMNS[:len(header)]
    parsed = ParsedExport(records=[])
    try:
        for line_number, cells in enumerate(reader, start=2):
            if not cells or not any(cells):
                continue
            # inlined (runs for every cell): the one apostrophe cells.csv_cell added goes
            row = [cell[1:] if cell[:1] == "'" else cell for cell in cells]
            tag = row[0]
            if tag == "#link":
                parsed.links.append(ChainRow(id=int(row[1]), digest=row[2], hash=row[3], full=False))
            elif tag == "#checkpoint":
                parsed.checkpoints.append(CheckpointView(
                    id=int(row[1]), created_at=checkpoint_time(row[2]), count=int(row[3]),
                    head_hash=row[4], key_id=row[5], signature=row[6],
                    prev_hash=(row[7] or None) if len(row) > 7 else None))
            elif tag == "#format":
                parsed.tz = row[2] if len(row) > 2 else None
                parsed.generated_at = evidence.parse_utc_text(row[3]) if len(row) > 3 else None
            elif tag == "#head":
                parsed.head_count, parsed.head_hash = int(row[1]), row[2]
            elif tag.startswith("#receiver"):
                _read_receiver_line(parsed, row)
            elif tag.startswith("#"):
                continue
            else:
                if len(row) != len(columns):
                    raise ValidationError(f"Dòng {line_number} của {path} có {len(row)} cột, cần {len(columns)}")
                record = dict(zip(columns, row, strict=True))
                box = record.pop("receiver", "")
                if box:
                    parsed.receiver_records.setdefault(box, []).append(record)
                else:
                    parsed.records.append(record)
    except (IndexError, ValueError) as exc:
        raise ValidationError(f"Tệp {path} bị hỏng ở dòng {reader.line_num}: {exc}") from None
    return parsed


def _read_receiver_line(parsed: ParsedExport, row: list[str]) -> None:
    """A ``#receiver`` (the box, its key and head), ``#receiver-link`` or ``#receiver-checkpoint``."""
    tag, name = row[0], row[1]
    if tag == "#receiver":
        parsed.box_chains[name] = BoxChain(name=name, zone=row[2], key_id=row[3], public_key=row[4],
                                           head_count=int(row[5]), head_hash=row[6])
        return
    chain = parsed.box_chains.get(name)
    if chain is None:
        raise ValueError(f"dòng {tag} của máy thu {name} đứng trước dòng #receiver của nó")
    if tag == "#receiver-link":
        chain.links.append(ChainRow(id=int(row[2]), digest=row[3], hash=row[4], full=False))
    elif tag == "#receiver-checkpoint":
        chain.checkpoints.append(CheckpointView(
            id=int(row[2]), created_at=checkpoint_time(row[3]), count=int(row[4]),
            head_hash=row[5], key_id=row[6], signature=row[7]))
