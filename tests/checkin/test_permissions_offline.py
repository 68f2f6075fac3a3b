"""The permission matrix of the offline check-in routes."""

import uuid

import pytest
from sqlalchemy import func, select

from campaign.checkin.models import CheckIn
from campaign.events.models import Event
from campaign.extensions import db
from tests.checkin.test_permissions_checkin import API, ORGANISERS, SCANNERS, objects
from tests.matrix import ACTORS, Row, check_row, ok

# The offline outbox: who may store scans is checked item by item (see the test below).
SYNC_ROWS = [("POST", "/api/checkin/sync")]

ROWS = [
    Row("GET", "/checkin/events/{event}/conflicts", ok(*ORGANISERS)),
    Row("GET", "/sw.js", ok(*ACTORS), public=True),
]


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(app, factory, row):
    check_row(app, factory, row, objects)


@pytest.mark.parametrize("method,url", SYNC_ROWS, ids=str)
def test_sync_stores_only_for_those_who_may_scan(app, factory, method, url):
    from campaign.checkin.services import ticket_by_token
    from tests.conftest import session_login
    from tests.matrix import make_actors

    actors = make_actors(factory)
    failures = []
    for actor in ACTORS:
        values = objects(factory, actors)
        code = ticket_by_token(values["ticket"]).code
        client = app.test_client()
        if actor != "anon":
            session_login(client, actors[actor])
        before = db.session.scalar(select(func.count()).select_from(CheckIn))
        resp = client.open(url, method=method, headers=API, json={"items": [
            {"uuid": str(uuid.uuid4()), "event_id": values["event"], "code": code, "door_result": "accepted",
             "device_time": "2026-11-22T08:00:00+07:00", "device_id": "d"}]})
        stored = db.session.scalar(select(func.count()).select_from(CheckIn)) - before
        if actor == "anon":
            ok_ = resp.status_code == 401 and stored == 0
        elif actor in SCANNERS:
            ok_ = resp.status_code == 200 and resp.get_json()["items"][0]["ack"] and stored == 1
        else:
            ok_ = resp.status_code == 200 and resp.get_json()["items"][0]["ack"] is False and stored == 0
        if not ok_:
            failures.append(f"{actor}: {resp.status_code} stored {stored}")
    assert not failures, "; ".join(failures)


# --- registered devices ---------------------------------------------------------------------------

def device_objects(factory, actors):
    from campaign.checkin import devices

    values = objects(factory, actors)
    event = db.session.get(Event, values["event"])
    waiting, _secret = devices.add_device(event, "Cổng 1", actors["admin"])
    other, _secret2 = devices.add_device(event, "Cổng 2", actors["admin"])
    db.session.commit()
    return {**values, "device": waiting.id, "device2": other.id}


DEVICE_ROWS = [
    Row("GET", "/checkin/events/{event}/devices", ok(*ORGANISERS)),
    Row("POST", "/checkin/events/{event}/devices", ok(*ORGANISERS), data={"label": "Cổng 3"}),
    Row("POST", "/checkin/devices/{device}/setup", ok(*ORGANISERS)),
    Row("POST", "/checkin/devices/{device2}/revoke", {a: 302 for a in ORGANISERS}),
    Row("GET", "/checkin/setup", ok(*ACTORS), public=True),
    Row("GET", "/checkin/device", ok(*ACTORS), public=True),
]


@pytest.mark.parametrize("row", DEVICE_ROWS, ids=str)
def test_device_permission_matrix(app, factory, row):
    check_row(app, factory, row, device_objects)


DEVICE_API_ROWS = [
    ("GET", "/api/checkin/device", 401),
    ("POST", "/api/checkin/device/wiped", 401),
    ("POST", "/api/checkin/devices/activate", 410),
]


def test_device_api_without_a_device_token(app, factory):
    """The device endpoints answer only to a device token: 401 (JSON) for anyone else; activation
    is open (the setup code is the authority) and refuses a wrong code with 410."""
    from tests.conftest import session_login
    from tests.matrix import make_actors

    actors = make_actors(factory)
    failures = []
    for actor in ACTORS:
        client = app.test_client()
        if actor != "anon":
            session_login(client, actors[actor])
        for method, url, expected in DEVICE_API_ROWS:
            resp = client.open(url, method=method, headers=API, json={"setup": "x" * 20})
            if resp.status_code != expected or not resp.is_json:
                failures.append(f"{actor} {url}: {resp.status_code}")
    assert not failures, "; ".join(failures)
