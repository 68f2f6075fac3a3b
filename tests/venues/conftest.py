"""Venue fixtures: make_venue(**overrides), make_booking(venue, **overrides), a fixed 'now'."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from campaign.core.timeutil import local_to_utc
from campaign.extensions import db
from campaign.venues.models import PENDING, Booking, Venue, VenueEquipment, VenueHours
from tests.conftest import TRAN_BIEN

ALL_DAY = {d: (7 * 60, 21 * 60) for d in range(7)}


def next_weekday(weekday: int, weeks_ahead: int = 2) -> date:
    """A date of this weekday at least ``weeks_ahead`` weeks from today, avoiding public holidays."""
    from campaign.venues.services import holiday_name

    today = date.today()
    day = today + timedelta(weeks=weeks_ahead) + timedelta(days=(weekday - today.weekday()) % 7)
    while holiday_name(day):
        day += timedelta(weeks=1)
    return day


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return local_to_utc(datetime.combine(day, time(hh, mm)))


@pytest.fixture
def make_venue():
    def _make(commune: int = TRAN_BIEN, name: str | None = None, equipment: dict | None = None,
              hours: dict | None = None, managers=(), commit: bool = True, **kw) -> Venue:
        from campaign.core.text import fold

        name = name or f"Nhà văn hóa {next(_seq)}"
        kw.setdefault("capacity", 80)
        kw.setdefault("min_notice_hours", 24)
        kw.setdefault("max_duration_hours", 8)
        venue = Venue(commune_code=commune, name=name, search_name=fold(name), **kw)
        for item, qty in (equipment or {"projector": 1, "wifi": 1}).items():
            venue.equipment.append(VenueEquipment(item=item, quantity=qty))
        for weekday, (opens, closes) in (ALL_DAY if hours is None else hours).items():
            venue.hours.append(VenueHours(weekday=weekday, opens_minute=opens, closes_minute=closes))
        venue.managers = list(managers)
        db.session.add(venue)
        db.session.flush()
        if commit:
            db.session.commit()
        return venue

    return _make


@pytest.fixture
def make_booking():
    def _make(venue: Venue, requester=None, starts_at: datetime | None = None, hours: float = 2,
              status: str = PENDING, purpose: str = "Lớp kỹ năng số", commit: bool = True, **kw) -> Booking:
        starts_at = starts_at or at(next_weekday(1), 18)
        booking = Booking(venue_id=venue.id, requester_id=getattr(requester, "id", None), starts_at=starts_at,
                          ends_at=starts_at + timedelta(hours=hours), purpose=purpose, status=status,
                          expected_attendance=kw.pop("expected_attendance", 20), **kw)
        db.session.add(booking)
        db.session.flush()
        if commit:
            db.session.commit()
        return booking

    return _make


def _counter():
    n = 0
    while True:
        n += 1
        yield n


_seq = _counter()
