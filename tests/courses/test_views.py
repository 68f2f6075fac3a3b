"""The pages of the courses feature: enrolment, roll call, paper entry, results, certificates."""

import re
from datetime import UTC, datetime

from sqlalchemy import event, select

from campaign.courses import services
from campaign.courses.models import Attendance, Certificate, Course, CourseResult
from campaign.events.models import Registration
from campaign.extensions import db
from campaign.jobs.models import Job
from tests.conftest import DONG_NAI, TRAN_BIEN
from tests.courses.conftest import create_course, enrol


def test_public_list_page_and_enrolment(client):
    course = create_course(title="Lớp dùng điện thoại thông minh", capacity=1, audience="elderly")
    hidden = create_course(title="Lớp nội bộ", visibility="internal")
    page = client.get("/courses/")
    assert "Lớp dùng điện thoại thông minh" in page.text and "Lớp nội bộ" not in page.text
    assert client.get("/courses/?audience=elderly").text.count("Lớp dùng điện thoại") == 1
    assert "Lớp dùng điện thoại" not in client.get("/courses/?audience=workers").text
    detail = client.get(f"/courses/{course.id}")
    assert detail.status_code == 200 and "Người cao tuổi" in detail.text
    assert client.get(f"/courses/{hidden.id}").status_code == 302  # to the login page
    resp = client.post(f"/courses/{course.id}/enrol", data={"full_name": "Trần Văn Bảy", "phone": "0912 345 678",
                                                            "consent": "y"})
    assert resp.status_code == 200 and "Bạn đã ghi danh" in resp.text
    assert 'class="ticket-qr' in resp.text  # the check-in ticket, used at every session
    link = re.search(r'href="(/r/[^"]+)"', resp.text).group(1)
    assert "Trần Văn Bảy" in client.get(link).text  # the private link shows the enrolment
    resp = client.post(f"/courses/{course.id}/enrol", data={"full_name": "Lê Thị Tám", "consent": "y"})
    assert "danh sách chờ" in resp.text
    # no consent: a message, nothing written
    resp = client.post(f"/courses/{course.id}/enrol", data={"full_name": "Không đồng ý"})
    assert resp.status_code == 200 and "đồng ý" in resp.text
    statuses = db.session.scalars(select(Registration.status).where(Registration.event_id == course.event_id)
                                  .order_by(Registration.id)).all()
    assert statuses == ["confirmed", "waitlisted"]
    # bad phone: a clear message, not a 500
    resp = client.post(f"/courses/{course.id}/enrol", data={"full_name": "Số sai", "phone": "12", "consent": "y"})
    assert resp.status_code == 200 and "số điện thoại" in resp.text


def test_staff_creates_course_with_weekly_sessions(factory, login_as):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    trainer = factory.user("trainer", province=DONG_NAI, full_name="Giảng viên Hòa")
    services.ensure_default_topics()
    db.session.commit()
    topic = services.active_topics()[0]
    client = login_as(officer)
    form = client.get("/courses/new")
    assert form.status_code == 200 and "Giảng viên Hòa" in form.text and "Sử dụng thiết bị số" in form.text
    data = {"title": "Kỹ năng số cho người khuyết tật", "audience": "disabilities", "commune_code": str(TRAN_BIEN),
            "format": "in_person", "capacity": "30", "place": "Nhà văn hóa", "issuing_unit": "UBND phường Trấn Biên",
            "min_attendance_pct": "80", "assessment": "pass_fail", "first_date": "2030-03-02",
            "start_time": "08:00", "end_time": "10:00", "weeks": "6", "topic_ids": [str(topic.id)],
            "trainer_ids": [str(trainer.id)], "accessibility_notes": "Phiên dịch ngôn ngữ ký hiệu"}
    resp = client.post("/courses/new", data=data)
    assert resp.status_code == 302, resp.text
    course = db.session.scalar(select(Course))
    assert course.event.commune_code == TRAN_BIEN and course.event.capacity == 30
    held = services.sessions(course)
    assert len(held) == 6 and held[0].starts_at.hour == 1  # 08:00 in Vietnam
    assert [t.id for t in course.trainers] == [trainer.id]
    # a commune outside the officer's scope is refused
    resp = client.post("/courses/new", data=dict(data, commune_code="26368"))
    assert resp.status_code == 403
    # end before start: a message on the form
    resp = client.post("/courses/new", data=dict(data, end_time="07:00"))
    assert resp.status_code == 200 and db.session.query(Course).count() == 1
    # add a single extra session
    resp = client.post(f"/courses/{course.id}/sessions", data={"day": "2030-05-01", "start_time": "08:00",
                                                               "end_time": "11:00", "weeks": "1",
                                                               "title": "Kiểm tra cuối khóa"})
    assert resp.status_code == 302
    assert len(services.sessions(course)) == 7


def test_roll_call_paper_entry_sheet_and_results(factory, login_as):
    trainer = factory.user("trainer", province=DONG_NAI)
    course = create_course(sessions=2, assessment="score", pass_score=50, trainer_ids=[trainer.id])
    a, b, c = enrol(course, 3)
    s1, s2 = services.sessions(course)
    client = login_as(trainer)
    page = client.get(f"/courses/{course.id}/sessions/{s1.id}/roll-call")
    assert page.status_code == 200 and "Học viên 001" in page.text
    resp = client.post(f"/courses/{course.id}/sessions/{s1.id}/roll-call",
                       data={f"present-{a.id}": "1", f"present-{b.id}": "1", f"detail-{b.id}": "late",
                             f"detail-{c.id}": "excused"})
    assert resp.status_code == 302
    marks = {m.registration_id: (m.status, m.source) for m in db.session.scalars(select(Attendance))}
    assert marks == {a.id: ("present", "roll_call"), b.id: ("late", "roll_call"), c.id: ("excused", "roll_call")}
    sheet = client.get(f"/courses/{course.id}/sessions/{s2.id}/sheet")
    assert sheet.status_code == 200 and "Chữ ký" in sheet.text and sheet.text.count("Học viên 0") == 3
    resp = client.post(f"/courses/{course.id}/sessions/{s2.id}/paper",
                       data={f"status-{a.id}": "present", f"status-{b.id}": "absent", f"status-{c.id}": "present"})
    assert resp.status_code == 302
    assert db.session.scalar(select(Attendance.source).where(Attendance.session_event_id == s2.id).limit(1)) == "paper"
    # a forged status is refused with a message, nothing saved
    resp = client.post(f"/courses/{course.id}/sessions/{s2.id}/paper", data={f"status-{a.id}": "asleep"},
                       follow_redirects=True)
    assert "Chọn có mặt" in resp.text
    resp = client.post(f"/courses/{course.id}/results", data={f"score-{a.id}": "80", f"score-{b.id}": "30",
                                                              f"score-{c.id}": ""})
    assert resp.status_code == 302
    assert {r.registration_id: r.outcome for r in db.session.scalars(select(CourseResult))} == {
        a.id: "passed", b.id: "failed"}
    resp = client.post(f"/courses/{course.id}/results", data={f"score-{a.id}": "tám mươi"}, follow_redirects=True)
    assert "số nguyên" in resp.text
    overview = client.get(f"/courses/{course.id}/overview")
    assert overview.status_code == 200 and "1 trên 3 học viên" in overview.text


def test_certificates_issue_verify_revoke_and_job_status(factory, login_as, client):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    course = create_course(sessions=2, min_attendance_pct=50)
    regs = enrol(course, 3)
    services.record_attendance(None, course, services.sessions(course)[0], {r.id: "present" for r in regs[:2]})
    db.session.commit()
    staff = login_as(officer)
    resp = staff.post(f"/courses/{course.id}/learners/{regs[0].id}/certificate")
    assert resp.status_code == 302
    cert = db.session.scalar(select(Certificate))
    resp = staff.post(f"/courses/{course.id}/learners/{regs[2].id}/certificate", follow_redirects=True)
    assert "Chỉ học viên đã hoàn thành" in resp.text
    resp = staff.post(f"/courses/{course.id}/certificates", follow_redirects=True)
    assert "Đã cấp 1 giấy chứng nhận" in resp.text
    job = db.session.scalar(select(Job).where(Job.kind == "courses.certificates"))
    assert job.status == "done" and job.result["issued"] == 1 and job.created_by_id == officer.id
    old = staff.get(f"/courses/jobs/{job.id}")  # the old progress address: the job's page
    assert old.status_code == 302 and old.headers["Location"].endswith(f"/jobs/{job.id}")
    assert staff.get(f"/jobs/{job.id}.json").json["percent"] == 100
    resp = staff.post(f"/courses/{course.id}/certificates", follow_redirects=True)  # nobody left
    assert "đã có giấy chứng nhận" in resp.text
    pdf = staff.get(f"/courses/certificates/{cert.id}/pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    verify = client.get(f"/courses/verify/{cert.verify_token}")
    assert verify.status_code == 200 and "Còn hiệu lực" in verify.text and cert.learner_name in verify.text
    assert "0912" not in verify.text
    resp = staff.post(f"/courses/certificates/{cert.id}/revoke", data={"revoke-reason": "Cấp nhầm người"})
    assert resp.status_code == 302
    verify = client.get(f"/courses/verify/{cert.verify_token}")
    assert "Đã thu hồi" in verify.text
    assert client.get("/courses/verify/nope").status_code == 404
    # re-issue the other learner's certificate under a corrected name
    other = db.session.scalar(select(Certificate).where(Certificate.registration_id == regs[1].id))
    resp = staff.post(f"/courses/certificates/{other.id}/reissue", data={"reissue-learner_name": "Học viên Hai"})
    assert resp.status_code == 302
    new = db.session.scalar(select(Certificate).where(Certificate.replaces_id == other.id))
    page = staff.get(f"/courses/certificates/{new.id}")
    assert other.number in page.text and "Học viên Hai" in page.text
    assert "Đã được thay thế" in client.get(f"/courses/verify/{other.verify_token}").text


def count_queries(fn) -> int:
    statements = []

    def before(conn, cursor, statement, params, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len(statements)


def test_class_overview_runs_bounded_queries(factory, login_as):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    client = login_as(officer)

    def make(n):
        course = create_course(sessions=3, assessment="pass_fail")
        regs = enrol(course, n)
        for s in services.sessions(course):
            services.record_attendance(None, course, s, {r.id: "present" for r in regs})
        for r in regs:
            services.set_result(None, course, r, outcome="passed")
        db.session.commit()
        for r in regs[: n // 2]:
            services.issue_certificate(None, course, r, "http://x")
        db.session.commit()
        return course

    small, large = make(2), make(12)
    counts = []
    for course in (small, large):
        n = count_queries(lambda c=course: client.get(f"/courses/{c.id}/overview"))
        counts.append(n)
        assert client.get(f"/courses/{course.id}/overview").status_code == 200
    assert counts[0] == counts[1], counts
    # the manage list too
    counts = [count_queries(lambda: client.get("/courses/manage"))]
    create_course()
    create_course()
    counts.append(count_queries(lambda: client.get("/courses/manage")))
    assert counts[0] == counts[1], counts


def test_course_edit_changes_event_and_course_fields(factory, login_as):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    trainer = factory.user("trainer", commune=TRAN_BIEN, full_name="Giảng viên Mới")
    course = create_course(capacity=2)
    regs = enrol(course, 3)
    client = login_as(officer)
    page = client.get(f"/courses/{course.id}/edit")
    assert page.status_code == 200 and "Giảng viên Mới" in page.text and 'name="weeks"' not in page.text
    data = {"title": "Tên mới", "audience": "workers", "format": "mixed", "capacity": "1", "issuing_unit": "UBND",
            "min_attendance_pct": "60", "assessment": "score", "pass_score": "55", "trainer_ids": [str(trainer.id)]}
    resp = client.post(f"/courses/{course.id}/edit", data=data)
    assert resp.status_code == 200  # below the two confirmed learners: refused with a message
    assert db.session.get(Course, course.id).event.capacity == 2
    resp = client.post(f"/courses/{course.id}/edit", data=dict(data, capacity="3"))
    assert resp.status_code == 302
    db.session.expire_all()
    course = db.session.get(Course, course.id)
    assert (course.event.title, course.audience, course.pass_score, course.event.capacity) == ("Tên mới", "workers",
                                                                                               55, 3)
    assert [u.id for u in course.trainers] == [trainer.id]
    # the larger capacity took the waiting learner in
    assert db.session.get(Registration, regs[2].id).status == "confirmed"


def test_staff_enrolment_lists_learners_with_phones_masked_for_trainers(factory, login_as):
    from campaign.courses import services as course_services

    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    trainer = factory.user("trainer", province=DONG_NAI)
    course = create_course(capacity=1, trainer_ids=[trainer.id])
    resp = login_as(trainer).post(f"/courses/{course.id}/enrol/staff",
                                  data={"full_name": "Phạm Thị Chín", "phone": "0912345678", "consent": "y"})
    assert resp.status_code == 302
    course_services.enrol(course, full_name="Đỗ Văn Mười", consent=True, actor=officer)
    db.session.commit()
    page = login_as(trainer).get(f"/courses/{course.id}/enrol/staff")
    assert "Phạm Thị Chín" in page.text and "091•••678" in page.text and "0912345678" not in page.text
    assert "Danh sách chờ" in page.text
    page = login_as(officer).get(f"/courses/{course.id}/enrol/staff")
    assert "0912345678" in page.text
    reg = db.session.scalar(select(Registration).where(Registration.event_id == course.event_id).limit(1))
    assert reg.source == "staff" and reg.registered_by_id == trainer.id


def test_public_list_runs_bounded_queries(client):
    create_course()
    first = count_queries(lambda: client.get("/courses/"))
    for _ in range(4):
        create_course(commune_code=26368)
    assert count_queries(lambda: client.get("/courses/")) == first


def test_certificate_issued_without_pdf_is_rendered_on_first_download(factory, login_as, tmp_path):
    """Certificates of past classes loaded in bulk (the demo's history) get their PDF when first
    opened, dated by their own issue date, and keep it."""
    from tests.courses.test_certificates import pdf_text

    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    course = create_course(sessions=2, min_attendance_pct=50)
    (reg,) = enrol(course, 1)
    services.record_attendance(None, course, services.sessions(course)[0], {reg.id: "present"})
    cert = services.issue_certificate(None, course, reg, "https://x.vn", render=False)
    cert.issued_at = datetime(2026, 9, 30, 3, tzinfo=UTC)
    db.session.commit()
    assert db.session.scalar(select(Certificate.pdf).where(Certificate.id == cert.id)) is None
    staff = login_as(officer)
    pdf = staff.get(f"/courses/certificates/{cert.id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "Ngày cấp: 30/09/2026" in pdf_text(pdf.data, tmp_path)
    assert db.session.scalar(select(Certificate.pdf).where(Certificate.id == cert.id)) == pdf.data
    assert staff.get(f"/courses/certificates/{cert.id}/pdf").data == pdf.data
