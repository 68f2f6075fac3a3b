from __future__ import annotations

import os

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import and_, or_, select

from campaign.accounts import permissions as perm
from campaign.accounts.models import PROVINCE_COORDINATOR, YOUTH_ORGANISER
from campaign.core import limits
from campaign.core.requests import int_arg
from campaign.core.services import DomainError
from campaign.core.timeutil import local_moment
from campaign.core.web import Page, attempt, commit_read_side_effects, page_arg
from campaign.courses import services, tasks
from campaign.courses.forms import (
    ASSESSMENT_LABELS,
    ATTENDANCE_LABELS,
    AUDIENCE_LABELS,
    CERTIFICATE_STATUS_LABELS,
    FORMAT_LABELS,
    OUTCOME_LABELS,
    SOURCE_LABELS,
    CourseEditForm,
    CourseForm,
    EnrolForm,
    ReissueForm,
    RevokeForm,
    SessionForm,
    StaffEnrolForm,
)
from campaign.courses.models import (
    ATTENDANCE_STATUSES,
    AUDIENCES,
    Certificate,
    Course,
    course_trainers,
)
from campaign.events import services as events
from campaign.events.models import Event, Registration
from campaign.extensions import db
from campaign.units import services as units
from campaign.units.models import Commune

bp = Blueprint("courses", __name__, url_prefix="/courses")

LABELS = dict(audiences=AUDIENCE_LABELS, formats=FORMAT_LABELS, assessments=ASSESSMENT_LABELS,
              attendance_labels=ATTENDANCE_LABELS, sources=SOURCE_LABELS, outcomes=OUTCOME_LABELS,
              cert_statuses=CERTIFICATE_STATUS_LABELS)


def _render(template: str, **values):
    return render_template(template, **LABELS, **values)


def _deny():
    if not perm.is_authenticated():
        abort(401)
    abort(403)


def _course_or_404(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    return course


def _teaching(course_id: int) -> Course:
    course = _course_or_404(course_id)
    if not services.can_teach(current_user, course):
        _deny()
    return course


def _managing(course_id: int) -> Course:
    course = _course_or_404(course_id)
    if not services.can_manage_course(current_user, course):
        _deny()
    return course


def _base_url() -> str:
    return current_app.config.get("PUBLIC_BASE_URL") or os.environ.get("PUBLIC_BASE_URL") or request.url_root


def _int(value) -> int | None:
    """A whole number a column can hold, else None (a 20-digit ``?commune=`` is ignored, not a 500)."""
    return int_arg("value", source={"value": value})


# --- lists and the course page -----------------------------------------------------------------

@bp.get("/")
def index():
    """Public list of published classes, soonest first."""
    audience = request.args.get("audience", "")
    commune = _int(request.args.get("commune"))
    stmt = (select(Course).join(Event, Event.id == Course.event_id)
            .where(Event.visibility == "public", Event.status == "published"))
    if audience in AUDIENCES:
        stmt = stmt.where(Course.audience == audience)
    if commune:
        stmt = stmt.where(Event.commune_code == commune)
    page = Page(stmt.order_by(Event.starts_at.desc(), Course.id), page_arg(), per_page=20)
    return _render("courses/index.html", page=page, audience=audience)


@bp.get("/manage")
@login_required
def manage():
    """Courses the user organises (in their communes or province) or trains."""
    if not perm.has_role(current_user, *perm.STAFF):
        abort(403)
    provinces = perm.province_codes(current_user, roles=(PROVINCE_COORDINATOR, YOUTH_ORGANISER))
    scope = perm.commune_filter(Event.commune_code, current_user, events.EVENT_ORGANISERS)
    if provinces is not None:
        scope = scope | and_(Event.commune_code.is_(None), Event.province_code.in_(provinces or {-1}))
    trains = Course.id.in_(select(course_trainers.c.course_id).where(course_trainers.c.user_id == current_user.id))
    stmt = (select(Course).join(Event, Event.id == Course.event_id).where(or_(scope, trains))
            .order_by(Event.starts_at.desc(), Course.id.desc()))
    page = Page(stmt, page_arg(), per_page=30)
    counts = events.registration_counts([c.event_id for c in page.items])
    can_create = perm.has_role(current_user, *events.EVENT_ORGANISERS)
    return _render("courses/manage.html", page=page, counts=counts, can_create=can_create)


@bp.get("/<int:course_id>")
def detail(course_id: int):
    course = _course_or_404(course_id)
    staff = services.can_teach(current_user, course)
    if not services.is_public(course) and not staff:
        _deny()
    held = services.sessions(course, include_cancelled=True)
    managing = services.can_manage_course(current_user, course)
    counts = events.registration_counts([course.event_id]).get(course.event_id, {}) if staff else {}
    return _render("courses/detail.html", course=course, event=course.event, sessions=held, staff=staff,
                   managing=managing, counts=counts, session_form=SessionForm() if managing else None,
                   open=events.registration_open(course.event))


def _home_province() -> int:
    """The province the user works in (for trainer choices and province-wide courses)."""
    provinces = perm.acting_provinces(current_user, events.EVENT_ORGANISERS)
    return min(provinces) if provinces else current_app.config.get("DEFAULT_PROVINCE_CODE", 75)


def _commune_choices() -> list[tuple]:
    communes = units.communes(perm.commune_filter(Commune.code, current_user, events.EVENT_ORGANISERS))
    provinces = perm.province_codes(current_user, roles=(PROVINCE_COORDINATOR, YOUTH_ORGANISER))
    province_wide = provinces is None or bool(provinces)
    return units.commune_choices(communes, blank=_("Province-wide (no commune)") if province_wide else None)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not perm.has_role(current_user, *events.EVENT_ORGANISERS):
        abort(403)
    form = CourseForm()
    form.commune_code.choices = _commune_choices()
    topics = services.active_topics()
    form.topic_ids.choices = [(t.id, f"{t.code}. {t.name}") for t in topics]
    home = _home_province()
    form.trainer_ids.choices = [(u.id, u.full_name) for u in services.trainer_choices(home)]
    if form.validate_on_submit():
        code = form.commune_code.data
        if code is not None:
            if code not in {c for c, _n in form.commune_code.choices if c != ""}:
                abort(403)
            province = units.province_of(code)
        else:
            provinces = perm.province_codes(current_user, roles=(PROVINCE_COORDINATOR, YOUTH_ORGANISER))
            if provinces is not None and not provinces:
                abort(403)
            province = home if provinces is None or home in provinces else min(provinces)
        start = local_moment(form.first_date.data, form.start_time.data)
        end = local_moment(form.first_date.data, form.end_time.data)

        def create() -> Course:
            course = services.create_course(
                current_user, province_code=province, commune_code=code, title=form.title.data, starts_at=start,
                ends_at=end, audience=form.audience.data, format=form.format.data, capacity=form.capacity.data,
                place=form.place.data or "", address=form.address.data or "", online_url=form.online_url.data or "",
                description=form.description.data or "", accessibility_notes=form.accessibility_notes.data or "",
                topic_ids=form.topic_ids.data, trainer_ids=form.trainer_ids.data,
                min_attendance_pct=form.min_attendance_pct.data, assessment=form.assessment.data,
                pass_score=form.pass_score.data, issuing_unit=form.issuing_unit.data)
            services.add_weekly_sessions(current_user, course, start, end, form.weeks.data)
            return course

        outcome = attempt(create, form)
        if outcome:
            flash(_("Course created with %(n)d sessions.", n=form.weeks.data), "success")
            return redirect(url_for("courses.detail", course_id=outcome.value.id))
    return _render("courses/form.html", form=form)


@bp.route("/<int:course_id>/edit", methods=["GET", "POST"])
@login_required
def edit(course_id: int):
    course = _managing(course_id)
    event = course.event
    form = CourseEditForm(obj=course, title=event.title, capacity=event.capacity, place=event.place,
                          address=event.address, online_url=event.online_url, description=event.description,
                          topic_ids=[t.id for t in course.topics], trainer_ids=[u.id for u in course.trainers])
    form.topic_ids.choices = [(t.id, f"{t.code}. {t.name}") for t in services.active_topics()]
    trainers = {u.id: u for u in services.trainer_choices(event.province_code)}
    trainers.update({u.id: u for u in course.trainers})
    form.trainer_ids.choices = [(u.id, u.full_name) for u in sorted(trainers.values(), key=lambda u: u.full_name)]
    if form.validate_on_submit():
        if attempt(lambda: services.update_course(
                current_user, course, title=form.title.data, capacity=form.capacity.data,
                place=form.place.data or "", address=form.address.data or "", online_url=form.online_url.data or "",
                description=form.description.data or "", audience=form.audience.data, format=form.format.data,
                accessibility_notes=form.accessibility_notes.data or "", issuing_unit=form.issuing_unit.data,
                min_attendance_pct=form.min_attendance_pct.data, assessment=form.assessment.data,
                pass_score=form.pass_score.data, topic_ids=form.topic_ids.data, trainer_ids=form.trainer_ids.data),
                   form):
            flash(_("Course saved."), "success")
            return redirect(url_for("courses.detail", course_id=course.id))
    return _render("courses/form.html", form=form, course=course)


@bp.post("/<int:course_id>/sessions")
@login_required
def add_sessions(course_id: int):
    course = _managing(course_id)
    form = SessionForm()
    if form.validate_on_submit():
        start = local_moment(form.day.data, form.start_time.data)
        end = local_moment(form.day.data, form.end_time.data)

        def add() -> None:
            if form.weeks.data == 1:
                services.add_session(current_user, course, start, end, form.title.data)
            else:
                services.add_weekly_sessions(current_user, course, start, end, form.weeks.data, form.title.data)

        if attempt(add):
            flash(_("Sessions added."), "success")
    else:
        flash(_("Enter the date, start and end of the session."), "danger")
    return redirect(url_for("courses.detail", course_id=course.id))


# --- enrolment ---------------------------------------------------------------------------------

def _enrol(course: Course, form, actor):
    if form.validate_on_submit():
        outcome = attempt(lambda: services.enrol(
            course, actor=actor, full_name=form.full_name.data, phone=form.phone.data,
            birth_year=form.birth_year.data, needs=form.needs.data or "", consent=form.consent.data,
            commune_code=course.event.commune_code), form,
            conflict=_("This person already has another registration for this event."), conflict_field="phone")
        if outcome:
            return outcome.value
    return None


@bp.route("/<int:course_id>/enrol", methods=["GET", "POST"])
@limits.public_write("REGISTRATION_RATE_LIMIT",
                     ("REGISTRATION_TARGET_RATE_LIMIT", limits.view_arg_key("course", "course_id")))
def enrol(course_id: int):
    """Public enrolment: a place while places remain, the waiting list after."""
    course = _course_or_404(course_id)
    if not services.is_public(course):
        abort(404)
    form = EnrolForm()
    done = _enrol(course, form, None) if events.registration_open(course.event) else None
    if done is not None:
        reg, token = done
        return _render("courses/enrolled.html", course=course, registration=reg, reg=reg, token=token)
    return _render("courses/enrol.html", course=course, form=form, staff=False,
                   open=events.registration_open(course.event))


@bp.route("/<int:course_id>/enrol/staff", methods=["GET", "POST"])
@login_required
def enrol_staff(course_id: int):
    course = _teaching(course_id)
    form = StaffEnrolForm()
    done = _enrol(course, form, current_user)
    if done is not None:
        reg = done[0]
        if reg.status == "confirmed":
            flash(_("%(name)s is enrolled.", name=reg.person.full_name), "success")
        else:
            flash(_("The class is full: %(name)s is on the waiting list.", name=reg.person.full_name), "warning")
        return redirect(url_for("courses.enrol_staff", course_id=course.id))
    enrolled = services.roster(course, statuses=("confirmed", "waitlisted"))
    phones = {r.id: events.shown_phone(current_user, r.person, course.event) for r in enrolled}
    return _render("courses/enrol.html", course=course, form=form, staff=True, enrolled=enrolled, phones=phones,
                   open=events.registration_open(course.event, staff=True))


# --- attendance --------------------------------------------------------------------------------

def _session_or_404(course: Course, session_id: int) -> Event:
    session = services.session_of(course, session_id)
    if session is None:
        abort(404)
    return session


def _parse_marks(learners, mode: str) -> dict[int, str]:
    marks = {}
    for reg in learners:
        if mode == "roll_call":
            present = request.form.get(f"present-{reg.id}") == "1"
            detail = request.form.get(f"detail-{reg.id}", "")
            if present:
                marks[reg.id] = "late" if detail == "late" else "present"
            else:
                marks[reg.id] = "excused" if detail == "excused" else "absent"
        else:
            status = request.form.get(f"status-{reg.id}", "")
            if status:
                marks[reg.id] = status
    return marks


def _attendance(course_id: int, session_id: int, mode: str):
    course = _teaching(course_id)
    session = _session_or_404(course, session_id)
    learners = services.roster(course)
    if request.method == "POST":
        if not perm.is_authenticated() or not csrf_ok():
            flash(_("The form has expired. Reload the page and try again."), "danger")
        else:
            outcome = attempt(lambda: services.record_attendance(current_user, course, session,
                                                                 _parse_marks(learners, mode), source=mode))
            if outcome:
                flash(_("Attendance saved (%(n)d changes).", n=outcome.value), "success")
                return redirect(request.path)
    marks = services.session_marks(session)
    held = services.sessions(course)
    return _render("courses/attendance.html", course=course, session=session, learners=learners, marks=marks,
                   mode=mode, statuses=ATTENDANCE_STATUSES, sessions=held)


def csrf_ok() -> bool:
    from flask_wtf import FlaskForm

    return FlaskForm().validate_on_submit()


@bp.route("/<int:course_id>/sessions/<int:session_id>/roll-call", methods=["GET", "POST"])
@login_required
def roll_call(course_id: int, session_id: int):
    """The trainer's roll call: one tick box per learner, made for a phone."""
    return _attendance(course_id, session_id, "roll_call")


@bp.route("/<int:course_id>/sessions/<int:session_id>/paper", methods=["GET", "POST"])
@login_required
def paper_entry(course_id: int, session_id: int):
    """Entering a signed paper sheet afterwards, all learners at once."""
    return _attendance(course_id, session_id, "paper")


@bp.get("/<int:course_id>/sessions/<int:session_id>/sheet")
@login_required
def sheet(course_id: int, session_id: int):
    """A printable attendance sheet with a signature column."""
    course = _teaching(course_id)
    session = _session_or_404(course, session_id)
    return _render("courses/sheet.html", course=course, session=session, learners=services.roster(course))


# --- overview and results ----------------------------------------------------------------------

@bp.get("/<int:course_id>/overview")
@login_required
def overview(course_id: int):
    course = _teaching(course_id)
    data = services.class_overview(course)
    return _render("courses/overview.html", course=course, overview=data,
                   managing=services.can_manage_course(current_user, course))


@bp.route("/<int:course_id>/results", methods=["GET", "POST"])
@login_required
def results(course_id: int):
    course = _teaching(course_id)
    if course.assessment == "none":
        flash(_("This course has no assessment."), "info")
        return redirect(url_for("courses.overview", course_id=course.id))
    data = services.class_overview(course)
    if request.method == "POST":
        if not csrf_ok():
            flash(_("The form has expired. Reload the page and try again."), "danger")
        else:

            def save() -> None:
                for row in data.rows:
                    reg = row.registration
                    if course.assessment == "pass_fail":
                        services.set_result(current_user, course, reg, outcome=request.form.get(f"outcome-{reg.id}"))
                    else:
                        raw = request.form.get(f"score-{reg.id}", "").strip()
                        score = _int(raw) if raw else None
                        if raw and score is None:
                            raise DomainError(_("A score is a whole number between 0 and 100 (%(name)s).",
                                                name=reg.person.full_name))
                        services.set_result(current_user, course, reg, score=score)

            if attempt(save):
                flash(_("Results saved."), "success")
                return redirect(url_for("courses.overview", course_id=course.id))
    return _render("courses/results.html", course=course, overview=data)


# --- certificates ------------------------------------------------------------------------------

@bp.post("/<int:course_id>/learners/<int:registration_id>/certificate")
@login_required
def issue_one(course_id: int, registration_id: int):
    course = _managing(course_id)
    reg = db.session.get(Registration, registration_id)
    if reg is None or reg.event_id != course.event_id:
        abort(404)
    if csrf_ok():
        outcome = attempt(lambda: services.issue_certificate(current_user, course, reg, _base_url()))
        if outcome:
            flash(_("Certificate %(number)s issued.", number=outcome.value.number), "success")
    return redirect(url_for("courses.overview", course_id=course.id))


@bp.post("/<int:course_id>/certificates")
@login_required
def issue_all(course_id: int):
    """Certificates for the whole class: a background job (``campaign.jobs``; on rq with Redis, inline
    without) whose page shows the progress and comes back to the overview."""
    course = _managing(course_id)
    back = url_for("courses.overview", course_id=course.id)
    if not csrf_ok():
        return redirect(back)
    outcome = attempt(lambda: tasks.start_certificates(current_user, course, _base_url(), back))
    if not outcome:
        return redirect(back)
    job = outcome.value
    if job.status == "done":
        flash(_("%(n)d certificates issued.", n=(job.result or {}).get("issued", 0)), "success")
        return redirect(back)
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.get("/jobs/<int:job_id>")
@login_required
def job_status(job_id: int):
    """The old progress address of a certificate job: the job's page (which checks who may see it)."""
    return redirect(url_for("jobs.show", job_id=job_id))


def _certificate(cert_id: int, manage: bool) -> tuple[Certificate, Course]:
    cert = db.session.get(Certificate, cert_id)
    if cert is None:
        abort(404)
    course = _managing(cert.course_id) if manage else _teaching(cert.course_id)
    return cert, course


@bp.get("/certificates/<int:cert_id>")
@login_required
def certificate(cert_id: int):
    cert, course = _certificate(cert_id, manage=False)
    managing = services.can_manage_course(current_user, course)
    return _render("courses/certificate.html", cert=cert, course=course, history=services.number_history(cert),
                   successor=services.successor(cert), managing=managing,
                   revoke_form=RevokeForm(prefix="revoke"),
                   reissue_form=ReissueForm(prefix="reissue", learner_name=cert.learner_name))


@bp.get("/certificates/<int:cert_id>/pdf")
@login_required
def certificate_pdf(cert_id: int):
    cert, _course = _certificate(cert_id, manage=False)
    pdf = services.certificate_pdf(cert, _base_url())
    commit_read_side_effects()  # the PDF is made once and kept
    return current_app.response_class(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{cert.number}.pdf"', "Cache-Control": "private, no-store"})


@bp.post("/certificates/<int:cert_id>/revoke")
@login_required
def revoke(cert_id: int):
    cert, _course = _certificate(cert_id, manage=True)
    form = RevokeForm(prefix="revoke")
    if form.validate_on_submit():
        if attempt(lambda: services.revoke_certificate(current_user, cert, form.reason.data)):
            flash(_("Certificate %(number)s revoked.", number=cert.number), "success")
    else:
        flash(_("Give the reason for the revocation."), "danger")
    return redirect(url_for("courses.certificate", cert_id=cert.id))


@bp.post("/certificates/<int:cert_id>/reissue")
@login_required
def reissue(cert_id: int):
    cert, _course = _certificate(cert_id, manage=True)
    form = ReissueForm(prefix="reissue")
    if form.validate_on_submit():
        outcome = attempt(lambda: services.reissue_certificate(current_user, cert, form.learner_name.data,
                                                               _base_url()))
        if outcome:
            new_cert = outcome.value
            flash(_("Corrected certificate %(number)s issued; %(old)s is replaced.", number=new_cert.number,
                    old=cert.number), "success")
            return redirect(url_for("courses.certificate", cert_id=new_cert.id))
    else:
        flash(_("Enter the learner's name as it should be printed."), "danger")
    return redirect(url_for("courses.certificate", cert_id=cert.id))


@bp.get("/verify/<token>")
def verify(token: str):
    """Public verification (the certificate's QR code): valid or not, and the minimum facts."""
    cert = services.find_certificate(token)
    if cert is None:
        return _render("courses/verify.html", cert=None), 404
    return _render("courses/verify.html", cert=cert, successor=services.successor(cert))
