"""The demo classes of the Đồng Nai plan load once."""

from sqlalchemy import func, select

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import to_local
from campaign.core.types import utcnow
from campaign.courses.models import Attendance, Certificate, Course
from campaign.events.models import Event, Registration
from campaign.extensions import db
from campaign.reports import metrics


def test_demo_classes(runner):
    result = runner.invoke(args=["demo", "--no-history"])
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
    assert "courses: 0 classes added" in runner.invoke(args=["demo", "--no-history"]).output


def test_demo_history_fills_the_dashboard(runner):
    """The full demo (with the year's past classes): the main campaign's dashboard shows people
    trained, classes held and 10/10 activities in most communes, lagging communes among them, and
    the figures are those of the records."""
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    campaign = db.session.scalar(select(Campaign).where(Campaign.parent_id.is_(None)))
    board = metrics.progress(campaign, as_of=to_local(utcnow()).date())
    got = {ip.indicator.metric + ":" + (ip.indicator.target_group or ""): ip.achieved for ip in board.indicators}
    residents = (select(func.count(func.distinct(Registration.person_id))).select_from(Certificate)
                 .join(Registration, Registration.id == Certificate.registration_id)
                 .join(Course, Course.id == Certificate.course_id)
                 .where(Certificate.status == "valid", Course.audience == "residents"))
    trained = db.session.scalar(residents)
    assert trained > 300 and got["people_trained:adults"] == trained
    # commune-counted indicators count distinct communes (issue 16): 79 activities in 78 communes
    assert got["national_day_activities:"] == 78 and got["bridge_points_connected:"] == 87
    assert got["vneid_assisted:"] > 0  # the Mùa hè số shifts count toward the year's campaign
    lagging = [r for r in board.communes if r.lagging]
    assert 0 < len(lagging) <= 95 and board.communes[0].progress > board.communes[-1].progress
    issued = db.session.scalars(select(Certificate.issued_at).join(Course, Course.id == Certificate.course_id)
                                .where(Course.audience == "residents")).all()
    assert (max(issued) - min(issued)).days > 60  # spread over the summer and autumn: a weekly trend
    assert sum(metrics.weekly_trend(campaign)["series"]["certificates_issued"]) == db.session.scalar(
        select(func.count()).select_from(Certificate).where(Certificate.status == "valid"))
    assert "courses: 0 classes added" in runner.invoke(args=["demo"]).output
