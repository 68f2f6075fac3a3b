"""Enrolment never exceeds a course's capacity when several app processes enrol at once."""

from sqlalchemy import select

from campaign.core.services import DomainError
from campaign.courses.models import Course
from campaign.events.models import Event, Registration
from campaign.extensions import db
from tests.concurrency import race
from tests.courses.conftest import create_course


def enrol_one(course_id: int, name: str, phone: str | None):
    from campaign.courses import services

    try:
        reg, _token = services.enrol(db.session.get(Course, course_id), full_name=name, phone=phone, consent=True)
        db.session.commit()
        return reg.status
    except DomainError:
        db.session.rollback()
        return "refused"


def test_concurrent_enrolments_never_exceed_capacity(app):
    course = create_course(sessions=2, capacity=4)
    args = [(course.id, f"Học viên {n}", f"09123450{n:02d}") for n in range(10)]
    results = race("tests.courses.test_concurrency:enrol_one", args, app.config["SQLALCHEMY_DATABASE_URI"])
    assert sorted(results) == ["confirmed"] * 4 + ["waitlisted"] * 6, results
    db.session.expire_all()
    assert db.session.get(Event, course.event_id).confirmed_count == 4
    statuses = db.session.scalars(select(Registration.status).where(Registration.event_id == course.event_id)).all()
    assert statuses.count("confirmed") == 4 and len(statuses) == 10
