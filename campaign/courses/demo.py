"""Demo classes of the Đồng Nai 2026 plan: the two expert classes of 50 learners (every learner to
pass and receive a certificate), a class for the elderly and one for people with disabilities,
with weekly sessions and the attendance of the sessions already held. Idempotent."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from campaign.accounts.models import User
from campaign.core.timeutil import local_to_utc, to_local
from campaign.core.types import utcnow
from campaign.courses import services
from campaign.courses.models import Course, CourseTopic
from campaign.events.models import Event
from campaign.extensions import db
from campaign.units.demo import DONG_NAI, LONG_THANH, TRAN_BIEN
from campaign.units.models import Commune

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ", "Huỳnh", "Phan", "Ngô"]
MIDDLE = ["Văn", "Thị", "Minh", "Thanh", "Ngọc", "Hữu", "Thu", "Quốc", "Kim", "Đức"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hòa", "Hùng", "Khánh", "Lan", "Linh",
         "Long", "Mai", "Nam", "Nga", "Phúc", "Quang", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Việt", "Yến"]

# title, commune, audience, capacity, learners, sessions, weeks already held, hour, topics, extra
CLASSES = [
    ("Lớp chuyên gia chuyển đổi số số 1: AI trong xử lý văn bản và dữ liệu", None, "civil_servants", 50, 50, 6, 4,
     8, ["1.1", "1.3", "4", "AI"],
     dict(assessment="pass_fail", min_attendance_pct=100, issuing_unit="Sở Khoa học và Công nghệ tỉnh Đồng Nai",
          place="Hội trường Sở Khoa học và Công nghệ", address="Phường Trấn Biên, Đồng Nai")),
    ("Lớp chuyên gia chuyển đổi số số 2: dữ liệu số và an toàn thông tin", None, "civil_servants", 50, 50, 6, 0,
     8, ["1.3", "4", "5", "AI"],
     dict(assessment="score", pass_score=70, min_attendance_pct=100,
          issuing_unit="Sở Khoa học và Công nghệ tỉnh Đồng Nai", place="Hội trường Sở Khoa học và Công nghệ",
          address="Phường Trấn Biên, Đồng Nai")),
    ("Kỹ năng số cho người cao tuổi: điện thoại thông minh, dịch vụ công, thanh toán số", LONG_THANH, "elderly",
     25, 22, 8, 3, 15, ["0.1", "0.2", "2", "4"],
     dict(min_attendance_pct=75, issuing_unit="UBND xã Long Thành", place="Nhà văn hóa ấp Phước Hòa",
          accessibility_notes="Chữ in lớn, học chậm, có người hỗ trợ cầm tay chỉ việc; cho mượn điện thoại.")),
    ("Kỹ năng số cho người khuyết tật", TRAN_BIEN, "disabilities", 20, 15, 6, 2, 9, ["0.1", "0.2", "1.1", "4"],
     dict(min_attendance_pct=80, issuing_unit="UBND phường Trấn Biên", place="Trung tâm văn hóa phường Trấn Biên",
          accessibility_notes="Lối đi cho xe lăn; phiên dịch ngôn ngữ ký hiệu; tài liệu chữ nổi và âm thanh.")),
]


def _name(n: int) -> str:
    return f"{FAMILY[n % len(FAMILY)]} {MIDDLE[(n // 3) % len(MIDDLE)]} {GIVEN[(n * 7) % len(GIVEN)]}"


def load(context: dict) -> None:
    services.ensure_default_topics()
    topics = {t.code: t.id for t in db.session.scalars(select(CourseTopic))}
    trainer = db.session.scalar(select(User).where(User.username == "giangvien.hoa"))
    actor = db.session.scalar(select(User).where(User.username == "sokhcn.dongnai"))
    today = to_local(utcnow()).date()
    made = 0
    for k, (title, commune, audience, capacity, learners, count, held, hour, topic_codes, extra) in enumerate(CLASSES):
        exists = db.session.scalar(select(Course.id).join(Event, Event.id == Course.event_id)
                                   .where(Event.title == title))
        if exists:
            continue
        first_day = today - timedelta(weeks=held) + timedelta(days=1 if held == 0 else 0)
        if held == 0:
            first_day = today + timedelta(days=10)
        start = local_to_utc(datetime.combine(first_day, time(hour, 0)))
        end = start + timedelta(hours=3)
        course = services.create_course(
            actor, province_code=DONG_NAI, commune_code=commune, title=title, starts_at=start, ends_at=end,
            audience=audience, capacity=capacity, topic_ids=[topics[c] for c in topic_codes if c in topics],
            trainer_ids=[trainer.id] if trainer else [], campaign_id=context.get("campaign_main"), **extra)
        services.add_weekly_sessions(actor, course, start, end, count)
        regs = []
        for n in range(learners):
            reg, _token = services.enrol(course, actor=actor, full_name=_name(n + 100 * k), consent=True,
                                         commune_code=commune)
            regs.append(reg)
        now = utcnow()
        for i, session in enumerate(services.sessions(course)):
            if session.starts_at > now:
                break
            marks = {}
            for j, reg in enumerate(regs):
                if audience == "civil_servants":
                    marks[reg.id] = "present"
                else:  # community classes: a few late arrivals and absences
                    marks[reg.id] = ("absent" if (i + j) % 9 == 0 else "late" if (i + j) % 7 == 0
                                     else "excused" if (i + j) % 11 == 0 else "present")
            services.record_attendance(trainer, course, session, marks, source="roll_call" if i % 2 else "paper")
        made += 1
    made += _finished_class(actor, trainer, topics, context)
    made += _history(actor, trainer, topics, context)
    db.session.flush()
    _session_today(actor, trainer)
    context["echo"](f"courses: {made} classes added")


def _session_today(actor, trainer) -> None:
    """The trainer teaches today whatever day the demo is loaded on: when none of their classes has a
    session today (the demo was loaded on another day), the class for the elderly gets one at 15:00."""
    from campaign.core.timeutil import day_end, day_start
    from campaign.courses.today import _sessions

    today = to_local(utcnow()).date()
    if trainer is None or _sessions(trainer, day_start(today), day_end(today), limit=1):
        return
    course = db.session.scalar(select(Course).join(Event, Event.id == Course.event_id)
                               .where(Event.title == CLASSES[2][0]))
    if course is not None:
        start = local_to_utc(datetime.combine(today, time(15, 0)))
        services.add_weekly_sessions(actor, course, start, start + timedelta(hours=3), 1)


FINISHED = "Bồi dưỡng Tổ Công nghệ số cộng đồng xã Long Thành"


def _finished_class(actor, trainer, topics, context) -> int:
    """A class held in September and October, every learner certified: one certificate revoked,
    one re-issued after a spelling correction (to show the verification page's three states)."""
    if db.session.scalar(select(Course.id).join(Event, Event.id == Course.event_id).where(Event.title == FINISHED)):
        return 0
    import os

    base_url = os.environ.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"
    placeholder = utcnow() + timedelta(days=1)
    course = services.create_course(
        actor, province_code=DONG_NAI, commune_code=LONG_THANH, title=FINISHED, starts_at=placeholder,
        ends_at=placeholder + timedelta(hours=3), audience="community_digital_team", capacity=30,
        topic_ids=[topics[c] for c in ("0.2", "1.1", "2", "4", "AI") if c in topics],
        trainer_ids=[trainer.id] if trainer else [], campaign_id=context.get("campaign_main"),
        assessment="pass_fail", min_attendance_pct=80, issuing_unit="UBND xã Long Thành",
        place="Hội trường UBND xã Long Thành")
    # enrolled while the class was open, then its four sessions (in the past) are placed
    regs = [services.enrol(course, actor=actor, full_name=_name(n + 500), consent=True, commune_code=LONG_THANH)[0]
            for n in range(12)]
    # September 2026; when the demo is loaded before then, six weeks back (its sessions are past)
    first_day = min(date(2026, 9, 12), to_local(utcnow()).date() - timedelta(weeks=6))
    first = local_to_utc(datetime.combine(first_day, time(8, 0)))
    services.add_weekly_sessions(actor, course, first, first + timedelta(hours=3), 4)
    for session in services.sessions(course):
        services.record_attendance(trainer, course, session, {r.id: "present" for r in regs}, source="paper")
    for reg in regs:
        services.set_result(trainer, course, reg, outcome="passed")
    overview = services.class_overview(course)
    certs = [services.issue_certificate(actor, course, reg, base_url, overview=overview) for reg in regs]
    services.revoke_certificate(actor, certs[-1], "Cấp trùng, đã thu hồi để cấp lại qua lớp khác")
    services.reissue_certificate(actor, certs[0], certs[0].learner_name + " (đã sửa)", base_url)
    return 1


HISTORY = "Phổ cập kỹ năng số cho người dân"


def _history(actor, trainer, topics, context) -> int:
    """The classes already held this year: four weekly sessions each between June and November in
    about forty communes (none in the others), most learners completing and certified, so that the
    dashboards' people trained, certificates and classes held tell the story of the campaign. Their
    certificates are issued without a PDF (rendered when first opened, dated by their issue date)."""
    if not context.get("history", True) or db.session.scalar(
            select(Course.id).join(Event, Event.id == Course.event_id).where(Event.title.startswith(HISTORY))):
        return 0
    import os

    base_url = os.environ.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"
    rnd = random.Random(2026)
    today = to_local(utcnow()).date()
    last_start = today - timedelta(weeks=3, days=3)  # four sessions, the last one before today
    communes = db.session.scalars(select(Commune).where(Commune.province_code == DONG_NAI)
                                  .order_by(Commune.code)).all()
    placeholder = utcnow() + timedelta(days=1)
    made = 0
    for commune in communes:
        roll = rnd.random()
        if roll > 0.45:  # a commune without a class yet ("vùng lõm")
            continue
        for k in range(1 if roll > 0.15 else 2):
            elderly = rnd.random() < 0.3
            title = (f"{HISTORY} – {'người cao tuổi – ' if elderly else ''}{commune.name}"
                     + (f" (khóa {k + 1})" if k else ""))
            first_day = min(date(2026, 6, 6) + timedelta(days=rnd.randrange(0, 150)), last_start)
            course = services.create_course(
                actor, province_code=DONG_NAI, commune_code=commune.code, title=title, starts_at=placeholder,
                ends_at=placeholder + timedelta(hours=2), audience="elderly" if elderly else "residents",
                capacity=30, topic_ids=[topics[c] for c in ("0.1", "0.2", "2", "4") if c in topics],
                trainer_ids=[trainer.id] if trainer else [], campaign_id=context.get("campaign_main"),
                min_attendance_pct=75, issuing_unit="UBND " + commune.name, place="Nhà văn hóa " + commune.name)
            enrolled_at = local_to_utc(datetime.combine(first_day - timedelta(days=rnd.randrange(3, 12)), time(9)))
            regs = []
            for n in range(rnd.randrange(12, 26)):
                reg = services.enrol(course, actor=actor, full_name=_name(n + 1000 + 37 * made),
                                     consent=True, commune_code=commune.code)[0]
                reg.created_at = enrolled_at
                regs.append(reg)
            first = local_to_utc(datetime.combine(first_day, time(8 if k == 0 else 14)))
            services.add_weekly_sessions(actor, course, first, first + timedelta(hours=2), 4)
            dropped = {r.id for r in regs if rnd.random() < 0.12}
            for i, session in enumerate(services.sessions(course)):
                services.record_attendance(trainer, course, session, {
                    r.id: "absent" if (r.id in dropped and i >= 1) else "present" for r in regs},
                    source="paper" if i % 2 else "roll_call")
            overview = services.class_overview(course)
            issued_at = local_to_utc(datetime.combine(first_day + timedelta(weeks=3, days=2), time(10)))
            for row in overview.rows:
                if row.completed:
                    cert = services.issue_certificate(actor, course, row.registration, base_url,
                                                      overview=overview, render=False)
                    cert.issued_at = issued_at
            made += 1
    return made
