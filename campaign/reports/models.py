"""Per-commune daily facts: the additive counts the dashboard's figures need, per campaign, commune and
local day (Asia/Ho_Chi_Minh), kept by ``reports.facts`` (refreshed by a job, rebuilt by a command).

``commune_code`` 0 stands for records with no commune (province-wide). ``grp`` "" holds every count
(registrations, certificates, volunteer outcomes, people helped); "helped:<target group>" rows hold the
people helped of one target group (the dashboard's group filter). ``LearnerFact`` holds the learners
(distinct counts, and certificates by class audience).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign.core.types import UTCDateTime
from campaign.extensions import db

NO_COMMUNE = 0
VALUE_COLUMNS = ("registrations", "certificates", "shifts", "places_needed", "places_filled", "shifts_filled",
                 "hours", "vneid", "accounts", "households", "helped")


class DailyFact(db.Model):
    __tablename__ = "report_daily_facts"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    grp: Mapped[str] = mapped_column(String(60), primary_key=True, default="")  # "" first: the rows most read
    commune_code: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: no commune
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # the local day (Asia/Ho_Chi_Minh)
    registrations: Mapped[int] = mapped_column(Integer, default=0)  # confirmed registrations made that day
    certificates: Mapped[int] = mapped_column(Integer, default=0)  # valid certificates issued that day (any audience)
    shifts: Mapped[int] = mapped_column(Integer, default=0)  # volunteer shifts starting that day
    places_needed: Mapped[int] = mapped_column(Integer, default=0)
    places_filled: Mapped[int] = mapped_column(Integer, default=0)
    shifts_filled: Mapped[int] = mapped_column(Integer, default=0)
    hours: Mapped[float] = mapped_column(Float, default=0)
    vneid: Mapped[int] = mapped_column(Integer, default=0)
    accounts: Mapped[int] = mapped_column(Integer, default=0)
    households: Mapped[int] = mapped_column(Integer, default=0)
    helped: Mapped[int] = mapped_column(Integer, default=0)


class FactState(db.Model):
    """When a campaign's facts were last computed from the records (their freshness)."""

    __tablename__ = "report_fact_states"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)  # rows written or deleted by the last refresh


class LearnerFact(db.Model):
    """A learner's valid certificates of a campaign issued on one local day, per commune and class audience:
    what the distinct counts (people trained, households trained) are counted from without reading the
    certificates, registrations and persons."""

    __tablename__ = "report_learner_facts"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    commune_code: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: no commune
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    audience: Mapped[str] = mapped_column(String(40), primary_key=True, default="")
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household: Mapped[str | None] = mapped_column(String(80))  # "<village id>/<household number>", None: unknown
    certificates: Mapped[int] = mapped_column(Integer, default=0)
