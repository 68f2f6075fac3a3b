"""Check-in pages: the scanner, stewards, tickets on a phone and on paper."""

from __future__ import annotations

import uuid as uuidlib

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import joinedload

from campaign.accounts import permissions as perm
from campaign.accounts.forms import ConfirmForm
from campaign.accounts.models import PROVINCE_COORDINATOR, YOUTH_ORGANISER, User
from campaign.checkin import devices, qr, selfcheck, services
from campaign.checkin.forms import DeviceForm, SelfCheckinForm, StewardForm
from campaign.checkin.models import CheckinDevice, StewardGrant, Ticket
from campaign.core import limits
from campaign.core.services import DomainError
from campaign.core.web import attempt
from campaign.events.models import Event, Person, Registration
from campaign.extensions import db

bp = Blueprint("checkin", __name__)


@bp.app_context_processor
def inject_checkin():
    def checkin_menu() -> bool:
        """Show "Check-in" to organisers and to anyone holding a live steward grant."""
        if not perm.is_authenticated():
            return False
        if perm.has_role(current_user, *perm.ORGANISERS):
            return True
        return db.session.scalar(select(StewardGrant.id).where(
            StewardGrant.user_id == current_user.id, StewardGrant.revoked_at.is_(None)).limit(1)) is not None

    def checkin_ticket(registration):
        """For the registration page: (ticket, inline SVG) of a confirmed registration, or None."""
        ticket = services.current_ticket(registration)
        return (ticket, qr.svg(ticket.code)) if ticket is not None else None

    return {"checkin_menu": checkin_menu, "checkin_ticket": checkin_ticket}


def _event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    return event


def _require_scan(event: Event) -> None:
    perm.require(services.can_scan(current_user, event))


def _require_organiser(event: Event) -> None:
    perm.require(services.is_organiser(current_user, event))


@bp.get("/checkin/")
@login_required
def index():
    """Where a steward starts: the events they may scan at."""
    mine = services.steward_events(current_user)
    organised: list[Event] = []
    if perm.has_role(current_user, *perm.ORGANISERS):
        provinces = perm.province_codes(current_user, (PROVINCE_COORDINATOR, YOUTH_ORGANISER))
        provincial = true() if provinces is None else Event.province_code.in_(provinces)
        organised = list(db.session.scalars(
            select(Event).where(or_(perm.commune_filter(Event.commune_code, current_user, perm.ORGANISERS),
                                    and_(Event.commune_code.is_(None), provincial)),
                                Event.status == "published")
            .order_by(Event.starts_at.desc()).limit(50)).all())
    if not mine and not organised:
        abort(403)
    return render_template("checkin/index.html", mine=mine, organised=organised)


@bp.get("/checkin/events/<int:event_id>/scan")
@login_required
def scanner(event_id: int):
    event = _event_or_404(event_id)
    _require_scan(event)
    services.key_cache().warm()
    return render_template("checkin/scanner.html", event=event,
                           checked_in=services.checked_in_count(event.id),
                           registered=services.registered_count(event))


@bp.get("/checkin/events/<int:event_id>/counts")
@login_required
def counts(event_id: int):
    """Live counts: registered and checked in, for the event and each bridge point or session."""
    event = _event_or_404(event_id)
    _require_scan(event)
    return render_template("checkin/counts.html", event=event, counts=services.live_counts(event))


@bp.route("/checkin/events/<int:event_id>/stewards", methods=["GET", "POST"])
@login_required
def stewards(event_id: int):
    event = _event_or_404(event_id)
    _require_organiser(event)
    form = StewardForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))

        def grant() -> None:
            if user is None:
                raise DomainError(_("No account has this username."), "username")
            services.grant_steward(event, user, current_user)

        if attempt(grant, form):
            flash(_("%(name)s can now check people in at this event.", name=user.full_name), "success")
            return redirect(url_for("checkin.stewards", event_id=event.id))
    grants = db.session.scalars(select(StewardGrant).where(
        StewardGrant.event_id == event.id, StewardGrant.revoked_at.is_(None)).order_by(StewardGrant.granted_at)).all()
    return render_template("checkin/stewards.html", event=event, form=form, grants=grants, confirm=ConfirmForm())


@bp.post("/checkin/stewards/<int:grant_id>/revoke")
@login_required
def revoke_steward(grant_id: int):
    grant = db.session.get(StewardGrant, grant_id)
    if grant is None:
        abort(404)
    event = _event_or_404(grant.event_id)
    _require_organiser(event)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if attempt(lambda: services.revoke_steward(grant, current_user)):
        flash(_("The steward role was removed."), "success")
    return redirect(url_for("checkin.stewards", event_id=event.id))


# --- tickets -----------------------------------------------------------------------------------

def _ticket_or_404(token: str) -> Ticket:
    ticket = services.ticket_by_token(token)
    if ticket is None:
        abort(404)
    return ticket


@bp.get("/tickets/<token>")
def ticket(token: str):
    """The ticket on the holder's phone. The token in the address is the ticket itself (random,
    no personal data); whoever holds the link holds the ticket, as with the printed QR."""
    ticket = _ticket_or_404(token)
    reg = ticket.registration
    event = db.session.get(Event, ticket.event_id)
    state = services.ticket_state(ticket, event)
    replacement = None
    if state == "replaced":
        new = services.live_ticket(reg.id)
        # The new ticket is linked only for those who may hold it: a ticket is replaced because it
        # was lost or shared, and the old link may be in the wrong hands.
        if new is not None and services.may_see_ticket(current_user, new, event):
            replacement = new
    resp = Response(render_template("checkin/ticket.html", ticket=ticket, registration=reg, event=event,
                                    person=reg.person, state=state, replacement=replacement,
                                    svg=qr.svg(ticket.code) if state == "valid" else None))
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


def _valid_ticket_or_404(token: str) -> Ticket:
    """The QR image exists only for a ticket that admits (a cancelled one shows no code anywhere)."""
    ticket = _ticket_or_404(token)
    if services.ticket_state(ticket, db.session.get(Event, ticket.event_id)) != "valid":
        abort(404)
    return ticket


@bp.get("/tickets/<token>/qr.png")
def ticket_png(token: str):
    ticket = _valid_ticket_or_404(token)
    resp = Response(qr.png(ticket.code), mimetype="image/png")
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp


@bp.get("/tickets/<token>/qr.svg")
def ticket_svg(token: str):
    ticket = _valid_ticket_or_404(token)
    resp = Response(qr.svg(ticket.code), mimetype="image/svg+xml")
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp


@bp.post("/checkin/tickets/<token>/reissue")
@login_required
def reissue(token: str):
    ticket = _ticket_or_404(token)
    event = _event_or_404(ticket.event_id)
    _require_organiser(event)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    outcome = attempt(lambda: services.reissue_ticket(ticket, current_user))
    if not outcome:
        return redirect(url_for("checkin.print_tickets", event_id=event.id))
    flash(_("A new ticket was made; the old one no longer works."), "success")
    return redirect(url_for("checkin.ticket", token=outcome.value.token))


@bp.get("/checkin/events/<int:event_id>/print")
@login_required
def print_tickets(event_id: int):
    """An A4 sheet of tickets, large type: the residents the user registered on their behalf (any
    signed-in user: a volunteer helping neighbours too), or, for the event's organisers, everyone
    (``?all=1``)."""
    event = _event_or_404(event_id)
    everyone = request.args.get("all") == "1"
    if everyone:
        _require_organiser(event)
    # Otherwise only the registrations the user made: what they entered themselves.
    stmt = (select(Registration).options(joinedload(Registration.person))
            .join(Person, Registration.person_id == Person.id)
            .where(Registration.event_id == event.id, services.registration_live_clause())
            .order_by(Person.search_name))
    if not everyone:
        stmt = stmt.where(Registration.registered_by_id == current_user.id)
    regs = db.session.scalars(stmt.limit(500)).all()
    tickets = {t.registration_id: t for t in db.session.scalars(select(Ticket).where(
        Ticket.registration_id.in_([r.id for r in regs]), Ticket.revoked_at.is_(None)))}
    sheets = [(reg, tickets[reg.id], qr.svg(tickets[reg.id].code)) for reg in regs if reg.id in tickets]
    return render_template("checkin/print.html", event=event, sheets=sheets, everyone=everyone)


# --- self check-in poster --------------------------------------------------------------------

@bp.get("/checkin/events/<int:event_id>/poster")
@login_required
def poster(event_id: int):
    """A printable A4 poster: attendees scan its QR with their own phone and check themselves in."""
    event = _event_or_404(event_id)
    _require_organiser(event)
    url = url_for("checkin.self_checkin", event_id=event.id, token=services.poster_token(event.id), _external=True)
    return render_template("checkin/poster.html", event=event, url=url, svg=qr.svg(url))


@bp.route("/self/<int:event_id>/<token>", methods=["GET", "POST"])
@limits.public_write("SELF_CHECKIN_RATE_LIMIT",
                     ("SELF_CHECKIN_TARGET_RATE_LIMIT", limits.view_arg_key("event", "event_id")),
                     ("SELF_CHECKIN_PHONE_RATE_LIMIT", limits.form_key("phone", "phone", "event_id")))
def self_checkin(event_id: int, token: str):
    event = db.session.get(Event, event_id)
    if event is None or not services.check_poster_token(event_id, token):
        abort(404)
    form = SelfCheckinForm()
    answer = None
    if form.validate_on_submit():
        try:
            client_uuid = str(uuidlib.UUID(form.uuid.data or ""))
        except ValueError:
            client_uuid = str(uuidlib.uuid4())
        outcome = attempt(lambda: selfcheck.self_check_in(event, form.code.data, form.phone.data or "", client_uuid),
                          form)
        if outcome:
            answer = outcome.value
            if answer.checkin.result == "invalid":
                # One answer for every failure: it tells nothing about who is registered.
                form.code.errors = [_("No ticket of this event matches. Type the whole short code printed on "
                                      "your ticket, or its last 4 characters with your phone number, or ask a "
                                      "steward.")]
                answer = None
    form.uuid.data = str(uuidlib.uuid4())  # a new attempt gets a new UUID; a resent form repeats its own
    form.code.data = ""
    form.phone.data = ""
    resp = Response(render_template("checkin/self.html", event=event, form=form, answer=answer,
                                    is_open=services.self_checkin_open(event)))
    resp.headers["Cache-Control"] = "no-store"
    return resp


# --- offline check-in ----------------------------------------------------------------------

OFFLINE_ASSETS = (
    "vendor/bootstrap/bootstrap.min.css", "css/app.css", "css/checkin.css", "vendor/bootstrap/bootstrap.bundle.min.js",
    "js/checkin-scanner.js", "js/checkin-offline.js", "vendor/barcode-detector/ponyfill.js",
    "vendor/barcode-detector/zxing-exported.js", "vendor/barcode-detector/zxing_reader.wasm",
    "vendor/noble-ed25519/ed25519.js", "js/app.js",
)


@bp.get("/sw.js")
def service_worker():
    """The scanner's service worker, served from the root so that it controls the scanner pages."""
    precache = [url_for("static", filename=name) for name in OFFLINE_ASSETS]
    resp = Response(render_template("checkin/sw.js", precache=precache), mimetype="text/javascript")
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/checkin/events/<int:event_id>/conflicts")
@login_required
def conflicts(event_id: int):
    """Tickets two devices admitted while offline: the admission that counts (the earliest at the
    door) and the others, kept on record for the organisers to check."""
    event = _event_or_404(event_id)
    _require_organiser(event)
    return render_template("checkin/conflicts.html", event=event, rows=services.conflicts(event))


# --- registered devices --------------------------------------------------------------------------

def _no_store(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


def _setup_page(event: Event, device: CheckinDevice, secret: str) -> Response:
    """The one-time setup QR. The code is in the fragment: the phone's browser never sends it to
    the server (nor to its logs); the setup page's script reads it and posts it once."""
    url = url_for("checkin.device_setup", _external=True) + "#" + secret
    return _no_store(Response(render_template("checkin/device_setup.html", event=event, device=device, url=url,
                                              svg=qr.svg(url), minutes=int(devices.SETUP_TTL.total_seconds() // 60))))


@bp.route("/checkin/events/<int:event_id>/devices", methods=["GET", "POST"])
@login_required
def devices_page(event_id: int):
    """The event's registered devices: add one (a one-time setup QR), see their state, remove one."""
    event = _event_or_404(event_id)
    _require_organiser(event)
    form = DeviceForm()
    if form.validate_on_submit():
        outcome = attempt(lambda: devices.add_device(event, form.label.data, current_user), form)
        if outcome:
            device, secret = outcome.value
            return _setup_page(event, device, secret)
    return render_template("checkin/devices.html", event=event, form=form, rows=devices.device_rows(event),
                           confirm=ConfirmForm())


def _device_or_404(device_id: int) -> tuple[CheckinDevice, Event]:
    device = db.session.get(CheckinDevice, device_id)
    if device is None:
        abort(404)
    event = _event_or_404(device.event_id)
    _require_organiser(event)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return device, event


@bp.post("/checkin/devices/<int:device_id>/setup")
@login_required
def device_new_setup(device_id: int):
    device, event = _device_or_404(device_id)
    outcome = attempt(lambda: devices.new_setup_code(device, current_user))
    if not outcome:
        return redirect(url_for("checkin.devices_page", event_id=event.id))
    return _setup_page(event, device, outcome.value)


@bp.post("/checkin/devices/<int:device_id>/revoke")
@login_required
def device_revoke(device_id: int):
    device, event = _device_or_404(device_id)
    if attempt(lambda: devices.revoke(device, current_user)):
        flash(_("The device was removed. It will send the scans it holds, then delete its data."), "success")
    return redirect(url_for("checkin.devices_page", event_id=event.id))


@bp.get("/checkin/setup")
def device_setup():
    """Where a setup QR leads (no login): the script takes the code from the fragment, activates the
    device and opens its scanner."""
    return _no_store(Response(render_template("checkin/setup.html")))


@bp.get("/checkin/device")
def device_scanner():
    """The scanner of a registered device (no login: the device's token, kept on the device, is
    its authority). The page holds no data; the event comes from the device's own storage."""
    resp = Response(render_template("checkin/device_scanner.html"))
    resp.headers["Cache-Control"] = "no-cache"
    return resp
