"""Issue 22: a booking clash offers a way on (3); trainers and youth union organisers request
bookings in their scope, decided by the venue's managers (4)."""

from __future__ import annotations

from sqlalchemy import select

from campaign.extensions import db
from campaign.venues.models import APPROVED, PENDING, Booking
from tests.conftest import DONG_NAI, LONG_THANH, TRAN_BIEN
from tests.venues.conftest import at, next_weekday


def _request(client, venue, day, start="18:00", end="20:00", attendance="30"):
    return client.post(f"/venues/{venue.id}/book", data={
        "day": day.isoformat(), "start": start, "end": end, "purpose": "Lớp kỹ năng số",
        "expected_attendance": attendance})


def test_a_clash_shows_the_week_and_the_free_venues_of_the_commune(make_venue, make_booking, login_as, factory):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    taken = make_venue(name="Nhà văn hóa ấp 1", needs_approval=False)
    free = make_venue(name="Hội trường UBND", capacity=100)
    small = make_venue(name="Phòng họp nhỏ", capacity=10)
    busy = make_venue(name="Nhà văn hóa ấp 3")
    day = next_weekday(2)
    make_booking(taken, requester=officer, starts_at=at(day, 17), hours=2, status=APPROVED)
    make_booking(busy, requester=officer, starts_at=at(day, 19), hours=2, status=APPROVED)
    client = login_as(officer)
    resp = _request(client, taken, day)
    assert resp.status_code == 200 and "Địa điểm đã có lịch từ" in resp.text
    week = f"/venues/{taken.id}/week?start="
    assert week in resp.text
    book_free = f"/venues/{free.id}/book?day={day.isoformat()}&amp;start=18:00&amp;end=20:00"
    assert book_free in resp.text
    assert f"/venues/{small.id}/book" not in resp.text  # too small for 30 people
    assert f"/venues/{busy.id}/book" not in resp.text  # taken too
    # the one tap: the form comes filled in, and the request goes through
    page = client.get(book_free.replace("&amp;", "&")).text
    assert f'value="{day:%d/%m/%Y}"' in page and 'value="18:00"' in page
    assert _request(client, free, day).status_code == 302
    # a refusal for another reason (the end before the start) offers no way out
    assert "/week?start=" not in _request(client, free, day, start="20:00", end="18:00").text


def test_a_clash_with_no_free_venue_says_so(make_venue, make_booking, login_as, factory):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    taken = make_venue(name="Nhà văn hóa duy nhất")
    day = next_weekday(3)
    make_booking(taken, requester=officer, starts_at=at(day, 18), hours=1, status=APPROVED)
    text = _request(login_as(officer), taken, day).text
    assert "Không còn địa điểm nào khác của xã trống" in text and "/venues/search?commune=" in text


def test_trainers_and_youth_organisers_request_bookings_the_managers_decide(make_venue, login_as, factory):
    manager = factory.user("commune_officer", commune=TRAN_BIEN)
    venue = make_venue(name="Nhà văn hóa khu phố 2", managers=[manager])
    day = next_weekday(4)
    for role, grant in (("trainer", {"commune": TRAN_BIEN}), ("youth_organiser", {"province": DONG_NAI})):
        user = factory.user(role, **grant)
        client = login_as(user)
        assert client.get("/venues/").status_code in (200, 302)
        assert "Địa điểm" in client.get("/", follow_redirects=True).text  # the menu entry
        assert _request(client, venue, day, start="08:00" if role == "trainer" else "13:00",
                        end="10:00" if role == "trainer" else "15:00").status_code == 302
        booking = db.session.scalar(select(Booking).where(Booking.requester_id == user.id))
        assert booking.status == PENDING
        assert client.post(f"/venues/bookings/{booking.id}/approve").status_code == 403  # never their own decision
        assert client.get(f"/venues/communes/{TRAN_BIEN}/bookings").status_code == 403
        assert client.get(f"/venues/{venue.id}/edit").status_code == 403
        assert login_as(manager).post(f"/venues/bookings/{booking.id}/approve").status_code == 302
        db.session.expire_all()
        assert db.session.get(Booking, booking.id).status == APPROVED
        assert "Nhà văn hóa khu phố 2" in client.get("/venues/bookings/mine").text


def test_a_trainer_of_one_commune_books_elsewhere_only_open_venues(make_venue, login_as, factory):
    trainer = login_as(factory.user("trainer", commune=TRAN_BIEN))
    closed = make_venue(commune=LONG_THANH, name="Hội trường Long Thành")
    opened = make_venue(commune=LONG_THANH, name="Nhà văn hóa mở", allow_outside=True)
    assert trainer.get(f"/venues/{closed.id}/book").status_code == 403
    assert trainer.get(f"/venues/{opened.id}/book").status_code == 200
    assert factory.user("volunteer") and login_as(factory.user("volunteer")).get("/venues/").status_code == 403
