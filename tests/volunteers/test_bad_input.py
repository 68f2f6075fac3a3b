"""Bad input on every volunteers form gets a page with a message, never a server error."""

import pytest
from sqlalchemy import select

from campaign.extensions import db
from campaign.volunteers.models import Signup, VolunteerProfile
from tests.conftest import TRAN_BIEN

GARBAGE = [{}, {"max_needed": "-5", "min_needed": "x", "starts_at": "32/13/2026", "commune_code": "abc"},
           {"hours": "lots", "reason": "", "volunteer": "999999", "overbook": "y", "communes": ["x", "1"],
            "weekdays": ["9"], "date_from": "2026-02-30", "start_time": "25:00", "o1-households_visited": "-1"},
           {"approve": "maybe", "waitlist": "2", "move_to_waitlist": ["a"], "village_id": "77777",
            "required_skill": "flying", "role": "astronaut", "commune_code": "26134"}]


@pytest.mark.parametrize("data", GARBAGE)
def test_garbage_never_gives_a_server_error(data, factory, login_as, campaign, make_shift, make_profile):
    organiser = factory.user("youth_organiser", province=75)
    shift = make_shift(start=-1, hours=4, commune=TRAN_BIEN)
    future_shift = make_shift(start=72)
    p = make_profile()
    su = Signup(shift_id=shift.id, volunteer_id=p.id, status="confirmed")
    db.session.add(su)
    db.session.commit()
    client = login_as(organiser)
    urls = [f"/volunteers/campaigns/{campaign.id}/shifts/new", f"/volunteers/campaigns/{campaign.id}/shifts/bulk",
            f"/volunteers/shifts/{future_shift.id}/edit", f"/volunteers/shifts/{future_shift.id}/assign",
            f"/volunteers/signups/{su.id}/hours", f"/volunteers/signups/{su.id}/outcome",
            f"/volunteers/signups/{su.id}/checkout", f"/volunteers/signups/{su.id}/noshow",
            f"/volunteers/people/{p.id}/decide", "/volunteers/people/import", "/volunteers/join"]
    for url in urls:
        resp = client.post(url, data=data)
        assert resp.status_code < 500, (url, resp.status_code)
    for url in (f"/volunteers/campaigns/{campaign.id}/board?week=garbage&weeks=x",
                f"/volunteers/campaigns/{campaign.id}/review?as_of=99/99/9999&weeks=-3",
                f"/volunteers/campaigns/{campaign.id}/shifts?week=nope&commune=x&page=-1",
                "/volunteers/people?status=x&skill=y&page=z", "/volunteers/join?province=abc"):
        assert client.get(url).status_code == 200, url
    volunteer = login_as(p.user)
    assert volunteer.post(f"/volunteers/shifts/{future_shift.id}/signup", data=data).status_code == 302
    assert volunteer.get("/volunteers/shifts?home=maybe").status_code == 200
    assert db.session.scalar(select(VolunteerProfile).where(VolunteerProfile.id == p.id)).status == "approved"
