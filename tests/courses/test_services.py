"""Courses, sessions as child events, enrolment through registrations, attendance, completion."""

from datetime import timedelta

import pytest

from campaign.core.services import DomainError
from campaign.courses import services
from campaign.courses.models import Attendance, CourseTopic
from campaign.events.models import Event
from campaign.extensions import db
from tests.courses.conftest import create_course, enrol


def test_course_has_parent_event_and_weekly_child_sessions():
    course = create_course(sessions=5)
    held = services.sessions(course)
    assert len(held) == 5
    assert all(s.parent_id == course.event_id and s.kind == "class_session" for s in held)
    assert all(not s.registration_open for s in held)
    assert [b.starts_at - a.starts_at for a, b in zip(held, held[1:], strict=False)] == [timedelta(weeks=1)] * 4
    event = db.session.get(Event, course.event_id)
    assert event.starts_at == held[0].starts_at and event.ends_at == held[-1].ends_at
    assert event.capacity == 50 and event.kind == "other"


def test_single_session_added_and_dates_refit():
    course = create_course(sessions=2)
    last = services.sessions(course)[-1]
    extra = services.add_session(None, course, last.starts_at + timedelta(days=3),
                                 last.starts_at + timedelta(days=3, hours=3), title="Buổi ôn tập")
    db.session.commit()
    assert extra.title == "Buổi ôn tập"
    assert db.session.get(Event, course.event_id).ends_at == extra.ends_at


def test_course_values_are_checked():
    with pytest.raises(DomainError) as err:
        create_course(audience="martians")
    assert err.value.field == "audience"
    with pytest.raises(DomainError) as err:
        create_course(assessment="score", pass_score=None)
    assert err.value.field == "pass_score"
    db.session.rollback()
    with pytest.raises(DomainError):
        create_course(min_attendance_pct=120)


def test_topics_are_configurable_and_seeded_once():
    assert services.ensure_default_topics() == len(services.DEFAULT_TOPICS)
    assert services.ensure_default_topics() == 0
    extra = CourseTopic(code="AI.2", group_code="AI", name="AI tạo sinh trong công việc", position=11)
    db.session.add(extra)
    db.session.commit()
    topics = services.active_topics()
    assert [t.code for t in topics][:3] == ["0.1", "0.2", "1.1"] and topics[-1].code == "AI.2"
    course = create_course(topic_ids=[topics[0].id, extra.id])
    assert [t.code for t in course.topics] == ["0.1", "AI.2"]


def test_enrolment_is_a_registration_with_capacity_and_waiting_list():
    course = create_course(capacity=2)
    regs = enrol(course, 3)
    assert [r.status for r in regs] == ["confirmed", "confirmed", "waitlisted"]
    assert all(r.event_id == course.event_id for r in regs)
    assert [r.id for r in services.roster(course)] == [regs[0].id, regs[1].id]


def test_roll_call_records_and_changes_attendance(factory):
    trainer = factory.user("trainer", province=75)
    course = create_course(sessions=3)
    a, b, c = enrol(course, 3)
    s1 = services.sessions(course)[0]
    assert services.record_attendance(trainer, course, s1, {a.id: "present", b.id: "late", c.id: "excused"}) == 3
    db.session.commit()
    assert services.record_attendance(trainer, course, s1, {a.id: "present", b.id: "present", c.id: "absent"}) == 2
    db.session.commit()
    marks = services.session_marks(s1)
    assert {k: v.status for k, v in marks.items()} == {a.id: "present", b.id: "present", c.id: "absent"}
    assert marks[a.id].recorded_by_id == trainer.id and marks[a.id].source == "roll_call"


def test_attendance_refuses_strangers_and_future_sessions():
    course = create_course(sessions=3, first_day=7)
    other = create_course(sessions=1)
    (reg,) = enrol(course, 1)
    (stranger,) = enrol(other, 1)
    s1 = services.sessions(course)[0]
    with pytest.raises(DomainError):
        services.record_attendance(None, course, s1, {reg.id: "present"})  # next week
    past = services.sessions(other)[0]
    with pytest.raises(DomainError):
        services.record_attendance(None, course, past, {reg.id: "present"})  # not the course's session
    with pytest.raises(DomainError):
        services.record_attendance(None, other, past, {reg.id: "present", stranger.id: "present"})
    with pytest.raises(DomainError):
        services.record_attendance(None, other, past, {stranger.id: "asleep"})


def test_checkin_attendance_present_late_idempotent_and_not_downgrading(factory):
    course = create_course(sessions=3)
    a, b, c = enrol(course, 3)
    s1, s2, _s3 = services.sessions(course)
    row = services.record_checkin_attendance(a.id, s1.id, s1.starts_at + timedelta(minutes=5))
    assert (row.status, row.source) == ("present", "checkin")
    row = services.record_checkin_attendance(b.id, s1.id, s1.starts_at + timedelta(minutes=40))
    assert row.status == "late"
    # twice: one row, unchanged
    services.record_checkin_attendance(a.id, s1.id, s1.starts_at + timedelta(minutes=50))
    db.session.commit()
    assert db.session.query(Attendance).filter_by(registration_id=a.id, session_event_id=s1.id).one().status \
        == "present"
    # a trainer's "excused" stays; an "absent" is corrected by the check-in
    services.record_attendance(None, course, s2, {a.id: "excused", c.id: "absent"})
    assert services.record_checkin_attendance(a.id, s2.id, s2.starts_at).status == "excused"
    assert services.record_checkin_attendance(c.id, s2.id, s2.starts_at).status == "present"
    db.session.commit()


def test_checkin_attendance_refuses_other_events_and_unconfirmed():
    course = create_course(sessions=1, capacity=1)
    other = create_course(sessions=1)
    confirmed, waiting = enrol(course, 2)
    session = services.sessions(course)[0]
    with pytest.raises(DomainError):
        services.record_checkin_attendance(waiting.id, session.id, session.starts_at)
    with pytest.raises(DomainError):
        services.record_checkin_attendance(confirmed.id, services.sessions(other)[0].id, session.starts_at)
    with pytest.raises(DomainError):
        services.record_checkin_attendance(confirmed.id, course.event_id, session.starts_at)  # the parent itself
    with pytest.raises(ValueError):
        services.record_checkin_attendance(confirmed.id, session.id, session.starts_at.replace(tzinfo=None))


@pytest.mark.parametrize("attended, excused, assessment, result, expected", [
    (3, 0, "none", None, True),        # 3/4 = 75% meets 75%
    (2, 1, "none", None, False),       # excused is not attended
    (4, 0, "pass_fail", None, False),  # assessed but no result yet
    (4, 0, "pass_fail", "passed", True),
    (4, 0, "pass_fail", "failed", False),
    (3, 0, "score", 50, True),         # pass mark 50
    (3, 0, "score", 49, False),
    (2, 0, "score", 100, False),       # not enough attendance
])
def test_completion_rule(attended, excused, assessment, result, expected):
    course = create_course(sessions=4, assessment=assessment, pass_score=50 if assessment == "score" else None)
    (reg,) = enrol(course, 1)
    held = services.sessions(course)
    marks = ["present"] * attended + ["excused"] * excused
    for session, status in zip(held, marks, strict=False):
        services.record_attendance(None, course, session, {reg.id: status})
    if assessment == "pass_fail" and result:
        services.set_result(None, course, reg, outcome=result)
    if assessment == "score":
        services.set_result(None, course, reg, score=result)
    db.session.commit()
    row = services.class_overview(course).rows[0]
    assert row.attended == attended and row.total == 4
    assert row.completed is expected


def test_results_are_checked_and_cleared():
    course = create_course(assessment="score", pass_score=60)
    plain = create_course()
    (reg,) = enrol(course, 1)
    with pytest.raises(DomainError):
        services.set_result(None, course, reg, score=101)
    with pytest.raises(DomainError):
        services.set_result(None, plain, reg, outcome="passed")
    assert services.set_result(None, course, reg, score=75).outcome == "passed"
    assert services.set_result(None, course, reg, score=30).outcome == "failed"
    assert services.set_result(None, course, reg, score=None) is None
    db.session.commit()
    assert services.class_overview(course).rows[0].result is None


def test_cancelled_session_does_not_count():
    from campaign.events import services as events

    course = create_course(sessions=4, min_attendance_pct=100)
    (reg,) = enrol(course, 1)
    held = services.sessions(course)
    for s in held[:3]:
        services.record_attendance(None, course, s, {reg.id: "present"})
    events.cancel_event(None, held[3])
    db.session.commit()
    row = services.class_overview(course).rows[0]
    assert (row.attended, row.total, row.completed) == (3, 3, True)


