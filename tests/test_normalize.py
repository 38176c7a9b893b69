"""Tests for audio.normalize: a table of real commune sentences plus glossary, dialect, bad input.

The table (tests/data/normalize_cases.tsv) holds sentences in the style of real notices with the
exact words the loudspeaker must say; a listener hears them once, so every word is asserted.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from audio.normalize import MAX_TEXT_CHARS, TextInputError, clean_text, normalize
from audio.vi_numbers import read_number, roman_to_int

CASES_FILE = Path(__file__).parent / "data" / "normalize_cases.tsv"


def _load_cases() -> list[tuple[str, str]]:
    cases = []
    for line in CASES_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        source, expected = line.split("\t")
        cases.append((source, expected))
    return cases


CASES = _load_cases()


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 170, f"only {len(CASES)} cases in {CASES_FILE}"
    assert len({c[0] for c in CASES}) == len(CASES), "duplicate inputs in the table"


@pytest.mark.parametrize(("source", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_commune_sentence(source: str, expected: str) -> None:
    got = normalize(source)
    assert got == expected, f"\n input: {source}\n   got: {got}\n  want: {expected}"


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "north", "south"),
    [
        (15, "mười lăm", "mười lăm"),
        (21, "hai mươi mốt", "hai mươi mốt"),
        (24, "hai mươi tư", "hai mươi bốn"),
        (105, "một trăm linh năm", "một trăm lẻ năm"),
        (2024, "hai nghìn không trăm hai mươi tư", "hai ngàn không trăm hai mươi bốn"),
        (1_000_000, "một triệu", "một triệu"),
        (2_500_000_000, "hai tỷ năm trăm triệu", "hai tỷ năm trăm triệu"),
        (10**12, "một nghìn tỷ", "một ngàn tỷ"),
    ],
)
def test_number_readings_by_dialect(n: int, north: str, south: str) -> None:
    assert read_number(n) == north, f"{n} in the North"
    assert read_number(n, "south") == south, f"{n} in the South"


def test_roman_numerals() -> None:
    assert [roman_to_int(r) for r in ("IV", "XV", "XXV", "MCMXCIX")] == [4, 15, 25, 1999]
    with pytest.raises(ValueError):
        roman_to_int("IIII V")


def test_range_is_never_read_as_minus() -> None:
    for text in ("2021-2025", "100-150mm", "15-20%", "3-5m"):
        out = normalize(text)
        assert "đến" in out and "trừ" not in out and "âm" not in out, f"{text} -> {out}"


def test_true_negative_is_am() -> None:
    assert normalize("-5°C") == "âm năm độ xê"


def test_never_ngay_ngay() -> None:
    for text in ("ngày 22/12/2024", "Ngày 01/01/2026", "từ ngày 14-22/02/2026", "mùng 10/3"):
        out = normalize(text).lower()
        assert "ngày ngày" not in out and "mùng ngày" not in out, f"{text} -> {out}"


def test_document_numbers_are_not_dates() -> None:
    for text in ("39/2020/TT-BTTTT", "160/KH-SVHTTDL", "57-NQ/TW", "12/TB-UBND"):
        out = normalize(text)
        assert "tháng" not in out and "ngày" not in out, f"{text} read as a date: {out}"


def test_phone_read_digit_by_digit() -> None:
    want = "không chín một hai ba bốn năm sáu bảy tám"
    for text in ("0912 345 678", "0912.345.678", "0912345678", "0912-345-678"):
        assert normalize(text) == want, text


# --- glossary and spelling ---------------------------------------------------------------------


def test_commune_glossary_wins_over_default() -> None:
    text = "UBND xã Yên Bình thông báo"
    assert normalize(text).startswith("ủy ban nhân dân"), "default glossary"
    out = normalize(text, glossary={"UBND": "ủy ban", "Yên Bình": "Yên Bình thượng"})
    assert out == "ủy ban xã Yên Bình thượng thông báo", out


def test_commune_glossary_matches_any_case_and_punctuation() -> None:
    out = normalize("Họp HTX-DV Tân Tiến lúc 8h", glossary={"htx-dv": "hợp tác xã dịch vụ"})
    assert out == "Họp hợp tác xã dịch vụ Tân Tiến lúc tám giờ", out


def test_commune_glossary_used_inside_document_numbers() -> None:
    out = normalize("Số 05/TB-ĐUX", glossary={"ĐUX": "đảng ủy xã"})
    assert out == "Số năm thông báo đảng ủy xã", out


def test_unknown_capitals_spelled_the_vietnamese_way() -> None:
    # the letter names radio uses, as in the default glossary (GDP "giê đê pê", bOPV "bê ô pê vê")
    assert normalize("XYZ") == "ích i dài dét"
    assert normalize("Mã BKL") == "Mã bê ca en lờ"
    assert normalize("Vắc xin DPT, mã DOL") == "Vắc xin đê pê tê, mã đê ô en lờ"
    assert normalize("Hội nghị G7") == "Hội nghị giê bảy"


def test_capitals_that_are_words_are_not_spelled() -> None:
    assert normalize("THÔNG BÁO KHẨN") == "thông báo khẩn"


# --- dialect -------------------------------------------------------------------------------------


def test_south_dialect() -> None:
    out = normalize("Hỗ trợ 1.505.000 đồng cho 24 hộ năm 2024", dialect="south")
    assert out == (
        "Hỗ trợ một triệu năm trăm lẻ năm ngàn đồng cho hai mươi bốn hộ "
        "năm hai ngàn không trăm hai mươi bốn"
    ), out


def test_unknown_dialect_is_a_vietnamese_error() -> None:
    with pytest.raises(TextInputError, match="Phương ngữ"):
        normalize("xin chào", dialect="central")


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t \n", "\x00\x07", "🎉🎉"])
def test_empty_text_is_refused_with_vietnamese_message(text: str) -> None:
    with pytest.raises(TextInputError) as err:
        normalize(text)
    assert str(err.value).startswith("Văn bản trống"), str(err.value)


def test_too_long_text_is_refused() -> None:
    with pytest.raises(TextInputError) as err:
        clean_text("a" * (MAX_TEXT_CHARS + 1))
    assert str(err.value) == "Văn bản quá dài: 20.001 ký tự, tối đa 20.000", str(err.value)


def test_emoji_and_control_characters_removed() -> None:
    out = normalize("Mời bà con\x07 👨‍👩‍👧 dự họp\u200b lúc 8h 🎉!")
    assert out == "Mời bà con dự họp lúc tám giờ!", repr(out)


def test_unmarked_date_words_get_their_marks_only_before_a_date() -> None:
    """'ngay 5/12' is 'ngày', never 'ngay ngày'; 'ông Nam 45 tuổi', 'cầu thang 3 tầng' stay."""
    assert normalize("hop ngay 5 thang 12 nam 2026") == (
        "hop ngày năm tháng mười hai năm hai nghìn không trăm hai mươi sáu")
    assert normalize("ông Nam 45 tuổi, cầu thang 3 tầng, đi ngay 2 người, nam 3 người") == (
        "ông Nam bốn mươi lăm tuổi, cầu thang ba tầng, đi ngay hai người, nam ba người")


def test_clean_text_nfc_and_spaces() -> None:
    decomposed = "Thông   báo\u0301"  # a combining accent after 'o' composes to 'ó'
    assert clean_text(decomposed) == "Thông báó"


def test_text_without_diacritics_is_read_cleanly() -> None:
    out = normalize("UBND xa thong bao hop luc 8h30 ngay 5/9/2025")
    assert out == (
        "ủy ban nhân dân xa thong bao hop lúc tám giờ ba mươi phút ngày năm tháng chín "
        "năm hai nghìn không trăm hai mươi lăm"
    ), out


def test_lines_are_kept() -> None:
    assert normalize("Thôn 1\nThôn 2") == "Thôn một\nThôn hai"


def test_bulletin_of_max_size_is_fast() -> None:
    body = " ".join(c[0] for c in CASES)
    text = (body * (MAX_TEXT_CHARS // len(body) + 1))[:MAX_TEXT_CHARS]
    start = time.perf_counter()
    out = normalize(text)
    elapsed = time.perf_counter() - start
    assert out and elapsed < 1.0, f"{len(text)} characters took {elapsed:.2f} s"
