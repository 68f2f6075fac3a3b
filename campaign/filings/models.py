"""Report periods and communes' reports.

A ``ReportPeriod`` is set by the province for a campaign (e.g. a quarter) with the last day a report
may be submitted (``due_on``, local date, inclusive: Khánh Hòa's "before the 15th" is the 14th).
A ``CommuneReport`` is one commune's report for a period: a draft (its text sections), then submitted
(``snapshot`` holds the figures and texts as submitted: frozen), possibly returned with a comment and
submitted again. A commune without a row has not started; "late" is computed (past the due day and not
submitted)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db

STATUSES = ("draft", "submitted", "returned")
TEXT_SECTIONS = ("results", "difficulties", "proposals")


class ReportPeriod(db.Model):
    __tablename__ = "report_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)  # the last day to submit (local, inclusive)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    campaign = relationship("Campaign")

    __table_args__ = (
        UniqueConstraint("campaign_id", "starts_on", "ends_on", name="uq_report_periods_span"),
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("due_on >= ends_on", name="due_after_end"),
    )

    def __repr__(self) -> str:
        return f"<ReportPeriod {self.id} {self.name}>"


class CommuneReport(db.Model):
    __tablename__ = "commune_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("report_periods.id", ondelete="CASCADE"), nullable=False)
    commune_code: Mapped[int] = mapped_column(ForeignKey("communes.code"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="draft")
    results: Mapped[str] = mapped_column(Text, nullable=False, default="")  # kết quả đạt được
    difficulties: Mapped[str] = mapped_column(Text, nullable=False, default="")  # khó khăn, vướng mắc
    proposals: Mapped[str] = mapped_column(Text, nullable=False, default="")  # đề xuất, kiến nghị
    snapshot: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))  # figures and texts as last submitted
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    return_comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    period: Mapped[ReportPeriod] = relationship()
    commune = relationship("Commune")

    __table_args__ = (
        UniqueConstraint("period_id", "commune_code", name="uq_commune_reports_period_commune"),
        CheckConstraint("status IN ('draft', 'submitted', 'returned')", name="status_known"),
        CheckConstraint("status <> 'submitted' OR (snapshot IS NOT NULL AND submitted_at IS NOT NULL)",
                        name="submitted_has_snapshot"),
    )

    def __repr__(self) -> str:
        return f"<CommuneReport {self.id} {self.commune_code} {self.status}>"
