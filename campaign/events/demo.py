"""Demo events of the Đồng Nai 2026 plan: the May launch ceremony with 95 bridge points (most of
them connected), the 10/10 day with activities in several communes, weekly community classes,
and a few registrations."""

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from campaign.accounts.models import User
from campaign.campaigns.models import Campaign
from campaign.core.timeutil import local_to_utc, local_today
from campaign.events import services
from campaign.events.models import Event, Registration
from campaign.extensions import db
from campaign.units.demo import DONG_NAI, LONG_THANH, TA_LAI, TRAN_BIEN
from campaign.units.models import Commune

HOSTS = {TRAN_BIEN: "canbo.tranbien", LONG_THANH: "canbo.longthanh", TA_LAI: "canbo.talai"}
# Bridge points that never connected on the day (8 of 95: "87/95 connected").
NOT_CONNECTED = 8

NATIONAL_DAY_ACTIVITIES = [
    (TRAN_BIEN, "workshop", "Hội thảo “Trí tuệ nhân tạo trong đời sống”", "Hội trường UBND phường Trấn Biên", 8, 11),
    (TRAN_BIEN, "hands_on", "Trải nghiệm dịch vụ công trực tuyến và VNeID", "Nhà văn hóa khu phố 2", 14, 17),
    (LONG_THANH, "talk", "Tọa đàm “Chợ số – Nông thôn số”", "Nhà văn hóa ấp Phước Hòa", 8, 10),
    (TA_LAI, "class_session", "Lớp học điện thoại thông minh cho đồng bào dân tộc thiểu số", "Nhà văn hóa ấp 2", 8, 11),
]


# On 10/10 most communes held an activity of their own; these lagged behind and held none.
NATIONAL_DAY_GAPS = 17
GENERIC_ACTIVITIES = [
    ("hands_on", "Ngày hội học tập số: cài đặt và sử dụng VNeID, dịch vụ công trực tuyến", "Nhà văn hóa"),
    ("talk", "Tuyên truyền an toàn trên không gian mạng, phòng chống lừa đảo trực tuyến", "Hội trường UBND"),
    ("class_session", "Lớp học điện thoại thông minh cho người cao tuổi", "Nhà văn hóa"),
    ("hands_on", "Trải nghiệm thanh toán không dùng tiền mặt tại chợ", "Chợ"),
]


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return local_to_utc(datetime(day.year, day.month, day.day, hour, minute))


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _launch_ceremony(campaign: Campaign, coordinator) -> Event:
    start = _local(date(2026, 5, 19), 8)
    result = services.create_launch_ceremony(
        coordinator, campaign, starts_at=start, ends_at=start + timedelta(hours=2, minutes=30),
        title="Lễ phát động Phong trào “Bình dân học vụ số” tỉnh Đồng Nai năm 2026",
        place="Trung tâm Hội nghị tỉnh Đồng Nai", online_url="https://hop.dongnai.gov.vn/le-phat-dong-2026")
    ceremony = result.parent
    if result.children_created:
        points = db.session.scalars(select(Event).join(Commune, Commune.code == Event.commune_code)
                                    .where(Event.parent_id == ceremony.id).order_by(Commune.name)).all()
        for n, point in enumerate(points):
            host = _user(HOSTS[point.commune_code]) if point.commune_code in HOSTS else None
            point.host_user_id = host.id if host else None
            point.place = f"Hội trường UBND {point.commune.name}"
            point.ready_at = start - timedelta(days=1, hours=(n % 5))
            point.ready_by_id = point.host_user_id
            if n >= NOT_CONNECTED or point.commune_code in HOSTS:
                point.connected_at = start - timedelta(minutes=30 - n % 25)
                point.connected_by_id = point.host_user_id
        # three bridge points never got ready
        for point in [p for p in points if p.connected_at is None][:3]:
            point.ready_at = point.ready_by_id = None
    return ceremony


def _national_day(campaign: Campaign, coordinator) -> Event:
    day = services.create_national_day(coordinator, DONG_NAI, 2026, campaign).parent
    have = set(db.session.scalars(select(Event.title).where(Event.parent_id == day.id)))
    for commune, kind, title, place, start_h, end_h in NATIONAL_DAY_ACTIVITIES:
        if title in have:
            continue
        officer = _user(HOSTS.get(commune, "")) or coordinator
        services.create_event(officer, province_code=DONG_NAI, commune_code=commune, parent=day, kind=kind,
                              title=title, status="published", place=place, capacity=80,
                              starts_at=_local(date(2026, 10, 10), start_h), ends_at=_local(date(2026, 10, 10), end_h),
                              target_groups=["adults", "elderly"] if kind != "workshop" else ["adults"],
                              organiser_unit="UBND " + db.session.get(Commune, commune).name)
    if not have:  # the other communes' activities, once (every n-th commune held none)
        named = {row[0] for row in NATIONAL_DAY_ACTIVITIES}
        communes = db.session.scalars(select(Commune).where(Commune.province_code == DONG_NAI,
                                                            Commune.code.not_in(named)).order_by(Commune.code)).all()
        step = max(len(communes) // NATIONAL_DAY_GAPS, 1)
        for n, commune in enumerate(communes):
            if n % step == step - 1 and n // step < NATIONAL_DAY_GAPS:
                continue
            kind, title, place = GENERIC_ACTIVITIES[n % len(GENERIC_ACTIVITIES)]
            start_h = 7 + n % 3
            services.create_event(coordinator, province_code=DONG_NAI, commune_code=commune.code, parent=day,
                                  kind=kind, title=title, status="published", capacity=60,
                                  place=f"{place} {commune.name}", starts_at=_local(date(2026, 10, 10), start_h),
                                  ends_at=_local(date(2026, 10, 10), start_h + 3),
                                  target_groups=["adults", "elderly"], organiser_unit="UBND " + commune.name)
    return day


def _weekly_classes(campaign: Campaign) -> list[Event]:
    """Saturday evening community classes in Trấn Biên, from the next Saturday on for 12 weeks, and a
    monthly class in Tà Lài."""
    title = "Lớp kỹ năng số cộng đồng tối thứ Bảy"
    existing = db.session.scalars(select(Event).where(Event.title == title).order_by(Event.starts_at)).all()
    if existing:
        return list(existing)
    today = local_today()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    officer = _user("canbo.tranbien")
    series = services.create_series(
        officer, freq="weekly", count=12, province_code=DONG_NAI, commune_code=TRAN_BIEN, title=title,
        kind="class_session", status="published", campaign_id=campaign.id, capacity=12,
        starts_at=_local(saturday, 19), ends_at=_local(saturday, 21), place="Nhà văn hóa khu phố 3",
        address="Khu phố 3, phường Trấn Biên", directions="Đối diện chợ Trấn Biên; có chỗ để xe máy.",
        target_groups=["adults", "elderly"], organiser_unit="UBND phường Trấn Biên",
        description="Hướng dẫn dùng điện thoại thông minh, VNeID, thanh toán không dùng tiền mặt và an toàn "
                    "trên mạng. Mang theo điện thoại và căn cước.")
    first_monday = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    services.create_series(
        _user("canbo.talai"), freq="monthly", count=6, province_code=DONG_NAI, commune_code=TA_LAI,
        title="Sinh hoạt Tổ Công nghệ số cộng đồng xã Tà Lài", kind="class_session", status="published",
        campaign_id=campaign.id, starts_at=_local(first_monday, 14), ends_at=_local(first_monday, 16),
        place="Nhà văn hóa ấp 2", target_groups=["community_digital_team", "ethnic_minorities"],
        organiser_unit="UBND xã Tà Lài")
    return list(series.occurrences)


RESIDENTS = [
    ("Nguyễn Thị Hoa", "0901000101", 1956, "female", ["elderly"]),
    ("Trần Văn Minh", "0901000102", 1962, "male", ["elderly"]),
    ("Lê Thị Thu", "0901000103", 1985, "female", ["adults", "traders_farmers"]),
    ("Phạm Văn Hùng", "0901000104", 1990, "male", ["workers"]),
    ("Hoàng Thị Lan", None, 1949, "female", ["elderly", "disabilities"]),
    ("Đỗ Văn Tài", "0901000106", 1978, "male", ["adults"]),
    ("Vũ Thị Mai", "0901000107", 2001, "female", ["pupils_students"]),
    ("Bùi Văn Nam", "0901000108", 1969, "male", ["adults"]),
    ("Đặng Thị Ngọc", "0901000109", 1958, "female", ["elderly"]),
    ("Ngô Văn Phúc", "0901000110", 1972, "male", ["adults"]),
    ("Dương Thị Quỳnh", "0901000111", 1995, "female", ["adults"]),
    ("Lý Văn Sơn", "0901000112", 1960, "male", ["elderly"]),
    ("Mai Thị Tuyết", "0901000113", 1988, "female", ["adults"]),
    ("Trịnh Văn Út", "0901000114", 1953, "male", ["elderly"]),
]


def _registrations(event: Event) -> int:
    if db.session.scalar(select(func.count()).select_from(Registration).where(Registration.event_id == event.id)):
        return 0
    volunteer = _user("tnv.an")
    for n, (name, phone, year, gender, groups) in enumerate(RESIDENTS):
        services.register(event, full_name=name, phone=phone, birth_year=year, gender=gender, target_groups=groups,
                          commune_code=TRAN_BIEN, consent=True, needs="Cần chữ in to" if year < 1955 else "",
                          actor=volunteer if n % 4 == 0 else None)
    return len(RESIDENTS)


TODAY_TITLE = "Điểm hỗ trợ VNeID và dịch vụ công trực tuyến cả ngày"


def _event_today(campaign: Campaign) -> Event:
    """A drop-in help point in Trấn Biên today, open all day (07:00–23:59, so that it is under way
    whenever the demo is tried), with the demo residents registered: the demo steward scans here."""
    today = local_today()
    event = db.session.scalar(select(Event).where(Event.title == TODAY_TITLE, Event.starts_at == _local(today, 7)))
    if event is None:
        event = services.create_event(
            _user("canbo.tranbien"), province_code=DONG_NAI, commune_code=TRAN_BIEN, kind="hands_on",
            title=TODAY_TITLE, status="published", campaign_id=campaign.id, capacity=60,
            starts_at=_local(today, 7), ends_at=_local(today, 23, 59), place="Nhà văn hóa Khu phố 1",
            address="Khu phố 1, phường Trấn Biên", target_groups=["adults", "elderly"],
            organiser_unit="UBND phường Trấn Biên",
            description="Cán bộ và Đại sứ số hướng dẫn cài đặt, xác thực VNeID và nộp hồ sơ trực tuyến. "
                        "Mang theo căn cước và điện thoại.")
    return event


def _next_national_day(coordinator) -> Event | None:
    """The next 10/10 day once this year's has passed (the activities of the coming year start empty)."""
    today = local_today()
    if today <= date(today.year, 10, 10) or today.year < 2026:
        return None
    return services.create_national_day(coordinator, DONG_NAI, today.year + 1).parent


def load(context: dict) -> None:
    campaign = db.session.get(Campaign, context["campaign_main"])
    coordinator = _user("sokhcn.dongnai")
    ceremony = _launch_ceremony(campaign, coordinator)
    day = _national_day(campaign, coordinator)
    _next_national_day(coordinator)
    classes = _weekly_classes(campaign)
    registered = _registrations(classes[0]) if classes else 0
    today_event = _event_today(campaign)
    registered += _registrations(today_event)
    context["event_today"] = today_event.id
    db.session.flush()
    board = services.launch_board(ceremony)
    context["launch_ceremony"] = ceremony.id
    context["national_day"] = day.id
    context["echo"](f"events: launch ceremony {board.connected}/{board.total} connected; "
                    f"10/10 day with {len(services.national_day_board(day).activities)} activities; "
                    f"{len(classes)} weekly classes; {registered} registrations")
