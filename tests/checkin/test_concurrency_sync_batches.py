"""Four devices upload overlapping outboxes at the same moment, each in several batches and in its
own order (processes, on PostgreSQL): no upload fails (no deadlock reaches the device), every scan
is stored once, and each ticket has one admission at the session, the earliest at the door."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from campaign.checkin.models import CheckIn
from tests.checkin.conftest import HEADERS
from tests.concurrency import race

pytestmark = pytest.mark.postgres

DEVICES = 4
TICKETS = 40
BATCH = 10


def upload_batches(session_token: str, batches: list) -> list:
    from flask import current_app

    client = current_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_token
        session["_fresh"] = True
    out = []
    for items in batches:
        resp = client.post("/api/checkin/sync", json={"items": items}, headers=HEADERS)
        acks = [a["ack"] for a in resp.json["items"]] if resp.status_code == 200 else []
        out.append((resp.status_code, all(acks) and len(acks) == len(items)))
    return out


def test_four_devices_syncing_overlapping_batches_at_once(app, cf, factory):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("several writer processes: PostgreSQL (SQLite serialises whole transactions)")
    from campaign.extensions import db

    event = cf.event()
    tickets = [cf.ticket(event) for _ in range(TICKETS)]
    steward = factory.user("commune_officer")
    rng = random.Random(14)
    jobs, sent = [], {}
    for d in range(DEVICES):
        # Every device admitted most tickets (heavy overlap), each in its own order and times.
        mine = rng.sample(tickets, TICKETS * 3 // 4)
        items = []
        for t in mine:
            at = event.starts_at + timedelta(seconds=rng.randint(0, 7200))
            x = {"uuid": str(uuid.uuid4()), "event_id": event.id, "code": t.code, "device_id": f"phone-{d}",
                 "door_result": "accepted", "device_time": at.isoformat()}
            items.append(x)
            sent[x["uuid"]] = x
        batches = [items[i:i + BATCH] for i in range(0, len(items), BATCH)]
        batches.append(rng.choice(batches))  # an answer lost: the same batch again
        jobs.append((steward.session_token, batches))
    results = race("tests.checkin.test_concurrency_sync_batches:upload_batches", jobs,
                   app.config["SQLALCHEMY_DATABASE_URI"])
    assert all(r == (200, True) for device in results for r in device), results
    db.session.expire_all()
    rows = db.session.scalars(select(CheckIn)).all()
    assert sorted(r.uuid for r in rows) == sorted(sent)  # every scan once
    accepted = [r for r in rows if r.result == "accepted"]
    admitted_tickets = {x["code"] for x in sent.values()}
    assert len(accepted) == len({r.ticket_id for r in accepted}) == len(admitted_tickets)
    by_code: dict[str, list] = {}
    for x in sent.values():
        by_code.setdefault(x["code"], []).append(x)
    earliest = {min(xs, key=lambda x: (x["device_time"], x["uuid"]))["device_time"] for xs in by_code.values()}
    assert {r.device_time.isoformat() for r in accepted} <= earliest
    assert db.session.scalar(select(func.count()).select_from(CheckIn).where(
        CheckIn.result == "accepted", CheckIn.undone_at.is_(None))) == len(admitted_tickets)
