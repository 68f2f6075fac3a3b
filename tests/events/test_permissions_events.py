"""The permission matrix of every events route (see tests/matrix.py for the actors)."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from campaign.events import services
from campaign.events.models import Event
from campaign.extensions import db
from tests.conftest import DONG_NAI, TRAN_BIEN
from tests.events.conftest import create_campaign, create_event, register
from tests.matrix import ACTORS, Row, check_row, ok

EVERYONE = ok(*ACTORS)
ORGANISERS = ok("admin", "coord", "coord_kh", "officer_a", "officer_b", "youth")
MANAGERS_A = ("admin", "coord", "officer_a", "youth")  # organisers of a Trấn Biên event
VIEWERS_A = MANAGERS_A  # a trainer sees only their own classes' learners (tests/courses)
IN_DONG_NAI = ok("admin", "coord", "officer_a", "officer_b", "youth")
COORDS = ok("admin", "coord", "coord_kh")
NOT_FOUND = {a: 404 for a in ACTORS}

EVENT_DATA = {"kind": "workshop", "title": "Hội thảo", "commune_code": str(TRAN_BIEN), "visibility": "public",
              "starts_at": "2026-12-05T08:00", "ends_at": "2026-12-05T10:00"}

ROWS = [
    # public pages
    Row("GET", "/events", EVERYONE, public=True),
    Row("GET", "/events/{event_a}", EVERYONE, public=True),
    Row("GET", "/events/villages.json?commune=26041", EVERYONE, public=True),
    Row("POST", "/events/{event_a}", EVERYONE, public=True, data={"full_name": ""}),
    Row("GET", "/events/{draft_a}", {**NOT_FOUND, **ok(*MANAGERS_A)}),
    Row("GET", "/c/{campaign_slug}", EVERYONE, public=True),
    Row("GET", "/r/{token}", EVERYONE, public=True),
    Row("POST", "/r/{token}/cancel", {a: 302 for a in ACTORS}),
    # registering people on their behalf: anyone (no account needed); the group's private page
    Row("GET", "/events/{event_a}/on-behalf", EVERYONE, public=True),
    Row("POST", "/events/{event_a}/on-behalf", EVERYONE, public=True, data={"contact_name": ""}),
    Row("GET", "/events/{draft_a}/on-behalf", {**NOT_FOUND, **ok(*MANAGERS_A, status=302)}),
    Row("GET", "/g/{group_token}", EVERYONE, public=True),
    # organiser pages
    Row("GET", "/manage/events", ORGANISERS),
    Row("GET", "/manage/events/new", ORGANISERS),
    Row("POST", "/manage/events/new", ok(*MANAGERS_A, status=302), data=EVENT_DATA),
    Row("GET", "/manage/series/new", ORGANISERS),
    Row("POST", "/manage/series/new", ok(*MANAGERS_A, status=302),
        data=dict(EVENT_DATA, freq="weekly", interval="1", count="3")),
    Row("GET", "/manage/events/{event_a}", ok(*VIEWERS_A)),
    Row("GET", "/manage/events/{event_a}/registrants.csv", ok(*VIEWERS_A)),
    Row("GET", "/manage/events/{event_a}/edit", ok(*MANAGERS_A)),
    Row("POST", "/manage/events/{event_a}/edit", ok(*MANAGERS_A, status=302), data=EVENT_DATA),
    Row("POST", "/manage/events/{draft_a}/publish", ok(*MANAGERS_A, status=302)),
    Row("POST", "/manage/events/{event_a}/cancel", ok(*MANAGERS_A, status=302)),
    Row("POST", "/manage/events/{event_a}/duplicate", ok(*MANAGERS_A, status=302)),
    Row("GET", "/manage/events/{event_a}/register", ok(*MANAGERS_A)),
    Row("POST", "/manage/events/{event_a}/register", ok(*MANAGERS_A), data={"full_name": ""}),
    Row("POST", "/manage/registrations/{registration_a}/status", ok(*MANAGERS_A, status=302),
        data={"status": "waitlisted"}),
    Row("POST", "/manage/persons/{person_a}/anonymise", ok("admin", "coord", "officer_a", status=302)),
    # the event tree
    Row("GET", "/manage/launch-ceremony", COORDS),
    Row("POST", "/manage/launch-ceremony", ok("admin", "coord", status=302),
        data={"campaign_id": "{campaign_id}", "starts_at": "2026-05-19T08:00", "ends_at": "2026-05-19T10:00"}),
    Row("GET", "/manage/national-day", COORDS),
    Row("POST", "/manage/national-day", ok("admin", "coord", status=302),
        data={"province_code": str(DONG_NAI), "year": "2026"}),
    Row("GET", "/manage/events/{ceremony}/board", IN_DONG_NAI),
    Row("GET", "/manage/events/{ceremony}/board.json", IN_DONG_NAI),
    Row("GET", "/manage/events/{national_day}/board", IN_DONG_NAI),
    Row("GET", "/manage/bridge-points/{point_a}", ok(*MANAGERS_A)),
    Row("POST", "/manage/bridge-points/{point_a}", ok(*MANAGERS_A, status=302), data={"place": "Nhà văn hóa"}),
    Row("POST", "/manage/bridge-points/{point_a}/connected", ok(*MANAGERS_A, status=302)),
    Row("POST", "/manage/bridge-points/{point_a}/ready", ok(*MANAGERS_A, status=302)),
]


def _ceremony():
    campaign = create_campaign()
    start = datetime(2026, 5, 19, 1, 0, tzinfo=UTC)
    ceremony = services.create_launch_ceremony(None, campaign, starts_at=start, ends_at=start + timedelta(hours=2))
    db.session.commit()
    return ceremony.parent


def _point_a():
    ceremony = _ceremony()
    return db.session.scalar(db.select(Event.id).where(Event.parent_id == ceremony.id,
                                                       Event.commune_code == TRAN_BIEN))


def _national_day():
    services.create_national_day(None, DONG_NAI, 2030)
    db.session.commit()
    return db.session.scalar(db.select(Event.id).where(Event.kind == "national_day"))


def _registration():
    reg, token = register(create_event(commune_code=TRAN_BIEN), phone="0901234123", commune_code=TRAN_BIEN)
    return reg, token


def _group_token() -> str:
    _group, token = services.register_group(create_event(commune_code=TRAN_BIEN, capacity=10),
                                            contact_name="Trần Văn Hùng", contact_phone="0912345678",
                                            people=[dict(full_name="Trần Thị Bảy")], consent=True)
    db.session.commit()
    return token


MAKERS = {
    "event_a": lambda: create_event(commune_code=TRAN_BIEN, capacity=10).id,
    "draft_a": lambda: create_event(commune_code=TRAN_BIEN, status="draft").id,
    "campaign_slug": lambda: create_campaign().slug,
    "campaign_id": lambda: create_campaign().id,
    "token": lambda: _registration()[1],
    "registration_a": lambda: _registration()[0].id,
    "person_a": lambda: _registration()[0].person_id,
    "ceremony": lambda: _ceremony().id,
    "point_a": _point_a,
    "national_day": _national_day,
    "group_token": _group_token,
}




def objects_for(row: Row):
    names = set(re.findall(r"{(\w+)}", row.url + " ".join(str(v) for v in row.data.values())))

    def objects(factory, actors):
        return {name: MAKERS[name]() for name in names}

    return objects


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(app, factory, row):
    check_row(app, factory, row, objects_for(row))
