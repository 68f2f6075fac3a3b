"""Time the bulk issue of a class's certificates (100 learners by default).

    .venv/bin/python bench/certificates_bulk.py [--learners 100] [--redis redis://127.0.0.1:6379/14]

Builds a throwaway SQLite database (or uses BENCH_DATABASE_URL), a course whose learners all
completed it, then issues every certificate: inline (as without Redis), or through rq with a
burst SimpleWorker when --redis is given. Prints the time and the rate.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=100)
    parser.add_argument("--redis", default="")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from campaign import create_app
    from campaign.accounts.services import create_user
    from campaign.courses import services, tasks
    from campaign.courses.models import Certificate
    from campaign.extensions import db
    from campaign.jobs import services as job_services
    from campaign.jobs.models import Job
    from campaign.units.services import load_units

    tmp = tempfile.mkdtemp()
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "REDIS_URL": args.redis or None})
    with app.app_context():
        upgrade()
        load_units(75)
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        course = services.create_course(None, province_code=75, commune_code=None, title="Lớp chuyên gia chuyển đổi số",
                                        starts_at=now, ends_at=now + timedelta(hours=3), audience="civil_servants",
                                        capacity=args.learners, min_attendance_pct=100,
                                        issuing_unit="Sở Khoa học và Công nghệ tỉnh Đồng Nai")
        services.add_weekly_sessions(None, course, now - timedelta(weeks=1), now - timedelta(weeks=1, hours=-3), 2)
        regs = [services.enrol(course, full_name=f"Học viên Nguyễn Thị {n:03d}", consent=True)[0]
                for n in range(args.learners)]
        for session in services.sessions(course):
            services.record_attendance(None, course, session, {r.id: "present" for r in regs})
        admin = create_user(None, username="bench.admin", full_name="Bench", password="bench-password-1",
                            role="admin")
        db.session.commit()

        started = time.perf_counter()
        job = tasks.start_certificates(admin, course, "https://bdhvs.dongnai.gov.vn", "/courses/")
        how = "queued" if job.status == "queued" else "inline"
        if how == "queued":
            from rq import SimpleWorker

            queue = job_services.queue(args.redis)
            SimpleWorker([queue], connection=queue.connection).work(burst=True)
        elapsed = time.perf_counter() - started
        db.session.expire_all()
        job = db.session.get(Job, job.id)
        issued = db.session.query(Certificate).filter_by(course_id=course.id, status="valid").count()
        size = sum(len(c.pdf) for c in db.session.query(Certificate).filter_by(course_id=course.id))
        print(f"certificates_bulk: {issued} certificates ({how}, job {job.status} {job.done}/{job.total}) "
              f"in {elapsed:.2f} s = {issued / elapsed:.1f}/s, {elapsed / max(issued, 1) * 1000:.0f} ms each; "
              f"PDFs {size / 1024:.0f} KiB in all")


if __name__ == "__main__":
    main()
