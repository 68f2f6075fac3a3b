"""Reports fixtures: a campaign with indicators and raw records in several communes, written directly."""

import itertools
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from campaign.campaigns.models import Campaign, Indicator, IndicatorTarget
from campaign.courses.models import Certificate, Course
from campaign.events.models import Event, Person, Registration
from campaign.extensions import db
from campaign.volunteers.models import Shift, Signup, SignupHelped, VolunteerProfile
from tests.conftest import DONG_NAI, LONG_THANH, TRAN_BIEN

_n = itertools.count(1)
OTHER = 26068  # another Đồng Nai commune (any code of the province works)
COMMUNES = (TRAN_BIEN, LONG_THANH)
AS_OF = date(2026, 6, 30)
UTC_NOON = 5  # 12:00 local is 05:00 UTC


def at(d: date, hour: int = UTC_NOON) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


@pytest.fixture
def campaign_data(factory):
    def build(size: int = 1, seed: int = 1):
        rnd = random.Random(seed)
        k = next(_n)
        c = Campaign(province_code=DONG_NAI, name=f"BDHVS test {k}", slug=f"bdhvs-test-{k}",
                     starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
        db.session.add(c)
        db.session.flush()
        inds = [
            Indicator(campaign_id=c.id, position=1, code="1", name="Người được tập huấn", unit="people",
                      target_value=1000, metric="people_trained", lead_unit="Sở KH&CN"),
            Indicator(campaign_id=c.id, position=2, code="2", name="Lượt đăng ký", unit="entries",
                      target_value=500, metric="registrations", lead_unit="UBND xã"),
            Indicator(campaign_id=c.id, position=3, code="3", name="Người được hỗ trợ", unit="people",
                      target_value=800, metric="people_helped", lead_unit="Tỉnh đoàn"),
            Indicator(campaign_id=c.id, position=4, code="4", name="Giờ tình nguyện", unit="hours",
                      target_value=400, metric="volunteer_hours", lead_unit="Tỉnh đoàn"),
            Indicator(campaign_id=c.id, position=5, code="5", name="Điểm cầu kết nối", unit="communes",
                      target_value=95, metric="bridge_points_connected", lead_unit="Sở KH&CN"),
            Indicator(campaign_id=c.id, position=7, code="7", name="Hoạt động 10/10", unit="activities",
                      target_value=95, metric="national_day_activities", lead_unit="UBND xã"),
            Indicator(campaign_id=c.id, position=6, code="6", name="Số liệu công an", unit="people",
                      target_value=10, metric="manual", lead_unit="Công an tỉnh"),
        ]
        db.session.add_all(inds)
        db.session.flush()
        db.session.add_all([IndicatorTarget(indicator_id=inds[1].id, commune_code=TRAN_BIEN, target_value=40),
                            IndicatorTarget(indicator_id=inds[1].id, commune_code=LONG_THANH, target_value=400),
                            IndicatorTarget(indicator_id=inds[2].id, commune_code=TRAN_BIEN, target_value=20)])
        user = factory.user("volunteer", commune=TRAN_BIEN, commit=False)
        profile = VolunteerProfile(user_id=user.id, phone=f"+8493{k:07d}", home_commune_code=TRAN_BIEN,
                                   skills=[], languages=[], consent_at=at(date(2026, 1, 2)), status="approved")
        db.session.add(profile)
        db.session.flush()
        ceremony = Event(kind="launch_ceremony", title="Lễ ra quân", province_code=DONG_NAI, campaign_id=c.id,
                         starts_at=at(date(2026, 3, 1)), ends_at=at(date(2026, 3, 1), 8), status="published")
        db.session.add(ceremony)
        db.session.flush()
        day = Event(kind="national_day", title="Ngày hội", province_code=DONG_NAI, campaign_id=c.id,
                    starts_at=at(date(2026, 5, 8) + timedelta(days=k)), ends_at=at(date(2026, 5, 8) + timedelta(days=k), 12),
                    status="published")
        db.session.add(day)
        db.session.flush()
        for kind, status in (("talk", "published"), ("hands_on", "cancelled"), ("workshop", "published")):
            db.session.add(Event(kind=kind, title="Hoạt động 10/10", province_code=DONG_NAI, commune_code=TRAN_BIEN,
                                 parent_id=day.id, starts_at=at(date(2026, 5, 10)), ends_at=at(date(2026, 5, 10), 8),
                                 status=status))
        for code in COMMUNES:
            ceremony_point = Event(kind="bridge_point", parent_id=ceremony.id, title=f"Điểm cầu {code}", province_code=DONG_NAI, commune_code=code,
                                   campaign_id=c.id, starts_at=at(date(2026, 3, 1)), ends_at=at(date(2026, 3, 1), 8),
                                   status="published", connected_at=at(date(2026, 3, 1)) if code == TRAN_BIEN else None)
            db.session.add(ceremony_point)
            for j in range(3 * size):
                day = date(2026, 1, 5) + timedelta(days=rnd.randrange(0, 240))
                ev = Event(kind="workshop", title=f"Hội thảo {j}", province_code=DONG_NAI, commune_code=code,
                           campaign_id=c.id, starts_at=at(day), ends_at=at(day, 8), status="published")
                db.session.add(ev)
                db.session.flush()
                for p in range(rnd.randrange(1, 6)):
                    person = Person(full_name=f"Người {k}-{code}-{j}-{p}", commune_code=code)
                    db.session.add(person)
                    db.session.flush()
                    status = rnd.choice(["confirmed", "confirmed", "cancelled", "waitlisted"])
                    db.session.add(Registration(event_id=ev.id, person_id=person.id, status=status,
                                                token_hash=f"{k:08d}{ev.id:012d}{person.id:012d}".ljust(64, "0"),
                                                created_at=at(day - timedelta(days=rnd.randrange(0, 10)))))
            # a class with certificates
            cev = Event(kind="other", title=f"Lớp kỹ năng số {code}", province_code=DONG_NAI, commune_code=code,
                        campaign_id=c.id, starts_at=at(date(2026, 2, 2)), ends_at=at(date(2026, 3, 2)), status="published")
            db.session.add(cev)
            db.session.flush()
            course = Course(event_id=cev.id, audience="residents")
            db.session.add(course)
            db.session.flush()
            for s in range(2 * size):
                person = Person(full_name=f"Học viên {k}-{code}-{s}", commune_code=code)
                db.session.add(person)
                db.session.flush()
                reg = Registration(event_id=cev.id, person_id=person.id, status="confirmed",
                                   token_hash=f"c{k:07d}{cev.id:012d}{person.id:012d}".ljust(64, "1"), created_at=at(date(2026, 1, 20)))
                db.session.add(reg)
                db.session.flush()
                issued = date(2026, 3, 1) + timedelta(days=rnd.randrange(0, 200))
                cert_status = rnd.choice(["valid", "valid", "revoked"])
                db.session.add(Certificate(number=f"GCN-{k}-{cev.id}-{s}", serial=s + 1, course_id=course.id,
                                           registration_id=reg.id, verify_token=f"t{k}-{cev.id}-{s}", learner_name="x",
                                           course_title="x", starts_on=date(2026, 2, 2), ends_on=date(2026, 3, 2),
                                           issuing_unit="x", status=cert_status, issued_at=at(issued),
                                           revoked_at=at(issued) if cert_status == "revoked" else None,
                                           revoke_reason="sai tên" if cert_status == "revoked" else ""))
            for _j in range(2 * size):
                day = date(2026, 1, 5) + timedelta(days=rnd.randrange(0, 300))
                shift = Shift(campaign_id=c.id, commune_code=code, starts_at=at(day), ends_at=at(day, 9),
                              min_needed=1, max_needed=3)
                db.session.add(shift)
                db.session.flush()
                su = Signup(shift_id=shift.id, volunteer_id=profile.id, status=rnd.choice(["confirmed", "cancelled"]),
                            hours=rnd.choice([2.0, 3.5, 4.0]))
                db.session.add(su)
                db.session.flush()
                db.session.add(SignupHelped(signup_id=su.id, target_group=rnd.choice(["adults", "elderly"]),
                                            people=rnd.randrange(1, 9)))
        db.session.commit()
        return c

    return build
