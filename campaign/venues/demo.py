"""Demo venues for several Đồng Nai communes, with bookings: the 10/10 day, summer classes
("Mùa hè số") every week, and requests waiting for approval in the coming weeks."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from campaign.accounts.models import User
from campaign.core.text import fold
from campaign.core.timeutil import local_to_utc, local_today
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.units.demo import LONG_THANH, TA_LAI, TRAN_BIEN
from campaign.venues.models import APPROVED, PENDING, Booking, Venue, VenueEquipment, VenueHours

BIEN_HOA = 26068  # Phường Biên Hòa

WEEKDAYS = {d: (7 * 60, 21 * 60) for d in range(7)}
OFFICE = {d: (7 * 60 + 30, 17 * 60) for d in range(5)}

# commune, name, kind, address, capacity, equipment, step-free, toilet, approval, outside, hours, manager, lat, lon
DEMO_VENUES = [
    (TRAN_BIEN, "Nhà văn hóa Khu phố 1", "cultural_house", "Khu phố 1, phường Trấn Biên", 120,
     {"projector": 1, "speakers": 2, "wifi": 1, "microphone": 2}, True, True, True, False, WEEKDAYS,
     "canbo.tranbien", 10.9447, 106.8243),
    (TRAN_BIEN, "Hội trường UBND phường Trấn Biên", "commune_hall", "UBND phường Trấn Biên", 250,
     {"projector": 2, "speakers": 4, "wifi": 1, "microphone": 4, "screen": 1}, True, True, True, True, OFFICE,
     "canbo.tranbien", 10.9502, 106.8201),
    (TRAN_BIEN, "Phòng máy Trường THCS Trấn Biên", "computer_room", "Trường THCS Trấn Biên", 40,
     {"computers": 35, "projector": 1, "wifi": 1}, False, False, True, False, WEEKDAYS, None, None, None),
    (LONG_THANH, "Nhà văn hóa Ấp Phước Hòa", "cultural_house", "Ấp Phước Hòa, xã Long Thành", 100,
     {"projector": 1, "speakers": 2, "wifi": 1}, True, False, True, False, WEEKDAYS, "canbo.longthanh", None, None),
    (LONG_THANH, "Điểm chuyển đổi số cộng đồng Long Thành", "community_point", "Chợ Long Thành", 30,
     {"computers": 10, "wifi": 1}, True, True, False, True, WEEKDAYS, "canbo.longthanh", None, None),
    (TA_LAI, "Nhà văn hóa Ấp 4", "cultural_house", "Ấp 4, xã Tà Lài", 80,
     {"speakers": 1, "wifi": 1}, False, False, True, False, WEEKDAYS, "canbo.talai", None, None),
    (BIEN_HOA, "Nhà văn hóa phường Biên Hòa", "cultural_house", "Phường Biên Hòa", 150,
     {"projector": 1, "speakers": 2, "wifi": 1, "microphone": 2}, True, True, True, True, WEEKDAYS, None, None, None),
]


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return local_to_utc(datetime.combine(day, time(hh, mm)))


def _booking(venue: Venue, requester: User | None, day: date, start: int, end: int, purpose: str, people: int,
             status: str) -> Booking:
    booking = Booking(venue_id=venue.id, requester_id=requester.id if requester else None, starts_at=_at(day, start),
                      ends_at=_at(day, end), purpose=purpose, expected_attendance=people, status=status)
    if status == APPROVED:
        booking.decided_at = utcnow()
        booking.decided_by_id = requester.id if requester else None
    db.session.add(booking)
    return booking


def load(context: dict) -> None:
    users = {u.username: u for u in db.session.scalars(select(User))}
    added = 0
    for (commune, name, kind, address, capacity, equipment, step_free, toilet, approval, outside, hours,
         manager, lat, lon) in DEMO_VENUES:
        if db.session.scalar(select(Venue.id).where(Venue.commune_code == commune,
                                                    Venue.search_name == fold(name))):
            continue
        venue = Venue(commune_code=commune, name=name, search_name=fold(name), kind=kind, address=address,
                      capacity=capacity, step_free=step_free, accessible_toilet=toilet, needs_approval=approval,
                      allow_outside=outside, latitude=lat, longitude=lon, min_notice_hours=24, max_duration_hours=8)
        venue.equipment = [VenueEquipment(item=k, quantity=v) for k, v in equipment.items()]
        venue.hours = [VenueHours(weekday=d, opens_minute=a, closes_minute=b) for d, (a, b) in hours.items()]
        if manager and manager in users:
            venue.managers = [users[manager]]
        db.session.add(venue)
        db.session.flush()
        added += 1
        _bookings(venue, users.get(manager) if manager else users.get("canbo.tranbien"))
    context["echo"](f"venues: {added} venues added")


def _bookings(venue: Venue, officer: User | None) -> None:
    # Ngày hội toàn dân học tập số, 10/10/2026.
    _booking(venue, officer, date(2026, 10, 10), 8, 11, "Ngày hội toàn dân học tập số 10/10", venue.capacity // 2,
             APPROVED)
    if venue.kind == "cultural_house":
        # Mùa hè số: a class every Tuesday evening, June–August 2026.
        day = date(2026, 6, 2)
        while day <= date(2026, 8, 25):
            _booking(venue, officer, day, 18, 20, "Mùa hè số: lớp kỹ năng số cho người dân", 30, APPROVED)
            day += timedelta(weeks=1)
    # The coming weeks: one approved class and one request waiting for approval, colliding with it
    # on purpose so that the flag and the approval flow show in the demo.
    today = local_today()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    _booking(venue, officer, tuesday + timedelta(weeks=1), 18, 20, "Lớp sử dụng điện thoại thông minh cho người cao tuổi",
             25, APPROVED)
    _booking(venue, officer, tuesday + timedelta(weeks=1), 19, 21, "Họp Tổ công nghệ số cộng đồng", 15, PENDING)
    _booking(venue, officer, tuesday + timedelta(weeks=2, days=2), 8, 10, "Tập huấn VNeID và dịch vụ công trực tuyến",
             40, PENDING)
