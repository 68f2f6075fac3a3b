from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from campaign.calendars import sources
from campaign.calendars.ical import FeedItem
from campaign.calendars.models import FeedToken
from campaign.extensions import db
from tests.calendars.parsers import check_bytes, icalendar_errors

LM = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def shift_source(monkeypatch):
    """A stand-in source until the shifts feature feeds this scope; records who asked."""
    asked = []

    def my_shifts(user, start, end):
        asked.append((user.id, start, end))
        first = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
        return [FeedItem(uid=f"shift-{user.id}@test", summary="Ca tình nguyện", start=first,
                         end=first + timedelta(hours=3), last_modified=LM)]

    monkeypatch.setitem(sources.PRIVATE, "my_shifts", my_shifts)
    return asked


def create_link(client, scope="my_shifts") -> str:
    resp = client.post("/calendars/", data={"scope": scope, "action": "issue"})
    assert resp.status_code == 200
    text = resp.text
    start = text.index("/calendars/private/")
    return text[start:text.index(".ics", start) + 4]


def test_link_is_shown_once_stored_hashed_and_serves_the_feed(login_as, factory, client, shift_source):
    volunteer = factory.user("volunteer")
    path = create_link(login_as(volunteer))
    secret = path.split("/")[-1][:-4]
    assert len(secret) >= 43  # 32 random bytes, base64url
    token = db.session.scalar(select(FeedToken))
    assert secret not in token.secret_hash and len(token.secret_hash) == 64
    page = login_as(volunteer).get("/calendars/")
    assert secret not in page.text  # shown only once
    resp = client.get(path)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/calendar; charset=utf-8"
    check_bytes(resp.data)
    assert icalendar_errors(resp.data) == []
    assert b"Ca t\xc3\xacnh nguy\xe1\xbb\x87n" in resp.data
    start, end = shift_source[0][1:]
    assert timedelta(days=59) < datetime.now(UTC) - start < timedelta(days=61)
    assert timedelta(days=364) < end - datetime.now(UTC) < timedelta(days=366)


def test_etag_last_modified_304_and_head(login_as, factory, client, shift_source):
    path = create_link(login_as(factory.user("volunteer")))
    first = client.get(path)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["Last-Modified"] == "Sun, 01 Nov 2026 03:00:00 GMT"
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": "Sun, 01 Nov 2026 03:00:00 GMT"}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    head = client.head(path)
    assert head.status_code == 200 and head.data == b"" and head.headers["ETag"] == etag
    assert client.get(path).data == first.data  # byte-stable


def test_reset_stops_the_old_link_and_revoke_stops_all(login_as, factory, client, shift_source):
    volunteer = factory.user("volunteer")
    old = create_link(login_as(volunteer))
    new = create_link(login_as(volunteer))
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    login_as(volunteer).post("/calendars/", data={"scope": "my_shifts", "action": "revoke"})
    assert client.get(new).status_code == 404


def test_a_deactivated_user_s_link_stops(login_as, factory, client, shift_source):
    volunteer = factory.user("volunteer")
    path = create_link(login_as(volunteer))
    volunteer.active = False
    db.session.commit()
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/calendars/private/nope.ics", "/calendars/private/" + "x" * 500 + ".ics"])
def test_unknown_links_are_404(client, path):
    assert client.get(path).status_code == 404


def test_a_user_cannot_ask_for_a_feed_outside_their_roles(login_as, factory, shift_source):
    officer = factory.user("commune_officer")
    resp = login_as(officer).post("/calendars/", data={"scope": "my_shifts", "action": "issue"})
    assert resp.status_code == 400


def test_public_feed_cache_follows_every_change(client, calendar_world):
    """The cached bytes of a public feed are served only while its rows are unchanged."""
    from campaign.calendars.http import feed_cache
    from campaign.events import services as ev

    feed_cache.clear()
    path = "/calendars/communes/26041.ics"
    first = client.get(path)
    etag = first.headers["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    occ = calendar_world["occurrences"][4]  # an occurrence of the series: it changes the series' rendering
    ev.update_event(calendar_world["officer"], occ, place="Sân bóng khu phố 3")
    db.session.commit()
    second = client.get(path, headers={"If-None-Match": etag})
    assert second.status_code == 200 and "Sân bóng khu phố 3".encode() in second.data
    ev.cancel_event(calendar_world["officer"], calendar_world["workshop"])
    db.session.commit()
    third = client.get(path, headers={"If-None-Match": second.headers["ETag"]})
    assert third.status_code == 200 and third.data != second.data
