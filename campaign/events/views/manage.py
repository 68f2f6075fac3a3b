"""Organiser pages: the managed event list, new events and series, editing, publishing, cancelling,
duplicating, the registrant list and its CSV, registering on someone's behalf."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from campaign.accounts import permissions as perm
from campaign.accounts.forms import ConfirmForm
from campaign.accounts.models import PROVINCE_COORDINATOR, YOUTH_ORGANISER
from campaign.core import timeutil
from campaign.core.services import audit
from campaign.core.tabular import csv_cell as _csv_safe  # the one formula-injection guard
from campaign.core.timeutil import local_to_utc
from campaign.core.web import Page, attempt, page_arg
from campaign.events import services
from campaign.events.forms import (
    EVENT_KIND_LABELS,
    GENDER_LABELS,
    REGISTRATION_STATUS_LABELS,
    STATUS_LABELS,
    TARGET_GROUP_LABELS,
    EventForm,
    RegistrantSearchForm,
    SeriesForm,
    StatusForm,
)
from campaign.events.models import Event, Person, Registration
from campaign.events.views import bp, event_or_404, form_times, int_arg, next_or, render
from campaign.events.views.public import do_register, registration_form
from campaign.extensions import db
from campaign.units import services as units
from campaign.units.models import Commune, Province


def _managed_event(event_id: int) -> Event:
    event = event_or_404(event_id)
    perm.require(services.can_manage_event(current_user, event))
    return event


def _scope_communes() -> list[tuple[int, str]]:
    if perm.is_admin(current_user):
        communes = units.communes(province_code=current_app.config["DEFAULT_PROVINCE_CODE"])
    else:
        communes = units.communes(perm.commune_filter(Commune.code, current_user, services.EVENT_ORGANISERS))
    return units.commune_choices(communes)


def _provincial_provinces() -> list[tuple[int, str]]:
    codes = perm.province_codes(current_user, roles=(PROVINCE_COORDINATOR, YOUTH_ORGANISER))
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


def _require_place(province_code: int, commune_code: int | None) -> None:
    """The user must organise events at this place (a commune, or the whole province)."""
    perm.require(services.can_manage_event(current_user, Event(province_code=province_code,
                                                                commune_code=commune_code)))


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


def _form_values(form) -> dict:
    starts, ends = form_times(form)
    values = form.clean_values()
    values.update(starts_at=starts, ends_at=ends)
    return values


@bp.get("/manage/events")
@login_required
@perm.roles_required(*services.EVENT_ORGANISERS)
def manage_list():
    q, status, kind = request.args.get("q", ""), request.args.get("status", ""), request.args.get("kind", "")
    page = Page(services.managed_events_query(current_user, q=q, status=status if status in STATUS_LABELS else "",
                                              kind=kind if kind in EVENT_KIND_LABELS else ""), page_arg())
    counts = services.registration_counts([e.id for e in page.items])
    return render("events/manage_list.html", page=page, counts=counts, q=q, status=status, kind=kind,
                  can_province=bool(_provincial_provinces()) and perm.has_role(current_user, PROVINCE_COORDINATOR))


def _parent_from_args() -> Event | None:
    parent_id = int_arg("parent") or (request.form.get("parent_id") and int(request.form["parent_id"])
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
            _require_place(province_code, commune_code)
            values = _form_values(form)
            outcome = attempt(lambda: services.create_event(current_user, province_code=province_code,
                                                            commune_code=commune_code, parent=parent, **values), form)
            if outcome:
                flash(_("Event saved as a draft. Publish it when it is ready."), "success")
                return redirect(url_for("events.manage_event", event_id=outcome.value.id))
    return render("events/event_form.html", form=form, event=None, parent=parent)


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
            _require_place(province_code, commune_code)
            values = _form_values(form)
            until = None
            if form.until.data:
                until = local_to_utc(datetime.combine(form.until.data, datetime.max.time().replace(microsecond=0)))
            outcome = attempt(lambda: services.create_series(
                current_user, freq=form.freq.data, interval=form.interval.data or 1, count=form.count.data,
                until=until, province_code=province_code, commune_code=commune_code,
                publish=bool(form.publish.data), **values), form)
            if outcome:
                n = len(outcome.value.occurrences)
                flash(_("Series created and published: %(n)d occurrences.", n=n) if form.publish.data else
                      _("Series created with %(n)d occurrences (drafts). Publish them all at once from any "
                        "occurrence, or one by one.", n=n), "success")
                return redirect(url_for("events.manage_list"))
    return render("events/series_form.html", form=form)


@bp.route("/manage/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def event_edit(event_id: int):
    event = _managed_event(event_id)
    form = _prepare_event_form(EventForm, event)
    if form.validate_on_submit():
        province_code, commune_code = _place_from_form(form)
        values = _form_values(form)
        if event.kind in ("launch_ceremony", "national_day", "bridge_point"):
            values["kind"] = event.kind  # the tree's parents and bridge points keep their kind
            commune_code = event.commune_code
        elif province_code != event.province_code:
            form.commune_code.errors = [_("An event cannot move to another province.")]
            return render("events/event_form.html", form=form, event=event, parent=event.parent)
        else:
            _require_place(province_code, commune_code)
        values["commune_code"] = commune_code

        def save() -> str:
            if form.scope.data in ("following", "all") and event.series_id is not None:
                n = services.update_occurrences(current_user, event, form.scope.data, **values)
                return _("Changes saved to %(n)d occurrences.", n=n)
            services.update_event(current_user, event, **values)
            return _("Event saved.")

        outcome = attempt(save, form)
        if outcome:
            flash(outcome.value, "success")
            return redirect(url_for("events.manage_event", event_id=event.id))
    return render("events/event_form.html", form=form, event=event, parent=event.parent)


def _named_operation(event_id: int, operation, message: str):
    event = _managed_event(event_id)
    if ConfirmForm().validate_on_submit():
        outcome = attempt(lambda: operation(event))
        if outcome:
            flash(message, "success")
            if isinstance(outcome.value, Event):
                return redirect(url_for("events.event_edit", event_id=outcome.value.id))
    return redirect(url_for("events.manage_event", event_id=event.id))


@bp.post("/manage/events/<int:event_id>/publish")
@login_required
def event_publish(event_id: int):
    return _series_operation(event_id, services.publish_occurrences, _("Event published."),
                             lambda n: _("%(n)d occurrences published.", n=n))


@bp.post("/manage/events/<int:event_id>/cancel")
@login_required
def event_cancel(event_id: int):
    return _series_operation(event_id, services.cancel_occurrences, _("Event cancelled."),
                             lambda n: _("%(n)d occurrences cancelled.", n=n))


def _series_operation(event_id: int, operation, one: str, many):
    """Publish or cancel "this occurrence", "this and the following" or "the whole series" (the
    form's ``scope``; ``following=1`` is the older form of "following")."""
    event = _managed_event(event_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    scope = request.form.get("scope") or ("following" if request.form.get("following") == "1" else "this")
    outcome = attempt(lambda: operation(current_user, event, scope))
    if outcome:
        flash(one if scope == "this" or event.series_id is None else many(outcome.value), "success")
    return redirect(url_for("events.manage_event", event_id=event_id))


@bp.post("/manage/events/<int:event_id>/duplicate")
@login_required
def event_duplicate(event_id: int):
    return _named_operation(event_id, lambda e: services.duplicate_event(current_user, e),
                            _("A draft copy was made; change its date and publish it."))


@bp.get("/manage/events/<int:event_id>")
@login_required
def manage_event(event_id: int):
    event = event_or_404(event_id)
    perm.require(services.can_view_registrants(current_user, event))
    search = RegistrantSearchForm(request.args)
    page = Page(services.registrants_query(event, search.q.data or "", search.status.data or ""), page_arg())
    can_manage = services.can_manage_event(current_user, event)
    phones = {r.id: services.shown_phone(current_user, r.person, event) for r in page.items}
    return render("events/manage_event.html", event=event, page=page, search=search, phones=phones,
                  can_manage=can_manage, confirm=ConfirmForm(), status_form=StatusForm(),
                  counts=services.registration_counts([event.id]).get(event.id, {}),
                  series_drafts=services.series_draft_count(event) if can_manage else 0,
                  can_anonymise={r.person_id: services.can_anonymise(current_user, r.person) for r in page.items})


@bp.get("/manage/events/<int:event_id>/registrants.csv")
@login_required
def registrants_csv(event_id: int):
    event = event_or_404(event_id)
    perm.require(services.can_view_registrants(current_user, event))
    rows = services.registrants_export(event, request.args.get("q", ""), request.args.get("status", ""))
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
    resp = Response(out.getvalue(), content_type="text/csv; charset=utf-8")
    resp.headers["Content-Disposition"] = f'attachment; filename="registrants-{event.id}.csv"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp




@bp.route("/manage/events/<int:event_id>/register", methods=["GET", "POST"])
@login_required
def register_on_behalf(event_id: int):
    event = _managed_event(event_id)
    form = registration_form(event)
    if form.validate_on_submit():
        reg, _token = do_register(event, form, actor=current_user)
        if reg is not None:
            flash(_("Registered (%(status)s).", status=REGISTRATION_STATUS_LABELS[reg.status]), "success")
            return redirect(url_for("events.manage_event", event_id=event.id))
    return render("events/register_staff.html", event=event, form=form)


@bp.post("/manage/registrations/<int:registration_id>/status")
@login_required
def registration_status(registration_id: int):
    reg = db.session.get(Registration, registration_id)
    if reg is None:
        abort(404)
    perm.require(services.can_manage_event(current_user, reg.event))
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_("Choose a status from the list."), "danger")
    elif attempt(lambda: services.set_registration_status(current_user, reg, form.status.data)):
        flash(_("Status changed."), "success")
    return redirect(url_for("events.manage_event", event_id=reg.event_id))


@bp.post("/manage/persons/<int:person_id>/anonymise")
@login_required
def person_anonymise(person_id: int):
    person = db.session.get(Person, person_id)
    if person is None:
        abort(404)
    perm.require(services.can_anonymise(current_user, person))
    if ConfirmForm().validate_on_submit() and attempt(lambda: services.anonymise_person(current_user, person)):
        flash(_("The person's data have been removed; their registrations stay counted."), "success")
    return redirect(next_or(url_for("events.manage_list")))
