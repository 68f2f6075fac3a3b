"""A background job's row: its state and progress, what it was asked, what it produced."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db

JOB_STATUSES = ("queued", "running", "done", "failed")


class Job(db.Model):
    """One run of a registered task (``jobs.task("reports.export_xlsx")``). The input and output
    files are bounded (``services.MAX_INPUT_BYTES``, ``MAX_OUTPUT_BYTES``) and purged after
    ``services.KEEP_DAYS`` days."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="queued")
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    message: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    params: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    input_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    input_filename: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    result: Mapped[dict | None] = mapped_column(JSON)
    output_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    output_filename: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    output_mimetype: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    output_size: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_url: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status_known"),
        CheckConstraint("done >= 0 AND total >= 0", name="progress_nonnegative"),
        Index("ix_jobs_created_by_id_created_at", "created_by_id", "created_at"),
        Index("ix_jobs_created_at", "created_at"),
    )

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        if not self.total:
            return 0
        return max(0, min(100, int(100 * self.done / self.total)))

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def has_output(self) -> bool:
        return self.status == "done" and bool(self.output_filename)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"
