"""Public pages: the campaign page, the event list, an event's page with its registration form, and
the registrant's private link."""

from __future__ import annotations

from datetime import datetime

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from campaign.accounts.forms import ConfirmForm
from campaign.campaigns.models import Campaign
from campaign.core import limits, timeutil
from campaign.core.types import utcnow
from campaign.core.web import Page, attempt, page_arg
from campaign.events import services
from campaign.events.forms import GroupRegistrationForm, RegistrationForm
from campaign.events.models import Event, Registration
from campaign.events.views import bp, date_arg, int_arg, province_communes, render
from campaign.extensions import db
from campaign.units.models import Commune, Village


@bp.get("/c/<slug>")
def campaign_page(slug: str):
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        abort(404)
    upcoming = db.session.scalars(
        services.public_events_query(campaign_id=campaign.id).where(
            Event.ends_at >= datetime.now(timeutil.LOCAL_TZ), Event.kind != "bridge_point").limit(20)).all()
    return render("events/campaign_page.html", campaign=campaign, upcoming=upcoming)


@bp.get("/events")
def public_list():
    province_code = current_app.config["DEFAULT_PROVINCE_CODE"]
    past = request.args.get("past") == "1"
    filters = dict(commune_code=int_arg("commune"), date_from=date_arg("from"), date_to=date_arg("to"),
                   kind=request.args.get("kind", ""), group=request.args.get("group", ""),
                   q=request.args.get("q", ""), campaign_id=int_arg("campaign"))
    if not past and filters["date_from"] is None and filters["date_to"] is None:
        filters["date_from"] = timeutil.local_today()  # the list starts today; past events behind a toggle
    stmt = services.public_events_query(**filters, past=past)
    if not request.args.get("bridge"):
        stmt = stmt.where(Event.kind != "bridge_point")
    page = Page(stmt, page_arg(), per_page=30)
    sessions = services.class_sessions([e.id for e in page.items])
    return render("events/public_list.html", page=page, filters=filters, past=past, sessions=sessions,
                  now=utcnow(), communes=province_communes(province_code))


@bp.get("/events/villages.json")
def villages_json():
    """The villages of a commune, for the registration form's village list (public names only)."""
    code = int_arg("commune")
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


def registration_form(event: Event, form_cls=RegistrationForm):
    """The registration form of an event (the public one, or the staff's on-behalf one)."""
    form = form_cls()
    form.commune_code.choices = [("", _("— choose —"))] + province_communes(event.province_code)
    villages = []
    code = form.commune_code.data if form.is_submitted() else event.commune_code
    if code and code != -1:
        villages = [tuple(r) for r in db.session.execute(select(Village.id, Village.name)
                                                         .where(Village.commune_code == code)
                                                         .order_by(Village.name)).tuples()]
    form.village_id.choices = [("", _("— not given —"))] + villages
    form.village_id.render_kw = {"data-url": url_for("events.villages_json")}
    if not form.is_submitted() and event.commune_code:
        form.commune_code.data = event.commune_code
    return form


def do_register(event: Event, form, actor=None):
    """Register from the form: (registration, private token), or (None, None) with the form showing why."""
    outcome = attempt(lambda: services.register(
        event, full_name=form.full_name.data, phone=form.phone.data, birth_year=form.birth_year.data,
        gender=form.gender.data or None, target_groups=form.target_groups.data or [],
        commune_code=form.commune_code.data if form.commune_code.data != -1 else 0,
        village_id=form.village_id.data if form.village_id.data not in (-1,) else 0,
        needs=form.needs.data or "", consent=bool(form.consent.data), actor=actor), form,
        # Only staff registrations link to a known person, so only they can meet an existing registration.
        conflict=_("This person already has another registration for this event."), conflict_field="phone")
    return outcome.value if outcome else (None, None)


@bp.route("/events/<int:event_id>", methods=["GET", "POST"])
@limits.public_write("REGISTRATION_RATE_LIMIT",
                     ("REGISTRATION_TARGET_RATE_LIMIT", limits.view_arg_key("event", "event_id")))
def event_page(event_id: int):
    event = _public_event_or_404(event_id)
    can_register = services.registration_open(event)
    form = registration_form(event) if can_register else None
    if form is not None and form.validate_on_submit():
        reg, token = do_register(event, form)
        if reg is not None:
            if reg.status == "confirmed":
                flash(_("You are registered. Keep this page's address: it is your private link."), "success")
            else:
                flash(_("The event is full: you are on the waiting list. You will be confirmed automatically "
                        "if a place frees up. Keep this page's address."), "warning")
            return redirect(url_for("events.my_registration", token=token))
    children, groups, q = [], [], request.args.get("q", "")[:100]
    stmt = select(Event).where(Event.parent_id == event.id, Event.visibility == "public",
                               Event.status.in_(("published", "cancelled"))).order_by(Event.starts_at, Event.id)
    if event.kind == "launch_ceremony":
        children = db.session.scalars(stmt.join(Commune, Commune.code == Event.commune_code).order_by(None)
                                      .order_by(Commune.name)).all()
    elif event.kind == "national_day":
        groups = services.activities_by_commune(event, q)
    else:  # a class: its sessions
        children = db.session.scalars(stmt).all()
    return render("events/event_page.html", event=event, form=form, children=children, groups=groups, q=q,
                  can_manage=current_user.is_authenticated and services.can_manage_event(current_user, event))


@bp.route("/events/<int:event_id>/on-behalf", methods=["GET", "POST"])
@limits.public_write("REGISTRATION_RATE_LIMIT",
                     ("REGISTRATION_TARGET_RATE_LIMIT", limits.view_arg_key("event", "event_id")))
def register_others(event_id: int):
    """A relative, neighbour or steward registers one or several people with their own phone as the
    contact (services.register_group)."""
    event = _public_event_or_404(event_id)
    if not services.registration_open(event):
        flash(_("Registration for this event is closed."), "warning")
        return redirect(url_for("events.event_page", event_id=event.id))
    form = registration_form(event, GroupRegistrationForm)
    if form.validate_on_submit():
        actor = current_user if current_user.is_authenticated else None
        outcome = attempt(lambda: services.register_group(
            event, contact_name=form.contact_name.data, contact_phone=form.contact_phone.data,
            relation=form.relation.data, consent=bool(form.consent.data),
            people=[dict(full_name=row.full_name.data, birth_year=row.birth_year.data) for row in form.people],
            commune_code=form.commune_code.data if form.commune_code.data != -1 else 0,
            village_id=form.village_id.data if form.village_id.data not in (-1,) else 0, actor=actor), form)
        if outcome:
            group, token = outcome.value
            flash(_("They are registered. Keep this page's address: it holds all their tickets."), "success")
            return redirect(url_for("events.group_page", token=token))
    return render("events/register_on_behalf.html", event=event, form=form)


@bp.get("/g/<token>")
def group_page(token: str):
    """The private page of a registration on someone's behalf: every person's ticket, to print on one page."""
    group = services.find_group(token)
    if group is None:
        abort(404)
    return _private(render_template("events/group_page.html", group=group, event=group.event,
                                    members=services.group_members(group, token)))


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
