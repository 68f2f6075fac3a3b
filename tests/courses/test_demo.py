"""The demo classes of the Đồng Nai plan load once."""

from sqlalchemy import func, select

from campaign.courses.models import Attendance, Certificate, Course
from campaign.events.models import Event
from campaign.extensions import db


def test_demo_classes(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "courses: 5 classes added" in result.output
    courses = db.session.scalars(select(Course).join(Event, Event.id == Course.event_id).order_by(Course.id)).all()
    assert [c.audience for c in courses] == ["civil_servants", "civil_servants", "elderly", "disabilities",
                                             "community_digital_team"]
    assert [c.event.confirmed_count for c in courses[:2]] == [50, 50]
    assert all(c.event.capacity == 50 for c in courses[:2])
    assert db.session.scalar(select(func.count()).select_from(Attendance)) > 300
    statuses = dict(db.session.execute(select(Certificate.status, func.count()).group_by(Certificate.status)).all())
    assert statuses == {"valid": 11, "revoked": 1, "superseded": 1}
    assert "courses: 0 classes added" in runner.invoke(args=["demo"]).output
