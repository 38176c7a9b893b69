"""What every report the commune files shares (Decree 30/2020/NĐ-CP): who issues it, who it is
sent to ("Kính gửi"), the "Nơi nhận" list and the signature block, all from ``commune.*`` settings.

One place, so the evidence PDF (``log export``) and the report to the province
(``report compile``) cannot drift apart in how the commune signs.
"""
from __future__ import annotations

from typing import Any

#: "Nơi nhận": "Như trên" is the "Kính gửi" recipient; then the province's department and the archive.
RECEIVERS = ("Như trên;", "Sở VHTTDL tỉnh;", "Lưu: VT, VHXH.")


def issuer_lines(issuer: str) -> list[str]:
    """'ỦY BAN NHÂN DÂN XÃ TÂN HÒA' → ['ỦY BAN NHÂN DÂN', 'XÃ TÂN HÒA'] as the header sets it."""
    issuer = " ".join(issuer.split()).upper()
    head = "ỦY BAN NHÂN DÂN"
    if issuer.startswith(head + " ") and len(issuer) > len(head) + 1:
        return [head, issuer[len(head) + 1:]]
    return [issuer]


def recipient_of(settings: Any) -> str:
    """``commune.report_to``, else the province's Department of Culture, Sports and Tourism.

    Since 1 July 2025 there are no districts: a commune reports to the province.
    """
    explicit = str(getattr(settings.commune, "report_to", "") or "").strip()
    if explicit:
        return explicit
    province = str(settings.commune.province or "").strip()
    province = province[5:].strip() if province.lower().startswith("tỉnh ") else province
    return f"Sở Văn hóa, Thể thao và Du lịch tỉnh {province}".strip()


def signature_lines(settings: Any) -> list[str]:
    """'TM. ỦY BAN NHÂN DÂN', 'KT. CHỦ TỊCH', 'PHÓ CHỦ TỊCH' (as set), uppercase."""
    commune = settings.commune
    lines = [str(getattr(commune, "signer_authority", "TM. ỦY BAN NHÂN DÂN") or ""),
             str(getattr(commune, "signer_deputy", "KT. CHỦ TỊCH") or ""),
             str(getattr(commune, "signer_title", "PHÓ CHỦ TỊCH") or "")]
    return [line.upper() for line in lines if line.strip()]


def signer_name(settings: Any) -> str:
    return str(getattr(settings.commune, "signer_name", "") or "")
