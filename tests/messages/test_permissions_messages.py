"""The permission matrix of the messages pages (see tests/matrix.py for the actors)."""

from __future__ import annotations

import re

import pytest

from campaign.extensions import db
from campaign.messages.links import unsubscribe_token
from campaign.messages.models import Message
from tests.matrix import ACTORS, Row, check_row, ok
from tests.messages.helpers import make_event, register

EVERYONE = ok(*ACTORS)
REDIRECTED = {a: 302 for a in ACTORS}
USERS_REDIRECTED = {a: 302 for a in ACTORS if a != "anon"}
MANAGERS_A = ("admin", "coord", "officer_a", "youth")  # organisers of a Trấn Biên event
ERASERS = ok("admin", "coord", "coord_kh", "officer_a", "officer_b")

ROWS = [
    # public pages (a person without an account)
    Row("GET", "/my/links", EVERYONE, public=True),
    Row("POST", "/my/links", EVERYONE, public=True, data={"contact": ""}),
    Row("GET", "/password/forgot", USERS_REDIRECTED, public=True),
    Row("POST", "/password/forgot", USERS_REDIRECTED, public=True, data={"contact": ""}),
    Row("GET", "/password/reset", REDIRECTED),
    Row("POST", "/password/reset", REDIRECTED),
    Row("GET", "/password/reset/{bad_token}", REDIRECTED),
    Row("POST", "/password/reset/{bad_token}", REDIRECTED),
    Row("GET", "/me", EVERYONE, public=True),
    Row("POST", "/me", EVERYONE, public=True, data={"contact": ""}),
    Row("GET", "/me/code", REDIRECTED),
    Row("POST", "/me/code", REDIRECTED),
    Row("GET", "/me/link/{bad_token}", REDIRECTED),
    Row("GET", "/me/page", REDIRECTED),
    Row("POST", "/me/contacts", REDIRECTED),
    Row("POST", "/me/preferences", REDIRECTED),
    Row("POST", "/me/erasure", REDIRECTED),
    Row("GET", "/me/data.json", REDIRECTED),
    Row("POST", "/me/logout", REDIRECTED),
    Row("GET", "/messages/stop/{stop_token}", EVERYONE, public=True),
    Row("POST", "/messages/stop/{stop_token}", EVERYONE, public=True),
    Row("GET", "/account/messages", ok(*[a for a in ACTORS if a != "anon"])),
    Row("POST", "/account/messages", ok(*[a for a in ACTORS if a != "anon"], status=302), data={"channels": ["email"]}),
    # organisers
    Row("GET", "/manage/events/{event_a}/messages", ok(*MANAGERS_A)),
    Row("POST", "/manage/events/{event_a}/messages/{message_a}/resend", ok(*MANAGERS_A, status=302)),
    Row("GET", "/manage/events/{event_a}/announce", ok(*MANAGERS_A)),
    Row("POST", "/manage/events/{event_a}/announce", ok(*MANAGERS_A), data={"subject": "", "body": "", "preview": "1"}),
    Row("GET", "/manage/shifts/{shift_a}/announce", ok("admin", "coord", "officer_a", "youth")),
    Row("POST", "/manage/shifts/{shift_a}/announce", ok("admin", "coord", "officer_a", "youth"),
        data={"subject": "", "body": "", "preview": "1"}),
    Row("GET", "/manage/erasure-requests", ERASERS),
    Row("POST", "/manage/erasure-requests/{person_a}", ok("admin", "coord", "officer_a", status=302)),
]


def _event_and_message() -> tuple[int, int]:
    event = make_event(commune_code=26041)
    reg, _t = register(event, phone="0912345678")
    message_id = db.session.scalar(db.select(Message.id).where(Message.event_id == event.id))
    db.session.execute(db.update(Message).values(status="failed"))
    db.session.commit()
    return event.id, message_id


def _person() -> int:
    from campaign.events.models import Person

    event = make_event(commune_code=26041)
    reg, _t = register(event, phone="0912345679")
    db.session.execute(db.update(Person).where(Person.id == reg.person_id).values(commune_code=26041))
    db.session.commit()
    return reg.person_id


def _shift() -> int:
    from datetime import UTC, date, datetime, timedelta

    from campaign.campaigns.models import Campaign
    from campaign.volunteers.models import Shift

    today = date.today()
    camp = Campaign(province_code=75, name="Mùa hè số", slug=f"mhs-{datetime.now(UTC).timestamp()}", kind="summer",
                    starts_on=today - timedelta(days=5), ends_on=today + timedelta(days=60))
    db.session.add(camp)
    db.session.flush()
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    shift = Shift(campaign_id=camp.id, commune_code=26041, starts_at=start, ends_at=start + timedelta(hours=3),
                  max_needed=2, min_needed=1, location="Ấp 1")
    db.session.add(shift)
    db.session.commit()
    return shift.id


def objects_for(row: Row):
    names = set(re.findall(r"{(\w+)}", row.url))

    def objects(factory, actors):
        values = {}
        if "event_a" in names or "message_a" in names:
            values["event_a"], values["message_a"] = _event_and_message()
        if "person_a" in names:
            values["person_a"] = _person()
        if "shift_a" in names:
            values["shift_a"] = _shift()
        if "bad_token" in names:
            values["bad_token"] = "not-a-valid-token"
        if "stop_token" in names:
            values["stop_token"] = unsubscribe_token(f"person:{_person()}", "event")
        return values

    return objects


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(app, factory, row):
    check_row(app, factory, row, objects_for(row))


def test_every_messages_route_has_a_row(app):
    rows = {(r.method, re.sub(r"{\w+}", "<>", r.url)) for r in ROWS}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != "messages":
            continue
        url = re.sub(r"<[^>]+>", "<>", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (method, url) not in rows:
                missing.append(f"{method} {rule.rule}")
    assert not missing, missing
