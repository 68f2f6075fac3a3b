"""Public pages (campaign, event list, event page, registration, private link) and organiser pages
(events, series, registrants, the launch ceremony and 10/10 boards)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from campaign.accounts import permissions as perm
from campaign.accounts.forms import ConfirmForm
from campaign.accounts.models import PROVINCE_COORDINATOR, User
from campaign.campaigns.models import Campaign
from campaign.core import limits, timeutil
from campaign.core.services import DomainError, audit
from campaign.core.timeutil import local_to_utc
from campaign.core.web import Page, attempt, form_error, page_arg
from campaign.events import services
from campaign.events.forms import (
    EVENT_KIND_LABELS,
    GENDER_LABELS,
    REGISTRATION_STATUS_LABELS,
    STATUS_LABELS,
    TARGET_GROUP_LABELS,
    BridgePointForm,
    EventForm,
    LaunchCeremonyForm,
    NationalDayForm,
    RegistrantSearchForm,
    RegistrationForm,
    SeriesForm,
    StatusForm,
)
from campaign.events.models import Event, Person, Registration
from campaign.extensions import db
from campaign.units.models import Commune, Province, Village

bp = Blueprint("events", __name__)

LABELS = dict(kinds=EVENT_KIND_LABELS, statuses=STATUS_LABELS, reg_statuses=REGISTRATION_STATUS_LABELS,
              groups=TARGET_GROUP_LABELS, genders=GENDER_LABELS)


@bp.app_context_processor
def _labels():
    return {"event_labels": LABELS}


def _render(template: str, **context):
    return render_template(template, **context)


def _int_arg(name: str) -> int | None:
    try:
        return int(request.args.get(name, ""))
    except ValueError:
        return None


def _date_arg(name: str):
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return timeutil.parse_local_date(value)
    except ValueError:
        flash(_("A date was not understood and was ignored; use dd/mm/yyyy."), "warning")
        return None


def _province_communes(province_code: int) -> list[tuple[int, str]]:
    return [tuple(r) for r in db.session.execute(select(Commune.code, Commune.name).where(Commune.province_code == province_code)
                                   .order_by(Commune.name)).tuples()]


# --- public pages -------------------------------------------------------------------------------

@bp.get("/c/<slug>")
def campaign_page(slug: str):
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        abort(404)
    upcoming = db.session.scalars(
        services.public_events_query(campaign_id=campaign.id).where(
            Event.ends_at >= datetime.now(timeutil.LOCAL_TZ), Event.kind != "bridge_point").limit(20)).all()
    return _render("events/campaign_page.html", campaign=campaign, upcoming=upcoming)


@bp.get("/events")
def public_list():
    province_code = current_app.config["DEFAULT_PROVINCE_CODE"]
    filters = dict(commune_code=_int_arg("commune"), date_from=_date_arg("from"), date_to=_date_arg("to"),
                   kind=request.args.get("kind", ""), group=request.args.get("group", ""),
                   q=request.args.get("q", ""), campaign_id=_int_arg("campaign"))
    stmt = services.public_events_query(**filters)
    if not request.args.get("bridge"):
        stmt = stmt.where(Event.kind != "bridge_point")
    page = Page(stmt, page_arg(), per_page=30)
    return _render("events/public_list.html", page=page, filters=filters,
                   communes=_province_communes(province_code))


@bp.get("/events/villages.json")
def villages_json():
    """The villages of a commune, for the registration form's village list (public names only)."""
    code = _int_arg("commune")
    rows = db.session.execute(select(Village.id, Village.name).where(Village.commune_code == code)
                              .order_by(Village.name)).all() if code else []
    return jsonify([{"id": vid, "name": name} for vid, name in rows])


def _public_event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    if not event.is_public and not (current_user.is_authenticated and services.can_manage_event(current_user, event)):
        abort(404)
    return event


def _registration_form(event: Event, form_cls=RegistrationForm):
    form = form_cls()
    form.commune_code.choices = [("", _("— choose —"))] + _province_communes(event.province_code)
    villages = []
    code = form.commune_code.data if form.is_submitted() else event.commune_code
    if code and code != -1:
        villages = [tuple(r) for r in db.session.execute(select(Village.id, Village.name).where(Village.commune_code == code)
                                           .order_by(Village.name)).tuples()]
    form.village_id.choices = [("", _("— not given —"))] + villages
    form.village_id.render_kw = {"data-url": url_for("events.villages_json")}
    if not form.is_submitted() and event.commune_code:
        form.commune_code.data = event.commune_code
    return form


def _do_register(event: Event, form, actor=None):
    def register():
        return services.register(
            event, full_name=form.full_name.data, phone=form.phone.data, birth_year=form.birth_year.data,
            gender=form.gender.data or None, target_groups=form.target_groups.data or [],
            commune_code=form.commune_code.data if form.commune_code.data != -1 else 0,
            village_id=form.village_id.data if form.village_id.data not in (-1,) else 0,
            needs=form.needs.data or "", consent=bool(form.consent.data), actor=actor)

    # Only staff registrations link to a known person, so only they can meet an existing registration.
    outcome = attempt(register, form, conflict=_("This person already has another registration for this event."),
                      conflict_field="phone")
    return outcome.value if outcome else (None, None)


@bp.route("/events/<int:event_id>", methods=["GET", "POST"])
@limits.public_write("REGISTRATION_RATE_LIMIT",
                     ("REGISTRATION_TARGET_RATE_LIMIT", limits.view_arg_key("event", "event_id")))
def event_page(event_id: int):
    event = _public_event_or_404(event_id)
    can_register = services.registration_open(event)
    form = _registration_form(event) if can_register else None
    if form is not None and form.validate_on_submit():
        reg, token = _do_register(event, form)
        if reg is not None:
            if reg.status == "confirmed":
                flash(_("You are registered. Keep this page's address: it is your private link."), "success")
            else:
                flash(_("The event is full: you are on the waiting list. You will be confirmed automatically "
                        "if a place frees up. Keep this page's address."), "warning")
            return redirect(url_for("events.my_registration", token=token))
    children = []
    if event.kind in ("national_day", "launch_ceremony"):
        stmt = select(Event).where(Event.parent_id == event.id, Event.visibility == "public",
                                   Event.status.in_(("published", "cancelled"))).order_by(Event.starts_at, Event.id)
        if event.kind == "launch_ceremony":
            stmt = stmt.join(Commune, Commune.code == Event.commune_code).order_by(None).order_by(Commune.name)
        children = db.session.scalars(stmt).all()
    return _render("events/event_page.html", event=event, form=form, children=children,
                   can_manage=current_user.is_authenticated and services.can_manage_event(current_user, event))


def _registration_or_404(token: str) -> Registration:
    reg = services.find_registration(token)
    if reg is None:
        abort(404)
    return reg


def _private(resp_body: str) -> Response:
    resp = Response(resp_body)
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["X-Robots-Tag"] = "noindex"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/r/<token>")
def my_registration(token: str):
    reg = _registration_or_404(token)
    position = None
    if reg.status == "waitlisted":
        from sqlalchemy import func

        position = db.session.scalar(select(func.count()).select_from(Registration).where(
            Registration.event_id == reg.event_id, Registration.status == "waitlisted",
            Registration.id <= reg.id))
    return _private(render_template("events/my_registration.html", reg=reg, token=token, event=reg.event,
                                    position=position, confirm=ConfirmForm()))


@bp.post("/r/<token>/cancel")
@limits.public_write("PRIVATE_LINK_RATE_LIMIT")
def cancel_my_registration(token: str):
    reg = _registration_or_404(token)
    if ConfirmForm().validate_on_submit() and attempt(lambda: services.cancel_registration(reg)):
        flash(_("Your registration has been cancelled."), "info")
    return redirect(url_for("events.my_registration", token=token))


# --- organiser pages ----------------------------------------------------------------------------

def _event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    return event


def _require(allowed: bool) -> None:
    if not current_user.is_authenticated:
        abort(401)
    if not allowed:
        abort(403)


def _managed_event(event_id: int) -> Event:
    event = _event_or_404(event_id)
    _require(services.can_manage_event(current_user, event))
    return event


def _scope_communes() -> list[tuple[int, str]]:
    stmt = select(Commune.code, Commune.name).order_by(Commune.name)
    if perm.is_admin(current_user):
        stmt = stmt.where(Commune.province_code == current_app.config["DEFAULT_PROVINCE_CODE"])
    else:
        stmt = stmt.where(perm.commune_filter(Commune.code, current_user, services.EVENT_ORGANISERS))
    return [tuple(r) for r in db.session.execute(stmt).tuples()]


def _provincial_provinces() -> list[tuple[int, str]]:
    codes = perm.province_codes(current_user, roles=(PROVINCE_COORDINATOR, "youth_organiser"))
    stmt = select(Province.code, Province.name).order_by(Province.name)
    if codes is None:
        stmt = stmt.where(Province.code == current_app.config["DEFAULT_PROVINCE_CODE"])
    else:
        stmt = stmt.where(Province.code.in_(codes or {-1}))
    return [tuple(r) for r in db.session.execute(stmt).tuples()]


def _commune_choices(form, event: Event | None = None) -> None:
    choices = [(f"p{code}", _("Whole province: %(name)s", name=name)) for code, name in _provincial_provinces()]
    form.commune_code.choices = [("", _("— choose —"))] + [(str(c), n) for c, n in _scope_communes()]
    form.commune_code.choices += [(c, n) for c, n in choices]
    if event is not None and event.commune_code is not None and not any(
            str(event.commune_code) == str(v) for v, _n in form.commune_code.choices):
        form.commune_code.choices.append((str(event.commune_code), event.commune.name))


def _place_from_form(form) -> tuple[int | None, int | None]:
    """(province_code, commune_code) from the commune select ("p75" = the whole province)."""
    raw = request.form.get("commune_code", "")
    if raw.startswith("p"):
        try:
            return int(raw[1:]), None
        except ValueError:
            return None, None
    try:
        code = int(raw)
    except ValueError:
        return None, None
    commune = db.session.get(Commune, code)
    return (commune.province_code if commune else None), code


def _prepare_event_form(form_cls, event: Event | None = None):
    form = form_cls(obj=event) if event is not None else form_cls()
    _commune_choices(form, event)
    if event is not None and not form.is_submitted():
        form.commune_code.data = str(event.commune_code) if event.commune_code else f"p{event.province_code}"
        form.starts_at.data = timeutil.to_local(event.starts_at).replace(tzinfo=None)
        form.ends_at.data = timeutil.to_local(event.ends_at).replace(tzinfo=None)
        form.target_groups.data = event.target_group_list
        if event.kind not in dict(form.kind.choices):
            form.kind.choices = [(event.kind, EVENT_KIND_LABELS[event.kind])] + list(form.kind.choices)
    return form


def _times(form) -> tuple[datetime, datetime]:
    return local_to_utc(form.starts_at.data), local_to_utc(form.ends_at.data)


@bp.get("/manage/events")
@login_required
@perm.roles_required(*services.EVENT_ORGANISERS)
def manage_list():
    q, status, kind = request.args.get("q", ""), request.args.get("status", ""), request.args.get("kind", "")
    page = Page(services.managed_events_query(current_user, q=q, status=status if status in STATUS_LABELS else "",
                                              kind=kind if kind in EVENT_KIND_LABELS else ""), page_arg())
    counts = services.registration_counts([e.id for e in page.items])
    return _render("events/manage_list.html", page=page, counts=counts, q=q, status=status, kind=kind,
                   can_province=bool(_provincial_provinces()) and perm.has_role(current_user, PROVINCE_COORDINATOR))


def _parent_from_args() -> Event | None:
    parent_id = _int_arg("parent") or (request.form.get("parent_id") and int(request.form["parent_id"])
                                       if (request.form.get("parent_id") or "").isdigit() else None)
    if not parent_id:
        return None
    parent = db.session.get(Event, parent_id)
    if parent is None or parent.kind != "national_day":
        abort(404)
    return parent


@bp.route("/manage/events/new", methods=["GET", "POST"])
@login_required
@perm.roles_required(*services.EVENT_ORGANISERS)
def event_new():
    parent = _parent_from_args()
    form = _prepare_event_form(EventForm)
    if parent is not None and not form.is_submitted():
        form.kind.data = "national_day_activity"
        form.parent_id.data = str(parent.id)
        local = timeutil.to_local(parent.starts_at).replace(tzinfo=None)
        form.starts_at.data, form.ends_at.data = local.replace(hour=8), local.replace(hour=11)
        form.title.data = ""
    if form.validate_on_submit():
        province_code, commune_code = _place_from_form(form)
        if province_code is None:
            form.commune_code.errors = [_("Unknown commune.")]
        else:
            probe = Event(province_code=province_code, commune_code=commune_code)
            _require(services.can_manage_event(current_user, probe))
            starts, ends = _times(form)
            values = form.clean_values()
            values.update(starts_at=starts, ends_at=ends)
            try:
                event = services.create_event(current_user, province_code=province_code, commune_code=commune_code,
                                              parent=parent, **values)
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                form_error(form, err)
            else:
                flash(_("Event saved as a draft. Publish it when it is ready."), "success")
                return redirect(url_for("events.manage_event", event_id=event.id))
    return _render("events/event_form.html", form=form, event=None, parent=parent)


@bp.route("/manage/series/new", methods=["GET", "POST"])
@login_required
@perm.roles_required(*services.EVENT_ORGANISERS)
def series_new():
    form = _prepare_event_form(SeriesForm)
    if not form.is_submitted():
        form.kind.data = "class_session"
    if form.validate_on_submit():
        province_code, commune_code = _place_from_form(form)
        if province_code is None:
            form.commune_code.errors = [_("Unknown commune.")]
        else:
            _require(services.can_manage_event(current_user, Event(province_code=province_code,
                                                                    commune_code=commune_code)))
            starts, ends = _times(form)
            values = form.clean_values()
            values.update(starts_at=starts, ends_at=ends)
            until = None
            if form.until.data:
                until = local_to_utc(datetime.combine(form.until.data, datetime.max.time().replace(microsecond=0)))
            try:
                series = services.create_series(current_user, freq=form.freq.data, interval=form.interval.data or 1,
                                                count=form.count.data, until=until, province_code=province_code,
                                                commune_code=commune_code, **values)
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                form_error(form, err)
            else:
                flash(_("Series created with %(n)d occurrences (drafts). Publish each occurrence or edit them.",
                        n=len(series.occurrences)), "success")
                return redirect(url_for("events.manage_list"))
    return _render("events/series_form.html", form=form)


@bp.route("/manage/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def event_edit(event_id: int):
    event = _managed_event(event_id)
    form = _prepare_event_form(EventForm, event)
    if form.validate_on_submit():
        province_code, commune_code = _place_from_form(form)
        starts, ends = _times(form)
        values = form.clean_values()
        values.update(starts_at=starts, ends_at=ends)
        if event.kind in ("launch_ceremony", "national_day", "bridge_point"):
            values["kind"] = event.kind  # the tree's parents and bridge points keep their kind
            commune_code = event.commune_code
        elif province_code != event.province_code:
            form.commune_code.errors = [_("An event cannot move to another province.")]
            return _render("events/event_form.html", form=form, event=event, parent=event.parent)
        else:
            _require(services.can_manage_event(current_user, Event(province_code=province_code,
                                                                    commune_code=commune_code)))
        values["commune_code"] = commune_code
        try:
            if form.scope.data == "following" and event.series_id is not None:
                n = services.update_following(current_user, event, **values)
                msg = _("Changes saved to %(n)d occurrences.", n=n)
            else:
                services.update_event(current_user, event, **values)
                msg = _("Event saved.")
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            form_error(form, err)
        else:
            flash(msg, "success")
            return redirect(url_for("events.manage_event", event_id=event.id))
    return _render("events/event_form.html", form=form, event=event, parent=event.parent)


def _named_operation(event_id: int, operation, message: str):
    event = _managed_event(event_id)
    if ConfirmForm().validate_on_submit():
        try:
            result = operation(event)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
        else:
            flash(message, "success")
            if isinstance(result, Event):
                return redirect(url_for("events.event_edit", event_id=result.id))
    return redirect(url_for("events.manage_event", event_id=event.id))


@bp.post("/manage/events/<int:event_id>/publish")
@login_required
def event_publish(event_id: int):
    return _named_operation(event_id, lambda e: services.publish_event(current_user, e), _("Event published."))


@bp.post("/manage/events/<int:event_id>/cancel")
@login_required
def event_cancel(event_id: int):
    following = request.form.get("following") == "1"

    def op(event):
        if following and event.series_id is not None:
            services.cancel_following(current_user, event)
        else:
            services.cancel_event(current_user, event)

    return _named_operation(event_id, op, _("Event cancelled."))


@bp.post("/manage/events/<int:event_id>/duplicate")
@login_required
def event_duplicate(event_id: int):
    return _named_operation(event_id, lambda e: services.duplicate_event(current_user, e),
                            _("A draft copy was made; change its date and publish it."))


@bp.get("/manage/events/<int:event_id>")
@login_required
def manage_event(event_id: int):
    event = _event_or_404(event_id)
    _require(services.can_view_registrants(current_user, event))
    search = RegistrantSearchForm(request.args)
    page = Page(services.registrants_query(event, search.q.data or "", search.status.data or ""), page_arg())
    can_manage = services.can_manage_event(current_user, event)
    phones = {r.id: services.shown_phone(current_user, r.person, event) for r in page.items}
    return _render("events/manage_event.html", event=event, page=page, search=search, phones=phones,
                   can_manage=can_manage, confirm=ConfirmForm(), status_form=StatusForm(),
                   counts=services.registration_counts([event.id]).get(event.id, {}),
                   can_anonymise={r.person_id: services.can_anonymise(current_user, r.person) for r in page.items})


CSV_LIMIT = 20000


@bp.get("/manage/events/<int:event_id>/registrants.csv")
@login_required
def registrants_csv(event_id: int):
    event = _event_or_404(event_id)
    _require(services.can_view_registrants(current_user, event))
    rows = db.session.execute(services.registrants_query(event, request.args.get("q", ""),
                                                         request.args.get("status", ""))
                              .outerjoin(Commune, Commune.code == Person.commune_code)
                              .outerjoin(Village, Village.id == Person.village_id)
                              .add_columns(Commune.name, Village.name).limit(CSV_LIMIT)).all()
    full = services.can_manage_event(current_user, event)
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 Vietnamese correctly
    writer = csv.writer(out)
    writer.writerow([_("No."), _("Full name"), _("Phone"), _("Year of birth"), _("Gender"), _("Commune or ward"),
                     _("Village"), _("Target groups"), _("Needs"), _("Status"), _("Registered at"), _("Source")])
    for n, (reg, commune_name, village_name) in enumerate(rows, 1):
        person = reg.person
        phone = services.national_phone(person.phone) if full or services.can_see_phone(
            current_user, person, event) else services.mask_phone(person.phone)
        writer.writerow([n, _csv_safe(person.full_name), phone, person.birth_year or "",
                         GENDER_LABELS.get(person.gender, "") if person.gender else "", commune_name or "",
                         _csv_safe(village_name or ""),
                         "; ".join(str(TARGET_GROUP_LABELS[g]) for g in person.target_groups.split(",") if g),
                         _csv_safe(reg.needs), REGISTRATION_STATUS_LABELS[reg.status],
                         timeutil.format_datetime(reg.created_at),
                         _("staff") if reg.source == "staff" else _("online")])
    # Who took a copy of the list, and how much of it, is on record (the audit log page shows it);
    # not the search typed, which may be a name or a phone.
    attempt(lambda: audit("registrations.exported", event, actor=current_user, rows=len(rows), full_phones=full,
                          searched=bool(request.args.get("q")), status=request.args.get("status", "")[:20]))
    resp = Response(out.getvalue(), mimetype="text/csv; charset=utf-8")
    resp.headers["Content-Disposition"] = f'attachment; filename="registrants-{event.id}.csv"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _csv_safe(value: str) -> str:
    """Spreadsheet formula injection: a cell starting with = + - @ is shown as text."""
    value = str(value or "")
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


@bp.route("/manage/events/<int:event_id>/register", methods=["GET", "POST"])
@login_required
def register_on_behalf(event_id: int):
    event = _managed_event(event_id)
    form = _registration_form(event)
    if form.validate_on_submit():
        reg, _token = _do_register(event, form, actor=current_user)
        if reg is not None:
            flash(_("Registered (%(status)s).", status=REGISTRATION_STATUS_LABELS[reg.status]), "success")
            return redirect(url_for("events.manage_event", event_id=event.id))
    return _render("events/register_staff.html", event=event, form=form)


@bp.post("/manage/registrations/<int:registration_id>/status")
@login_required
def registration_status(registration_id: int):
    reg = db.session.get(Registration, registration_id)
    if reg is None:
        abort(404)
    _require(services.can_manage_event(current_user, reg.event))
    form = StatusForm()
    if form.validate_on_submit():
        try:
            services.set_registration_status(current_user, reg, form.status.data)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
        else:
            flash(_("Status changed."), "success")
    else:
        flash(_("Choose a status from the list."), "danger")
    return redirect(url_for("events.manage_event", event_id=reg.event_id))


@bp.post("/manage/persons/<int:person_id>/anonymise")
@login_required
def person_anonymise(person_id: int):
    person = db.session.get(Person, person_id)
    if person is None:
        abort(404)
    _require(services.can_anonymise(current_user, person))
    if ConfirmForm().validate_on_submit():
        services.anonymise_person(current_user, person)
        db.session.commit()
        flash(_("The person's data have been removed; their registrations stay counted."), "success")
    target = request.form.get("next", "")
    if target.startswith("/manage/"):
        return redirect(target)
    return redirect(url_for("events.manage_list"))


# --- the event tree: launch ceremony and 10/10 day ---------------------------------------------

def _in_province(user, province_code: int) -> bool:
    """Organisers anywhere in the province (its coordinators, youth union, commune officers)."""
    if perm.is_admin(user):
        return True
    for gr in user.grants:
        if gr.role not in services.EVENT_ORGANISERS:
            continue
        if gr.province_code == province_code:
            return True
        if gr.commune is not None and gr.commune.province_code == province_code:
            return True
    return False


@bp.route("/manage/launch-ceremony", methods=["GET", "POST"])
@login_required
@perm.roles_required(PROVINCE_COORDINATOR)
def launch_ceremony():
    provinces = perm.province_codes(current_user)
    stmt = select(Campaign).order_by(Campaign.starts_on.desc())
    if provinces is not None:
        stmt = stmt.where(Campaign.province_code.in_(provinces or {-1}))
    campaigns = db.session.scalars(stmt).all()
    form = LaunchCeremonyForm()
    form.campaign_id.choices = [(c.id, c.name) for c in campaigns]
    if form.validate_on_submit():
        campaign = db.session.get(Campaign, form.campaign_id.data)
        if campaign is None:
            abort(404)
        perm.require_province(campaign.province_code)
        starts, ends = _times(form)
        try:
            result = services.create_launch_ceremony(current_user, campaign, starts_at=starts, ends_at=ends,
                                                     title=form.title.data or None, place=form.place.data or "",
                                                     online_url=form.online_url.data or "")
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            form_error(form, err)
        except IntegrityError:  # the same action ran at the same moment elsewhere: it is done
            db.session.rollback()
            flash(_("The ceremony was just created by someone else."), "info")
            return redirect(url_for("events.manage_list"))
        else:
            if result.created_parent:
                flash(_("Launch ceremony created with %(n)d bridge points.", n=result.children_created), "success")
            else:
                flash(_("The ceremony already existed; %(n)d missing bridge points were added.",
                        n=result.children_created), "info")
            return redirect(url_for("events.board", event_id=result.parent.id))
    return _render("events/launch_form.html", form=form)


@bp.route("/manage/national-day", methods=["GET", "POST"])
@login_required
@perm.roles_required(PROVINCE_COORDINATOR)
def national_day():
    form = NationalDayForm()
    provinces = perm.province_codes(current_user)
    stmt = select(Province.code, Province.name).order_by(Province.name)
    if provinces is not None:
        stmt = stmt.where(Province.code.in_(provinces or {-1}))
    else:
        stmt = stmt.where(Province.code == current_app.config["DEFAULT_PROVINCE_CODE"])
    form.province_code.choices = [tuple(r) for r in db.session.execute(stmt).tuples()]
    if not form.is_submitted():
        form.year.data = datetime.now(timeutil.LOCAL_TZ).year
    if form.validate_on_submit():
        perm.require_province(form.province_code.data)
        campaign = db.session.scalar(select(Campaign).where(Campaign.province_code == form.province_code.data,
                                                            Campaign.kind == "digital_literacy",
                                                            Campaign.starts_on <= date(form.year.data, 10, 10),
                                                            Campaign.ends_on >= date(form.year.data, 10, 10))
                                    .limit(1))
        try:
            result = services.create_national_day(current_user, form.province_code.data, form.year.data, campaign)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            form_error(form, err)
        except IntegrityError:
            db.session.rollback()
            flash(_("The day was just created by someone else."), "info")
            return redirect(url_for("events.manage_list"))
        else:
            flash(_("Day created.") if result.created_parent else _("This year's day already exists."), "info")
            return redirect(url_for("events.board", event_id=result.parent.id))
    return _render("events/national_day_form.html", form=form)


def _board_event(event_id: int) -> Event:
    event = _event_or_404(event_id)
    if event.kind not in ("launch_ceremony", "national_day"):
        abort(404)
    _require(_in_province(current_user, event.province_code))
    return event


@bp.get("/manage/events/<int:event_id>/board")
@login_required
def board(event_id: int):
    event = _board_event(event_id)
    if event.kind == "launch_ceremony":
        data = services.launch_board(event)
        hostable = {p.id for p in data.points if services.can_host_bridge_point(current_user, p)}
        return _render("events/launch_board.html", event=event, board=data, hostable=hostable,
                       confirm=ConfirmForm())
    data = services.national_day_board(event)
    own = [c for c in data.communes_without
           if services.in_commune_scope(current_user, c.code, c.province_code, services.EVENT_ORGANISERS)]
    return _render("events/national_day_board.html", event=event, board=data, own=own)


@bp.get("/manage/events/<int:event_id>/board.json")
@login_required
def board_json(event_id: int):
    event = _board_event(event_id)
    if event.kind != "launch_ceremony":
        abort(404)
    resp = jsonify(services.launch_board(event).as_json())
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _bridge_point(event_id: int) -> Event:
    event = _event_or_404(event_id)
    if event.kind != "bridge_point":
        abort(404)
    _require(services.can_host_bridge_point(current_user, event))
    return event


@bp.route("/manage/bridge-points/<int:event_id>", methods=["GET", "POST"])
@login_required
def bridge_point(event_id: int):
    event = _bridge_point(event_id)
    form = BridgePointForm(obj=event)
    if not form.is_submitted() and event.host is not None:
        form.host_username.data = event.host.username
    if form.validate_on_submit():
        host_id = event.host_user_id
        if form.host_username.data:
            host = db.session.scalar(select(User).where(User.username == form.host_username.data.strip()))
            if host is None:
                form.host_username.errors = [_("No account has this username.")]
                return _render("events/bridge_point.html", event=event, form=form, confirm=ConfirmForm())
            host_id = host.id
        else:
            host_id = None
        try:
            services.update_event(current_user, event, place=form.place.data or "", address=form.address.data or "",
                                  host_user_id=host_id)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            form_error(form, err)
        else:
            flash(_("Bridge point saved."), "success")
            return redirect(url_for("events.bridge_point", event_id=event.id))
    return _render("events/bridge_point.html", event=event, form=form, confirm=ConfirmForm())


@bp.post("/manage/bridge-points/<int:event_id>/<any(ready, connected, not_ready, disconnected):state>")
@login_required
def bridge_point_state(event_id: int, state: str):
    event = _bridge_point(event_id)
    if ConfirmForm().validate_on_submit():
        if state in ("ready", "not_ready"):
            services.mark_bridge_ready(current_user, event, state == "ready")
        else:
            services.mark_bridge_connected(current_user, event, state == "connected")
        db.session.commit()
        flash(_("Bridge point updated."), "success")
    target = request.form.get("next", "")
    if target.startswith("/manage/"):
        return redirect(target)
    return redirect(url_for("events.bridge_point", event_id=event.id))
