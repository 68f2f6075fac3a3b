"""Several devices upload offline admissions of one ticket at the same moment (processes, on
PostgreSQL): the earliest at the door is the one accepted row, whatever order the uploads commit
in; the place changes hands under a row lock; every scan is on record."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from campaign.checkin.models import CheckIn
from tests.checkin.conftest import HEADERS
from tests.concurrency import race

pytestmark = pytest.mark.postgres

WORKERS = 6
T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


def upload_via_api(session_token: str, items: list):
    from flask import current_app

    client = current_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_token
        session["_fresh"] = True
    resp = client.post("/api/checkin/sync", json={"items": items}, headers=HEADERS)
    return resp.status_code, [(a["ack"], a["result"]) for a in resp.json["items"]]


def test_concurrent_offline_uploads_keep_the_earliest_admission(app, cf, factory):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("several writer processes: PostgreSQL (SQLite serialises whole transactions)")
    from campaign.extensions import db

    event = cf.event()
    tickets = [cf.ticket(event) for _ in range(3)]
    steward = factory.user("commune_officer")

    def item(ticket, minutes, device):
        return {"uuid": str(uuid.uuid4()), "event_id": event.id, "code": ticket.code, "device_id": device,
                "door_result": "accepted", "device_time": (T0 + timedelta(minutes=minutes)).isoformat()}

    # A late admission of ticket 0 is already stored: every racer below is earlier and wants its place.
    late = item(tickets[0], 60, "late-phone")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = steward.session_token
    assert client.post("/api/checkin/sync", json={"items": [late]}, headers=HEADERS).status_code == 200
    # Each device admitted all three tickets at its own times (device i at minute 10 - i, ...).
    jobs = []
    for i in range(WORKERS):
        items = [item(t, (10 - i) if n != 1 else (i + 1), f"phone-{i}") for n, t in enumerate(tickets)]
        jobs.append((steward.session_token, items))
    results = race("tests.checkin.test_concurrency_offline:upload_via_api", jobs, app.config["SQLALCHEMY_DATABASE_URI"])
    assert all(code == 200 and all(ack for ack, _r in answers) for code, answers in results), results
    db.session.expire_all()
    rows = db.session.scalars(select(CheckIn)).all()
    assert len(rows) == WORKERS * 3 + 1
    winners = {r.ticket_id: r.device_id for r in rows if r.result == "accepted"}
    assert winners == {tickets[0].id: f"phone-{WORKERS - 1}", tickets[1].id: "phone-0",
                       tickets[2].id: f"phone-{WORKERS - 1}"}
    assert all(r.door_result == "accepted" for r in rows)
    assert sum(r.result == "duplicate" for r in rows) == WORKERS * 3 + 1 - 3
