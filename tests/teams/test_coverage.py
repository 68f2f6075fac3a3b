"""Team coverage, "active" and "trained" computed, and equal to a count made here independently."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from campaign.campaigns.models import Indicator
from campaign.core.services import DomainError
from campaign.core.timeutil import local_today, to_local
from campaign.courses import services as courses
from campaign.extensions import db
from campaign.reports import metrics
from campaign.teams import services
from campaign.teams.models import CommsActivity, Team, TeamMember
from campaign.units.models import Village
from campaign.volunteers.models import Shift, Signup
from tests.conftest import LONG_THANH, TRAN_BIEN
from tests.courses.conftest import create_course, enrol
from tests.events.conftest import create_campaign
from tests.teams.conftest import comms, served_shift, team_in
from tests.volunteers.conftest import campaign, make_profile  # noqa: F401 (fixtures)

BASE = "https://bdhvs.dongnai.gov.vn"


def certified(person_village=None, user=None):
    """A person who completed a class and holds a valid certificate."""
    course = create_course(sessions=1, min_attendance_pct=50)
    (reg,) = enrol(course, 1)
    courses.record_attendance(None, course, courses.sessions(course)[0], {reg.id: "present"})
    reg.person.village_id = person_village.id if person_village else None
    reg.person.user_id = user.id if user else None
    courses.issue_certificate(None, course, reg, BASE)
    db.session.commit()
    return reg.person


def independent_count(commune: int, days: int = 30) -> dict:
    """Coverage counted row by row in Python, without the services' queries."""
    today = local_today()
    first = today - timedelta(days=days - 1)
    villages = db.session.query(Village).filter_by(commune_code=commune).all()
    teams = {t.village_id: t for t in db.session.query(Team).filter_by(commune_code=commune).all()}
    active = set()
    for activity in db.session.query(CommsActivity).all():
        if first <= activity.held_on <= today:
            for v in activity.villages:
                if v.id in teams:
                    active.add(v.id)
            if activity.team_id:
                active.update(vid for vid, t in teams.items() if t.id == activity.team_id)
    for shift in db.session.query(Shift).all():
        day = to_local(shift.starts_at).date()
        if shift.village_id in teams and first <= day <= today and any(
                s.status == "confirmed" for s in db.session.query(Signup).filter_by(shift_id=shift.id)):
            active.add(shift.village_id)
    members = [m for t in teams.values() for m in t.members]
    trained = 0
    for m in members:
        people = [m.person] if m.person else []
        if m.volunteer:
            from campaign.events.models import Person
            people += db.session.query(Person).filter_by(user_id=m.volunteer.user_id).all()
        if any(c.status == "valid" for p in people for r in _regs(p) for c in _certs(r)):
            trained += 1
    return {"villages": len(villages), "with_team": len(teams), "active": len(active),
            "members": len(members), "trained": trained}


def _regs(person):
    from campaign.events.models import Registration
    return db.session.query(Registration).filter_by(person_id=person.id).all()


def _certs(reg):
    from campaign.courses.models import Certificate
    return db.session.query(Certificate).filter_by(registration_id=reg.id).all()


@pytest.fixture
def commune_setup(factory, campaign, make_profile):  # noqa: F811
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    v = [factory.village(TRAN_BIEN, name=f"Khu phố {i}") for i in range(1, 6)]
    resident = certified(v[0])
    profile = make_profile()
    certified(None, user=profile.user)
    t0 = team_in(factory, officer, v[0])
    services.add_member(officer, t0, full_name="", role="leader", person_id=resident.id)
    services.add_member(officer, t0, full_name="Trần Thị Bình", role="member", phone="0912345678")
    t1 = team_in(factory, officer, v[1], [("Lê Văn Cường", "leader")])
    services.add_member(officer, t1, full_name="", role="member", volunteer_id=profile.id)
    t2 = team_in(factory, officer, v[2], [("Phạm Thị Dung", "leader")])
    db.session.commit()
    comms(officer, TRAN_BIEN, [v[0], v[3]], days=3)  # v0 active (v3 has no team)
    served_shift(campaign, profile, v[1], days=5)  # v1 active (a shift in its village)
    comms(officer, TRAN_BIEN, [v[2]], days=45)  # v2: too long ago
    return {"officer": officer, "villages": v, "teams": (t0, t1, t2), "profile": profile}


def test_coverage_equals_an_independent_count(commune_setup):
    cov = services.coverage(75, [TRAN_BIEN])[TRAN_BIEN]
    expected = independent_count(TRAN_BIEN)
    got = {"villages": cov.villages, "with_team": cov.with_team, "active": cov.active, "members": cov.members,
           "trained": cov.trained}
    assert got == expected
    assert got == {"villages": 5, "with_team": 3, "active": 2, "members": 5, "trained": 2}
    assert cov.active_pct == 40.0 and cov.trained_pct == 40.0
    assert cov.reached == 2 and cov.activities == 1  # the last 30 days: v0 and v3 by one activity


def test_the_active_rule_is_configurable(app, commune_setup):
    app.config["TEAM_ACTIVE_RULE"] = {"days": 60}
    try:
        cov = services.coverage(75, [TRAN_BIEN])[TRAN_BIEN]
        assert cov.active == 3 == independent_count(TRAN_BIEN, days=60)["active"]
        app.config["TEAM_ACTIVE_RULE"] = {"days": 60, "kinds": ["shift"]}
        assert services.coverage(75, [TRAN_BIEN])[TRAN_BIEN].active == 1
    finally:
        app.config.pop("TEAM_ACTIVE_RULE")


def test_event_and_class_session_of_a_linked_member_make_a_team_active(factory):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    village = factory.village(TRAN_BIEN)
    course = create_course(sessions=2)  # the first session a week ago, the second in an hour
    (reg,) = enrol(course, 1)
    reg.person.village_id = village.id
    courses.record_attendance(None, course, courses.sessions(course)[0], {reg.id: "present"})
    team = team_in(factory, officer, village)
    services.add_member(officer, team, full_name="", person_id=reg.person_id)
    db.session.commit()
    rule = {"days": 30, "kinds": ("class_session",)}
    assert services.active_villages({village.id}, services.utcnow(), rule) == {village.id}
    assert services.active_villages({village.id}, services.utcnow(), {"days": 30, "kinds": ("shift",)}) == set()


def test_indicators_measure_shares_of_villages_and_members(commune_setup, factory, login_as):
    officer_b = factory.user("commune_officer", commune=LONG_THANH)
    lt = [factory.village(LONG_THANH) for _ in range(3)]
    team_in(factory, officer_b, lt[0], [("Hồ Văn Em", "leader")])
    comms(officer_b, LONG_THANH, lt, days=1)
    today = local_today()
    year = create_campaign(starts_on=date(today.year, 1, 1), ends_on=date(today.year, 12, 31))
    for code, metric in enumerate(("villages_with_active_team", "team_members_trained", "villages_with_communications",
                                   "villages_with_team")):
        db.session.add(Indicator(campaign_id=year.id, code=str(code), name=metric, unit="percent",
                                 target_value=100, metric=metric, position=code))
    db.session.add(Indicator(campaign_id=year.id, code="9", name="activities", unit="activities",
                             target_value=10, metric="communications_activities", position=9))
    db.session.commit()
    board = metrics.progress(year, as_of=today)
    by_metric = {row.indicator.metric: row for row in board.indicators}
    # province: Trấn Biên 2 active of 5, Long Thành 1 of 3 (reached by yesterday's communications) → 3/8
    assert by_metric["villages_with_active_team"].achieved == 37.5
    assert by_metric["villages_with_active_team"].pct == 37.5
    assert by_metric["team_members_trained"].achieved == round(100 * 2 / 6, 1)
    assert by_metric["villages_with_team"].achieved == 50.0  # 3 + 1 of 8
    assert by_metric["villages_with_communications"].achieved == round(100 * 6 / 8, 1)  # the year: v0 v2 v3 + 3
    assert by_metric["communications_activities"].achieved == 3
    communes = {c.commune.code: c for c in board.communes}
    ind = by_metric["villages_with_active_team"].indicator
    assert communes[TRAN_BIEN].achieved[ind.id] == 40.0 and communes[TRAN_BIEN].targets[ind.id] == 100
    assert communes[LONG_THANH].achieved[ind.id] == 33.3
    assert communes[LONG_THANH].achieved[by_metric["villages_with_communications"].indicator.id] == 100.0
    # the dashboard shows them
    coordinator = factory.user("province_coordinator", province=75)
    page = login_as(coordinator).get(f"/reports/campaigns/{year.id}")
    assert page.status_code == 200 and "37,5" in page.text


def test_officers_of_other_communes_are_refused(commune_setup, factory):
    other = factory.user("commune_officer", commune=LONG_THANH)
    coordinator = factory.user("province_coordinator", province=75)
    village = commune_setup["villages"][4]
    team = commune_setup["teams"][2]
    for actor in (other, coordinator):
        with pytest.raises(DomainError):
            services.create_team(actor, village, "Tổ")
        with pytest.raises(DomainError):
            services.add_member(actor, team, full_name="Ai đó")
        with pytest.raises(DomainError):
            services.record_activity(actor, TRAN_BIEN, channel="printed", language="vi", title="Tờ rơi",
                                     held_on=local_today())
    db.session.rollback()
    assert db.session.query(TeamMember).filter_by(team_id=team.id).count() == 1


def test_member_rules(commune_setup, factory):
    officer = commune_setup["officer"]
    t0 = commune_setup["teams"][0]
    with pytest.raises(DomainError, match="leader|trưởng"):
        services.add_member(officer, t0, full_name="Hai tổ trưởng", role="leader")
    stranger = factory.village(LONG_THANH)
    from campaign.events.models import Person
    p = Person(full_name="Người xã khác", village_id=stranger.id, commune_code=LONG_THANH)
    db.session.add(p)
    db.session.flush()
    with pytest.raises(DomainError):
        services.add_member(officer, t0, full_name="", person_id=p.id)
    with pytest.raises(DomainError):
        services.add_member(officer, t0, full_name="Số sai", phone="12")
    with pytest.raises(DomainError):
        services.create_team(officer, commune_setup["villages"][0], "Tổ thứ hai")


def test_communications_rules_and_counting(commune_setup, factory):
    officer = commune_setup["officer"]
    v = commune_setup["villages"]
    other_village = factory.village(LONG_THANH)
    bad = [dict(village_ids=[other_village.id]), dict(channel="fax"), dict(language="fr"), dict(title=" "),
           dict(held_on=local_today() + timedelta(days=1)), dict(link="javascript:alert(1)"), dict(reach=-1),
           dict(photo=b"not an image")]
    for values in bad:
        args = dict(channel="social_post", language="khmer", title="Bài đăng", held_on=local_today(),
                    village_ids=[v[4].id])
        args.update(values)
        with pytest.raises(DomainError):
            services.record_activity(officer, TRAN_BIEN, **args)
    db.session.rollback()
    before = services.coverage(75, [TRAN_BIEN])[TRAN_BIEN]
    comms(officer, TRAN_BIEN, [v[4], v[0]], days=0, channel="community_meeting", language="stieng", reach=120)
    after = services.coverage(75, [TRAN_BIEN])[TRAN_BIEN]
    assert (after.reached, after.activities) == (before.reached + 1, before.activities + 1)  # v0 already reached
    first = local_today() - timedelta(days=100)
    rows = services.communications_counts([TRAN_BIEN], first, local_today())
    assert rows == [(TRAN_BIEN, 4, 3)]
    per_village = services.village_communications(TRAN_BIEN, first, local_today())
    counted = {}
    for activity in db.session.query(CommsActivity).all():
        for village in activity.villages:
            counted[village.id] = counted.get(village.id, 0) + 1
    assert per_village == counted == {v[0].id: 2, v[2].id: 1, v[3].id: 1, v[4].id: 1}


def test_province_units_record_communications_counted_province_wide(commune_setup, factory):
    coordinator = factory.user("province_coordinator", province=75)
    officer = commune_setup["officer"]
    with pytest.raises(DomainError):  # a commune officer does not speak for the province's units
        services.record_activity(officer, None, province_code=75, unit_name="Sở KH&CN", channel="printed",
                                 language="vi", title="Cẩm nang", held_on=local_today())
    with pytest.raises(DomainError):
        services.record_activity(coordinator, None, province_code=75, unit_name=" ", channel="printed",
                                 language="vi", title="Cẩm nang", held_on=local_today())
    services.record_activity(coordinator, None, province_code=75, unit_name="Hội Liên hiệp Phụ nữ tỉnh",
                             channel="community_meeting", language="vi", title="Tọa đàm", held_on=local_today(),
                             reach=60)
    db.session.commit()
    today = local_today()
    year = create_campaign(starts_on=date(today.year, 1, 1), ends_on=date(today.year, 12, 31))
    db.session.add(Indicator(campaign_id=year.id, code="1", name="activities", unit="activities",
                             target_value=10, metric="communications_activities"))
    db.session.commit()
    board = metrics.progress(year, as_of=today)
    assert board.indicators[0].achieved == 3  # two of Trấn Biên's (this year) and the province unit's
    assert board.unassigned["communications_activities"] == 1
