"""Demo campaigns of the Đồng Nai 2026 plan ("Bình dân học vụ số" and "Mùa hè số") with their indicators."""

from datetime import date

from sqlalchemy import select

from campaign.accounts.models import User
from campaign.campaigns.models import Baseline, Campaign, Indicator, IndicatorTarget, IndicatorValue
from campaign.extensions import db
from campaign.units.models import Commune

DONG_NAI = 75
MAIN_SLUG = "binh-dan-hoc-vu-so-2026-dong-nai"
SUMMER_SLUG = "mua-he-so-2026-dong-nai"

# code, name, unit, target, metric, target group, lead unit, measurement (the plan's appendix)
MAIN_INDICATORS = [
    ("1", "100% cán bộ, công chức, viên chức và người lao động trong cơ quan Nhà nước có kiến thức, kỹ năng số "
          "phục vụ công việc", "percent", 100, "people_trained", "civil_servants", "Sở Khoa học và Công nghệ",
     "Kết quả đánh giá trên nền tảng học trực tuyến mở đại trà."),
    ("2", "100% học sinh từ cấp tiểu học được trang bị kiến thức, kỹ năng số và an toàn số", "percent", 100,
     "people_trained", "pupils_students", "Sở Giáo dục và Đào tạo",
     "Báo cáo hoàn thành chương trình phổ cập kỹ năng số cho học sinh."),
    ("3", "100% người dân trưởng thành có tri thức cơ bản về chuyển đổi số và sử dụng tốt các dịch vụ số "
          "thiết yếu", "people", 120000, "people_trained", "adults", "UBND các xã, phường",
     "Thống kê số lượng người tham gia học tập trên nền tảng số."),
    ("4", "60% người dân trong độ tuổi trưởng thành được xác nhận đạt phổ cập kỹ năng số trên VNeID", "people",
     60000, "vneid_assisted", None, "Công an tỉnh", "Dữ liệu trích xuất hệ thống xác thực từ nền tảng VNeID."),
    ("4a", "Người dân trưởng thành được Công an xác thực tài khoản định danh điện tử mức 2 trên VNeID", "people",
     60000, "manual", None, "Công an tỉnh", "Số liệu Công an tỉnh báo cáo định kỳ (nhập tay)."),
    ("5", "100% người lao động trong các doanh nghiệp, hợp tác xã có kiến thức công nghệ và kỹ năng số",
     "percent", 100, "people_trained", "workers", "Sở Công Thương",
     "Báo cáo định kỳ từ UBND các xã, phường, Hiệp hội ngành nghề, doanh nghiệp, hợp tác xã."),
    ("6", "100% xã, phường kết nối trực tuyến Lễ phát động", "communes", 95, "bridge_points_connected", None,
     "Sở Khoa học và Công nghệ", "Số điểm cầu đã kết nối trong ngày Lễ phát động."),
    ("7", "Mỗi xã, phường tổ chức ít nhất 01 hoạt động Ngày hội toàn dân học tập số (10/10)", "communes", 95,
     "national_day_activities", None, "UBND các xã, phường", "Số xã, phường có hoạt động ngày 10/10."),
    ("8", "02 lớp bồi dưỡng chuyên gia chuyển đổi số (100 học viên), 100% được cấp giấy chứng nhận", "people",
     100, "certificates_issued", "civil_servants", "Sở Khoa học và Công nghệ", "Số giấy chứng nhận đã cấp."),
]

SUMMER_INDICATORS = [
    ("1", "Người dân được Đại sứ số hướng dẫn trực tiếp", "people", 36000, "people_helped", None,
     "Đoàn TNCS Hồ Chí Minh tỉnh", "Tổng hợp kết quả ca tình nguyện."),
    ("2", "Lượt hỗ trợ cài đặt, xác thực VNeID", "people", 18000, "vneid_assisted", None, "Đoàn TNCS Hồ Chí Minh tỉnh",
     "Tổng hợp kết quả ca tình nguyện."),
    ("3", "Giờ tình nguyện của Đại sứ số", "hours", 40000, "volunteer_hours", None, "Đoàn TNCS Hồ Chí Minh tỉnh",
     "Tổng giờ check-in/check-out của tình nguyện viên."),
    ("4", "100% các xã vùng sâu, vùng xa được hỗ trợ trực tiếp", "communes", 8, "remote_communes_supported", None,
     "Đoàn TNCS Hồ Chí Minh tỉnh", "Số xã vùng sâu, vùng xa có ca tình nguyện hoặc lớp học đã diễn ra tại xã."),
]

# The plan's "Đơn vị phối hợp" (partner units), by indicator code of the year's campaign.
MAIN_PARTNERS = {
    "1": "Sở Nội vụ; các sở, ban, ngành; UBND các xã, phường",
    "2": "Đoàn TNCS Hồ Chí Minh tỉnh; UBND các xã, phường",
    "3": "Đoàn TNCS Hồ Chí Minh tỉnh; Hội Liên hiệp Phụ nữ tỉnh; Công an tỉnh",
    "4": "Đoàn TNCS Hồ Chí Minh tỉnh; UBND các xã, phường",
    "4a": "UBND các xã, phường",
    "5": "Liên đoàn Lao động tỉnh; Liên minh Hợp tác xã tỉnh; Hiệp hội Doanh nghiệp tỉnh",
    "6": "Viễn thông Đồng Nai; UBND các xã, phường",
    "7": "Sở Giáo dục và Đào tạo; Đoàn TNCS Hồ Chí Minh tỉnh",
    "8": "Trường Đại học Đồng Nai",
}

# Remote communes ("vùng sâu, vùng xa"): the mountain and border communes of the former Bình Phước and
# the Cát Tiên forest edge.
REMOTE_COMMUNES = (25222, 25225, 25231, 25396, 25399, 26119, 26134, 26209)
BASELINE_AS_OF = date(2025, 12, 31)


def _ensure(slug: str, **values) -> Campaign:
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        campaign = Campaign(slug=slug, **values)
        db.session.add(campaign)
        db.session.flush()
    return campaign


def _indicators(campaign: Campaign, rows, partners: dict | None = None) -> None:
    partners = partners or {}
    have = {i.code for i in campaign.indicators}
    for position, (code, name, unit, target, metric, group, lead, measurement) in enumerate(rows):
        if code not in have:
            campaign.indicators.append(Indicator(code=code, position=position, name=name, unit=unit,
                                                 target_value=target, metric=metric, target_group=group,
                                                 lead_unit=lead, measurement=measurement,
                                                 partner_units=partners.get(code, "")))
    db.session.flush()


# Figures the police report each quarter (indicator 4a, entered by hand): province-wide, and some
# communes' own reports. Quarter ends in the past only, so that the dashboard "as of today" shows them.
PROVINCE_VNEID = [(date(2026, 3, 31), 12500), (date(2026, 6, 30), 31800), (date(2026, 9, 30), 47200)]
COMMUNE_VNEID = {26041: [(date(2026, 6, 30), 2100), (date(2026, 9, 30), 3350)],  # Trấn Biên
                 26368: [(date(2026, 6, 30), 640), (date(2026, 9, 30), 1180)]}  # Long Thành


# Indicator 1 is measured on the national open online learning platform: Sở KH&CN reports the share of
# civil servants who passed its assessment each quarter (a percentage entered by hand, province-wide).
PROVINCE_OLP = [(date(2026, 3, 31), 38.5), (date(2026, 6, 30), 61.2), (date(2026, 9, 30), 78.4)]


def _commune_reports(main: Campaign, coordinator) -> None:
    """Indicators 2 (pupils, reported by the schools through Sở GD&ĐT) and 5 (workers, reported by the
    communes, firms and cooperatives): a share per commune as of 30/09/2026, entered by hand; the province's
    figure weighs them by the communes' populations (the baselines)."""
    codes = db.session.scalars(select(Commune.code).where(Commune.province_code == DONG_NAI)
                               .order_by(Commune.code)).all()
    for ind_code, source, every, low, spread in (("2", "Sở Giáo dục và Đào tạo – báo cáo quý III", 1, 52, 40),
                                                 ("5", "Báo cáo của UBND xã, phường và doanh nghiệp", 2, 18, 45)):
        ind = next((i for i in main.indicators if i.code == ind_code), None)
        if ind is None or db.session.scalar(select(IndicatorValue.id).where(IndicatorValue.indicator_id == ind.id)
                                            .limit(1)):
            continue
        for n, code in enumerate(codes):
            if n % every:
                continue  # not every commune has reported workers yet
            share = low + (n * 37 % 100) / 100 * spread
            if code in REMOTE_COMMUNES:
                share *= 0.6
            db.session.add(IndicatorValue(indicator_id=ind.id, commune_code=code, as_of=date(2026, 9, 30),
                                          value=round(share, 1), source=source, entered_by_id=coordinator))


def _manual_values(main: Campaign) -> None:
    coordinator = db.session.scalar(select(User.id).where(User.username == "sokhcn.dongnai"))
    olp = next((i for i in main.indicators if i.code == "1"), None)
    if olp is not None and not db.session.scalar(select(IndicatorValue.id).where(
            IndicatorValue.indicator_id == olp.id).limit(1)):
        for day, value in PROVINCE_OLP:
            db.session.add(IndicatorValue(indicator_id=olp.id, commune_code=None, as_of=day, value=value,
                                          source="Sở KH&CN – nền tảng học trực tuyến mở đại trà (OLP)",
                                          entered_by_id=coordinator))
    _commune_reports(main, coordinator)
    indicator = next((i for i in main.indicators if i.code == "4a"), None)
    if indicator is None or db.session.scalar(select(IndicatorValue.id).where(
            IndicatorValue.indicator_id == indicator.id).limit(1)):
        return
    rows = [(None, day, value, "Công an tỉnh Đồng Nai – trích xuất VNeID") for day, value in PROVINCE_VNEID]
    rows += [(code, day, value, "Công an xã, phường") for code, values in COMMUNE_VNEID.items()
             for day, value in values]
    for code, day, value, source in rows:
        db.session.add(IndicatorValue(indicator_id=indicator.id, commune_code=code, as_of=day, value=value,
                                      source=source, entered_by_id=coordinator))
    db.session.flush()


def _baselines_and_remote() -> None:
    """Populations of every Đồng Nai commune as of 31/12/2025 (a deterministic spread around the province's
    size: about 3.3 million adults), so that the percentage indicators 1, 2 and 5 have a denominator;
    several remote communes marked."""
    communes = db.session.scalars(select(Commune).where(Commune.province_code == DONG_NAI)
                                  .order_by(Commune.code)).all()
    for c in communes:
        c.remote = c.code in REMOTE_COMMUNES
    if db.session.scalar(select(Baseline.id).join(Commune).where(Commune.province_code == DONG_NAI).limit(1)):
        db.session.flush()
        return
    coordinator = db.session.scalar(select(User.id).where(User.username == "sokhcn.dongnai"))
    for n, c in enumerate(communes):
        scale = (0.45 if c.remote else 1.0) * (0.7 + ((n * 53) % 61) / 100)
        adults = int(34000 * scale)
        values = {"adults": adults, "residents_16": int(adults * 1.08), "households": int(adults / 2.6),
                  "civil_servants": int(120 + 140 * scale), "pupils": int(adults * 0.19),
                  "workers": int(adults * (0.05 if c.remote else 0.32))}
        for kind, value in values.items():
            db.session.add(Baseline(commune_code=c.code, kind=kind, as_of=BASELINE_AS_OF, value=value,
                                    source="Chi cục Thống kê tỉnh Đồng Nai (niên giám 2025)",
                                    entered_by_id=coordinator))
    db.session.flush()


def load(context: dict) -> None:
    main = _ensure(MAIN_SLUG, province_code=DONG_NAI, name="Bình dân học vụ số 2026 – Đồng Nai",
                   kind="digital_literacy", owner_unit="UBND tỉnh Đồng Nai (Sở Khoa học và Công nghệ thường trực)",
                   starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
                   description="Kế hoạch triển khai Phong trào “Bình dân học vụ số” trên địa bàn tỉnh Đồng Nai năm 2026.")
    _indicators(main, MAIN_INDICATORS, MAIN_PARTNERS)
    summer = _ensure(SUMMER_SLUG, province_code=DONG_NAI, name="Mùa hè số 2026", kind="summer",
                     owner_unit="Tỉnh Đoàn Đồng Nai", starts_on=date(2026, 6, 1), ends_on=date(2026, 8, 31),
                     parent_id=main.id,
                     description="Chiến dịch tình nguyện “Mùa hè số”: Đại sứ số đi từng ngõ, gõ từng nhà.")
    _indicators(summer, SUMMER_INDICATORS)

    # Per-commune targets for indicator 3 (adults trained), shared out by a simple key so that the
    # dashboards have something to measure against.
    adults = next(i for i in main.indicators if i.code == "3")
    if not adults.commune_targets:
        communes = db.session.scalars(select(Commune.code).where(Commune.province_code == DONG_NAI)
                                      .order_by(Commune.code)).all()
        for n, code in enumerate(communes):
            db.session.add(IndicatorTarget(indicator_id=adults.id, commune_code=code,
                                           target_value=800 + (n * 37) % 900))
    _manual_values(main)
    _baselines_and_remote()
    context["campaign_main"] = main.id
    context["campaign_summer"] = summer.id
    context["echo"](f"campaigns: {main.name}; {summer.name}")
