"""The bulk certificate job: queued on rq when REDIS_URL is configured, run inline otherwise."""

from __future__ import annotations

import logging

from flask import current_app, has_app_context

from campaign.courses import services
from campaign.courses.models import CertificateJob
from campaign.extensions import db

log = logging.getLogger(__name__)
QUEUE = "campaign"


def certificate_job(job_id: int, base_url: str) -> dict:
    """The rq entry point. In a worker started without the app, it makes one."""
    if has_app_context():
        return services.run_certificate_job(job_id, base_url)
    from campaign import create_app

    with create_app().app_context():
        return services.run_certificate_job(job_id, base_url)


def queue(redis_url: str):
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE, connection=Redis.from_url(redis_url))


def start(job: CertificateJob, base_url: str) -> str:
    """Queue the job on Redis if configured (returns "queued"), else run it now ("inline"). The
    caller has committed the job row."""
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        try:
            queue(redis_url).enqueue(certificate_job, job.id, base_url, job_timeout=1800)
            return "queued"
        except Exception:  # noqa: BLE001 - Redis down: do the work now rather than not at all
            log.exception("could not queue certificate job %s; running inline", job.id)
    services.run_certificate_job(job.id, base_url)
    db.session.refresh(job)
    return "inline"
