"""One ticket scanned at the same moment by several phones (processes): exactly one admission."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from campaign.checkin.models import CheckIn
from campaign.extensions import db
from tests.checkin.conftest import HEADERS, scan_body
from tests.concurrency import race

WORKERS = 6


def scan_via_api(session_token: str, body: dict):
    """One phone: a full API request (signature, permission, insert) in its own process."""
    from flask import current_app

    client = current_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_token
        session["_fresh"] = True
    resp = client.post("/api/checkin/scan", json=body, headers=HEADERS)
    return resp.status_code, resp.json.get("result")


def test_concurrent_scans_admit_once_and_record_the_rest_as_duplicates(app, cf, factory):
    event = cf.event()
    ticket = cf.ticket(event)
    steward = factory.user("commune_officer")
    bodies = [(steward.session_token, scan_body(event.id, ticket.code, device_id=f"phone-{i}"))
              for i in range(WORKERS)]
    results = race("tests.checkin.test_concurrency_checkin:scan_via_api", bodies, app.config["SQLALCHEMY_DATABASE_URI"])
    assert sorted(r[1] for r in results) == ["accepted"] + ["duplicate"] * (WORKERS - 1), results
    assert all(r[0] == 201 for r in results)
    rows = db.session.scalars(select(CheckIn)).all()
    assert len(rows) == WORKERS
    assert sorted(r.device_id for r in rows) == sorted(f"phone-{i}" for i in range(WORKERS))


def test_concurrent_retries_of_one_request_store_one_scan(app, cf, factory):
    event = cf.event()
    ticket = cf.ticket(event)
    steward = factory.user("commune_officer")
    body = scan_body(event.id, ticket.code, uuid=str(uuid.uuid4()))
    results = race("tests.checkin.test_concurrency_checkin:scan_via_api", [(steward.session_token, body)] * 4,
                   app.config["SQLALCHEMY_DATABASE_URI"])
    assert {r[1] for r in results} == {"accepted"}, results
    assert len(db.session.scalars(select(CheckIn)).all()) == 1
