"""Pages of messages: lost links, forgotten password, a person's own page, stopping reminders, and the
organisers' message list and announcements. Every change goes through core.web.attempt."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import click
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from campaign import features
from campaign.accounts import permissions as perm
from campaign.core.types import utcnow
from campaign.core.web import Page, attempt, page_arg
from campaign.events import services as events
from campaign.events.models import Event, Person
from campaign.extensions import csrf, db, limiter
from campaign.messages import (
    digests,
    hooks,  # noqa: F401 - connects the receivers of the lower features' signals
    outbox,
    reminders,
    services,
)
from campaign.messages.forms import (
    ACCOUNT_REMINDER_LABELS,
    AnnouncementForm,
    CodeForm,
    ConfirmForm,
    ContactForm,
    OwnContactsForm,
    PersonActionForm,
    PreferencesForm,
    ResetPasswordForm,
)
from campaign.messages.links import read_unsubscribe_token
from campaign.messages.models import Message

bp = Blueprint("messages", __name__)
OWN_PAGE_MINUTES = 30


@bp.record_once
def _setup(state) -> None:
    state.app.after_request(outbox.deliver_after_request)


def _request_limit() -> str:
    return current_app.config.get("MESSAGES_REQUEST_LIMIT", "10 per hour")


def _private(body: str, status: int = 200) -> Response:
    resp = Response(body, status=status)
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["X-Robots-Tag"] = "noindex"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _same_answer() -> str:
    return _("If this phone number or e-mail is known to us, a message is on its way to it. It can take a few "
             "minutes; check your spam folder too.")


def _ask_for_code(request_code, session_key: str, next_endpoint: str, template: str) -> Response:
    """Step one of a one-time code: the contact typed, the code sent to it (if it is known), the same
    answer either way; the contact is kept in the session for step two."""
    form = ContactForm()
    if form.validate_on_submit():
        outcome = attempt(lambda: request_code(form.contact.data), form)
        if outcome:
            session[session_key] = outcome.value
            flash(_same_answer(), "info")
            return redirect(url_for(next_endpoint))
    return _private(render_template(template, form=form))


def _password_changed() -> Response:
    flash(_("Your password is changed and every other session is logged out. Log in with the new "
            "password."), "success")
    return redirect(url_for("accounts.login"))


# --- lost links ----------------------------------------------------------------------------------

@bp.route("/my/links", methods=["GET", "POST"])
@limiter.limit(_request_limit, methods=["POST"])
def lost_links():
    form = ContactForm()
    if form.validate_on_submit():
        outcome = attempt(lambda: services.send_my_links(form.contact.data), form)
        if outcome:
            flash(_same_answer(), "info")
            return redirect(url_for("messages.lost_links"))
    return _private(render_template("messages/lost_links.html", form=form))


# --- forgotten password --------------------------------------------------------------------------

@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_request_limit, methods=["POST"])
def forgot_password():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    return _ask_for_code(services.request_password_reset, "reset_contact", "messages.reset_password",
                         "messages/forgot_password.html")


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit(_request_limit, methods=["POST"])
def reset_password():
    contact = session.get("reset_contact")
    if not contact:
        return redirect(url_for("messages.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        outcome = attempt(lambda: services.reset_password(
            services.check_code("password", contact, form.code.data or ""), form.password.data), form)
        if outcome:
            session.pop("reset_contact", None)
            return _password_changed()
    return _private(render_template("messages/reset_password.html", form=form, with_code=True))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_request_limit, methods=["POST"])
def reset_password_link(token: str):
    if services.code_by_link("password", token) is None:
        flash(_("This link is not valid (used or older than 30 minutes). Ask for a new one."), "danger")
        return redirect(url_for("messages.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        outcome = attempt(lambda: services.reset_password(services.use_link("password", token),
                                                          form.password.data), form)
        if outcome:
            return _password_changed()
    return _private(render_template("messages/reset_password.html", form=form, with_code=False))


# --- a person's own page -------------------------------------------------------------------------

def _own_person_ids() -> list[int] | None:
    own = session.get("own_page")
    if not own:
        return None
    try:
        until = float(own["until"])
    except (KeyError, TypeError, ValueError):
        return None
    if until < utcnow().timestamp():
        session.pop("own_page", None)
        return None
    return [int(i) for i in own.get("person_ids", [])]


def _open_own_page(row) -> None:
    session["own_page"] = {"person_ids": list(row.person_ids or []),
                           "until": (utcnow() + timedelta(minutes=OWN_PAGE_MINUTES)).timestamp()}
    session.pop("own_contact", None)


@bp.route("/me", methods=["GET", "POST"])
@limiter.limit(_request_limit, methods=["POST"])
def own_start():
    if _own_person_ids() is not None:
        return redirect(url_for("messages.own_page"))
    return _ask_for_code(services.request_own_page_code, "own_contact", "messages.own_code",
                         "messages/own_start.html")


@bp.route("/me/code", methods=["GET", "POST"])
@limiter.limit(_request_limit, methods=["POST"])
def own_code():
    contact = session.get("own_contact")
    if not contact:
        return redirect(url_for("messages.own_start"))
    form = CodeForm()
    if form.validate_on_submit():
        outcome = attempt(lambda: services.check_code("own_page", contact, form.code.data), form)
        if outcome:
            _open_own_page(outcome.value)
            return redirect(url_for("messages.own_page"))
    return _private(render_template("messages/own_code.html", form=form))


@bp.get("/me/link/<token>")
def own_page_link(token: str):
    outcome = attempt(lambda: services.use_link("own_page", token))
    if outcome:
        _open_own_page(outcome.value)
        return redirect(url_for("messages.own_page"))
    return redirect(url_for("messages.own_start"))


def _own_person(ids: list[int]) -> Person:
    try:
        person_id = int(request.form.get("person_id", ""))
    except ValueError:
        abort(400)
    if person_id not in ids:
        abort(403)
    person = db.session.get(Person, person_id)
    if person is None or person.anonymised_at is not None:
        abort(404)
    return person


@bp.get("/me/page")
def own_page():
    ids = _own_person_ids()
    if ids is None:
        return redirect(url_for("messages.own_start"))
    data = services.own_data(ids)
    persons = {p.id: p for p in db.session.query(Person).filter(Person.id.in_(ids or [-1]))}
    forms = {}
    for entry in data["persons"]:
        pid = entry["person"]["id"]
        pref = entry["preferences"] or {}
        forms[pid] = {
            "contacts": OwnContactsForm(formdata=None, person_id=pid,
                                        phone=events.national_phone(persons[pid].phone) if persons[pid].phone else "",
                                        email=pref.get("email") or ""),
            "prefs": PreferencesForm(formdata=None, person_id=pid, channels=pref.get("channels") or [],
                                     reminders=[k for k in services.REMINDER_KINDS
                                                if k not in (pref.get("reminders_off") or [])],
                                     consent=bool(pref.get("consent_at")) and not pref.get("withdrawn_at"),
                                     language=pref.get("language") or "vi"),
            "action": PersonActionForm(formdata=None, person_id=pid),
        }
    return _private(render_template("messages/own_page.html", data=data, forms=forms,
                                    consent_text=services.consent_text()))


@bp.post("/me/contacts")
def own_contacts():
    ids = _own_person_ids()
    if ids is None:
        return redirect(url_for("messages.own_start"))
    form = OwnContactsForm()
    person = _own_person(ids)
    if form.validate_on_submit():
        outcome = attempt(lambda: services.update_own_contacts(person, phone=form.phone.data, email=form.email.data))
        if outcome:
            flash(_("Your contact details are saved."), "success")
    return redirect(url_for("messages.own_page"))


@bp.post("/me/preferences")
def own_preferences():
    ids = _own_person_ids()
    if ids is None:
        return redirect(url_for("messages.own_start"))
    form = PreferencesForm()
    person = _own_person(ids)
    if form.validate_on_submit():
        def save():
            pref = services.preference_for(person_id=person.id)
            services.save_preferences(pref, channels=form.channels.data or [],
                                      reminders_off=[k for k in services.REMINDER_KINDS
                                                     if k not in (form.reminders.data or [])],
                                      consent=bool(form.consent.data), language=form.language.data)
            if not form.consent.data:
                services.withdraw_reminders(pref)
        if attempt(save):
            flash(_("Your choices are saved."), "success")
    return redirect(url_for("messages.own_page"))


@bp.post("/me/erasure")
def own_erasure():
    ids = _own_person_ids()
    if ids is None:
        return redirect(url_for("messages.own_start"))
    form = PersonActionForm()
    person = _own_person(ids)
    if form.validate_on_submit() and attempt(lambda: services.request_erasure(person)):
        flash(_("Your request is recorded. The commune's staff will remove your personal data and keep only "
                "anonymous counts."), "success")
    return redirect(url_for("messages.own_page"))


@bp.get("/me/data.json")
def own_download():
    ids = _own_person_ids()
    if ids is None:
        return redirect(url_for("messages.own_start"))
    body = json.dumps(services.own_data(ids), ensure_ascii=False, indent=2)
    resp = _private(body)
    resp.mimetype = "application/json"
    resp.headers["Content-Disposition"] = "attachment; filename=my-data.json"
    return resp


@bp.post("/me/logout")
def own_logout():
    session.pop("own_page", None)
    return redirect(url_for("core.index"))


# --- an account's own choices ----------------------------------------------------------------------

@bp.route("/account/messages", methods=["GET", "POST"])
@login_required
def account_preferences():
    pref = outbox.preference_of(user_id=current_user.id)
    kinds = services.account_reminder_kinds(current_user)
    form = PreferencesForm(formdata=None, channels=pref.channels if pref else [],
                           reminders=[k for k in kinds if k not in (pref.reminders_off if pref else [])],
                           consent=bool(pref and pref.consent_at and not pref.withdrawn_at),
                           language=pref.language if pref else "vi") \
        if request.method == "GET" else PreferencesForm()
    form.reminders.choices = [(k, ACCOUNT_REMINDER_LABELS[k]) for k in kinds]
    if request.method == "POST" and form.validate_on_submit():
        def save():
            mine = services.preference_for(user_id=current_user.id)
            services.save_preferences(mine, channels=form.channels.data or [],
                                      reminders_off=[k for k in kinds
                                                     if k not in (form.reminders.data or [])],
                                      consent=bool(form.consent.data), language=form.language.data)
            if not form.consent.data:
                services.withdraw_reminders(mine)
        if attempt(save, form):
            flash(_("Your choices are saved."), "success")
            return redirect(url_for("messages.account_preferences"))
    return render_template("messages/account_preferences.html", form=form, pref=pref,
                           consent_text=services.consent_text())


# --- stopping reminders --------------------------------------------------------------------------

@bp.route("/messages/stop/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: the mail client POSTs without a form; the signed token is the proof
def unsubscribe(token: str):
    found = read_unsubscribe_token(token)
    if found is None:
        return _private(render_template("messages/unsubscribe.html", valid=False), 404)
    recipient, kind = found
    if request.method == "POST":
        if attempt(lambda: services.unsubscribe(recipient, kind)):
            return _private(render_template("messages/unsubscribe.html", valid=True, done=True, kind=kind))
        return _private(render_template("messages/unsubscribe.html", valid=False), 404)
    return _private(render_template("messages/unsubscribe.html", valid=True, done=False, kind=kind))


# --- organisers ----------------------------------------------------------------------------------

def _managed_event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    if not events.can_manage_event(current_user, event):
        abort(403)
    return event


@bp.get("/manage/events/<int:event_id>/messages")
@login_required
def event_messages(event_id: int):
    event = _managed_event(event_id)
    status = request.args.get("status", "")
    if status not in ("", "queued", "sending", "sent", "failed", "cancelled"):
        status = ""
    page = Page(services.event_messages(event, status), page_arg())
    return render_template("messages/event_messages.html", event=event, page=page, status=status,
                           counts=services.status_counts(event), confirm=ConfirmForm())


@bp.post("/manage/events/<int:event_id>/messages/<int:message_id>/resend")
@login_required
def resend(event_id: int, message_id: int):
    event = _managed_event(event_id)
    message = db.session.get(Message, message_id)
    if message is None or message.event_id != event.id:
        abort(404)
    if ConfirmForm().validate_on_submit() and attempt(lambda: services.resend(current_user, message)):
        flash(_("The message is queued again."), "success")
    return redirect(url_for("messages.event_messages", event_id=event.id))


@bp.route("/manage/events/<int:event_id>/announce", methods=["GET", "POST"])
@login_required
def announce(event_id: int):
    event = _managed_event(event_id)
    form = AnnouncementForm()
    preview = None
    if not form.nonce.data:
        form.nonce.data = secrets.token_urlsafe(16)
    if form.validate_on_submit():
        if form.send.data:
            outcome = attempt(lambda: services.send_announcement(current_user, event, form.subject.data,
                                                                 form.body.data, form.nonce.data), form)
            if outcome:
                flash(_("The announcement is queued for %(n)d people.", n=outcome.value), "success")
                return redirect(url_for("messages.event_messages", event_id=event.id))
        else:
            outcome = attempt(lambda: services.check_announcement(event, form.subject.data, form.body.data), form)
            preview = outcome.value if outcome else None
    return render_template("messages/announce.html", title=event.title, form=form, preview=preview,
                           back_url=url_for("messages.event_messages", event_id=event.id),
                           recipients=len(services.announcement_recipients(event)))


@bp.route("/manage/shifts/<int:shift_id>/announce", methods=["GET", "POST"])
@login_required
def announce_shift(shift_id: int):
    from campaign.core.timeutil import format_datetime
    from campaign.volunteers.models import Shift
    from campaign.volunteers.services import can_manage_shift

    shift = db.session.get(Shift, shift_id)
    if shift is None:
        abort(404)
    if not can_manage_shift(current_user, shift):
        abort(403)
    form = AnnouncementForm()
    preview = None
    if not form.nonce.data:
        form.nonce.data = secrets.token_urlsafe(16)
    if form.validate_on_submit():
        if form.send.data:
            outcome = attempt(lambda: services.send_shift_announcement(current_user, shift, form.subject.data,
                                                                       form.body.data, form.nonce.data), form)
            if outcome:
                flash(_("The announcement is queued for %(n)d people.", n=outcome.value), "success")
                return redirect(url_for("volunteers.shift_edit", shift_id=shift.id))
        else:
            outcome = attempt(lambda: services.check_shift_announcement(shift, form.subject.data, form.body.data),
                              form)
            preview = outcome.value if outcome else None
    title = f"{shift.title or shift.commune.name} — {format_datetime(shift.starts_at)}"
    return render_template("messages/announce.html", title=title, form=form, preview=preview,
                           back_url=url_for("volunteers.shift_edit", shift_id=shift.id),
                           recipients=len(services.shift_announcement_recipients(shift)), for_shift=True)


@bp.get("/manage/erasure-requests")
@login_required
def erasure_requests():
    if not (perm.is_admin(current_user) or perm.has_role(current_user, *perm.COMMUNE_MANAGERS)):
        abort(403)
    rows = services.erasure_requests(current_user)
    return render_template("messages/erasure_requests.html", rows=rows, confirm=ConfirmForm())


@bp.post("/manage/erasure-requests/<int:person_id>")
@login_required
def carry_out_erasure(person_id: int):
    person = db.session.get(Person, person_id)
    if person is None:
        abort(404)
    if not events.can_anonymise(current_user, person):
        abort(403)
    if ConfirmForm().validate_on_submit() and attempt(lambda: services.carry_out_erasure(current_user, person)):
        flash(_("The person's data was removed."), "success")
    return redirect(url_for("messages.erasure_requests"))


# --- the scheduler and the worker ---------------------------------------------------------------

@bp.cli.command("tick", help="Queue due reminders, then deliver due messages (run every minute; safe twice).")
@click.option("--no-deliver", is_flag=True, help="Only queue the reminders.")
def tick_command(no_deliver: bool):
    queued = reminders.queue_due_reminders()
    queued += digests.queue_weekly_summaries()
    for feature_ticks in features.modules("ticks"):  # what higher features schedule (filings: "report due")
        queued += feature_ticks.queue_due()
    db.session.commit()
    counts = {} if no_deliver else dict(outbox.deliver_due())
    click.echo(f"reminders queued: {queued}; delivered: {counts.get('sent', 0)}, retry: {counts.get('retry', 0)}, "
               f"failed: {counts.get('failed', 0)}")


@bp.cli.command("deliver", help="Deliver the due messages now.")
@click.option("--limit", type=int, default=None)
def deliver_command(limit: int | None):
    counts = outbox.deliver_due(limit=limit)
    click.echo(f"delivered: {counts.get('sent', 0)}, retry: {counts.get('retry', 0)}, failed: {counts.get('failed', 0)}")


# --- template helpers ---------------------------------------------------------------------------

@bp.app_template_filter("datetime_iso")
def _datetime_iso(value: str) -> str:
    from datetime import datetime

    from campaign.core.timeutil import format_datetime

    try:
        return format_datetime(datetime.fromisoformat(value)) if value else ""
    except ValueError:
        return ""


@bp.app_context_processor
def _labels():
    def status_label(status: str) -> str:
        return {"confirmed": _("Confirmed"), "waitlisted": _("On the waiting list"),
                "cancelled": _("Cancelled")}.get(status, status)

    def message_status_label(status: str) -> str:
        return {"queued": _("Queued"), "sending": _("Sending"), "sent": _("Sent"), "failed": _("Not delivered"),
                "cancelled": _("Cancelled")}.get(status, status)

    def message_kind_label(message) -> str:
        return {"registration": _("Registration confirmation"), "promoted": _("Place from the waiting list"),
                "changed": _("Change notice"), "cancelled": _("Cancellation"), "reminder": _("Reminder"),
                "announcement": _("Announcement"), "certificate": _("Certificate issued")}.get(message.kind, message.kind)

    return {"status_label": status_label, "message_status_label": message_status_label,
            "message_kind_label": message_kind_label}
