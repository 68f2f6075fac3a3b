from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db
from campaign.units.models import Commune, Province

# Groups a class, an event or a helped resident belongs to (DOMAIN.md "Target groups").
TARGET_GROUPS = (
    "civil_servants",  # CBCC, VC
    "pupils_students",
    "adults",  # adult residents
    "workers",  # workers in firms and cooperatives
    "elderly",  # người cao tuổi
    "disabilities",  # người khuyết tật
    "ethnic_minorities",  # đồng bào DTTS
    "remote_areas",  # vùng sâu, vùng xa
    "poor_households",
    "traders_farmers",  # Chợ số - Nông thôn số
    "community_digital_team",  # Tổ CNSCĐ members
)

INDICATOR_UNITS = ("people", "households", "classes", "activities", "hours", "percent", "communes", "entries")

# What an indicator's achieved value is computed from (the reports feature computes each metric;
# "manual" values are entered by hand, e.g. VNeID verifications reported by the police).
METRICS = (
    "people_trained",
    "households_trained",
    "classes_held",
    "certificates_issued",
    "people_helped",
    "vneid_assisted",
    "public_service_accounts",
    "households_reached",
    "national_day_activities",
    "bridge_points_connected",
    "volunteer_hours",
    "shifts_filled",
    "registrations",
    "remote_communes_supported",
    "manual",
)

# Populations a percentage indicator is measured against (mẫu số), per commune, as of a date.
BASELINE_GROUPS = ("civil_servants", "pupils", "adults", "workers", "households", "residents_16")

CAMPAIGN_KINDS = ("digital_literacy", "summer", "competition", "other")


class Campaign(db.Model):
    """A campaign of a province: "Bình dân học vụ số 2026 – Đồng Nai", "Mùa hè số 2026", ..."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[int] = mapped_column(ForeignKey("provinces.code"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    slug: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False, default="digital_literacy")
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    owner_unit: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    province: Mapped[Province] = relationship()
    parent: Mapped[Campaign | None] = relationship(remote_side=[id])
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="Indicator.position"
    )

    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="period_ordered"),
        CheckConstraint("kind IN ('digital_literacy', 'summer', 'competition', 'other')", name="kind_known"),
    )

    def __repr__(self) -> str:
        return f"<Campaign {self.id} {self.name}>"


class Indicator(db.Model):
    """A named target of a campaign (chỉ tiêu), with an overall value and optional per-commune values."""

    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    code: Mapped[str] = mapped_column(String(20), nullable=False)  # "1", "2", "4a" as in the plan
    name: Mapped[str] = mapped_column(String(400), nullable=False)
    unit: Mapped[str] = mapped_column(String(20), nullable=False, default="people")
    target_value: Mapped[float] = mapped_column(Float, nullable=False, default=0)
    metric: Mapped[str] = mapped_column(String(40), nullable=False, default="manual")
    target_group: Mapped[str | None] = mapped_column(String(40))
    lead_unit: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    partner_units: Mapped[str] = mapped_column(Text, nullable=False, default="")
    measurement: Mapped[str] = mapped_column(Text, nullable=False, default="")

    campaign: Mapped[Campaign] = relationship(back_populates="indicators")
    commune_targets: Mapped[list[IndicatorTarget]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("campaign_id", "code"),
        CheckConstraint("target_value >= 0", name="target_nonnegative"),
        CheckConstraint("unit <> 'percent' OR target_value <= 100", name="percent_at_most_100"),
        CheckConstraint(
            "unit IN ('people', 'households', 'classes', 'activities', 'hours', 'percent', 'communes', 'entries')",
            name="unit_known",
        ),
    )


class IndicatorTarget(db.Model):
    """An indicator's target for one commune."""

    __tablename__ = "indicator_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"), nullable=False)
    commune_code: Mapped[int] = mapped_column(ForeignKey("communes.code"), nullable=False, index=True)
    target_value: Mapped[float] = mapped_column(Float, nullable=False)

    indicator: Mapped[Indicator] = relationship(back_populates="commune_targets")
    commune: Mapped[Commune] = relationship()

    __table_args__ = (
        UniqueConstraint("indicator_id", "commune_code"),
        CheckConstraint("target_value >= 0", name="target_nonnegative"),
    )


class IndicatorValue(db.Model):
    """A hand-entered value of a "manual" indicator (e.g. VNeID accounts verified by the police), for
    one commune or for the whole province (``commune_code`` NULL), as of a date. Entering a value for
    the same place and date again corrects it (the audit log keeps the old one)."""

    __tablename__ = "indicator_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"), nullable=False)
    commune_code: Mapped[int | None] = mapped_column(ForeignKey("communes.code"))
    as_of: Mapped[date] = mapped_column(Date, nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    source: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    indicator: Mapped[Indicator] = relationship()
    commune: Mapped[Commune | None] = relationship()

    __table_args__ = (
        CheckConstraint("value >= 0", name="value_nonnegative"),
        Index("ix_indicator_values_indicator_id_as_of", "indicator_id", "as_of"),
        Index("uq_indicator_values_commune_date", "indicator_id", "commune_code", "as_of", unique=True,
              postgresql_where=text("commune_code IS NOT NULL"), sqlite_where=text("commune_code IS NOT NULL")),
        Index("uq_indicator_values_province_date", "indicator_id", "as_of", unique=True,
              postgresql_where=text("commune_code IS NULL"), sqlite_where=text("commune_code IS NULL")),
    )


class Baseline(db.Model):
    """A commune's population of one group (civil servants, pupils, adults, workers, households, residents
    from 16) as of a date: the denominator of the percentage indicators. Every entry is kept (the history);
    a report uses the latest one on or before its date. Entering the same commune, group and date again
    corrects it."""

    __tablename__ = "baselines"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[int] = mapped_column(ForeignKey("communes.code"), nullable=False)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)  # one of BASELINE_GROUPS
    as_of: Mapped[date] = mapped_column(Date, nullable=False)
    value: Mapped[int] = mapped_column(Integer, nullable=False)
    source: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    commune: Mapped[Commune] = relationship()

    __table_args__ = (
        UniqueConstraint("commune_code", "kind", "as_of"),
        CheckConstraint("value >= 0", name="value_nonnegative"),
        CheckConstraint("kind IN ('civil_servants', 'pupils', 'adults', 'workers', 'households', "
                        "'residents_16')", name="group_known"),
    )
