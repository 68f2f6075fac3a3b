"""Home cards of check-in: the events a steward scans at today, one tap to the scanner (which also
takes a typed ticket code)."""

from __future__ import annotations

from datetime import date

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select

from campaign.checkin.models import StewardGrant
from campaign.core.cards import Card
from campaign.core.timeutil import day_end, day_start, format_time
from campaign.events.models import Event
from campaign.extensions import db


def cards(user, today: date) -> list[Card]:
    """One query: the events happening today that the user is a steward of (directly, or through the
    event above them: a class's session, a ceremony's bridge point)."""
    granted = select(StewardGrant.event_id).where(StewardGrant.user_id == user.id, StewardGrant.revoked_at.is_(None))
    rows = db.session.scalars(
        select(Event).where(or_(Event.id.in_(granted), Event.parent_id.in_(granted)),
                            Event.status == "published", Event.starts_at < day_end(today),
                            Event.ends_at > day_start(today))
        .order_by(Event.starts_at, Event.id).limit(10)).all()
    return [Card(title=_("Check-in today at %(time)s: %(title)s", time=format_time(e.starts_at), title=e.title),
                 detail=e.place or "", action=_("Open the scanner"), priority=5, kind="scan",
                 url=url_for("checkin.scanner", event_id=e.id)) for e in rows]
