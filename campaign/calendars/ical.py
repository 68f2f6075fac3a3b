"""Render feed items as RFC 5545 / RFC 7986 iCalendar, byte-stable.

Every property that could change between two renders of unchanged data is derived from the data:
UIDs are stored per row, DTSTAMP = LAST-MODIFIED = the row's last change, items are sorted, and the
calendar itself has no random UID. Times carry TZID=Asia/Ho_Chi_Minh with a VTIMEZONE that holds
only what RFC 5545 allows there; all-day items are DATE values with an exclusive end.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event, Timezone, TimezoneStandard, vRecur

from campaign.core.timeutil import LOCAL_TZ

PRODID = "-//Binh dan hoc vu so//campaign//VI"
TZID = "Asia/Ho_Chi_Minh"
REFRESH = timedelta(hours=1)
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeedItem:
    """One VEVENT: a single event, a series master (with ``rrule``) or an override (``recurrence_id``)."""

    uid: str
    summary: str
    start: datetime | date
    end: datetime | date
    last_modified: datetime
    sequence: int = 0
    status: str = "CONFIRMED"  # TENTATIVE | CONFIRMED | CANCELLED
    description: str = ""
    location: str = ""
    geo: tuple[float, float] | None = None
    url: str | None = None
    categories: tuple[str, ...] = ()
    rrule: dict | None = None  # e.g. {"FREQ": "WEEKLY", "UNTIL": datetime(...)} or {"FREQ": "YEARLY"}
    exdates: tuple[datetime | date, ...] = ()
    recurrence_id: datetime | date | None = None
    extra: dict = field(default_factory=dict)

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    def sort_key(self):
        rid = self.recurrence_id
        if rid is None:
            rid_key = ""
        elif isinstance(rid, datetime):
            rid_key = rid.astimezone(UTC).isoformat()
        else:
            rid_key = rid.isoformat()
        return (self.uid, rid_key)


def _text(value: str) -> str:
    return unicodedata.normalize("NFC", value or "")


def _local(value: datetime | date) -> datetime | date:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in a feed item")
        return value.astimezone(LOCAL_TZ).replace(microsecond=0)
    return value


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)


def vtimezone() -> Timezone:
    """Asia/Ho_Chi_Minh: UTC+7 all year, no daylight saving since 1975."""
    tz = Timezone()
    tz.add("tzid", TZID)
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1975, 6, 13, 0, 0, 0))
    standard.add("tzoffsetfrom", timedelta(hours=7))
    standard.add("tzoffsetto", timedelta(hours=7))
    standard.add("tzname", "+07")
    tz.add_component(standard)
    return tz


def _event(item: FeedItem) -> Event:
    ev = Event()
    ev.add("uid", item.uid)
    ev.add("dtstamp", _utc(item.last_modified))
    ev.add("last-modified", _utc(item.last_modified))
    if item.recurrence_id is not None:
        ev.add("recurrence-id", _local(item.recurrence_id))
    ev.add("dtstart", _local(item.start))
    ev.add("dtend", _local(item.end))
    ev.add("sequence", int(item.sequence))
    ev.add("status", item.status)
    ev.add("summary", _text(item.summary))
    if item.description:
        ev.add("description", _text(item.description))
    if item.location:
        ev.add("location", _text(item.location))
    if item.geo is not None:
        ev.add("geo", (round(item.geo[0], 6), round(item.geo[1], 6)))
    if item.url:
        ev.add("url", item.url, parameters={"VALUE": "URI"})
    if item.categories:
        ev.add("categories", [_text(c) for c in item.categories])
    if item.rrule:
        rule = {k: (_utc(v) if isinstance(v, datetime) else v) for k, v in item.rrule.items()}
        ev.add("rrule", vRecur(rule))
    for ex in sorted(item.exdates, key=lambda d: _utc(d) if isinstance(d, datetime) else d):
        ev.add("exdate", _local(ex))
    ev.add("transp", "TRANSPARENT" if item.all_day else "OPAQUE")
    for key, value in item.extra.items():
        ev.add(key, value)
    return ev


def render(name: str, items: list[FeedItem], *, description: str = "", url: str | None = None) -> bytes:
    """The whole feed as bytes: CRLF line ends and 75-octet folding (icalendar does both)."""
    cal = Calendar()
    cal.add("version", "2.0")
    cal.add("prodid", PRODID)
    cal.add("calscale", "GREGORIAN")
    cal.add("name", _text(name))
    cal.add("x-wr-calname", _text(name))
    if description:
        cal.add("description", _text(description))
        cal.add("x-wr-caldesc", _text(description))
    if url:
        cal.add("url", url, parameters={"VALUE": "URI"})
    cal.add("x-wr-timezone", TZID)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    if any(not it.all_day for it in items):
        cal.add_component(vtimezone())
    for item in sorted(items, key=FeedItem.sort_key):
        cal.add_component(_event(item))
    return cal.to_ical()


def last_modified(items: list[FeedItem]) -> datetime:
    return max((_utc(it.last_modified) for it in items), default=EPOCH)
