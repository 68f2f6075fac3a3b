"""The day's work (check-in/out, corrections, no-shows, outcomes) and the figures they feed: metric
functions, the weekly review page (checked against plain sums over the demo data), hours statements."""

import re
from collections import defaultdict
from datetime import date

import pytest
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.core.services import DomainError
from campaign.extensions import db
from campaign.volunteers import services
from campaign.volunteers.models import Shift, Signup
from tests.conftest import TRAN_BIEN
from tests.volunteers.conftest import future


@pytest.fixture
def organiser(factory):
    return factory.user("youth_organiser", commune=TRAN_BIEN)


def test_check_in_out_hours_correction_and_no_show(organiser, make_profile, make_shift):
    shift = make_shift(start=-3, hours=4, max_needed=3)  # running now
    a, b = make_profile(), make_profile()
    sa = Signup(shift_id=shift.id, volunteer_id=a.id, status="confirmed")
    sb = Signup(shift_id=shift.id, volunteer_id=b.id, status="confirmed")
    db.session.add_all([sa, sb])
    db.session.commit()
    with pytest.raises(DomainError, match="check-in"):
        services.check_out(organiser, sa)
    services.check_in(organiser, sa, at=shift.starts_at)
    services.check_out(organiser, sa, at=shift.starts_at + (shift.ends_at - shift.starts_at) * 0.75)
    assert sa.hours == 3.0
    with pytest.raises(DomainError, match="lý do"):
        services.correct_hours(organiser, sa, 4, "  ")
    services.correct_hours(organiser, sa, 4, "Quên check-out đúng giờ")
    assert sa.hours == 4.0 and sa.hours_reason
    services.mark_no_show(organiser, sb)
    assert sb.status == "no_show"
    with pytest.raises(DomainError):
        services.record_outcome(organiser, sb, households_visited=3)
    db.session.commit()


def test_a_volunteer_who_is_not_the_lead_cannot_run_the_shift(make_profile, make_shift, login_as):
    shift = make_shift(start=-1, hours=4)
    lead, other = make_profile(), make_profile()
    sl = Signup(shift_id=shift.id, volunteer_id=lead.id, status="confirmed", is_lead=True)
    so = Signup(shift_id=shift.id, volunteer_id=other.id, status="confirmed")
    db.session.add_all([sl, so])
    db.session.commit()
    assert login_as(other.user).post(f"/volunteers/signups/{sl.id}/checkin").status_code == 403
    resp = login_as(lead.user).post(f"/volunteers/signups/{so.id}/checkin", follow_redirects=True)
    assert "Đã check-in" in resp.text


def test_outcomes_feed_the_metrics_per_commune_and_in_total(organiser, factory, make_profile, make_shift):
    from tests.conftest import LONG_THANH

    s1 = make_shift(start=-30, hours=4, max_needed=2, min_needed=2)
    s2 = make_shift(start=-20, hours=4, max_needed=3, min_needed=2, commune=LONG_THANH)
    p1, p2, p3 = make_profile(), make_profile(), make_profile(commune=LONG_THANH)
    rows = [Signup(shift_id=s1.id, volunteer_id=p1.id, status="confirmed", hours=4),
            Signup(shift_id=s1.id, volunteer_id=p2.id, status="confirmed", hours=3.5),
            Signup(shift_id=s2.id, volunteer_id=p3.id, status="confirmed", hours=4),
            Signup(shift_id=s2.id, volunteer_id=p1.id, status="no_show")]
    db.session.add_all(rows)
    db.session.commit()
    services.record_outcome(organiser, rows[0], households_visited=6, vneid_installed=3, vneid_verified=2,
                            public_service_accounts=1, helped={"elderly": 4, "adults": 5})
    services.record_outcome(organiser, rows[1], vneid_installed=1, helped={"elderly": 2, "disabilities": 1})
    lt_org = factory.user("youth_organiser", commune=LONG_THANH)
    services.record_outcome(lt_org, rows[2], households_visited=9, helped={"ethnic_minorities": 7})
    db.session.commit()
    campaign_id = s1.campaign_id
    per = services.outcome_metrics(campaign_id)
    assert per[TRAN_BIEN]["people_helped"] == 12 and per[LONG_THANH]["people_helped"] == 7
    assert per[TRAN_BIEN]["vneid_assisted"] == 6 and per[TRAN_BIEN]["public_service_accounts"] == 1
    assert per[TRAN_BIEN]["volunteer_hours"] == 7.5 and per[TRAN_BIEN]["shifts_filled"] == 1
    assert per[LONG_THANH]["shifts_filled"] == 0  # one of the two needed came
    totals = services.outcome_totals(campaign_id)
    assert totals["people_helped"] == 19 and totals["households_reached"] == 15 and totals["volunteer_hours"] == 11.5
    # a period excluding the first shift
    later = services.outcome_totals(campaign_id, start=future(-25))
    assert later["people_helped"] == 7
    assert services.helped_by_group(campaign_id) == {"elderly": 6, "adults": 5, "disabilities": 1,
                                                     "ethnic_minorities": 7}
    # changing an outcome replaces it, zero removes a group
    services.record_outcome(organiser, rows[1], helped={"elderly": 0, "disabilities": 2})
    db.session.commit()
    assert services.outcome_totals(campaign_id)["people_helped"] == 19 - 3 + 2


@pytest.fixture
def demo():
    import click

    from campaign.accounts import demo as accounts_demo
    from campaign.campaigns import demo as campaigns_demo
    from campaign.volunteers import demo as volunteers_demo

    context = {"echo": lambda *a, **k: None}
    for module in (accounts_demo, campaigns_demo, volunteers_demo):
        module.load(context)
        db.session.commit()
    assert click  # the demo command's echo is click.echo
    return context


def test_review_page_figures_match_plain_sums_over_the_demo_data(demo, login_as):
    from campaign.accounts.models import User

    summer = db.session.get(Campaign, demo["campaign_summer"])
    # plain Python sums over every signup (no SQL aggregates)
    sums = defaultdict(float)
    people_by_commune = defaultdict(int)
    for su in db.session.scalars(select(Signup).join(Shift).where(Shift.campaign_id == summer.id)):
        if su.status != "confirmed":
            continue
        sums["people_helped"] += su.people_helped
        sums["vneid_assisted"] += su.vneid_installed + su.vneid_verified
        sums["volunteer_hours"] += su.hours or 0
        people_by_commune[su.shift.commune_code] += su.people_helped
    assert sums["people_helped"] > 1000  # demo-sized

    doan = db.session.scalar(select(User).where(User.username == "doan.dongnai"))
    page = login_as(doan).get(f"/volunteers/campaigns/{summer.id}/review?as_of=2026-08-31")
    assert page.status_code == 200
    shown = dict(re.findall(r'data-metric="(\w+)">.*?data-value="([\d.]+)"', page.text, re.S))
    assert float(shown["people_helped"]) == sums["people_helped"]
    assert float(shown["vneid_assisted"]) == sums["vneid_assisted"]
    assert float(shown["volunteer_hours"]) == pytest.approx(sums["volunteer_hours"])
    rows = dict(re.findall(r'data-commune="(\d+)".*?data-people="(\d+)"', page.text, re.S))
    assert {int(k): int(v) for k, v in rows.items()} == {k: v for k, v in people_by_commune.items()} | {
        int(k): 0 for k in rows if int(k) not in people_by_commune}
    # the story: remote Tà Lài lags and is pre-selected for new shifts
    data = services.review(summer, date(2026, 8, 31))
    lagging = [r.commune.code for r in data["rows"] if r.lagging]
    assert 26134 in lagging
    assert data["rows"][0].lagging and not data["rows"][-1].lagging
    # the review's flags are the dashboard's (one lagging rule)
    from campaign.reports import metrics
    board = metrics.progress(summer, as_of=date(2026, 8, 31))
    assert set(lagging) == {r.commune.code for r in board.lagging}
    assert re.search(r'value="26134" id="c-26134" checked', page.text)


def test_statement_of_service_hours(make_profile, make_shift, login_as):
    p = make_profile()
    s1, s2 = make_shift(start=-50, hours=4), make_shift(start=-26, hours=3)
    db.session.add_all([Signup(shift_id=s1.id, volunteer_id=p.id, status="confirmed", hours=4),
                        Signup(shift_id=s2.id, volunteer_id=p.id, status="confirmed", hours=2.5)])
    db.session.commit()
    resp = login_as(p.user).get("/volunteers/my/statement")
    assert resp.status_code == 200
    assert "Giấy xác nhận giờ tình nguyện" in resp.text and "6,5" in resp.text
    assert services.volunteer_hours([p.id]) == {p.id: 6.5}


def test_from_the_review_one_step_to_shifts_in_the_lagging_communes(demo, login_as):
    from campaign.accounts.models import User

    summer = db.session.get(Campaign, demo["campaign_summer"])
    doan = db.session.scalar(select(User).where(User.username == "doan.dongnai"))
    client = login_as(doan)
    page = client.get(f"/volunteers/campaigns/{summer.id}/review?as_of=2026-08-20")
    form_action = re.search(r'<form method="get" action="([^"]+/shifts/bulk)"', page.text).group(1)
    lagging = re.findall(r'name="communes" value="(\d+)" id="c-\d+" checked', page.text)
    assert "26134" in lagging
    bulk = client.get(form_action + "?" + "&".join(f"communes={c}" for c in lagging))
    for code in lagging:
        assert re.search(rf'value="{code}"[^>]*checked|checked[^>]*value="{code}"', bulk.text), code
