"""The import pages (villages, residents and learners, volunteers): template, upload → preview → import.

Registered on the reports blueprint (``views.bp``). The flow is the targets import's: the first POST
checks every row and shows the preview (nothing written) with every bad row and its reason; the preview
carries the file back (base64) and "Import" checks it again and writes every row or none, in one commit.
A file of more than ``import_tasks.JOB_ROWS`` rows is checked as a background job (progress bar on the
job's page, which comes back here with ``?job=<id>`` to show the summary); "Import" then starts the import
job on the same stored file.
"""

from __future__ import annotations

import base64

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from campaign import jobs
from campaign.accounts import permissions as perm
from campaign.core import tabular
from campaign.core.services import DomainError
from campaign.core.web import attempt, uploaded_file
from campaign.extensions import db
from campaign.jobs import services as job_services
from campaign.jobs.models import Job
from campaign.reports import import_tasks  # registers the import jobs (for the worker too)
from campaign.reports.importers import IMPORTERS, Checked
from campaign.reports.views import _download, bp

KINDS = "any(villages, residents, volunteers, baselines)"
IMPORT_ROLES = perm.ORGANISERS


def _importer(kind: str):
    importer = IMPORTERS[kind]
    if not perm.has_role(current_user, *importer.roles):
        abort(403)
    return importer


@bp.get("/imports/")
@login_required
def imports_index():
    if not perm.has_role(current_user, *IMPORT_ROLES):
        abort(403)
    allowed = [i for i in IMPORTERS.values() if perm.has_role(current_user, *i.roles)]
    return render_template("reports/imports.html", importers=allowed)


@bp.get(f"/imports/<{KINDS}:kind>/template.xlsx")
@login_required
def import_template(kind: str):
    importer = _importer(kind)
    return _download(importer.template(current_user), tabular.XLSX_MIME, f"mau-nhap-{kind}.xlsx")


def _options(importer) -> dict:
    return {"course_id": request.form.get("course_id") or ""} if importer.kind == "residents" else {}


def _job(kind: str, job_id, kinds=(import_tasks.CHECK, import_tasks.APPLY)) -> Job:
    """One of the user's import jobs for this kind of import (404 otherwise)."""
    try:
        job = db.session.get(Job, int(job_id))
    except (TypeError, ValueError):
        job = None
    if (job is None or not job_services.can_see(current_user, job) or job.kind not in kinds
            or (job.params or {}).get("importer") != kind):
        abort(404)
    return job


def _start_job(kind: str, task: str, data: bytes, filename: str, options: dict):
    """Start a check or import job, then send the user to its progress page (or, done inline, back here).
    Runs inside the view's attempt(), which commits the job's ``next_url``."""
    job = jobs.start(task, current_user, params={"importer": kind, "options": options}, input=data,
                     input_filename=filename)
    job.next_url = url_for("reports.run_import", kind=kind, job=job.id)
    if job.status in ("done", "failed"):
        return redirect(job.next_url)
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route(f"/imports/<{KINDS}:kind>", methods=["GET", "POST"])
@login_required
def run_import(kind: str):
    """Upload → preview (every row checked, bad rows listed) → import all rows or none. A file of more
    than ``import_tasks.JOB_ROWS`` rows is checked, then imported, as a background job with a progress bar."""
    importer = _importer(kind)
    page = {"checked": None, "error": None, "payload": "", "filename": "", "job": None,
            "options": _options(importer)}
    if request.method == "GET" and request.args.get("job"):
        answer = _job_outcome(kind, importer, page)
        if answer is not None:
            return answer
    elif request.method == "POST":
        outcome = attempt(lambda: _post(kind, importer, page), show=False)
        if not outcome:
            page["error"] = outcome.error.message
        elif outcome.value is not None:
            return outcome.value
    courses = importer.courses(current_user) if kind == "residents" else []
    checked = page["checked"]
    status = 422 if page["error"] or (checked and (checked.errors or checked.problems)) else 200
    return render_template("reports/import.html", importer=importer, courses=courses, **page), status


def _job_outcome(kind: str, importer, page: dict):
    """Back from a job's page: a check job's summary is shown as the preview; a finished import job
    says what was imported. A redirect, or None to show the page."""
    job = page["job"] = _job(kind, request.args["job"])
    if job.status not in ("done", "failed"):
        return redirect(url_for("jobs.show", job_id=job.id))
    page["options"] = dict((job.params or {}).get("options") or {})
    if job.result:
        page["checked"] = Checked.from_summary(job.result)
    if job.status == "failed":
        page["error"] = job.error
    elif job.kind == import_tasks.APPLY:
        flash(_("Imported: %(n)d rows (%(detail)s).", n=page["checked"].n,
                detail=_detail(importer, job.result.get("imported", {}))), "success")
        return redirect(url_for("reports.run_import", kind=kind))
    return None


def _post(kind: str, importer, page: dict):
    """The upload (checked: the preview), or the confirmed preview (checked again and imported). A
    redirect when the import is done or a job takes over, else None (the page shows ``page``)."""
    if request.form.get("check_job"):  # the confirmed preview of a large file: import it as a job
        check = _job(kind, request.form["check_job"], kinds=(import_tasks.CHECK,))
        if check.status != "done" or not Checked.from_summary(check.result or {}).ok:
            raise DomainError(_("The file has errors: nothing was imported."), "file")
        data = db.session.scalar(select(Job.input_data).where(Job.id == check.id)) or b""
        return _start_job(kind, import_tasks.APPLY, data, check.input_filename,
                          dict((check.params or {}).get("options") or {}))
    filename, data = uploaded_file(tabular.MAX_BYTES)  # the upload, or the confirmed preview's file
    page["filename"] = filename
    if not data:
        raise DomainError(_("Choose a file to upload."), "file")
    options = page["options"]
    if not request.form.get("confirm"):
        if kind == "residents":
            importer.course(current_user, options)  # a class out of reach is refused before any job
        count = tabular.count_rows(tabular.read_table(filename, data))
        if count > tabular.MAX_ROWS:
            raise DomainError(_("At most %(n)d rows at once.", n=tabular.MAX_ROWS), "file")
        if count > import_tasks.JOB_ROWS:
            return _start_job(kind, import_tasks.CHECK, data, filename, options)
    checked = page["checked"] = importer.check(current_user, filename, data, options)
    if request.form.get("confirm") and checked.ok:
        counts = importer.apply(current_user, checked, options)
        flash(_("Imported: %(n)d rows (%(detail)s).", n=len(checked.rows), detail=_detail(importer, counts)),
              "success")
        return redirect(url_for("reports.run_import", kind=kind))
    page["payload"] = base64.b64encode(data).decode() if checked.ok else ""
    return None


def _detail(importer, counts: dict[str, int]) -> str:
    labels = dict(importer.statuses, enrolled=_("enrolled in the class"))
    return ", ".join(f"{labels.get(k, k)}: {v}" for k, v in counts.items() if v)
