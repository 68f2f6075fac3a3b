"""Demo data: tickets for every demo registration, and the demo volunteer ``tnv.an`` as check-in
steward of a demo event in Trấn Biên (idempotent)."""

from sqlalchemy import select

from campaign.accounts.models import User
from campaign.checkin import services
from campaign.checkin.models import StewardGrant
from campaign.events.models import Event, Registration
from campaign.extensions import db

TRAN_BIEN = 26041
STEWARD = "tnv.an"


def load(context: dict) -> None:
    event_ids = db.session.scalars(select(Registration.event_id).distinct()).all()
    issued = sum(services.issue_missing_tickets(event_id) for event_id in event_ids)
    steward = db.session.scalar(select(User).where(User.username == STEWARD))
    event = db.session.scalar(
        select(Event).where(Event.commune_code == TRAN_BIEN, Event.status == "published")
        .order_by(Event.starts_at, Event.id).limit(1))
    granted = 0
    if steward is not None and event is not None:
        exists = db.session.scalar(select(StewardGrant.id).where(
            StewardGrant.event_id == event.id, StewardGrant.user_id == steward.id, StewardGrant.revoked_at.is_(None)))
        if exists is None:
            db.session.add(StewardGrant(event_id=event.id, user_id=steward.id))
            granted = 1
    db.session.flush()
    context["echo"](f"checkin: {issued} tickets issued, {granted} steward grant for {STEWARD}")
