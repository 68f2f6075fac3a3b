"""Tickets, stewards and scans: the rules of check-in.

A scan is decided in two steps. First the code's signature is verified in memory (codes.parse with
the public-key cache): a forged, altered or truncated code is refused before the database is
touched. Then the scan is written with ``INSERT ... ON CONFLICT DO NOTHING``: the client's UUID is
unique (a retry stores nothing and gets the first answer) and a partial unique index allows one
accepted check-in per (ticket, session), so two phones scanning the same ticket at the same moment
cannot both admit it; the loser is recorded as a duplicate.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from campaign.accounts import permissions as perm
from campaign.accounts.models import User
from campaign.checkin import codes
from campaign.checkin.keys import key_cache, signing_key
from campaign.checkin.models import (
    ACCEPTED,
    DUPLICATE,
    INVALID,
    REVOKED,
    WRONG_EVENT,
    CheckIn,
    CheckinDevice,
    StewardGrant,
    Ticket,
)
from campaign.core import timeutil
from campaign.core.services import DomainError, audit
from campaign.core.text import like_pattern
from campaign.core.types import utcnow
from campaign.events.models import Event, Person, Registration
from campaign.events.services import can_manage_event, mask_phone
from campaign.events.signals import ticket_admitted
from campaign.extensions import db

UNDO_WINDOW = timedelta(minutes=10)
# Registrations in these states hold a valid ticket.
LIVE_REGISTRATION_STATES = ("confirmed",)


# --- tickets ---------------------------------------------------------------------------------

def live_ticket(registration_id: int) -> Ticket | None:
    return db.session.scalar(select(Ticket).where(Ticket.registration_id == registration_id,
                                                  Ticket.revoked_at.is_(None)))


def issue_ticket(registration: Registration, actor=None) -> Ticket:
    """The registration's live ticket, made (and signed) if it has none."""
    existing = live_ticket(registration.id)
    if existing is not None:
        return existing
    event = registration.event
    key, private = signing_key(event.campaign_id, actor=actor)
    while True:
        ticket_id = codes.new_ticket_id()
        short = codes.short_code(ticket_id)
        if db.session.scalar(select(Ticket.id).where(Ticket.short_code == short)) is None:
            break
    ticket = Ticket(registration_id=registration.id, event_id=event.id, key_id=key.id, token=ticket_id.hex(),
                    short_code=short, code=codes.sign(private, key.id, event.id, ticket_id))
    db.session.add(ticket)
    db.session.flush()
    audit("checkin.ticket_issued", ticket, actor=actor, registration_id=registration.id)
    return ticket


def ensure_ticket(registration: Registration) -> Ticket | None:
    """The live ticket of a confirmed registration, issued on first display and committed (the
    events feature cannot call check-in, so tickets appear where they are first shown: the
    registration page, the printed sheet, the demo). Safe when two requests race: the loser of the
    unique index reads the winner's ticket."""
    if not registration_is_live(registration):
        return None
    ticket = live_ticket(registration.id)
    if ticket is not None:
        return ticket
    try:
        with db.session.begin_nested():
            ticket = issue_ticket(registration)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        ticket = live_ticket(registration.id)
    return ticket


def revoke_ticket(ticket: Ticket, actor=None, reason: str = "cancelled") -> None:
    if ticket.revoked_at is None:
        ticket.revoked_at = utcnow()
        ticket.revoked_by_id = getattr(actor, "id", None)
        ticket.revoke_reason = reason
        db.session.flush()
        audit("checkin.ticket_revoked", ticket, actor=actor, reason=reason)


def reissue_ticket(ticket: Ticket, actor=None) -> Ticket:
    """A new code for the same registration (a lost or shared ticket); the old code stops working."""
    if not registration_is_live(ticket.registration):
        raise DomainError(_("This registration is cancelled; it cannot have a ticket."))
    revoke_ticket(ticket, actor=actor, reason="reissued")
    return issue_ticket(ticket.registration, actor=actor)


def issue_missing_tickets(event_id: int, actor=None) -> int:
    """Tickets for every live registration of the event that has none (after import, for the demo)."""
    regs = db.session.scalars(
        select(Registration).options(joinedload(Registration.event))
        .where(Registration.event_id == event_id, registration_live_clause(),
               ~select(Ticket.id).where(Ticket.registration_id == Registration.id,
                                        Ticket.revoked_at.is_(None)).exists())).all()
    for reg in regs:
        issue_ticket(reg, actor=actor)
    return len(regs)


def registration_is_live(registration: Registration) -> bool:
    return registration.status in LIVE_REGISTRATION_STATES


def registration_live_clause():
    return Registration.status.in_(LIVE_REGISTRATION_STATES)


def ticket_by_token(token: str) -> Ticket | None:
    if not token or len(token) != 20:
        return None
    return db.session.scalar(select(Ticket).where(Ticket.token == token.lower()))


# --- who may scan ------------------------------------------------------------------------------

def event_chain(event: Event) -> list[Event]:
    """The event and its ancestors, nearest first (a session, its course or ceremony, ...)."""
    chain = [event]
    while chain[-1].parent_id is not None and len(chain) < 10:
        parent = db.session.get(Event, chain[-1].parent_id)
        if parent is None:
            break
        chain.append(parent)
    return chain


def is_organiser(user, event: Event) -> bool:
    """The event's organisers (the events feature's rule): they scan, name stewards, print, reissue."""
    return perm.is_authenticated(user) and can_manage_event(user, event)


def can_scan(user, event: Event) -> bool:
    """Organisers of the event's commune, stewards of the event or of one of its ancestors, and the
    devices registered for the event or one of its ancestors (``user`` may be a CheckinDevice)."""
    if isinstance(user, CheckinDevice):
        from campaign.checkin import devices

        return devices.covers(user, event)
    if not perm.is_authenticated(user):
        return False
    if is_organiser(user, event):
        return True
    ids = [e.id for e in event_chain(event)]
    return db.session.scalar(select(StewardGrant.id).where(
        StewardGrant.user_id == user.id, StewardGrant.event_id.in_(ids),
        StewardGrant.revoked_at.is_(None)).limit(1)) is not None


def can_see_names(user, event: Event) -> bool:
    """Stewards see the name to confirm who stands in front of them; that is all they see. A device
    sees names while the organiser who registered it may."""
    if isinstance(user, CheckinDevice):
        from campaign.checkin import devices

        return devices.covers(user, event) and devices.can_see_names(user, event)
    return can_scan(user, event)


def steward_events(user) -> list[Event]:
    """Events the user was made steward of (live grants)."""
    return list(db.session.scalars(
        select(Event).join(StewardGrant, StewardGrant.event_id == Event.id)
        .where(StewardGrant.user_id == user.id, StewardGrant.revoked_at.is_(None))
        .order_by(Event.starts_at.desc())).all())


def grant_steward(event: Event, user, actor) -> StewardGrant:
    if not is_organiser(actor, event):
        raise DomainError(_("Only the event's organisers can choose its check-in stewards."))
    if not user.active:
        raise DomainError(_("This account is disabled."), "username")
    existing = db.session.scalar(select(StewardGrant).where(
        StewardGrant.event_id == event.id, StewardGrant.user_id == user.id, StewardGrant.revoked_at.is_(None)))
    if existing is not None:
        return existing
    grant = StewardGrant(event_id=event.id, user_id=user.id, granted_by_id=actor.id)
    db.session.add(grant)
    db.session.flush()
    audit("checkin.steward_granted", grant, actor=actor, event_id=event.id, user_id=user.id)
    return grant


def revoke_steward(grant: StewardGrant, actor) -> None:
    if grant.revoked_at is None:
        grant.revoked_at = utcnow()
        db.session.flush()
        audit("checkin.steward_revoked", grant, actor=actor, event_id=grant.event_id, user_id=grant.user_id)


# --- scans ------------------------------------------------------------------------------------

@dataclass
class Scan:
    """What the scanner sent, already validated for shape."""

    uuid: str
    event_id: int
    code: str | None = None  # the QR text, a typed full code or a short code
    ticket_token: str | None = None  # a ticket picked from the lookup list
    device_id: str | None = None
    device_time: datetime | None = None
    method: str = "camera"


@dataclass
class Answer:
    checkin: CheckIn
    replay: bool = False  # the same UUID was seen before: nothing new stored
    previous: CheckIn | None = None  # for a duplicate: the accepted check-in
    extra: dict = field(default_factory=dict)


def verify_code(text: str) -> codes.TicketCode:
    """Check a scanned code's signature in memory (no database query once the key cache is warm).
    Raises codes.CodeError."""
    cache = key_cache()
    code = codes.parse(text, cache.public_key)
    entry = cache.entry(code.key_id)
    if entry is not None and entry[2]:
        raise codes.CodeError("key_revoked")
    return code


def _insert(values: dict) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the new row's id, or None on a conflict
    (the same UUID, or a second accepted check-in of the ticket at this session)."""
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(CheckIn).values(**values).on_conflict_do_nothing().returning(CheckIn.id)
    return db.session.execute(stmt).scalar()


def by_uuid(client_uuid: str) -> CheckIn | None:
    return db.session.scalar(select(CheckIn).where(CheckIn.uuid == client_uuid))


def accepted_checkin(ticket_id: int, event_id: int) -> CheckIn | None:
    return db.session.scalar(select(CheckIn).where(
        CheckIn.ticket_id == ticket_id, CheckIn.event_id == event_id, CheckIn.result == ACCEPTED,
        CheckIn.undone_at.is_(None)))


def by_whom(actor) -> dict:
    """The columns naming who made a scan: a logged-in steward, or a registered device."""
    if isinstance(actor, CheckinDevice):
        return {"steward_id": None, "checkin_device_id": actor.id}
    return {"steward_id": getattr(actor, "id", None)}


def audit_actor(actor):
    """Audit entries name users; a device's actions carry its id in the details instead."""
    return None if isinstance(actor, CheckinDevice) else actor


def _device_detail(actor) -> dict:
    return {"device_id": actor.id} if isinstance(actor, CheckinDevice) else {}


def steward_name(checkin: CheckIn) -> str:
    if checkin.steward_id is None:
        if checkin.checkin_device_id is not None:
            return db.session.scalar(select(CheckinDevice.label).where(
                CheckinDevice.id == checkin.checkin_device_id)) or ""
        return ""
    return db.session.scalar(select(User.full_name).where(User.id == checkin.steward_id)) or ""


def _record(scan: Scan, steward, result: str, ticket: Ticket | None, scanned: str | None = None,
            door_result: str | None = None) -> Answer:
    values = dict(uuid=scan.uuid, event_id=scan.event_id, ticket_id=ticket.id if ticket else None, result=result,
                  method=scan.method, device_id=scan.device_id, device_time=scan.device_time, server_time=utcnow(),
                  scanned=scanned, **by_whom(steward))
    if door_result is not None:
        values["door_result"] = door_result
    new_id = _insert(values)
    if new_id is None:
        earlier = by_uuid(scan.uuid)
        if earlier is not None:  # a retry: the first answer, nothing new
            return _answer(earlier, replay=True)
        # Another scan admitted the ticket between our check and our insert: a duplicate.
        values["result"] = result = DUPLICATE
        new_id = _insert(values)
        if new_id is None:
            return _answer(by_uuid(scan.uuid), replay=True)
    checkin = db.session.get(CheckIn, new_id)
    if result == ACCEPTED:
        audit("checkin.accepted", checkin, actor=audit_actor(steward), ticket_id=checkin.ticket_id,
              event_id=scan.event_id, **_device_detail(steward))
        ticket_admitted.send("checkin", registration_id=ticket.registration_id, event_id=scan.event_id,
                             at=checkin.device_time or checkin.server_time, actor=audit_actor(steward))
    return _answer(checkin)


def _answer(checkin: CheckIn, replay: bool = False) -> Answer:
    previous = None
    if checkin.result == DUPLICATE and checkin.ticket_id is not None:
        previous = accepted_checkin(checkin.ticket_id, checkin.event_id)
    return Answer(checkin=checkin, replay=replay, previous=previous)


def scan(data: Scan, steward, session_event: Event, code: codes.TicketCode | None = None,
         code_error: codes.CodeError | None = None) -> Answer:
    """Record one scan at ``session_event`` and decide it. The caller has verified the code's
    signature (``code``) or found it invalid (``code_error``) before any query, and checked that
    ``steward`` may scan here. Never commits."""
    earlier = by_uuid(data.uuid)
    if earlier is not None:
        return _answer(earlier, replay=True)
    ticket: Ticket | None = None
    if data.ticket_token:
        ticket = ticket_by_token(data.ticket_token)
    elif code is not None:
        ticket = ticket_by_token(code.token)
        if ticket is not None and (ticket.event_id != code.event_id or ticket.key_id != code.key_id):
            ticket = None
    elif data.code and code_error is not None and code_error.reason == "malformed":
        short = codes.parse_short_code(data.code)
        if short:
            ticket = db.session.scalar(select(Ticket).where(Ticket.short_code == short))
    if ticket is None:
        return _record(data, steward, INVALID, None, scanned=_excerpt(data.code or data.ticket_token))
    chain_ids = [e.id for e in event_chain(session_event)]
    if ticket.event_id not in chain_ids:
        return _record(data, steward, WRONG_EVENT, ticket)
    if ticket.revoked_at is not None or not registration_is_live(ticket.registration):
        return _record(data, steward, REVOKED, ticket)
    if db.session.scalar(select(CheckIn.id).where(
            CheckIn.ticket_id == ticket.id, CheckIn.event_id == data.event_id, CheckIn.result == ACCEPTED,
            CheckIn.undone_at.is_(None))) is not None:
        return _record(data, steward, DUPLICATE, ticket)
    return _record(data, steward, ACCEPTED, ticket)


def _excerpt(text: str | None) -> str | None:
    """What to keep of an unreadable scan: the start of something shaped like our codes, never
    arbitrary text (a resident's contact card QR scanned by mistake carries a name)."""
    text = codes.normalise(text or "")
    if not text:
        return None
    if text.startswith(codes.PREFIX) and text.isalnum():
        return text[:24]
    short = codes.parse_short_code(text)
    if short:
        return short
    return f"other:{len(text)}"


def undo(checkin_uuid: str, actor, now: datetime | None = None) -> CheckIn:
    """Cancel a mistaken admission within UNDO_WINDOW; the scan stays on record, marked undone."""
    checkin = by_uuid(checkin_uuid)
    if checkin is None:
        raise DomainError(_("This check-in does not exist."))
    if checkin.result != ACCEPTED:
        raise DomainError(_("Only an accepted check-in can be undone."))
    if checkin.undone_at is not None:
        return checkin
    event = db.session.get(Event, checkin.event_id)
    if isinstance(actor, CheckinDevice):
        allowed = checkin.checkin_device_id == actor.id and actor.revoked_at is None
    else:
        allowed = checkin.steward_id == actor.id or is_organiser(actor, event)
    if not allowed:
        raise DomainError(_("Only the steward who checked this person in, or an organiser, can undo it."))
    now = now or utcnow()
    if now - checkin.server_time > UNDO_WINDOW:
        raise DomainError(_("A check-in can only be undone within %(minutes)d minutes.",
                            minutes=int(UNDO_WINDOW.total_seconds() // 60)))
    checkin.undone_at = now
    checkin.undone_by_id = None if isinstance(actor, CheckinDevice) else actor.id
    # Devices pulling "since N" must see the undo: the row gets a sequence number above all so far.
    checkin.changed_seq = next_change_seq()
    db.session.flush()
    audit("checkin.undone", checkin, actor=audit_actor(actor), ticket_id=checkin.ticket_id,
          event_id=checkin.event_id, **_device_detail(actor))
    return checkin


def next_change_seq() -> int:
    """A sequence number above every one given so far, for a changed check-in row. On PostgreSQL a
    value of the ids' own sequence, so no later row can get it as its id. On SQLite (development
    only) the largest id or change number plus one: a row inserted later may get the same number
    as its id, which the devices' overlapping pulls (since = last - 50) absorb."""
    if db.engine.dialect.name == "postgresql":
        return db.session.scalar(text("SELECT nextval(pg_get_serial_sequence('checkins', 'id'))"))
    top = db.session.execute(select(func.coalesce(func.max(CheckIn.id), 0),
                                    func.coalesce(func.max(CheckIn.changed_seq), 0))).one()
    return max(top) + 1


def seq_of(checkin: CheckIn) -> int:
    """The sequence number devices see for a row: its id, or later if it changed since."""
    return max(checkin.id, checkin.changed_seq or 0)


def can_undo(checkin: CheckIn, user, now: datetime | None = None) -> bool:
    return (checkin.result == ACCEPTED and checkin.undone_at is None
            and (now or utcnow()) - checkin.server_time <= UNDO_WINDOW
            and (checkin.checkin_device_id == user.id if isinstance(user, CheckinDevice)
                 else checkin.steward_id == user.id))


def checked_in_count(event_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(CheckIn).where(
        CheckIn.event_id == event_id, CheckIn.result == ACCEPTED, CheckIn.undone_at.is_(None))) or 0


@dataclass
class Count:
    event: Event
    registered: int
    checked_in: int


def live_counts(event: Event) -> list[Count]:
    """Registered (confirmed) and checked-in people for the event and each of its children
    (bridge points, sessions, activities): three queries whatever their number."""
    children = list(db.session.scalars(select(Event).where(Event.parent_id == event.id)
                                       .order_by(Event.starts_at, Event.id)).all())
    events = [event] + children
    ids = [e.id for e in events]
    registered = dict(db.session.execute(
        select(Registration.event_id, func.count()).where(Registration.event_id.in_(ids), registration_live_clause())
        .group_by(Registration.event_id)).all())
    checked = dict(db.session.execute(
        select(CheckIn.event_id, func.count(func.distinct(CheckIn.ticket_id)))
        .where(CheckIn.event_id.in_(ids), CheckIn.result == ACCEPTED, CheckIn.undone_at.is_(None))
        .group_by(CheckIn.event_id)).all())
    return [Count(e, registered.get(e.id, 0), checked.get(e.id, 0)) for e in events]


def registered_count(event: Event) -> int:
    ids = [event.id]
    return db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.event_id.in_(ids), Ticket.revoked_at.is_(None))) or 0


# --- self check-in (a poster at the door) ------------------------------------------------------

SELF_OPENS_BEFORE = timedelta(hours=2)


def poster_token(event_id: int) -> str:
    """The secret in a self check-in poster's address: derived from SECRET_KEY and the event, so
    nothing is stored and another event's poster address cannot be guessed."""
    key = hashlib.sha256(b"campaign/checkin/self-poster\x00" + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, str(event_id).encode(), hashlib.sha256).hexdigest()[:24]


def check_poster_token(event_id: int, token: str) -> bool:
    return hmac.compare_digest(poster_token(event_id), token or "")


def self_checkin_open(event: Event, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return event.status == "published" and event.starts_at - SELF_OPENS_BEFORE <= now <= event.ends_at


# find_own_ticket and self_check_in: campaign/checkin/selfcheck.py (a phone alone checks nobody in).


# --- manual lookup ---------------------------------------------------------------------------

def lookup(session_event: Event, query: str, limit: int = 20) -> list[dict]:
    """Live tickets valid at this session whose holder's name (accents optional) or phone's last
    digits match; grouped by the group they registered in. Bounded: two queries."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    chain_ids = [e.id for e in event_chain(session_event)]
    digits = "".join(ch for ch in query if ch.isdigit())
    if digits and len(digits) == len(query.replace(" ", "")):
        if len(digits) < 3:
            return []
        condition = Person.phone.like(f"%{digits}")
    else:
        condition = Person.search_name.like(like_pattern(query), escape="\\")
    rows = db.session.execute(
        select(Ticket, Registration, Person)
        .join(Registration, Ticket.registration_id == Registration.id)
        .join(Person, Registration.person_id == Person.id)
        .where(Ticket.event_id.in_(chain_ids), Ticket.revoked_at.is_(None), registration_live_clause(), condition)
        .order_by(Person.search_name).limit(limit)).all()
    group_keys = {group_key(reg) for _t, reg, _p in rows}
    # The rest of each matching group (a family registered together).
    if any(k[0] == "group" for k in group_keys):
        more = db.session.execute(
            select(Ticket, Registration, Person)
            .join(Registration, Ticket.registration_id == Registration.id)
            .join(Person, Registration.person_id == Person.id)
            .where(Ticket.event_id.in_(chain_ids), Ticket.revoked_at.is_(None), registration_live_clause(),
                   group_clause({k for k in group_keys if k[0] == "group"}))
            .order_by(Person.search_name).limit(limit * 5)).all()
        seen = {t.id for t, _r, _p in rows}
        rows = list(rows) + [r for r in more if r[0].id not in seen]
    admitted = {c.ticket_id: c for c in db.session.scalars(select(CheckIn).where(
        CheckIn.ticket_id.in_([t.id for t, _r, _p in rows]), CheckIn.event_id == session_event.id,
        CheckIn.result == ACCEPTED, CheckIn.undone_at.is_(None)))}
    groups: dict[tuple, dict] = {}
    for ticket, reg, person in rows:
        key = group_key(reg)
        group = groups.setdefault(key, {"key": f"{key[0]}-{key[1]}", "tickets": []})
        done = admitted.get(ticket.id)
        group["tickets"].append({
            "token": ticket.token, "short_code": ticket.short_code, "name": person.full_name,
            "phone": mask_phone(person.phone),
            "checked_in_at": timeutil.format_time(done.server_time) if done else None,
        })
    return list(groups.values())


def group_key(reg: Registration) -> tuple:
    """Registrations made together by one person (a family, residents registered by an officer)
    form a group that can be checked in at once."""
    return ("group", reg.registered_by_id) if reg.registered_by_id else ("single", reg.id)


def group_clause(keys: set[tuple]):
    return Registration.registered_by_id.in_([k[1] for k in keys])




# --- offline scans uploaded later (issue 8) ----------------------------------------------------

def _resolve_ticket(data: Scan, code: codes.TicketCode | None, code_error: codes.CodeError | None) -> Ticket | None:
    if data.ticket_token:
        return ticket_by_token(data.ticket_token)
    if code is not None:
        ticket = ticket_by_token(code.token)
        if ticket is not None and (ticket.event_id != code.event_id or ticket.key_id != code.key_id):
            return None
        return ticket
    if data.code and code_error is not None and code_error.reason == "malformed":
        short = codes.parse_short_code(data.code)
        if short:
            return db.session.scalar(select(Ticket).where(Ticket.short_code == short))
    return None


def _moment(checkin_or_time) -> datetime:
    """When a scan happened at the door: the device's clock, else the server's."""
    if isinstance(checkin_or_time, CheckIn):
        return checkin_or_time.device_time or checkin_or_time.server_time
    return checkin_or_time


def sync_scan(data: Scan, steward, session_event: Event, door_result: str | None,
              code: codes.TicketCode | None = None, code_error: codes.CodeError | None = None) -> Answer:
    """Record a scan a device decided offline (``door_result`` is what it showed at the door).

    Every scan is stored. One admission per ticket and session still holds (the partial unique
    index): when two devices admitted the same ticket offline, the earliest by device time is the
    accepted row and the other is stored as a duplicate whose door result is "accepted" (a conflict
    for the organisers). If the earlier one arrives second, the accepted row is re-labelled under a
    row lock, in the caller's transaction, and the new scan takes its place. A repeated UUID stores
    nothing. Never commits."""
    earlier = by_uuid(data.uuid)
    if earlier is not None:
        return _answer(earlier, replay=True)
    ticket = _resolve_ticket(data, code, code_error)
    if ticket is None:
        return _record(data, steward, INVALID, None, scanned=_excerpt(data.code or data.ticket_token),
                       door_result=door_result)
    if ticket.event_id not in [e.id for e in event_chain(session_event)]:
        return _record(data, steward, WRONG_EVENT, ticket, door_result=door_result)
    if ticket.revoked_at is not None or not registration_is_live(ticket.registration):
        return _record(data, steward, REVOKED, ticket, door_result=door_result)
    if door_result not in (None, ACCEPTED):
        # Turned away at the door (already admitted on this device, ...): recorded as it happened.
        return _record(data, steward, door_result, ticket, door_result=door_result)
    at = data.device_time or utcnow()
    for _attempt in range(6):
        current = db.session.scalar(select(CheckIn).where(
            CheckIn.ticket_id == ticket.id, CheckIn.event_id == data.event_id, CheckIn.result == ACCEPTED,
            CheckIn.undone_at.is_(None)).with_for_update())
        if current is None:
            answer = _try_insert(data, steward, ticket, ACCEPTED, door_result)
        elif at < _moment(current):
            # The earliest admission counts: the row that held the place gives way, kept on record.
            current.result = DUPLICATE
            current.door_result = current.door_result or ACCEPTED
            current.relabelled_at = utcnow()
            db.session.flush()
            audit("checkin.relabelled", current, actor=audit_actor(steward), ticket_id=ticket.id,
                  event_id=data.event_id, by_uuid=data.uuid, **_device_detail(steward))
            answer = _try_insert(data, steward, ticket, ACCEPTED, door_result)
        else:
            answer = _try_insert(data, steward, ticket, DUPLICATE, door_result)
        if answer is not None:
            return answer
    raise DomainError(_("The server is busy; the device will send this scan again."))


def _try_insert(data: Scan, steward, ticket: Ticket, result: str, door_result: str | None) -> Answer | None:
    """Insert the scan; None if a concurrent admission took the place (look again)."""
    values = dict(uuid=data.uuid, event_id=data.event_id, ticket_id=ticket.id, result=result, method=data.method,
                  device_id=data.device_id, device_time=data.device_time, server_time=utcnow(),
                  door_result=door_result, **by_whom(steward))
    new_id = _insert(values)
    if new_id is None:
        earlier = by_uuid(data.uuid)
        return _answer(earlier, replay=True) if earlier is not None else None
    checkin = db.session.get(CheckIn, new_id)
    if result == ACCEPTED:
        audit("checkin.accepted", checkin, actor=audit_actor(steward), ticket_id=ticket.id, event_id=data.event_id,
              offline=door_result is not None, **_device_detail(steward))
        ticket_admitted.send("checkin", registration_id=ticket.registration_id, event_id=data.event_id,
                             at=checkin.device_time or checkin.server_time, actor=audit_actor(steward))
    return _answer(checkin)


def is_conflict(checkin: CheckIn) -> bool:
    """Shown green at the door, but another admission of the ticket counts."""
    return checkin.door_result == ACCEPTED and checkin.result != ACCEPTED


def conflicts(event: Event, limit: int = 500) -> list[tuple[CheckIn, CheckIn | None]]:
    """Admissions at the door that did not count (two devices admitted the same ticket offline),
    each with the admission that counts; for the event and its children. Three queries."""
    ids = [event.id] + list(db.session.scalars(select(Event.id).where(Event.parent_id == event.id)))
    rows = list(db.session.scalars(
        select(CheckIn).options(joinedload(CheckIn.ticket), joinedload(CheckIn.steward))
        .where(CheckIn.event_id.in_(ids), CheckIn.door_result == ACCEPTED, CheckIn.result != ACCEPTED)
        .order_by(CheckIn.device_time, CheckIn.id).limit(limit)).unique().all())
    pairs = {(c.ticket_id, c.event_id) for c in rows if c.ticket_id}
    winners = {}
    if pairs:
        for w in db.session.scalars(
                select(CheckIn).options(joinedload(CheckIn.steward))
                .where(CheckIn.ticket_id.in_([p[0] for p in pairs]), CheckIn.event_id.in_(ids),
                       CheckIn.result == ACCEPTED, CheckIn.undone_at.is_(None))).unique():
            winners[(w.ticket_id, w.event_id)] = w
    return [(c, winners.get((c.ticket_id, c.event_id))) for c in rows]


def offline_facts(event: Event, user) -> dict:
    """What a device needs to decide at this session without the server: the live tickets valid
    here (short code, and the name only for those allowed to see names), the tickets admitted here
    so far, and the last sequence number. Three queries whatever the number of tickets."""
    chain = [e.id for e in event_chain(event)]
    names = can_see_names(user, event)
    rows = db.session.execute(
        select(Ticket.token, Ticket.short_code, Person.full_name, Person.anonymised_at)
        .join(Registration, Ticket.registration_id == Registration.id)
        .join(Person, Registration.person_id == Person.id)
        .where(Ticket.event_id.in_(chain), Ticket.revoked_at.is_(None), registration_live_clause())
        .order_by(Ticket.id)).all()
    tickets = []
    for r in rows:
        item = {"token": r.token, "short_code": r.short_code}
        if names and r.anonymised_at is None:
            item["name"] = r.full_name
        tickets.append(item)
    admitted = db.session.scalars(
        select(Ticket.token).join(CheckIn, CheckIn.ticket_id == Ticket.id)
        .where(CheckIn.event_id == event.id, CheckIn.result == ACCEPTED, CheckIn.undone_at.is_(None))).all()
    last_seq = max(db.session.execute(
        select(func.coalesce(func.max(CheckIn.id), 0), func.coalesce(func.max(CheckIn.changed_seq), 0))
        .where(CheckIn.event_id == event.id)).one())
    return {"tickets": tickets, "admitted": list(admitted), "last_seq": last_seq, "names": names}
