"""The permission matrix of the courses feature: every route × every kind of user."""

import secrets
from datetime import date

import pytest

from campaign.courses import services
from campaign.courses.models import Certificate
from campaign.extensions import db
from tests.courses.conftest import create_course, enrol
from tests.matrix import ACTORS, EVERY_USER, Row, check_row, ok

STAFF = ok("admin", "coord", "coord_kh", "officer_a", "officer_b", "youth", "trainer")
ORGANISERS = ok("admin", "coord", "coord_kh", "officer_a", "officer_b", "youth")
# A Trấn Biên course: its organisers (the commune's officer, the province's coordinator and youth
# union) and its assigned trainer.
MANAGERS = ("admin", "coord", "officer_a", "youth")
TEACHERS = MANAGERS + ("trainer",)
C = "/courses/{course}"
S = C + "/sessions/{session}"

ROWS = [
    Row("GET", "/courses/", ok(*ACTORS), public=True),
    Row("GET", "/courses/manage", STAFF),
    Row("GET", "/courses/new", ORGANISERS),
    Row("POST", "/courses/new", ORGANISERS, data={"title": ""}),
    Row("GET", C, ok(*ACTORS), public=True),
    Row("GET", "/courses/{internal}", ok(*TEACHERS)),
    Row("GET", C + "/enrol", ok(*ACTORS), public=True),
    Row("POST", C + "/enrol", ok(*ACTORS), public=True, data={"full_name": ""}),
    Row("GET", C + "/edit", ok(*MANAGERS)),
    Row("POST", C + "/edit", ok(*MANAGERS), data={"title": ""}),
    Row("POST", C + "/sessions", ok(*MANAGERS, status=302), data={"day": ""}),
    Row("GET", C + "/enrol/staff", ok(*TEACHERS)),
    Row("POST", C + "/enrol/staff", ok(*TEACHERS), data={"full_name": ""}),
    Row("GET", S + "/roll-call", ok(*TEACHERS)),
    Row("POST", S + "/roll-call", ok(*TEACHERS, status=302), data={"present-{reg}": "1"}),
    Row("GET", S + "/paper", ok(*TEACHERS)),
    Row("POST", S + "/paper", ok(*TEACHERS, status=302), data={"status-{reg}": "late"}),
    Row("GET", S + "/sheet", ok(*TEACHERS)),
    Row("GET", C + "/overview", ok(*TEACHERS)),
    Row("GET", C + "/results", ok(*TEACHERS)),
    Row("POST", C + "/results", ok(*TEACHERS, status=302), data={"outcome-{reg}": "passed"}),
    Row("POST", C + "/learners/{reg}/certificate", ok(*MANAGERS, status=302)),
    Row("POST", C + "/certificates", ok(*MANAGERS, status=302)),
    # the old progress address of a certificate job: a redirect to the job's page (which checks who sees it)
    Row("GET", "/courses/jobs/{job}", {a: 302 for a in EVERY_USER}),
    Row("GET", "/courses/certificates/{cert}", ok(*TEACHERS)),
    Row("GET", "/courses/certificates/{cert}/pdf", ok(*TEACHERS)),
    Row("POST", "/courses/certificates/{cert}/revoke", ok(*MANAGERS, status=302), data={"revoke-reason": "Sai"}),
    Row("POST", "/courses/certificates/{cert}/reissue", ok(*MANAGERS, status=302),
        data={"reissue-learner_name": "Tên đã sửa"}),
    Row("GET", "/courses/verify/{token}", ok(*ACTORS), public=True),
    # the class's learners on the events pages: its organisers and its own trainer (phones masked);
    # a trainer sees no other class's learners (issue 14, point 12)
    Row("GET", "/manage/events/{course_event}", ok(*TEACHERS)),
    Row("GET", "/manage/events/{course_event}/registrants.csv", ok(*TEACHERS)),
    Row("GET", "/manage/events/{session}", ok(*TEACHERS)),
    Row("GET", "/manage/events/{other_course_event}", ok(*MANAGERS)),
    Row("GET", "/manage/events/{other_course_event}/registrants.csv", ok(*MANAGERS)),
]


def objects(factory, actors):
    trainer = actors["trainer"]
    course = create_course(sessions=2, assessment="pass_fail", trainer_ids=[trainer.id])
    internal = create_course(sessions=1, visibility="internal", trainer_ids=[trainer.id])
    reg, other = enrol(course, 2)
    session = services.sessions(course)[0]
    services.record_attendance(None, course, session, {reg.id: "present", other.id: "present"})
    services.set_result(None, course, reg, outcome="passed")
    services.set_result(None, course, other, outcome="passed")
    # a certificate row without rendering a PDF (the PDF is tested on its own)
    cert = Certificate(course_id=course.id, registration_id=other.id, serial=1, number=f"GCN-T-{other.id}",
                       verify_token=secrets.token_urlsafe(12), learner_name="Học viên", course_title="Lớp",
                       starts_on=date(2026, 1, 1), ends_on=date(2026, 2, 1), issuing_unit="UBND", pdf=b"%PDF-1.4")
    db.session.add(cert)
    db.session.commit()
    other_course = create_course(sessions=1)
    return {"course_event": course.event_id, "other_course_event": other_course.event_id,
            "course": course.id, "internal": internal.id, "session": session.id, "reg": reg.id, "cert": cert.id,
            "token": cert.verify_token, "job": 1}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(app, factory, row):
    check_row(app, factory, row, objects)


def test_trainers_see_only_their_own_learners_and_csv_downloads_are_audited(login_as, factory):
    from sqlalchemy import select

    from campaign.core.models import AuditLog
    from tests.conftest import DONG_NAI

    trainer = factory.user("trainer", province=DONG_NAI)
    mine = create_course(sessions=1, trainer_ids=[trainer.id])
    theirs = create_course(sessions=1)
    enrol(mine, 1, prefix="Học viên của tôi")
    enrol(theirs, 1, prefix="Học viên lớp khác")
    client = login_as(trainer)
    page = client.get(f"/manage/events/{mine.event_id}")
    assert page.status_code == 200 and "Học viên của tôi 001" in page.text
    assert client.get(f"/manage/events/{theirs.event_id}").status_code == 403
    assert client.get(f"/manage/events/{theirs.event_id}/registrants.csv").status_code == 403
    csv = client.get(f"/manage/events/{mine.event_id}/registrants.csv?q=0901")
    assert csv.status_code == 200
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "registrations.exported"))
    assert entry.actor_id == trainer.id and entry.object_id == str(mine.event_id)
    assert entry.details["rows"] == 0 and entry.details["searched"] is True and "0901" not in str(entry.details)
    assert entry.province_code == DONG_NAI
