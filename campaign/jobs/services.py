"""Background jobs: register a task, start it (on rq with Redis, inline without), report progress.

A feature registers a task once, at import time::

    @jobs.task("reports.export_xlsx", label=_l("Quarterly report (XLSX)"))
    def export_xlsx(job, progress):
        for n, commune in enumerate(communes, 1):
            ...
            progress(n, len(communes), _("Commune %(name)s", name=commune.name))
        job.set_output(data, "report.xlsx", XLSX)   # and/or job.result = {...}

and a view starts it: ``job = jobs.start("reports.export_xlsx", current_user, params={...})`` then
redirects to ``url_for("jobs.show", job_id=job.id)``. ``start`` commits the job row (the one
exception to "services never commit", as for the courses' certificate job).

``job`` given to the task is a ``TaskRun`` (not the database row): its id, kind, params, actor, the
input file (``job.input``), and what the task produces (``job.result``, ``job.set_output``), written
to the row when the task returns. ``progress(done, total, message)`` writes the progress in its own
short transaction on another connection (at most every ``PROGRESS_EVERY`` seconds), so a polling page
sees it while the task's own transaction stays open: a task that writes is still all or nothing.
A task that raises fails the job: a ``DomainError`` shows its message, anything else a generic one
(the traceback goes to the log, never to the user).
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, g, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from campaign.accounts.models import User
from campaign.core.services import DomainError, audit
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.jobs.models import Job

log = logging.getLogger(__name__)

QUEUE = "campaign"  # the rq queue (config JOBS_QUEUE overrides it, e.g. for tests)
JOB_TIMEOUT = 1800  # seconds an rq worker lets a job run
PROGRESS_EVERY = 0.5  # seconds between two progress writes
KEEP_DAYS = 7  # jobs (and their files) older than this are purged
MAX_INPUT_BYTES = 10 * 1024 * 1024
MAX_OUTPUT_BYTES = 20 * 1024 * 1024
MAX_RESULT_CHARS = 200_000


@dataclass(frozen=True)
class Task:
    kind: str
    fn: Callable
    label: object  # a lazy string
    allowed: Callable | None = None  # allowed(user, params) -> bool: may this user still have the output?


_TASKS: dict[str, Task] = {}


def task(kind: str, label=None, allowed: Callable | None = None) -> Callable:
    """Register ``fn(job, progress)`` under ``kind`` ("<feature>.<name>"). The worker finds a task by
    importing ``campaign.<feature>.tasks`` if its kind is not registered yet.

    ``allowed(user, params)`` is the permission the job was started under (e.g. "coordinates this
    campaign's province"): it is checked again when its output is downloaded, so that a file made
    for someone who has since lost that right is not handed out."""
    if "." not in kind or len(kind) > 60:
        raise ValueError(f"job kind {kind!r}: use '<feature>.<name>', at most 60 characters")

    def register(fn: Callable) -> Callable:
        _TASKS[kind] = Task(kind, fn, label or _l("Background job"), allowed)
        return fn

    return register


def get_task(kind: str) -> Task | None:
    if kind not in _TASKS:
        try:
            importlib.import_module(f"campaign.{kind.split('.', 1)[0]}.tasks")
        except ModuleNotFoundError:
            pass
    return _TASKS.get(kind)


def label(job: Job) -> str:
    found = get_task(job.kind)
    return str(found.label) if found else _("Background job")


class TaskRun:
    """What a task gets as ``job``: what it was asked, and a place for what it produces."""

    def __init__(self, row: Job):
        self.id = row.id
        self.kind = row.kind
        self.params = dict(row.params or {})
        self.input_filename = row.input_filename
        self.created_by_id = row.created_by_id
        self.actor = db.session.get(User, row.created_by_id) if row.created_by_id else None
        self.result: dict | None = None
        self.output_data: bytes | None = None
        self.output_filename = ""
        self.output_mimetype = ""

    @property
    def input(self) -> bytes | None:
        """The uploaded file (loaded on first use)."""
        if not hasattr(self, "_input"):
            self._input = db.session.scalar(select(Job.input_data).where(Job.id == self.id))
        return self._input

    def set_output(self, data: bytes, filename: str, mimetype: str = "application/octet-stream") -> None:
        if len(data) > MAX_OUTPUT_BYTES:
            raise DomainError(_("The file is too large (more than %(mb)d MB).", mb=MAX_OUTPUT_BYTES // 2**20))
        self.output_data, self.output_filename, self.output_mimetype = data, filename[:200], mimetype[:120]


# --- starting ------------------------------------------------------------------------------------

def safe_next_url(url: str | None) -> str:
    """Only a path of this site (no scheme, no host) may be the page to go to afterwards."""
    url = (url or "").strip()
    if not url.startswith("/") or url.startswith("//") or "\\" in url or len(url) > 500:
        return ""
    return url


def start(kind: str, actor, params: dict | None = None, input: bytes | None = None, input_filename: str = "",
          next_url: str | None = None, locale: str | None = None) -> Job:
    """Create the job row and commit it, then queue it on rq (REDIS_URL set) or run it now (inline).
    Returns the row (refreshed: inline, it is done or failed already)."""
    if get_task(kind) is None:
        raise ValueError(f"no task registered as {kind!r}")
    if input is not None and len(input) > MAX_INPUT_BYTES:
        raise DomainError(_("The file is too large (more than %(mb)d MB).", mb=MAX_INPUT_BYTES // 2**20), "file")
    purge()
    job = Job(kind=kind, status="queued", params=params or {}, input_data=input,
              input_filename=(input_filename or "")[:200], next_url=safe_next_url(next_url),
              created_by_id=getattr(actor, "id", None), message="")
    if locale is None:
        from flask_babel import get_locale

        locale = str(get_locale() or current_app.config.get("BABEL_DEFAULT_LOCALE", "vi"))
    job.params = {**job.params, "_locale": locale}
    db.session.add(job)
    db.session.flush()
    audit("job.started", job, actor=actor, kind=kind)
    db.session.commit()
    job_id = job.id
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        try:
            queue(redis_url).enqueue(run_queued, job_id, job_timeout=JOB_TIMEOUT, job_id=f"campaign-job-{job_id}")
            return job
        except Exception:  # noqa: BLE001 - Redis down: do the work now rather than not at all
            log.exception("could not queue job %s (%s); running it inline", job_id, kind)
    run(job_id)
    job = db.session.get(Job, job_id)
    db.session.refresh(job)
    return job


def queue(redis_url: str):
    from redis import Redis
    from rq import Queue

    name = (current_app.config.get("JOBS_QUEUE") if has_app_context() else None) or QUEUE
    return Queue(name, connection=Redis.from_url(redis_url))


def run_queued(job_id: int) -> str:
    """The rq entry point. A worker started without the app makes one (from the environment)."""
    if has_app_context():
        return run(job_id)
    from campaign import create_app

    with create_app().app_context():
        return run(job_id)


# --- running -------------------------------------------------------------------------------------

def run(job_id: int) -> str:
    """Run a queued job to its end; returns its final status. Never raises for the task's errors."""
    job = db.session.get(Job, job_id)
    if job is None:
        log.warning("job %s not found", job_id)
        return "missing"
    if job.status != "queued":
        return job.status
    found = get_task(job.kind)
    job.status, job.started_at = "running", utcnow()
    db.session.commit()
    locale = (job.params or {}).get("_locale") or current_app.config.get("BABEL_DEFAULT_LOCALE", "vi")
    g.job_id = job_id  # flask-babel's force_locale needs a non-empty g outside a request
    with force_locale(locale):
        return _run(job, found)


def _run(job: Job, found: Task | None) -> str:
    job_id = job.id
    state = ProgressState(job_id)
    run_ = None
    try:
        if found is None:
            raise LookupError(f"no task registered as {job.kind!r}")
        run_ = TaskRun(job)
        found.fn(run_, state)
        result = run_.result
        if result is not None and len(_json_size(result)) > MAX_RESULT_CHARS:
            raise DomainError(_("The job's result is too large."))
        job = db.session.get(Job, job_id)
        job.status, job.finished_at = "done", utcnow()
        job.done = max(state.total, state.done, job.total)
        job.total = job.done
        job.message = (state.message or job.message or "")[:300]
        job.result = result
        if run_.output_data is not None:
            job.output_data, job.output_filename = run_.output_data, run_.output_filename
            job.output_mimetype, job.output_size = run_.output_mimetype, len(run_.output_data)
        db.session.commit()
        return "done"
    except Exception as exc:  # noqa: BLE001 - a task's failure is recorded, not raised
        db.session.rollback()
        if isinstance(exc, DomainError):
            error = exc.message
            log.info("job %s (%s) failed: %s", job_id, job.kind, exc.message)
        else:
            error = _("The job failed because of an unexpected error. It has been logged; try again later "
                      "or tell the administrator.")
            log.exception("job %s (%s) failed", job_id, getattr(job, "kind", "?"))
        _mark_failed(job_id, error, getattr(run_, "result", None))
        return "failed"


def _mark_failed(job_id: int, error: str, result) -> None:
    try:
        job = db.session.get(Job, job_id)
        job.status, job.finished_at, job.error = "failed", utcnow(), error[:2000]
        if result is not None and len(_json_size(result)) <= MAX_RESULT_CHARS:
            job.result = result
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not mark job %s failed", job_id)


def _json_size(value) -> str:
    import json

    return json.dumps(value, default=str)


class ProgressState:
    """``progress(done, total=None, message=None)``: remembered at once, written at most every
    PROGRESS_EVERY seconds in a transaction of its own (another connection), so that a polling
    page sees it and the task's transaction is untouched."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.done = 0
        self.total = 0
        self.message = ""
        self._written = 0.0

    def __call__(self, done: int, total: int | None = None, message: str | None = None) -> None:
        self.done = max(0, int(done))
        if total is not None:
            self.total = max(0, int(total))
        self.total = max(self.total, self.done)
        if message is not None:
            self.message = str(message)[:300]
        now = time.monotonic()
        if now - self._written < PROGRESS_EVERY:
            return
        self._written = now
        self.write()

    def write(self) -> None:
        values = {"done": self.done, "total": self.total, "message": self.message}
        engine = db.engine
        if engine.dialect.name == "sqlite" and _sqlite_session_writing():
            return  # SQLite locks the whole file while the task writes: the progress waits for the end
        try:
            with engine.begin() as conn:
                if engine.dialect.name == "postgresql":
                    conn.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
                conn.execute(update(Job.__table__).where(Job.__table__.c.id == self.job_id).values(**values))
        except SQLAlchemyError:
            log.warning("could not write the progress of job %s", self.job_id, exc_info=True)


def _sqlite_session_writing() -> bool:
    session = db.session()
    if not session.in_transaction():
        return False
    raw = session.connection().connection.dbapi_connection
    return bool(getattr(raw, "in_transaction", False))


# --- reading and cleaning up ---------------------------------------------------------------------

def can_see(user, job: Job) -> bool:
    from campaign.accounts import permissions as perm

    return bool(user and getattr(user, "is_authenticated", False)
                and (job.created_by_id == user.id or perm.is_admin(user)))


def may_download(user, job: Job) -> bool:
    """The job's creator (or an admin) who still has the permission the job was started under."""
    if not can_see(user, job):
        return False
    found = get_task(job.kind)
    if found is None or found.allowed is None:
        return True
    from campaign.accounts import permissions as perm

    if perm.is_admin(user):
        return True
    try:
        return bool(found.allowed(user, dict(job.params or {})))
    except Exception:  # noqa: BLE001 - a broken check refuses rather than hands out the file
        log.exception("permission check of job %s (%s) failed", job.id, job.kind)
        return False


def my_jobs(user, limit: int = 100) -> list[Job]:
    """The user's jobs, newest first (at most ``limit``; older ones are purged after KEEP_DAYS days)."""
    return list(db.session.scalars(select(Job).where(Job.created_by_id == user.id)
                                   .order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)))


def output(job: Job) -> bytes | None:
    return db.session.scalar(select(Job.output_data).where(Job.id == job.id))


def status(job: Job) -> dict:
    return {"id": job.id, "kind": job.kind, "status": job.status, "done": job.done, "total": job.total,
            "percent": job.percent, "message": job.message, "error": job.error if job.status == "failed" else "",
            "result": job.result, "next_url": job.next_url or None,
            "output": ({"filename": job.output_filename, "size": job.output_size, "mimetype": job.output_mimetype}
                       if job.has_output else None)}


def purge(days: int = KEEP_DAYS) -> int:
    """Delete the jobs (with their files) created more than ``days`` days ago. The caller commits."""
    cutoff = utcnow() - timedelta(days=days)
    return db.session.execute(delete(Job).where(Job.created_at < cutoff)).rowcount or 0


# --- forgetting a person ---------------------------------------------------------------------------

def stored_text(data: bytes | None) -> str:
    """What a stored file says, for a search: a CSV's text, or the XML text of a workbook's parts
    (cells and shared strings). PDFs and other binaries give their bytes read as UTF-8."""
    if not data:
        return ""
    if data[:2] == b"PK":
        import html
        import io
        import zipfile

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                parts, left = [], 4 * MAX_OUTPUT_BYTES  # bounded whatever the sizes the zip claims
                for info in zf.infolist():
                    if info.file_size > left:
                        break
                    left -= info.file_size
                    parts.append(html.unescape(zf.read(info).decode("utf-8", "replace")))
                return "\n".join(parts)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
            pass
    return data.decode("utf-8", "replace")


def forget(texts) -> int:
    """Delete the stored files (uploaded inputs, prepared outputs) of the jobs that hold one of
    ``texts`` (a person's name or phone, being anonymised), and remove those texts from the jobs'
    parameters, results and messages. Returns the number of jobs changed; the caller commits."""
    from campaign.core import privacy

    texts = [t for t in texts if t]
    if not texts:
        return 0
    changed = 0
    for job in db.session.scalars(select(Job)):
        touched = False
        for column in ("input_data", "output_data"):
            data = db.session.scalar(select(getattr(Job, column)).where(Job.id == job.id))
            if data and privacy.holds(stored_text(data), texts):
                setattr(job, column, None)
                if column == "output_data":
                    job.output_filename, job.output_mimetype, job.output_size = "", "", 0
                touched = True
        for attr in ("params", "result", "message", "error", "input_filename"):
            value = getattr(job, attr)
            new = privacy.redact(value, texts)
            if new != value:
                setattr(job, attr, new)
                touched = True
        changed += touched
    return changed
