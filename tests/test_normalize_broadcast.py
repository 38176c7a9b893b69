"""What a commune broadcasts, read by the rules of the language (speech, after issue 14).

tests/data/broadcast_cases.tsv: storm and flood bulletins, health campaigns, digital
transformation, money, dates and ranges, times, Roman numerals, ordinals, abbreviations, units,
addresses and sports results, in the forms published notices use, with every word the
loudspeaker says. The tests below it hold the general rules those sentences exposed, each on
shapes the table does not contain.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audio.normalize import normalize

CASES_FILE = Path(__file__).parent / "data" / "broadcast_cases.tsv"
CASES = [
    tuple(line.split("\t"))
    for line in CASES_FILE.read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]


@pytest.mark.parametrize(("source", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_broadcast_sentence(source: str, expected: str) -> None:
    got = normalize(source)
    assert got == expected, f"\n input: {source}\n   got: {got}\n  want: {expected}"


@pytest.mark.parametrize(
    ("symbol", "spoken"),
    [
        ("57-NQ/TW", "năm mươi bảy nghị quyết trung ương"),
        ("30/2020/NĐ-CP", "ba mươi năm hai nghìn không trăm hai mươi nghị định chính phủ"),
        ("39/2020/TT-BTTTT",
         "ba mươi chín năm hai nghìn không trăm hai mươi thông tư bộ thông tin và truyền thông"),
        ("15/2023/QH15", "mười lăm năm hai nghìn không trăm hai mươi ba quốc hội khóa mười lăm"),
        ("123/KH-UBND", "một trăm hai mươi ba kế hoạch ủy ban nhân dân"),
        ("45/TB-VP", "bốn mươi lăm thông báo văn phòng"),
        ("123/QĐ-UBND", "một trăm hai mươi ba quyết định ủy ban nhân dân"),
        ("09-HD/BTGTW", "chín hướng dẫn ban tuyên giáo trung ương"),
        ("456/UBND-VX", "bốn trăm năm mươi sáu ủy ban nhân dân văn xã"),
    ],
)
def test_every_symbol_shape_reads_number_year_kind_issuer(symbol: str, spoken: str) -> None:
    got = normalize(f"Văn bản số {symbol} đã ban hành.")
    assert got == f"Văn bản số {spoken} đã ban hành.", got
    assert " trên " not in got


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("3 lần/tháng", "ba lần mỗi tháng"),
        ("5 lượt/người", "năm lượt mỗi người"),
        ("2 ca/ngày", "hai ca mỗi ngày"),
        ("90 km/h", "chín mươi ki lô mét trên giờ"),
        ("20 m³/s", "hai mươi mét khối trên giây"),
        ("12 tạ/sào", "mười hai tạ mỗi sào"),
        ("300 người/km²", "ba trăm người mỗi ki lô mét vuông"),
        ("25.000 đồng/kg", "hai mươi lăm nghìn đồng một ki lô gam"),  # a price keeps "một"
        ("1.500.000 đồng/người/tháng", "một triệu năm trăm nghìn đồng một người một tháng"),
    ],
)
def test_a_rate_is_said_with_moi_and_a_price_with_mot(written: str, spoken: str) -> None:
    assert normalize(f"Mức {written}.") == f"Mức {spoken}."


def test_tallies_and_choices_keep_their_own_readings() -> None:
    assert normalize("Đạt 9/9 tiêu chí") == "Đạt chín trên chín tiêu chí"
    assert normalize("ông/bà") == "ông, bà"
    assert normalize("trực 24/24h") == "trực hai mươi tư trên hai mươi tư giờ"


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Đội A thua 0-1.", "Đội a thua không một."),
        ("Hai đội hòa 1 - 1.", "Hai đội hòa một một."),
        ("Chung cuộc 3:2.", "Chung cuộc ba hai."),
        ("Đội khách vượt qua chủ nhà 2-0.", "Đội khách vượt qua chủ nhà hai không."),
        # not scores: the same dash between ages, levels and numbers is a range
        ("Trẻ từ 3-5 tuổi.", "Trẻ từ ba đến năm tuổi."),
        ("Bão đi qua cấp 8-9.", "Bão đi qua cấp tám đến chín."),
        ("Thôn số 3-5.", "Thôn số ba đến năm."),
        ("Hướng dẫn 3-5 học sinh.", "Hướng dẫn ba đến năm học sinh."),
        ("Hòa giải 3-5 vụ.", "Hòa giải ba đến năm vụ."),
        ("Thua lỗ 2-3 tỷ đồng.", "Thua lỗ hai đến ba tỷ đồng."),
        ("Thôn Nam hòa thôn Tây 0-0.", "Thôn Nam hòa thôn Tây không không."),
    ],
)
def test_scores_are_told_apart_from_ranges(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


def test_a_hydrology_alarm_level_is_said() -> None:
    assert normalize("Trên BĐ3 0,2 m, dưới BĐ2.") == (
        "Trên báo động ba không phẩy hai mét, dưới báo động hai.")
    assert normalize("Trên BĐ II.") == "Trên báo động hai."


def test_a_roman_period_before_a_year() -> None:
    assert normalize("Giai đoạn II/2026.") == "Giai đoạn hai năm hai nghìn không trăm hai mươi sáu."


def test_a_bracketed_loanword_is_not_said_twice() -> None:
    assert normalize("Tiêm vắc xin (vaccine) cho trẻ.") == "Tiêm vắc xin cho trẻ."
    assert normalize("Xem (video) rồi báo lại.") == "Xem, vi đê ô, rồi báo lại."


@pytest.mark.parametrize(
    ("written", "spoken"),
    [("30°C", "ba mươi độ xê"), ("30oC", "ba mươi độ xê"), ("86°F", "tám mươi sáu độ ép"),
     ("300°K", "ba trăm độ ca"), ("góc 45°", "góc bốn mươi lăm độ")],
)
def test_degree_signs_however_typed(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("trong 36h tới", "trong ba mươi sáu giờ tới"),  # no clock shows 36: hours counted
        ("từ 24-36h", "từ hai mươi tư đến ba mươi sáu giờ"),
        ("từ 20/11 - 25/11", "từ ngày hai mươi tháng mười một đến ngày hai mươi lăm tháng mười một"),
        ("các ngày 3, 4/9", "các ngày ba, bốn tháng chín"),
        ("KP.2, TDP.7", "khu phố hai, tổ dân phố bảy"),
        ("bà Lê Thị Hoa, SN 1990", "bà Lê Thị Hoa, sinh năm một nghìn chín trăm chín mươi"),
        ("tại SN 45 Trần Phú", "tại số nhà bốn mươi lăm Trần Phú"),
        ("Ô. Trần Văn Nam", "ông Trần Văn Nam"),
        ("rộng 2.5 m", "rộng hai phẩy năm mét"),
        ("Quy định 205-QĐ/TW", "Quy định hai trăm linh năm quy định trung ương"),
        ("Quyết định 205-QĐ/TW", "Quyết định hai trăm linh năm quyết định trung ương"),
    ],
)
def test_spans_lists_addresses_and_people(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


def test_an_initial_is_not_a_sentence_end() -> None:
    assert normalize("Ông Nguyễn Văn A. được khen thưởng.") == "Ông Nguyễn Văn a được khen thưởng."
    assert normalize("Uống vitamin A. Sau đó nghỉ.") == "Uống vitamin a. Sau đó nghỉ."


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("mã DVL", "mã đê vê en lờ"),  # unknown capitals: the letter names of the glossary
        ("mã BXL", "mã bê ích en lờ"),
        ("trạm ODA", "trạm ô đê a"),
    ],
)
def test_spelled_capitals_use_the_glossary_letter_names(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Phát hiện trâu mắc THT tại thôn 2.", "Phát hiện trâu mắc tụ huyết trùng tại thôn hai."),
        ("Phun tiêu độc, phòng bệnh THT cho đàn bò.",
         "Phun tiêu độc, phòng bệnh tụ huyết trùng cho đàn bò."),
        # a farmers' group, even when it raises cattle: only disease words change the sense
        ("THT chăn nuôi bò thôn Đông họp tổng kết.", "tổ hợp tác chăn nuôi bò thôn Đông họp tổng kết."),
        ("Thành lập 3 THT trồng rau an toàn.", "Thành lập ba tổ hợp tác trồng rau an toàn."),
    ],
)
def test_tht_is_the_cattle_disease_only_beside_disease_words(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


def test_the_communes_word_wins_over_the_context_reading() -> None:
    assert normalize("Tiêm phòng THT", glossary={"THT": "tổ hợp tác"}) == "Tiêm phòng tổ hợp tác"


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Đảm bảo ATTP (an toàn thực phẩm) dịp Tết.", "Đảm bảo an toàn thực phẩm dịp Tết."),
        ("Hội LHPN (Hội Liên hiệp Phụ nữ) xã.", "Hội liên hiệp phụ nữ xã."),
        ("Lệ phí 50.000 đồng (năm mươi nghìn đồng).", "Lệ phí năm mươi nghìn đồng."),
        ("Nộp 02 (hai) bản chính.", "Nộp hai bản chính."),
        # a bracket that says something else is read
        ("Nộp 02 (bản sao) hồ sơ.", "Nộp hai, bản sao, hồ sơ."),
        ("Đăng ký BHYT (tại Trạm Y tế).", "Đăng ký bảo hiểm y tế, tại Trạm y tế."),
    ],
)
def test_a_bracket_that_repeats_what_was_said_is_not_said_twice(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Xe BKS 29-B1 234.56 bị tạm giữ.", "Xe biển kiểm soát hai chín bê một hai ba bốn năm sáu bị tạm giữ."),
        ("Xe ô tô biển số 30E-12345.", "Xe ô tô biển số ba không e một hai ba bốn năm."),
        ("Lớp 12A-1234 học sinh.", "Lớp mười hai a một nghìn hai trăm ba mươi tư học sinh."),  # no plate word
        ("Ngõ 45/12 phố Huế.", "Ngõ bốn mươi lăm trên mười hai phố Huế."),
        ("Nhà số 7/2, thôn Đông.", "Nhà số bảy trên hai, thôn Đông."),
        ("Trực 24/7 trong mùa mưa bão.", "Trực hai mươi tư trên bảy trong mùa mưa bão."),
        ("Hạn chót ngày 24/7.", "Hạn chót ngày hai mươi tư tháng bảy."),
        ("Từ 20/7 đến 24/7.", "Từ ngày hai mươi tháng bảy đến ngày hai mươi tư tháng bảy."),
    ],
)
def test_plates_house_numbers_and_round_the_clock(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Xăng RON 95-IV.", "Xăng rôn chín mươi lăm bốn."),
        ("Xăng E5RON92.", "Xăng e năm rôn chín mươi hai."),
        ("Dầu DO 0,001S-V.", "Dầu đê ô không phẩy không không một ét năm."),
        ("Bão ở 15,5N.", "Bão ở mười lăm phẩy năm độ vĩ bắc."),  # no fuel before it: a latitude
        ("Vàng miếng 999.9 và vàng 24K.", "Vàng miếng bốn số chín và vàng hai mươi tư ca."),
        ("Có 9999 hộ.", "Có chín nghìn chín trăm chín mươi chín hộ."),
        ("Siêu bão RAGASA.", "Siêu bão Ragasa."),
        ("Trên BĐII và BĐ1-BĐ2.", "Trên báo động hai và báo động một đến báo động hai."),
        ("Giống OM 5451.", "Giống ô em mờ năm bốn năm một."),
        ("Cúm A/H1N1.", "Cúm a hát một en một."),
        ("Soạn tin VNEID gửi 1900.", "Soạn tin vê nê ai đi gửi một chín không không."),
    ],
)
def test_grades_names_and_codes(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


def test_a_longer_key_wins_whatever_its_letter_case() -> None:
    assert normalize("Theo dõi Zalo OA của xã và nhóm zalo thôn.") == (
        "Theo dõi da lô ô a của xã và nhóm da lô thôn.")


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Hỗ trợ 2 triệu/hộ.", "Hỗ trợ hai triệu một hộ."),  # a sum without "đồng" is still money
        ("Doanh thu 3 tỷ/năm.", "Doanh thu ba tỷ một năm."),
        ("Cấp 3 triệu lượt/năm.", "Cấp ba triệu lượt mỗi năm."),  # a count of visits: a rate
        ("Nghỉ từ ngày 2 đến 4-9.", "Nghỉ từ ngày hai đến ngày bốn tháng chín."),
        # no day before "đến", so no date; a span at a span's far end is "năm, sáu", never
        # "đến năm đến sáu"
        ("Ngày 3 có 2 đến 5-6 hộ.", "Ngày ba có hai đến năm, sáu hộ."),
    ],
)
def test_money_without_dong_and_the_end_of_a_dashed_span(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Công tác PCTN, THTK, CLP năm 2025.",
         "Công tác phòng chống tham nhũng, thực hành tiết kiệm, chống lãng phí năm hai nghìn không trăm hai mươi lăm."),
        ("Đẩy mạnh CCHC, xây dựng CQS, phát triển KTS và XHS.",
         "Đẩy mạnh cải cách hành chính, xây dựng chính quyền số, phát triển kinh tế số và xã hội số."),
        ("Hỗ trợ NKT, HKD và các HTX-DV.", "Hỗ trợ người khuyết tật, hộ kinh doanh và các hợp tác xã dịch vụ."),
        ("Sự nghiệp CNH-HĐH đất nước.", "Sự nghiệp công nghiệp hóa, hiện đại hóa đất nước."),
    ],
)
def test_everyday_administrative_abbreviations_are_said_as_words(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


def test_a_context_reading_looks_at_its_own_sentence_only() -> None:
    assert normalize("Sàng lọc phát hiện sớm bệnh lao (TB) tại xã.") == (
        "Sàng lọc phát hiện sớm bệnh lao, tê bê, tại xã.")
    far = ("Người lao động nhận TB số 5 tại văn phòng ủy ban xã vào sáng mai. Chiều mai, trạm y tế "
           "tổ chức phòng chống lao cho người cao tuổi.")
    assert "nhận thông báo số năm" in normalize(far)
    assert normalize("Người lao động nhận TB.") == "Người lao động nhận thông báo."


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Trực từ Thứ Hai - Thứ Sáu.", "Trực từ Thứ Hai đến Thứ Sáu."),
        ("Nghỉ thứ 7 - chủ nhật.", "Nghỉ thứ bảy đến chủ nhật."),
        ("Các ngày 3,4/9/2026 nghỉ lễ.", "Các ngày ba, bốn tháng chín năm hai nghìn không trăm hai mươi sáu nghỉ lễ."),
        ("Đạt 7,5/10 điểm.", "Đạt bảy phẩy năm trên mười điểm."),  # no day word: a mark out of ten
    ],
)
def test_weekday_spans_and_days_listed_with_bare_commas(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Bón 120 kg/ha.", "Bón một trăm hai mươi ki lô gam mỗi héc ta."),  # a rate over the land
        ("Bón 300 kg phân/ha.", "Bón ba trăm ki lô gam phân mỗi héc ta."),
        ("Tải trọng 500 kg/m2.", "Tải trọng năm trăm ki lô gam trên mét vuông."),  # one measuring unit
        ("Tuyến ĐT100 qua xã.", "Tuyến đường tỉnh một trăm qua xã."),  # was "ĐTmột không không"
        ("ĐT: 0235 3812345.", "điện thoại: không hai ba năm ba tám một hai ba bốn năm."),
    ],
)
def test_rates_over_the_land_and_a_glued_code_is_no_phone_lead(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


def test_the_campaigns_addresses_are_said_as_their_words() -> None:
    assert normalize("Học tại binhdanhocvuso.gov.vn.") == (
        "Học tại bình dân học vụ số chấm gờ o vê chấm vê en.")
    assert normalize("Nghe vov.vn hoặc xem csgt.vn.") == (
        "Nghe vê ô vê chấm vê en hoặc xem xê ét giê tê chấm vê en.")


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        # ĐT by the shape of what follows: a road's three digits, or a number to dial
        ("Tuyến ĐT 741 bị sạt lở.", "Tuyến đường tỉnh bảy trăm bốn mươi mốt bị sạt lở."),
        ("Liên hệ ĐT 0912345678.", "Liên hệ điện thoại không chín một hai ba bốn năm sáu bảy tám."),
        ("ĐT 0235 3812345", "điện thoại không hai ba năm ba tám một hai ba bốn năm"),
        ("ĐT/Zalo: 0905 123 456.",
         "điện thoại, da lô: không chín không năm một hai ba bốn năm sáu."),
        ("Số ĐT của trưởng thôn.", "Số điện thoại của trưởng thôn."),
        ("ĐT liên hệ: 0905123456.",
         "điện thoại liên hệ: không chín không năm một hai ba bốn năm sáu."),
        # đ/c: a comrade before a name or a plural, an address before a colon or its words
        ("Đ/c: 12 Lê Lợi.", "địa chỉ: mười hai Lê Lợi."),
        ("Ghi rõ đ/c thường trú.", "Ghi rõ địa chỉ thường trú."),
        ("Gửi về tại đ/c trên.", "Gửi về tại địa chỉ trên."),
        ("Đ/c Nguyễn Văn Hùng phát biểu.", "đồng chí Nguyễn Văn Hùng phát biểu."),
        ("Các đ/c đảng viên dự họp.", "Các đồng chí đảng viên dự họp."),
        # road classes before their number; ĐH otherwise by the words beside it
        ("Tuyến TL 295.", "Tuyến tỉnh lộ hai trăm chín mươi lăm."),
        ("Cấm xe trên đường ĐH 12.", "Cấm xe trên đường huyện mười hai."),
        ("Trường ĐH Đà Nẵng", "Trường đại học Đà Nẵng"),
        ("ĐH Đảng bộ xã", "đại hội Đảng bộ xã"),
        ("TL. Chủ tịch", "thừa lệnh Chủ tịch"),
    ],
)
def test_an_abbreviation_read_by_the_words_beside_it(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Ổ cứng 2 TB.", "Ổ cứng hai tê ra bai."),  # a unit after its number, not a thông báo
        ("Gói 500 MB.", "Gói năm trăm mê ga bai."),
        ("Chuyển khoản qua MB.", "Chuyển khoản qua em bê."),  # the bank
        ("Hội nghị lần thứ 10 TW.", "Hội nghị lần thứ mười trung ương."),  # never terawatts
        ("Tốc độ 120 Mbps.", "Tốc độ một trăm hai mươi mê ga bít trên giây."),
        ("Xe trên 10T cấm qua cầu.", "Xe trên mười tấn cấm qua cầu."),
    ],
)
def test_a_unit_after_its_number_is_the_unit(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("PGD huyện tổ chức tuyển sinh vào các trường mầm non.",
         "phòng giáo dục huyện tổ chức tuyển sinh vào các trường mầm non."),
        # a student loan is still the bank's office
        ("PGD NHCSXH cho vay học sinh, sinh viên.",
         "phòng giao dịch ngân hàng chính sách xã hội cho vay học sinh, sinh viên."),
    ],
)
def test_pgd_is_a_bank_office_unless_only_schools_are_near(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Xem tại dichvucong.gov.vn/p/home/dvc.html ngay.",
         "Xem tại dịch vụ công chấm gờ o vê chấm vê en ngay."),
        ("Vào https://thuvienphapluat.vn/van-ban/abc.aspx?id=5 nhé.",
         "Vào thư viện pháp luật chấm vê en nhé."),
        ("Vào https://dichvucong.gov.vn/ nhé.", "Vào dịch vụ công chấm gờ o vê chấm vê en nhé."),
        # a path of words the listener knows is said
        ("Tra cứu tại tiemchung.gov.vn/tracuu.",
         "Tra cứu tại tiêm chủng chấm gờ o vê chấm vê en gạch chéo tra cứu."),
    ],
)
def test_a_path_no_ear_can_type_back_is_left_unsaid(written: str, spoken: str) -> None:
    got = normalize(written)
    assert got == spoken
    assert "gạch ngang" not in got and " trên " not in got


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Gọi +84 905 123 456.", "Gọi không chín không năm một hai ba bốn năm sáu."),
        ("Gọi (+84) 905 123 456.", "Gọi không chín không năm một hai ba bốn năm sáu."),
        ("Gọi +84 24 3825 1234.", "Gọi không hai bốn ba tám hai năm một hai ba bốn."),
        ("Mã số thuế: 0401234567", "Mã số thuế: không bốn không một hai ba bốn năm sáu bảy"),
    ],
)
def test_numbers_to_dial_or_type_are_said_as_dialled_here(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Từ 2 tới 4-6 ngày.", "Từ hai tới bốn, sáu ngày."),
        ("Khoảng 5-7 người.", "Khoảng năm đến bảy người."),  # a span on its own keeps "đến"
        ("Áp dụng TCVN 5574:2018.", "Áp dụng tiêu chuẩn việt nam năm nghìn năm trăm bảy mươi tư "
         "năm hai nghìn không trăm mười tám."),
        ("Ngày thành lập Đảng Cộng sản Việt Nam 3/2.",
         "Ngày thành lập Đảng Cộng sản Việt Nam ngày ba tháng hai."),
    ],
)
def test_spans_standards_and_holidays(written: str, spoken: str) -> None:
    assert normalize(written) == spoken
