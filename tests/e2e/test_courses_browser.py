"""Courses in the browser: a trainer takes the roll call on a phone; accessibility of the pages."""

from sqlalchemy import select

from campaign.core.timeutil import to_local
from campaign.courses import services
from campaign.courses.models import Attendance
from campaign.extensions import db
from tests.conftest import DONG_NAI
from tests.courses.conftest import create_course, enrol
from tests.e2e.conftest import axe_violations, browser_login


def test_trainer_takes_roll_call_on_a_phone(phone, live_server, factory):
    trainer = factory.user("trainer", province=DONG_NAI, full_name="Giảng viên Lan")
    course = create_course(sessions=3, title="Kỹ năng số cho người cao tuổi", trainer_ids=[trainer.id])
    an, binh, chi, dung = enrol(course, 4, prefix="Bà")
    session = services.sessions(course)[-1]
    browser_login(phone, live_server, trainer, factory.PASSWORD)
    phone.goto(f"{live_server}/courses/manage")
    phone.get_by_role("link", name="Kỹ năng số cho người cao tuổi").click()
    phone.get_by_role("link", name=f"Điểm danh {to_local(session.starts_at):%d/%m/%Y}").click()
    assert phone.get_by_role("heading", name="Điểm danh").is_visible()
    phone.get_by_role("checkbox", name="Bà 001").check()
    phone.get_by_role("checkbox", name="Bà 002").check()
    phone.get_by_label("Chi tiết cho Bà 002").select_option("late")
    phone.get_by_label("Chi tiết cho Bà 003").select_option("excused")
    # the tick boxes are big enough for a finger, and nothing overflows the screen
    box = phone.get_by_role("checkbox", name="Bà 001").bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360
    assert axe_violations(phone) == []
    phone.get_by_role("button", name="Lưu điểm danh").click()
    assert phone.get_by_text("Đã lưu điểm danh (4 thay đổi).").is_visible()
    assert phone.get_by_role("checkbox", name="Bà 001").is_checked() and not phone.get_by_role("checkbox", name="Bà 004").is_checked()
    db.session.expire_all()
    marks = {a.registration_id: a.status for a in db.session.scalars(
        select(Attendance).where(Attendance.session_event_id == session.id))}
    assert marks == {an.id: "present", binh.id: "late", chi.id: "excused", dung.id: "absent"}


def test_course_pages_pass_axe(page, live_server, factory):
    officer = factory.user("commune_officer", commune=26041)
    course = create_course(sessions=2, min_attendance_pct=50, assessment="pass_fail")
    regs = enrol(course, 3)
    services.record_attendance(None, course, services.sessions(course)[0], {r.id: "present" for r in regs})
    services.set_result(None, course, regs[0], outcome="passed")
    db.session.commit()
    cert = services.issue_certificate(None, course, regs[0], live_server)
    db.session.commit()
    pages = ["/courses/", f"/courses/{course.id}", f"/courses/{course.id}/enrol", f"/courses/verify/{cert.verify_token}"]
    for url in pages:
        page.goto(live_server + url)
        assert axe_violations(page) == [], url
    browser_login(page, live_server, officer, factory.PASSWORD)
    session = services.sessions(course)[0]
    for url in [f"/courses/{course.id}", f"/courses/{course.id}/overview", f"/courses/{course.id}/results",
                f"/courses/{course.id}/sessions/{session.id}/paper", f"/courses/{course.id}/sessions/{session.id}/sheet",
                "/courses/new", f"/courses/certificates/{cert.id}"]:
        page.goto(live_server + url)
        assert axe_violations(page) == [], url


def test_bulk_certificates_show_progress_with_redis(page, live_server, factory, app):
    """The class's certificates as a background job: the job's page follows the progress and comes back
    to the class overview when the job is done."""
    import uuid

    import pytest

    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/14"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    from rq import SimpleWorker

    from campaign.jobs import services as job_services

    officer = factory.user("commune_officer", commune=26041)
    course = create_course(sessions=2, min_attendance_pct=50)
    regs = enrol(course, 12)
    services.record_attendance(None, course, services.sessions(course)[0], {r.id: "present" for r in regs})
    db.session.commit()
    browser_login(page, live_server, officer, factory.PASSWORD)
    page.goto(f"{live_server}/courses/{course.id}/overview")
    app.config.update(REDIS_URL=url, JOBS_QUEUE=f"campaign-test-{uuid.uuid4().hex[:12]}")
    queue = job_services.queue(url)
    try:
        page.get_by_role("button", name="Cấp giấy chứng nhận cho cả lớp").click()
        page.wait_for_url(lambda u: "/jobs/" in u)
        assert page.locator("[data-state]").inner_text() == "Đang chờ bắt đầu"
        assert page.locator("#job-progress").get_attribute("value") == "0"
        # the worker runs here (the test's thread: rq installs signal handlers) while the page polls
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
    finally:
        queue.empty()
        queue.delete(delete_jobs=True)
        app.config.update(REDIS_URL=None, JOBS_QUEUE=None)
    # the page's script polls the job's JSON status and, once it is done, goes back to the overview
    page.wait_for_url(lambda u: u.endswith(f"/courses/{course.id}/overview"), timeout=20_000)
    assert page.locator('a[href*="/courses/certificates/"]').count() == 12

