"""The courses' background jobs (``campaign.jobs``): certificates for the whole class, with progress."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from campaign import jobs
from campaign.core.services import DomainError, audit
from campaign.courses import services
from campaign.courses.models import Course
from campaign.events.models import Registration
from campaign.extensions import db

CERTIFICATES = "courses.certificates"


def may_manage(user, params: dict) -> bool:
    course = db.session.get(Course, params.get("course_id"))
    return course is not None and services.can_manage_course(user, course)


def start_certificates(actor, course: Course, base_url: str, next_url: str):
    """Start issuing the certificates of every learner who completed the course and has none yet (the
    job row is committed by ``jobs.start``). DomainError when there is nobody to issue one to."""
    if not services.can_manage_course(actor, course):
        raise DomainError(_("You may not manage this course."))
    if not services.pending_certificates(course):
        raise DomainError(_("Every learner who completed the course already has a certificate."))
    return jobs.start(CERTIFICATES, actor, params={"course_id": course.id, "base_url": base_url},
                      next_url=next_url)


@jobs.task(CERTIFICATES, label=_l("Issuing the class's certificates"), allowed=may_manage)
def issue_certificates(job, progress) -> None:
    """params: course_id, base_url (for the QR codes' verification links). All the certificates, or none
    when the job fails; a learner issued one meanwhile (by hand) is skipped."""
    course = db.session.get(Course, job.params.get("course_id"))
    if course is None:
        raise DomainError(_("This course no longer exists."))
    if job.actor is None or not services.can_manage_course(job.actor, course):
        raise DomainError(_("You may not manage this course."))
    overview = services.class_overview(course)
    todo = [r.registration.id for r in overview.rows if r.completed and r.certificate is None]
    issued = skipped = 0
    progress(0, len(todo), None)
    for n, reg_id in enumerate(todo, start=1):
        try:
            services.issue_certificate(job.actor, course, db.session.get(Registration, reg_id),
                                       job.params.get("base_url") or "", overview=overview)
            issued += 1
        except DomainError:
            skipped += 1  # issued meanwhile by someone else, or no longer completed
        progress(n, len(todo), _("%(n)d of %(total)d certificates", n=n, total=len(todo)))
    audit("certificate.bulk_issued", course, actor=job.actor, issued=issued, skipped=skipped)
    job.result = {"course_id": course.id, "issued": issued, "skipped": skipped}
