"""Home cards of the venues: the booking requests a commune officer (or a venue's manager) has to decide."""

from __future__ import annotations

from datetime import date, timedelta

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, or_, select

from campaign.core.cards import Card
from campaign.core.timeutil import day_start, format_datetime
from campaign.extensions import db
from campaign.venues.models import PENDING, Booking, Venue, venue_managers


def _communes(user) -> list[int]:
    return sorted({gr.commune_code for gr in user.grants if gr.role == "commune_officer" and gr.commune_code})


def cards(user, today: date) -> list[Card]:
    """One query: per commune, the pending requests not yet past, how many and the soonest."""
    communes = _communes(user)
    managed = select(venue_managers.c.venue_id).where(venue_managers.c.user_id == user.id)
    where = [Venue.commune_code.in_(communes)] if communes else []
    rows = db.session.execute(
        select(Venue.commune_code, func.count(Booking.id), func.min(Booking.starts_at), func.min(Booking.id))
        .join(Venue, Venue.id == Booking.venue_id)
        .where(Booking.status == PENDING, Booking.starts_at >= day_start(today),
               or_(Venue.id.in_(managed), *where))
        .group_by(Venue.commune_code).order_by(Venue.commune_code)).all()
    out = []
    soon = day_start(today + timedelta(days=8))
    for code, count, first, booking_id in rows:
        url = (url_for("venues.booking", booking_id=booking_id) if count == 1
               else url_for("venues.commune_bookings", code=code, status=PENDING))
        out.append(Card(title=ngettext("%(num)d booking request to decide", "%(num)d booking requests to decide",
                                       count),
                        detail=_("The first on %(when)s", when=format_datetime(first)), action=_("Approve or reject"),
                        count=count, priority=10 if first < soon else 25, kind="bookings", url=url))
    return out
