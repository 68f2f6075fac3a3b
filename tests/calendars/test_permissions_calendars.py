"""Who may use the calendar routes: public feeds and their pages are open; the private-link page
needs a login; a private feed answers only to its secret (tested in test_private_feeds)."""

import itertools

import pytest

from tests.conftest import TRAN_BIEN
from tests.matrix import ACTORS, EVERY_USER, Row, check_row, ok

_seq = itertools.count(1)

ROWS = [
    Row("GET", "/calendars/", EVERY_USER),
    Row("POST", "/calendars/", {a: 400 for a in EVERY_USER}, data={"scope": "nope", "action": "issue"}),
    Row("GET", f"/calendars/communes/{TRAN_BIEN}.ics", ok(*ACTORS), public=True),
    Row("GET", f"/calendars/communes/{TRAN_BIEN}", ok(*ACTORS), public=True),
    Row("GET", "/calendars/campaigns/{campaign}.ics", ok(*ACTORS), public=True),
    Row("GET", "/calendars/campaigns/{campaign}", ok(*ACTORS), public=True),
    Row("GET", "/calendars/events/{event}.ics", ok(*ACTORS), public=True),
    Row("GET", "/calendars/events/{draft}.ics", {a: 404 for a in ACTORS}, public=False),
    Row("GET", "/calendars/venues/{venue}.ics", ok(*ACTORS), public=True),
    Row("GET", "/calendars/venues/{venue}", ok(*ACTORS), public=True),
    Row("GET", "/calendars/private/not-a-secret.ics", {a: 404 for a in ACTORS}),
]


def objects(factory, actors):
    from datetime import UTC, date, datetime, timedelta

    from campaign.campaigns.models import Campaign
    from campaign.core.text import fold
    from campaign.events.models import Event
    from campaign.extensions import db
    from campaign.venues.models import Venue

    n = next(_seq)
    campaign = Campaign(province_code=75, name="Thử", slug=f"thu-{n}",
                        starts_on=date.today(), ends_on=date.today() + timedelta(days=30))
    start = datetime.now(UTC) + timedelta(days=2)
    event = Event(province_code=75, commune_code=TRAN_BIEN, title="Hội thảo", search_title="hoi thao",
                  kind="workshop", status="published", starts_at=start, ends_at=start + timedelta(hours=2))
    draft = Event(province_code=75, commune_code=TRAN_BIEN, title="Nháp", search_title="nhap", kind="other",
                  status="draft", starts_at=start, ends_at=start + timedelta(hours=1))
    venue = Venue(commune_code=TRAN_BIEN, name=f"Nhà văn hóa {n}", search_name=fold(f"Nhà văn hóa {n}"), capacity=50)
    db.session.add_all([campaign, event, draft, venue])
    db.session.commit()
    return {"campaign": campaign.slug, "event": event.id, "draft": draft.id, "venue": venue.id}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(app, factory, row):
    check_row(app, factory, row, objects)
