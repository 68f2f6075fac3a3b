"""Recognition (thi đua, khen thưởng): a round for a period, the decisions it records (bằng khen,
giấy khen, thư cảm ơn) and the printable document each decision issues, verified by its QR code."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db

SUBJECT_KINDS = ("volunteer", "commune", "team")
AWARDS = ("certificate_of_merit", "commendation", "letter_of_thanks")  # bằng khen, giấy khen, thư cảm ơn
STATUSES = ("valid", "revoked")


def _sql_in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class RecognitionRound(db.Model):
    """A round of recognition of a campaign for a period (e.g. the end of Mùa hè số)."""

    __tablename__ = "recognition_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[int] = mapped_column(ForeignKey("provinces.code"), nullable=False, index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    campaign = relationship("Campaign", lazy="joined")
    decisions: Mapped[list[RecognitionDecision]] = relationship(back_populates="round", cascade="all, delete-orphan",
                                                                order_by="RecognitionDecision.id")

    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="period_ordered"),)


class RecognitionDecision(db.Model):
    """A decision to recognise a volunteer, a commune or a team. The facts printed are copied at the
    decision, so the document and its verification page agree whatever changes later."""

    __tablename__ = "recognition_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("recognition_rounds.id", ondelete="CASCADE"), nullable=False,
                                          index=True)
    subject_kind: Mapped[str] = mapped_column(String(10), nullable=False)
    subject_id: Mapped[int] = mapped_column(Integer, nullable=False)  # profile id, commune code or team id
    commune_code: Mapped[int | None] = mapped_column(ForeignKey("communes.code"))
    recipient: Mapped[str] = mapped_column(String(200), nullable=False)
    award: Mapped[str] = mapped_column(String(30), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    decided_by: Mapped[str] = mapped_column(String(200), nullable=False)  # e.g. "Chủ tịch UBND tỉnh Đồng Nai"
    decision_number: Mapped[str] = mapped_column(String(40), nullable=False)
    decided_on: Mapped[date] = mapped_column(Date, nullable=False)
    verify_token: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="valid")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    round: Mapped[RecognitionRound] = relationship(back_populates="decisions")

    __table_args__ = (
        UniqueConstraint("round_id", "subject_kind", "subject_id", name="uq_recognition_decisions_subject"),
        CheckConstraint(f"subject_kind IN ({_sql_in(SUBJECT_KINDS)})", name="subject_known"),
        CheckConstraint(f"award IN ({_sql_in(AWARDS)})", name="award_known"),
        CheckConstraint(f"status IN ({_sql_in(STATUSES)})", name="status_known"),
    )
