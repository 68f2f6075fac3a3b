"""households_trained: distinct (village, household number) of the learners holding a valid certificate issued
in the period, per commune — equal to an independent count in Python."""

import itertools
from collections import defaultdict
from datetime import date

from sqlalchemy import select

from campaign.campaigns.models import Indicator
from campaign.courses.models import Certificate, Course
from campaign.events.models import Event, Person, Registration
from campaign.extensions import db
from campaign.reports import metrics
from tests.conftest import LONG_THANH, TRAN_BIEN
from tests.reports.conftest import AS_OF
from tests.reports.test_figures import _end


def _independent(campaign, as_of: date, start=None):
    end = _end(as_of)
    lo = metrics.utc_bounds(start, None)[0]
    events = {e.id: e for e in db.session.scalars(select(Event))}
    courses = {c.id: c for c in db.session.scalars(select(Course))}
    regs = {r.id: r for r in db.session.scalars(select(Registration))}
    people = {p.id: p for p in db.session.scalars(select(Person))}
    out = defaultdict(set)
    for cert in db.session.scalars(select(Certificate)):
        e = events[courses[cert.course_id].event_id]
        p = people[regs[cert.registration_id].person_id]
        if (e.campaign_id == campaign.id and cert.status == "valid" and cert.issued_at < end
                and (lo is None or cert.issued_at >= lo) and p.village_id and p.household_code):
            out[e.commune_code].add((p.village_id, p.household_code))
    return {code: len(v) for code, v in out.items()}


def test_households_trained_equals_an_independent_count(app, campaign_data, factory):
    c = campaign_data(size=4, seed=5)
    villages = {code: [factory.village(code, name=f"Ấp {code}-{i}") for i in range(2)] for code in (TRAN_BIEN, LONG_THANH)}
    codes = itertools.cycle(["1", "2", "1", None, "3", "2"])  # shared households, and unknown ones
    for i, p in enumerate(db.session.scalars(select(Person).where(Person.full_name.like("Học viên%")).order_by(Person.id))):
        if i % 5 == 4:
            continue  # no village known: not counted
        p.village_id = villages[p.commune_code][i % 2].id
        p.household_code = next(codes)
    db.session.add(Indicator(campaign_id=c.id, position=9, code="9", name="Hộ có người được tập huấn",
                             unit="households", target_value=50, metric="households_trained"))
    db.session.commit()
    want = _independent(c, AS_OF)
    assert sum(want.values()) >= 3  # the data has households to count
    board = metrics.progress(c, as_of=AS_OF)
    ip = next(ip for ip in board.indicators if ip.indicator.metric == "households_trained")
    assert ip.achieved == sum(want.values())
    for row in board.communes:
        assert row.achieved[ip.indicator.id] == want.get(row.commune.code, 0), row.commune.code
    q = metrics.progress(c, start=date(2026, 4, 1), end=date(2026, 6, 30), as_of=AS_OF)
    ipq = next(ip for ip in q.indicators if ip.indicator.metric == "households_trained")
    assert ipq.achieved == sum(_independent(c, date(2026, 6, 30), start=date(2026, 4, 1)).values())
    # a household counts once even with two trained members
    trained = next(ip for ip in board.indicators if ip.indicator.metric == "people_trained")
    assert ip.achieved < trained.achieved
