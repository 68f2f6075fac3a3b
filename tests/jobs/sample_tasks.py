"""Tasks registered for the tests (imported by the tests and by the rq worker they start)."""

from __future__ import annotations

from sqlalchemy import create_engine, select, text

from campaign import jobs
from campaign.core.models import AuditLog
from campaign.core.services import DomainError, audit
from campaign.extensions import db
from campaign.jobs.models import Job


@jobs.task("testjobs.ok", label="Sample job")
def ok_task(job, progress):
    n = int(job.params.get("n", 3))
    for i in range(1, n + 1):
        progress(i, n, f"step {i}")
    body = (job.input or b"") + "|đã xong".encode()
    job.set_output(body, "kết quả.txt", "text/plain")
    job.result = {"n": n, "actor": job.actor.username if job.actor else None, "params": job.params.get("x")}


@jobs.task("testjobs.boom")
def boom_task(job, progress):
    audit("test.written_before_failing", actor=job.actor, object_type="test", object_id=1)
    db.session.flush()
    progress(1, 2, "half way")
    raise RuntimeError("secret internal detail /etc/passwd")


@jobs.task("testjobs.refused")
def refused_task(job, progress):
    job.result = {"bad_rows": [3, 7]}
    raise DomainError("Row 3 is not a number.")


@jobs.task("testjobs.watch")
def watch_task(job, progress):
    """Writes a row of its own, reports progress, and looks at the job from another connection."""
    if job.params.get("write"):
        audit("test.pending_write", actor=job.actor, object_type="test", object_id=job.id)
        db.session.flush()
    progress(2, 5, "looking")
    url = db.engine.url.render_as_string(hide_password=False)
    other = create_engine(url)
    try:
        with other.connect() as conn:
            seen = conn.execute(select(Job.done, Job.total, Job.message).where(Job.id == job.id)).one()
            pending = conn.execute(select(text("count(*)")).select_from(AuditLog.__table__)
                                   .where(AuditLog.action == "test.pending_write")).scalar()
    finally:
        other.dispose()
    progress(3, 5, "throttled")  # within PROGRESS_EVERY: remembered, not written
    job.result = {"seen": list(seen), "pending_visible": pending}


@jobs.task("testjobs.guarded", allowed=lambda user, params: user.username == params.get("who"))
def guarded_task(job, progress):
    job.set_output(b"for one person", "guarded.txt", "text/plain")
