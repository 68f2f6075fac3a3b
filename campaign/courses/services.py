"""The rules of training classes: courses and their sessions (child events), enrolment (a
registration on the course's event), attendance, results, completion and certificates.
Services never commit, except the bulk certificate job, which reports its progress as it goes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from campaign.accounts import permissions as perm
from campaign.accounts.models import TRAINER, User
from campaign.core.services import DomainError, audit
from campaign.core.text import nfc
from campaign.core.timeutil import to_local
from campaign.core.types import utcnow
from campaign.courses import signals
from campaign.courses.models import (
    ASSESSMENTS,
    ATTENDANCE_SOURCES,
    ATTENDANCE_STATUSES,
    ATTENDED,
    AUDIENCES,
    FORMATS,
    OUTCOMES,
    Attendance,
    Certificate,
    Course,
    CourseResult,
    CourseTopic,
    course_trainers,
)
from campaign.courses.pdf import CertificateFacts, render_certificate_pdf
from campaign.events import services as events
from campaign.events.models import Event, Person, Registration
from campaign.events.signals import admission_effect, person_anonymised, ticket_admitted
from campaign.extensions import db
from campaign.units import services as units

# A check-in later than this after the session's start counts as a late arrival.
LATE_AFTER = timedelta(minutes=15)
MAX_SESSIONS = 60

# The national basic digital skills framework (Quyết định 757/QĐ-BKHCN, 29/4/2025), version 1.0:
# (code, group, name, position). Stored in course_topics so that a new version can change it.
DEFAULT_TOPICS = [
    ("0.1", "0", "Sử dụng thiết bị số", 1),
    ("0.2", "0", "Sử dụng phần mềm, ứng dụng", 2),
    ("1.1", "1", "Tìm kiếm và chọn lọc thông tin trên Internet", 3),
    ("1.2", "1", "Đánh giá độ tin cậy của thông tin", 4),
    ("1.3", "1", "Quản lý dữ liệu và nội dung số", 5),
    ("2", "2", "Giao tiếp và hợp tác trên môi trường số", 6),
    ("3", "3", "Sáng tạo nội dung số", 7),
    ("4", "4", "An toàn và bảo vệ dữ liệu cá nhân", 8),
    ("5", "5", "Giải quyết vấn đề", 9),
    ("AI", "AI", "Sử dụng trí tuệ nhân tạo (AI)", 10),
]


def ensure_default_topics() -> int:
    """Add the framework's topics that are missing (idempotent); returns how many were added."""
    have = set(db.session.scalars(select(CourseTopic.code)))
    added = 0
    for code, group, name, position in DEFAULT_TOPICS:
        if code not in have:
            db.session.add(CourseTopic(code=code, group_code=group, name=name, position=position))
            added += 1
    db.session.flush()
    return added


def active_topics() -> list[CourseTopic]:
    return list(db.session.scalars(select(CourseTopic).where(CourseTopic.active.is_(True))
                                   .order_by(CourseTopic.position, CourseTopic.code)))


# --- permissions -------------------------------------------------------------------------------

def can_manage_course(user, course: Course) -> bool:
    """The organisers of the course's event (commune officers, coordinators, youth organisers)."""
    return perm.is_authenticated(user) and events.can_manage_event(user, course.event)


def is_course_trainer(user, course: Course) -> bool:
    return perm.is_authenticated(user) and any(t.id == user.id for t in course.trainers)


def can_teach(user, course: Course) -> bool:
    """Roll call, results, the class overview: the course's trainers and its organisers."""
    return is_course_trainer(user, course) or can_manage_course(user, course)


def _trainer_sees_own_learners(user, event: Event) -> bool:
    """An event's registrant list for a trainer: only when the event is one of their own classes
    (or a session of one). The trainer role alone shows no one's list."""
    ids = [event.id] + ([event.parent_id] if event.parent_id else [])
    return db.session.scalar(
        select(course_trainers.c.course_id).join(Course, Course.id == course_trainers.c.course_id)
        .where(Course.event_id.in_(ids), course_trainers.c.user_id == user.id).limit(1)) is not None


events.REGISTRANT_VIEWER_CHECKS.append(_trainer_sees_own_learners)


def is_public(course: Course) -> bool:
    return course.event.is_public


# --- courses and sessions ----------------------------------------------------------------------

def _check_course_values(audience, format, min_attendance_pct, assessment, pass_score) -> None:
    if audience not in AUDIENCES:
        raise DomainError(_("Choose an audience from the list."), "audience")
    if format not in FORMATS:
        raise DomainError(_("Choose a format from the list."), "format")
    if not 0 <= (min_attendance_pct if min_attendance_pct is not None else -1) <= 100:
        raise DomainError(_("The minimum attendance is a share between 0 and 100%."), "min_attendance_pct")
    if assessment not in ASSESSMENTS:
        raise DomainError(_("Choose how learners are assessed."), "assessment")
    if assessment == "score" and (pass_score is None or not 0 <= pass_score <= 100):
        raise DomainError(_("Give the pass mark, between 0 and 100."), "pass_score")


def _trainers(ids) -> list[User]:
    ids = [int(i) for i in (ids or [])]
    if not ids:
        return []
    users = list(db.session.scalars(select(User).where(User.id.in_(ids), User.active.is_(True))))
    if len(users) != len(set(ids)):
        raise DomainError(_("Choose trainers from the list."), "trainer_ids")
    return users


def _topics(ids) -> list[CourseTopic]:
    ids = [int(i) for i in (ids or [])]
    if not ids:
        return []
    topics = list(db.session.scalars(select(CourseTopic).where(CourseTopic.id.in_(ids))))
    if len(topics) != len(set(ids)):
        raise DomainError(_("Choose topics from the list."), "topic_ids")
    return topics


def trainer_choices(province_code: int) -> list[User]:
    """Active users holding the trainer role in the province (or one of its communes)."""
    from campaign.accounts.models import RoleGrant
    in_province = (RoleGrant.province_code == province_code) | RoleGrant.commune_code.in_(
        units.commune_codes(province_code))
    return list(db.session.scalars(select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                                   .where(RoleGrant.role == TRAINER, in_province, User.active.is_(True))
                                   .distinct().order_by(User.full_name)))


def create_course(actor, *, province_code: int, commune_code: int | None, title: str, starts_at: datetime,
                  ends_at: datetime, audience: str, format: str = "in_person", capacity: int | None = 50,
                  place: str = "", address: str = "", description: str = "", online_url: str = "",
                  accessibility_notes: str = "", topic_ids=(), trainer_ids=(), min_attendance_pct: int = 80,
                  assessment: str = "none", pass_score: int | None = None, issuing_unit: str = "",
                  status: str = "published", visibility: str = "public", campaign_id: int | None = None,
                  kind: str = "other") -> Course:
    """A course and its parent event (which holds title, commune, venue, capacity, dates)."""
    _check_course_values(audience, format, min_attendance_pct, assessment, pass_score)
    if kind not in ("other", "class_session"):
        raise ValueError(kind)
    if capacity is not None and capacity < 1:
        raise DomainError(_("A class needs at least one place."), "capacity")
    topics, trainers = _topics(topic_ids), _trainers(trainer_ids)
    event = events.create_event(actor, province_code=province_code, commune_code=commune_code, title=title,
                                starts_at=starts_at, ends_at=ends_at, kind=kind, status=status,
                                capacity=capacity, place=place, address=address, description=description,
                                online_url=online_url, visibility=visibility, campaign_id=campaign_id,
                                organiser_unit=nfc(issuing_unit))
    course = Course(event_id=event.id, audience=audience, format=format,
                    accessibility_notes=(accessibility_notes or "").strip(), min_attendance_pct=min_attendance_pct,
                    assessment=assessment, pass_score=pass_score if assessment == "score" else None,
                    issuing_unit=nfc(issuing_unit), created_by_id=getattr(actor, "id", None))
    course.event = event
    course.topics = topics
    course.trainers = trainers
    db.session.add(course)
    db.session.flush()
    audit("course.created", course, actor=actor, event=event.id, audience=audience)
    return course


def sessions(course: Course, include_cancelled: bool = False) -> list[Event]:
    stmt = select(Event).where(Event.parent_id == course.event_id)
    if not include_cancelled:
        stmt = stmt.where(Event.status != "cancelled")
    return list(db.session.scalars(stmt.order_by(Event.starts_at, Event.id)))


def _fit_course_dates(course: Course) -> None:
    """The course's event spans its sessions (the first start to the last end)."""
    first, last = db.session.execute(select(func.min(Event.starts_at), func.max(Event.ends_at))
                                     .where(Event.parent_id == course.event_id, Event.status != "cancelled")).one()
    if first is not None:
        event = course.event
        if event.starts_at != first or event.ends_at != last:
            events.update_event(None, event, starts_at=first, ends_at=last)


def _session_values(course: Course, title: str | None) -> dict:
    event = course.event
    return dict(province_code=event.province_code, commune_code=event.commune_code, kind="class_session",
                parent=event, status="published", visibility=event.visibility, place=event.place,
                address=event.address, online_url=event.online_url, registration_open=False,
                title=nfc(title) or event.title, organiser_unit=event.organiser_unit)


def add_session(actor, course: Course, starts_at: datetime, ends_at: datetime, title: str | None = None) -> Event:
    """One session (a child event of the course's event)."""
    if len(sessions(course)) >= MAX_SESSIONS:
        raise DomainError(_("A course has at most %(n)d sessions.", n=MAX_SESSIONS))
    values = _session_values(course, title)
    session = events.create_event(actor, starts_at=starts_at, ends_at=ends_at, **values)
    _fit_course_dates(course)
    audit("course.session_added", course, actor=actor, session=session.id)
    return session


def add_weekly_sessions(actor, course: Course, first_starts_at: datetime, first_ends_at: datetime, count: int,
                        title: str | None = None) -> list[Event]:
    """``count`` weekly sessions from the first one (same local wall time each week): an event
    series whose occurrences are child events of the course's event."""
    if not 1 <= count <= MAX_SESSIONS or len(sessions(course)) + count > MAX_SESSIONS:
        raise DomainError(_("A course has at most %(n)d sessions.", n=MAX_SESSIONS), "count")
    values = _session_values(course, title)
    series = events.create_series(actor, freq="weekly", interval=1, count=count, starts_at=first_starts_at,
                                  ends_at=first_ends_at, **values)
    _fit_course_dates(course)
    created = list(db.session.scalars(select(Event).where(Event.series_id == series.id).order_by(Event.starts_at)))
    audit("course.sessions_added", course, actor=actor, series=series.id, count=len(created))
    return created


def session_of(course: Course, session_id: int) -> Event | None:
    session = db.session.get(Event, session_id)
    if session is None or session.parent_id != course.event_id:
        return None
    return session


# --- enrolment ---------------------------------------------------------------------------------

def enrol(course: Course, *, actor=None, **person) -> tuple[Registration, str]:
    """Enrol a learner: a registration on the course's event. Capacity, the waiting list and
    concurrent enrolments are the events services' business (row lock, conditional count)."""
    reg, token = events.register(course.event, actor=actor, **person)
    audit("course.enrolled", course, actor=actor, registration=reg.id, status=reg.status)
    return reg, token


def roster(course: Course, statuses=("confirmed",)) -> list[Registration]:
    """The learners (their registrations, with the person loaded), by name: one query."""
    return list(db.session.scalars(
        select(Registration).join(Person, Person.id == Registration.person_id)
        .where(Registration.event_id == course.event_id, Registration.status.in_(statuses))
        .order_by(Person.search_name, Registration.id)))


# --- attendance --------------------------------------------------------------------------------

def _upsert_attendance(reg_id: int, session_id: int, status: str, source: str, actor=None,
                       arrived_at: datetime | None = None) -> Attendance:
    row = db.session.scalar(select(Attendance).where(Attendance.registration_id == reg_id,
                                                     Attendance.session_event_id == session_id))
    if row is None:
        row = Attendance(registration_id=reg_id, session_event_id=session_id)
        db.session.add(row)
    row.status, row.source = status, source
    row.recorded_by_id = getattr(actor, "id", None)
    row.recorded_at = utcnow()
    if arrived_at is not None:
        row.arrived_at = arrived_at
    return row


def record_attendance(actor, course: Course, session: Event, marks: dict[int, str], source: str = "roll_call") -> int:
    """Record a session's attendance: ``marks`` maps registration ids to present / late / excused /
    absent. Only the course's confirmed learners; returns how many rows changed."""
    if session.parent_id != course.event_id:
        raise DomainError(_("This session is not part of the course."))
    if source not in ATTENDANCE_SOURCES:
        raise ValueError(source)
    if session.status == "cancelled":
        raise DomainError(_("This session was cancelled."))
    if session.starts_at > utcnow() + timedelta(hours=12):
        raise DomainError(_("Attendance can be recorded from the day of the session."))
    learners = {r.id for r in roster(course)}
    unknown = set(marks) - learners
    if unknown:
        raise DomainError(_("Some learners are not enrolled in this course. Reload the page and try again."))
    bad = [s for s in marks.values() if s not in ATTENDANCE_STATUSES]
    if bad:
        raise DomainError(_("Choose present, late, excused or absent."))
    existing = {a.registration_id: a for a in db.session.scalars(
        select(Attendance).where(Attendance.session_event_id == session.id))}
    changed = 0
    for reg_id, status in marks.items():
        row = existing.get(reg_id)
        if row is not None and row.status == status:
            continue
        if row is None:
            row = Attendance(registration_id=reg_id, session_event_id=session.id)
            db.session.add(row)
        row.status, row.source = status, source
        row.recorded_by_id, row.recorded_at = getattr(actor, "id", None), utcnow()
        changed += 1
    db.session.flush()
    audit("course.attendance", course, actor=actor, session=session.id, source=source, changed=changed)
    return changed


def record_checkin_attendance(registration_id: int, session_event_id: int, at: datetime,
                              actor=None) -> Attendance:
    """Attendance from a check-in (the ticket of the course's registration scanned at a session):
    present, or late when more than 15 minutes after the start. A check-in never lowers what a
    trainer recorded, except an absence it corrects. Idempotent."""
    if at.tzinfo is None:
        raise ValueError("naive datetime")
    reg = db.session.get(Registration, registration_id)
    session = db.session.get(Event, session_event_id)
    if reg is None or session is None or session.parent_id != reg.event_id:
        raise DomainError(_("This ticket is not for this class."))
    if db.session.scalar(select(Course.id).where(Course.event_id == reg.event_id)) is None:
        raise DomainError(_("This ticket is not for this class."))
    if reg.status != "confirmed":
        raise DomainError(_("This enrolment is not confirmed."))
    status = "late" if at > session.starts_at + LATE_AFTER else "present"
    row = db.session.scalar(select(Attendance).where(Attendance.registration_id == reg.id,
                                                     Attendance.session_event_id == session.id))
    if row is not None and row.status != "absent":
        if row.arrived_at is None:
            row.arrived_at = at
        return row
    row = _upsert_attendance(reg.id, session.id, status, "checkin", actor, arrived_at=at)
    db.session.flush()
    audit("course.checkin_attendance", row, actor=actor, registration=reg.id, session=session.id, status=status)
    return row


@person_anonymised.connect
def _forget_on_certificates(sender, *, registration_ids, texts, **_kw) -> None:
    """An anonymised learner's certificates keep their number, course and status (the counts and the
    verification stay true) but no longer name them: the name becomes "—", the stored PDF is dropped
    (rendered again, without the name, on the next download) and reasons quoting the name are redacted."""
    if not registration_ids:
        return
    from campaign.core import privacy

    for cert in db.session.scalars(select(Certificate).where(Certificate.registration_id.in_(registration_ids))):
        cert.learner_name = events.ANONYMOUS_NAME
        cert.pdf = None
        cert.revoke_reason = privacy.redact(cert.revoke_reason, texts)
    db.session.flush()


@ticket_admitted.connect
def _attendance_from_checkin(sender, *, registration_id: int, event_id: int, at, actor=None, **_kw) -> None:
    """A course's ticket admitted at one of its sessions counts as attendance."""
    session = db.session.get(Event, event_id)
    if session is None or session.parent_id is None:
        return
    if db.session.scalar(select(Course.id).where(Course.event_id == session.parent_id)) is None:
        return
    try:
        record_checkin_attendance(registration_id, event_id, at, actor=actor)
    except DomainError:
        pass  # not this class's enrolment (check-in already judged the ticket itself)


@admission_effect(_attendance_from_checkin)
def _a_class_session(event: Event) -> bool:
    # A session of some event, maybe a class's (bridge points hang under a ceremony, never a class).
    return event.parent_id is not None and event.kind != "bridge_point"


def session_marks(session: Event) -> dict[int, Attendance]:
    return {a.registration_id: a for a in db.session.scalars(
        select(Attendance).where(Attendance.session_event_id == session.id))}


# --- results and completion --------------------------------------------------------------------

def set_result(actor, course: Course, registration: Registration, *, outcome: str | None = None,
               score: int | None = None) -> CourseResult | None:
    """A learner's assessment. Pass/fail courses take an outcome; scored courses a score out of 100
    (the outcome follows from the pass mark). Both blank clears the result."""
    if registration.event_id != course.event_id:
        raise DomainError(_("This learner is not enrolled in this course."))
    if course.assessment == "none":
        raise DomainError(_("This course has no assessment."))
    if course.assessment == "pass_fail":
        if outcome not in (None, "", *OUTCOMES):
            raise DomainError(_("Choose passed or failed."), "outcome")
        score = None
        outcome = outcome or None
    else:
        if score is not None and not 0 <= score <= 100:
            raise DomainError(_("A score is between 0 and 100."), "score")
        outcome = None if score is None else ("passed" if score >= course.pass_score else "failed")
    row = db.session.scalar(select(CourseResult).where(CourseResult.registration_id == registration.id))
    if outcome is None and score is None:
        if row is not None:
            db.session.delete(row)
            audit("course.result_cleared", course, actor=actor, registration=registration.id)
        return None
    if row is None:
        row = CourseResult(course_id=course.id, registration_id=registration.id)
        db.session.add(row)
    if row.outcome == outcome and row.score == score:
        return row
    row.outcome, row.score, row.recorded_by_id = outcome, score, getattr(actor, "id", None)
    db.session.flush()
    audit("course.result", course, actor=actor, registration=registration.id, outcome=outcome, score=score)
    return row


def completes(course: Course, attended: int, total_sessions: int, result: CourseResult | None) -> bool:
    """The completion rule: attended (present or late) at least the course's minimum share of
    its sessions, and passed if the course is assessed."""
    if total_sessions == 0:
        return False
    if attended * 100 < course.min_attendance_pct * total_sessions:
        return False
    if course.assessment == "none":
        return True
    return result is not None and result.outcome == "passed"


@dataclass
class LearnerRow:
    registration: Registration
    attended: int
    late: int
    excused: int
    absent: int
    total: int
    result: CourseResult | None
    completed: bool
    certificate: Certificate | None

    @property
    def person(self) -> Person:
        return self.registration.person

    @property
    def share(self) -> int:
        return round(100 * self.attended / self.total) if self.total else 0


@dataclass
class Overview:
    course: Course
    sessions: list[Event]
    rows: list[LearnerRow]

    @property
    def completed(self) -> int:
        return sum(1 for r in self.rows if r.completed)


def class_overview(course: Course) -> Overview:
    """Every confirmed learner with attendance counts, result, completion and certificate: five
    queries whatever the size of the class."""
    held = sessions(course)
    regs = roster(course)
    counts: dict[int, dict[str, int]] = {}
    if held:
        for reg_id, status, n in db.session.execute(
                select(Attendance.registration_id, Attendance.status, func.count())
                .join(Event, Event.id == Attendance.session_event_id)
                .where(Event.parent_id == course.event_id, Event.status != "cancelled")
                .group_by(Attendance.registration_id, Attendance.status)):
            counts.setdefault(reg_id, {})[status] = n
    results = {r.registration_id: r for r in db.session.scalars(
        select(CourseResult).where(CourseResult.course_id == course.id))}
    certificates = {c.registration_id: c for c in db.session.scalars(
        select(Certificate).where(Certificate.course_id == course.id, Certificate.status == "valid"))}
    rows = []
    for reg in regs:
        c = counts.get(reg.id, {})
        attended = sum(c.get(s, 0) for s in ATTENDED)
        result = results.get(reg.id)
        rows.append(LearnerRow(reg, attended, c.get("late", 0), c.get("excused", 0), c.get("absent", 0), len(held),
                               result, completes(course, attended, len(held), result), certificates.get(reg.id)))
    return Overview(course, held, rows)


# --- certificates ------------------------------------------------------------------------------

def verify_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/courses/verify/{token}"


def _course_dates(course: Course) -> tuple[date, date]:
    return to_local(course.event.starts_at).date(), to_local(course.event.ends_at).date()


def _next_serial(course: Course) -> int:
    return (db.session.scalar(select(func.max(Certificate.serial)).where(Certificate.course_id == course.id)) or 0) + 1


def _new_certificate(actor, course: Course, registration: Registration, learner_name: str, base_url: str,
                     replaces: Certificate | None = None, render: bool = True) -> Certificate:
    serial = _next_serial(course)
    issued = utcnow()
    starts_on, ends_on = _course_dates(course)
    cert = Certificate(course_id=course.id, registration_id=registration.id, serial=serial,
                       number=f"GCN-{to_local(issued).year}-{course.id:04d}-{serial:03d}",
                       verify_token=secrets.token_urlsafe(12), learner_name=learner_name,
                       course_title=course.event.title, starts_on=starts_on, ends_on=ends_on,
                       issuing_unit=course.issuing_unit or course.event.organiser_unit or "",
                       status="valid", issued_at=issued, issued_by_id=getattr(actor, "id", None),
                       replaces_id=replaces.id if replaces else None)
    if render:
        cert.pdf = render_certificate_pdf(certificate_facts(cert, base_url))
    db.session.add(cert)
    db.session.flush()
    return cert


def certificate_pdf(cert: Certificate, base_url: str) -> bytes:
    """The certificate's PDF as stored at issue; one issued without it (``render=False``: the demo's
    history of past classes) is rendered now, from the certificate's own facts, and kept."""
    if cert.pdf is None:
        cert.pdf = render_certificate_pdf(certificate_facts(cert, base_url))
        db.session.flush()
    return cert.pdf


def certificate_facts(cert: Certificate, base_url: str) -> CertificateFacts:
    return CertificateFacts(number=cert.number, learner_name=cert.learner_name, course_title=cert.course_title,
                            starts_on=cert.starts_on, ends_on=cert.ends_on, issuing_unit=cert.issuing_unit,
                            issued_on=to_local(cert.issued_at).date(), verify_url=verify_url(base_url, cert.verify_token))


def issue_certificate(actor, course: Course, registration: Registration, base_url: str,
                      overview: Overview | None = None, render: bool = True) -> Certificate:
    """A certificate for a learner who completed the course (one valid certificate per learner).
    The course's event is locked so that serial numbers never collide."""
    if registration.event_id != course.event_id:
        raise DomainError(_("This learner is not enrolled in this course."))
    events.lock_event(course.event)
    existing = db.session.scalar(select(Certificate).where(Certificate.registration_id == registration.id,
                                                           Certificate.status == "valid"))
    if existing is not None:
        raise DomainError(_("This learner already has a valid certificate (%(number)s).", number=existing.number))
    overview = overview or class_overview(course)
    row = next((r for r in overview.rows if r.registration.id == registration.id), None)
    if row is None or not row.completed:
        raise DomainError(_("Only learners who completed the course receive a certificate."))
    if registration.person.anonymised_at is not None:
        raise DomainError(_("This learner's personal data was removed; no certificate can be issued."))
    cert = _new_certificate(actor, course, registration, registration.person.full_name, base_url, render=render)
    audit("certificate.issued", cert, actor=actor, course=course.id, number=cert.number)
    signals.certificate_issued.send(cert, certificate=cert, base_url=base_url, actor=actor)
    return cert


def revoke_certificate(actor, cert: Certificate, reason: str) -> None:
    reason = nfc(reason)
    if not reason:
        raise DomainError(_("Give the reason for the revocation."), "reason")
    if cert.status != "valid":
        raise DomainError(_("Only a valid certificate can be revoked."))
    cert.status, cert.revoked_at = "revoked", utcnow()
    cert.revoked_by_id, cert.revoke_reason = getattr(actor, "id", None), reason[:300]
    audit("certificate.revoked", cert, actor=actor, number=cert.number, reason=cert.revoke_reason)


def reissue_certificate(actor, cert: Certificate, learner_name: str, base_url: str) -> Certificate:
    """A corrected certificate (e.g. a misspelt name): a new number; the old certificate stays,
    marked superseded, and the new one points back to it (the history of numbers)."""
    learner_name = nfc(learner_name)
    if not learner_name:
        raise DomainError(_("Enter the learner's name as it should be printed."), "learner_name")
    if cert.status != "valid":
        raise DomainError(_("Only a valid certificate can be corrected."))
    course = db.session.get(Course, cert.course_id)
    events.lock_event(course.event)
    cert.status = "superseded"
    db.session.flush()
    registration = db.session.get(Registration, cert.registration_id)
    new = _new_certificate(actor, course, registration, learner_name, base_url, replaces=cert)
    audit("certificate.reissued", new, actor=actor, number=new.number, replaces=cert.number)
    return new


def number_history(cert: Certificate) -> list[Certificate]:
    """This certificate and the ones it replaced, newest first (a short chain)."""
    chain = [cert]
    while chain[-1].replaces_id is not None and len(chain) < 50:
        chain.append(db.session.get(Certificate, chain[-1].replaces_id))
    return chain


def successor(cert: Certificate) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.replaces_id == cert.id))


def find_certificate(token: str) -> Certificate | None:
    if not token or len(token) > 40:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.verify_token == token))


def pending_certificates(course: Course) -> list[LearnerRow]:
    """Learners who completed the course and have no valid certificate yet."""
    return [r for r in class_overview(course).rows if r.completed and r.certificate is None]


COURSE_FIELDS = ("audience", "format", "accessibility_notes", "min_attendance_pct", "assessment", "pass_score",
                 "issuing_unit")
EVENT_FIELDS = ("title", "capacity", "place", "address", "online_url", "description")


def update_course(actor, course: Course, *, topic_ids=None, trainer_ids=None, **values) -> dict:
    """Change a course: its own fields, and its event's (title, capacity, venue...) through the
    events services (a capacity below the confirmed enrolments is refused; a larger one promotes
    learners from the waiting list). Returns the changes."""
    unknown = set(values) - set(COURSE_FIELDS) - set(EVENT_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    merged = {k: values.get(k, getattr(course, k)) for k in COURSE_FIELDS}
    _check_course_values(merged["audience"], merged["format"], merged["min_attendance_pct"], merged["assessment"],
                         merged["pass_score"])
    if values.get("capacity") is not None and values["capacity"] < 1:
        raise DomainError(_("A class needs at least one place."), "capacity")
    changes = events.update_event(actor, course.event, **{k: v for k, v in values.items() if k in EVENT_FIELDS})
    if "issuing_unit" in values:
        values["issuing_unit"] = nfc(values["issuing_unit"])
    if "accessibility_notes" in values:
        values["accessibility_notes"] = (values["accessibility_notes"] or "").strip()
    if merged["assessment"] != "score":
        values["pass_score"] = None
    for key in COURSE_FIELDS:
        if key in values and getattr(course, key) != values[key]:
            changes[key] = [getattr(course, key), values[key]]
            setattr(course, key, values[key])
    if topic_ids is not None:
        topics = _topics(topic_ids)
        if {t.id for t in topics} != {t.id for t in course.topics}:
            changes["topics"] = [t.code for t in topics]
            course.topics = topics
    if trainer_ids is not None:
        trainers = _trainers(trainer_ids)
        if {u.id for u in trainers} != {u.id for u in course.trainers}:
            changes["trainers"] = [u.id for u in trainers]
            course.trainers = trainers
    if changes:
        db.session.flush()
        audit("course.updated", course, actor=actor, changes=changes)
    return changes
