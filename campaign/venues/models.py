"""Venues, their equipment, hours, photos and closures; bookings and recurring series.

No double booking: on PostgreSQL an exclusion constraint (btree_gist) over (venue, time range) for
approved bookings, created by the migration (SQLAlchemy's table options cannot express it for both
databases); on SQLite services.approve() checks inside a write transaction that takes the lock first.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.accounts.models import User
from campaign.core.calendar_fields import CalendarFields, bump_sequence_on
from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db
from campaign.units.models import Commune

VENUE_KINDS = ("cultural_house", "commune_hall", "computer_room", "community_point", "other")
EQUIPMENT = ("projector", "speakers", "wifi", "computers", "microphone", "screen")
PENDING, APPROVED, REJECTED, CANCELLED = "pending", "approved", "rejected", "cancelled"
BOOKING_STATUSES = (PENDING, APPROVED, REJECTED, CANCELLED)
ACTIVE_STATUSES = (PENDING, APPROVED)

venue_managers = Table(
    "venue_managers",
    db.metadata,
    Column("venue_id", ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Venue(db.Model):
    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[int] = mapped_column(ForeignKey("communes.code"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(160), nullable=False)
    search_name: Mapped[str] = mapped_column(String(160), nullable=False)
    kind: Mapped[str] = mapped_column(String(30), nullable=False, default="cultural_house")
    address: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    capacity: Mapped[int] = mapped_column(Integer, nullable=False)
    step_free: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    accessible_toilet: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    needs_approval: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    allow_outside: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    min_notice_hours: Mapped[int] = mapped_column(Integer, nullable=False, default=24)
    max_duration_hours: Mapped[int] = mapped_column(Integer, nullable=False, default=8)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    commune: Mapped[Commune] = relationship(lazy="joined")
    equipment: Mapped[list[VenueEquipment]] = relationship(
        back_populates="venue", cascade="all, delete-orphan", order_by="VenueEquipment.item")
    hours: Mapped[list[VenueHours]] = relationship(
        back_populates="venue", cascade="all, delete-orphan", order_by="VenueHours.weekday")
    photos: Mapped[list[VenuePhoto]] = relationship(
        back_populates="venue", cascade="all, delete-orphan", order_by="VenuePhoto.id")
    managers: Mapped[list[User]] = relationship(secondary=venue_managers, order_by="User.full_name")

    __table_args__ = (
        UniqueConstraint("commune_code", "search_name"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("min_notice_hours >= 0", name="notice_nonnegative"),
        CheckConstraint("max_duration_hours > 0", name="duration_positive"),
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude_range"),
        CheckConstraint(
            "kind IN ('cultural_house', 'commune_hall', 'computer_room', 'community_point', 'other')",
            name="kind_known"),
    )

    def equipment_map(self) -> dict[str, int]:
        return {e.item: e.quantity for e in self.equipment}

    def hours_map(self) -> dict[int, tuple[int, int]]:
        return {h.weekday: (h.opens_minute, h.closes_minute) for h in self.hours}

    def is_manager(self, user) -> bool:
        return any(m.id == getattr(user, "id", None) for m in self.managers)

    def __repr__(self) -> str:
        return f"<Venue {self.id} {self.name}>"


class VenueEquipment(db.Model):
    __tablename__ = "venue_equipment"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), nullable=False)
    item: Mapped[str] = mapped_column(String(30), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    venue: Mapped[Venue] = relationship(back_populates="equipment")

    __table_args__ = (
        UniqueConstraint("venue_id", "item"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("item IN ('projector', 'speakers', 'wifi', 'computers', 'microphone', 'screen')",
                        name="item_known"),
    )


class VenueHours(db.Model):
    """Bookable hours on one weekday (0 = Monday), as minutes after local midnight. A weekday
    without a row is closed."""

    __tablename__ = "venue_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), nullable=False)
    weekday: Mapped[int] = mapped_column(Integer, nullable=False)
    opens_minute: Mapped[int] = mapped_column(Integer, nullable=False)
    closes_minute: Mapped[int] = mapped_column(Integer, nullable=False)

    venue: Mapped[Venue] = relationship(back_populates="hours")

    __table_args__ = (
        UniqueConstraint("venue_id", "weekday"),
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint("opens_minute >= 0 AND closes_minute <= 1440 AND opens_minute < closes_minute",
                        name="hours_order"),
    )


class VenuePhoto(db.Model):
    """A photo, re-encoded without its metadata (no GPS or camera data), and its thumbnail. Files
    live in instance/uploads/venues/<venue id>/ under random names stored here."""

    __tablename__ = "venue_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), nullable=False, index=True)
    filename: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    thumb_filename: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    caption: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    venue: Mapped[Venue] = relationship(back_populates="photos")


class Closure(db.Model):
    """A custom closure of one venue (repairs, a local festival). Public holidays come from the
    `holidays` package and are not stored."""

    __tablename__ = "venue_closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), nullable=False, index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    reason: Mapped[str] = mapped_column(String(300), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    venue: Mapped[Venue] = relationship()

    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)


class BookingSeries(db.Model):
    """A weekly recurring request; each occurrence is its own Booking (cancelled alone if need be)."""

    __tablename__ = "booking_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), nullable=False)
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    first_date: Mapped[date] = mapped_column(Date, nullable=False)
    until: Mapped[date] = mapped_column(Date, nullable=False)
    skipped: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (CheckConstraint("until >= first_date", name="until_after_first"),)


class Booking(CalendarFields, db.Model):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), nullable=False)
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("booking_series.id", ondelete="SET NULL"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    purpose: Mapped[str] = mapped_column(String(300), nullable=False)
    # The event or class the booking is for (optional): its venue, in the organiser's pages.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), index=True)
    expected_attendance: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    venue: Mapped[Venue] = relationship()
    event = relationship("Event")
    requester: Mapped[User | None] = relationship(foreign_keys=[requester_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("expected_attendance >= 0", name="attendance_nonnegative"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected', 'cancelled')", name="status_known"),
        Index("ix_bookings_venue_time", "venue_id", "starts_at"),
    )

    def __repr__(self) -> str:
        return f"<Booking {self.id} {self.status}>"


bump_sequence_on(Booking, "starts_at", "ends_at", "status", "purpose", "venue_id")
