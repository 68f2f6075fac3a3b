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
import json
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import (
    and_,
    any_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased, joinedload, lazyload, load_only

from campaign.accounts import permissions as perm
from campaign.accounts.models import User
from campaign.checkin import codes
from campaign.checkin.keys import key_cache, signing_key
from campaign.checkin.models import (
    ACCEPTED,
    DUPLICATE,
    INVALID,
    REVOKED,
    SET_ASIDE,
    WRONG_EVENT,
    CheckIn,
    CheckinDevice,
    StewardGrant,
    Ticket,
)
from campaign.core import timeutil
from campaign.core.models import AuditLog
from campaign.core.services import DomainError, audit
from campaign.core.text import like_pattern
from campaign.core.types import utcnow
from campaign.events.models import Event, Person, Registration
from campaign.events.services import can_manage_event, mask_phone
from campaign.events.signals import (
    admission_has_effects,
    registration_confirmed,
    registration_released,
    ticket_admitted,
)
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


def current_ticket(registration: Registration) -> Ticket | None:
    """The live ticket of a confirmed registration (issued when it was confirmed), or None."""
    if not registration_is_live(registration):
        return None
    return live_ticket(registration.id)


# Tickets follow the registration (events' signals): issued when it is confirmed, revoked when it is
# cancelled or goes back to the waiting list. A registration confirmed again gets its own ticket back
# (a printed ticket keeps working after a mistaken cancellation); a reissued ticket stays replaced.
RELEASE_REASONS = ("cancelled", "waitlisted")


@registration_confirmed.connect
def _ticket_on_confirmation(sender, *, registration: Registration, actor=None, **_kw) -> None:
    if live_ticket(registration.id) is not None:
        return
    released = db.session.scalar(
        select(Ticket).where(Ticket.registration_id == registration.id, Ticket.revoke_reason.in_(RELEASE_REASONS))
        .order_by(Ticket.revoked_at.desc(), Ticket.id.desc()).limit(1))
    if released is not None and released.signing_key.revoked_at is None and not db.session.scalar(
            select(Ticket.id).where(Ticket.registration_id == registration.id, Ticket.id > released.id).limit(1)):
        released.revoked_at = released.revoked_by_id = released.revoke_reason = None
        db.session.flush()
        audit("checkin.ticket_restored", released, actor=actor, registration_id=registration.id)
        return
    issue_ticket(registration, actor=actor)


@registration_released.connect
def _ticket_on_release(sender, *, registration: Registration, actor=None, reason: str = "cancelled", **_kw) -> None:
    ticket = live_ticket(registration.id)
    if ticket is not None:
        revoke_ticket(ticket, actor=actor, reason=reason)


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
    """Tickets for every live registration of the event that has none. Confirmation issues them, so
    this finds none unless a registration was written around the events services (a repair)."""
    regs = db.session.scalars(
        select(Registration).options(joinedload(Registration.event))
        .where(Registration.event_id == event_id, registration_live_clause(),
               ~select(Ticket.id).where(Ticket.registration_id == Registration.id,
                                        Ticket.revoked_at.is_(None)).exists())).all()
    for reg in regs:
        issue_ticket(reg, actor=actor)
    return len(regs)


def ticket_state(ticket: Ticket, event: Event | None) -> str:
    """What the ticket page shows: "valid" (the QR), "replaced" (reissued: a newer ticket exists),
    "cancelled" (the registration was cancelled), "waitlisted" (back on the waiting list),
    "event_cancelled", or "invalid" (its signing key was revoked)."""
    if ticket.revoke_reason == "reissued":
        return "replaced"
    reg = ticket.registration
    if ticket.revoked_at is not None or not registration_is_live(reg):
        if reg.status == "confirmed" and live_ticket(reg.id) is not None:
            return "replaced"
        return "waitlisted" if reg.status == "waitlisted" else "cancelled"
    if event is None or event.status == "cancelled":
        return "event_cancelled"
    if ticket.signing_key.revoked_at is not None:
        return "invalid"
    return "valid"


def may_see_ticket(user, ticket: Ticket, event: Event | None) -> bool:
    """Who may follow a link to someone's current ticket: the event's organisers, the account that
    registered the person, and the person's own account."""
    if not perm.is_authenticated(user):
        return False
    reg = ticket.registration
    if reg.registered_by_id == user.id or (reg.person is not None and reg.person.user_id == user.id):
        return True
    return event is not None and is_organiser(user, event)


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


# The steward's permission without a query per scan: a permit, judged once with the full rules and
# kept in the process for a short while, whose basis the scan's own INSERT re-checks (the session
# token still current and the account active; the steward grant not revoked, or the role grants
# that made the user an organiser all still there). A revoked grant, a deactivated account or a
# logout elsewhere (which rotates the token) therefore takes effect at the very next scan, in every
# process, at no extra round trip; the next scan is judged again in full.
PERMIT_TTL = 60.0
PERMIT_MAX = 20_000
_permits: dict[tuple[str, int], ScanPermit] = {}


@dataclass(frozen=True)
class Acting:
    """The scanning user as services need it (``.id``), without loading the account."""

    id: int


@dataclass(frozen=True)
class ScanPermit:
    user_id: int
    session_token: str
    event_shape: tuple  # the session event's place and kind (commune, province, parent, kind) when judged
    chain_ids: tuple[int, ...]
    grant_ids: tuple[int, ...] = ()
    steward_grant_id: int | None = None
    expires: float = 0.0
    # No receiver of ticket_admitted acts at this event (events.signals.admission_has_effects, judged
    # on the shape above, which the scan's statement re-checks): the fast lane stores the scan in one
    # autocommitted statement, without a transaction of its own.
    quiet: bool = False

    @property
    def actor(self) -> Acting:
        return Acting(self.user_id)

    def guard(self) -> Guard:
        """The permit's basis, as a condition of the scan's own statement."""
        account = "EXISTS (SELECT 1 FROM users WHERE id = :g_user AND session_token = :g_token AND active)"
        params = {"g_user": self.user_id, "g_token": self.session_token}
        if self.steward_grant_id is not None:
            params["g_grant"] = self.steward_grant_id
            return Guard("steward", account + " AND EXISTS (SELECT 1 FROM checkin_steward_grants WHERE"  # noqa: S608
                         " id = :g_grant AND user_id = :g_user AND revoked_at IS NULL)", params)
        params.update(g_ids=list(self.grant_ids), g_n=len(self.grant_ids))
        return Guard("organiser", account + " AND (SELECT count(*) FROM role_grants WHERE user_id = :g_user"  # noqa: S608
                     " AND id IN :g_ids) = :g_n", params)


@dataclass(frozen=True)
class Guard:
    """A condition (SQL over bound parameters) the scan's INSERT re-checks; ``kind`` names its shape."""

    kind: str
    sql: str
    params: dict

    def holds(self) -> bool:
        return bool(db.session.execute(_text_statement(f"SELECT 1 WHERE {self.sql}"),
                                       self.params).first())


def _shape(event: Event) -> tuple:
    return (event.commune_code, event.province_code, event.parent_id, event.kind)


def cached_permit(session_token: str | None, event: Event) -> ScanPermit | None:
    """A permit judged recently for this session and event (None: judge in full)."""
    if not session_token:
        return None
    permit = _permits.get((session_token, event.id))
    if permit is None or permit.expires < time.monotonic() or permit.event_shape != _shape(event):
        return None
    return permit


def live_permit(session_token: str, event_id: int) -> ScanPermit | None:
    """A permit judged recently for this session at this event, by the event's id alone (the fast
    lane: its statement re-checks the event's place, ``event_shape``, with the rest of the basis)."""
    permit = _permits.get((session_token, event_id))
    if permit is None or permit.expires < time.monotonic():
        return None
    return permit


def scan_permit(user, event: Event) -> ScanPermit | None:
    """Judge in full whether ``user`` may scan at ``event`` (can_scan) and remember why."""
    if not can_scan(user, event):
        return None
    chain = event_chain_ids(event)
    if is_organiser(user, event):
        basis = {"grant_ids": tuple(sorted(gr.id for gr in user.grants))}
    else:
        basis = {"steward_grant_id": db.session.scalar(select(StewardGrant.id).where(
            StewardGrant.user_id == user.id, StewardGrant.event_id.in_(chain),
            StewardGrant.revoked_at.is_(None)).order_by(StewardGrant.id).limit(1))}
    permit = ScanPermit(user_id=user.id, session_token=user.session_token, event_shape=_shape(event),
                        chain_ids=tuple(chain), expires=time.monotonic() + PERMIT_TTL,
                        quiet=not admission_has_effects(event), **basis)
    if len(_permits) >= PERMIT_MAX:
        _permits.clear()
    _permits[(user.session_token, event.id)] = permit
    return permit


def forget_permits(user_id: int | None = None) -> None:
    """Drop this process's permits (of one user): the next scan is judged in full."""
    for key in [k for k, p in _permits.items() if user_id is None or p.user_id == user_id]:
        _permits.pop(key, None)


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
        forget_permits(grant.user_id)
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
    # Filled by the check of the signature (verify_code) before any query.
    verified: codes.TicketCode | None = None
    code_error: codes.CodeError | None = None


@dataclass
class Answer:
    """A stored scan as the API answers it: the row's own columns (no ORM load on the scan path),
    the ticket's holder and, for a duplicate, the admission that counts."""

    id: int
    uuid: str
    result: str
    server_time: datetime
    replay: bool = False  # the same UUID was seen before: nothing new stored
    undone_at: datetime | None = None
    steward_id: int | None = None
    checkin_device_id: int | None = None
    ticket_id: int | None = None
    ticket_event_id: int | None = None
    short_code: str | None = None
    token: str | None = None
    name: str | None = None  # the holder's name ("" once anonymised)
    previous_at: datetime | None = None  # a duplicate: when the counting admission happened
    previous_by: str | None = None  # ... and by whom (a steward's name or a device's label)
    door_result: str | None = None
    flag: str | None = None
    changed_seq: int | None = None
    event_id: int | None = None

    @property
    def checkin(self) -> CheckIn:
        """The stored row as a model (pages that render it; the API does without)."""
        return db.session.get(CheckIn, self.id)

    @property
    def seq(self) -> int:
        return max(self.id, self.changed_seq or 0)

    @property
    def conflict(self) -> bool:
        return self.door_result == ACCEPTED and self.result != ACCEPTED


def verify_code(text: str) -> codes.TicketCode:
    """Check a scanned code's signature in memory (no database query once the key cache is warm).
    Raises codes.CodeError."""
    cache = key_cache()
    code = codes.parse(text, cache.public_key)
    entry = cache.entry(code.key_id)
    if entry is not None and entry[2]:
        raise codes.CodeError("key_revoked")
    return code


def verify(data: Scan) -> Scan:
    """Verify the scan's code in memory (before any query) and keep the outcome on the scan."""
    if data.code and data.verified is None and data.code_error is None:
        try:
            data.verified = verify_code(data.code)
        except codes.CodeError as err:
            data.code_error = err
    return data


def admitted(model=CheckIn):
    """THE admission condition: an accepted check-in that was not undone. The partial unique index
    uq_checkins_accepted holds exactly this, one per ticket and session."""
    return and_(model.result == ACCEPTED, model.undone_at.is_(None))


def by_uuid(client_uuid: str) -> CheckIn | None:
    return db.session.scalar(select(CheckIn).where(CheckIn.uuid == client_uuid))


def accepted_checkin(ticket_id: int, event_id: int) -> CheckIn | None:
    return db.session.scalar(select(CheckIn).where(
        CheckIn.ticket_id == ticket_id, CheckIn.event_id == event_id, admitted()))


def by_whom(actor) -> dict:
    """The columns naming who made a scan: a logged-in steward, or a registered device."""
    if isinstance(actor, CheckinDevice):
        return {"steward_id": None, "checkin_device_id": actor.id}
    return {"steward_id": getattr(actor, "id", actor if isinstance(actor, int) else None),
            "checkin_device_id": None}


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


# --- one way to find a scan's ticket and to judge it (online scans and offline uploads) ---------

def ticket_key(data: Scan) -> tuple[str, str] | None:
    """What identifies the scan's ticket: ("token", hex) from a picked ticket or a verified code, or
    ("short", code) from a typed short code; None when nothing can (a forged or unreadable code)."""
    if data.ticket_token:
        token = data.ticket_token.lower()
        return ("token", token) if len(token) == 20 else None
    if data.verified is not None:
        return ("token", data.verified.token)
    if data.code and data.code_error is not None and data.code_error.reason == "malformed":
        short = codes.parse_short_code(data.code)
        if short:
            return ("short", short)
    return None


@dataclass
class Found:
    """A scan's ticket as the judgement needs it (one row of resolve())."""

    id: int
    event_id: int
    key_id: int
    token: str
    short_code: str
    revoked_at: datetime | None
    registration_id: int
    status: str
    name: str


def _ticket_columns():
    return (Ticket.id, Ticket.event_id, Ticket.key_id, Ticket.token, Ticket.short_code, Ticket.revoked_at,
            Ticket.registration_id, Registration.status,
            case((Person.anonymised_at.is_(None), Person.full_name), else_="").label("name"))


def resolve(scans: list[Scan]) -> list[Found | None]:
    """The tickets of many scans in one query (by token or short code). A verified code must name
    the ticket's own event and key, else it resolves to nothing (a code re-signed for another event
    cannot borrow a ticket)."""
    keys = [ticket_key(s) for s in scans]
    tokens = {k[1] for k in keys if k and k[0] == "token"}
    shorts = {k[1] for k in keys if k and k[0] == "short"}
    found: dict[tuple[str, str], Found] = {}
    if tokens or shorts:
        conditions = ([_among(Ticket.token, tokens)] if tokens else []) + \
                     ([_among(Ticket.short_code, shorts)] if shorts else [])
        rows = db.session.connection().execute(  # Core: plain rows, no ORM loading per row
            select(*_ticket_columns()).join(Registration, Ticket.registration_id == Registration.id)
            .join(Person, Registration.person_id == Person.id).where(or_(*conditions))).all()
        for row in rows:
            item = Found(*row)
            found[("token", item.token)] = item
            found[("short", item.short_code)] = item
    out = []
    for data, key in zip(scans, keys, strict=True):
        item = found.get(key) if key else None
        if item is not None and data.verified is not None and not data.ticket_token and (
                item.event_id != data.verified.event_id or item.key_id != data.verified.key_id):
            item = None
        out.append(item)
    return out


def judge(ticket: Found | None, chain_ids) -> str | None:
    """THE refusal rules, in order: no ticket -> invalid; a ticket of an event outside this session's
    chain -> wrong event; a cancelled or replaced ticket, or a registration no longer live ->
    revoked. None: the ticket may be admitted here (accepted, or duplicate if already admitted)."""
    if ticket is None:
        return INVALID
    if ticket.event_id not in chain_ids:
        return WRONG_EVENT
    if ticket.revoked_at is not None or ticket.status not in LIVE_REGISTRATION_STATES:
        return REVOKED
    return None


# --- clocks and revoked devices -------------------------------------------------------------

# Stewards start scanning before the start (early arrivals, set-up): earlier device times are
# outside the check-in window.
WINDOW_OPENS_BEFORE = timedelta(hours=12)
CLOCK = "clock"  # flag: the device time was outside what the server knows, and was clamped
AFTER_REVOKE = "after_revoke"  # flag: made after the device was removed (set aside, never admits)


def clamp_time(device_time: datetime | None, event: Event, actor, now: datetime) -> tuple[datetime | None, bool]:
    """A device time within what the server knows: not before the event's check-in window opens
    nor before the device was set up, not after the upload. Returns (time, clamped)."""
    if device_time is None:
        return None, False
    low = event.starts_at - WINDOW_OPENS_BEFORE
    if isinstance(actor, CheckinDevice):
        registered = actor.activated_at or actor.created_at
        if registered is not None:
            low = max(low, registered)
    if device_time < low:
        return low, True
    if device_time > now:
        return now, True
    return device_time, False


# --- online scans ---------------------------------------------------------------------------

INSERT_COLUMNS = ("uuid", "event_id", "ticket_id", "method", "device_id", "device_time", "server_time",
                  "steward_id", "checkin_device_id", "flag", "reported_time", "scanned", "door_result")
_statements: dict[tuple, object] = {}


def _dialect_insert():
    return pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


def _text_statement(sql: str) -> object:
    """Constant SQL only (every value is bound). A text statement with the check-in columns' types on its parameters (UTC times, ...), made
    once per shape and dialect (the PostgreSQL dialect's INSERT ... ON CONFLICT is not in
    SQLAlchemy's compiled cache, and building the expression per scan costs more than the scan)."""
    key = (db.engine.dialect.name, sql)
    stmt = _statements.get(key)
    if stmt is None:
        table = CheckIn.__table__
        stmt = text(sql)
        binds = [bindparam(c, type_=table.c[c].type) for c in INSERT_COLUMNS + ("result",) if f":{c}" in sql]
        if ":g_ids" in sql:
            binds.append(bindparam("g_ids", expanding=True))
        stmt = stmt.bindparams(*binds)
        _statements[key] = stmt
    return stmt


def _admitted_sql() -> str:
    """admitted() as SQL text, for the hand-written statement (still written once)."""
    return str(admitted().compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))


def _insert_one(values: dict, decide: bool = False, guard: Guard | None = None, audit_entry: dict | None = None):
    """One scan, decided and stored in ONE statement: INSERT ... SELECT ... ON CONFLICT DO NOTHING
    RETURNING. ``decide``: the result is "duplicate" if the ticket is admitted here already, else
    "accepted" (the partial unique index settles a race between two such inserts). ``guard``: a
    condition the same statement re-checks (the scanner's session and grants); when it fails
    nothing is stored. Returns (id, result) or None (a conflict, or the guard failed)."""
    pg = db.engine.dialect.name == "postgresql"
    table = CheckIn.__table__

    def param(name):
        if not pg:
            return f":{name}"
        return f"CAST(:{name} AS {table.c[name].type.compile(dialect=db.engine.dialect)})"

    kind = ("insert", decide, guard.kind if guard else None, audit_entry is not None)
    key = (db.engine.dialect.name, kind)
    stmt = _statements.get(key)
    if stmt is None:
        result = (f"CASE WHEN EXISTS (SELECT 1 FROM checkins WHERE ticket_id = {param('ticket_id')} AND "  # noqa: S608
                  f"event_id = {param('event_id')} AND {_admitted_sql()}) THEN '{DUPLICATE}' ELSE '{ACCEPTED}' END"
                  if decide else param("result"))
        sql = (f"INSERT INTO checkins ({', '.join(INSERT_COLUMNS)}, result) "
               f"SELECT {', '.join(param(c) for c in INSERT_COLUMNS)}, {result} "
               f"WHERE {guard.sql if guard else '1 = 1'} ON CONFLICT DO NOTHING RETURNING id, result")
        if audit_entry is not None:  # PostgreSQL: the admission's audit entry in the same statement
            sql = (f"WITH ins AS ({sql}), aud AS (INSERT INTO audit_log (at, actor_id, action, object_type, "  # noqa: S608
                   f"object_id, details, province_code) SELECT CAST(:a_at AS TIMESTAMP WITH TIME ZONE), "
                   f"CAST(:a_actor AS INTEGER), 'checkin.accepted', 'checkins', CAST(ins.id AS VARCHAR), "
                   f"CAST(:a_details AS JSON), CAST(:a_province AS INTEGER) FROM ins "
                   f"WHERE ins.result = '{ACCEPTED}') SELECT id, result FROM ins")
        stmt = _text_statement(sql)
        _statements[key] = stmt
    params = {c: values.get(c) for c in INSERT_COLUMNS}
    if not decide:
        params["result"] = values["result"]
    if guard is not None:
        params.update(guard.params)
    if audit_entry is not None:
        params.update(audit_entry)
    return db.session.execute(stmt, params).first()


def _values(data: Scan, actor, ticket: Found | None, now: datetime, **extra) -> dict:
    values = dict(uuid=data.uuid, event_id=data.event_id, ticket_id=ticket.id if ticket else None,
                  method=data.method, device_id=data.device_id, device_time=data.device_time, server_time=now,
                  **by_whom(actor))
    values.update(extra)
    return values


def _admission_effects(answer: Answer, actor, registration_id: int, at: datetime, province: int | None,
                       audited: bool = False) -> None:
    """What an admission does besides its row: the audit entry (unless the insert wrote it; in the
    session event's province) and the signal (a class's attendance, a bridge point connected), in the
    same transaction as the row."""
    if not audited:
        audit("checkin.accepted", object_type="checkins", object_id=answer.id, actor=audit_actor(actor),
              province_code=province, ticket_id=answer.ticket_id, event_id=answer.event_id,
              **_device_detail(actor))
    ticket_admitted.send("checkin", registration_id=registration_id, event_id=answer.event_id, at=at,
                         actor=audit_actor(actor))


_facts_statements: dict[str, object] = {}


def _facts_statement(by: str):
    """The one read of an online scan (made once per process): the session event (an ORM entity,
    so the signal's receivers find it loaded), the ticket by token or short code with its
    registration's state and its holder's name, and the admission that counts at the session with
    who made it (for a duplicate's answer)."""
    stmt = _facts_statements.get(by)
    if stmt is None:
        prev, who, device = aliased(CheckIn), aliased(User), aliased(CheckinDevice)
        column = Ticket.token if by == "token" else Ticket.short_code
        stmt = (select(Event, *_ticket_columns(), prev.server_time.label("previous_at"),
                       func.coalesce(who.full_name, device.label, "").label("previous_by"))
                .select_from(Event)
                .outerjoin(Ticket, column == bindparam("key"))
                .outerjoin(Registration, Ticket.registration_id == Registration.id)
                .outerjoin(Person, Registration.person_id == Person.id)
                .outerjoin(prev, and_(prev.ticket_id == Ticket.id, prev.event_id == Event.id, admitted(prev)))
                .outerjoin(who, who.id == prev.steward_id).outerjoin(device, device.id == prev.checkin_device_id)
                .where(Event.id == bindparam("event_id")).limit(1)
                # Only what the scan path and the admission's receivers read; the rest loads if asked.
                .options(load_only(Event.id, Event.title, Event.kind, Event.parent_id, Event.commune_code,
                                   Event.province_code, Event.starts_at, Event.ends_at, Event.status,
                                   Event.connected_at), lazyload(Event.commune)))
        _facts_statements[by] = stmt
    return stmt


@dataclass
class Facts:
    """What an online scan reads, in one query."""

    event: Event | None
    ticket: Found | None = None
    previous_at: datetime | None = None
    previous_by: str | None = None


def scan_facts(data: Scan) -> Facts:
    """The session event (None: no such event) and the scan's ticket, in one query."""
    verify(data)
    key = ticket_key(data)
    row = db.session.execute(_facts_statement(key[0] if key else "token"),
                             {"event_id": data.event_id, "key": key[1] if key else None}).first()
    if row is None:
        return Facts(None)
    facts = Facts(row[0], previous_at=row.previous_at, previous_by=row.previous_by)
    if row.id is not None:
        found = Found(*row[1:10])
        if data.verified is None or data.ticket_token or (
                found.event_id == data.verified.event_id and found.key_id == data.verified.key_id):
            facts.ticket = found
    return facts


def event_chain_ids(event: Event) -> list[int]:
    return [e.id for e in event_chain(event)]


def scan(data: Scan, actor, session_event: Event, guard: Guard | None = None,
         chain_ids: list[int] | None = None, facts: Facts | None = None) -> Answer | None:
    """Record one scan at ``session_event`` and decide it: one query reads the ticket, one
    statement decides (duplicate if already admitted here) and stores (INSERT ... ON CONFLICT DO
    NOTHING: a retried UUID stores nothing and gets the first answer; the partial unique index lets
    one of two simultaneous admissions win, the other is stored as a duplicate). The caller has
    checked that ``actor`` may scan here; ``guard`` is a condition the insert re-checks (the
    steward's session and grants, see ScanPermit) — None is returned when it no longer holds and
    nothing was stored. Never commits."""
    verify(data)
    now = utcnow()
    reported = data.device_time
    data.device_time, clamped = clamp_time(data.device_time, session_event, actor, now)
    facts = facts if facts is not None else scan_facts(data)
    ticket = facts.ticket
    chain_ids = chain_ids if chain_ids is not None else event_chain_ids(session_event)
    refused = judge(ticket, chain_ids)
    values = _values(data, actor, ticket, now, flag=CLOCK if clamped else None,
                     reported_time=reported if clamped else None)
    if refused == INVALID:
        values["scanned"] = _excerpt(data.code or data.ticket_token)
    if refused is not None:
        values["result"] = refused
    # On PostgreSQL an admission's audit entry is written by the same statement.
    audited = refused is None and db.engine.dialect.name == "postgresql"
    stored = _insert_one(values, decide=refused is None, guard=guard,
                         audit_entry=_audit_entry(actor, values, session_event.province_code) if audited else None)
    previous = facts.previous_at is not None
    if stored is None:
        audited = False
        earlier = by_uuid(data.uuid)
        if earlier is not None:  # a retry: the first answer, nothing new
            return answer_of(earlier, replay=True)
        if guard is not None and not guard.holds():
            return None
        # Another scan admitted the ticket between our read and our insert: a duplicate.
        values["result"] = DUPLICATE
        stored = _insert_one(values)
        if stored is None:
            return answer_of(by_uuid(data.uuid), replay=True)
        previous = False  # the admission that counts is newer than what we read
    answer = Answer(id=stored.id, uuid=data.uuid, result=stored.result, server_time=now,
                    steward_id=values.get("steward_id"), checkin_device_id=values.get("checkin_device_id"),
                    event_id=data.event_id, flag=values.get("flag"))
    if ticket is not None:
        answer.ticket_id, answer.ticket_event_id = ticket.id, ticket.event_id
        answer.short_code, answer.token, answer.name = ticket.short_code, ticket.token, ticket.name
    if answer.result == DUPLICATE:
        if previous:
            answer.previous_at, answer.previous_by = facts.previous_at, facts.previous_by
        else:
            _fill_previous(answer)
    if answer.result == ACCEPTED:
        _admission_effects(answer, actor, ticket.registration_id, at=data.device_time or now,
                           province=session_event.province_code, audited=audited)
    return answer


def _audit_entry(actor, values: dict, province: int | None) -> dict:
    """The "checkin.accepted" audit entry of an admission, as core.audit would write it (in the
    session event's province, which core.services.province_of finds for a check-in)."""
    details = {"ticket_id": values["ticket_id"], "event_id": values["event_id"], **_device_detail(actor)}
    return {"a_at": values["server_time"], "a_actor": getattr(audit_actor(actor), "id", None),
            "a_details": json.dumps(details), "a_province": province}


def _fill_previous(answer: Answer) -> None:
    previous = accepted_checkin(answer.ticket_id, answer.event_id) if answer.ticket_id else None
    if previous is not None:
        answer.previous_at, answer.previous_by = previous.server_time, steward_name(previous)


def answer_of(checkin: CheckIn, replay: bool = False, with_previous: bool = True) -> Answer:
    """The answer for a stored row (a replayed UUID, an undo)."""
    answer = Answer(id=checkin.id, uuid=checkin.uuid, result=checkin.result, server_time=checkin.server_time,
                    replay=replay, undone_at=checkin.undone_at, steward_id=checkin.steward_id,
                    checkin_device_id=checkin.checkin_device_id, event_id=checkin.event_id,
                    door_result=checkin.door_result, flag=checkin.flag, changed_seq=checkin.changed_seq)
    ticket = checkin.ticket if with_previous or checkin.ticket_id is None or "ticket" in checkin.__dict__ else None
    if ticket is not None:
        person = ticket.registration.person
        answer.ticket_id, answer.ticket_event_id = ticket.id, ticket.event_id
        answer.short_code, answer.token = ticket.short_code, ticket.token
        answer.name = person.full_name if person.anonymised_at is None else ""
    if ticket is None and checkin.ticket_id is not None:
        answer.ticket_id = checkin.ticket_id
    if answer.result == DUPLICATE and with_previous:
        _fill_previous(answer)
    return answer


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
        CheckIn.event_id == event_id, admitted())) or 0


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
        .where(CheckIn.event_id.in_(ids), admitted())
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
    done_here = {c.ticket_id: c for c in db.session.scalars(select(CheckIn).where(
        CheckIn.ticket_id.in_([t.id for t, _r, _p in rows]), CheckIn.event_id == session_event.id, admitted()))}
    groups: dict[tuple, dict] = {}
    for ticket, reg, person in rows:
        key = group_key(reg)
        group = groups.setdefault(key, {"key": f"{key[0]}-{key[1]}", "tickets": []})
        done = done_here.get(ticket.id)
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




# --- offline scans uploaded later -------------------------------------------------------------

LOCK_NAMESPACE = 8423  # pg_advisory_xact_lock(namespace, ticket id): one ticket's admissions


@dataclass
class Upload:
    """One scan of a device's outbox: what it sent and what it showed at the door."""

    data: Scan
    door_result: str | None = None


def _moment(checkin_or_time) -> datetime:
    """When a scan happened at the door: the device's clock, else the server's."""
    if isinstance(checkin_or_time, CheckIn):
        return checkin_or_time.device_time or checkin_or_time.server_time
    return checkin_or_time


def _precedence(moment: datetime, flag: str | None, order: int = 0) -> tuple:
    """Which admission counts: the earliest at the door, but a clamped (untrusted) time after every
    trusted one; ties go to what the server saw first."""
    return (flag == CLOCK, moment, order)


def _lock_tickets(ticket_ids: set[int]) -> None:
    """Serialise uploads touching the same tickets: transaction-level advisory locks taken in
    ascending ticket order, in one statement, before any row is read or written. Two uploads with
    overlapping tickets then queue instead of deadlocking. (SQLite serialises whole writers.)"""
    if not ticket_ids or db.engine.dialect.name != "postgresql":
        return
    db.session.execute(text(
        "SELECT count(pg_advisory_xact_lock(:ns, t)) FROM "
        "(SELECT t FROM unnest(CAST(:ids AS integer[])) AS t ORDER BY t) AS ordered"),
        {"ns": LOCK_NAMESPACE, "ids": sorted(ticket_ids)})


def _among(column, values):
    """``column IN values`` as one array parameter on PostgreSQL (``= ANY(:array)``: a short SQL
    text whatever the number of values, so neither SQLAlchemy nor the driver handles a placeholder
    per value), a plain IN list elsewhere."""
    values = list(values)
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def _json_value(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in a bulk insert; use timezone-aware values")
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _bulk_insert(table, rows: list[dict], returning: tuple[str, ...] = (), on_conflict: bool = False):
    """Many rows (the same keys in each) in ONE short statement on PostgreSQL: the rows travel as one
    JSON parameter and ``jsonb_to_recordset`` types them by the columns' own types, in the order
    given. (A multi-row VALUES list costs SQLAlchemy and the driver a placeholder per value: the
    larger part of a 1,000-scan upload's CPU.) Elsewhere Core's executemany."""
    if not rows:
        return []
    columns = list(rows[0])
    conn = db.session.connection()
    if db.engine.dialect.name != "postgresql":
        stmt = (_dialect_insert()(table).on_conflict_do_nothing() if on_conflict else insert(table))
        if returning:
            stmt = stmt.returning(*(table.c[c] for c in returning))
        result = conn.execute(stmt, rows)
        return list(result) if returning else []
    key = ("bulk", table.name, tuple(columns), returning, on_conflict)
    stmt = _statements.get(key)
    if stmt is None:
        dialect = db.engine.dialect
        names = ", ".join(columns)
        typed = ", ".join(f"{c} {table.c[c].type.compile(dialect=dialect)}" for c in columns)
        sql = (f"INSERT INTO {table.name} ({names}) SELECT {names} "  # noqa: S608 (names from the table)
               f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({typed})"
               + (" ON CONFLICT DO NOTHING" if on_conflict else "")
               + (f" RETURNING {', '.join(returning)}" if returning else ""))
        stmt = _statements[key] = text(sql)
    result = conn.execute(stmt, {"rows": json.dumps(rows, default=_json_value, ensure_ascii=False)})
    return list(result) if returning else []


def sync_batch(uploads: list[Upload], actor, events: dict[int, Event]) -> list[Answer]:
    """Record a batch of scans devices decided offline, set-based: a constant number of statements
    whatever the batch size (the known UUIDs, the tickets, the locks, the current admissions, one
    UPDATE for relabels, one INSERT, one INSERT of audit entries). ``events`` holds each scan's
    session event (checked by the caller).

    Every scan is stored. One admission per ticket and session still holds (the partial unique
    index): when devices admitted the same ticket offline, the earliest by device time is the
    accepted row and the others are duplicates whose door result is "accepted" (conflicts for the
    organisers). If the earliest arrives after another was accepted, the accepted row is relabelled
    and the new scan takes its place. Device times outside what the server knows are clamped and
    flagged (they lose to every trusted time); scans a removed device made after its removal are set
    aside. A repeated UUID stores nothing. Never commits."""
    now = utcnow()
    # The request's user proxy resolved once (every isinstance() on a proxy looks the user up again).
    actor = actor._get_current_object() if hasattr(actor, "_get_current_object") else actor
    answers: list[Answer | None] = [None] * len(uploads)
    for up in uploads:
        verify(up.data)
    # Known UUIDs (a resent outbox): the first answer, nothing new.
    uuids = {up.data.uuid for up in uploads}
    known = {c.uuid: c for c in db.session.scalars(select(CheckIn).where(_among(CheckIn.uuid, uuids)))}
    todo: list[int] = []
    seen: dict[str, int] = {}
    for i, up in enumerate(uploads):
        if up.data.uuid in known:
            answers[i] = answer_of(known[up.data.uuid], replay=True, with_previous=False)
        elif up.data.uuid in seen:
            continue  # the same UUID twice in one batch: answered below as a replay of the first
        else:
            seen[up.data.uuid] = i
            todo.append(i)
    tickets = dict(zip(todo, resolve([uploads[i].data for i in todo]), strict=True))
    values, candidates = _decide_uploads(uploads, todo, tickets, events, actor, now)
    relabel = _choose_earliest(candidates, values, now)
    if relabel:
        db.session.execute(update(CheckIn).where(CheckIn.id.in_(relabel)).values(
            result=DUPLICATE, door_result=func.coalesce(CheckIn.door_result, ACCEPTED), relabelled_at=now)
            .execution_options(synchronize_session=False))
    # One INSERT, in ticket order (the unique index is entered in the same order by every upload).
    order = sorted(values, key=lambda i: (values[i]["ticket_id"] or 0, values[i]["event_id"], i))
    stored: dict[str, tuple] = {}
    if order:
        rows = [{c: values[i].get(c) for c in INSERT_COLUMNS + ("result",)} for i in order]  # same keys each
        for row in _bulk_insert(CheckIn.__table__, rows, returning=("id", "uuid", "result"), on_conflict=True):
            stored[row.uuid] = row
    entries = [dict(action="checkin.relabelled", object_type="checkins", object_id=str(cid), at=now,
                    actor_id=getattr(audit_actor(actor), "id", None),
                    details={"by_upload": True, **_device_detail(actor)}) for cid in relabel]
    admitted_now: list[tuple[int, Answer]] = []
    for i in todo:
        v = values[i]
        row = stored.get(v["uuid"])
        if row is None:
            # Lost a race: the same UUID from a concurrent upload, or an online scan admitted the
            # ticket after our read. Decided again on its own (rare).
            answers[i] = _store_after_race(uploads[i], v, actor)
            continue
        ticket = tickets[i]
        answer = Answer(id=row.id, uuid=v["uuid"], result=row.result, server_time=now,
                        steward_id=v.get("steward_id"), checkin_device_id=v.get("checkin_device_id"),
                        event_id=v["event_id"], door_result=v["door_result"], flag=v.get("flag"))
        if ticket is not None:
            answer.ticket_id, answer.ticket_event_id = ticket.id, ticket.event_id
            answer.short_code, answer.token, answer.name = ticket.short_code, ticket.token, ticket.name
        answers[i] = answer
        if row.result == ACCEPTED:
            admitted_now.append((i, answer))
            entries.append(dict(action="checkin.accepted", object_type="checkins", object_id=str(row.id), at=now,
                                actor_id=getattr(audit_actor(actor), "id", None),
                                province_code=events[v["event_id"]].province_code,
                                details={"ticket_id": ticket.id, "event_id": v["event_id"], "offline": True,
                                         **_device_detail(actor)}))
    _bulk_insert(AuditLog.__table__, entries)
    for i, answer in admitted_now:
        ticket_admitted.send("checkin", registration_id=tickets[i].registration_id, event_id=answer.event_id,
                             at=values[i]["device_time"] or now, actor=audit_actor(actor))
    for i, up in enumerate(uploads):  # a UUID repeated inside the batch
        if answers[i] is None:
            first = answers[seen[up.data.uuid]]
            answers[i] = replace(first, replay=True)
    return answers


def _decide_uploads(uploads: list[Upload], todo: list[int], tickets: dict, events: dict[int, Event], actor,
                    now: datetime) -> tuple[dict[int, dict], dict[tuple[int, int], list[int]]]:
    """Each new upload's row values and result; the uploads that may admit (by ticket and session)
    stay "duplicate" until :func:`_choose_earliest` picks one of them."""
    chains = {event_id: event_chain_ids(event) for event_id, event in events.items()}
    revoked_at = actor.revoked_at if isinstance(actor, CheckinDevice) else None
    values: dict[int, dict] = {}
    candidates: dict[tuple[int, int], list[int]] = {}
    for i in todo:
        up = uploads[i]
        data, ticket = up.data, tickets[i]
        reported = data.device_time
        data.device_time, clamped = clamp_time(data.device_time, events[data.event_id], actor, now)
        v = _values(data, actor, ticket, now, door_result=up.door_result, flag=CLOCK if clamped else None,
                    reported_time=reported if clamped else None)
        refused = judge(ticket, chains[data.event_id])
        if refused == INVALID:
            v["scanned"] = _excerpt(data.code or data.ticket_token)
        if revoked_at is not None and (data.device_time is None or data.device_time > revoked_at):
            v["result"], v["flag"] = SET_ASIDE, AFTER_REVOKE  # made after the removal: never admits
        elif refused is not None:
            v["result"] = refused
        elif up.door_result not in (None, ACCEPTED):
            v["result"] = up.door_result  # turned away at the door (already admitted there, ...)
        else:
            v["result"] = DUPLICATE  # until chosen below
            candidates.setdefault((ticket.id, data.event_id), []).append(i)
        values[i] = v
    return values, candidates


def _choose_earliest(candidates: dict[tuple[int, int], list[int]], values: dict[int, dict],
                     now: datetime) -> list[int]:
    """Lock the tickets (in order), read their admissions on record, and mark the earliest upload of
    each ticket and session accepted; returns the admissions on record that give way to it."""
    _lock_tickets({pair[0] for pair in candidates})
    current: dict[tuple[int, int], tuple] = {}
    if candidates:
        for row in db.session.execute(
                select(CheckIn.id, CheckIn.ticket_id, CheckIn.event_id, CheckIn.device_time, CheckIn.server_time,
                       CheckIn.flag)
                .where(_among(CheckIn.ticket_id, {pair[0] for pair in candidates}),
                       _among(CheckIn.event_id, {pair[1] for pair in candidates}), admitted())):
            if (row.ticket_id, row.event_id) in candidates:  # the pairs asked for, not every combination
                current[(row.ticket_id, row.event_id)] = row
    relabel: list[int] = []
    for pair, indexes in candidates.items():
        best = min(indexes, key=lambda i: _precedence(values[i]["device_time"] or now, values[i]["flag"], i))
        held = current.get(pair)
        if held is not None:
            if _precedence(held.device_time or held.server_time, held.flag, -1) <= \
                    _precedence(values[best]["device_time"] or now, values[best]["flag"], best):
                continue  # the admission on record is earlier: every upload is a duplicate
            relabel.append(held.id)  # the earliest admission counts: the row on record gives way
        values[best]["result"] = ACCEPTED
    return relabel


def _store_after_race(up: Upload, values: dict, actor) -> Answer:
    earlier = by_uuid(values["uuid"])
    if earlier is not None:
        return answer_of(earlier, replay=True)
    if values["result"] == ACCEPTED:
        values = dict(values, result=DUPLICATE)
    stored = _insert_one(values)
    if stored is None:
        return answer_of(by_uuid(values["uuid"]), replay=True)
    return answer_of(db.session.get(CheckIn, stored.id))


def sync_scan(data: Scan, actor, session_event: Event, door_result: str | None,
              code: codes.TicketCode | None = None, code_error: codes.CodeError | None = None) -> Answer:
    """One offline scan (the demo, tests; the API sends whole batches to sync_batch). ``code`` /
    ``code_error``: the signature already checked by the caller."""
    data.verified = data.verified or code
    data.code_error = data.code_error or code_error
    return sync_batch([Upload(data, door_result)], actor, {session_event.id: session_event})[0]


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
                       admitted())).unique():
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
    tokens_in = db.session.scalars(
        select(Ticket.token).join(CheckIn, CheckIn.ticket_id == Ticket.id)
        .where(CheckIn.event_id == event.id, admitted())).all()
    last_seq = max(db.session.execute(
        select(func.coalesce(func.max(CheckIn.id), 0), func.coalesce(func.max(CheckIn.changed_seq), 0))
        .where(CheckIn.event_id == event.id)).one())
    return {"tickets": tickets, "admitted": list(tokens_in), "last_seq": last_seq, "names": names}
