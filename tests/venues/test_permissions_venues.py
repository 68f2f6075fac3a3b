"""The permission matrix of the venue pages: every route × every kind of user (tests/matrix.py).

venue_a: a Trấn Biên venue closed to outside requests; venue_open: one open to the province's other
communes (officer_b of Long Thành may see and book it, not manage it). The youth union organiser and
the trainer hold Đồng Nai grants: they request bookings of every venue of the province (issue 22),
never manage, approve or list a commune's bookings."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from campaign.extensions import db
from campaign.venues import services
from campaign.venues.models import Closure
from tests.conftest import TRAN_BIEN
from tests.matrix import Row, check_row, ok
from tests.venues.conftest import ALL_DAY, at, next_weekday

BOOKERS = ok("admin", "coord", "coord_kh", "officer_a", "officer_b", "youth", "trainer")
DONG_NAI_BOOKERS = ok("admin", "coord", "officer_a", "officer_b", "youth", "trainer")
MANAGERS_A = ok("admin", "coord", "officer_a")
REQUESTERS_A = ok("admin", "coord", "officer_a", "youth", "trainer")  # venue_a: its commune's scope
REDIRECT_A = {a: 302 for a in MANAGERS_A}
DAY = next_weekday(2).isoformat()
BOOK = {"day": DAY, "start": "18:00", "end": "17:00", "purpose": "x", "expected_attendance": "1"}  # refused: 200
WEEKLY = {"first": DAY, "until": DAY, "start": "18:00", "end": "20:00", "purpose": "x", "expected_attendance": "1",
          "preview": "1"}

ROWS = [
    Row("GET", "/venues/", {**ok("admin", "coord", "coord_kh", "youth", "trainer"), "officer_a": 302, "officer_b": 302}),
    Row("GET", "/venues/search", BOOKERS),
    Row("GET", f"/venues/search?commune={TRAN_BIEN}&day={DAY}&start=09:00&end=10:00", BOOKERS),
    Row("GET", "/venues/bookings/mine", BOOKERS),
    Row("GET", f"/venues/communes/{TRAN_BIEN}", DONG_NAI_BOOKERS),
    Row("GET", f"/venues/communes/{TRAN_BIEN}/bookings", MANAGERS_A),
    Row("GET", f"/venues/communes/{TRAN_BIEN}/new", MANAGERS_A),
    Row("POST", f"/venues/communes/{TRAN_BIEN}/new", MANAGERS_A, data={"name": ""}),
    Row("GET", "/venues/{venue_a}", REQUESTERS_A),
    Row("GET", "/venues/{venue_open}", DONG_NAI_BOOKERS),
    Row("GET", "/venues/{venue_a}/edit", MANAGERS_A),
    Row("POST", "/venues/{venue_a}/edit", MANAGERS_A, data={"name": ""}),
    Row("GET", "/venues/{venue_open}/edit", MANAGERS_A),
    Row("GET", "/venues/{venue_a}/week", REQUESTERS_A),
    Row("GET", "/venues/{venue_open}/week", DONG_NAI_BOOKERS),
    Row("GET", "/venues/{venue_a}/book", REQUESTERS_A),
    Row("POST", "/venues/{venue_a}/book", REQUESTERS_A, data=BOOK),
    Row("GET", "/venues/{venue_open}/book", DONG_NAI_BOOKERS),
    Row("POST", "/venues/{venue_open}/book", DONG_NAI_BOOKERS, data=BOOK),
    Row("GET", "/venues/{venue_a}/book/weekly", REQUESTERS_A),
    Row("POST", "/venues/{venue_a}/book/weekly", REQUESTERS_A, data=WEEKLY),
    Row("POST", "/venues/{venue_open}/book/weekly", DONG_NAI_BOOKERS, data=WEEKLY),
    Row("POST", "/venues/{venue_a}/photos", REDIRECT_A),
    Row("GET", "/venues/photos/{photo_a}/thumb.jpg", REQUESTERS_A),
    Row("GET", "/venues/photos/{photo_open}/full.jpg", DONG_NAI_BOOKERS),
    Row("POST", "/venues/photos/{photo_a}/delete", REDIRECT_A),
    Row("GET", "/venues/{venue_a}/closures/new", MANAGERS_A),
    Row("POST", "/venues/{venue_a}/closures/new", MANAGERS_A, data={"reason": ""}),
    Row("GET", "/venues/{venue_open}/closures/new", MANAGERS_A),
    Row("POST", "/venues/closures/{closure_a}/delete", REDIRECT_A),
    Row("GET", "/venues/bookings/{booking_a}", MANAGERS_A),
    Row("GET", "/venues/bookings/{booking_open}", MANAGERS_A),
    Row("POST", "/venues/bookings/{booking_a}/approve", REDIRECT_A),
    Row("POST", "/venues/bookings/{booking_a}/reject", REDIRECT_A, data={"reason": "Trùng lịch"}),
    Row("POST", "/venues/bookings/{booking_a}/cancel", REDIRECT_A),
    Row("POST", "/venues/bookings/{booking_open}/cancel", REDIRECT_A),
]


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "VENUE_UPLOAD_DIR", str(tmp_path))


def _png() -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buf, "PNG")
    buf.seek(0)
    return buf


def objects(factory, actors):
    from campaign.core.text import fold
    from campaign.venues.models import Booking, Venue, VenueHours

    requester = factory.user("commune_officer", commune=TRAN_BIEN)
    values = {}
    for key, outside in (("a", False), ("open", True)):
        name = f"Nhà văn hóa {key} {requester.id}"
        venue = Venue(commune_code=TRAN_BIEN, name=name, search_name=fold(name), capacity=50, allow_outside=outside)
        venue.hours = [VenueHours(weekday=d, opens_minute=a, closes_minute=b) for d, (a, b) in ALL_DAY.items()]
        db.session.add(venue)
        db.session.flush()
        photo = services.add_photo(None, venue, _png())
        day = next_weekday(2)
        booking = Booking(venue_id=venue.id, requester_id=requester.id, starts_at=at(day, 9), ends_at=at(day, 11),
                          purpose="Lớp học", expected_attendance=10)
        closure = Closure(venue_id=venue.id, starts_at=at(day, 13), ends_at=at(day, 14), reason="Sửa điện")
        db.session.add_all([booking, closure])
        db.session.flush()
        values.update({f"venue_{key}": venue.id, f"photo_{key}": photo.id, f"booking_{key}": booking.id,
                       f"closure_{key}": closure.id})
    db.session.commit()
    return values


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(app, factory, row):
    check_row(app, factory, row, objects)


def test_the_requester_sees_and_cancels_their_own_booking(app, factory, login_as):
    values = objects(factory, {})
    booking_id = values["booking_a"]
    from campaign.venues.models import Booking

    requester = db.session.get(Booking, booking_id).requester
    client = login_as(requester)
    assert client.get(f"/venues/bookings/{booking_id}").status_code == 200
    assert client.post(f"/venues/bookings/{booking_id}/cancel").status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, booking_id).status == "cancelled"
