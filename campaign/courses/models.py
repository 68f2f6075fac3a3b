"""Training classes. A course hangs on its own parent event (title, commune, venue, capacity);
its sessions are child events. Enrolment is a registration on the course's event (the events
services keep capacity and the waiting list). Attendance, results and certificates are ours."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db

AUDIENCES = ("civil_servants", "community_digital_team", "residents", "elderly", "disabilities", "workers",
             "pupils")
FORMATS = ("in_person", "online", "mixed")
ASSESSMENTS = ("none", "pass_fail", "score")
ATTENDANCE_STATUSES = ("present", "late", "excused", "absent")
ATTENDED = ("present", "late")
ATTENDANCE_SOURCES = ("roll_call", "paper", "checkin")
OUTCOMES = ("passed", "failed")
CERTIFICATE_STATUSES = ("valid", "revoked", "superseded")


def _sql_in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class CourseTopic(db.Model):
    """A topic of the national basic digital skills framework (Quyết định 757/QĐ-BKHCN). The list is
    data, not code: the framework is versioned, so topics can be added or retired."""

    __tablename__ = "course_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)  # "0.1", "1.2", "AI"
    group_code: Mapped[str] = mapped_column(String(10), nullable=False)  # "0".."5", "AI"
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    framework: Mapped[str] = mapped_column(String(60), nullable=False, default="757/QĐ-BKHCN v1.0")
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


course_topic_links = Table(
    "course_topic_links", db.metadata,
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("course_topics.id", ondelete="CASCADE"), primary_key=True),
)

course_trainers = Table(
    "course_trainers", db.metadata,
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), nullable=False, unique=True)
    audience: Mapped[str] = mapped_column(String(40), nullable=False)
    format: Mapped[str] = mapped_column(String(20), nullable=False, default="in_person")
    accessibility_notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Completion: the share of sessions attended (present or late), and a pass if assessed.
    min_attendance_pct: Mapped[int] = mapped_column(Integer, nullable=False, default=80)
    assessment: Mapped[str] = mapped_column(String(20), nullable=False, default="none")
    pass_score: Mapped[int | None] = mapped_column(Integer)  # out of 100, when assessed by score
    issuing_unit: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    event = relationship("Event", lazy="joined")
    topics: Mapped[list[CourseTopic]] = relationship(secondary=course_topic_links, order_by="CourseTopic.position",
                                                     lazy="selectin")
    trainers = relationship("User", secondary=course_trainers, lazy="selectin", order_by="User.full_name")

    __table_args__ = (
        CheckConstraint(f"audience IN ({_sql_in(AUDIENCES)})", name="audience_known"),
        CheckConstraint(f"format IN ({_sql_in(FORMATS)})", name="format_known"),
        CheckConstraint(f"assessment IN ({_sql_in(ASSESSMENTS)})", name="assessment_known"),
        CheckConstraint("min_attendance_pct >= 0 AND min_attendance_pct <= 100", name="min_attendance_range"),
        CheckConstraint("pass_score IS NULL OR (pass_score >= 0 AND pass_score <= 100)", name="pass_score_range"),
        CheckConstraint("assessment <> 'score' OR pass_score IS NOT NULL", name="score_has_pass_mark"),
    )

    def __repr__(self) -> str:
        return f"<Course {self.id}>"

    @property
    def title(self) -> str:
        return self.event.title


class Attendance(db.Model):
    """One learner (registration on the course's event) at one session (a child event)."""

    __tablename__ = "course_attendances"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), nullable=False)
    session_event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), nullable=False,
                                                  index=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    source: Mapped[str] = mapped_column(String(10), nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("registration_id", "session_event_id", name="uq_course_attendances_learner_session"),
        CheckConstraint(f"status IN ({_sql_in(ATTENDANCE_STATUSES)})", name="status_known"),
        CheckConstraint(f"source IN ({_sql_in(ATTENDANCE_SOURCES)})", name="source_known"),
    )


class CourseResult(db.Model):
    """A learner's assessment: passed/failed, or a score out of 100."""

    __tablename__ = "course_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), nullable=False,
                                                 unique=True)
    outcome: Mapped[str | None] = mapped_column(String(10))
    score: Mapped[int | None] = mapped_column(Integer)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (
        CheckConstraint(f"outcome IS NULL OR outcome IN ({_sql_in(OUTCOMES)})", name="outcome_known"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
    )


class Certificate(db.Model):
    """A giấy chứng nhận. The facts printed are copied at issue, so the PDF and the verification
    page agree even if the course changes later. A re-issue after a correction supersedes the old
    certificate (kept, with its number) and points back to it."""

    __tablename__ = "course_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    serial: Mapped[int] = mapped_column(Integer, nullable=False)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), nullable=False)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), nullable=False,
                                                 index=True)
    verify_token: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    learner_name: Mapped[str] = mapped_column(String(120), nullable=False)
    course_title: Mapped[str] = mapped_column(String(200), nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    issuing_unit: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="valid")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("course_certificates.id", ondelete="SET NULL"))
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    replaces: Mapped[Certificate | None] = relationship(remote_side=[id])

    __table_args__ = (
        UniqueConstraint("course_id", "serial", name="uq_course_certificates_serial"),
        CheckConstraint(f"status IN ({_sql_in(CERTIFICATE_STATUSES)})", name="status_known"),
        CheckConstraint("ends_on >= starts_on", name="period_ordered"),
        CheckConstraint("status <> 'revoked' OR revoked_at IS NOT NULL", name="revoked_has_time"),
        # One valid certificate per learner and course.
        Index("uq_course_certificates_valid", "registration_id", unique=True,
              postgresql_where=text("status = 'valid'"), sqlite_where=text("status = 'valid'")),
    )
