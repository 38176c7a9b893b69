"""The face of the PDFs the commune files: Times New Roman's metrics, every Vietnamese letter.

Decree 30/2020/NĐ-CP sets documents in Times New Roman. The PDFs use Liberation Serif (Debian's
fonts-liberation2, metric-compatible, installed by scripts/test) and fall back to the bundled
DejaVu Serif where it is missing. Checked as an office would: pdffonts says which face is
embedded, pdftotext reads the Vietnamese back letter for letter.
"""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_directive import month  # noqa: F401 - fixture
from test_reports import export, station  # noqa: F401 - fixture

from broadcaster.reports import pdf_parts

LIBERATION = pdf_parts.LIBERATION_DIR / "LiberationSerif-Regular.ttf"
PHRASES = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Nơi nhận:",
           "TM. ỦY BAN NHÂN DÂN", "Kính gửi: Sở Văn hóa, Thể thao và Du lịch tỉnh")


def _fonts(path: Path) -> list[str]:
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    return [line.split()[0].split("+")[-1] for line in out.splitlines()[2:] if line.strip()]


def _text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                         text=True).stdout
    return " ".join(out.split())


def test_the_evidence_pdf_is_set_in_liberation_serif_with_every_diacritic(
        station: Any, cli: Any, tmp_path: Path) -> None:  # noqa: F811
    if not LIBERATION.is_file():
        pytest.fail("Liberation Serif chưa được cài (gói fonts-liberation2): chạy scripts/test")
    path = export(cli, tmp_path, "bao-cao.pdf", "--format", "pdf")
    fonts = _fonts(path)
    assert any(f.startswith("LiberationSerif") for f in fonts), fonts
    assert any(f.startswith("LiberationSerifBold") for f in fonts), f"headings in bold: {fonts}"
    assert not any(f.startswith("DejaVuSerif") for f in fonts), f"no second serif face: {fonts}"
    text = _text(path)
    for phrase in PHRASES:
        assert phrase in text, f"PDF lacks {phrase!r}"
    assert "Thôn Đông" in text and "Thôn Tây" in text


def test_the_report_to_the_province_is_set_in_liberation_serif_like_its_docx(
        month: dict[str, Any], cli: Any, tmp_path: Path) -> None:  # noqa: F811
    if not LIBERATION.is_file():
        pytest.fail("Liberation Serif chưa được cài (gói fonts-liberation2): chạy scripts/test")
    path = tmp_path / "bao-cao-tinh.pdf"
    result = cli("report", "compile", "--campaign", str(month["campaign_id"]), "--from", "2025-10-01",
                 "--to", "2025-10-31", "--out", str(path))
    assert result.exit_code == 0, result.output
    fonts = _fonts(path)
    assert {"LiberationSerif", "LiberationSerifBold", "LiberationSerifItalic"} <= set(fonts), fonts
    assert not any(f.startswith("DejaVuSerif") for f in fonts), fonts
    text = _text(path)
    for phrase in (*PHRASES, "Bình dân học vụ số", "KHÓ KHĂN, VƯỚNG MẮC", "ĐỀ XUẤT, KIẾN NGHỊ"):
        assert phrase in text, f"PDF lacks {phrase!r}"


def test_without_liberation_serif_the_pdf_falls_back_to_dejavu_and_keeps_its_diacritics(
        station: Any, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setattr(pdf_parts, "LIBERATION_DIR", tmp_path / "no-such-fonts")
    path = export(cli, tmp_path, "bao-cao.pdf", "--format", "pdf")
    fonts = _fonts(path)
    assert any(f.startswith("DejaVuSerif") for f in fonts) and not any(
        f.startswith("LiberationSerif") for f in fonts), fonts
    text = _text(path)
    for phrase in PHRASES:
        assert phrase in text, f"PDF lacks {phrase!r}"


def test_a_liberation_serif_without_vietnamese_letters_is_not_used(tmp_path: Path) -> None:
    """fonts-liberation 1.07 has no ơ, ư, ệ: a face like it must never be picked."""
    from fontTools import subset

    fake = tmp_path / "liberation2"
    fake.mkdir()
    for name in pdf_parts.LIBERATION.values():  # real faces, Latin-1 only, under Liberation's names
        subset.main([str(pdf_parts.FONTS / "DejaVuSerif.ttf"), "--unicodes=U+0020-00FF",
                     f"--output-file={fake / name}"])
    faces = pdf_parts.serif_faces(fake)
    assert all(path.parent == pdf_parts.FONTS for path in faces.values()), faces
