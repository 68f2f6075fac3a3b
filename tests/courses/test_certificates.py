"""Certificates: the PDF's Vietnamese text, its QR code, numbers, revocation, re-issue, bulk job."""

import io
from datetime import UTC, datetime

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from campaign.core.services import DomainError
from campaign.core.timeutil import to_local
from campaign.courses import services
from campaign.courses.models import Certificate
from campaign.courses.pdf import qr_png, render_statement_pdf
from campaign.extensions import db
from tests.conftest import LONG_THANH, TRAN_BIEN
from tests.courses.conftest import create_course, enrol

BASE = "https://bdhvs.dongnai.gov.vn"


def pdf_text(pdf: bytes, tmp_path=None) -> list[str]:
    """The PDF's text lines as a reader extracts them (PDFium, a declared test dependency)."""
    document = pdfium.PdfDocument(pdf)
    out = "\n".join(page.get_textpage().get_text_range() for page in document)
    return [line.strip() for line in out.splitlines() if line.strip()]


def pdf_qr(pdf: bytes, tmp_path=None) -> list[str]:
    """The QR codes a camera would read off the first page rendered at 150 dpi."""
    image: Image.Image = pdfium.PdfDocument(pdf)[0].render(scale=150 / 72).to_pil()
    return [r.text for r in zxingcpp.read_barcodes(image)]


def completed_class(n: int = 2, **overrides):
    course = create_course(sessions=2, min_attendance_pct=50, **overrides)
    regs = enrol(course, n)
    first = services.sessions(course)[0]
    services.record_attendance(None, course, first, {r.id: "present" for r in regs})
    db.session.commit()
    return course, regs


def test_certificate_pdf_text_and_qr(tmp_path):
    course = create_course(sessions=2, min_attendance_pct=50, title="Kỹ năng số cho người cao tuổi",
                           issuing_unit="Sở Khoa học và Công nghệ tỉnh Đồng Nai")
    (reg,) = enrol(course, 1, prefix="Nguyễn Thị Ánh Tuyết")
    services.record_attendance(None, course, services.sessions(course)[0], {reg.id: "late"})
    cert = services.issue_certificate(None, course, reg, BASE)
    db.session.commit()
    held = services.sessions(course)
    start, end = to_local(held[0].starts_at), to_local(held[-1].ends_at)
    url = f"{BASE}/courses/verify/{cert.verify_token}"
    today = to_local(datetime.now(UTC))
    assert pdf_text(cert.pdf, tmp_path) == [
        "Sở Khoa học và Công nghệ tỉnh Đồng Nai",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "GIẤY CHỨNG NHẬN",
        "Chứng nhận Ông/Bà",
        "Nguyễn Thị Ánh Tuyết 001",
        "Đã hoàn thành khóa học",
        "Kỹ năng số cho người cao tuổi",
        f"Thời gian học: từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}",
        f"Ngày cấp: {today:%d/%m/%Y}",
        f"Số: GCN-{today.year}-{course.id:04d}-001",
        f"Tra cứu: {url}",
    ]
    assert pdf_qr(cert.pdf, tmp_path) == [url]


def test_qr_error_correction_is_q():
    img = Image.open(io.BytesIO(qr_png("https://x.vn/a")))
    (result,) = zxingcpp.read_barcodes(img)
    assert result.text == "https://x.vn/a" and result.ec_level == "Q"


def test_statement_engine_for_volunteers(tmp_path):
    pdf = render_statement_pdf("Xác nhận giờ tình nguyện", ["Đại sứ số: Lê Văn Đức", "Tổng số giờ: 42 giờ"],
                               issuing_unit="Tỉnh Đoàn Đồng Nai", number="XN-2026-007",
                               place_date="Đồng Nai, ngày 20 tháng 8 năm 2026", signer="Bí thư Tỉnh Đoàn",
                               qr_url="https://bdhvs.vn/v/abc")
    text = pdf_text(pdf, tmp_path)
    assert text[:6] == ["Tỉnh Đoàn Đồng Nai", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                        "XÁC NHẬN GIỜ TÌNH NGUYỆN", "Số: XN-2026-007", "Đại sứ số: Lê Văn Đức"]
    assert "Tra cứu: https://bdhvs.vn/v/abc" in text
    assert pdf_qr(pdf, tmp_path) == ["https://bdhvs.vn/v/abc"]


def test_only_completed_learners_get_one_certificate():
    course, (done, _other) = completed_class(2)
    (late,) = enrol(course, 1, prefix="Đến muộn")
    with pytest.raises(DomainError):
        services.issue_certificate(None, course, late, BASE)
    services.issue_certificate(None, course, done, BASE)
    db.session.commit()
    with pytest.raises(DomainError):
        services.issue_certificate(None, course, done, BASE)


def test_revocation_and_reissue_keep_number_history():
    course, (reg, _) = completed_class(2)
    first = services.issue_certificate(None, course, reg, BASE)
    db.session.commit()
    new = services.reissue_certificate(None, first, "Học viên Một (đã sửa)", BASE)
    db.session.commit()
    assert first.status == "superseded" and new.status == "valid" and new.replaces_id == first.id
    assert new.number != first.number and new.learner_name == "Học viên Một (đã sửa)"
    assert [c.number for c in services.number_history(new)] == [new.number, first.number]
    assert services.successor(first).id == new.id
    with pytest.raises(DomainError):
        services.revoke_certificate(None, new, "  ")
    services.revoke_certificate(None, new, "Cấp nhầm")
    db.session.commit()
    assert new.status == "revoked" and new.revoke_reason == "Cấp nhầm"
    with pytest.raises(DomainError):
        services.revoke_certificate(None, new, "again")
    # the learner may receive a new certificate after a revocation
    again = services.issue_certificate(None, course, reg, BASE)
    assert again.serial == 3


def test_bulk_job_inline_issues_every_pending_certificate(app, factory):
    """Certificates for the whole class run on the background-job framework (inline without Redis)."""
    from campaign.courses import tasks

    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    course, regs = completed_class(5)
    services.issue_certificate(None, course, regs[0], BASE)
    db.session.commit()
    assert app.config.get("REDIS_URL") is None
    job = tasks.start_certificates(officer, course, BASE, "/courses/")
    assert (job.kind, job.status, job.done, job.total, job.percent) == ("courses.certificates", "done", 4, 4, 100)
    assert job.result == {"course_id": course.id, "issued": 4, "skipped": 0}
    assert job.next_url == "/courses/" and job.created_by_id == officer.id
    assert db.session.query(Certificate).filter_by(course_id=course.id, status="valid").count() == 5
    with pytest.raises(DomainError):
        tasks.start_certificates(officer, course, BASE, "/courses/")  # nobody left without one
    outsider = factory.user("commune_officer", commune=LONG_THANH)
    with pytest.raises(DomainError):
        tasks.start_certificates(outsider, course, BASE, "/courses/")


def test_bulk_job_through_an_rq_worker(app, factory):
    """Queued with Redis, run by a worker of the jobs framework (its own process, as in production)."""
    redis = pytest.importorskip("redis")
    import os
    import subprocess
    import sys
    import uuid

    from campaign.courses import tasks
    from campaign.jobs import services as job_services
    from campaign.jobs.models import Job

    url = "redis://127.0.0.1:6379/14"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    course, _regs = completed_class(3)
    db.session.commit()
    app.config.update(REDIS_URL=url, JOBS_QUEUE=f"campaign-test-{uuid.uuid4().hex[:12]}")
    queue = job_services.queue(url)
    try:
        job = tasks.start_certificates(officer, course, BASE, "/courses/")
        assert job.status == "queued" and queue.count == 1
        code = ("from redis import Redis\nfrom rq import Queue, Worker\n"
                f"conn = Redis.from_url({url!r})\n"
                f"raise SystemExit(0 if Worker([Queue({queue.name!r}, connection=conn)], connection=conn)"
                ".work(burst=True) else 3)\n")
        env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "test-secret-key"}
        env.pop("REDIS_URL", None)
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-3000:]
    finally:
        queue.empty()
        queue.delete(delete_jobs=True)
        app.config.update(REDIS_URL=None, JOBS_QUEUE=None)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.status, job.done, job.total) == ("done", 3, 3), job.error
    assert db.session.query(Certificate).filter_by(course_id=course.id).count() == 3


def test_vietnamese_text_uses_the_font_subset_and_other_scripts_the_full_font(tmp_path):
    from campaign.courses import pdf

    regular, bold = pdf._font_files(["Nguyễn Thị Ánh Tuyết – Đồng Nai"])
    assert regular != pdf.FONT_REGULAR and regular.stat().st_size < pdf.FONT_REGULAR.stat().st_size / 3
    assert pdf._font_files(["Nguyễn Văn Ωmega"]) == (pdf.FONT_REGULAR, pdf.FONT_BOLD)
    doc = render_statement_pdf("Xác nhận", ["Họ tên: Ωmega Đức"])
    assert "Họ tên: Ωmega Đức" in pdf_text(doc, tmp_path)
