"""Events (a tree: a launch ceremony and its bridge points, the 10/10 day and its activities),
recurring series, people and their registrations.

Other features hang on these tables: check-in tickets reference ``registrations.id``, calendars
read ``events.uid`` and ``events.sequence``, courses group session events. Keep those stable.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db

# Kinds of event. ``launch_ceremony`` and ``national_day`` are provincial parents; a
# ``bridge_point`` is a commune's point of a launch ceremony.
EVENT_KINDS = (
    "launch_ceremony",
    "bridge_point",
    "national_day",
    "national_day_activity",
    "workshop",
    "talk",
    "hands_on",
    "class_session",
    "door_to_door",
    "other",
)
# Kinds an organiser picks in the event form (the parents are made by their own actions).
FORM_KINDS = ("national_day_activity", "workshop", "talk", "hands_on", "class_session", "door_to_door", "other")
EVENT_STATUSES = ("draft", "published", "cancelled")
VISIBILITIES = ("public", "internal")
REGISTRATION_STATUSES = ("confirmed", "waitlisted", "cancelled")
GENDERS = ("female", "male", "other")
RECURRENCE_FREQS = ("weekly", "monthly")


def _sql_in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def new_uid() -> str:
    """A stored random identifier for calendars (never derived from the row id)."""
    return f"{secrets.token_hex(16)}@binhdanhocvuso"


class EventSeries(db.Model):
    """A recurring series (weekly or monthly community classes). Its occurrences are stored as
    events with ``series_id``; each can be edited or cancelled on its own."""

    __tablename__ = "event_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The series' own calendar UID (the RRULE master); each occurrence keeps its own ``Event.uid``.
    uid: Mapped[str] = mapped_column(String(80), nullable=False, unique=True, default=new_uid)
    freq: Mapped[str] = mapped_column(String(10), nullable=False, default="weekly")
    interval: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    count: Mapped[int | None] = mapped_column(Integer)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    occurrences: Mapped[list[Event]] = relationship(back_populates="series", order_by="Event.starts_at")

    __table_args__ = (
        CheckConstraint(f"freq IN ({_sql_in(RECURRENCE_FREQS)})", name="freq_known"),
        CheckConstraint("interval >= 1", name="interval_positive"),
        CheckConstraint("count IS NULL OR count >= 1", name="count_positive"),
    )

    @property
    def rule(self) -> str:
        """The RFC 5545 RRULE of the series, e.g. ``FREQ=WEEKLY;INTERVAL=1;COUNT=10``."""
        parts = [f"FREQ={self.freq.upper()}", f"INTERVAL={self.interval}"]
        if self.count:
            parts.append(f"COUNT={self.count}")
        if self.until:
            parts.append("UNTIL=" + self.until.strftime("%Y%m%dT%H%M%SZ"))
        return ";".join(parts)


class Event(db.Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(80), nullable=False, unique=True, default=new_uid)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("event_series.id", ondelete="SET NULL"), index=True)
    # The occurrence's original start in its series (RECURRENCE-ID), kept when it is moved.
    recurrence_id: Mapped[datetime | None] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(30), nullable=False, default="other")
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    search_title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    all_day: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    province_code: Mapped[int] = mapped_column(ForeignKey("provinces.code"), nullable=False, index=True)
    commune_code: Mapped[int | None] = mapped_column(ForeignKey("communes.code"), index=True)
    place: Mapped[str] = mapped_column(String(200), nullable=False, default="")  # venue name
    address: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    directions: Mapped[str] = mapped_column(Text, nullable=False, default="")  # how to get there
    online_url: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    capacity: Mapped[int | None] = mapped_column(Integer)  # None: no limit
    # Maintained only by the registration services, under the event row's lock.
    confirmed_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Comma-framed list of TARGET_GROUPS (",elderly,adults,") so a LIKE finds one group.
    target_groups: Mapped[str] = mapped_column(String(400), nullable=False, default="")
    organiser_unit: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    host_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft")
    visibility: Mapped[str] = mapped_column(String(20), nullable=False, default="public")
    registration_open: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Bumped on every change attendees would notice (calendars' SEQUENCE, notices).
    sequence: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Bridge points: the host marks the point ready before the day, then connected on the day.
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ready_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    connected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    parent: Mapped[Event | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Event]] = relationship(back_populates="parent", order_by="Event.starts_at")
    series: Mapped[EventSeries | None] = relationship(back_populates="occurrences")
    commune = relationship("Commune", lazy="joined")
    province = relationship("Province")
    campaign = relationship("Campaign")
    host = relationship("User", foreign_keys=[host_user_id])
    connected_by = relationship("User", foreign_keys=[connected_by_id])

    __table_args__ = (
        CheckConstraint(f"kind IN ({_sql_in(EVENT_KINDS)})", name="kind_known"),
        CheckConstraint(f"status IN ({_sql_in(EVENT_STATUSES)})", name="status_known"),
        CheckConstraint(f"visibility IN ({_sql_in(VISIBILITIES)})", name="visibility_known"),
        CheckConstraint("ends_at >= starts_at", name="period_ordered"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_nonnegative"),
        CheckConstraint("confirmed_count >= 0", name="confirmed_nonnegative"),
        CheckConstraint("capacity IS NULL OR confirmed_count <= capacity", name="within_capacity"),
        CheckConstraint("kind <> 'bridge_point' OR (parent_id IS NOT NULL AND commune_code IS NOT NULL)",
                        name="bridge_point_placed"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        # One bridge point per commune and ceremony; one ceremony per campaign; one 10/10 day per
        # province and date: the tree actions are idempotent even when run twice at once.
        Index("uq_events_bridge_point", "parent_id", "commune_code", unique=True,
              postgresql_where=text("kind = 'bridge_point'"), sqlite_where=text("kind = 'bridge_point'")),
        Index("uq_events_launch_ceremony", "campaign_id", unique=True,
              postgresql_where=text("kind = 'launch_ceremony'"), sqlite_where=text("kind = 'launch_ceremony'")),
        Index("uq_events_national_day", "province_code", "starts_at", unique=True,
              postgresql_where=text("kind = 'national_day'"), sqlite_where=text("kind = 'national_day'")),
        Index("uq_events_occurrence", "series_id", "recurrence_id", unique=True,
              postgresql_where=text("series_id IS NOT NULL"), sqlite_where=text("series_id IS NOT NULL")),
        Index("ix_events_status_visibility", "status", "visibility", "starts_at"),
    )

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.kind} {self.title}>"

    @property
    def target_group_list(self) -> list[str]:
        return [g for g in self.target_groups.split(",") if g]

    @property
    def is_public(self) -> bool:
        return self.status in ("published", "cancelled") and self.visibility == "public"

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.confirmed_count >= self.capacity

    @property
    def places_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - self.confirmed_count, 0)


class Person(db.Model):
    """One human (attendee, learner, resident helped), shared by events, classes and shift outcomes.
    Deduplicated by phone (E.164) where one is given. Minimal data, consent recorded; an officer can
    anonymise a person (the registrations stay counted, the personal data goes)."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(120), nullable=False)
    search_name: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164, +84...
    birth_year: Mapped[int | None] = mapped_column(Integer)
    gender: Mapped[str | None] = mapped_column(String(10))
    commune_code: Mapped[int | None] = mapped_column(ForeignKey("communes.code"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id", ondelete="SET NULL"))
    # The household's number in the village's register (e.g. "12" or "T3-045"): no ID-card numbers.
    household_code: Mapped[str | None] = mapped_column(String(40))
    target_groups: Mapped[str] = mapped_column(String(400), nullable=False, default="")
    needs: Mapped[str] = mapped_column(Text, nullable=False, default="")  # wheelchair, sign language...
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_text: Mapped[str] = mapped_column(String(40), nullable=False, default="")  # version agreed to
    # Made by a public form (registration, class enrolment): the phone was typed by a visitor and
    # nobody checked it is theirs, so such a record is never found, shown or reused by its phone.
    self_registered: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                                  server_default=false())
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    commune = relationship("Commune")
    village = relationship("Village")

    __table_args__ = (
        # One known person per phone; self-registered records may share a phone (anyone can type any).
        Index("uq_persons_phone", "phone", unique=True,
              postgresql_where=text("phone IS NOT NULL AND NOT self_registered"),
              sqlite_where=text("phone IS NOT NULL AND NOT self_registered")),
        CheckConstraint("gender IS NULL OR gender IN ('female', 'male', 'other')", name="gender_known"),
        CheckConstraint("birth_year IS NULL OR (birth_year >= 1900 AND birth_year <= 2100)", name="birth_year_sane"),
        CheckConstraint("anonymised_at IS NULL OR phone IS NULL", name="anonymised_has_no_phone"),
    )

    def __repr__(self) -> str:
        return f"<Person {self.id}>"


RELATIONS = ("relative", "neighbour", "steward", "other")


class RegistrationGroup(db.Model):
    """Several people registered at once by someone else (a relative, a neighbour, a steward): the
    contact's name and phone are the group's, never the registrants' identity. The contact gave the
    consent on their behalf (``consent_at``, ``consent_text``). ``token_hash`` is the SHA-256 of the
    group's private link (all the tickets on one page); each person's own private link is derived from
    it (``services.member_token``)."""

    __tablename__ = "registration_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    contact_name: Mapped[str] = mapped_column(String(120), nullable=False)
    contact_phone: Mapped[str | None] = mapped_column(String(20))  # E.164; cleared by anonymisation
    relation: Mapped[str] = mapped_column(String(20), nullable=False, default="relative")
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    consent_text: Mapped[str] = mapped_column(String(40), nullable=False)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    event: Mapped[Event] = relationship()
    registrations: Mapped[list[Registration]] = relationship(back_populates="group", order_by="Registration.id")

    __table_args__ = (
        CheckConstraint(f"relation IN ({_sql_in(RELATIONS)})", name="relation_known"),
    )

    def __repr__(self) -> str:
        return f"<RegistrationGroup {self.id}>"


class Registration(db.Model):
    """A person registered for an event: confirmed, on the waiting list, or cancelled.
    ``token_hash`` is the SHA-256 of the private link's secret (the secret itself is never stored).
    Check-in tickets reference ``registrations.id``."""

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    needs: Mapped[str] = mapped_column(Text, nullable=False, default="")
    source: Mapped[str] = mapped_column(String(20), nullable=False, default="online")  # online, staff
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Registered with others by a contact (``RegistrationGroup``), who consented on the person's behalf.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("registration_groups.id", ondelete="SET NULL"),
                                                 index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship()
    person: Mapped[Person] = relationship(lazy="joined")
    registered_by = relationship("User", foreign_keys=[registered_by_id])
    group: Mapped[RegistrationGroup | None] = relationship(back_populates="registrations")

    __table_args__ = (
        CheckConstraint(f"status IN ({_sql_in(REGISTRATION_STATUSES)})", name="status_known"),
        CheckConstraint("source IN ('online', 'staff')", name="source_known"),
        # One live registration per person and event (duplicate detection backs on this).
        Index("uq_registrations_live", "event_id", "person_id", unique=True,
              postgresql_where=text("status <> 'cancelled'"), sqlite_where=text("status <> 'cancelled'")),
        Index("ix_registrations_event_status", "event_id", "status", "id"),
    )

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.status}>"
