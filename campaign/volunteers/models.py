"""Volunteer profiles ("Đại sứ số"), shifts, signups and what each signup achieved."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.accounts.models import User
from campaign.campaigns.models import Campaign
from campaign.core import phone as phones
from campaign.core.calendar_fields import CalendarFields, bump_sequence_on
from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db
from campaign.units.models import Commune, Village

# What a volunteer can do (a shift may require one of them). Keep the codes stable; labels live in forms.py.
SKILLS = ("vneid", "public_services", "cashless_payment", "teaching_elderly", "sign_language",
          "smartphone_basics", "online_safety", "ai_tools")
# Languages spoken, including the ethnic minority languages of the southeast (Đồng Nai).
LANGUAGES = ("vi", "en", "khmer", "hoa", "stieng", "choro", "ma", "nung", "tay", "cham")
SHIFT_ROLES = ("door_to_door", "class_assistant", "help_desk", "vneid_support", "other")
PROFILE_STATUSES = ("pending", "approved", "rejected")
SIGNUP_STATUSES = ("confirmed", "waitlisted", "cancelled", "no_show")
# Default sign-out cut-off: this long before the shift starts.
DEFAULT_CUTOFF = timedelta(hours=12)


class VolunteerProfile(db.Model):
    """A volunteer's profile, linked one-to-one to a User account holding the ``volunteer`` role.

    A public sign-up creates the account *inactive* and the profile *pending*; a youth union organiser
    of the home commune (or its province) approves it, which activates the account. An organiser's
    CSV import creates approved profiles directly.
    """

    __tablename__ = "volunteer_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True)
    phone: Mapped[str] = mapped_column(String(20), nullable=False)  # E.164, +84...
    school: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    youth_branch: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    home_commune_code: Mapped[int] = mapped_column(ForeignKey("communes.code"), nullable=False, index=True)
    skills: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    languages: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    availability: Mapped[str] = mapped_column(Text, nullable=False, default="")
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    home_commune: Mapped[Commune] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_known"),
        Index("ix_volunteer_profiles_status", "status"),
    )

    @property
    def full_name(self) -> str:
        return self.user.full_name

    @property
    def phone_masked(self) -> str:
        """090•••567: enough to recognise, not to call."""
        return phones.mask(self.phone)

    def has_skill(self, skill: str | None) -> bool:
        return not skill or skill in (self.skills or [])


class Shift(CalendarFields, db.Model):
    """A volunteer shift of a campaign, in a commune (and optionally a village), at a given time."""

    __tablename__ = "volunteer_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    role: Mapped[str] = mapped_column(String(30), nullable=False, default="door_to_door")
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    commune_code: Mapped[int] = mapped_column(ForeignKey("communes.code"), nullable=False)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id", ondelete="SET NULL"))
    location: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    min_needed: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    max_needed: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    required_skill: Mapped[str | None] = mapped_column(String(30))
    preferred_skills: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    signup_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signup_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signout_cutoff_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    campaign: Mapped[Campaign] = relationship()
    commune: Mapped[Commune] = relationship(lazy="joined")
    village: Mapped[Village | None] = relationship(lazy="joined")
    signups: Mapped[list[Signup]] = relationship(back_populates="shift", cascade="all, delete-orphan",
                                                 order_by="Signup.id")

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="time_ordered"),
        CheckConstraint("min_needed >= 0 AND max_needed >= 1 AND min_needed <= max_needed", name="needed_range"),
        CheckConstraint("role IN ('door_to_door', 'class_assistant', 'help_desk', 'vneid_support', 'other')",
                        name="role_known"),
        CheckConstraint("signup_closes_at IS NULL OR signup_opens_at IS NULL OR signup_closes_at > signup_opens_at",
                        name="window_ordered"),
        Index("ix_volunteer_shifts_campaign_start", "campaign_id", "starts_at"),
        Index("ix_volunteer_shifts_commune_start", "commune_code", "starts_at"),
    )

    @property
    def cutoff(self) -> datetime:
        return self.signout_cutoff_at or (self.starts_at - DEFAULT_CUTOFF)

    @property
    def hours(self) -> float:
        return round((self.ends_at - self.starts_at).total_seconds() / 3600, 2)

    def __repr__(self) -> str:
        return f"<Shift {self.id} {self.commune_code} {self.starts_at:%Y-%m-%d %H:%M}>"



bump_sequence_on(Shift, "starts_at", "ends_at", "title", "location", "commune_code", "village_id", "role")


class Signup(db.Model):
    """A volunteer on a shift: confirmed, on the waiting list, cancelled or a no-show; with the hours
    served and what was achieved."""

    __tablename__ = "volunteer_signups"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("volunteer_shifts.id", ondelete="CASCADE"), nullable=False)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.id", ondelete="CASCADE"),
                                              nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="confirmed")
    # Order on the waiting list (the time the volunteer joined it); promotion takes the earliest.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    overbooked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_lead: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hours: Mapped[float | None] = mapped_column(Float)
    hours_reason: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    # The volunteer's calendar entry for the shift changes with the signup (a waiting-list promotion
    # turns "(waiting list)" TENTATIVE into CONFIRMED): the time of the last change, and a counter
    # bumped when the status changes (added to the shift's SEQUENCE in the feed).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    households_visited: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    vneid_installed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    vneid_verified: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    public_service_accounts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    shift: Mapped[Shift] = relationship(back_populates="signups")
    volunteer: Mapped[VolunteerProfile] = relationship(lazy="joined")
    helped: Mapped[list[SignupHelped]] = relationship(back_populates="signup", cascade="all, delete-orphan",
                                                      lazy="selectin")

    __table_args__ = (
        UniqueConstraint("shift_id", "volunteer_id", name="uq_volunteer_signups_shift_volunteer"),
        CheckConstraint("status IN ('confirmed', 'waitlisted', 'cancelled', 'no_show')", name="status_known"),
        CheckConstraint("hours IS NULL OR (hours >= 0 AND hours <= 24)", name="hours_range"),
        CheckConstraint("checked_out_at IS NULL OR checked_in_at IS NULL OR checked_out_at >= checked_in_at",
                        name="check_out_after_in"),
        CheckConstraint("households_visited >= 0 AND vneid_installed >= 0 AND vneid_verified >= 0"
                        " AND public_service_accounts >= 0", name="outcomes_nonnegative"),
        Index("ix_volunteer_signups_shift_status", "shift_id", "status"),
    )

    @property
    def people_helped(self) -> int:
        return sum(h.people for h in self.helped)


bump_sequence_on(Signup, "status")


class SignupHelped(db.Model):
    """How many people of one target group a signup helped."""

    __tablename__ = "volunteer_signup_helped"

    id: Mapped[int] = mapped_column(primary_key=True)
    signup_id: Mapped[int] = mapped_column(ForeignKey("volunteer_signups.id", ondelete="CASCADE"), nullable=False)
    target_group: Mapped[str] = mapped_column(String(40), nullable=False)
    people: Mapped[int] = mapped_column(Integer, nullable=False)

    signup: Mapped[Signup] = relationship(back_populates="helped")

    __table_args__ = (
        UniqueConstraint("signup_id", "target_group"),
        CheckConstraint("people > 0", name="people_positive"),
    )
