"""Demo data: tickets for every demo registration, and the demo volunteer ``tnv.an`` as check-in
steward of a demo class in Trấn Biên and of today's help point there (idempotent)."""

import uuid as uuidlib
from datetime import timedelta

from sqlalchemy import select

from campaign.accounts.models import User
from campaign.checkin import services
from campaign.checkin.models import StewardGrant, Ticket
from campaign.events.models import Event, Registration
from campaign.extensions import db

TRAN_BIEN = 26041
STEWARD = "tnv.an"


def load(context: dict) -> None:
    event_ids = db.session.scalars(select(Registration.event_id).distinct()).all()
    issued = sum(services.issue_missing_tickets(event_id) for event_id in event_ids)
    steward = db.session.scalar(select(User).where(User.username == STEWARD))
    # The demo's residents are registered for a Trấn Biên class: the steward and the offline
    # conflict go there (the first published event of the commune may have no registration).
    event = db.session.scalar(
        select(Event).where(Event.commune_code == TRAN_BIEN, Event.status == "published",
                            select(Ticket.id).where(Ticket.event_id == Event.id, Ticket.revoked_at.is_(None)).exists())
        .order_by(Event.starts_at, Event.id).limit(1))
    today = db.session.get(Event, context["event_today"]) if context.get("event_today") else None
    granted = sum(_grant(e, steward) for e in {event, today} if e is not None) if steward is not None else 0
    db.session.flush()
    stored = offline_conflict(event, steward)
    conflicts = len(services.conflicts(event)) if event is not None else 0
    where = f" (/checkin/events/{event.id}/conflicts)" if conflicts else ""
    context["echo"](f"checkin: {issued} tickets issued, {granted} steward grants for {STEWARD}, "
                    f"{stored} offline scans, {conflicts} offline conflict{'s' if conflicts != 1 else ''}{where}")


def _grant(event, steward) -> int:
    exists = db.session.scalar(select(StewardGrant.id).where(
        StewardGrant.event_id == event.id, StewardGrant.user_id == steward.id, StewardGrant.revoked_at.is_(None)))
    if exists is not None:
        return 0
    db.session.add(StewardGrant(event_id=event.id, user_id=steward.id))
    return 1


def offline_conflict(event, steward) -> int:
    """Two phones without signal admitted the same person at the demo event (offline check-in): the earlier
    admission counts, the other shows on the organisers' conflicts page. Fixed UUIDs: idempotent."""
    if event is None or steward is None:
        return 0
    ticket = db.session.scalar(select(Ticket).where(Ticket.event_id == event.id, Ticket.revoked_at.is_(None))
                               .order_by(Ticket.id).limit(1))
    if ticket is None:
        return 0
    stored = 0
    for n, minutes in ((1, 10), (2, 12)):  # the earlier scan arrives second and takes the place
        client_uuid = str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"campaign-demo/offline/{event.id}/{n}"))
        if services.by_uuid(client_uuid) is not None:
            continue
        data = services.Scan(uuid=client_uuid, event_id=event.id, code=ticket.code, device_id=f"demo-phone-{n}",
                             device_time=event.starts_at - timedelta(minutes=minutes), method="sync")
        services.sync_scan(data, steward, event, "accepted")
        stored += 1
    db.session.flush()
    return stored
