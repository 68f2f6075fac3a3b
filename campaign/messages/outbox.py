"""The outbox: queue a message in the caller's transaction, deliver it after commit.

Queueing (:func:`queue`) inserts a row with ``INSERT ... ON CONFLICT DO NOTHING`` on the message's
unique key (kind, object, recipient, occasion): the same message is queued once however often the
code that queues it runs, even from two processes at once. Nothing is sent before the caller commits;
a rolled-back change rolls its messages back with it.

Delivery (:func:`deliver_due`) claims due rows in a short transaction of its own: on PostgreSQL
``SELECT ... FOR UPDATE SKIP LOCKED`` picks rows no other worker holds, and a conditional
``UPDATE ... WHERE status = 'queued'`` (the same on SQLite, whose single writer serialises it) turns
them into ``sending`` with a lease. Only the worker that made that update sends. A worker that dies
mid-send leaves the row ``sending``; once the lease has passed another worker claims it again and
sends it with the same idempotency key (the provider's request id, the e-mail's Message-ID).
Temporary failures are retried with backoff, permanent ones fail with the reason.

After commit: with ``REDIS_URL`` an rq job delivers; without it the request delivers inline once its
response is ready (``after_request``), and ``flask messages tick`` delivers whatever is due.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, g, has_app_context, has_request_context
from flask_babel import force_locale
from sqlalchemy import and_, event, or_, select, update
from sqlalchemy.orm import Session

from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.messages import channels
from campaign.messages.channels import Outgoing, PermanentError, TemporaryError
from campaign.messages.models import ContactPreference, Message

log = logging.getLogger(__name__)

QUEUE = "messages"
MAX_ATTEMPTS = 6
BACKOFF = (60, 300, 1800, 7200, 21600)  # seconds before attempt 2, 3, 4, 5, 6
LEASE_SECONDS = 300  # a claim older than this is taken to be a dead worker's
BATCH = 200
SECRET_PREFIX = "private_"  # params holding a secret (a private link): removed once sent


def setting_int(name: str, default: int) -> int:
    try:
        return int(channels.setting(name, str(default)))
    except ValueError:
        return default


# --- recipients ----------------------------------------------------------------------------------

@dataclass
class Recipient:
    key: str  # "person:12", "user:3", "contact:<hash>"
    person_id: int | None = None
    user_id: int | None = None
    email: str | None = None
    phone: str | None = None
    language: str = "vi"
    channels: list = field(default_factory=list)
    reminders_off: list = field(default_factory=list)
    reminders_allowed: bool = True
    name: str = ""

    def address_for(self, channel: str) -> str:
        if channel == "email":
            return self.email or ""
        if channel in ("sms", "zalo"):
            return self.phone or ""
        return self.email or self.phone or ""


def preference_of(*, person_id: int | None = None, user_id: int | None = None) -> ContactPreference | None:
    if person_id is not None:
        return db.session.scalar(select(ContactPreference).where(ContactPreference.person_id == person_id))
    if user_id is not None:
        return db.session.scalar(select(ContactPreference).where(ContactPreference.user_id == user_id))
    return None


def _apply_preference(rec: Recipient, pref: ContactPreference | None) -> Recipient:
    if pref is not None:
        rec.email = pref.email or rec.email
        rec.channels = list(pref.channels or [])
        rec.reminders_off = list(pref.reminders_off or [])
        rec.reminders_allowed = pref.withdrawn_at is None
        rec.language = pref.language or "vi"
    return rec


def person_recipient(person, pref: ContactPreference | None | bool = False) -> Recipient:
    """A resident (``events.Person``): the phone on the person, the e-mail from their preferences (or
    their linked account)."""
    email = None
    if person.user_id is not None:
        from campaign.accounts.models import User

        user = db.session.get(User, person.user_id)
        email = user.email if user is not None else None
    rec = Recipient(key=f"person:{person.id}", person_id=person.id, phone=person.phone, email=email,
                    name=person.full_name)
    if pref is False:
        pref = preference_of(person_id=person.id)
    return _apply_preference(rec, pref)


def user_recipient(user, phone: str | None = None) -> Recipient:
    """An account holder (a volunteer, an organiser): the account's e-mail, the volunteer profile's phone."""
    if phone is None:
        from campaign.volunteers.models import VolunteerProfile

        phone = db.session.scalar(select(VolunteerProfile.phone).where(VolunteerProfile.user_id == user.id))
    rec = Recipient(key=f"user:{user.id}", user_id=user.id, email=user.email, phone=phone, name=user.full_name)
    return _apply_preference(rec, preference_of(user_id=user.id))


def contact_recipient(contact: str) -> Recipient:
    """A bare contact typed into a form (lost links): only that contact is ever written to."""
    digest = hashlib.sha256(contact.encode()).hexdigest()[:32]
    if "@" in contact:
        return Recipient(key=f"contact:{digest}", email=contact, channels=["email"])
    return Recipient(key=f"contact:{digest}", phone=contact, channels=["zalo", "sms"])


def choose_channel(rec: Recipient, template: str) -> tuple[str, str] | None:
    """The first channel the recipient prefers (else the configured order) that can carry this
    template to one of their addresses: (channel, address), or None when they cannot be reached."""
    available = channels.configured()
    order = [c for c in rec.channels if c in available] + [c for c in available if c not in rec.channels]
    for name in order:
        address = rec.address_for(name)
        if address and channels.get(name).accepts(address, template):
            return name, address
    return None


# --- queueing ------------------------------------------------------------------------------------

def _insert(values: dict) -> bool:
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(Message.__table__).values(**values).on_conflict_do_nothing(
        index_elements=["kind", "object_type", "object_id", "recipient", "occasion"]).returning(Message.__table__.c.id)
    return db.session.execute(stmt).first() is not None


def queue(kind: str, object_type: str, object_id: int, rec: Recipient, template: str, params: dict, *,
          occasion: str = "", due_at: datetime | None = None, event_id: int | None = None,
          reminder_kind: str | None = None, actor=None) -> bool:
    """Queue one message in the caller's transaction. Returns whether a new row was written (False:
    already queued under this key, or the recipient cannot be reached, or does not want reminders of
    this kind). ``params`` must be JSON (times as ISO strings)."""
    if reminder_kind is not None and (not rec.reminders_allowed or reminder_kind in rec.reminders_off):
        return False
    chosen = choose_channel(rec, template)
    if chosen is None:
        return False
    channel, address = chosen
    written = _insert(dict(
        kind=kind, object_type=object_type, object_id=object_id, recipient=rec.key, occasion=occasion[:60],
        person_id=rec.person_id, user_id=rec.user_id, event_id=event_id, channel=channel, address=address[:254],
        template=template, params={**params, "recipient_name": rec.name}, language=rec.language or "vi",
        due_at=due_at or utcnow(), status="queued", attempts=0, last_error="", provider_id="",
        created_by_id=getattr(actor, "id", None), created_at=utcnow()))
    if written:
        db.session.info["messages_queued"] = True
    return written


# --- after commit --------------------------------------------------------------------------------

@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    if not session.info.pop("messages_queued", False) or not has_app_context():
        return
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url and not current_app.config.get("MESSAGES_INLINE"):
        try:
            from redis import Redis
            from rq import Queue

            name = current_app.config.get("MESSAGES_QUEUE") or QUEUE
            Queue(name, connection=Redis.from_url(redis_url)).enqueue(deliver_queued, job_timeout=600)
            return
        except Exception:  # noqa: BLE001 - Redis down: the tick or the request delivers
            log.exception("could not queue message delivery; delivering inline")
    if has_request_context():
        g.messages_deliver = True


@event.listens_for(Session, "after_rollback")
def _after_rollback(session) -> None:
    session.info.pop("messages_queued", None)


def deliver_after_request(response):
    """``after_request``: deliver what this request queued (inline, without Redis)."""
    if g.pop("messages_deliver", False):
        try:
            deliver_due()
        except Exception:  # noqa: BLE001 - a delivery problem never breaks the page; the tick retries
            log.exception("inline message delivery failed")
            db.session.rollback()
    return response


def deliver_queued() -> dict:
    """The rq entry point."""
    if has_app_context():
        return dict(deliver_due())
    from campaign import create_app

    with create_app().app_context():
        return dict(deliver_due())


# --- claiming and delivering --------------------------------------------------------------------

def _due_condition(now: datetime):
    return or_(and_(Message.status == "queued", Message.due_at <= now),
               and_(Message.status == "sending", Message.lease_until < now))


def claim(limit: int = BATCH, now: datetime | None = None) -> list[int]:
    """Take up to ``limit`` due messages for this worker and commit: returns their ids. Safe when
    several workers claim at once (each row goes to one of them)."""
    now = now or utcnow()
    lease = now + timedelta(seconds=setting_int("MESSAGES_LEASE_SECONDS", LEASE_SECONDS))
    candidates = select(Message.id).where(_due_condition(now)).order_by(Message.due_at, Message.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        ids = list(db.session.scalars(candidates.with_for_update(skip_locked=True)))
        if not ids:
            db.session.rollback()
            return []
        which = Message.id.in_(ids)
    else:  # SQLite: one UPDATE picks and takes the rows under the write lock (no two readers pick the same)
        which = Message.id.in_(candidates.scalar_subquery())
    claimed = list(db.session.scalars(
        update(Message).where(which, _due_condition(now))
        .values(status="sending", lease_until=lease, attempts=Message.attempts + 1)
        .returning(Message.id).execution_options(synchronize_session=False)))
    db.session.commit()
    return sorted(claimed)


def deliver_due(limit: int | None = None, now: datetime | None = None) -> Counter:
    """Claim and deliver due messages until none is left (or ``limit`` were handled); returns counts
    by outcome (sent, retry, failed)."""
    counts: Counter = Counter()
    handled = 0
    try:
        while limit is None or handled < limit:
            batch = claim(min(BATCH, limit - handled) if limit else BATCH, now=now)
            if not batch:
                break
            messages = {m.id: m for m in db.session.scalars(select(Message).where(Message.id.in_(batch)))}
            for m in messages.values():
                db.session.expunge(m)  # kept as loaded (a commit would expire them: a query each)
            db.session.commit()  # nothing held while talking to providers
            for message_id in batch:
                counts[deliver_claimed(messages[message_id])] += 1
                handled += 1
    finally:
        channels.close_all()
    return counts


def deliver_claimed(message: Message) -> str:
    """Send one claimed message and record the outcome."""
    try:
        out = render(message)
        sent = channels.get(message.channel).send(out)
    except TemporaryError as exc:
        return _record_failure(message, str(exc), temporary=True)
    except PermanentError as exc:
        return _record_failure(message, str(exc), temporary=False)
    except Exception as exc:  # noqa: BLE001 - an unexpected error is retried, and logged
        log.exception("message %s could not be sent", message.id)
        return _record_failure(message, f"{type(exc).__name__}: {exc}", temporary=True)
    params = {k: ("" if k.startswith(SECRET_PREFIX) else v) for k, v in (message.params or {}).items()}
    db.session.execute(update(Message).where(Message.id == message.id, Message.status == "sending").values(
        status="sent", sent_at=utcnow(), lease_until=None, last_error="", provider_id=sent.provider_id[:120],
        segments=sent.segments, params=params).execution_options(synchronize_session=False))
    db.session.commit()
    return "sent"


def _record_failure(message: Message, reason: str, temporary: bool) -> str:
    attempts = message.attempts
    if temporary and attempts < setting_int("MESSAGES_MAX_ATTEMPTS", MAX_ATTEMPTS):
        delay = BACKOFF[min(attempts - 1, len(BACKOFF) - 1)] if attempts >= 1 else BACKOFF[0]
        values = dict(status="queued", due_at=utcnow() + timedelta(seconds=delay), lease_until=None,
                      last_error=reason[:2000])
        outcome = "retry"
    else:
        values = dict(status="failed", lease_until=None, last_error=reason[:2000])
        outcome = "failed"
    db.session.execute(update(Message).where(Message.id == message.id, Message.status == "sending")
                       .values(**values).execution_options(synchronize_session=False))
    db.session.commit()
    log.info("message %s %s: %s", message.id, outcome, reason)
    return outcome


# --- rendering -----------------------------------------------------------------------------------

def _context(message: Message) -> dict:
    params = dict(message.params or {})  # times are ISO strings: "..._at" keys become datetimes
    for key, value in list(params.items()):
        if key.endswith("_at") and isinstance(value, str) and value:
            try:
                params[key] = datetime.fromisoformat(value)
            except ValueError:
                pass
    if params.get("ticket_for"):
        params.update(_ticket(int(params["ticket_for"])))
    return {**params, "message": message, "channel": message.channel}


def _ticket(registration_id: int) -> dict:
    """The registration's live check-in ticket (issued when it was confirmed), for the message."""
    from campaign.checkin import services as checkin
    from campaign.events.models import Registration
    from campaign.messages.links import absolute

    reg = db.session.get(Registration, registration_id)
    ticket = checkin.current_ticket(reg) if reg is not None else None
    if ticket is None:
        return {}
    return {"ticket_code": ticket.short_code, "private_ticket_url": absolute("checkin.ticket", token=ticket.token)}


def _render_block(template_name: str, block: str, context: dict) -> str:
    env = current_app.jinja_env
    tmpl = env.get_template(template_name)
    if block not in tmpl.blocks:
        return ""
    ctx = tmpl.new_context(context)
    return "".join(tmpl.blocks[block](ctx)).strip()


def render(message: Message) -> Outgoing:
    """The message in its language: subject, plain text, HTML, SMS text, template data."""
    g.messages_render = True  # flask-babel's force_locale needs a non-empty g outside a request
    with force_locale(message.language or "vi"):
        context = _context(message)
        # a template of the messages feature ("reminder"), or another feature's ("filings/mail/report_due")
        base = message.template if "/" in message.template else f"messages/mail/{message.template}"
        subject = _render_block(base + ".txt", "subject", context)
        text = _render_block(base + ".txt", "text", context)
        sms = _render_block(base + ".txt", "sms", context)
        html = current_app.jinja_env.get_template(base + ".html").render(**context, subject=subject)
        if message.channel in ("sms", "zalo"):
            sms = fit_sms(sms or text, context, base)
    headers = {}
    unsubscribe = (message.params or {}).get("unsubscribe_url")
    if unsubscribe and message.channel == "email":
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    zalo_params = {k: v for k, v in (message.params or {}).items()
                   if not k.startswith(SECRET_PREFIX) and isinstance(v, (str, int, float))}
    if "private_url" in (message.params or {}):
        zalo_params["link"] = message.params["private_url"]
    return Outgoing(key=message.key, address=message.address, subject=subject, text=text, html=html, sms=sms,
                    template=message.template, params=zalo_params, headers=headers)


def fit_sms(text: str, context: dict, base: str) -> str:
    """The unaccented SMS text, fitting one 160-character segment when it can: the title (the only
    long free text) is shortened to make room; the link is never cut."""
    plain = channels.unaccent(" ".join(text.split()))
    if len(plain) <= 160 or not context.get("title"):
        return plain
    title = str(context["title"])
    cut = max(len(title) - (len(plain) - 160) - 3, 8)
    shorter = dict(context, title=title[:cut].rstrip() + "...")
    return channels.unaccent(" ".join(_render_block(base + ".txt", "sms", shorter).split()))
