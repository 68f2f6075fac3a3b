"""Volunteer pages: public sign-up, open shifts and my shifts (volunteers); people, shifts, the board and
the weekly review (organisers: youth union, commune officers and province coordinators in their scope)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import selectinload

from campaign.accounts import permissions as perm
from campaign.accounts.forms import ConfirmForm
from campaign.accounts.models import VOLUNTEER, User
from campaign.campaigns.models import Campaign
from campaign.core import i18n, limits
from campaign.core.services import DomainError
from campaign.core.timeutil import local_to_utc, local_today, parse_local_date, to_local
from campaign.core.types import utcnow
from campaign.core.web import Page, attempt, page_arg
from campaign.extensions import db
from campaign.units import services as units
from campaign.units.models import Commune, Village
from campaign.volunteers import services
from campaign.volunteers.forms import (
    GROUP_LABELS,
    LANGUAGE_LABELS,
    ROLE_LABELS,
    SKILL_LABELS,
    STATUS_LABELS,
    AssignForm,
    BulkForm,
    HoursForm,
    MyProfileForm,
    OutcomeForm,
    RegisterForm,
    ShiftForm,
)
from campaign.volunteers.models import Shift, Signup, VolunteerProfile

bp = Blueprint("volunteers", __name__, url_prefix="/volunteers")
ORGANISERS = perm.ORGANISERS


@bp.context_processor
def labels():
    return {"SKILL_LABELS": SKILL_LABELS, "LANGUAGE_LABELS": LANGUAGE_LABELS, "SHIFT_ROLE_LABELS": ROLE_LABELS,
            "STATUS_LABELS": STATUS_LABELS, "GROUP_LABELS": GROUP_LABELS}


def _get_or_404(model, ident):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def _scope_communes(campaign: Campaign) -> list[Commune]:
    """The communes of the campaign's province where the user organises."""
    return units.communes(perm.commune_filter(Commune.code, current_user, ORGANISERS),
                          province_code=campaign.province_code)


def _campaign_for_organiser(campaign_id: int) -> tuple[Campaign, list[Commune]]:
    campaign = _get_or_404(Campaign, campaign_id)
    communes = _scope_communes(campaign)
    if not communes:
        abort(403)
    return campaign, communes


def _redirect_back(default: str, **values):
    target = request.form.get("next") or request.args.get("next")
    from campaign.core.web import is_safe_next

    return redirect(target if is_safe_next(target) else url_for(default, **values))


# --- public sign-up ----------------------------------------------------------------------------------

def _home_commune_key() -> str:
    return "commune:" + (request.form.get("home_commune_code") or "")[:12]


@bp.route("/join", methods=["GET", "POST"])
@limits.public_write("VOLUNTEER_SIGNUP_RATE_LIMIT", ("VOLUNTEER_SIGNUP_TARGET_RATE_LIMIT", _home_commune_key))
def join():
    form = RegisterForm()
    province = request.args.get("province", type=int) or 75
    form.home_commune_code.choices = units.commune_choices(units.communes(province_code=province), blank="—")
    if form.validate_on_submit():
        if attempt(lambda: services.register_volunteer(
                username=form.username.data, password=form.password.data, full_name=form.full_name.data,
                phone=form.phone.data, email=form.email.data, school=form.school.data,
                youth_branch=form.youth_branch.data, home_commune_code=form.home_commune_code.data,
                skills=form.skills.data, languages=form.languages.data, availability=form.availability.data,
                consent=form.consent.data), form,
                   conflict=_("This username is already taken."), conflict_field="username"):
            return render_template("volunteers/joined.html")
    return render_template("volunteers/join.html", form=form)


# --- volunteers: open shifts, my shifts, statement ----------------------------------------------------

def _my_profile() -> VolunteerProfile | None:
    if not perm.has_role(current_user, VOLUNTEER):
        abort(403)
    return services.profile_of(current_user)


@bp.get("/shifts")
@login_required
def open_shifts():
    profile = _my_profile()
    rows, mine = [], {}
    only_home = request.args.get("home") == "1"
    if profile is not None:
        rows = services.open_shifts_for(profile, only_home=only_home)
        ids = [s.id for s, _n in rows]
        if ids:
            mine = {s.shift_id: s for s in db.session.scalars(select(Signup).where(
                Signup.volunteer_id == profile.id, Signup.shift_id.in_(ids)))}
    return render_template("volunteers/open_shifts.html", profile=profile, rows=rows, mine=mine,
                           only_home=only_home, confirm=ConfirmForm())


@bp.post("/shifts/<int:shift_id>/signup")
@login_required
def signup(shift_id: int):
    shift = _get_or_404(Shift, shift_id)
    _my_profile()
    if ConfirmForm().validate_on_submit():
        outcome = attempt(lambda: services.sign_up(current_user, shift,
                                                   join_waitlist=request.form.get("waitlist") == "1"),
                          conflict=_("You are already signed up for this shift."), show=False)
        if not outcome:
            flash(outcome.error.message, "warning" if outcome.conflicted else "danger")
        elif outcome.value.status == "confirmed":
            flash(_("You are signed up. Thank you!"), "success")
        else:
            flash(_("You are on the waiting list. We will tell you if a place opens up."), "info")
    return _redirect_back("volunteers.open_shifts")


@bp.post("/signups/<int:signup_id>/cancel")
@login_required
def cancel(signup_id: int):
    su = _get_or_404(Signup, signup_id)
    own = su.volunteer.user_id == current_user.id
    if not own and not services.can_manage_shift(current_user, su.shift):
        abort(403)
    if ConfirmForm().validate_on_submit():
        if attempt(lambda: services.cancel_signup(current_user, su)):
            flash(_("You have signed out of the shift.") if own else _("The volunteer was removed."), "success")
    return _redirect_back("volunteers.my_shifts" if own else "volunteers.manage", **({} if own else
                                                                                         {"shift_id": su.shift_id}))


@bp.get("/my")
@login_required
def my_shifts():
    profile = _my_profile()
    signups = services.my_signups(profile) if profile else []
    hours = services.volunteer_hours([profile.id]).get(profile.id, 0) if profile else 0
    return render_template("volunteers/my_shifts.html", profile=profile, signups=signups, hours=hours,
                           now=utcnow(), confirm=ConfirmForm())


@bp.route("/my/profile", methods=["GET", "POST"])
@login_required
def my_profile():
    """A volunteer corrects their own contact details, skills, languages and availability."""
    profile = _my_profile()
    if profile is None:
        abort(404)
    form = MyProfileForm(obj=profile)
    if request.method == "GET":
        form.full_name.data, form.email.data = profile.user.full_name, profile.user.email
    if form.validate_on_submit():
        outcome = attempt(lambda: services.update_own_profile(
            current_user, profile, full_name=form.full_name.data, email=form.email.data, phone=form.phone.data,
            school=form.school.data, youth_branch=form.youth_branch.data, skills=form.skills.data,
            languages=form.languages.data, availability=form.availability.data), form)
        if outcome:
            changed = outcome.value
            flash(_("Your profile was saved.") if changed else _("Nothing changed."), "success" if changed else "info")
            return redirect(url_for("volunteers.my_profile"))
    return render_template("volunteers/my_profile.html", form=form, profile=profile)


def _statement(profile: VolunteerProfile):
    served = services.served(profile)
    return render_template("volunteers/statement.html", profile=profile, served=served,
                           total=round(sum(s.hours or 0 for s in served), 2), today=local_today())


@bp.get("/my/statement")
@login_required
def my_statement():
    profile = _my_profile()
    if profile is None:
        abort(404)
    return _statement(profile)


# --- organisers: people -----------------------------------------------------------------------------

def _organiser_anywhere() -> None:
    if not perm.has_role(current_user, *ORGANISERS):
        abort(403)


@bp.get("/")
@login_required
def index():
    _organiser_anywhere()
    provinces = perm.acting_provinces(current_user, ORGANISERS)
    stmt = select(Campaign).order_by(Campaign.starts_on.desc())
    if provinces is not None:
        stmt = stmt.where(Campaign.province_code.in_(provinces))
    campaigns = db.session.scalars(stmt).all()
    pending = db.session.scalar(select(func.count()).select_from(VolunteerProfile).where(
        VolunteerProfile.status == "pending",
        perm.commune_filter(VolunteerProfile.home_commune_code, current_user, ORGANISERS))) or 0
    return render_template("volunteers/index.html", campaigns=campaigns, pending=pending,
                           province_wide=lambda c: perm.can_in_province(current_user, c.province_code, ORGANISERS))


@bp.get("/people")
@login_required
def people():
    _organiser_anywhere()
    status = request.args.get("status", "")
    stmt = (select(VolunteerProfile).join(User, User.id == VolunteerProfile.user_id)
            .where(perm.commune_filter(VolunteerProfile.home_commune_code, current_user, ORGANISERS))
            .order_by(VolunteerProfile.status != "pending", User.full_name))
    if status in ("pending", "approved", "rejected"):
        stmt = stmt.where(VolunteerProfile.status == status)
    skill = request.args.get("skill", "")
    if skill in SKILL_LABELS:  # the JSON list as text contains "skill" (SQLite and PostgreSQL alike)
        stmt = stmt.where(cast(VolunteerProfile.skills, String).like(f'%"{skill}"%'))
    page = Page(stmt, page_arg(), per_page=50)
    hours = services.volunteer_hours([p.id for p in page.items])
    items = page.items
    return render_template("volunteers/people.html", page=page, items=items, hours=hours, status=status,
                           skill=skill, confirm=ConfirmForm())


def _profile_for_organiser(profile_id: int) -> VolunteerProfile:
    profile = _get_or_404(VolunteerProfile, profile_id)
    perm.require_commune(profile.home_commune_code, ORGANISERS)
    return profile


@bp.get("/people/<int:profile_id>")
@login_required
def person(profile_id: int):
    profile = _profile_for_organiser(profile_id)
    signups = services.my_signups(profile)
    hours = services.volunteer_hours([profile.id]).get(profile.id, 0)
    return render_template("volunteers/person.html", profile=profile, signups=signups, hours=hours,
                           confirm=ConfirmForm())


@bp.get("/people/<int:profile_id>/statement")
@login_required
def person_statement(profile_id: int):
    return _statement(_profile_for_organiser(profile_id))


@bp.post("/people/<int:profile_id>/decide")
@login_required
def decide(profile_id: int):
    profile = _profile_for_organiser(profile_id)
    if request.form.get("approve") not in ("0", "1"):
        abort(400)
    if ConfirmForm().validate_on_submit():
        approve = request.form.get("approve") == "1"
        if attempt(lambda: services.decide_volunteer(current_user, profile, approve)):
            flash(_("Volunteer approved.") if approve else _("Volunteer rejected."), "success")
    return _redirect_back("volunteers.people")


@bp.route("/people/import", methods=["GET", "POST"])
@login_required
def import_people():
    """The volunteers import lives on the shared import engine (XLSX or CSV, template, preview)."""
    _organiser_anywhere()
    return redirect(url_for("reports.run_import", kind="volunteers"))


# --- organisers: shifts -----------------------------------------------------------------------------

def _shift_form_choices(form: ShiftForm, communes: list[Commune], commune_code: int | None) -> None:
    form.commune_code.choices = [("", "—")] + [(c.code, c.name) for c in communes]
    villages = db.session.scalars(select(Village).where(Village.commune_code == commune_code)
                                  .order_by(Village.name)).all() if commune_code else []
    form.village_id.choices = [("", "—")] + [(v.id, v.name) for v in villages]


def _shift_values(form: ShiftForm) -> dict:
    def utc(v):
        return local_to_utc(v) if v else None

    return dict(role=form.role.data, title=form.title.data, commune_code=form.commune_code.data,
                village_id=form.village_id.data, location=form.location.data, starts_at=utc(form.starts_at.data),
                ends_at=utc(form.ends_at.data), min_needed=form.min_needed.data, max_needed=form.max_needed.data,
                required_skill=form.required_skill.data or None, preferred_skills=form.preferred_skills.data,
                signup_opens_at=utc(form.signup_opens_at.data), signup_closes_at=utc(form.signup_closes_at.data),
                signout_cutoff_at=utc(form.signout_cutoff_at.data), notes=form.notes.data)


@bp.get("/campaigns/<int:campaign_id>/shifts")
@login_required
def shifts(campaign_id: int):
    campaign, communes = _campaign_for_organiser(campaign_id)
    commune = request.args.get("commune", type=int)
    week = request.args.get("week", "")
    filled = (select(Signup.shift_id, func.count().label("n")).where(Signup.status == "confirmed")
              .group_by(Signup.shift_id).subquery())
    stmt = (select(Shift, func.coalesce(filled.c.n, 0)).outerjoin(filled, filled.c.shift_id == Shift.id)
            .where(Shift.campaign_id == campaign.id, perm.commune_filter(Shift.commune_code, current_user, ORGANISERS))
            .order_by(Shift.starts_at, Shift.id))
    if commune:
        stmt = stmt.where(Shift.commune_code == commune)
    if week:
        try:
            first = parse_local_date(week)
        except ValueError:
            first = None
        if first:
            start = local_to_utc(services.datetime.combine(first, services.time(0)))
            stmt = stmt.where(Shift.starts_at >= start, Shift.starts_at < start + timedelta(weeks=1))
    page = Page(stmt, page_arg(), per_page=50, scalars=False)
    return render_template("volunteers/shifts.html", campaign=campaign, page=page, communes=communes,
                           commune=commune, week=week)


@bp.route("/campaigns/<int:campaign_id>/shifts/new", methods=["GET", "POST"])
@login_required
def shift_new(campaign_id: int):
    campaign, communes = _campaign_for_organiser(campaign_id)
    form = ShiftForm()
    code = form.commune_code.data if request.method == "POST" else request.args.get("commune", type=int)
    if request.method == "GET" and code:
        form.commune_code.data = code
    _shift_form_choices(form, communes, code)
    if form.validate_on_submit():
        outcome = attempt(lambda: services.create_shift(current_user, campaign, **_shift_values(form)), form)
        if outcome:
            flash(_("Shift created."), "success")
            return redirect(url_for("volunteers.manage", shift_id=outcome.value.id))
    return render_template("volunteers/shift_form.html", form=form, campaign=campaign, shift=None, confirmed=[])


def _shift_for_organiser(shift_id: int) -> Shift:
    shift = _get_or_404(Shift, shift_id)
    perm.require_commune(shift.commune_code, ORGANISERS)
    return shift


@bp.route("/shifts/<int:shift_id>/edit", methods=["GET", "POST"])
@login_required
def shift_edit(shift_id: int):
    shift = _shift_for_organiser(shift_id)
    form = ShiftForm(obj=shift)
    if request.method == "GET":
        for name in ("starts_at", "ends_at", "signup_opens_at", "signup_closes_at", "signout_cutoff_at"):
            value = getattr(shift, name)
            form[name].data = to_local(value).replace(tzinfo=None) if value else None
        form.required_skill.data = shift.required_skill or ""
    _shift_form_choices(form, _scope_communes(shift.campaign), form.commune_code.data)
    confirmed = [s for s in shift.signups if s.status == "confirmed"]
    if form.validate_on_submit():
        outcome = attempt(lambda: services.update_shift(current_user, shift, move_to_waitlist=form.move_to_waitlist.data,
                                                        **_shift_values(form)), form)
        if outcome:
            moved = outcome.value
            flash(_("Shift saved.") if not moved else
                  _("Shift saved; %(n)d volunteers moved to the waiting list.", n=len(moved)), "success")
            return redirect(url_for("volunteers.manage", shift_id=shift.id))
    return render_template("volunteers/shift_form.html", form=form, campaign=shift.campaign, shift=shift,
                           confirmed=confirmed)


@bp.post("/shifts/<int:shift_id>/delete")
@login_required
def shift_delete(shift_id: int):
    shift = _shift_for_organiser(shift_id)
    campaign_id = shift.campaign_id
    if ConfirmForm().validate_on_submit():
        if not attempt(lambda: services.delete_shift(current_user, shift)):
            return redirect(url_for("volunteers.manage", shift_id=shift_id))
        flash(_("Shift deleted."), "success")
    return redirect(url_for("volunteers.shifts", campaign_id=campaign_id))


@bp.route("/campaigns/<int:campaign_id>/shifts/bulk", methods=["GET", "POST"])
@login_required
def bulk(campaign_id: int):
    campaign, communes = _campaign_for_organiser(campaign_id)
    form = BulkForm()
    form.communes.choices = [(c.code, c.name) for c in communes]
    if request.method == "GET":
        form.communes.data = [int(c) for c in request.args.getlist("communes") if c.isdigit()]
        form.weekdays.data = [0, 1, 2, 3, 4]
        form.max_needed.data = form.max_needed.data or 4
        start = max(campaign.starts_on, local_today() + timedelta(days=1))
        form.date_from.data = start
        form.date_to.data = min(campaign.ends_on, start + timedelta(days=6))
        form.start_time.data = services.time(7, 30)
        form.end_time.data = services.time(11, 30)
    plan = None
    if form.validate_on_submit():
        args = dict(commune_codes=form.communes.data, date_from=form.date_from.data, date_to=form.date_to.data,
                    weekdays=form.weekdays.data, start_time=form.start_time.data, end_time=form.end_time.data,
                    skip_holidays=form.skip_holidays.data, role=form.role.data, location=form.location.data,
                    min_needed=form.min_needed.data, max_needed=form.max_needed.data,
                    required_skill=form.required_skill.data or None)
        if form.confirm.data:
            outcome = attempt(lambda: services.create_bulk(current_user, campaign, **args), form)
            if outcome:
                flash(_("%(n)d shifts created.", n=len(outcome.value)), "success")
                return redirect(url_for("volunteers.board", campaign_id=campaign.id,
                                        week=services.week_start(form.date_from.data).isoformat()))
        else:  # the plan to confirm: nothing is written
            plan = attempt(lambda: services.plan_bulk(current_user, campaign, **args), form).value
    return render_template("volunteers/bulk.html", form=form, campaign=campaign, plan=plan)


@bp.get("/campaigns/<int:campaign_id>/board")
@login_required
def board(campaign_id: int):
    campaign, _communes = _campaign_for_organiser(campaign_id)
    try:
        first = services.week_start(parse_local_date(request.args["week"]))
    except (KeyError, ValueError):
        first = None
    weeks = min(max(request.args.get("weeks", 6, type=int), 1), 14)
    if first is None:  # this week; once the campaign is over, its last weeks
        today = local_today()
        first = services.week_start(min(max(today, campaign.starts_on), campaign.ends_on))
        if today > campaign.ends_on:
            first = max(first - timedelta(weeks=weeks - 1), services.week_start(campaign.starts_on))
    data = services.board(campaign, first, weeks, perm.commune_filter(Shift.commune_code, current_user, ORGANISERS))
    return render_template("volunteers/board.html", campaign=campaign, first=first, n_weeks=weeks,
                           prev=first - timedelta(weeks=weeks), next=first + timedelta(weeks=weeks), **data)


@bp.get("/campaigns/<int:campaign_id>/review")
@login_required
def review(campaign_id: int):
    campaign = _get_or_404(Campaign, campaign_id)
    perm.require_province(campaign.province_code, ORGANISERS)
    try:
        as_of = parse_local_date(request.args["as_of"])
    except (KeyError, ValueError):
        as_of = min(local_today(), campaign.ends_on)
    weeks = min(max(request.args.get("weeks", 3, type=int), 1), 12)
    data = services.review(campaign, as_of, weeks)
    return render_template("volunteers/review.html", campaign=campaign, **data)


# --- one shift: roster and the day's work -------------------------------------------------------------

def _shift_for_runner(shift_id: int) -> Shift:
    shift = _get_or_404(Shift, shift_id)
    perm.require(services.can_run_shift(current_user, shift))
    return shift


@bp.get("/shifts/<int:shift_id>/manage")
@login_required
def manage(shift_id: int):
    shift = _shift_for_runner(shift_id)
    signups = db.session.scalars(select(Signup).where(Signup.shift_id == shift.id)
                                 .options(selectinload(Signup.helped))
                                 .order_by(Signup.status, Signup.queued_at, Signup.id)).all()
    organiser = services.can_manage_shift(current_user, shift)
    assign_form = AssignForm()
    if organiser:
        taken = {s.volunteer_id for s in signups if s.status == "confirmed"}
        candidates = db.session.scalars(
            select(VolunteerProfile).join(User, User.id == VolunteerProfile.user_id)
            .where(VolunteerProfile.status == "approved",
                   perm.commune_filter(VolunteerProfile.home_commune_code, current_user, ORGANISERS))
            .order_by(VolunteerProfile.home_commune_code != shift.commune_code, User.full_name).limit(300)).all()
        assign_form.volunteer.choices = [("", "—")] + [
            (p.id, f"{p.full_name} · {p.home_commune.name}") for p in candidates if p.id not in taken]
    outcome_forms = {}
    for s in signups:
        if s.status == "confirmed":
            f = OutcomeForm(obj=s, prefix=f"o{s.id}")
            for h in s.helped:
                f[f"helped_{h.target_group}"].data = h.people
            outcome_forms[s.id] = f
    return render_template("volunteers/manage.html", shift=shift, signups=signups, organiser=organiser,
                           assign_form=assign_form, outcome_forms=outcome_forms, hours_form=HoursForm(),
                           confirm=ConfirmForm(), now=utcnow(),
                           confirmed=sum(1 for s in signups if s.status == "confirmed"))


@bp.post("/shifts/<int:shift_id>/assign")
@login_required
def assign(shift_id: int):
    shift = _shift_for_organiser(shift_id)
    form = AssignForm()
    form.volunteer.choices = []
    if form.validate_on_submit():
        profile = db.session.get(VolunteerProfile, form.volunteer.data or 0)

        def assign_one() -> None:
            if profile is None or not services.can_manage_volunteer(current_user, profile):
                raise DomainError(_("Choose a volunteer."))
            services.assign(current_user, shift, profile, overbook=form.overbook.data, lead=form.lead.data)

        if attempt(assign_one, conflict=_("This volunteer is already on the shift.")):
            flash(_("Volunteer assigned."), "success")
    else:
        flash(_("Choose a volunteer."), "danger")
    return redirect(url_for("volunteers.manage", shift_id=shift.id))


def _signup_for_runner(signup_id: int) -> Signup:
    su = _get_or_404(Signup, signup_id)
    _shift_for_runner(su.shift_id)
    return su


def _day_action(signup_id: int, action, message: str):
    su = _signup_for_runner(signup_id)
    if ConfirmForm().validate_on_submit():
        if attempt(lambda: action(su)):
            flash(message, "success")
    return redirect(url_for("volunteers.manage", shift_id=su.shift_id) + f"#signup-{su.id}")


@bp.post("/signups/<int:signup_id>/checkin")
@login_required
def checkin(signup_id: int):
    return _day_action(signup_id, lambda su: services.check_in(current_user, su), _("Checked in."))


@bp.post("/signups/<int:signup_id>/checkout")
@login_required
def checkout(signup_id: int):
    return _day_action(signup_id, lambda su: services.check_out(current_user, su), _("Checked out."))


@bp.post("/signups/<int:signup_id>/noshow")
@login_required
def noshow(signup_id: int):
    return _day_action(signup_id, lambda su: services.mark_no_show(current_user, su), _("Marked absent."))


@bp.post("/signups/<int:signup_id>/hours")
@login_required
def hours(signup_id: int):
    su = _signup_for_runner(signup_id)
    form = HoursForm()
    if form.validate_on_submit():
        if attempt(lambda: services.correct_hours(current_user, su, form.hours.data, form.reason.data)):
            flash(_("Hours corrected."), "success")
    else:
        for errs in form.errors.values():
            flash(" ".join(str(e) for e in errs), "danger")
    return redirect(url_for("volunteers.manage", shift_id=su.shift_id) + f"#signup-{su.id}")


@bp.post("/signups/<int:signup_id>/outcome")
@login_required
def outcome(signup_id: int):
    su = _signup_for_runner(signup_id)
    form = OutcomeForm(prefix=f"o{su.id}")
    if form.validate_on_submit():
        if attempt(lambda: services.record_outcome(
                current_user, su, households_visited=form.households_visited.data or 0,
                vneid_installed=form.vneid_installed.data or 0, vneid_verified=form.vneid_verified.data or 0,
                public_service_accounts=form.public_service_accounts.data or 0,
                helped={g[len("helped_"):]: form[g].data or 0 for g in form.data if g.startswith("helped_")})):
            flash(_("Outcomes saved."), "success")
    else:
        flash(_("Enter a number between 0 and 10000."), "danger")
    return redirect(url_for("volunteers.manage", shift_id=su.shift_id) + f"#signup-{su.id}")


@bp.app_template_filter("hours")
def format_hours(value) -> str:
    """2.5 → "2,5" (through Babel: the locale's decimal comma and grouping)."""
    return i18n.format_hours(value)




@bp.app_template_filter("labels")
def format_labels(codes, table) -> str:
    return ", ".join(str(table.get(c, c)) for c in (codes or []))
