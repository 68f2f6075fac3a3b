"""The permission matrix of the check-in pages and API."""

import pytest

from campaign.extensions import db
from tests.checkin.conftest import CheckinFactory
from tests.conftest import TRAN_BIEN
from tests.matrix import ACTORS, EVERY_USER, Row, check_row, ok

# The event is in Trấn Biên: its organisers are the commune's officers, the province coordinator
# and the province's youth union; the volunteer of the matrix is its check-in steward.
ORGANISERS = ("admin", "coord", "officer_a", "youth")
SCANNERS = ORGANISERS + ("volunteer",)
API = {"X-Checkin-Client": "matrix"}

ROWS = [
    Row("GET", "/checkin/", ok(*SCANNERS)),
    Row("GET", "/checkin/events/{event}/scan", ok(*SCANNERS)),
    Row("GET", "/checkin/events/{event}/counts", ok(*SCANNERS)),
    Row("GET", "/checkin/events/{event}/poster", ok(*ORGANISERS)),
    Row("GET", "/self/{event}/{poster}", ok(*ACTORS), public=True),
    Row("POST", "/self/{event}/{poster}", ok(*ACTORS), public=True, data={"code": "ZZZZZZ"}),
    Row("GET", "/checkin/events/{event}/stewards", ok(*ORGANISERS)),
    Row("POST", "/checkin/events/{event}/stewards", ok(*ORGANISERS), data={"username": ""}),
    Row("POST", "/checkin/stewards/{grant}/revoke", {a: 302 for a in ORGANISERS}),
    Row("GET", "/checkin/events/{event}/print?all=1", ok(*ORGANISERS)),
    Row("GET", "/checkin/events/{event}/print", EVERY_USER),  # the tickets of people they registered
    Row("POST", "/checkin/tickets/{ticket}/reissue", {a: 302 for a in ORGANISERS}),
    Row("GET", "/tickets/{ticket}", ok(*ACTORS), public=True),
    Row("GET", "/tickets/{ticket}/qr.png", ok(*ACTORS), public=True),
    Row("GET", "/tickets/{ticket}/qr.svg", ok(*ACTORS), public=True),
]

# The API answers JSON: 401 for anonymous callers instead of a redirect.
API_ROWS = [
    ("GET", "/api/checkin/events/{event}/lookup?q=abc", 200),
    ("GET", "/api/checkin/events/{event}/checkins?since=0", 200),
    ("GET", "/api/checkin/events/{event}/offline-pack", 200),
    ("GET", "/api/checkin/events/{event}/counts", 200),
]


def objects(factory, actors):
    cf = CheckinFactory()
    event = cf.event(commune=TRAN_BIEN)
    grant = cf.steward(event, actors["volunteer"])
    other = cf.steward(event, factory.user("volunteer"))
    ticket = cf.ticket(event)
    db.session.commit()
    _ = grant
    from campaign.checkin.services import poster_token

    return {"event": event.id, "grant": other.id, "ticket": ticket.token, "poster": poster_token(event.id)}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(app, factory, row):
    check_row(app, factory, row, objects)


@pytest.mark.parametrize("method,url,status", API_ROWS, ids=lambda v: str(v))
def test_api_permission_matrix(app, factory, method, url, status):
    from tests.conftest import session_login
    from tests.matrix import make_actors

    actors = make_actors(factory)
    failures = []
    for actor in ACTORS:
        values = objects(factory, actors)
        client = app.test_client()
        if actor != "anon":
            session_login(client, actors[actor])
        resp = client.open(url.format(**values), method=method, headers=API)
        expected = 401 if actor == "anon" else (status if actor in SCANNERS else 403)
        if resp.status_code != expected or not resp.is_json:
            failures.append(f"{actor}: {resp.status_code} (expected {expected})")
    assert not failures, "; ".join(failures)


# The door's writes, with their JSON bodies: who may record a scan, and who may undo a check-in that
# someone else (the admin) made: its event's organisers; a steward only their own (409 here).
DOOR_ROWS = [
    ("POST", "/api/checkin/scan", {a: 201 for a in SCANNERS}),
    ("POST", "/api/checkin/undo", {**{a: 200 for a in ORGANISERS}, "volunteer": 409}),
]


@pytest.mark.parametrize("method,url,allowed", DOOR_ROWS, ids=lambda v: str(v))
def test_door_permission_matrix(app, factory, method, url, allowed):
    import uuid

    from campaign.checkin.services import ticket_by_token
    from tests.conftest import session_login
    from tests.matrix import make_actors

    actors = make_actors(factory)
    failures = []
    for actor in ACTORS:
        values = objects(factory, actors)
        body = {"uuid": str(uuid.uuid4()), "event_id": values["event"],
                "code": ticket_by_token(values["ticket"]).code}
        if url.endswith("/undo"):
            admin = app.test_client()
            session_login(admin, actors["admin"])
            assert admin.post("/api/checkin/scan", headers=API, json=body).status_code == 201
            body = {"uuid": body["uuid"]}
        client = app.test_client()
        if actor != "anon":
            session_login(client, actors[actor])
        resp = client.open(url, method=method, headers=API, json=body)
        expected = 401 if actor == "anon" else allowed.get(actor, 403)
        if resp.status_code != expected or not resp.is_json:
            failures.append(f"{actor}: {resp.status_code} (expected {expected})")
    assert not failures, "; ".join(failures)
