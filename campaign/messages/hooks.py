"""What is sent when: receivers of the lower features' signals. Each runs inside the transaction of
the change that sent the signal and only writes outbox rows (sent after commit).

Confirmations, waiting-list promotions, changes and cancellations always go (to whoever can be
reached); reminders follow each person's consent and switches (see ``reminders.py``).
"""

from __future__ import annotations

import functools
import hashlib

from sqlalchemy import select

from campaign.core.timeutil import format_datetime
from campaign.courses import signals as course_signals
from campaign.events import signals as event_signals
from campaign.events.models import Event, Person, Registration
from campaign.extensions import db
from campaign.messages import outbox
from campaign.messages.links import absolute
from campaign.venues import signals as venue_signals
from campaign.volunteers import signals as volunteer_signals


def _joins(fn):
    """Run a receiver without flushing the sender's pending changes early (they flush at commit)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with db.session.no_autoflush:
            return fn(*args, **kwargs)

    return wrapper


# Changes to an event or shift that its people must hear about.
EVENT_NOTICED = ("starts_at", "ends_at", "all_day", "place", "address", "online_url", "commune_code")
SHIFT_NOTICED = ("starts_at", "ends_at", "location", "commune_code", "village_id")


def iso(value) -> str:
    return value.isoformat() if value is not None else ""


def event_params(event: Event) -> dict:
    where = ", ".join(p for p in (event.place, event.address) if p)
    if not where and event.commune is not None:
        where = event.commune.name
    return {"title": event.title, "starts_at": iso(event.starts_at), "ends_at": iso(event.ends_at),
            "where": where, "online_url": event.online_url or "",
            "event_url": absolute("events.event_page", event_id=event.id) if event.is_public else "",
            "when": format_datetime(event.starts_at)}


def _ticket_params(reg: Registration) -> dict:
    """The ticket is issued when the message is rendered (by the worker, see ``outbox.render``), not in
    the sender's transaction."""
    return {"ticket_for": reg.id}


def people_of(event: Event, statuses=("confirmed", "waitlisted")) -> list[Registration]:
    """Who is registered for an event (a class session: the learners of its class)."""
    target = event.parent_id if event.kind == "class_session" and event.parent_id else event.id
    return list(db.session.scalars(select(Registration).where(Registration.event_id == target,
                                                              Registration.status.in_(statuses))
                                   .order_by(Registration.id)))


# --- registrations -------------------------------------------------------------------------------

@event_signals.registration_created.connect
@_joins
def registration_created(sender, *, registration: Registration, token: str, actor=None, **_kw) -> None:
    reg = registration
    event = db.session.get(Event, reg.event_id)
    params = {**event_params(event), "status": reg.status,
              "private_url": absolute("events.my_registration", token=token)}
    if reg.status == "confirmed":
        params.update(_ticket_params(reg))
    outbox.queue("registration", "registration", reg.id, outbox.person_recipient(reg.person),
                 "registration_confirmed" if reg.status == "confirmed" else "registration_waitlisted",
                 params, event_id=event.id, actor=actor)


@event_signals.group_registered.connect
@_joins
def group_registered(sender, *, group, token: str, actor=None, **_kw) -> None:
    """People registered on their behalf: one message to the contact, listing each person's status and
    the page holding all their tickets (the people themselves have no phone on record)."""
    event = db.session.get(Event, group.event_id)
    regs = db.session.scalars(select(Registration).where(Registration.group_id == group.id)
                              .order_by(Registration.id)).all()
    params = {**event_params(event), "people": [{"name": r.person.full_name, "status": r.status} for r in regs],
              "private_url": absolute("events.group_page", token=token)}
    outbox.queue("group_registration", "registration_group", group.id, outbox.contact_recipient(group.contact_phone),
                 "group_registration", params, event_id=event.id, actor=actor)


@event_signals.registration_promoted.connect
@_joins
def registration_promoted(sender, *, registration: Registration, actor=None, **_kw) -> None:
    reg = registration
    event = db.session.get(Event, reg.event_id)
    params = {**event_params(event), **_ticket_params(reg),
              "lost_links_url": absolute("messages.lost_links")}
    outbox.queue("promoted", "registration", reg.id, outbox.person_recipient(reg.person), "registration_promoted",
                 params, event_id=event.id, actor=actor)


@event_signals.event_changed.connect
@_joins
def event_changed(sender, *, event: Event, changes: dict, actor=None, **_kw) -> None:
    noticed = [k for k in changes if k in EVENT_NOTICED]
    if not noticed or event.status != "published":
        return
    params = {**event_params(event), "changed": noticed,
              "old_starts_at": iso(changes["starts_at"][0]) if "starts_at" in changes else ""}
    for reg in people_of(event):
        outbox.queue("changed", "event", event.id, outbox.person_recipient(reg.person), "event_changed", params,
                     occasion=f"seq{event.sequence}", event_id=event.id, actor=actor)


@event_signals.event_cancelled.connect
@_joins
def event_cancelled(sender, *, event: Event, reason: str = "", actor=None, **_kw) -> None:
    params = {**event_params(event), "reason": reason or ""}
    for reg in people_of(event):
        outbox.queue("cancelled", "event", event.id, outbox.person_recipient(reg.person), "event_cancelled", params,
                     event_id=event.id, actor=actor)


# --- shifts and volunteers -----------------------------------------------------------------------

def shift_params(shift) -> dict:
    where = ", ".join(p for p in (shift.location, shift.village.name if shift.village else "",
                                  shift.commune.name if shift.commune else "") if p)
    return {"title": shift.title or shift.commune.name, "starts_at": iso(shift.starts_at),
            "ends_at": iso(shift.ends_at), "where": where, "when": format_datetime(shift.starts_at),
            "my_url": absolute("volunteers.my_shifts")}


@volunteer_signals.shift_changed.connect
@_joins
def shift_changed(sender, *, shift, changes: dict, actor=None, **_kw) -> None:
    noticed = sorted(k for k in changes if k in SHIFT_NOTICED)
    if not noticed:
        return
    params = {**shift_params(shift), "changed": noticed,
              "old_starts_at": iso(changes["starts_at"][0]) if "starts_at" in changes else ""}
    occasion = "chg-" + hashlib.sha256(repr([(k, str(changes[k][1])) for k in noticed]).encode()).hexdigest()[:16]
    for s in shift.signups:
        if s.status in ("confirmed", "waitlisted"):
            outbox.queue("changed", "shift", shift.id, outbox.user_recipient(s.volunteer.user, s.volunteer.phone),
                         "shift_changed", params, occasion=occasion, actor=actor)


@volunteer_signals.shift_cancelled.connect
@_joins
def shift_cancelled(sender, *, shift, signups, actor=None, **_kw) -> None:
    params = shift_params(shift)
    for s in signups:
        outbox.queue("cancelled", "shift", shift.id, outbox.user_recipient(s.volunteer.user, s.volunteer.phone),
                     "shift_cancelled", params, actor=actor)


@volunteer_signals.signup_promoted.connect
@_joins
def signup_promoted(sender, *, signup, actor=None, **_kw) -> None:
    outbox.queue("promoted", "signup", signup.id,
                 outbox.user_recipient(signup.volunteer.user, signup.volunteer.phone), "signup_promoted",
                 shift_params(signup.shift), actor=actor)


@volunteer_signals.volunteer_approved.connect
@_joins
def volunteer_approved(sender, *, profile, actor=None, **_kw) -> None:
    outbox.queue("approved", "volunteer", profile.id, outbox.user_recipient(profile.user, profile.phone),
                 "volunteer_approved", {"shifts_url": absolute("volunteers.open_shifts")}, actor=actor)


# --- venues --------------------------------------------------------------------------------------

def booking_params(booking) -> dict:
    return {"venue": booking.venue.name, "starts_at": iso(booking.starts_at), "ends_at": iso(booking.ends_at),
            "purpose": booking.purpose, "when": format_datetime(booking.starts_at),
            "booking_url": absolute("venues.booking", booking_id=booking.id)}


@venue_signals.booking_requested.connect
@_joins
def booking_requested(sender, *, booking, actor=None, **_kw) -> None:
    params = {**booking_params(booking), "requester": getattr(actor, "full_name", "")}
    for manager in booking.venue.managers:
        outbox.queue("booking_requested", "booking", booking.id, outbox.user_recipient(manager),
                     "booking_requested", params, actor=actor)


@venue_signals.booking_decided.connect
@_joins
def booking_decided(sender, *, booking, reason: str = "", actor=None, **_kw) -> None:
    if booking.requester is None or booking.requester_id == getattr(actor, "id", None):
        return
    outbox.queue(f"booking_{booking.status}", "booking", booking.id, outbox.user_recipient(booking.requester),
                 "booking_decided", {**booking_params(booking), "status": booking.status, "reason": reason or ""},
                 actor=actor)


# --- classes -------------------------------------------------------------------------------------

@course_signals.certificate_issued.connect
@_joins
def certificate_issued(sender, *, certificate, base_url: str, actor=None, **_kw) -> None:
    from campaign.courses.services import verify_url

    reg = db.session.get(Registration, certificate.registration_id)
    person = db.session.get(Person, reg.person_id)
    outbox.queue("certificate", "certificate", certificate.id, outbox.person_recipient(person),
                 "certificate_issued", {"title": certificate.course_title, "number": certificate.number,
                                        "verify_url": verify_url(base_url, certificate.verify_token)},
                 event_id=reg.event_id, actor=actor)


@event_signals.person_anonymised.connect
def forget_person(sender, *, person_id, texts, **_kw) -> None:
    """An anonymised person's messages stay counted (kind, channel, status, when) but keep neither
    their address nor any text quoting them; messages not yet sent are cancelled, their contact
    preferences (e-mail, channels) are deleted."""
    from campaign.core import privacy
    from campaign.messages.models import ContactPreference, Message

    for message in db.session.scalars(select(Message).where(
            (Message.person_id == person_id) | (Message.recipient == f"person:{person_id}"))):
        message.address = ""
        message.params = {}
        message.last_error = privacy.redact(message.last_error, texts) or ""
        if message.status in ("queued", "sending"):
            message.status = "cancelled"
    for pref in db.session.scalars(select(ContactPreference).where(ContactPreference.person_id == person_id)):
        db.session.delete(pref)
