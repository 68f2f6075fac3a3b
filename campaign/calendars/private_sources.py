"""The private feeds' contents, one function per scope (registered in sources.PRIVATE)."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import or_, select

from campaign.calendars import event_feed, sources
from campaign.calendars.ical import FeedItem
from campaign.events import services as event_services
from campaign.events.models import Event


def _link(event: Event) -> str:
    if event.is_public:
        return url_for("events.event_page", event_id=event.id, _external=True)
    return url_for("events.manage_event", event_id=event.id, _external=True)


def my_events(user, start, end) -> list[FeedItem]:
    """Events the user created or hosts (a bridge point's host, say), drafts included."""
    stmt = select(Event).where(or_(Event.created_by_id == user.id, Event.host_user_id == user.id))
    return event_feed.event_items(event_feed.load(event_feed.in_window(stmt, start, end)), _link)


def organiser(user, start, end) -> list[FeedItem]:
    """Everything the user organises in their scope (communes and province)."""
    stmt = event_services.managed_events_query(user).order_by(None)
    return event_feed.event_items(event_feed.load(event_feed.in_window(stmt, start, end)), _link)


sources.PRIVATE.update({"my_events": my_events, "organiser": organiser})
