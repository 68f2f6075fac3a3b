"""What an accepted check-in does elsewhere, through events.signals.ticket_admitted: a class's
attendance, a bridge point's connection."""

from sqlalchemy import select

from campaign.checkin import services
from campaign.courses.models import Attendance
from campaign.extensions import db
from tests.checkin.conftest import HEADERS, scan_body
from tests.conftest import LONG_THANH
from tests.courses.conftest import create_course, enrol


def test_a_scan_at_a_session_records_the_learner_present(cf, factory, login_as):
    course = create_course(sessions=2)
    reg = enrol(course)[0]
    ticket = services.issue_ticket(reg)
    session = sorted(course.event.children, key=lambda e: e.starts_at)[-1]
    steward = factory.user("volunteer", commune=LONG_THANH)
    cf.steward(session, steward)
    resp = login_as(steward).post("/api/checkin/scan", json=scan_body(session.id, ticket.code), headers=HEADERS)
    assert resp.status_code == 201 and resp.json["result"] == "accepted", resp.text
    row = db.session.scalar(select(Attendance).where(Attendance.registration_id == reg.id,
                                                     Attendance.session_event_id == session.id))
    assert row is not None and row.status == "present" and row.source == "checkin"


def test_the_first_admission_at_a_bridge_point_connects_it(cf, factory, login_as):
    ceremony = cf.event(commune=None, kind="launch_ceremony", title="Lễ phát động")
    point = cf.event(parent=ceremony, kind="bridge_point", title="Điểm cầu Trấn Biên")
    ticket = cf.ticket(ceremony, name="Đại biểu")
    steward = factory.user("volunteer", commune=LONG_THANH)
    cf.steward(point, steward)
    assert point.connected_at is None
    resp = login_as(steward).post("/api/checkin/scan", json=scan_body(point.id, ticket.code), headers=HEADERS)
    assert resp.json["result"] == "accepted", resp.text
    db.session.refresh(point)
    assert point.connected_at is not None and point.connected_by_id == steward.id
