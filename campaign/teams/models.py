"""Community digital teams (Tổ Công nghệ số cộng đồng: one per village or urban quarter, with its
members) and the communications activities (tuyên truyền) a commune or unit records."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db

MEMBER_ROLES = ("leader", "deputy", "member")  # tổ trưởng, tổ phó, thành viên
CHANNELS = ("loudspeaker", "commune_page", "social_post", "community_meeting", "printed")
# Vietnamese, or the minority languages of the seed provinces (Đồng Nai, Khánh Hòa, Thái Nguyên).
LANGUAGES = ("vi", "khmer", "cham", "stieng", "choro", "mnong", "raglai", "hoa", "tay", "nung", "other")
PHOTO_TYPES = ("image/jpeg", "image/png")


def _sql_in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Team(db.Model):
    """The community digital team of one village (at most one per village)."""

    __tablename__ = "community_teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"), nullable=False,
                                            unique=True)
    commune_code: Mapped[int] = mapped_column(ForeignKey("communes.code"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    founded_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    village = relationship("Village", lazy="joined")
    members: Mapped[list[TeamMember]] = relationship(back_populates="team", cascade="all, delete-orphan",
                                                     order_by="TeamMember.position, TeamMember.id")


class TeamMember(db.Model):
    """A member of a team: a name, a role in the team, a phone (shown masked to those who need not
    call), optionally linked to a volunteer profile or to a person record (a resident)."""

    __tablename__ = "community_team_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("community_teams.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    full_name: Mapped[str] = mapped_column(String(120), nullable=False)
    search_name: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    role: Mapped[str] = mapped_column(String(10), nullable=False, default="member")
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=2)  # leader 0, deputy 1, member 2
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer_profiles.id", ondelete="SET NULL"),
                                                     index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    team: Mapped[Team] = relationship(back_populates="members")
    person = relationship("Person")
    volunteer = relationship("VolunteerProfile")

    __table_args__ = (
        CheckConstraint(f"role IN ({_sql_in(MEMBER_ROLES)})", name="role_known"),
    )


comms_activity_villages = Table(
    "comms_activity_villages", db.metadata,
    Column("activity_id", ForeignKey("comms_activities.id", ondelete="CASCADE"), primary_key=True),
    Column("village_id", ForeignKey("villages.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class CommsActivity(db.Model):
    """One communications activity (tuyên truyền): a loudspeaker broadcast, a post on the commune's
    page or a social network, a community meeting, printed material; in a language; the villages it
    reached; when; how many people if known; a link or a photo as evidence."""

    __tablename__ = "comms_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[int] = mapped_column(ForeignKey("provinces.code"), nullable=False, index=True)
    commune_code: Mapped[int | None] = mapped_column(ForeignKey("communes.code"), index=True)  # None: a province unit
    unit_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("community_teams.id", ondelete="SET NULL"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    language: Mapped[str] = mapped_column(String(10), nullable=False, default="vi")
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    held_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    reach: Mapped[int | None] = mapped_column(Integer)
    link: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    photo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    photo_type: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    villages = relationship("Village", secondary=comms_activity_villages, order_by="Village.name", lazy="selectin")
    commune = relationship("Commune", lazy="joined")

    __table_args__ = (
        CheckConstraint(f"channel IN ({_sql_in(CHANNELS)})", name="channel_known"),
        CheckConstraint(f"language IN ({_sql_in(LANGUAGES)})", name="language_known"),
        CheckConstraint("reach IS NULL OR reach >= 0", name="reach_nonnegative"),
        CheckConstraint(f"photo_type IS NULL OR photo_type IN ({_sql_in(PHOTO_TYPES)})", name="photo_type_known"),
    )
