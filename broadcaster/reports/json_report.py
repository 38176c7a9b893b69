"""JSON export: the same content as the CSV, for scripts; also verifiable offline."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from broadcaster import evidence
from broadcaster.checkpoints import view_from_record
from broadcaster.errors import ValidationError
from broadcaster.evidence import ChainRow, CheckpointView
from broadcaster.reports.bundle import FORMAT_ID, ExportBundle, ParsedExport
from broadcaster.reports.receiver_rows import BoxChain, checkpoint_time

logger = logging.getLogger(__name__)


def to_document(bundle: ExportBundle) -> dict[str, Any]:
    return {
        "format": FORMAT_ID,
        "commune": bundle.settings.commune.name,
        "timezone": bundle.tz,
        "generated_at": evidence.utc_text(bundle.generated_at),
        "public_key_id": bundle.public_key_id,
        "filters": {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in vars(bundle.filters).items()},
        "entries": [evidence.full_record(entry, bundle.tz) for entry in bundle.entries],
        "links": [{"id": link.id, "content_sha256": link.digest, "hash": link.hash} for link in bundle.links],
        "checkpoints": [cp.as_dict() for cp in bundle.checkpoints],
        "newest_checkpoint": bundle.latest_checkpoint.as_dict() if bundle.latest_checkpoint else None,
        "head": {"count": bundle.head_count, "hash": bundle.head_hash},
        # what the village receivers aired, each entry in its box's own chain, and those chains
        "receiver_entries": [evidence.full_record(a, bundle.tz) | {"receiver": a.receiver,  # type: ignore[arg-type]
                                                                   "receiver_zone": a.receiver_zone}
                             for a in bundle.receiver_entries],
        "receivers": [_chain_document(chain) for chain in bundle.box_chains],
    }


def _chain_document(chain: BoxChain) -> dict[str, Any]:
    return {"name": chain.name, "zone": chain.zone, "key_id": chain.key_id, "public_key": chain.public_key,
            "head": {"count": chain.head_count, "hash": chain.head_hash},
            "links": [{"id": link.id, "content_sha256": link.digest, "hash": link.hash} for link in chain.links],
            "checkpoints": [{"id": cp.id, "created_at": evidence.utc_text(cp.created_at), "count": cp.count,
                             "head_hash": cp.head_hash, "key_id": cp.key_id, "signature": cp.signature}
                            for cp in chain.checkpoints]}


def _read_chain(document: dict[str, Any]) -> BoxChain:
    return BoxChain(
        name=str(document["name"]), zone=str(document.get("zone", "")), key_id=str(document["key_id"]),
        public_key=str(document["public_key"]), head_count=int(document["head"]["count"]),
        head_hash=str(document["head"]["hash"]),
        links=[ChainRow(id=int(link["id"]), digest=link["content_sha256"], hash=link["hash"], full=False)
               for link in document.get("links", [])],
        checkpoints=[CheckpointView(id=int(c["id"]), created_at=checkpoint_time(c["created_at"]),
                                    count=int(c["count"]), head_hash=c["head_hash"], key_id=c["key_id"],
                                    signature=c["signature"]) for c in document.get("checkpoints", [])],
    )


def to_bytes(bundle: ExportBundle) -> bytes:
    return json.dumps(to_document(bundle), ensure_ascii=False, indent=1).encode("utf-8")


def read_json(path: Path) -> ParsedExport:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"Không đọc được tệp JSON {path}: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_ID:
        raise ValidationError(f"Tệp {path} không phải bản xuất nhật ký JSON của Loa xã")
    try:
        boxes: dict[str, list[dict[str, Any]]] = {}
        for record in document.get("receiver_entries", []):
            boxes.setdefault(str(record["receiver"]), []).append(record)
        return ParsedExport(
            receiver_records=boxes,
            box_chains={c.name: c for c in (_read_chain(d) for d in document.get("receivers", []))},
            records=list(document["entries"]),
            links=[ChainRow(id=int(link["id"]), digest=link["content_sha256"], hash=link["hash"], full=False)
                   for link in document.get("links", [])],
            checkpoints=[view_from_record(c) for c in document.get("checkpoints", [])],
            head_count=int(document["head"]["count"]),
            head_hash=document["head"]["hash"],
            generated_at=evidence.parse_utc_text(document.get("generated_at")),
            tz=document.get("timezone"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"Tệp {path} thiếu trường hoặc sai kiểu: {exc}") from None
