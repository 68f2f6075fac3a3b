"""Feed items for events: single events, weekly/monthly series (RRULE + EXDATE + RECURRENCE-ID
overrides) and the yearly 10/10 day (one yearly rule, later years' rows as overrides)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from campaign.calendars.ical import FeedItem
from campaign.core.timeutil import to_local
from campaign.events.models import Event, EventSeries
from campaign.extensions import db

STATUS = {"published": "CONFIRMED", "cancelled": "CANCELLED", "draft": "TENTATIVE"}
# What makes an occurrence differ from its series (then it is written as an override).
OWN_FIELDS = ("title", "description", "place", "address", "directions", "online_url", "status", "commune_code")


def _span(event: Event) -> tuple[datetime | date, datetime | date]:
    if event.all_day:
        first = to_local(event.starts_at).date()
        last = to_local(event.ends_at).date()
        return first, max(last, first) + timedelta(days=1)
    return event.starts_at, event.ends_at


def _location(event: Event) -> str:
    parts = [event.place, event.address]
    if event.commune is not None:
        parts.append(event.commune.name)
    return ", ".join(p for p in parts if p)


def _description(event: Event) -> str:
    parts = [event.description.strip()]
    if event.directions:
        parts.append(event.directions.strip())
    if event.online_url:
        parts.append(event.online_url)
    return "\n\n".join(p for p in parts if p)


def _item(event: Event, link: Callable[[Event], str], **over) -> FeedItem:
    start, end = _span(event)
    values = dict(uid=event.uid, summary=event.title, start=start, end=end, last_modified=event.updated_at,
                  sequence=event.sequence, status=STATUS.get(event.status, "CONFIRMED"),
                  description=_description(event), location=_location(event), url=link(event))
    values.update(over)
    return FeedItem(**values)


def _series_items(series: EventSeries, occurrences: list[Event], link) -> list[FeedItem]:
    occurrences = sorted(occurrences, key=lambda e: e.recurrence_id or e.starts_at)
    template = next((o for o in occurrences if o.status != "cancelled"), occurrences[0])
    duration = template.ends_at - template.starts_at
    offset = template.starts_at - (template.recurrence_id or template.starts_at)
    first_rid = occurrences[0].recurrence_id or occurrences[0].starts_at
    rule = {"FREQ": series.freq.upper(), "INTERVAL": series.interval}
    if series.until is not None:
        rule["UNTIL"] = series.until
    else:
        rule["UNTIL"] = occurrences[-1].recurrence_id or occurrences[-1].starts_at
    every_cancelled = all(o.status == "cancelled" for o in occurrences)
    exdates, overrides = [], []
    for occ in occurrences:
        rid = occ.recurrence_id or occ.starts_at
        if occ.status == "cancelled" and not every_cancelled:
            exdates.append(rid)
            continue
        moved = occ.starts_at - rid != offset or occ.ends_at - occ.starts_at != duration
        if moved or any(getattr(occ, f) != getattr(template, f) for f in OWN_FIELDS):
            overrides.append(_item(occ, link, uid=series.uid, recurrence_id=rid))
    master = _item(template, link, uid=series.uid, start=first_rid + offset, end=first_rid + offset + duration,
                   last_modified=max(o.updated_at for o in occurrences),
                   sequence=max(o.sequence for o in occurrences), rrule=rule, exdates=tuple(exdates))
    return [master, *overrides]


def _national_day_items(days: list[Event], link) -> list[FeedItem]:
    """The 10/10 day is one yearly rule; a later year's own row is an override of its date."""
    days = sorted(days, key=lambda e: e.starts_at)
    first = days[0]
    items = [_item(first, link, rrule={"FREQ": "YEARLY"}, last_modified=max(d.updated_at for d in days),
                   sequence=max(d.sequence for d in days))]
    for day in days[1:]:
        start, _end = _span(day)
        items.append(_item(day, link, uid=first.uid, recurrence_id=start))
    return items


def event_items(events: Iterable[Event], link: Callable[[Event], str]) -> list[FeedItem]:
    """Feed items for these events; every occurrence of a series they touch is included."""
    events = list(events)
    series_ids = {e.series_id for e in events if e.series_id is not None}
    items: list[FeedItem] = []
    if series_ids:
        all_occ = db.session.scalars(select(Event).where(Event.series_id.in_(series_ids))
                                     .options(selectinload(Event.series))).all()
        by_series: dict[int, list[Event]] = defaultdict(list)
        for occ in all_occ:
            by_series[occ.series_id].append(occ)
        for occs in by_series.values():
            items += _series_items(occs[0].series, occs, link)
    days: dict[int, list[Event]] = defaultdict(list)
    for e in events:
        if e.series_id is not None:
            continue
        if e.kind == "national_day":
            days[e.province_code].append(e)
        else:
            items.append(_item(e, link))
    for group in days.values():
        items += _national_day_items(group, link)
    return items


def in_window(stmt, start: datetime, end: datetime):
    """Events that touch the window; cancelled ones only until they have passed."""
    return stmt.where(Event.ends_at >= start, Event.starts_at <= end,
                      or_(Event.status != "cancelled", Event.ends_at >= datetime.now(start.tzinfo)))


def validator(stmt) -> tuple:
    """What a feed of ``stmt``'s events is rendered from, in one aggregate query: how many rows (with
    every occurrence of their series), their latest change and the sum of their sequences. Any
    change a subscriber could see moves one of these (``updated_at`` follows every UPDATE)."""
    ids = stmt.with_only_columns(Event.id).order_by(None).subquery()
    series = stmt.with_only_columns(Event.series_id).where(Event.series_id.is_not(None)).order_by(None).subquery()
    rows = select(func.count(), func.max(Event.updated_at), func.coalesce(func.sum(Event.sequence), 0)).where(
        or_(Event.id.in_(select(ids.c.id)), Event.series_id.in_(select(series.c.series_id))))
    count, latest, sequences = db.session.execute(rows).one()
    return count, str(latest), int(sequences)


def public_condition():
    return and_(Event.visibility == "public", Event.status.in_(("published", "cancelled")))


def load(stmt) -> list[Event]:
    return list(db.session.scalars(stmt.options(selectinload(Event.series))).unique())
