"""Counts imported from programmes run on the national platform: the online competition's entries and
national online courses' completions, per commune, target group and day. No names, no ID-card numbers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.accounts.models import User
from campaign.campaigns.models import Campaign
from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db

KINDS = ("competition", "online_course")


class ProgrammeImport(db.Model):
    """One file imported from the platform's export. Exports are cumulative: a new import of the same
    programme (campaign, kind, name) replaces the previous one."""

    __tablename__ = "programme_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    programme: Mapped[str] = mapped_column(String(200), nullable=False)
    search_programme: Mapped[str] = mapped_column(String(200), nullable=False)
    filename: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    as_of: Mapped[date] = mapped_column(Date, nullable=False)
    rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    by: Mapped[User | None] = relationship()
    campaign: Mapped[Campaign] = relationship()
    counts: Mapped[list[ProgrammeCount]] = relationship(back_populates="source", cascade="all, delete-orphan",
                                                        passive_deletes=True)

    __table_args__ = (
        CheckConstraint("kind IN ('competition', 'online_course')", name="kind_known"),
        CheckConstraint("total >= 0 AND rows >= 0", name="counts_nonnegative"),
    )


class ProgrammeCount(db.Model):
    """How many entries (or completions) one commune's target group made on one day."""

    __tablename__ = "programme_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("programme_imports.id", ondelete="CASCADE"), nullable=False,
                                           index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    commune_code: Mapped[int] = mapped_column(ForeignKey("communes.code"), nullable=False)
    target_group: Mapped[str | None] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)  # the local day's start
    count: Mapped[int] = mapped_column(Integer, nullable=False)

    source: Mapped[ProgrammeImport] = relationship(back_populates="counts")

    __table_args__ = (
        CheckConstraint("kind IN ('competition', 'online_course')", name="kind_known"),
        CheckConstraint("count > 0", name="count_positive"),
        Index("ix_programme_counts_campaign_kind", "campaign_id", "kind", "occurred_at"),
    )
