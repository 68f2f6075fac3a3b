"""Demo data: community digital teams in most villages of Trấn Biên, Long Thành and Tà Lài, with their
members (some linked to volunteers and residents), communications records over the last two months and
during Mùa hè số, and the main campaign's indicators of teams and communications."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from campaign.accounts.models import User
from campaign.campaigns.models import Campaign, Indicator
from campaign.core.timeutil import local_today
from campaign.courses.models import Certificate, Course
from campaign.events.models import Event, Person, Registration
from campaign.extensions import db
from campaign.teams import services
from campaign.teams.models import CommsActivity, Team
from campaign.units.demo import LONG_THANH, TA_LAI, TRAN_BIEN
from campaign.units.models import Village
from campaign.volunteers.models import VolunteerProfile

OFFICERS = {TRAN_BIEN: "canbo.tranbien", LONG_THANH: "canbo.longthanh", TA_LAI: "canbo.talai"}
# Villages left without a team (so that coverage is not 100 % everywhere).
NO_TEAM = {"Khu phố 3", "Ấp 4"}
MEMBERS = [("Nguyễn Văn Hùng", "leader"), ("Trần Thị Mai", "deputy"), ("Lê Hoàng Nam", "member"),
           ("Điểu Văn Sơn", "member"), ("Phạm Thị Thu", "member"), ("Võ Minh Tuấn", "member")]
INDICATORS = [
    ("CNSCĐ-1", "100% thôn, ấp, khu phố có Tổ Công nghệ số cộng đồng hoạt động hiệu quả", "villages_with_active_team"),
    ("CNSCĐ-2", "100% thành viên Tổ Công nghệ số cộng đồng được tập huấn kỹ năng số", "team_members_trained"),
    ("TT-1", "100% thôn, ấp, khu phố triển khai tuyên truyền về phong trào", "villages_with_communications"),
]
COMMS = [  # (days ago, channel, language, title, reach)
    (2, "loudspeaker", "vi", "Phát thanh hướng dẫn kích hoạt định danh điện tử VNeID mức 2", None),
    (6, "social_post", "vi", "Bài đăng Zalo OA: lịch lớp kỹ năng số cộng đồng tuần này", 1250),
    (12, "community_meeting", "vi", "Họp dân phổ biến phong trào Bình dân học vụ số", 85),
    (19, "printed", "vi", "Phát tờ rơi “5 bước thanh toán không dùng tiền mặt”", 400),
    (25, "commune_page", "vi", "Tin bài trên trang thông tin điện tử: kết quả tháng", None),
    (41, "loudspeaker", "vi", "Phát thanh nhắc lịch hỗ trợ dịch vụ công trực tuyến", None),
]
SUMMER_COMMS = [(date(2026, 7, 8), "community_meeting", "Họp dân khởi động Mùa hè số tại nhà văn hóa", 120),
                (date(2026, 7, 22), "loudspeaker", "Phát thanh giới thiệu Đại sứ số về từng ấp", None)]


def _indicators(main: Campaign) -> None:
    have = {i.code for i in main.indicators}
    position = max((i.position for i in main.indicators), default=0)
    for code, name, metric in INDICATORS:
        if code not in have:
            position += 1
            main.indicators.append(Indicator(code=code, position=position, name=name, unit="percent",
                                             target_value=100, metric=metric, lead_unit="UBND các xã, phường",
                                             measurement="Tính từ hồ sơ Tổ CNSCĐ và hoạt động tuyên truyền "
                                                         "(docs/teams.md)."))


def _teams(officer: User, commune: int, rng: random.Random) -> list[Team]:
    teams = []
    volunteers = list(db.session.scalars(select(VolunteerProfile).where(
        VolunteerProfile.home_commune_code == commune, VolunteerProfile.status == "approved")
        .order_by(VolunteerProfile.id).limit(6)))
    for village in db.session.scalars(select(Village).where(Village.commune_code == commune).order_by(Village.name)):
        if village.name in NO_TEAM:
            continue
        team = services.create_team(officer, village, f"Tổ Công nghệ số cộng đồng {village.name}",
                                    date(2025, 9, 1) + timedelta(days=rng.randint(0, 90)))
        residents = list(db.session.scalars(select(Person).where(Person.village_id == village.id,
                                                                 Person.anonymised_at.is_(None))
                                            .order_by(Person.id).limit(2)))
        if len(residents) < 2:  # learners of the commune's classes who gave no village live here
            residents += _certified_without_village(commune, village, 2 - len(residents))
        for n, (name, role) in enumerate(MEMBERS[:rng.randint(4, 6)]):
            link = {}
            if n == 2 and volunteers:
                link = {"volunteer_id": volunteers.pop(0).id, "full_name": ""}
            elif n >= 3 and residents:
                link = {"person_id": residents.pop(0).id, "full_name": ""}
            values = {"full_name": name, "role": role, "phone": f"09{rng.randint(10_000_000, 99_999_999)}", **link}
            services.add_member(officer, team, **values)
        teams.append(team)
    return teams


def _certified_without_village(commune: int, village: Village, n: int) -> list[Person]:
    people = list(db.session.scalars(
        select(Person).join(Registration, Registration.person_id == Person.id)
        .join(Certificate, Certificate.registration_id == Registration.id)
        .join(Course, Course.id == Certificate.course_id).join(Event, Event.id == Course.event_id)
        .where(Certificate.status == "valid", Person.village_id.is_(None), Person.anonymised_at.is_(None),
               (Person.commune_code == commune) | (Event.commune_code == commune))
        .order_by(Person.id).distinct().limit(n)))
    for person in people:
        person.village_id, person.commune_code = village.id, commune
    db.session.flush()
    return people


def _communications(officer: User, commune: int, teams: list[Team], main: Campaign, rng: random.Random) -> int:
    villages = list(db.session.scalars(select(Village).where(Village.commune_code == commune).order_by(Village.name)))
    today = local_today()
    minority = "stieng" if commune == TA_LAI else "vi"
    n = 0
    for days, channel, language, title, reach in COMMS:
        if commune == TA_LAI and days < 10:  # the remote commune has gone quiet lately
            continue
        reached = rng.sample(villages, k=rng.randint(1, len(villages)))
        team = next((t for t in teams if t.village_id == reached[0].id), None)
        services.record_activity(officer, commune, channel=channel, language=minority if channel == "loudspeaker"
                                 else language, title=title, held_on=today - timedelta(days=days),
                                 village_ids=[v.id for v in reached], reach=reach, team_id=team.id if team else None,
                                 campaign_id=main.id,
                                 link="https://zalo.me/bdhvs-dongnai" if channel == "social_post" else "")
        n += 1
    for day, channel, title, reach in SUMMER_COMMS:
        if day > today:
            continue
        services.record_activity(officer, commune, channel=channel, language=minority, title=title, held_on=day,
                                 village_ids=[v.id for v in villages], reach=reach,
                                 team_id=teams[0].id if teams else None)
        n += 1
    return n


def load(context: dict) -> None:
    if db.session.scalar(select(Team.id).limit(1)) is not None or \
            db.session.scalar(select(CommsActivity.id).limit(1)) is not None:
        return
    main = db.session.get(Campaign, context["campaign_main"])
    _indicators(main)
    rng = random.Random(21)
    n_teams = n_comms = 0
    for commune, username in OFFICERS.items():
        officer = db.session.scalar(select(User).where(User.username == username))
        if officer is None:
            continue
        teams = _teams(officer, commune, rng)
        n_teams += len(teams)
        n_comms += _communications(officer, commune, teams, main, rng)
    db.session.flush()
    context["echo"](f"teams: {n_teams} community digital teams, {n_comms} communications records")


