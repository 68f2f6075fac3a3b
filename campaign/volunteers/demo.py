"""Demo data: "Mùa hè số 2026" across twelve Đồng Nai communes (June–August 2026), with volunteers,
signups, hours and outcomes, so that the weekly review tells a story: most communes keep pace, a few
remote ones (Tà Lài first) fall behind and get no help in the last weeks. A few open shifts of the
main campaign from the day the demo is loaded on give the demo volunteer (tnv.an) something to sign up for."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from campaign.accounts.demo import DEMO_PASSWORD
from campaign.accounts.models import RoleGrant, User
from campaign.campaigns.models import Campaign, Indicator, IndicatorTarget
from campaign.core.timeutil import local_to_utc, local_today
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.units.demo import DONG_NAI, LONG_THANH, TA_LAI, TRAN_BIEN
from campaign.units.models import Commune, Village
from campaign.volunteers.models import Shift, Signup, SignupHelped, VolunteerProfile

SCHOOLS = ["Trường Đại học Đồng Nai", "Trường Đại học Lạc Hồng", "Trường Cao đẳng Công nghệ cao Đồng Nai",
           "Trường THPT Ngô Quyền", "Trường Đại học Công nghệ Đồng Nai"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ", "Huỳnh", "Điểu", "Lâm"]
MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Thanh", "Gia", "Bảo", "Hoài"]
GIVEN = ["An", "Bình", "Châu", "Dung", "Giang", "Hà", "Khang", "Linh", "My", "Nam", "Phúc", "Quân", "Sơn",
         "Thảo", "Uyên", "Vy", "Yến", "Tài", "Hiếu", "Trâm"]
SKILL_SETS = [["vneid", "public_services"], ["teaching_elderly", "smartphone_basics"], ["cashless_payment"],
              ["vneid", "online_safety"], ["public_services", "ai_tools"], ["sign_language", "teaching_elderly"]]
# Communes that lag: few shifts, none in the last three weeks.
WEAK = {TA_LAI}


def _communes() -> list[int]:
    codes = db.session.scalars(select(Commune.code).where(Commune.province_code == DONG_NAI)
                               .order_by(Commune.code)).all()
    picked = [TRAN_BIEN, LONG_THANH, TA_LAI]
    for code in codes[::9]:
        if code not in picked and len(picked) < 12:
            picked.append(code)
    return picked


def _profiles(communes: list[int], rng: random.Random) -> list[VolunteerProfile]:
    have = db.session.scalars(select(VolunteerProfile)).all()
    if have:
        return [p for p in have if p.status == "approved"]
    consent = local_to_utc(datetime(2026, 5, 20, 9, 0))
    pw = generate_password_hash(DEMO_PASSWORD)
    profiles = []
    an = db.session.scalar(select(User).where(User.username == "tnv.an"))
    if an is not None:
        profiles.append(VolunteerProfile(user_id=an.id, phone="+84912000001", school=SCHOOLS[0],
                                         youth_branch="Chi đoàn khoa Công nghệ thông tin", home_commune_code=TRAN_BIEN,
                                         skills=["vneid", "public_services", "teaching_elderly"],
                                         languages=["vi", "en"], availability="Các buổi sáng trong tuần",
                                         consent_at=consent, status="approved", decided_at=consent))
    for n in range(72):
        commune = communes[n % len(communes)]
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        status = "pending" if n >= 69 else "approved"
        user = User(username=f"tnv.demo{n + 1:02d}", full_name=name, password_hash=pw, active=status == "approved")
        user.grants.append(RoleGrant(role="volunteer", commune_code=commune))
        db.session.add(user)
        db.session.flush()
        langs = ["vi"] + (["stieng"] if commune == TA_LAI and n % 2 else []) + (["en"] if n % 3 == 0 else [])
        profiles.append(VolunteerProfile(
            user_id=user.id, phone=f"+8490{2000000 + n * 7919:07d}", school=SCHOOLS[n % len(SCHOOLS)],
            youth_branch=f"Chi đoàn {SCHOOLS[n % len(SCHOOLS)].split()[-1]} {n % 4 + 1}", home_commune_code=commune,
            skills=SKILL_SETS[n % len(SKILL_SETS)], languages=langs, availability="Thứ Hai – Thứ Bảy",
            consent_at=consent, status=status, decided_at=consent if status == "approved" else None))
    db.session.add_all(profiles)
    db.session.flush()
    return [p for p in profiles if p.status == "approved"]


def _targets(summer: Campaign, communes: list[int]) -> None:
    by_metric = {i.metric: i for i in summer.indicators}
    for metric, base in (("people_helped", 700), ("volunteer_hours", 260)):
        ind: Indicator | None = by_metric.get(metric)
        if ind is None or ind.commune_targets:
            continue
        for n, code in enumerate(communes):
            db.session.add(IndicatorTarget(indicator_id=ind.id, commune_code=code,
                                           target_value=base + (n * 53) % (base // 2)))


def _summer_shifts(summer: Campaign, communes: list[int], profiles: list[VolunteerProfile],
                   rng: random.Random) -> int:
    villages = {}
    for v in db.session.scalars(select(Village).where(Village.commune_code.in_(communes))):
        villages.setdefault(v.commune_code, []).append(v)
    by_home: dict[int, list[VolunteerProfile]] = {}
    for p in profiles:
        by_home.setdefault(p.home_commune_code, []).append(p)
    busy: dict[int, set[date]] = {}
    first = date(2026, 6, 1)
    weeks = 13
    count = 0
    for idx, code in enumerate(communes):
        weak = code in WEAK or idx in (5, 9)
        for week in range(weeks):
            if weak and (week % 2 or week >= weeks - 3):
                continue
            days = [1, 5] if not weak else [5]
            for dow in days:
                day = first + timedelta(weeks=week, days=dow)
                if day > summer.ends_on:
                    continue
                morning = dow == 1
                start = time(7, 30) if morning else time(14, 0)
                role = "door_to_door" if morning else rng.choice(["class_assistant", "vneid_support", "help_desk"])
                vlist = villages.get(code) or [None]
                village = vlist[(week + dow) % len(vlist)]
                shift = Shift(campaign_id=summer.id, role=role, commune_code=code,
                              village_id=village.id if village else None,
                              location="Nhà văn hóa" + (f" {village.name}" if village else " xã"),
                              starts_at=local_to_utc(datetime.combine(day, start)),
                              ends_at=local_to_utc(datetime.combine(day, start) + timedelta(hours=4)),
                              min_needed=2, max_needed=4 if not weak else 3,
                              title="Đại sứ số đến từng nhà" if morning else "Hỗ trợ tại nhà văn hóa")
                db.session.add(shift)
                db.session.flush()
                count += 1
                pool = by_home.get(code, []) + rng.sample(profiles, 6)
                fill = shift.max_needed if not weak else rng.choice([1, 2])
                taken = []
                for p in pool:
                    if len(taken) >= fill:
                        break
                    if p in taken or day in busy.setdefault(p.id, set()):
                        continue
                    taken.append(p)
                    busy[p.id].add(day)
                for n, p in enumerate(taken):
                    absent = rng.random() < 0.06
                    su = Signup(shift_id=shift.id, volunteer_id=p.id, status="no_show" if absent else "confirmed",
                                queued_at=shift.starts_at - timedelta(days=5), is_lead=n == 0 and not absent,
                                created_at=shift.starts_at - timedelta(days=5))
                    if not absent:
                        late = timedelta(minutes=rng.choice([0, 0, 10, 20]))
                        su.checked_in_at = shift.starts_at + late
                        su.checked_out_at = shift.ends_at - timedelta(minutes=rng.choice([0, 0, 15]))
                        su.hours = round((su.checked_out_at - su.checked_in_at).total_seconds() / 3600, 2)
                        su.households_visited = rng.randint(4, 12) if morning else 0
                        su.vneid_installed = rng.randint(2, 9)
                        su.vneid_verified = rng.randint(1, 6)
                        su.public_service_accounts = rng.randint(0, 5)
                        groups = {"elderly": rng.randint(2, 8), "adults": rng.randint(3, 10)}
                        if code == TA_LAI:
                            groups["ethnic_minorities"] = rng.randint(2, 6)
                            groups["remote_areas"] = rng.randint(1, 4)
                        if rng.random() < 0.3:
                            groups["traders_farmers"] = rng.randint(1, 5)
                        if rng.random() < 0.1:
                            groups["disabilities"] = rng.randint(1, 2)
                        su.helped = [SignupHelped(target_group=g, people=k) for g, k in groups.items()]
                    db.session.add(su)
    return count


def _open_shifts(main: Campaign, communes: list[int]) -> None:
    """Shifts of the main campaign from today on for three weeks in six communes, most of them still
    needing people; the demo volunteer signed up for one in their commune next week."""
    today = local_today()
    an = db.session.scalar(select(VolunteerProfile).join(User, User.id == VolunteerProfile.user_id)
                           .where(User.username == "tnv.an"))
    for n, code in enumerate(communes[:6]):
        for k in range(3):
            day = today + timedelta(days=n + 7 * k)
            shift = Shift(
                campaign_id=main.id, role="vneid_support" if k % 2 else "class_assistant", commune_code=code,
                location="Nhà văn hóa khu phố", title="Hỗ trợ người dân cài đặt, xác thực VNeID",
                starts_at=local_to_utc(datetime.combine(day, time(8, 0))),
                ends_at=local_to_utc(datetime.combine(day, time(11, 0))), min_needed=2, max_needed=3 + k,
                required_skill="vneid" if k == 2 else None)
            db.session.add(shift)
            if an is not None and code == an.home_commune_code and k == 1:
                db.session.flush()
                db.session.add(Signup(shift_id=shift.id, volunteer_id=an.id, status="confirmed",
                                      queued_at=utcnow(), created_at=utcnow()))


def load(context: dict) -> None:
    summer = db.session.get(Campaign, context["campaign_summer"])
    main = db.session.get(Campaign, context["campaign_main"])
    rng = random.Random(2026)
    communes = _communes()
    profiles = _profiles(communes, rng)
    _targets(summer, communes)
    exists = db.session.scalar(select(func.count()).select_from(Shift).where(Shift.campaign_id == summer.id))
    if not exists:
        n = _summer_shifts(summer, communes, profiles, rng)
        db.session.flush()
        context["echo"](f"volunteers: {len(profiles)} approved volunteers, {n} Mùa hè số shifts")
    coming = db.session.scalar(select(func.count()).select_from(Shift).where(
        Shift.campaign_id == main.id, Shift.starts_at >= local_to_utc(datetime.combine(local_today(), time(0)))))
    if not coming:  # loaded again on a later day: the coming weeks' shifts
        _open_shifts(main, communes)
        db.session.flush()
