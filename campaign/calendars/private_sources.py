"""The private feeds' contents, one function per scope (registered in sources.PRIVATE)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import url_for
from sqlalchemy import or_, select

from campaign.calendars import event_feed, sources
from campaign.calendars.ical import FeedItem
from campaign.events import services as event_services
from campaign.events.models import Event


def _link(event) -> str:
    """The public page of a public event, the organiser's page of any other (``event``: a feed row)."""
    if event.visibility == "public" and event.status in ("published", "cancelled"):
        return url_for("events.event_page", event_id=event.id, _external=True)
    return url_for("events.manage_event", event_id=event.id, _external=True)


def my_events(user, start, end) -> list[FeedItem]:
    """Events the user created or hosts (a bridge point's host, say), drafts included."""
    stmt = select(Event).where(or_(Event.created_by_id == user.id, Event.host_user_id == user.id))
    return event_feed.feed_items(stmt, start, end, _link)


def organiser(user, start, end) -> list[FeedItem]:
    """Everything the user organises in their scope (communes and province)."""
    stmt = event_services.managed_events_query(user).order_by(None)
    return event_feed.feed_items(stmt, start, end, _link)


sources.PRIVATE.update({"my_events": my_events, "organiser": organiser})


# --- classes (courses: sessions are child events of the course's event) -------------------------

def my_classes(user, start, end) -> list[FeedItem]:
    """Sessions of the classes the user teaches, or is enrolled in (as a learner with an account)."""
    from campaign.courses.models import Course, course_trainers
    from campaign.events.models import Person, Registration

    teaching = select(Course.event_id).join(course_trainers, course_trainers.c.course_id == Course.id).where(
        course_trainers.c.user_id == user.id)
    learning = select(Registration.event_id).join(Person, Person.id == Registration.person_id).where(
        Person.user_id == user.id, Registration.status == "confirmed")
    stmt = select(Event).where(Event.parent_id.in_(teaching.union(learning).subquery().select()),
                               Event.status != "draft")
    return event_feed.feed_items(stmt, start, end, _link)


# --- venue bookings -----------------------------------------------------------------------------

BOOKING_STATUS = {"approved": "CONFIRMED", "pending": "TENTATIVE", "cancelled": "CANCELLED",
                  "rejected": "CANCELLED"}


def booking_items(bookings, *, detail: bool) -> list[FeedItem]:
    """Bookings as events. ``detail``: the requester's own feed (purpose, status, link); otherwise a
    public busy time with no purpose or person."""
    from flask_babel import gettext as _

    items = []
    for b in bookings:
        venue = b.venue
        place = ", ".join(p for p in (venue.name, venue.address) if p)
        geo = (venue.latitude, venue.longitude) if venue.latitude is not None and venue.longitude is not None else None
        if detail:
            items.append(FeedItem(uid=b.uid, summary=f"{b.purpose} — {venue.name}", start=b.starts_at, end=b.ends_at,
                                  last_modified=b.updated_at, sequence=b.sequence,
                                  status=BOOKING_STATUS.get(b.status, "CONFIRMED"), location=place, geo=geo,
                                  url=url_for("venues.booking", booking_id=b.id, _external=True)))
        else:
            items.append(FeedItem(uid=b.uid, summary=_("Booked: %(venue)s", venue=venue.name), start=b.starts_at,
                                  end=b.ends_at, last_modified=b.updated_at, sequence=b.sequence, location=place,
                                  geo=geo))
    return items


def my_bookings(user, start, end) -> list[FeedItem]:
    from sqlalchemy.orm import joinedload

    from campaign.venues.models import Booking

    rows = db_scalars(select(Booking).options(joinedload(Booking.venue)).where(
        Booking.requester_id == user.id, Booking.ends_at >= start, Booking.starts_at <= end,
        or_(Booking.status.in_(("approved", "pending")), Booking.ends_at >= datetime.now(UTC))))
    return booking_items(rows, detail=True)


# --- volunteer shifts ---------------------------------------------------------------------------

def my_shifts(user, start, end) -> list[FeedItem]:
    """The shifts the volunteer is on (confirmed) or waiting for (tentative). No other volunteer's name."""
    from flask_babel import gettext as _
    from sqlalchemy.orm import joinedload

    from campaign.volunteers.models import Shift, Signup, VolunteerProfile

    rows = db_scalars(select(Signup).options(joinedload(Signup.shift)).join(Shift).join(
        VolunteerProfile, VolunteerProfile.id == Signup.volunteer_id).where(
        VolunteerProfile.user_id == user.id, Signup.status.in_(("confirmed", "waitlisted")),
        Shift.ends_at >= start, Shift.starts_at <= end))
    items = []
    for signup in rows:
        shift = signup.shift
        place = ", ".join(p for p in (shift.location, shift.village.name if shift.village else "",
                                      shift.commune.name if shift.commune else "") if p)
        title = shift.title or _("Volunteer shift")
        if signup.status == "waitlisted":
            title = _("%(title)s (waiting list)", title=title)
        # the signup's own changes (a waiting-list promotion) move the entry too
        items.append(FeedItem(uid=shift.uid, summary=title, start=shift.starts_at, end=shift.ends_at,
                              last_modified=max(shift.updated_at, signup.updated_at),
                              sequence=shift.sequence + signup.sequence,
                              status="CONFIRMED" if signup.status == "confirmed" else "TENTATIVE",
                              location=place, url=url_for("volunteers.my_shifts", _external=True)))
    return items


def db_scalars(stmt):
    from campaign.extensions import db

    return list(db.session.scalars(stmt).unique())


sources.PRIVATE.update({"my_classes": my_classes, "my_bookings": my_bookings, "my_shifts": my_shifts})
