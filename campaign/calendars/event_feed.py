"""Feed items for events: single events and weekly/monthly series (one RRULE master, EXDATE for the
slots that are not shown, RECURRENCE-ID overrides for the occurrences that differ).

A feed is a statement over events (``feed_items(stmt, ...)``): what it selects is what the feed
shows, occurrence by occurrence. For a series that the feed touches, the occurrences the statement
does not select (internal or draft ones in a public feed, another commune's) are not shown: their
slots are excluded like cancelled ones. What the database holds is what the feed holds: no rule
repeats beyond the last stored occurrence, and a class (a course's parent event) shows as its
sessions, never as a multi-week block.

How a series is written so that every reader (ical.js, libical, icalendar, ``ical``,
recurring-ical-events) expands the same occurrences:

- the master describes the series as stored: DTSTART is the first shown slot at the series' usual
  time (the time most occurrences keep), the RRULE runs from there to the last shown slot, and the
  master's text is what most occurrences say;
- every shown occurrence that differs from that (moved, longer, renamed, another place — the first,
  the last or any) is an override whose RECURRENCE-ID is the start its slot has under the master;
- every slot without a shown occurrence (cancelled, hidden) is an EXDATE;
- SEQUENCE is the sum of the occurrences' sequences, so it grows with every change to any
  occurrence (events are never deleted), and LAST-MODIFIED is the latest change of any of them;
  the master and its overrides carry the same values (one revision of the series);
- when the stored occurrences do not fit one rule (an all-day series, a slot the rule cannot
  produce), each occurrence is written as an event of its own, under its own stored UID.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select

from campaign.calendars.ical import FeedItem
from campaign.core.timeutil import to_local
from campaign.events.models import Event, EventSeries
from campaign.events.services import occurrence_starts
from campaign.extensions import db

STATUS = {"published": "CONFIRMED", "cancelled": "CANCELLED", "draft": "TENTATIVE"}
# What makes an occurrence differ from its series (then it is written as an override).
OWN_FIELDS = ("title", "description", "place", "address", "directions", "online_url", "status", "commune_code")

Link = Callable[[Event], str]


def _span(event: Event) -> tuple[datetime | date, datetime | date]:
    if event.all_day:
        first = to_local(event.starts_at).date()
        last = to_local(event.ends_at).date()
        return first, max(last, first) + timedelta(days=1)
    return event.starts_at, event.ends_at


def _location(event) -> str:
    if hasattr(event, "commune_name"):  # a row of ``load_rows``
        commune = event.commune_name
    else:
        commune = event.commune.name if event.commune is not None else ""
    return ", ".join(p for p in (event.place, event.address, commune) if p)


def _description(event: Event) -> str:
    parts = [event.description.strip()]
    if event.directions:
        parts.append(event.directions.strip())
    if event.online_url:
        parts.append(event.online_url)
    return "\n\n".join(p for p in parts if p)


def item(event: Event, link: Link, **over) -> FeedItem:
    """One event as a VEVENT of its own."""
    start, end = _span(event)
    values = dict(uid=event.uid, summary=event.title, start=start, end=end, last_modified=event.updated_at,
                  sequence=event.sequence, status=STATUS.get(event.status, "CONFIRMED"),
                  description=_description(event), location=_location(event), url=link(event))
    values.update(over)
    return FeedItem(**values)


def _slot(event: Event) -> datetime:
    return event.recurrence_id or event.starts_at


def _most_common(values: list, prefer=None):
    """The most frequent value; ties go to ``prefer`` when it is among them, else to the earliest."""
    counts = Counter(values)
    best = max(counts.values())
    tied = [v for v in values if counts[v] == best]
    return prefer if prefer in tied else tied[0]


def series_items(series: EventSeries, every: list[Event], shown_ids: set[int], link: Link) -> list[FeedItem]:
    """``every`` occurrence of the series (for its revision), of which ``shown_ids`` are in this feed."""
    visible = sorted((o for o in every if o.id in shown_ids), key=_slot)
    if not visible:
        return []
    shown = [o for o in visible if o.status != "cancelled"] or visible  # a wholly cancelled series stays
    sequence = sum(o.sequence for o in every)
    modified = max(o.updated_at for o in every)
    if any(o.all_day for o in shown):
        return [item(o, link) for o in shown]
    offsets = [o.starts_at - _slot(o) for o in shown]
    offset = _most_common(offsets, prefer=timedelta(0))
    duration = _most_common([o.ends_at - o.starts_at for o in shown])
    fields = [tuple(getattr(o, f) for f in OWN_FIELDS) for o in shown]
    usual = _most_common(fields)
    template = shown[fields.index(usual)]
    first, last = _slot(shown[0]), _slot(shown[-1])
    for off in dict.fromkeys((offset, timedelta(0))):
        grid = occurrence_starts(first + off, series.freq, series.interval, None, last + off)
        if {_slot(o) + off for o in shown} <= set(grid):
            offset = off
            break
    else:  # the stored occurrences fit no rule: each is an event of its own
        return [item(o, link) for o in shown]
    taken = {_slot(o) + offset for o in shown}
    rule = {"FREQ": series.freq.upper(), "INTERVAL": series.interval, "UNTIL": grid[-1]}
    master = item(template, link, uid=series.uid, start=grid[0], end=grid[0] + duration, last_modified=modified,
                  sequence=sequence, rrule=rule, exdates=tuple(s for s in grid if s not in taken))
    items = [master]
    for occ, own in zip(shown, fields, strict=True):
        rid = _slot(occ) + offset
        if occ.starts_at != rid or occ.ends_at - occ.starts_at != duration or own != usual:
            items.append(item(occ, link, uid=series.uid, recurrence_id=rid, last_modified=modified,
                              sequence=sequence))
    return items


def course_parents():
    """The ids of courses' parent events (a class shows as its sessions)."""
    from campaign.courses.models import Course

    return select(Course.event_id)


def is_course_parent(event: Event) -> bool:
    from campaign.courses.models import Course

    return db.session.scalar(select(Course.id).where(Course.event_id == event.id)) is not None


def in_window(stmt, start: datetime, end: datetime):
    """Events that touch the window; cancelled ones only until they have passed."""
    return stmt.where(Event.ends_at >= start, Event.starts_at <= end,
                      or_(Event.status != "cancelled", Event.ends_at >= datetime.now(start.tzinfo)))


# What a feed reads of an event: plain rows (no ORM identities), a few times faster to load.
COLUMNS = (Event.id, Event.uid, Event.title, Event.description, Event.starts_at, Event.ends_at, Event.all_day,
           Event.place, Event.address, Event.directions, Event.online_url, Event.status, Event.commune_code,
           Event.visibility, Event.sequence, Event.updated_at, Event.series_id, Event.recurrence_id)


def load_rows(condition) -> list:
    """The events matching ``condition`` (a WHERE clause) as rows with the feed's columns and the
    commune's name."""
    from campaign.units.models import Commune

    return list(db.session.execute(select(*COLUMNS, Commune.name.label("commune_name"))
                                   .outerjoin(Commune, Commune.code == Event.commune_code).where(condition)))


def feed_items(stmt, start: datetime, end: datetime, link: Link) -> list[FeedItem]:
    """The items of a feed whose events ``stmt`` selects, in the window; every series it touches is
    written whole, showing only the occurrences that ``stmt`` selects."""
    stmt = stmt.where(Event.id.not_in(course_parents())).order_by(None)
    rows = load_rows(Event.id.in_(in_window(stmt, start, end).with_only_columns(Event.id)))
    series_ids = {e.series_id for e in rows if e.series_id is not None}
    items: list[FeedItem] = [item(e, link) for e in rows if e.series_id is None]
    if series_ids:
        every = load_rows(Event.series_id.in_(series_ids))
        shown = set(db.session.scalars(stmt.with_only_columns(Event.id).where(Event.series_id.in_(series_ids))))
        series = {s.id: s for s in db.session.scalars(select(EventSeries).where(EventSeries.id.in_(series_ids)))}
        by_series: dict[int, list] = defaultdict(list)
        for occ in every:
            by_series[occ.series_id].append(occ)
        for sid in sorted(by_series):
            items += series_items(series[sid], by_series[sid], shown, link)
    return items


def event_items(events: Iterable[Event], link: Link) -> list[FeedItem]:
    """Items for given events (each written on its own, as a download is)."""
    return [item(e, link) for e in events]


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


_STAMP = None


def stamp() -> tuple:
    """A cheap fingerprint of every event (one aggregate, no join): while it stays the same, no feed
    of events has changed. The sum of sequences catches a visible change committed late with an
    older ``updated_at`` than the latest one seen. Courses are created with their parent event."""
    global _STAMP
    if _STAMP is None:
        _STAMP = select(func.count(Event.id), func.max(Event.updated_at), func.coalesce(func.sum(Event.sequence), 0))
    row = db.session.execute(_STAMP).one()
    return row[0], str(row[1]), int(row[2])


def public_condition():
    return (Event.visibility == "public") & Event.status.in_(("published", "cancelled"))
