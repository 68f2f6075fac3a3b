"""The permission matrix of every volunteers route (see tests/matrix.py for the actors)."""

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.volunteers.models import Shift, Signup, VolunteerProfile
from tests.conftest import DONG_NAI, TRAN_BIEN
from tests.matrix import ACTORS, Row, check_row, ok

_n = itertools.count(1)
ORGANISERS_ANYWHERE = ok("admin", "coord", "coord_kh", "officer_a", "officer_b", "youth")
DONG_NAI_ORGANISERS = ok("admin", "coord", "officer_a", "officer_b", "youth")
TRAN_BIEN_ORGANISERS = ("admin", "coord", "officer_a", "youth")
VOLUNTEERS = ok("admin", "volunteer")


def redirects(*actors):
    return {a: 302 for a in actors}


ROWS = [
    Row("GET", "/volunteers/join", ok(*ACTORS), public=True),
    Row("POST", "/volunteers/join", ok(*ACTORS), public=True, data={"full_name": ""}),
    Row("GET", "/volunteers/shifts", VOLUNTEERS),
    Row("POST", "/volunteers/shifts/{shift_a}/signup", redirects("admin", "volunteer")),
    Row("POST", "/volunteers/signups/{signup_a}/cancel", redirects(*TRAN_BIEN_ORGANISERS)),
    Row("GET", "/volunteers/my", VOLUNTEERS),
    Row("GET", "/volunteers/my/statement", {"admin": 404, "volunteer": 200}),
    Row("GET", "/volunteers/my/profile", {"admin": 404, "volunteer": 200}),
    Row("POST", "/volunteers/my/profile", {"admin": 404, "volunteer": 200}, data={"full_name": ""}),
    Row("GET", "/volunteers/", ORGANISERS_ANYWHERE),
    Row("GET", "/volunteers/people", ORGANISERS_ANYWHERE),
    # the old CSV page: a redirect to the shared import engine's page (reports.run_import)
    Row("GET", "/volunteers/people/import", {a: 302 for a in ORGANISERS_ANYWHERE}),
    Row("POST", "/volunteers/people/import", {a: 302 for a in ORGANISERS_ANYWHERE}),
    Row("GET", "/volunteers/people/{profile_a}", ok(*TRAN_BIEN_ORGANISERS)),
    Row("GET", "/volunteers/people/{profile_a}/statement", ok(*TRAN_BIEN_ORGANISERS)),
    Row("POST", "/volunteers/people/{pending_a}/decide", redirects(*TRAN_BIEN_ORGANISERS), data={"approve": "1"}),
    Row("GET", "/volunteers/campaigns/{campaign}/shifts", DONG_NAI_ORGANISERS),
    Row("GET", "/volunteers/campaigns/{campaign}/shifts/new", DONG_NAI_ORGANISERS),
    Row("POST", "/volunteers/campaigns/{campaign}/shifts/new", DONG_NAI_ORGANISERS, data={"role": "other"}),
    Row("GET", "/volunteers/campaigns/{campaign}/shifts/bulk", DONG_NAI_ORGANISERS),
    Row("POST", "/volunteers/campaigns/{campaign}/shifts/bulk", DONG_NAI_ORGANISERS, data={"preview": "1"}),
    Row("GET", "/volunteers/campaigns/{campaign}/board", DONG_NAI_ORGANISERS),
    Row("GET", "/volunteers/campaigns/{campaign}/review", ok("admin", "coord", "youth")),
    Row("GET", "/volunteers/shifts/{shift_a}/manage", ok(*TRAN_BIEN_ORGANISERS)),
    Row("GET", "/volunteers/shifts/{shift_a}/edit", ok(*TRAN_BIEN_ORGANISERS)),
    Row("POST", "/volunteers/shifts/{shift_a}/edit", ok(*TRAN_BIEN_ORGANISERS), data={"max_needed": "0"}),
    Row("POST", "/volunteers/shifts/{shift_a}/delete", redirects(*TRAN_BIEN_ORGANISERS)),
    Row("POST", "/volunteers/shifts/{shift_a}/assign", redirects(*TRAN_BIEN_ORGANISERS), data={"volunteer": "{profile_a}"}),
    Row("POST", "/volunteers/signups/{running_a}/checkin", redirects(*TRAN_BIEN_ORGANISERS)),
    Row("POST", "/volunteers/signups/{running_a}/checkout", redirects(*TRAN_BIEN_ORGANISERS)),
    Row("POST", "/volunteers/signups/{running_a}/noshow", redirects(*TRAN_BIEN_ORGANISERS)),
    Row("POST", "/volunteers/signups/{running_a}/hours", redirects(*TRAN_BIEN_ORGANISERS),
        data={"hours": "3", "reason": "Sửa giờ"}),
    Row("POST", "/volunteers/signups/{running_a}/outcome", redirects(*TRAN_BIEN_ORGANISERS)),
]


def _profile(factory, user=None, status="approved"):
    user = user or factory.user("volunteer", commune=TRAN_BIEN, commit=False)
    p = VolunteerProfile(user_id=user.id, phone=f"+8493{next(_n):07d}", home_commune_code=TRAN_BIEN, skills=[],
                         languages=["vi"], consent_at=datetime.now(UTC), status=status)
    db.session.add(p)
    db.session.flush()
    return p


def objects(factory, actors):
    now = datetime.now(UTC).replace(microsecond=0)
    if db.session.query(VolunteerProfile).filter_by(user_id=actors["volunteer"].id).first() is None:
        _profile(factory, actors["volunteer"])
    c = Campaign(province_code=DONG_NAI, name="Mùa hè số", slug=f"mhs-{next(_n)}", kind="summer",
                 starts_on=date.today() - timedelta(days=30), ends_on=date.today() + timedelta(days=90))
    db.session.add(c)
    db.session.flush()
    shift = Shift(campaign_id=c.id, commune_code=TRAN_BIEN, starts_at=now + timedelta(days=3),
                  ends_at=now + timedelta(days=3, hours=4), min_needed=1, max_needed=3)
    running = Shift(campaign_id=c.id, commune_code=TRAN_BIEN, starts_at=now - timedelta(hours=1),
                    ends_at=now + timedelta(hours=3), min_needed=1, max_needed=3)
    db.session.add_all([shift, running])
    db.session.flush()
    profile = _profile(factory)
    signup = Signup(shift_id=shift.id, volunteer_id=profile.id, status="confirmed")
    on_day = Signup(shift_id=running.id, volunteer_id=profile.id, status="confirmed")
    db.session.add_all([signup, on_day])
    pending = _profile(factory, status="pending")
    db.session.commit()
    return {"campaign": c.id, "shift_a": shift.id, "signup_a": signup.id, "running_a": on_day.id,
            "profile_a": profile.id, "pending_a": pending.id}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(app, factory, row):
    check_row(app, factory, row, objects)
