"""Several phones present the same one-time setup code at the same moment (processes, on
PostgreSQL): exactly one gets a device token; the others are told the code was already used."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaign.checkin import devices
from campaign.checkin.models import CheckinDevice
from tests.checkin.conftest import HEADERS
from tests.concurrency import race

pytestmark = pytest.mark.postgres

WORKERS = 6


def activate_via_api(setup_code: str):
    from flask import current_app

    resp = current_app.test_client().post("/api/checkin/devices/activate", json={"setup": setup_code},
                                          headers=HEADERS)
    body = resp.get_json()
    return resp.status_code, body.get("token"), body.get("message")


def test_one_setup_code_activates_exactly_one_phone(app, cf, factory):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("several writer processes: PostgreSQL (SQLite serialises whole transactions)")
    from campaign.extensions import db

    event = cf.event()
    organiser = factory.user("commune_officer")
    device, secret = devices.add_device(event, "Cổng 1", organiser)
    db.session.commit()
    results = race("tests.checkin.test_concurrency_devices:activate_via_api", [(secret,)] * WORKERS,
                   app.config["SQLALCHEMY_DATABASE_URI"])
    winners = [r for r in results if r[0] == 201]
    assert len(winners) == 1, results
    assert all(r[0] == 410 and "đã được dùng" in r[2] for r in results if r[0] != 201), results
    db.session.expire_all()
    stored = db.session.scalar(select(CheckinDevice))
    assert stored.token_hash == devices.digest(winners[0][1]) and stored.setup_used_at is not None
