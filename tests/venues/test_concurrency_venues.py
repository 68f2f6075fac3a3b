"""No double booking under concurrent approvals: several app processes approve overlapping requests
of one venue at the same moment; exactly one ends approved (PostgreSQL: row lock + exclusion
constraint; SQLite: the write lock taken before the overlap check)."""

from __future__ import annotations

from sqlalchemy import select

from campaign.accounts.models import User
from campaign.core.services import DomainError
from campaign.extensions import db
from campaign.venues.models import APPROVED, PENDING, REJECTED, Booking
from tests.concurrency import race
from tests.conftest import TRAN_BIEN
from tests.venues.conftest import at, next_weekday

N = 6


def approve_booking(booking_id: int, user_id: int):
    from sqlalchemy.exc import IntegrityError, OperationalError

    from campaign.venues import services

    try:
        booking = db.session.get(Booking, booking_id)
        services.approve(db.session.get(User, user_id), booking)
        db.session.commit()
        return "approved"
    except (DomainError, IntegrityError, OperationalError) as exc:
        db.session.rollback()
        return f"refused: {type(exc).__name__}"


def test_concurrent_approvals_of_overlapping_requests_approve_exactly_one(app, factory, make_venue, make_booking):
    manager = factory.user("commune_officer", commune=TRAN_BIEN)
    venue = make_venue(managers=[manager])
    day = next_weekday(2)
    ids = [make_booking(venue, manager, starts_at=at(day, 8 + i % 3), hours=3).id for i in range(N)]
    results = race("tests.venues.test_concurrency_venues:approve_booking", [(i, manager.id) for i in ids],
                   app.config["SQLALCHEMY_DATABASE_URI"])
    assert results.count("approved") == 1, results
    assert all(r == "approved" or r.startswith("refused: DomainError") for r in results), results
    db.session.expire_all()
    statuses = db.session.scalars(select(Booking.status).where(Booking.venue_id == venue.id)).all()
    assert statuses.count(APPROVED) == 1
    assert PENDING not in statuses and statuses.count(REJECTED) == N - 1


def approve_without_the_lock(booking_id: int):
    """Bypass the services' lock and overlap check: only the database stands in the way."""
    from campaign.venues import services

    try:
        booking = db.session.get(Booking, booking_id)
        booking.status = APPROVED
        services.save_approved(booking)
        db.session.commit()
        return "approved"
    except DomainError as exc:
        db.session.rollback()
        return f"refused: {exc.message}"


def test_the_exclusion_constraint_alone_holds_under_concurrency(app, is_postgres, factory, make_venue, make_booking):
    import pytest

    if not is_postgres:
        pytest.skip("the exclusion constraint is PostgreSQL's; on SQLite the services' write lock is the guard")
    manager = factory.user("commune_officer", commune=TRAN_BIEN)
    venue = make_venue()
    day = next_weekday(2)
    ids = [make_booking(venue, manager, starts_at=at(day, 9), hours=2).id for _ in range(N)]
    results = race("tests.venues.test_concurrency_venues:approve_without_the_lock", [(i,) for i in ids],
                   app.config["SQLALCHEMY_DATABASE_URI"])
    assert results.count("approved") == 1, results
    assert all(r == "approved" or r.startswith("refused: ") for r in results)
