"""Fixtures for check-in: events, people, registrations and their tickets."""

from __future__ import annotations

import hashlib
import itertools
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from campaign.checkin import services
from campaign.checkin.models import StewardGrant
from campaign.core.text import fold
from campaign.events.models import Event, Person, Registration
from campaign.extensions import db
from tests.conftest import DONG_NAI, TRAN_BIEN

_seq = itertools.count(1)
HEADERS = {"X-Checkin-Client": "test"}


class CheckinFactory:
    def event(self, *, commune: int | None = TRAN_BIEN, parent: Event | None = None, title: str | None = None,
              kind: str = "workshop", commit: bool = True, **kw) -> Event:
        n = next(_seq)
        start = kw.pop("starts_at", datetime(2026, 10, 10, 1, 0, tzinfo=UTC))
        event = Event(title=title or f"Hội thảo {n}", search_title=fold(title or f"Hội thảo {n}"), kind=kind,
                      starts_at=start, ends_at=start + timedelta(hours=3), province_code=DONG_NAI,
                      commune_code=commune, parent_id=parent.id if parent else None, status="published", **kw)
        db.session.add(event)
        db.session.flush()
        if commit:
            db.session.commit()
        return event

    def person(self, name: str | None = None, phone: str | None = None) -> Person:
        n = next(_seq)
        name = name or f"Người dân {n}"
        person = Person(full_name=name, search_name=fold(name), phone=phone)
        db.session.add(person)
        db.session.flush()
        return person

    def registration(self, event: Event, *, name: str | None = None, phone: str | None = None,
                     status: str = "confirmed", registered_by=None, ticket: bool = True, commit: bool = True):
        person = self.person(name, phone)
        reg = Registration(event_id=event.id, person_id=person.id, status=status,
                           token_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
                           registered_by_id=getattr(registered_by, "id", None),
                           source="staff" if registered_by else "online")
        db.session.add(reg)
        db.session.flush()
        result = reg
        if ticket:
            result = services.issue_ticket(reg)
        if commit:
            db.session.commit()
        return result

    def ticket(self, event: Event | None = None, **kw):
        return self.registration(event or self.event(), **kw)

    def steward(self, event: Event, user) -> StewardGrant:
        grant = StewardGrant(event_id=event.id, user_id=user.id)
        db.session.add(grant)
        db.session.commit()
        return grant


@pytest.fixture
def cf() -> CheckinFactory:
    return CheckinFactory()


def scan_body(event_id: int, code: str | None = None, **kw) -> dict:
    body = {"uuid": str(uuid.uuid4()), "event_id": event_id, "device_id": "test-device",
            "device_time": datetime.now(UTC).isoformat()}
    if code is not None:
        body["code"] = code
    body.update(kw)
    return body


def fresh_login(client, user):
    """Log a test client in as the login form does, with the time of the last request in the session
    (accounts: end_idle_session): a steward's scans then take the fast lane once permitted (PostgreSQL)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.session_token
        session["_fresh"] = True
        session["_seen"] = int(time.time())
    return client


@pytest.fixture
def login_as(app, factory):
    """login_as(user) -> a new test client logged in as that user (check-in tests: as after the login
    form, so that the scan API's fast lane serves the scans it can settle)."""

    def _login(user):
        return fresh_login(app.test_client(), user)

    return _login
