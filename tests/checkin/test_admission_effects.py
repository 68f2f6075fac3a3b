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


# --- the same through the scan API's fast lane (PostgreSQL): a permit judged by a first scan ---------------

def _lane(app):
    from tests.checkin.test_fastlane import lane

    return lane(app)


def test_the_fast_lane_records_a_sessions_attendance(app, is_postgres, cf, factory, login_as):
    course = create_course(sessions=2)
    regs = enrol(course, 2)
    tickets = [services.issue_ticket(reg) for reg in regs]
    db.session.commit()
    session = sorted(course.event.children, key=lambda e: e.starts_at)[-1]
    steward = factory.user("volunteer", commune=LONG_THANH)
    cf.steward(session, steward)
    web = login_as(steward)
    served = _lane(app).answered
    for ticket in tickets:
        resp = web.post("/api/checkin/scan", json=scan_body(session.id, ticket.code), headers=HEADERS)
        assert resp.json["result"] == "accepted", resp.text
    if is_postgres:
        assert _lane(app).answered == served + 1  # the second scan: the fast lane, in a transaction
    assert services.live_permit(steward.session_token, session.id).quiet is False  # attendance to write
    rows = db.session.scalars(select(Attendance).where(Attendance.session_event_id == session.id)).all()
    assert sorted(r.registration_id for r in rows) == sorted(r.id for r in regs)
    assert {r.status for r in rows} == {"present"}


def test_the_fast_lane_connects_a_bridge_point_and_is_quiet_once_connected(app, is_postgres, cf, factory, login_as):
    ceremony = cf.event(commune=None, kind="launch_ceremony", title="Lễ phát động")
    point = cf.event(parent=ceremony, kind="bridge_point", title="Điểm cầu Trấn Biên")
    ticket = cf.ticket(ceremony, name="Đại biểu")
    steward = factory.user("volunteer", commune=LONG_THANH)
    cf.steward(point, steward)
    web = login_as(steward)
    # A first scan (not a ticket) judges the steward's permit: the next scan may take the fast lane.
    assert web.post("/api/checkin/scan", json=scan_body(point.id, "XX"), headers=HEADERS).json["result"] == "invalid"
    served = _lane(app).answered
    resp = web.post("/api/checkin/scan", json=scan_body(point.id, ticket.code), headers=HEADERS)
    assert resp.json["result"] == "accepted", resp.text
    if is_postgres:
        assert _lane(app).answered == served + 1
    db.session.refresh(point)
    assert point.connected_at is not None and point.connected_by_id == steward.id
    assert services.scan_permit(steward, point).quiet is True  # connected: nothing more to do there


def test_quiet_fast_scans_run_without_a_transaction_of_their_own(app, is_postgres, cf, factory, login_as,
                                                                  monkeypatch):
    """Where no receiver acts (a workshop), a fast scan is its one statement in autocommit: the driver
    commits nothing itself; the admission's audit entry is written by the same statement."""
    import psycopg

    from campaign.checkin.models import CheckIn
    from campaign.core.models import AuditLog

    if not is_postgres:
        return
    event = cf.event()
    tickets = [cf.ticket(event) for _ in range(3)]
    steward = factory.user("volunteer", commune=LONG_THANH)
    cf.steward(event, steward)
    web = login_as(steward)
    web.post("/api/checkin/scan", json=scan_body(event.id, tickets[0].code), headers=HEADERS)
    assert services.live_permit(steward.session_token, event.id).quiet is True
    event_id, codes = event.id, [t.code for t in tickets]
    commits = []
    commit = psycopg.Connection.commit
    monkeypatch.setattr(psycopg.Connection, "commit", lambda self: commits.append(1) or commit(self))
    served = _lane(app).answered
    for code, result in ((codes[1], "accepted"), (codes[1], "duplicate"), (codes[2], "accepted")):
        assert web.post("/api/checkin/scan", json=scan_body(event_id, code), headers=HEADERS).json["result"] == result
    assert _lane(app).answered == served + 3 and commits == []
    monkeypatch.undo()
    db.session.rollback()
    accepted = db.session.scalars(select(CheckIn.id).where(CheckIn.event_id == event_id,
                                                           CheckIn.result == "accepted")).all()
    assert len(accepted) == 3
    audited = db.session.scalars(select(AuditLog.object_id).where(AuditLog.action == "checkin.accepted")).all()
    assert {str(i) for i in accepted} <= set(audited)


def test_a_kind_changed_after_the_permit_sends_the_scan_down_the_full_path(app, is_postgres, cf, factory, login_as):
    """A quiet permit was judged for a workshop; the event became a bridge point since: the fast lane's
    statement re-checks the kind, stores nothing, and the full path connects the point."""
    from campaign.events.models import Event

    ceremony = cf.event(commune=None, kind="launch_ceremony", title="Lễ phát động")
    point = cf.event(parent=ceremony, kind="workshop", title="Điểm cầu Long Thành")
    tickets = [cf.ticket(ceremony) for _ in range(2)]
    steward = factory.user("volunteer", commune=LONG_THANH)
    cf.steward(point, steward)
    web = login_as(steward)
    assert web.post("/api/checkin/scan", json=scan_body(point.id, tickets[0].code), headers=HEADERS).json["result"] \
        == "accepted"
    point.kind = "bridge_point"
    db.session.commit()
    handed = _lane(app).handed_over
    resp = web.post("/api/checkin/scan", json=scan_body(point.id, tickets[1].code), headers=HEADERS)
    assert resp.json["result"] == "accepted", resp.text
    if is_postgres:
        assert _lane(app).handed_over == handed + 1
    point = db.session.get(Event, point.id)
    db.session.refresh(point)
    assert point.connected_at is not None


def test_a_receiver_that_declares_nothing_makes_every_admission_matter(cf):
    from campaign.events.signals import admission_has_effects, ticket_admitted

    event = cf.event()
    assert admission_has_effects(event) is False

    def newcomer(sender, **kw):
        pass

    ticket_admitted.connect(newcomer)
    try:
        assert admission_has_effects(event) is True
    finally:
        ticket_admitted.disconnect(newcomer)
    assert admission_has_effects(event) is False
