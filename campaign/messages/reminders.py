"""Reminders before events, class sessions and shifts, queued by the scheduler (``flask messages tick``).

Each reminder's key is (``reminder``, the event or shift, the person, "<hours>h@<start>"): running the
tick twice, or from two machines at once, queues it once (``INSERT ... ON CONFLICT DO NOTHING``); a
moved event gets new reminders for its new start. Offsets are configured per kind in hours
(``MESSAGES_REMINDERS_EVENT``, ``..._SESSION``, ``..._SHIFT``; default "24,2"). No reminder is sent
between 21:00 and 07:00 local time: one due then waits until 07:00, unless the start is sooner.
A reminder whose moment passed more than ``CATCH_UP`` ago (the scheduler was down, the person
registered later) is not sent: the next one, or the confirmation, does the job.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

from sqlalchemy import select

from campaign.core.timeutil import LOCAL_TZ, format_datetime, to_local
from campaign.core.types import utcnow
from campaign.events.models import Event, Person, Registration
from campaign.extensions import db
from campaign.messages import outbox
from campaign.messages.channels import setting
from campaign.messages.links import unsubscribe_url
from campaign.messages.models import ContactPreference

KINDS = ("event", "session", "shift")
DEFAULT_OFFSETS = (24, 2)
CATCH_UP = timedelta(hours=3)
QUIET_START, QUIET_END = time(21, 0), time(7, 0)


def offsets(kind: str) -> list[float]:
    raw = setting(f"MESSAGES_REMINDERS_{kind.upper()}", "")
    if not raw.strip():
        return list(DEFAULT_OFFSETS)
    values = []
    for part in raw.split(","):
        try:
            value = float(part)
        except ValueError:
            continue
        if 0 < value <= 24 * 14:
            values.append(value)
    return values


def quiet_adjusted(due: datetime, starts_at: datetime) -> datetime:
    """A reminder due in the quiet hours (21:00-07:00 local) waits until 07:00, unless the start is sooner."""
    local = to_local(due)
    if QUIET_END <= local.time() < QUIET_START:
        return due
    morning = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    wake = datetime.combine(morning, QUIET_END, tzinfo=LOCAL_TZ)
    return wake if wake < starts_at else due


def _label(hours: float) -> str:
    return f"{hours:g}h"


def _window(now: datetime, hours: float) -> tuple[datetime, datetime]:
    """Starts whose reminder of ``hours`` is due by now and not older than CATCH_UP."""
    return now + timedelta(hours=hours) - CATCH_UP, now + timedelta(hours=hours)


def _person_recipients(person_ids) -> dict[int, outbox.Recipient]:
    """Recipients of many persons in two queries (the persons with their account's e-mail, the preferences)."""
    from campaign.accounts.models import User

    ids = sorted(set(person_ids))
    result: dict[int, outbox.Recipient] = {}
    for chunk in (ids[i:i + 900] for i in range(0, len(ids), 900)):
        rows = db.session.execute(select(Person.id, Person.full_name, Person.phone, User.email)
                                  .outerjoin(User, User.id == Person.user_id).where(Person.id.in_(chunk)))
        for pid, name, phone, email in rows:
            result[pid] = outbox.Recipient(key=f"person:{pid}", person_id=pid, phone=phone, email=email, name=name)
        for pref in db.session.scalars(select(ContactPreference).where(ContactPreference.person_id.in_(chunk))):
            outbox._apply_preference(result[pref.person_id], pref)
    return result


def _queue_for_events(now: datetime, kind: str) -> int:
    queued = 0
    for hours in offsets(kind):
        lo, hi = _window(now, hours)
        kinds_filter = Event.kind == "class_session" if kind == "session" else Event.kind.notin_(
            ("class_session", "launch_ceremony", "national_day"))
        events = list(db.session.scalars(select(Event).where(Event.status == "published", kinds_filter,
                                                             Event.starts_at > lo, Event.starts_at <= hi,
                                                             Event.starts_at > now)))
        if not events:
            continue
        target_of = {e.id: (e.parent_id if kind == "session" and e.parent_id else e.id) for e in events}
        regs = db.session.execute(select(Registration.event_id, Registration.person_id, Registration.created_at)
                                  .where(Registration.event_id.in_(set(target_of.values())),
                                         Registration.status == "confirmed")).all()
        by_target = defaultdict(list)
        for event_id, person_id, created_at in regs:
            by_target[event_id].append((person_id, created_at))
        recipients = _person_recipients(p for p, _c in ((r[1], r[2]) for r in regs))
        rows = []
        for event in events:
            due = event.starts_at - timedelta(hours=hours)
            params_base = {"title": event.title, "starts_at": event.starts_at.isoformat(),
                           "ends_at": event.ends_at.isoformat(), "when": format_datetime(event.starts_at),
                           "where": ", ".join(p for p in (event.place, event.address) if p)
                           or (event.commune.name if event.commune else ""),
                           "online_url": event.online_url or "", "reminder_kind": kind}
            for person_id, created_at in by_target[target_of[event.id]]:
                if created_at > due:
                    continue  # registered after the moment of this reminder: the confirmation did it
                rec = recipients.get(person_id)
                if rec is None:
                    continue
                rows.append((event, rec, dict(params_base), due))
        queued += _queue_many(rows, kind, hours, "event")
    return queued


def _queue_for_shifts(now: datetime) -> int:
    from campaign.accounts.models import User
    from campaign.volunteers.models import Shift, Signup, VolunteerProfile

    queued = 0
    for hours in offsets("shift"):
        lo, hi = _window(now, hours)
        shifts = list(db.session.scalars(select(Shift).where(Shift.starts_at > lo, Shift.starts_at <= hi,
                                                             Shift.starts_at > now)))
        if not shifts:
            continue
        rows_db = db.session.execute(
            select(Signup.shift_id, Signup.created_at, User.id, User.full_name, User.email, VolunteerProfile.phone)
            .join(VolunteerProfile, VolunteerProfile.id == Signup.volunteer_id)
            .join(User, User.id == VolunteerProfile.user_id)
            .where(Signup.shift_id.in_([s.id for s in shifts]), Signup.status == "confirmed")).all()
        prefs = {p.user_id: p for p in db.session.scalars(select(ContactPreference).where(
            ContactPreference.user_id.in_({r[2] for r in rows_db} or {-1})))}
        by_shift = {s.id: s for s in shifts}
        rows = []
        for shift_id, created_at, user_id, name, email, phone in rows_db:
            shift = by_shift[shift_id]
            due = shift.starts_at - timedelta(hours=hours)
            if created_at > due:
                continue
            rec = outbox._apply_preference(outbox.Recipient(key=f"user:{user_id}", user_id=user_id, email=email,
                                                            phone=phone, name=name), prefs.get(user_id))
            params = {"title": shift.title or shift.commune.name, "starts_at": shift.starts_at.isoformat(),
                      "ends_at": shift.ends_at.isoformat(), "when": format_datetime(shift.starts_at),
                      "where": ", ".join(p for p in (shift.location, shift.commune.name) if p),
                      "reminder_kind": "shift"}
            rows.append((shift, rec, params, due))
        queued += _queue_many(rows, "shift", hours, "shift")
    return queued


def _queue_many(rows, kind: str, hours: float, object_type: str) -> int:
    """Queue the reminders of one offset (one INSERT ... ON CONFLICT DO NOTHING each)."""
    count = 0
    for obj, rec, params, due in rows:
        params["unsubscribe_url"] = unsubscribe_url(rec.key, kind)
        occasion = f"{_label(hours)}@{obj.starts_at.strftime('%Y%m%dT%H%M')}"
        if outbox.queue("reminder", object_type, obj.id, rec, "reminder", params, occasion=occasion,
                        due_at=quiet_adjusted(due, obj.starts_at), reminder_kind=kind,
                        event_id=obj.id if object_type == "event" else None):
            count += 1
    return count


def queue_due_reminders(now: datetime | None = None) -> int:
    """Queue every reminder due by ``now`` (idempotent). The caller commits."""
    now = now or utcnow()
    return _queue_for_events(now, "event") + _queue_for_events(now, "session") + _queue_for_shifts(now)
