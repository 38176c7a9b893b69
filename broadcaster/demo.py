"""Realistic sample content for a new station, so the culture team sees what a day looks like.

The texts follow the way commune notices are written (abbreviations, dates, times, amounts) so the
normaliser and the voices are exercised on what they will really meet.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broadcaster import bulletins, schedule
from broadcaster.config import Settings
from broadcaster.errors import ValidationError
from broadcaster.models import Bulletin, Campaign, Slot, Zone

ZONES = (
    ("Thôn Đông", "thôn"),
    ("Thôn Đoài", "thôn"),
    ("Thôn Trung", "thôn"),
    ("Thôn Nà Pồng", "thôn"),
    ("Khu phố Chợ", "khu phố"),
)

NQ57 = (
    "Thực hiện Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị về đột phá phát triển khoa học, "
    "công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia, Đảng ủy, UBND xã đề nghị cán bộ, đảng viên "
    "và nhân dân tích cực tham gia các phong trào KHCN, ĐMST và CĐS tại địa phương. Mỗi hộ gia đình cần "
    "có ít nhất một người biết sử dụng điện thoại thông minh để tra cứu thông tin, thanh toán không dùng "
    "tiền mặt và sử dụng dịch vụ công trực tuyến."
)
BDHVS = (
    "Hưởng ứng phong trào \"Bình dân học vụ số\", từ ngày 01/11 đến ngày 30/11/2026, Đoàn Thanh niên "
    "phối hợp với các chi hội Phụ nữ tổ chức lớp hướng dẫn kỹ năng số miễn phí vào 19h30 các tối thứ 3 "
    "và thứ 5 hằng tuần tại Nhà văn hóa thôn. Nội dung gồm: cài đặt và kích hoạt tài khoản định danh "
    "điện tử VNeID mức độ 2, nộp hồ sơ trên Cổng dịch vụ công quốc gia, nhận diện lừa đảo qua mạng. "
    "Bà con có nhu cầu xin liên hệ đồng chí Bí thư Chi đoàn, số điện thoại 0912 345 678."
)
DAY_1010 = (
    "Hưởng ứng Ngày Chuyển đổi số quốc gia 10/10, UBND xã tổ chức Ngày hội chuyển đổi số vào 7h30 sáng "
    "ngày 10/10 tại Sân vận động xã. Tại ngày hội, bà con được hướng dẫn thanh toán điện tử, mở tài "
    "khoản ngân hàng số, sử dụng sàn thương mại điện tử để bán nông sản. Ước tính 85,5% hộ gia đình "
    "trong xã đã có điện thoại thông minh; phấn đấu đến hết quý IV/2026 đạt 95%."
)
MEETING = (
    "Thôn Đông thông báo: vào hồi 19h00 ngày 28/11/2026, tại Nhà văn hóa thôn sẽ tổ chức họp dân để "
    "bình xét hộ nghèo, hộ cận nghèo năm 2027 và triển khai thu Quỹ phòng, chống thiên tai. Mức đóng "
    "là 20.000 đồng/người lao động. Đề nghị mỗi hộ cử một đại diện đến dự họp đầy đủ, đúng giờ."
)
VACCINATION = (
    "Trạm Y tế xã thông báo: từ 7h30 đến 11h00 ngày 05/12/2026, Trạm tổ chức tiêm chủng mở rộng cho "
    "trẻ em từ 2 đến 18 tháng tuổi. Phụ huynh mang theo sổ tiêm chủng và thẻ BHYT của trẻ. Trẻ đang "
    "sốt trên 38°C hoặc đang mắc bệnh cấp tính sẽ được hẹn tiêm sau."
)
FLOOD = (
    "Ban Chỉ huy PCTT và TKCN xã thông báo khẩn: do ảnh hưởng của bão số 3, từ đêm nay đến hết ngày mai "
    "trên địa bàn xã có mưa to, lượng mưa phổ biến từ 100-150mm, có nơi trên 200mm. Nguy cơ cao xảy ra "
    "lũ quét, sạt lở đất ở vùng đồi núi và ngập úng vùng trũng. Đề nghị bà con không đi qua ngầm, tràn "
    "khi có nước chảy xiết; chằng chống nhà cửa; di chuyển người và tài sản đến nơi an toàn. Khi cần hỗ "
    "trợ, gọi ngay số 0208 3856 114."
)


def _next_1010(today: dt.date) -> tuple[dt.date, dt.date]:
    year = today.year if today <= dt.date(today.year, 10, 10) else today.year + 1
    return dt.date(year, 10, 1), dt.date(year, 10, 10)


def load_demo(session: Session, settings: Settings, today: dt.date | None = None) -> str:
    """Fill an empty station; refuses to touch one that already has content."""
    existing = session.scalar(select(func.count()).select_from(Bulletin)) or 0
    existing += session.scalar(select(func.count()).select_from(Slot)) or 0
    if existing:
        raise ValidationError("Đài đã có nội dung; chỉ nạp dữ liệu mẫu cho đài còn trống")
    today = today or dt.date.today()
    zones = []
    for name, kind in ZONES:
        zone = session.scalar(select(Zone).where(Zone.name == name))
        if zone is None:
            zone = Zone(name=name, kind=kind, output=settings.output.name)
            session.add(zone)
        zones.append(zone)
    peak_from, peak_to = _next_1010(today)
    campaigns = {
        "nq57": Campaign(
            name="Tuyên truyền Nghị quyết 57-NQ/TW",
            theme="Đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số",
            starts_on=today, ends_on=today + dt.timedelta(days=90), target_per_day=2, target_per_week=14,
            doc_number="160/KH-SVHTTDL", doc_date=dt.date(2025, 8, 18),
            doc_issuer="Sở Văn hóa, Thể thao và Du lịch tỉnh",
            doc_title="về tuyên truyền thực hiện Nghị quyết số 57-NQ/TW của Bộ Chính trị",
            themes=["Quan điểm, mục tiêu, nhiệm vụ của Nghị quyết 57-NQ/TW",
                    "Phong trào Bình dân học vụ số",
                    "Lồng ghép vào sinh hoạt chi bộ, họp thôn, đoàn thể"],
        ),
        "bdhvs": Campaign(
            name="Phong trào Bình dân học vụ số",
            theme="Phổ cập kỹ năng số cho mọi người dân",
            starts_on=today, ends_on=today + dt.timedelta(days=60), target_per_day=1, target_per_week=7,
        ),
        "cds": Campaign(
            name="Ngày Chuyển đổi số quốc gia 10/10",
            theme="Cao điểm tuyên truyền chuyển đổi số",
            starts_on=peak_from, ends_on=peak_to, target_per_day=3, target_per_week=21,
            peak_starts_on=peak_from, peak_ends_on=peak_to, peak_target_per_day=3,
        ),
    }
    session.add_all(campaigns.values())
    session.flush()
    samples = [
        ("Tuyên truyền Nghị quyết 57-NQ/TW", NQ57, "Tuyên truyền", "normal", campaigns["nq57"]),
        ("Bình dân học vụ số: lớp kỹ năng số", BDHVS, "Tuyên truyền", "normal", campaigns["bdhvs"]),
        ("Ngày hội Chuyển đổi số 10/10", DAY_1010, "Tuyên truyền", "priority", campaigns["cds"]),
        ("Thông báo họp thôn Đông", MEETING, "Thông báo", "normal", None),
        ("Lịch tiêm chủng mở rộng tháng 12", VACCINATION, "Y tế", "priority", None),
        ("Cảnh báo mưa lũ do bão số 3", FLOOD, "Cảnh báo thiên tai", "emergency", None),
    ]
    made = []
    for title, body, category, priority, campaign in samples:
        bulletin = bulletins.add_bulletin(
            session, title=title, body=body, category=category, priority=priority,
            campaign_id=campaign.id if campaign else None,
            theme=campaign.themes[0] if campaign is not None and campaign.themes else "",
        )
        # The emergency sample waits in the approver's queue (submitted, not a bare draft), so
        # whoever tries the demo as an approver finds something to decide on.
        action = "submit" if priority == "emergency" else "approve"
        bulletins.transition(session, bulletin, action, None, "dữ liệu mẫu")
        made.append(bulletin)
    tz = settings.station.timezone
    zone_names = [z.name for z in zones]
    session.flush()
    schedule.add_slot(
        session, items=[schedule.ItemSpec("bulletin", bulletin_id=made[0].id),
                        schedule.ItemSpec("bulletin", bulletin_id=made[1].id)],
        default_tz=tz, daily="06:00", name="Bản tin sáng", zones=zone_names,
        output=settings.output.name, campaign_id=campaigns["nq57"].id,
    )
    schedule.add_slot(
        session, items=[schedule.ItemSpec("bulletin", bulletin_id=made[3].id),
                        schedule.ItemSpec("bulletin", bulletin_id=made[4].id)],
        default_tz=tz, daily="17:00", name="Bản tin chiều", zones=zone_names,
        output=settings.output.name,
    )
    schedule.add_slot(
        session, items=[schedule.ItemSpec("bulletin", bulletin_id=made[2].id)],
        default_tz=tz, daily="11:00", starts_on=peak_from, ends_on=peak_to,
        name="Cao điểm Ngày Chuyển đổi số 10/10", zones=zone_names,
        output=settings.output.name, campaign_id=campaigns["cds"].id,
    )
    return (
        f"Đã nạp dữ liệu mẫu: {len(zones)} thôn/khu phố, {len(campaigns)} chiến dịch, "
        f"{len(made)} bản tin (bản tin cảnh báo lũ đang chờ duyệt), "
        "3 lịch phát (06:00 và 17:00 hằng ngày, 11:00 cao điểm 10/10)."
    )
