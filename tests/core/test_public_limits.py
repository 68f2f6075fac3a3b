"""Every public write is rate-limited per address and per target (issue 14, point 3)."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import timedelta

from campaign.checkin import services as checkin
from campaign.core.types import utcnow
from campaign.extensions import limiter
from tests.checkin.conftest import CheckinFactory
from tests.conftest import TRAN_BIEN
from tests.courses.conftest import create_course
from tests.events.conftest import create_event


@contextmanager
def limits(app, **values):
    saved = {k: app.config.get(k) for k in values}
    app.config.update(values)
    limiter.reset()
    try:
        yield
    finally:
        app.config.update(saved)
        limiter.reset()


def posts(app, url, data, addresses):
    return [app.test_client().post(url, data=data, environ_overrides={"REMOTE_ADDR": a}).status_code
            for a in addresses]


REG = {"full_name": "Nguyễn Văn An", "commune_code": str(TRAN_BIEN), "consent": "y"}


def test_registration_per_address_and_per_event(app):
    event, other = create_event(), create_event()
    with limits(app, REGISTRATION_RATE_LIMIT="3 per minute", REGISTRATION_TARGET_RATE_LIMIT="5 per minute"):
        assert posts(app, f"/events/{event.id}", REG, ["10.1.0.1"] * 4) == [302, 302, 302, 429]
        assert posts(app, f"/events/{other.id}", REG, ["10.1.0.1"]) == [429]  # the address is held
        # many addresses against one event: the event's own limit holds (3 + 2 more = 5)
        assert posts(app, f"/events/{event.id}", REG, [f"10.1.1.{n}" for n in range(3)]) == [302, 302, 429]
        assert posts(app, f"/events/{other.id}", REG, ["10.1.2.1"]) == [302]
        assert app.test_client().get(f"/events/{event.id}").status_code == 200  # reading is never limited


def test_class_enrolment_per_address_and_per_class(app):
    course, other = create_course(), create_course()
    data = {"full_name": "Nguyễn Văn An", "consent": "y"}
    with limits(app, REGISTRATION_RATE_LIMIT="2 per minute", REGISTRATION_TARGET_RATE_LIMIT="3 per minute"):
        assert posts(app, f"/courses/{course.id}/enrol", data, ["10.2.0.1"] * 3) == [200, 200, 429]
        assert posts(app, f"/courses/{course.id}/enrol", data, ["10.2.0.2", "10.2.0.3"]) == [200, 429]
        assert posts(app, f"/courses/{other.id}/enrol", data, ["10.2.0.4"]) == [200]


def test_volunteer_sign_up_per_address_and_per_commune(app):
    def data(n):
        return {"username": f"tnv.{uuid.uuid4().hex[:8]}", "password": "mat-khau-123", "full_name": f"Tình nguyện {n}",
                "phone": f"09123456{n:02d}", "home_commune_code": str(TRAN_BIEN), "consent": "y"}

    with limits(app, VOLUNTEER_SIGNUP_RATE_LIMIT="2 per minute", VOLUNTEER_SIGNUP_TARGET_RATE_LIMIT="3 per hour"):
        codes = [app.test_client().post("/volunteers/join", data=data(n),
                                        environ_overrides={"REMOTE_ADDR": "10.3.0.1"}).status_code for n in range(3)]
        assert codes[2] == 429 and codes[:2] != [429, 429]
        codes = [app.test_client().post("/volunteers/join", data=data(10 + n),
                                        environ_overrides={"REMOTE_ADDR": f"10.3.1.{n}"}).status_code for n in range(2)]
        assert codes == [200, 429]  # the commune's organisers get no flood of sign-ups


def test_self_checkin_per_address_and_per_event(app):
    cf = CheckinFactory()
    event = cf.event(starts_at=utcnow() - timedelta(minutes=5))
    path = f"/self/{event.id}/{checkin.poster_token(event.id)}"
    data = {"code": "AAAA-AAAA"}
    with limits(app, SELF_CHECKIN_RATE_LIMIT="2 per minute", SELF_CHECKIN_TARGET_RATE_LIMIT="4 per minute"):
        assert posts(app, path, data, ["10.4.0.1"] * 3) == [200, 200, 429]
        assert posts(app, path, data, [f"10.4.1.{n}" for n in range(3)]) == [200, 200, 429]


def test_private_link_actions_per_address(app, client):
    from tests.events.conftest import register

    event = create_event()
    _reg, token = register(event)
    with limits(app, PRIVATE_LINK_RATE_LIMIT="2 per minute"):
        assert posts(app, f"/r/{token}/cancel", {}, ["10.5.0.1"] * 3) == [302, 302, 429]
        assert posts(app, "/r/not-a-token/cancel", {}, ["10.5.0.2"] * 3) == [404, 404, 429]
