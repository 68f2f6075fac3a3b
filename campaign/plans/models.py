"""Units (departments, unions, communes ...) as records, who acts for them, and a campaign's task table.

A unit acts through its members (``PlanUnitMember``, kept here rather than as a new role in accounts: a
membership is not a permission over a scope) and, for a commune's unit, through the commune's officers.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from campaign.accounts.models import User
from campaign.campaigns.models import Campaign, Indicator
from campaign.core.types import UTCDateTime, utcnow
from campaign.events.models import Event
from campaign.extensions import db
from campaign.units.models import Commune
from campaign.volunteers.models import Shift

UNIT_KINDS = ("department", "union", "youth_union", "commune", "communes", "agency", "other")
SECTIONS = ("communications", "training", "infrastructure", "platforms", "emulation", "other")
STATUSES = ("not_started", "in_progress", "done", "delayed", "cancelled")
TIMINGS = ("date", "month", "quarter", "regularly")
ROLES = ("lead", "partner")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class PlanUnit(db.Model):
    """A unit named in a plan: a department (sở), a union (đoàn thể), the youth union, a commune's people's
    committee (linked to its commune), or a collective such as "UBND các xã, phường" (kind ``communes``)."""

    __tablename__ = "plan_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[int] = mapped_column(ForeignKey("provinces.code"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    search_name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="other")
    commune_code: Mapped[int | None] = mapped_column(ForeignKey("communes.code"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    commune: Mapped[Commune | None] = relationship()
    members: Mapped[list[PlanUnitMember]] = relationship(back_populates="unit", cascade="all, delete-orphan",
                                                         order_by="PlanUnitMember.id")

    __table_args__ = (
        UniqueConstraint("province_code", "search_name"),
        CheckConstraint(_in("kind", UNIT_KINDS), name="kind_known"),
        CheckConstraint("(kind = 'commune') = (commune_code IS NOT NULL)", name="commune_iff_kind"),
    )


class PlanUnitMember(db.Model):
    """A user who acts for a unit (updates the tasks it leads)."""

    __tablename__ = "plan_unit_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("plan_units.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    unit: Mapped[PlanUnit] = relationship(back_populates="members")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (UniqueConstraint("unit_id", "user_id"),)


plan_task_indicators = Table(
    "plan_task_indicators", db.metadata,
    Column("task_id", ForeignKey("plan_tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("indicator_id", ForeignKey("indicators.id", ondelete="CASCADE"), primary_key=True),
)
plan_task_events = Table(
    "plan_task_events", db.metadata,
    Column("task_id", ForeignKey("plan_tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
)
plan_task_shifts = Table(
    "plan_task_shifts", db.metadata,
    Column("task_id", ForeignKey("plan_tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("shift_id", ForeignKey("volunteer_shifts.id", ondelete="CASCADE"), primary_key=True),
)


class PlanTaskUnit(db.Model):
    """A unit's part in a task: it leads it (chủ trì) or is a partner (phối hợp)."""

    __tablename__ = "plan_task_units"

    task_id: Mapped[int] = mapped_column(ForeignKey("plan_tasks.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("plan_units.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    role: Mapped[str] = mapped_column(String(10), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    unit: Mapped[PlanUnit] = relationship(lazy="joined")

    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role_known"),)


class PlanTask(db.Model):
    """One row of the plan's task table."""

    __tablename__ = "plan_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    section: Mapped[str] = mapped_column(String(20), nullable=False, default="other")
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    expected_result: Mapped[str] = mapped_column(Text, nullable=False, default="")
    timing: Mapped[str] = mapped_column(String(10), nullable=False, default="regularly")
    starts_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    timing_text: Mapped[str] = mapped_column(String(100), nullable=False, default="")  # the plan's wording
    budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))  # million đồng
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="not_started")
    progress_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    campaign: Mapped[Campaign] = relationship()
    units: Mapped[list[PlanTaskUnit]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                     order_by="PlanTaskUnit.position")
    indicators: Mapped[list[Indicator]] = relationship(secondary=plan_task_indicators, order_by="Indicator.position")
    events: Mapped[list[Event]] = relationship(secondary=plan_task_events, order_by="Event.starts_at")
    shifts: Mapped[list[Shift]] = relationship(secondary=plan_task_shifts, order_by="Shift.starts_at")
    updates: Mapped[list[PlanTaskUpdate]] = relationship(back_populates="task", cascade="all, delete-orphan",
                                                         order_by="PlanTaskUpdate.id.desc()")

    __table_args__ = (
        UniqueConstraint("campaign_id", "section", "number"),
        CheckConstraint(_in("section", SECTIONS), name="section_known"),
        CheckConstraint(_in("status", STATUSES), name="status_known"),
        CheckConstraint(_in("timing", TIMINGS), name="timing_known"),
        CheckConstraint("timing = 'regularly' OR due_on IS NOT NULL", name="due_unless_regular"),
        CheckConstraint("budget IS NULL OR budget >= 0", name="budget_nonnegative"),
        CheckConstraint("starts_on IS NULL OR due_on IS NULL OR due_on >= starts_on", name="period_ordered"),
    )

    @property
    def leads(self) -> list[PlanUnit]:
        return [tu.unit for tu in self.units if tu.role == "lead"]

    @property
    def partners(self) -> list[PlanUnit]:
        return [tu.unit for tu in self.units if tu.role == "partner"]

    def overdue(self, today: date) -> bool:
        """The due date has passed and the task is neither done nor cancelled."""
        return self.due_on is not None and self.due_on < today and self.status not in ("done", "cancelled")


class PlanTaskUpdate(db.Model):
    """A lead unit's status report: the status, a short note, evidence (a link or a file)."""

    __tablename__ = "plan_task_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("plan_tasks.id", ondelete="CASCADE"), nullable=False)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("plan_units.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    link: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    evidence_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    evidence_type: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    evidence_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    task: Mapped[PlanTask] = relationship(back_populates="updates")
    unit: Mapped[PlanUnit | None] = relationship()
    by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status_known"),
        Index("ix_plan_task_updates_task", "task_id", "id"),
    )
