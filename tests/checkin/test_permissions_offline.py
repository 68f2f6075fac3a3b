"""The permission matrix of the offline check-in routes (issue 8)."""

import uuid

import pytest
from sqlalchemy import func, select

from campaign.checkin.models import CheckIn
from campaign.extensions import db
from tests.checkin.test_permissions_checkin import API, ORGANISERS, SCANNERS, objects
from tests.matrix import ACTORS, Row, check_row, ok

ROWS = [
    Row("GET", "/checkin/events/{event}/conflicts", ok(*ORGANISERS)),
    Row("GET", "/sw.js", ok(*ACTORS), public=True),
]


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(app, factory, row):
    check_row(app, factory, row, objects)


def test_sync_stores_only_for_those_who_may_scan(app, factory):
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
        resp = client.post("/api/checkin/sync", headers=API, json={"items": [
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
