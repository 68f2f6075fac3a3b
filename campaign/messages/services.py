"""The rules of lost links, one-time codes (forgotten password, a person's own page), preferences and
consent, organisers' announcements and resends. Services never commit; views do (core.web.attempt)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from campaign.accounts.models import User
from campaign.core.services import DomainError, audit
from campaign.core.text import nfc
from campaign.core.timeutil import format_datetime
from campaign.core.types import utcnow
from campaign.events import services as events
from campaign.events.models import Event, Person, Registration
from campaign.extensions import db
from campaign.messages import outbox
from campaign.messages.links import absolute
from campaign.messages.models import ContactPreference, ContactRequest, Message, OneTimeCode

CODE_MINUTES = 30
CODE_ATTEMPTS = 5
PER_CONTACT_PER_HOUR = 3  # lost links, codes: requests about one contact in an hour (more are ignored)
CONSENT_VERSION = "messages-2026-1"
REMINDER_KINDS = ("event", "session", "shift")
# Reminders an account may also get: a commune report's deadline (filings), to its commune officers.
ACCOUNT_REMINDER_KINDS = (*REMINDER_KINDS, "report")


def account_reminder_kinds(user) -> tuple[str, ...]:
    """The reminder kinds an account can switch on or off: a commune officer's include "report"."""
    from campaign.accounts import permissions as perm

    return ACCOUNT_REMINDER_KINDS if perm.has_role(user, perm.COMMUNE_OFFICER) else REMINDER_KINDS


def consent_text() -> str:
    return _("I agree to receive reminders before the events, classes and shifts I registered for, by the "
             "channels I chose. I can stop them at any time from any reminder or from my page.")


# --- contacts ------------------------------------------------------------------------------------

def normalise_contact(raw: str | None) -> str:
    """An e-mail address (lower case) or a Vietnamese phone in E.164. DomainError when neither."""
    raw = (raw or "").strip()
    if not raw:
        raise DomainError(_("Enter your phone number or e-mail address."), "contact")
    if "@" in raw:
        local, _sep, domain = raw.rpartition("@")
        if not local or "." not in domain or " " in raw or len(raw) > 254:
            raise DomainError(_("Enter a valid e-mail address."), "contact")
        return raw.lower()
    try:
        phone = events.normalise_phone(raw)
    except DomainError as err:
        raise DomainError(err.message, "contact") from err
    return phone


def contact_hash(contact: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"contact:" + contact.encode(), hashlib.sha256).hexdigest()


def persons_with_contact(contact: str) -> list[Person]:
    """The (not anonymised) persons reachable at this contact: by phone, or by an e-mail in their
    preferences or on their account."""
    if "@" in contact:
        ids = set(db.session.scalars(select(ContactPreference.person_id).where(
            func.lower(ContactPreference.email) == contact, ContactPreference.person_id.is_not(None))))
        ids |= set(db.session.scalars(select(Person.id).join(User, User.id == Person.user_id)
                                      .where(func.lower(User.email) == contact)))
        if not ids:
            return []
        stmt = select(Person).where(Person.id.in_(ids))
    else:
        stmt = select(Person).where(Person.phone == contact)
    return list(db.session.scalars(stmt.where(Person.anonymised_at.is_(None)).order_by(Person.id)))


def users_with_contact(contact: str) -> list[User]:
    if "@" in contact:
        return list(db.session.scalars(select(User).where(func.lower(User.email) == contact, User.active.is_(True))))
    from campaign.volunteers.models import VolunteerProfile

    return list(db.session.scalars(select(User).join(VolunteerProfile, VolunteerProfile.user_id == User.id)
                                   .where(VolunteerProfile.phone == contact, User.active.is_(True))))


def _allowed(purpose: str, contact: str) -> bool:
    """Count this request about the contact; False past PER_CONTACT_PER_HOUR in the last hour (the
    request is then ignored, with the same answer)."""
    digest = contact_hash(contact)
    since = utcnow() - timedelta(hours=1)
    recent = db.session.scalar(select(func.count()).select_from(ContactRequest).where(
        ContactRequest.purpose == purpose, ContactRequest.contact_hash == digest,
        ContactRequest.created_at > since)) or 0
    db.session.add(ContactRequest(purpose=purpose, contact_hash=digest, created_at=utcnow()))
    db.session.execute(ContactRequest.__table__.delete().where(ContactRequest.created_at < utcnow() - timedelta(days=2)))
    return recent < PER_CONTACT_PER_HOUR


# --- lost links ----------------------------------------------------------------------------------

def send_my_links(raw_contact: str) -> None:
    """"Send me my registrations": new private links for every live registration of the persons at
    this contact, sent to that contact only (never shown). Nothing tells whether any exist."""
    contact = normalise_contact(raw_contact)
    if not _allowed("links", contact):
        return
    regs = []
    for person in persons_with_contact(contact):
        regs += list(db.session.scalars(
            select(Registration).join(Event, Event.id == Registration.event_id)
            .where(Registration.person_id == person.id, Registration.status != "cancelled",
                   Event.ends_at >= utcnow()).order_by(Event.starts_at)))
    if not regs:
        return
    items = []
    for reg in regs[:20]:
        token = secrets.token_urlsafe(24)
        reg.token_hash = events.hash_token(token)  # the old link stops working: only this contact has the new
        items.append({"title": reg.event.title, "starts_at_text": format_datetime(reg.event.starts_at),
                      "url": absolute("events.my_registration", token=token)})
        audit("registration.link_resent", reg, actor=None)
    db.session.flush()
    rec = outbox.contact_recipient(contact)
    outbox.queue("lost_links", "registration", regs[0].id, rec, "lost_links", {"private_items": items},
                 occasion=utcnow().strftime("%Y%m%dT%H%M%S.%f"))


# --- one-time codes ------------------------------------------------------------------------------

def _code_hash(code_id_salt: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"code:{code_id_salt}:{code}".encode(), hashlib.sha256).hexdigest()


def _issue_code(purpose: str, contact: str, user_id: int | None = None, person_ids=()) -> None:
    code = f"{secrets.randbelow(10**6):06d}"
    link = secrets.token_urlsafe(24)
    digest = contact_hash(contact)
    # A new code replaces the earlier ones for this contact.
    db.session.execute(update(OneTimeCode).where(OneTimeCode.purpose == purpose, OneTimeCode.contact_hash == digest,
                                                 OneTimeCode.used_at.is_(None)).values(used_at=utcnow()))
    row = OneTimeCode(purpose=purpose, contact_hash=digest, user_id=user_id, person_ids=list(person_ids),
                      code_hash=_code_hash(digest, code),
                      link_hash=hashlib.sha256(link.encode()).hexdigest(), attempts=0,
                      expires_at=utcnow() + timedelta(minutes=CODE_MINUTES))
    db.session.add(row)
    db.session.flush()
    endpoint = "messages.reset_password_link" if purpose == "password" else "messages.own_page_link"
    outbox.queue("code", "code", row.id, outbox.contact_recipient(contact), "code",
                 {"purpose": purpose, "private_code": code, "private_link": absolute(endpoint, token=link)})


def request_password_reset(raw_contact: str) -> str:
    """Send a one-time code and link to the account(s) at this contact. Returns the normalised contact
    (to carry to the next step). Unknown contacts get exactly the same answer."""
    contact = normalise_contact(raw_contact)
    if not _allowed("password", contact):
        return contact
    users = users_with_contact(contact)
    if len(users) == 1:  # an address shared by two accounts cannot say which: nothing is sent
        _issue_code("password", contact, users[0].id)
        audit("user.password_reset_requested", users[0], actor=None)
    return contact


def request_own_page_code(raw_contact: str) -> str:
    contact = normalise_contact(raw_contact)
    if _allowed("own_page", contact):
        persons = persons_with_contact(contact)
        if persons:
            _issue_code("own_page", contact, person_ids=[p.id for p in persons])
    return contact


def _live_codes(purpose: str):
    return select(OneTimeCode).where(OneTimeCode.purpose == purpose, OneTimeCode.used_at.is_(None),
                                     OneTimeCode.expires_at > utcnow())


def check_code(purpose: str, contact: str, code: str) -> OneTimeCode:
    """The live code for this contact if ``code`` matches (it is then used up); a wrong code counts
    against it (burnt after CODE_ATTEMPTS). DomainError otherwise, the same for unknown contacts."""
    wrong = DomainError(_("This code is not valid (wrong, used or older than 30 minutes). Ask for a new one."),
                        "code")
    code = (code or "").strip().replace(" ", "")
    if not contact or not code.isdigit() or len(code) != 6:
        raise wrong
    digest = contact_hash(contact)
    row = db.session.scalar(_live_codes(purpose).where(OneTimeCode.contact_hash == digest)
                            .order_by(OneTimeCode.id.desc()).limit(1))
    if row is None:
        raise wrong
    if not hmac.compare_digest(row.code_hash, _code_hash(digest, code)):
        # counted in its own small write, which the caller's rollback would undo: done on another connection
        _count_wrong_attempt(row.id)
        raise wrong
    _use(row, wrong)
    return row


def _use(row: OneTimeCode, error: DomainError) -> None:
    """Use the code up, once: of two requests presenting it at the same moment only one succeeds."""
    now = utcnow()
    done = db.session.execute(update(OneTimeCode).where(OneTimeCode.id == row.id, OneTimeCode.used_at.is_(None))
                              .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise error
    row.used_at = now


def _count_wrong_attempt(code_id: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(update(OneTimeCode.__table__).where(OneTimeCode.__table__.c.id == code_id).values(
            attempts=OneTimeCode.__table__.c.attempts + 1))
        conn.execute(update(OneTimeCode.__table__).where(OneTimeCode.__table__.c.id == code_id,
                                                         OneTimeCode.__table__.c.attempts >= CODE_ATTEMPTS)
                     .values(used_at=utcnow()))


def code_by_link(purpose: str, token: str) -> OneTimeCode | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(_live_codes(purpose).where(
        OneTimeCode.link_hash == hashlib.sha256(token.encode()).hexdigest()))


def reset_password(row: OneTimeCode, new_password: str) -> User:
    """Set the new password with a code just checked (or a live link): single use, and every other
    session of the account ends."""
    from campaign.accounts.services import validate_password

    user = db.session.get(User, row.user_id) if row.user_id else None
    if user is None or not user.active:
        raise DomainError(_("This code is not valid (wrong, used or older than 30 minutes). Ask for a new one."),
                          "code")
    validate_password(new_password, user.username)
    user.set_password(new_password)  # a new session token: every session of the account ends
    db.session.execute(update(OneTimeCode).where(OneTimeCode.user_id == user.id, OneTimeCode.used_at.is_(None))
                       .values(used_at=utcnow()))
    audit("user.password_reset", user, actor=None)
    return user


def use_link(purpose: str, token: str) -> OneTimeCode:
    """The live code of a link, used up now (single use)."""
    error = DomainError(_("This link is not valid (used or older than 30 minutes). Ask for a new one."))
    row = code_by_link(purpose, token)
    if row is None:
        raise error
    _use(row, error)
    return row


# --- preferences and consent ----------------------------------------------------------------------

def preference_for(*, person_id: int | None = None, user_id: int | None = None) -> ContactPreference:
    pref = outbox.preference_of(person_id=person_id, user_id=user_id)
    if pref is None:
        pref = ContactPreference(person_id=person_id, user_id=user_id, channels=[], reminders_off=[])
        db.session.add(pref)
        db.session.flush()
    return pref


def save_preferences(pref: ContactPreference, *, channels: list[str], reminders_off: list[str],
                     email: str | None = None, consent: bool | None = None, language: str | None = None) -> None:
    from campaign.messages.models import CHANNELS

    if language is not None:
        if language not in current_app.config.get("LANGUAGES", {"vi": "", "en": ""}):
            raise DomainError(_("Choose a language from the list."), "language")
        pref.language = language
    pref.channels = [c for c in channels if c in CHANNELS and c != "dev"]
    pref.reminders_off = [k for k in reminders_off if k in ACCOUNT_REMINDER_KINDS]
    if email is not None:
        email = email.strip().lower()
        pref.email = normalise_contact(email) if email else None
        if pref.email and "@" not in pref.email:
            raise DomainError(_("Enter a valid e-mail address."), "email")
    if consent is True and (pref.consent_at is None or pref.withdrawn_at is not None):
        pref.consent_text, pref.consent_version, pref.consent_at = consent_text(), CONSENT_VERSION, utcnow()
        pref.withdrawn_at = None
    elif consent is False and pref.withdrawn_at is None:
        pref.withdrawn_at = utcnow()
    audit("messages.preferences", pref, actor=None, channels=pref.channels, reminders_off=pref.reminders_off,
          consent=consent)


def withdraw_reminders(pref: ContactPreference) -> None:
    if pref.withdrawn_at is None:
        pref.withdrawn_at = utcnow()
        audit("messages.consent_withdrawn", pref, actor=None)
    # Reminders already queued for this person are not sent either.
    owner = (Message.person_id == pref.person_id) if pref.person_id else (Message.user_id == pref.user_id)
    db.session.execute(update(Message).where(owner, Message.kind == "reminder", Message.status == "queued")
                       .values(status="cancelled", last_error="consent withdrawn")
                       .execution_options(synchronize_session=False))


def unsubscribe(recipient: str, kind: str) -> None:
    """A reminder's "stop" link: that kind of reminder is switched off for that person or account."""
    owner_type, _sep, owner_id = recipient.partition(":")
    if owner_type not in ("person", "user") or not owner_id.isdigit():
        raise DomainError(_("This link is not valid."))
    key = {"person_id": int(owner_id)} if owner_type == "person" else {"user_id": int(owner_id)}
    model = Person if owner_type == "person" else User
    if db.session.get(model, int(owner_id)) is None:
        raise DomainError(_("This link is not valid."))
    pref = preference_for(**key)
    if kind in ACCOUNT_REMINDER_KINDS and kind not in (pref.reminders_off or []):
        pref.reminders_off = [*pref.reminders_off, kind]
    owner = (Message.person_id == pref.person_id) if pref.person_id else (Message.user_id == pref.user_id)
    db.session.execute(update(Message).where(owner, Message.kind.in_(("reminder", "report_due")),
                                             Message.status == "queued",
                                             Message.params["reminder_kind"].as_string() == kind)
                       .values(status="cancelled", last_error="reminders switched off")
                       .execution_options(synchronize_session=False))
    audit("messages.unsubscribed", pref, actor=None, kind=kind)


# --- a person's own page -------------------------------------------------------------------------

def own_data(person_ids: list[int]) -> dict:
    """Everything stored about these persons (and nothing about anyone else), for the page and the download."""
    from campaign.checkin.models import Ticket
    from campaign.courses.models import Attendance, Certificate, Course

    persons = list(db.session.scalars(select(Person).where(Person.id.in_(person_ids)).order_by(Person.id)))
    out = {"generated_at": utcnow().isoformat(), "persons": []}
    for p in persons:
        regs = list(db.session.scalars(select(Registration).where(Registration.person_id == p.id)
                                       .order_by(Registration.created_at)))
        reg_ids = [r.id for r in regs] or [-1]
        tickets = {t.registration_id: t for t in db.session.scalars(
            select(Ticket).where(Ticket.registration_id.in_(reg_ids), Ticket.revoked_at.is_(None)))}
        attendance = list(db.session.scalars(select(Attendance).where(Attendance.registration_id.in_(reg_ids))))
        certs = list(db.session.scalars(select(Certificate).where(Certificate.registration_id.in_(reg_ids))))
        courses = {c.event_id for c in db.session.scalars(select(Course).where(
            Course.event_id.in_([r.event_id for r in regs] or [-1])))}
        pref = outbox.preference_of(person_id=p.id)
        messages = list(db.session.scalars(select(Message).where(Message.person_id == p.id).order_by(Message.id)))
        out["persons"].append({
            "person": {"id": p.id, "full_name": p.full_name, "phone": p.phone, "birth_year": p.birth_year,
                       "gender": p.gender, "commune": p.commune.name if p.commune else None,
                       "village": p.village.name if p.village else None, "household_code": p.household_code,
                       "target_groups": [g for g in p.target_groups.split(",") if g], "needs": p.needs,
                       "consent_at": p.consent_at.isoformat() if p.consent_at else None,
                       "consent_version": p.consent_text, "created_at": p.created_at.isoformat()},
            "registrations": [{
                "id": r.id, "event": r.event.title, "starts_at": r.event.starts_at.isoformat(),
                "ends_at": r.event.ends_at.isoformat(), "place": r.event.place, "status": r.status,
                "is_class": r.event_id in courses, "needs": r.needs, "source": r.source,
                "created_at": r.created_at.isoformat(),
                "ticket": tickets[r.id].short_code if r.id in tickets else None,
            } for r in regs],
            "attendance": [{"registration_id": a.registration_id, "session_event_id": a.session_event_id,
                            "status": a.status, "recorded_at": a.recorded_at.isoformat()} for a in attendance],
            "certificates": [{"number": c.number, "course": c.course_title, "status": c.status,
                              "issued_at": c.issued_at.isoformat(), "verify_token": c.verify_token}
                             for c in certs],
            "preferences": None if pref is None else {
                "email": pref.email, "channels": pref.channels, "reminders_off": pref.reminders_off,
                "language": pref.language,
                "consent_version": pref.consent_version, "consent_text": pref.consent_text,
                "consent_at": pref.consent_at.isoformat() if pref.consent_at else None,
                "withdrawn_at": pref.withdrawn_at.isoformat() if pref.withdrawn_at else None,
                "erasure_requested_at": pref.erasure_requested_at.isoformat() if pref.erasure_requested_at else None},
            "messages": [{"kind": m.kind, "channel": m.channel, "address": m.address, "status": m.status,
                          "created_at": m.created_at.isoformat(),
                          "sent_at": m.sent_at.isoformat() if m.sent_at else None} for m in messages],
        })
    return out


def update_own_contacts(person: Person, *, phone: str | None, email: str | None) -> None:
    """A person corrects their phone and e-mail (after proving control of one of them)."""
    new_phone = events.normalise_phone(phone) if phone else None
    if new_phone != person.phone:
        if new_phone and db.session.scalar(select(Person.id).where(Person.phone == new_phone, Person.id != person.id)):
            raise DomainError(_("This phone number belongs to another registration; ask the organisers."), "phone")
        person.phone = new_phone
    pref = preference_for(person_id=person.id)
    email = (email or "").strip().lower()
    if email:
        email = normalise_contact(email)
        if "@" not in email:
            raise DomainError(_("Enter a valid e-mail address."), "email")
    pref.email = email or None
    audit("person.contacts_updated", person, actor=None)


def request_erasure(person: Person) -> None:
    pref = preference_for(person_id=person.id)
    if pref.erasure_requested_at is None:
        pref.erasure_requested_at = utcnow()
        audit("person.erasure_requested", person, actor=None)


def erasure_requests(user) -> list[tuple[ContactPreference, Person]]:
    rows = db.session.execute(select(ContactPreference, Person).join(Person, Person.id == ContactPreference.person_id)
                              .where(ContactPreference.erasure_requested_at.is_not(None),
                                     Person.anonymised_at.is_(None))
                              .order_by(ContactPreference.erasure_requested_at)).all()
    return [(pref, person) for pref, person in rows if events.can_anonymise(user, person)]


def carry_out_erasure(actor, person: Person) -> None:
    if not events.can_anonymise(actor, person):
        raise DomainError(_("You may not remove this person's data."))
    events.anonymise_person(actor, person)
    pref = outbox.preference_of(person_id=person.id)
    if pref is not None:
        pref.email = None
    db.session.execute(update(Message).where(Message.person_id == person.id).values(address="", params={})
                       .execution_options(synchronize_session=False))


# --- organisers ----------------------------------------------------------------------------------

@dataclass
class Announcement:
    subject: str
    body: str
    recipients: int


def announcement_recipients(event: Event) -> list[Registration]:
    from campaign.messages.hooks import people_of

    return people_of(event, statuses=("confirmed",))


def check_announcement(event: Event | None, subject: str, body: str, count: bool = True) -> Announcement:
    subject, body = nfc(subject), (body or "").strip()
    if not subject:
        raise DomainError(_("Write a subject."), "subject")
    if len(subject) > 150:
        raise DomainError(_("The subject is too long (at most 150 characters)."), "subject")
    if not body:
        raise DomainError(_("Write the message."), "body")
    if len(body) > 2000:
        raise DomainError(_("The message is too long (at most 2000 characters)."), "body")
    return Announcement(subject, body, len(announcement_recipients(event)) if count and event is not None else 0)


def send_announcement(actor, event: Event, subject: str, body: str, nonce: str) -> int:
    """Queue a one-off announcement to the event's confirmed registrants; ``nonce`` (from the preview
    form) makes a double submit send it once. Returns how many were queued."""
    from campaign.messages.hooks import event_params

    ann = check_announcement(event, subject, body)
    params = {**event_params(event), "subject_text": ann.subject, "body_text": ann.body}
    count = 0
    for reg in announcement_recipients(event):
        if outbox.queue("announcement", "event", event.id, outbox.person_recipient(reg.person), "announcement",
                        params, occasion=nonce[:60], event_id=event.id, actor=actor):
            count += 1
    audit("messages.announcement", event, actor=actor, subject=ann.subject, recipients=count)
    return count


def shift_announcement_recipients(shift) -> list:
    """The confirmed volunteers of a shift."""
    return [s for s in shift.signups if s.status == "confirmed"]


def check_shift_announcement(shift, subject: str, body: str) -> Announcement:
    ann = check_announcement(None, subject, body, count=False)
    ann.recipients = len(shift_announcement_recipients(shift))
    return ann


def send_shift_announcement(actor, shift, subject: str, body: str, nonce: str) -> int:
    """Queue a one-off announcement to a shift's confirmed volunteers (once per form nonce)."""
    from campaign.messages.hooks import shift_params
    from campaign.volunteers.services import can_manage_shift

    if not can_manage_shift(actor, shift):
        raise DomainError(_("You may not manage volunteers of this commune."))
    ann = check_shift_announcement(shift, subject, body)
    params = {**shift_params(shift), "subject_text": ann.subject, "body_text": ann.body}
    count = 0
    for signup in shift_announcement_recipients(shift):
        if outbox.queue("announcement", "shift", shift.id,
                        outbox.user_recipient(signup.volunteer.user, signup.volunteer.phone), "announcement",
                        params, occasion=nonce[:60], actor=actor):
            count += 1
    audit("messages.shift_announcement", shift, actor=actor, subject=ann.subject, recipients=count)
    return count


def resend(actor, message: Message) -> None:
    """Queue a failed (or sent) message again, under its own row: now, attempts reset."""
    if message.status in ("queued", "sending"):
        raise DomainError(_("This message is still waiting to be sent."))
    if any(k.startswith(outbox.SECRET_PREFIX) and not v for k, v in (message.params or {}).items()):
        raise DomainError(_("This message held a private link, which is not kept once sent. The person can ask "
                            "for their links again."))
    message.status, message.attempts, message.due_at = "queued", 0, utcnow()
    message.last_error, message.lease_until = "", None
    db.session.info["messages_queued"] = True
    audit("messages.resent", message, actor=actor)


def event_messages(event: Event, status: str = ""):
    stmt = select(Message).where(Message.event_id == event.id).order_by(Message.created_at.desc(), Message.id.desc())
    if status:
        stmt = stmt.where(Message.status == status)
    return stmt


def status_counts(event: Event) -> dict[str, int]:
    return dict(db.session.execute(select(Message.status, func.count()).where(Message.event_id == event.id)
                                   .group_by(Message.status)).all())

