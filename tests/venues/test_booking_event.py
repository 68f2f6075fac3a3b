"""A booking may be for one of the requester's events or classes in the venue's commune."""

from datetime import timedelta

from sqlalchemy import select

from campaign.events import services as ev
from campaign.extensions import db
from campaign.venues.models import Booking
from tests.conftest import DONG_NAI, LONG_THANH, TRAN_BIEN
from tests.venues.conftest import at, next_weekday


def test_an_officer_books_a_venue_for_their_event(login_as, factory, make_venue):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    venue = make_venue(needs_approval=False)
    day = next_weekday(2)
    mine = ev.create_event(officer, province_code=DONG_NAI, commune_code=TRAN_BIEN, kind="workshop",
                           status="published", title="Hội thảo chữ ký số", starts_at=at(day, 8),
                           ends_at=at(day, 11))
    other = factory.user("commune_officer", commune=LONG_THANH)
    theirs = ev.create_event(other, province_code=DONG_NAI, commune_code=LONG_THANH, kind="talk", status="published",
                             title="Tọa đàm Long Thành", starts_at=at(day, 8), ends_at=at(day, 11))
    db.session.commit()
    client = login_as(officer)
    page = client.get(f"/venues/{venue.id}/book").text
    assert "Hội thảo chữ ký số" in page and "Tọa đàm Long Thành" not in page
    data = {"day": day.isoformat(), "start": "08:00", "end": "11:00", "purpose": "Hội thảo",
            "expected_attendance": "40"}
    refused = client.post(f"/venues/{venue.id}/book", data=dict(data, event_id=str(theirs.id)))
    assert refused.status_code == 200 and "Chọn một sự kiện của bạn" in refused.text
    assert db.session.scalar(select(Booking)) is None
    resp = client.post(f"/venues/{venue.id}/book", data=dict(data, event_id=str(mine.id)))
    assert resp.status_code == 302
    booking = db.session.scalar(select(Booking))
    assert booking.event_id == mine.id and booking.status == "approved"
    assert "Hội thảo chữ ký số" in client.get(resp.location).text
    # the event going away leaves the booking, without its link
    assert booking.starts_at - mine.starts_at == timedelta(0)
