"""The user's jobs ("My jobs"), a job's page (progress bar), its JSON status for the page's script, its
output file (the permission it was started under is checked again); `flask jobs purge`."""

from __future__ import annotations

from urllib.parse import quote

import click
from flask import Blueprint, Response, abort, jsonify, render_template
from flask_login import current_user, login_required

from campaign.extensions import db
from campaign.jobs import services
from campaign.jobs.models import Job

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def _job(job_id: int) -> Job:
    """Only the job's creator (and admins) may see it; to anyone else it does not exist."""
    job = db.session.get(Job, job_id)
    if job is None or not services.can_see(current_user, job):
        abort(404)
    return job


@bp.get("/")
@login_required
def mine():
    """Every job the user started in the last days, newest first, with its state and its file."""
    rows = services.my_jobs(current_user)
    return render_template("jobs/index.html", jobs=rows, labels={j.id: services.label(j) for j in rows},
                           keep_days=services.KEEP_DAYS)


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int):
    job = _job(job_id)
    return render_template("jobs/show.html", job=job, label=services.label(job), keep_days=services.KEEP_DAYS)


@bp.get("/<int:job_id>.json")
@login_required
def status(job_id: int):
    resp = jsonify(services.status(_job(job_id)))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/<int:job_id>/download")
@login_required
def download(job_id: int):
    job = _job(job_id)
    data = services.output(job) if job.has_output else None
    if data is None:
        abort(404)
    if not services.may_download(current_user, job):
        abort(403)  # the right the job was started under has been withdrawn since
    name = job.output_filename
    ascii_name = name.encode("ascii", "ignore").decode().replace('"', "") or "download"
    return Response(data, content_type=job.output_mimetype or "application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


@bp.cli.command("purge", help="Delete the background jobs (and their files) older than N days.")
@click.option("--days", type=click.IntRange(min=0), default=services.KEEP_DAYS, show_default=True)
def purge_command(days: int):
    n = services.purge(days)
    db.session.commit()
    click.echo(f"jobs purged: {n}")
