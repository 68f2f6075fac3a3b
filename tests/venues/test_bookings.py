"""Booking rules and operations: notice, hours, duration, capacity, holidays, closures, approval,
collisions, scope, recurrence."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from campaign.core.models import AuditLog, Notification
from campaign.core.services import DomainError
from campaign.core.timeutil import local_today, week_start
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.venues import services
from campaign.venues.models import APPROVED, CANCELLED, PENDING, REJECTED, Booking, Closure
from tests.conftest import LONG_THANH, TRAN_BIEN
from tests.venues.conftest import at, next_weekday


@pytest.fixture
def officer(factory):
    return factory.user("commune_officer", commune=TRAN_BIEN, full_name="Trần Thị Bích")


@pytest.fixture
def manager(factory):
    return factory.user("commune_officer", commune=TRAN_BIEN, full_name="Nguyễn Văn Quản")


@pytest.fixture
def venue(make_venue, manager):
    return make_venue(name="Nhà văn hóa Khu phố 1", capacity=60, managers=[manager],
                      hours={d: (7 * 60, 21 * 60) for d in range(6)})  # closed on Sunday


def request(officer, venue, day=None, start=18, end=20, people=30, **kw):
    day = day or next_weekday(1)
    return services.request_booking(officer, venue, starts_at=at(day, start), ends_at=at(day, end),
                                    purpose=kw.pop("purpose", "Lớp kỹ năng số"), expected_attendance=people, **kw)


def messages(venue, day, start, end, people=10, now=None):
    return " ".join(m for _f, m in services.rule_problems(venue, at(day, start), at(day, end), people, now))


# --- rules ------------------------------------------------------------------------------------

def test_a_request_within_the_rules_is_pending_and_tells_the_managers(officer, manager, venue):
    booking = request(officer, venue)
    db.session.commit()
    assert booking.status == PENDING
    note = db.session.scalar(select(Notification).where(Notification.user_id == manager.id))
    assert "Nhà văn hóa Khu phố 1" in note.subject
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.object_type == "bookings")) == "booking.requested"


def test_minimum_notice(venue):
    now = utcnow()
    tomorrow_morning = (now + timedelta(hours=10))
    problems = services.rule_problems(venue, tomorrow_morning, tomorrow_morning + timedelta(hours=1), 10, now)
    assert any("24" in m and "trước" in m for _f, m in problems), problems
    later = services.rule_problems(venue, at(next_weekday(2), 9), at(next_weekday(2), 10), 10, now)
    assert later == []


def test_hours_and_closed_weekdays(venue):
    tuesday, sunday = next_weekday(1), next_weekday(6)
    assert "ngoài giờ" in messages(venue, tuesday, 6, 8).lower()
    assert "ngoài giờ" in messages(venue, tuesday, 20, 22).lower()
    assert messages(venue, tuesday, 7, 9) == ""
    assert "đóng cửa vào thứ này" in messages(venue, sunday, 9, 10)


def test_maximum_duration_and_capacity(venue):
    day = next_weekday(3)
    assert "tối đa 8 giờ" in messages(venue, day, 7, 16)
    assert "sức chứa" in messages(venue, day, 8, 10, people=61) or "chứa được 60" in messages(venue, day, 8, 10, 61)
    assert messages(venue, day, 8, 10, people=60) == ""


def test_end_before_start_is_refused_with_a_message(officer, venue):
    day = next_weekday(1)
    with pytest.raises(DomainError) as err:
        services.request_booking(officer, venue, starts_at=at(day, 18), ends_at=at(day, 17), purpose="x",
                                 expected_attendance=1)
    assert "sau giờ bắt đầu" in err.value.message


def test_public_holidays_are_closed(venue):
    # National Day, 2 September, every year.
    year = date.today().year + 1
    day = date(year, 9, 2)
    text = messages(venue, day, 9, 11)
    assert "ngày lễ" in text
    assert services.holiday_name(day)


def test_custom_closure_blocks_requests(officer, venue):
    day = next_weekday(1)
    db.session.add(Closure(venue_id=venue.id, starts_at=at(day, 0), ends_at=at(day + timedelta(days=1), 0),
                           reason="Sửa mái"))
    db.session.commit()
    with pytest.raises(DomainError) as err:
        request(officer, venue, day)
    assert "Sửa mái" in err.value.message


# --- approval ---------------------------------------------------------------------------------

def test_approve_rejects_colliding_pending_requests_with_a_notice(factory, officer, manager, venue):
    other = factory.user("commune_officer", commune=TRAN_BIEN)
    mine = request(officer, venue, start=18, end=20)
    theirs = request(other, venue, start=19, end=21)
    later = request(other, venue, start=9, end=11)
    db.session.commit()
    losers = services.approve(manager, mine)
    db.session.commit()
    assert [b.id for b in losers] == [theirs.id]
    assert (mine.status, theirs.status, later.status) == (APPROVED, REJECTED, PENDING)
    assert "đã được duyệt" in theirs.reason
    notes = db.session.scalars(select(Notification.subject).where(Notification.user_id == other.id)).all()
    assert any("từ chối" in s for s in notes)
    assert db.session.scalar(select(Notification.subject).where(Notification.user_id == officer.id)).startswith(
        "Đã duyệt")
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"booking.approved", "booking.rejected_by_collision"} <= actions


def test_pending_requests_colliding_with_approved_ones_are_flagged(make_booking, officer, manager, venue, login_as):
    day = next_weekday(1)
    approved = make_booking(venue, officer, starts_at=at(day, 18), status=APPROVED)
    flagged = make_booking(venue, officer, starts_at=at(day, 19), purpose="Trùng giờ")
    make_booking(venue, officer, starts_at=at(day, 9), purpose="Không trùng")
    rows = dict(db.session.execute(select(Booking.purpose, services.collides_with_approved())).all())
    assert rows == {approved.purpose: False, "Trùng giờ": True, "Không trùng": False}
    page = login_as(manager).get(f"/venues/communes/{TRAN_BIEN}/bookings")
    assert page.text.count("Trùng với một lịch đã duyệt") == 1
    detail = login_as(manager).get(f"/venues/bookings/{flagged.id}")
    assert "trùng với một lịch đã duyệt" in detail.text
    with pytest.raises(DomainError):
        services.approve(manager, flagged)


def test_approve_is_refused_when_it_would_double_book(make_booking, officer, manager, venue):
    day = next_weekday(1)
    make_booking(venue, officer, starts_at=at(day, 18), status=APPROVED)
    pending = make_booking(venue, officer, starts_at=at(day, 18, 30))
    with pytest.raises(DomainError) as err:
        services.approve(manager, pending)
    assert "đã có lịch" in err.value.message
    db.session.rollback()
    # Back to back is fine: the ranges are half-open.
    touching = make_booking(venue, officer, starts_at=at(day, 20))
    services.approve(manager, touching)
    db.session.commit()
    assert touching.status == APPROVED


def test_the_database_itself_refuses_a_double_booking(is_postgres, make_booking, officer, venue):
    """On PostgreSQL the exclusion constraint refuses overlapping approved bookings even when the
    services are bypassed; the violation is turned into a clear message."""
    if not is_postgres:
        pytest.skip("the exclusion constraint exists on PostgreSQL; SQLite relies on the write lock")
    day = next_weekday(1)
    make_booking(venue, officer, starts_at=at(day, 18), status=APPROVED)
    second = make_booking(venue, officer, starts_at=at(day, 19))
    second.status = APPROVED
    with pytest.raises(DomainError) as err:
        services.save_approved(second)
    assert "đã có lịch được duyệt" in err.value.message
    db.session.rollback()
    make_booking(venue, officer, starts_at=at(day, 20), status=APPROVED)  # touching: allowed


def test_reject_needs_a_reason_and_cancel_by_requester(officer, manager, venue, factory):
    booking = request(officer, venue)
    db.session.commit()
    with pytest.raises(DomainError):
        services.reject(manager, booking, "  ")
    db.session.rollback()
    stranger = factory.user("commune_officer", commune=LONG_THANH)
    with pytest.raises(DomainError):
        services.cancel(stranger, booking)
    with pytest.raises(DomainError):
        services.approve(stranger, booking)
    services.cancel(officer, booking)
    db.session.commit()
    assert booking.status == CANCELLED
    with pytest.raises(DomainError):
        services.approve(manager, booking)


def test_venue_without_approval_books_at_once(make_venue, officer):
    venue = make_venue(needs_approval=False)
    booking = request(officer, venue)
    db.session.commit()
    assert booking.status == APPROVED


# --- scope ------------------------------------------------------------------------------------

def test_an_officer_books_only_in_their_commune_unless_the_venue_allows_outside(factory, make_venue, login_as):
    outsider = factory.user("commune_officer", commune=LONG_THANH)
    closed = make_venue(name="Nhà văn hóa riêng")
    open_ = make_venue(name="Hội trường mở", allow_outside=True)
    with pytest.raises(DomainError) as err:
        request(outsider, closed)
    assert "xã/phường của mình" in err.value.message
    assert request(outsider, open_).status == PENDING
    db.session.commit()
    client = login_as(outsider)
    assert client.get(f"/venues/{closed.id}/book").status_code == 403
    assert client.get(f"/venues/{open_.id}/book").status_code == 200
    listing = client.get(f"/venues/communes/{TRAN_BIEN}").text
    assert "Hội trường mở" in listing and "Nhà văn hóa riêng" not in listing
    # the outsider cannot decide on requests for the venue
    assert not services.can_approve(outsider, open_)


def test_venue_managers_approve_even_from_another_commune(factory, make_venue, officer):
    outside_manager = factory.user("commune_officer", commune=LONG_THANH)
    venue = make_venue(managers=[outside_manager])
    booking = request(officer, venue)
    services.approve(outside_manager, booking)
    assert booking.status == APPROVED


# --- views: bad input never gives a 500 -------------------------------------------------------

@pytest.mark.parametrize("data, text", [
    ({"start": "18:00", "end": "17:00"}, "sau giờ bắt đầu"),
    ({"day": "32/13/2026"}, "Nhập ngày, ví dụ 31/12/2026."),
    ({"start": "25:61"}, "Nhập giờ, ví dụ 08:30."),
    ({"expected_attendance": "ba mươi"}, "Nhập một số nguyên"),
    ({"expected_attendance": "-3"}, "không được âm"),
    ({"expected_attendance": "500"}, "chứa được 60"),
    ({"start": "05:00"}, "Ngoài giờ"),
    ({"purpose": ""}, "dùng địa điểm để làm gì"),
])
def test_bad_booking_input_gets_a_clear_message(login_as, officer, venue, data, text):
    form = {"day": next_weekday(1).isoformat(), "start": "18:00", "end": "20:00", "purpose": "Lớp học",
            "expected_attendance": "20", **data}
    resp = login_as(officer).post(f"/venues/{venue.id}/book", data=form)
    assert resp.status_code == 200
    assert text in resp.text, resp.text[resp.text.find("alert"):][:600]
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_booking_through_the_pages_then_approving(login_as, officer, manager, venue):
    day = next_weekday(1)
    resp = login_as(officer).post(f"/venues/{venue.id}/book", data={
        "day": day.isoformat(), "start": "18:00", "end": "20:00", "purpose": "Lớp AI cho người dân",
        "expected_attendance": "30"})
    assert resp.status_code == 302
    booking = db.session.scalar(select(Booking))
    assert booking.starts_at == at(day, 18)
    assert login_as(officer).post(f"/venues/bookings/{booking.id}/approve").status_code == 302
    db.session.refresh(booking)
    assert booking.status == APPROVED  # a commune officer may approve too
    resp = login_as(manager).post(f"/venues/bookings/{booking.id}/cancel", data={"reason": "Mất điện"})
    db.session.refresh(booking)
    assert booking.status == CANCELLED and booking.reason == "Mất điện"


def test_reject_through_the_page_needs_a_reason(login_as, officer, manager, venue):
    booking = request(officer, venue)
    db.session.commit()
    resp = login_as(manager).post(f"/venues/bookings/{booking.id}/reject", data={"reason": ""},
                                  follow_redirects=True)
    assert "lý do" in resp.text
    db.session.refresh(booking)
    assert booking.status == PENDING
    login_as(manager).post(f"/venues/bookings/{booking.id}/reject", data={"reason": "Trùng lịch họp"})
    db.session.refresh(booking)
    assert booking.status == REJECTED and booking.reason == "Trùng lịch họp"


# --- recurrence -------------------------------------------------------------------------------

def test_weekly_preview_lists_each_occurrence_with_its_conflicts(officer, venue, make_booking):
    first = next_weekday(1)
    make_booking(venue, officer, starts_at=at(first + timedelta(weeks=1), 17), status=APPROVED,
                 purpose="Họp chi bộ")
    db.session.add(Closure(venue_id=venue.id, starts_at=at(first + timedelta(weeks=3), 0),
                           ends_at=at(first + timedelta(weeks=3), 23), reason="Sơn lại hội trường"))
    db.session.commit()
    occurrences = services.preview_series(officer, venue, first=first, until=first + timedelta(weeks=4),
                                          start=time(18), end=time(20), attendance=30)
    assert [o.day for o in occurrences] == [first + timedelta(weeks=i) for i in range(5)]
    assert [o.ok for o in occurrences] == [True, False, True, False, True]
    assert "Họp chi bộ" in occurrences[1].problems[0]
    assert "Sơn lại hội trường" in occurrences[3].problems[0]


def test_weekly_booking_skips_conflicts_only_when_asked(officer, venue, make_booking, manager):
    first = next_weekday(1)
    make_booking(venue, officer, starts_at=at(first + timedelta(weeks=2), 18), status=APPROVED)
    args = dict(first=first, until=first + timedelta(weeks=4), start=time(18), end=time(20), attendance=30,
                purpose="Mùa hè số")
    with pytest.raises(DomainError) as err:
        services.create_series(officer, venue, skip_conflicts=False, **args)
    assert "1" in err.value.message and err.value.field == "skip_conflicts"
    db.session.rollback()
    series, bookings = services.create_series(officer, venue, skip_conflicts=True, **args)
    db.session.commit()
    assert len(bookings) == 4 and series.skipped == 1
    assert first + timedelta(weeks=2) not in [services.to_local(b.starts_at).date() for b in bookings]
    # one occurrence is cancelled alone
    services.cancel(officer, bookings[1])
    db.session.commit()
    statuses = db.session.scalars(select(Booking.status).where(Booking.series_id == series.id)
                                  .order_by(Booking.starts_at)).all()
    assert statuses == [PENDING, CANCELLED, PENDING, PENDING]


def test_weekly_bad_input(login_as, officer, venue):
    first = next_weekday(1)
    base = {"first": first.isoformat(), "until": (first + timedelta(weeks=3)).isoformat(), "start": "18:00",
            "end": "20:00", "purpose": "Lớp", "expected_attendance": "20", "preview": "1"}
    client = login_as(officer)
    resp = client.post(f"/venues/{venue.id}/book/weekly", data={**base, "until": (first - timedelta(days=1)).isoformat()})
    assert resp.status_code == 200 and "không được trước ngày đầu" in resp.text
    resp = client.post(f"/venues/{venue.id}/book/weekly", data={**base, "end": "17:00"})
    assert resp.status_code == 200 and "sau giờ bắt đầu" in resp.text
    resp = client.post(f"/venues/{venue.id}/book/weekly", data={**base, "until": (first + timedelta(weeks=80)).isoformat()})
    assert resp.status_code == 200 and "Tối đa 60" in resp.text
    resp = client.post(f"/venues/{venue.id}/book/weekly", data=base)
    assert resp.status_code == 200 and resp.text.count("Còn trống") == 4
    resp = client.post(f"/venues/{venue.id}/book/weekly", data={**base, "preview": "", "submit": "1"})
    assert resp.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 4


# --- closures over existing bookings ----------------------------------------------------------

def test_closure_over_bookings_asks_then_notifies_or_cancels(officer, manager, venue, make_booking, login_as):
    day = next_weekday(2)
    kept = make_booking(venue, officer, starts_at=at(day, 9), status=APPROVED)
    form = {"start_day": day.isoformat(), "start": "00:00", "end_day": day.isoformat(), "end": "23:59",
            "reason": "Sửa điện"}
    client = login_as(manager)
    resp = client.post(f"/venues/{venue.id}/closures/new", data=form)
    assert resp.status_code == 200
    assert "thông báo hay hủy" in resp.text and kept.purpose in resp.text
    assert db.session.scalar(select(func.count()).select_from(Closure)) == 0
    resp = client.post(f"/venues/{venue.id}/closures/new", data={**form, "on_conflict": "notify"})
    assert resp.status_code == 302
    db.session.refresh(kept)
    assert kept.status == APPROVED
    assert db.session.scalar(select(Notification.subject).where(Notification.user_id == officer.id)).startswith(
        "Lịch đóng cửa")

    day2 = next_weekday(3)
    gone = make_booking(venue, officer, starts_at=at(day2, 9))
    services.add_closure(manager, venue, starts_at=at(day2, 0), ends_at=at(day2, 23), reason="Bầu cử",
                         on_conflict="cancel")
    db.session.commit()
    db.session.refresh(gone)
    assert gone.status == CANCELLED and "Bầu cử" in gone.reason


def test_closure_without_bookings_needs_no_choice(manager, venue):
    day = next_weekday(4)
    closure, affected = services.add_closure(manager, venue, starts_at=at(day, 0), ends_at=at(day, 23),
                                             reason="Tổng vệ sinh")
    assert affected == [] and closure.id


# --- finding ----------------------------------------------------------------------------------

def test_search_free_venues(factory, make_venue, make_booking, officer):
    day = next_weekday(3)
    small = make_venue(name="Phòng nhỏ", capacity=20)
    big = make_venue(name="Hội trường lớn", capacity=200, equipment={"projector": 2, "speakers": 4})
    booked = make_venue(name="Đã kín", capacity=200, equipment={"projector": 1})
    make_booking(booked, officer, starts_at=at(day, 8), hours=3, status=APPROVED)
    make_venue(name="Xã khác", commune=LONG_THANH, capacity=200, equipment={"projector": 1})
    make_venue(name="Xã khác mở", commune=LONG_THANH, capacity=200, allow_outside=True, equipment={"projector": 1})

    def names(commune, capacity=None, equipment=None, user=officer):
        return [v.name for v in services.search_free(user, commune, at(day, 9), at(day, 11), capacity, equipment)]

    assert names(TRAN_BIEN) == ["Hội trường lớn", "Phòng nhỏ"]
    assert names(TRAN_BIEN, capacity=50) == ["Hội trường lớn"]
    assert names(TRAN_BIEN, equipment=["speakers"]) == ["Hội trường lớn"]
    assert names(TRAN_BIEN, equipment=["computers"]) == []
    assert names(LONG_THANH) == ["Xã khác mở"]
    assert small and big


def test_week_view_shows_bookings_closures_and_holidays(login_as, officer, venue, make_booking):
    year = date.today().year + 1
    monday = week_start(date(year, 9, 2))
    make_booking(venue, officer, starts_at=at(monday, 18), status=APPROVED, purpose="Lớp tối thứ Hai")
    resp = login_as(officer).get(f"/venues/{venue.id}/week?start={year}-09-02")
    assert resp.status_code == 200
    assert "Lớp tối thứ Hai" in resp.text and "Ngày lễ" in resp.text
    assert monday.strftime("%d/%m/%Y") in resp.text
    assert (monday + timedelta(days=6)).strftime("%d/%m/%Y") in resp.text
    assert 'media="print"' in resp.text or "css/venues.css" in resp.text


def test_bad_dates_in_urls_do_not_break(login_as, officer, venue):
    client = login_as(officer)
    assert client.get(f"/venues/{venue.id}/week?start=2026-99-99").status_code == 200
    assert client.get(f"/venues/search?commune={TRAN_BIEN}&day=abc&start=xx&end=10:00").status_code == 200
    assert client.get(f"/venues/search?commune={TRAN_BIEN}&day=2027-01-05&start=10:00&end=09:00").status_code == 200
    assert client.get(f"/venues/{venue.id}/book?day=zz&start=99:99").status_code == 200


def test_now_is_aware():
    assert services.utcnow().tzinfo is not None and isinstance(local_today(), date)
    assert datetime.now().year >= 2026


def test_search_respects_notice_hours_and_holidays(make_venue, officer):
    venue = make_venue(name="Hội trường", hours={d: (7 * 60, 17 * 60) for d in range(5)})
    day = next_weekday(2)

    def found(starts_at, ends_at):
        return [v.id for v in services.search_free(officer, TRAN_BIEN, starts_at, ends_at)]

    assert found(at(day, 8), at(day, 10)) == [venue.id]
    assert found(at(day, 18), at(day, 20)) == []  # after hours
    assert found(at(next_weekday(6), 8), at(next_weekday(6), 10)) == []  # closed on Sunday
    soon = utcnow() + timedelta(hours=2)
    assert found(soon, soon + timedelta(hours=1)) == []  # too short notice
    holiday = date(date.today().year + 1, 9, 2)
    assert found(at(holiday, 8), at(holiday, 10)) == []
