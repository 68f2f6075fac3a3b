"""Self check-in at the poster: an attendee proves they hold the ticket.

A phone number alone proves nothing (anyone at the door may know someone else's number, and
attendance decides certificates), so the poster asks for something printed on the ticket: its whole
short code, or the holder's phone together with the short code's last four characters. Every
failure gets the same answer, whether or not the phone is registered: the poster says nothing about
who registered. The phone typed is not stored. Guessing is bounded by rate limits per address, per
event and per event and phone (``campaign/core/limits.py``)."""

from __future__ import annotations

import hmac

from flask_babel import gettext as _
from sqlalchemy import select

from campaign.checkin import codes, services
from campaign.checkin.models import Ticket
from campaign.core.services import DomainError
from campaign.events.models import Event, Person, Registration
from campaign.events.services import normalise_phone
from campaign.extensions import db

TAIL_LENGTH = 4
MAX_TICKETS_PER_PHONE = 20


def code_tail(text: str) -> str | None:
    """The last four characters of a short code as typed (Crockford's reading rules), or None."""
    text = codes.normalise(text)
    if len(text) != TAIL_LENGTH:
        return None
    try:
        return "".join(codes.CROCKFORD[codes._CROCKFORD_IN[c]] for c in text)
    except KeyError:
        return None


def find_own_ticket(session_event: Event, code_text: str, phone_text: str = "") -> Ticket | None:
    """A live ticket valid at this session: from its whole short code, or from the holder's phone
    together with the last four characters of its short code. None otherwise (a phone alone
    included)."""
    chain_ids = [e.id for e in services.event_chain(session_event)]
    base = (select(Ticket).join(Registration, Ticket.registration_id == Registration.id)
            .where(Ticket.event_id.in_(chain_ids), Ticket.revoked_at.is_(None), services.registration_live_clause()))
    short = codes.parse_short_code(code_text)
    if short:
        return db.session.scalar(base.where(Ticket.short_code == short))
    tail = code_tail(code_text)
    try:
        phone = normalise_phone(phone_text)
    except DomainError:
        phone = None
    if tail is None or phone is None:
        return None
    tickets = db.session.scalars(base.join(Person, Registration.person_id == Person.id)
                                 .where(Person.phone == phone).order_by(Ticket.id).limit(MAX_TICKETS_PER_PHONE))
    for ticket in tickets:
        if hmac.compare_digest(ticket.short_code.replace("-", "")[-TAIL_LENGTH:], tail):
            return ticket
    return None


def self_check_in(session_event: Event, code_text: str, phone_text: str, client_uuid: str) -> services.Answer:
    """An attendee checks themselves in at the poster. Recorded like a steward's scan (method
    "self", no steward); what was typed is not stored."""
    if not services.self_checkin_open(session_event):
        raise DomainError(_("Self check-in is open from two hours before the start until the end of the event."))
    ticket = find_own_ticket(session_event, code_text, phone_text)
    data = services.Scan(uuid=client_uuid, event_id=session_event.id, method="self",
                         ticket_token=ticket.token if ticket else None, code=None if ticket else "self")
    return services.scan(data, None, session_event)
