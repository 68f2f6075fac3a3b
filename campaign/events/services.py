"""The rules of events, series, people and registrations. Services never commit: the view does,
once, at the end of the request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from campaign import jobs
from campaign.accounts import permissions as perm
from campaign.accounts.models import COMMUNE_OFFICER, PROVINCE_COORDINATOR, YOUTH_ORGANISER
from campaign.campaigns.models import TARGET_GROUPS, Campaign
from campaign.core import phone, privacy
from campaign.core.services import DomainError, audit, require_end_after_start
from campaign.core.text import fold, like_pattern, nfc
from campaign.core.timeutil import LOCAL_TZ, day_end, day_start, local_to_utc, to_local
from campaign.core.types import utcnow
from campaign.events import signals
from campaign.events.models import (
    EVENT_KINDS,
    GENDERS,
    RECURRENCE_FREQS,
    RELATIONS,
    VISIBILITIES,
    Event,
    EventSeries,
    Person,
    Registration,
    RegistrationGroup,
)
from campaign.events.signals import person_anonymised
from campaign.extensions import db
from campaign.units import services as units
from campaign.units.models import Commune, Village

CONSENT_VERSION = "2026-1"
MAX_OCCURRENCES = 104
ANONYMOUS_NAME = "—"

# Who organises events in a scope (create, edit, publish, see registrants and their phones).
EVENT_ORGANISERS = (PROVINCE_COORDINATOR, COMMUNE_OFFICER, YOUTH_ORGANISER)
# Who may look at an event's registrant list: its organisers. Features built on events may let a
# few more people see one event's list (courses: the class's own trainers), by adding a check
# ``(user, event) -> bool`` here; phones stay masked for them. A trainer's role alone shows nothing.
REGISTRANT_VIEWER_CHECKS: list = []
# Fields whose change attendees would notice: each change bumps ``sequence``.
VISIBLE_FIELDS = ("title", "description", "starts_at", "ends_at", "all_day", "place", "address", "directions",
                  "online_url", "status", "commune_code", "kind", "visibility")
EDITABLE_FIELDS = VISIBLE_FIELDS + ("capacity", "target_groups", "organiser_unit", "registration_open",
                                    "campaign_id", "host_user_id")


# --- phones and masking ----------------------------------------------------------------------

# The phone helpers live in core.phone (re-exported here for the features that import them from events).
normalise_phone = phone.normalise
national_phone = phone.national
mask_phone = phone.mask


def can_manage_event(user, event: Event) -> bool:
    """Organisers of the event: its commune's officers and organisers (and the province's), or for a
    provincial event the province's coordinators and youth union organisers."""
    if event.commune_code is not None:
        return perm.in_commune_scope(user, event.commune_code, event.province_code, EVENT_ORGANISERS)
    return perm.can_in_province(user, event.province_code, (PROVINCE_COORDINATOR, YOUTH_ORGANISER))


def can_view_registrants(user, event: Event) -> bool:
    """The event's organisers, and whoever a feature above lets see this event's list (a class's
    trainers see their own class's learners, nothing else)."""
    if can_manage_event(user, event):
        return True
    return perm.is_authenticated(user) and any(check(user, event) for check in REGISTRANT_VIEWER_CHECKS)


def _in_commune(user, person: Person, roles) -> bool:
    """can_in_commune for the person's commune, using the loaded commune (no query per row)."""
    if person.commune_code is None:
        return perm.is_admin(user)
    province = person.commune.province_code if person.commune is not None else None
    return perm.in_commune_scope(user, person.commune_code, province, roles)


def can_see_phone(user, person: Person, event: Event | None = None) -> bool:
    """Phones are shown in full only to the officers of the person's commune and to the organisers
    of the person's events (``event``: the event being looked at, if any)."""
    if not perm.is_authenticated(user):
        return False
    if perm.is_admin(user):
        return True
    if event is not None and can_manage_event(user, event):
        return True
    if _in_commune(user, person, perm.COMMUNE_MANAGERS):
        return True
    if event is not None:
        return False
    events = db.session.scalars(select(Event).join(Registration, Registration.event_id == Event.id)
                                .where(Registration.person_id == person.id)).all()
    return any(can_manage_event(user, e) for e in events)


def shown_phone(user, person: Person, event: Event | None = None) -> str:
    if not person.phone:
        return ""
    if can_see_phone(user, person, event):
        return national_phone(person.phone)
    return mask_phone(person.phone)


def can_anonymise(user, person: Person) -> bool:
    """The officers of the person's commune (and the province's coordinators) may anonymise."""
    if not perm.is_authenticated(user):
        return False
    return _in_commune(user, person, perm.COMMUNE_MANAGERS)


# --- events ------------------------------------------------------------------------------------

def _groups_text(groups) -> str:
    groups = [g for g in (groups or []) if g]
    unknown = [g for g in groups if g not in TARGET_GROUPS]
    if unknown:
        raise DomainError(_("Choose target groups from the list."), "target_groups")
    ordered = [g for g in TARGET_GROUPS if g in groups]
    return "," + ",".join(ordered) + "," if ordered else ""


def _commune(code: int | None, province_code: int | None = None) -> Commune | None:
    if code is None:
        return None
    commune = db.session.get(Commune, code)
    if commune is None:
        raise DomainError(_("Unknown commune."), "commune_code")
    if province_code is not None and commune.province_code != province_code:
        raise DomainError(_("This commune is not in the event's province."), "commune_code")
    return commune


def _clean_event_values(values: dict, event: Event | None = None) -> dict:
    out = dict(values)
    if "title" in out:
        out["title"] = nfc(out["title"])
        if not out["title"]:
            raise DomainError(_("Enter the event's title."), "title")
        out["search_title"] = fold(out["title"])
    for key in ("description", "place", "address", "directions", "online_url", "organiser_unit"):
        if key in out:
            out[key] = (out[key] or "").strip()
    if out.get("online_url") and not out["online_url"].startswith(("https://", "http://")):
        raise DomainError(_("The online link must start with https://."), "online_url")
    if "kind" in out and out["kind"] not in EVENT_KINDS:
        raise DomainError(_("Choose a kind of event."), "kind")
    if "visibility" in out and out["visibility"] not in VISIBILITIES:
        raise DomainError(_("Choose who can see the event."), "visibility")
    if "target_groups" in out and not isinstance(out["target_groups"], str):
        out["target_groups"] = _groups_text(out["target_groups"])
    starts = out.get("starts_at", event.starts_at if event else None)
    ends = out.get("ends_at", event.ends_at if event else None)
    if starts is None:
        raise DomainError(_("Enter when the event starts."), "starts_at")
    if ends is None:
        raise DomainError(_("Enter when the event ends."), "ends_at")
    require_end_after_start(starts, ends, "ends_at", same_allowed=True)
    if "capacity" in out and out["capacity"] is not None:
        if out["capacity"] < 0:
            raise DomainError(_("The capacity cannot be negative."), "capacity")
        if event is not None and out["capacity"] < event.confirmed_count:
            raise DomainError(_("The capacity cannot be below the %(n)d confirmed registrations. Cancel some "
                                "registrations first.", n=event.confirmed_count), "capacity")
    return out


def create_event(actor, *, province_code: int, title: str, starts_at: datetime, ends_at: datetime,
                 kind: str = "other", commune_code: int | None = None, parent: Event | None = None,
                 status: str = "draft", **values) -> Event:
    if parent is not None:
        if parent.province_code != province_code:
            raise DomainError(_("A child event must be in its parent's province."), "parent_id")
    _commune(commune_code, province_code)
    clean = _clean_event_values(dict(values, title=title, starts_at=starts_at, ends_at=ends_at, kind=kind))
    event = Event(province_code=province_code, commune_code=commune_code, status=status,
                  parent_id=parent.id if parent else None, created_by_id=getattr(actor, "id", None), **clean)
    if event.campaign_id is None and parent is not None:
        event.campaign_id = parent.campaign_id
    db.session.add(event)
    db.session.flush()
    audit("event.created", event, actor=actor, kind=kind, commune=commune_code, parent=event.parent_id)
    return event


def update_event(actor, event: Event, **values) -> dict:
    """Change an event's fields; returns the changes. A capacity below the confirmed registrations
    is refused; a larger capacity promotes people from the waiting list."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "commune_code" in values:
        _commune(values["commune_code"], event.province_code)
    if "capacity" in values:
        lock_event(event)
    clean = _clean_event_values(values, event)
    changes = {}
    for key, value in clean.items():
        if getattr(event, key) != value:
            if key != "search_title":
                changes[key] = [getattr(event, key), value]
            setattr(event, key, value)
    if any(k in VISIBLE_FIELDS for k in changes):
        event.sequence += 1
    if changes:
        audit("event.updated", event, actor=actor, changes=changes, sequence=event.sequence)
    noticed = {k: v for k, v in changes.items() if k in VISIBLE_FIELDS and k != "status"}
    if noticed and event.status == "published":
        signals.event_changed.send(event, event=event, changes=noticed, actor=actor)
    if "capacity" in changes:
        promote_waitlist(event, actor)
    return changes


def publish_event(actor, event: Event) -> None:
    if event.status == "published":
        return
    if event.status == "cancelled":
        raise DomainError(_("A cancelled event cannot be published again; duplicate it instead."))
    event.status = "published"
    event.sequence += 1
    audit("event.published", event, actor=actor, sequence=event.sequence)


def cancel_event(actor, event: Event, reason: str = "") -> None:
    if event.status == "cancelled":
        return
    event.status = "cancelled"
    event.cancelled_at = utcnow()
    event.sequence += 1
    audit("event.cancelled", event, actor=actor, reason=reason, sequence=event.sequence)
    signals.event_cancelled.send(event, event=event, reason=reason, actor=actor)


def duplicate_event(actor, event: Event) -> Event:
    """A draft copy (new uid, no registrations, not in the series)."""
    copy = Event(province_code=event.province_code, commune_code=event.commune_code, status="draft",
                 parent_id=event.parent_id if event.kind != "bridge_point" else None,
                 kind=event.kind if event.kind not in ("launch_ceremony", "national_day", "bridge_point") else "other",
                 campaign_id=event.campaign_id, created_by_id=getattr(actor, "id", None),
                 title=_("Copy of %(title)s", title=event.title)[:200], description=event.description,
                 starts_at=event.starts_at, ends_at=event.ends_at, all_day=event.all_day, place=event.place,
                 address=event.address, directions=event.directions, online_url=event.online_url,
                 capacity=event.capacity, target_groups=event.target_groups, organiser_unit=event.organiser_unit,
                 visibility=event.visibility, registration_open=event.registration_open)
    copy.search_title = fold(copy.title)
    db.session.add(copy)
    db.session.flush()
    audit("event.duplicated", copy, actor=actor, source=event.id)
    return copy


def lock_event(event: Event) -> Event:
    """Take the event row's write lock for the rest of the transaction and reload it.

    A no-op UPDATE takes the row lock on PostgreSQL (later registrations on this event wait for our
    commit) and the database's write lock on SQLite (``BEGIN IMMEDIATE`` semantics), so counts read
    afterwards are the committed truth."""
    db.session.execute(update(Event).where(Event.id == event.id)
                       .values(confirmed_count=Event.confirmed_count, updated_at=Event.updated_at)
                       .execution_options(synchronize_session=False))
    db.session.refresh(event)
    return event


# --- the event tree ----------------------------------------------------------------------------

@dataclass
class TreeResult:
    parent: Event
    created_parent: bool
    children_created: int


def create_launch_ceremony(actor, campaign: Campaign, *, starts_at: datetime, ends_at: datetime,
                           title: str | None = None, place: str = "", address: str = "",
                           online_url: str = "") -> TreeResult:
    """The provincial launch ceremony of a campaign and one bridge point in every commune of the
    province. Idempotent: running it again only adds bridge points that are missing."""
    ceremony = db.session.scalar(select(Event).where(Event.campaign_id == campaign.id,
                                                     Event.kind == "launch_ceremony"))
    created_parent = ceremony is None
    if ceremony is None:
        ceremony = create_event(actor, province_code=campaign.province_code, campaign_id=campaign.id,
                                title=title or _("Launch ceremony: %(name)s", name=campaign.name),
                                starts_at=starts_at, ends_at=ends_at, kind="launch_ceremony",
                                place=place, address=address, online_url=online_url,
                                organiser_unit=campaign.owner_unit, status="published")
    have = set(db.session.scalars(select(Event.commune_code).where(Event.parent_id == ceremony.id,
                                                                   Event.kind == "bridge_point")))
    communes = [(c.code, c.name) for c in units.communes(province_code=campaign.province_code)]
    new = [Event(province_code=campaign.province_code, commune_code=code, parent_id=ceremony.id,
                 campaign_id=campaign.id, kind="bridge_point", status="published", visibility="public",
                 title=_("Bridge point %(commune)s", commune=name), search_title=fold(
                     _("Bridge point %(commune)s", commune=name)),
                 starts_at=ceremony.starts_at, ends_at=ceremony.ends_at, online_url=ceremony.online_url,
                 created_by_id=getattr(actor, "id", None))
           for code, name in communes if code not in have]
    db.session.add_all(new)
    db.session.flush()
    audit("event.launch_ceremony", ceremony, actor=actor, bridge_points_created=len(new),
          created=created_parent)
    return TreeResult(ceremony, created_parent, len(new))


def _bridge_point(event: Event) -> None:
    if event.kind != "bridge_point":
        raise DomainError(_("This is not a bridge point."))


def can_host_bridge_point(user, event: Event) -> bool:
    return (perm.is_authenticated(user) and event.host_user_id == user.id) or can_manage_event(user, event)


def mark_bridge_ready(actor, event: Event, ready: bool = True) -> None:
    _bridge_point(event)
    event.ready_at = utcnow() if ready else None
    event.ready_by_id = getattr(actor, "id", None) if ready else None
    audit("bridge_point.ready" if ready else "bridge_point.not_ready", event, actor=actor)


def mark_bridge_connected(actor, event: Event, connected: bool = True) -> None:
    """The host says the bridge point is connected to the ceremony (check-in may do it too)."""
    _bridge_point(event)
    if connected and event.connected_at is not None:
        return
    event.connected_at = utcnow() if connected else None
    event.connected_by_id = getattr(actor, "id", None) if connected else None
    if connected and event.ready_at is None:
        event.ready_at, event.ready_by_id = event.connected_at, event.connected_by_id
    audit("bridge_point.connected" if connected else "bridge_point.disconnected", event, actor=actor)


@dataclass
class LaunchBoard:
    ceremony: Event
    points: list[Event]
    total: int
    ready: int
    connected: int

    def as_json(self) -> dict:
        return {"total": self.total, "ready": self.ready, "connected": self.connected,
                "points": [{"id": p.id, "commune": p.commune.name if p.commune else "",
                            "ready": p.ready_at is not None, "connected": p.connected_at is not None}
                           for p in self.points]}


def launch_board(ceremony: Event) -> LaunchBoard:
    """Every bridge point with its commune, and the counts: two queries whatever the size."""
    points = db.session.scalars(select(Event).where(Event.parent_id == ceremony.id, Event.kind == "bridge_point")
                                .options(selectinload(Event.host))
                                .join(Commune, Commune.code == Event.commune_code).order_by(Commune.name)).all()
    live = [p for p in points if p.status != "cancelled"]
    return LaunchBoard(ceremony, points, len(live), sum(1 for p in live if p.ready_at is not None),
                       sum(1 for p in live if p.connected_at is not None))


def national_day_bounds(year: int) -> tuple[datetime, datetime]:
    start = local_to_utc(datetime.combine(date(year, 10, 10), time(0, 0)))
    return start, start + timedelta(days=1) - timedelta(minutes=1)


def create_national_day(actor, province_code: int, year: int, campaign: Campaign | None = None) -> TreeResult:
    """The year's "Ngày hội toàn dân học tập số" (all day on 10/10) for a province; idempotent."""
    if not 2020 <= year <= 2100:
        raise DomainError(_("Enter a year between 2020 and 2100."), "year")
    starts, ends = national_day_bounds(year)
    day = db.session.scalar(select(Event).where(Event.province_code == province_code,
                                                Event.kind == "national_day", Event.starts_at == starts))
    if day is not None:
        return TreeResult(day, False, 0)
    day = create_event(actor, province_code=province_code, kind="national_day", status="published",
                       title=f"Ngày hội toàn dân học tập số {year}", starts_at=starts, ends_at=ends, all_day=True,
                       campaign_id=campaign.id if campaign else None,
                       description=_("National Digital Transformation Day: workshops, talks, hands-on experiences "
                                     "and community classes in every commune."))
    return TreeResult(day, True, 0)


@dataclass
class NationalDayBoard:
    day: Event
    activities: list[Event]
    communes_without: list[Commune]
    total_communes: int

    @property
    def communes_with(self) -> int:
        return self.total_communes - len(self.communes_without)


def national_day_board(day: Event) -> NationalDayBoard:
    activities = db.session.scalars(select(Event).where(Event.parent_id == day.id, Event.status != "cancelled")
                                    .order_by(Event.starts_at, Event.id)).all()
    has_activity = exists().where(Event.parent_id == day.id, Event.status != "cancelled",
                                  Event.commune_code == Commune.code)
    without = db.session.scalars(select(Commune).where(Commune.province_code == day.province_code, ~has_activity)
                                 .order_by(Commune.name)).all()
    total = units.commune_count(day.province_code)
    return NationalDayBoard(day, activities, without, total)


# --- recurrence --------------------------------------------------------------------------------

def _add_months(moment: datetime, months: int) -> datetime | None:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    try:
        return moment.replace(year=year, month=month)
    except ValueError:  # no such day (31st), RFC 5545 skips it
        return None


def occurrence_starts(first: datetime, freq: str, interval: int, count: int | None,
                      until: datetime | None) -> list[datetime]:
    """Start times of a series, computed in local wall time (a class at 19:00 stays at 19:00)."""
    local = to_local(first).replace(tzinfo=None)
    starts: list[datetime] = []
    n = 0
    while len(starts) < (count or MAX_OCCURRENCES) and n < MAX_OCCURRENCES * 2:
        if freq == "weekly":
            moment = local + timedelta(weeks=interval * n)
        else:
            moment = _add_months(local, interval * n)
        n += 1
        if moment is None:
            continue
        utc = local_to_utc(moment)
        if until is not None and utc > until:
            break
        starts.append(utc)
    return starts


def create_series(actor, *, freq: str, interval: int = 1, count: int | None = None, until: datetime | None = None,
                  province_code: int, title: str, starts_at: datetime, ends_at: datetime, publish: bool = False,
                  **values) -> EventSeries:
    """A weekly or monthly series with its occurrences stored as events: drafts, or all published
    at once (``publish``)."""
    if freq not in RECURRENCE_FREQS:
        raise DomainError(_("Choose weekly or monthly."), "freq")
    if interval < 1:
        raise DomainError(_("The interval must be at least 1."), "interval")
    if not count and not until:
        raise DomainError(_("Give a number of occurrences or an end date."), "count")
    if count is not None and not 1 <= count <= MAX_OCCURRENCES:
        raise DomainError(_("A series has between 1 and %(n)d occurrences.", n=MAX_OCCURRENCES), "count")
    if until is not None and until < starts_at:
        raise DomainError(_("The series must end after its first occurrence."), "until")
    require_end_after_start(starts_at, ends_at, "ends_at", same_allowed=True)
    series = EventSeries(freq=freq, interval=interval, count=count, until=until)
    db.session.add(series)
    db.session.flush()
    duration = ends_at - starts_at
    starts = occurrence_starts(starts_at, freq, interval, count, until)
    for start in starts:
        event = create_event(actor, province_code=province_code, title=title, starts_at=start,
                             ends_at=start + duration, **values)
        event.series_id = series.id
        event.recurrence_id = start
        if publish:
            publish_event(actor, event)
    db.session.flush()
    audit("series.created", series, actor=actor, occurrences=len(starts), rule=series.rule, published=publish)
    return series


def following_occurrences(event: Event) -> list[Event]:
    """This occurrence and the later ones of its series."""
    if event.series_id is None:
        return [event]
    return list(db.session.scalars(select(Event).where(Event.series_id == event.series_id,
                                                       Event.recurrence_id >= event.recurrence_id)
                                   .order_by(Event.recurrence_id)))


# "This occurrence / this and the following / the whole series", as calendar apps ask.
SERIES_SCOPES = ("this", "following", "all")


def series_occurrences(event: Event, scope: str) -> list[Event]:
    """The occurrences an action on ``event`` applies to, in order."""
    if scope not in SERIES_SCOPES:
        raise DomainError(_("Choose which occurrences the change applies to."), "scope")
    if event.series_id is None or scope == "this":
        return [event]
    if scope == "following":
        return following_occurrences(event)
    return list(db.session.scalars(select(Event).where(Event.series_id == event.series_id)
                                   .order_by(Event.recurrence_id, Event.id)))


def series_draft_count(event: Event) -> int:
    """How many occurrences of the event's series are still drafts (0 outside a series)."""
    if event.series_id is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(Event).where(
        Event.series_id == event.series_id, Event.status == "draft")) or 0


def publish_occurrences(actor, event: Event, scope: str = "this") -> int:
    """Publish the drafts among the chosen occurrences (cancelled ones stay cancelled). Returns how
    many were published."""
    if scope == "this" or event.series_id is None:
        was_draft = event.status == "draft"
        publish_event(actor, event)
        return int(was_draft)
    drafts = [occ for occ in series_occurrences(event, scope) if occ.status == "draft"]
    for occ in drafts:
        publish_event(actor, occ)
    if drafts:
        audit("series.published", event.series, actor=actor, scope=scope, occurrences=len(drafts))
    return len(drafts)


def cancel_occurrences(actor, event: Event, scope: str = "this", reason: str = "") -> int:
    """Cancel the chosen occurrences. "following" also ends the series before this occurrence;
    "all" cancels every occurrence not yet over (those already held stay on record, with their
    attendance). Returns how many were cancelled."""
    if scope == "this" or event.series_id is None:
        was_live = event.status != "cancelled"
        cancel_event(actor, event, reason)
        return int(was_live)
    if scope == "following":
        live = sum(1 for occ in following_occurrences(event) if occ.status != "cancelled")
        cancel_following(actor, event, reason)
        return live
    now = utcnow()
    todo = [occ for occ in series_occurrences(event, "all") if occ.status != "cancelled" and occ.ends_at >= now]
    for occ in todo:
        cancel_event(actor, occ, reason)
    audit("series.cancelled", event.series, actor=actor, occurrences=len(todo))
    return len(todo)


def update_occurrences(actor, event: Event, scope: str = "this", **values) -> int:
    """Edit the chosen occurrences (see update_following for how times move). Returns how many changed."""
    if scope == "this" or event.series_id is None:
        return int(bool(update_event(actor, event, **values)))
    return _update_each(actor, event, series_occurrences(event, scope), values)


def update_following(actor, event: Event, **values) -> int:
    """Apply changes to this occurrence and the later ones. A new start or end time moves each
    occurrence by the same wall-clock shift. Returns how many occurrences changed."""
    return _update_each(actor, event, following_occurrences(event), values)


def _update_each(actor, event: Event, occurrences: list[Event], values: dict) -> int:
    shift_start = values.pop("starts_at", event.starts_at) - event.starts_at
    new_duration = values.pop("ends_at", None)
    duration = (new_duration - event.starts_at - shift_start) if new_duration is not None else None
    changed = 0
    for occ in occurrences:
        if occ.status == "cancelled":
            continue
        own = dict(values)
        if shift_start or duration is not None:
            start = occ.starts_at + shift_start
            own["starts_at"] = start
            own["ends_at"] = start + (duration if duration is not None else occ.ends_at - occ.starts_at)
        if update_event(actor, occ, **own):
            changed += 1
    return changed


def cancel_following(actor, event: Event, reason: str = "") -> int:
    """Cancel this occurrence and every later one; the series now ends before it."""
    occurrences = following_occurrences(event)
    for occ in occurrences:
        cancel_event(actor, occ, reason)
    if event.series is not None and event.recurrence_id is not None:
        event.series.until = event.recurrence_id - timedelta(seconds=1)
        audit("series.truncated", event.series, actor=actor, until=event.series.until)
    return len(occurrences)


# --- people and registrations -------------------------------------------------------------------

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_registration(token: str) -> Registration | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(Registration).where(Registration.token_hash == hash_token(token)))


def _find_or_create_person(phone: str | None, values: dict) -> tuple[Person, bool]:
    """For staff: the known person with this phone (staff pages may link records to a known person),
    or a new known person. Self-registered records are never matched by their (unverified) phone."""
    known = (Person.phone == phone) & Person.self_registered.is_(False)
    if phone:
        person = db.session.scalar(select(Person).where(known))
        if person is not None:
            return person, False
        try:
            with db.session.begin_nested():
                person = Person(phone=phone, **values)
                db.session.add(person)
        except IntegrityError:  # another registration created this person a moment ago
            person = db.session.scalar(select(Person).where(known))
            if person is None:
                raise
            return person, False
        return person, True
    person = Person(phone=None, **values)
    db.session.add(person)
    db.session.flush()
    return person, True


def _self_registered_person(phone: str | None, values: dict) -> Person:
    """A public form's own record of what the visitor typed. A phone proves nothing (anyone can type
    anyone's number), so it never attaches to, shows or changes an existing person; staff can link
    records to a known person on their pages."""
    person = Person(phone=phone, self_registered=True, **values)
    db.session.add(person)
    db.session.flush()
    return person


def registration_open(event: Event, staff: bool = False) -> bool:
    if event.status != "published" or not event.registration_open:
        return False
    if event.kind in ("launch_ceremony", "national_day"):
        return False
    if event.visibility != "public" and not staff:
        return False
    return event.ends_at >= utcnow()


def register(event: Event, *, full_name: str, consent: bool, phone: str | None = None,
             birth_year: int | None = None, gender: str | None = None, target_groups=(),
             commune_code: int | None = None, village_id: int | None = None, needs: str = "",
             actor=None, group: RegistrationGroup | None = None, token: str | None = None) -> tuple[Registration, str]:
    """Register a person for an event: confirmed while places remain, waitlisted after. Returns the
    registration and the secret of its private link (shown once, stored only as a hash).

    Capacity holds under concurrent registrations: the event row is locked first (row lock on
    PostgreSQL, write lock on SQLite), and the confirmed count only grows by a conditional UPDATE."""
    staff = actor is not None and group is None
    full_name = nfc(full_name)
    if not full_name:
        raise DomainError(_("Enter your full name."), "full_name")
    if len(full_name) > 120:
        raise DomainError(_("The name is too long."), "full_name")
    phone = normalise_phone(phone)
    if birth_year is not None and not 1900 <= birth_year <= utcnow().year:
        raise DomainError(_("Enter a birth year between 1900 and this year."), "birth_year")
    if gender not in (None, "", *GENDERS):
        raise DomainError(_("Choose a gender from the list."), "gender")
    groups = _groups_text(target_groups)
    _commune(commune_code)
    if village_id is not None:
        village = db.session.get(Village, village_id)
        if village is None or village.commune_code != commune_code:
            raise DomainError(_("Choose a village of the chosen commune."), "village_id")
    if not consent:
        raise DomainError(_("Please agree to the use of your data for this event."), "consent")

    lock_event(event)
    if not registration_open(event, staff=staff):
        raise DomainError(_("Registration for this event is closed."))
    values = dict(full_name=full_name, search_name=fold(full_name), birth_year=birth_year, gender=gender or None,
                  commune_code=commune_code, village_id=village_id, target_groups=groups,
                  needs=(needs or "").strip()[:1000], consent_at=utcnow(), consent_text=CONSENT_VERSION)
    if staff:
        person, created = _find_or_create_person(phone, values)
    else:
        person, created = _self_registered_person(phone, values), True
    if not created:
        duplicate = db.session.scalar(select(Registration.id).where(
            Registration.event_id == event.id, Registration.person_id == person.id,
            Registration.status != "cancelled"))
        if duplicate is not None:
            raise DomainError(_("This person already has another registration for this event."), "phone")
        if person.anonymised_at is None:
            person.consent_at, person.consent_text = utcnow(), CONSENT_VERSION
    confirmed = _take_place(event)
    token = token or secrets.token_urlsafe(24)
    reg = Registration(event_id=event.id, person_id=person.id, status="confirmed" if confirmed else "waitlisted",
                       token_hash=hash_token(token), needs=(needs or "").strip()[:1000],
                       source="staff" if staff else "online", registered_by_id=getattr(actor, "id", None),
                       confirmed_at=utcnow() if confirmed else None, group_id=getattr(group, "id", None))
    db.session.add(reg)
    db.session.flush()
    audit("registration.created", reg, actor=actor, event=event.id, status=reg.status, source=reg.source)
    if confirmed:
        signals.registration_confirmed.send(reg, registration=reg, actor=actor)
    signals.registration_created.send(event, registration=reg, token=token, actor=actor)
    return reg, token


# --- registration on someone's behalf --------------------------------------------------------------

MAX_GROUP = 6  # people registered at once by one contact


def member_token(group_token: str, position: int) -> str:
    """The private link of the ``position``-th person (0-based, in registration order) of a group,
    derived from the group's secret: the group page can show each person's own link without storing
    any secret."""
    digest = hmac.new(group_token.encode(), f"person:{position}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def find_group(token: str) -> RegistrationGroup | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(RegistrationGroup).where(RegistrationGroup.token_hash == hash_token(token)))


def group_members(group: RegistrationGroup, token: str) -> list[tuple[Registration, str]]:
    """Each registration of the group with its own private link's secret, in the order registered."""
    regs = db.session.scalars(select(Registration).where(Registration.group_id == group.id)
                              .options(joinedload(Registration.person)).order_by(Registration.id)).all()
    return [(reg, member_token(token, i)) for i, reg in enumerate(regs)]


def _clean_member(raw: dict, n: int) -> dict:
    name = nfc(raw.get("full_name") or "")
    if len(name) > 120:
        raise DomainError(_("Person %(n)d: the name is too long.", n=n), "people")
    year = raw.get("birth_year")
    if year is not None and not 1900 <= year <= utcnow().year:
        raise DomainError(_("Person %(n)d: enter a birth year between 1900 and this year.", n=n), "people")
    if raw.get("gender") not in (None, "", *GENDERS):
        raise DomainError(_("Choose a gender from the list."), "people")
    return dict(full_name=name, birth_year=year, gender=raw.get("gender") or None,
                target_groups=raw.get("target_groups") or [], needs=raw.get("needs") or "")


def register_group(event: Event, *, contact_name: str, contact_phone: str | None, people: list[dict],
                   consent: bool, relation: str = "relative", commune_code: int | None = None,
                   village_id: int | None = None, actor=None) -> tuple[RegistrationGroup, str]:
    """Register several people at once on their behalf (an elderly parent and a grandchild).

    The contact's phone is the group's, for messages: each person gets a record of their own without a
    phone (it never becomes their identity, and is never matched to a known person). The contact
    consents on their behalf: the group records who and when, each person's ``consent_at`` the same
    moment. All or nothing: one invalid person saves nobody (one transaction). Places are given per
    person, in the order listed, under the event's lock: while places remain each is confirmed, the
    rest go on the waiting list (the group page says who is where). Returns the group and the secret of
    its private link."""
    contact_name = nfc(contact_name)
    if not contact_name:
        raise DomainError(_("Enter your own name, as the contact."), "contact_name")
    if len(contact_name) > 120:
        raise DomainError(_("The name is too long."), "contact_name")
    contact_phone = normalise_phone(contact_phone)
    if not contact_phone:
        raise DomainError(_("Enter your phone number: confirmations are sent to it."), "contact_phone")
    if relation not in RELATIONS:
        raise DomainError(_("Choose from the list."), "relation")
    members = [_clean_member(raw, n) for n, raw in enumerate(people, start=1)]
    members = [m for m in members if m["full_name"]]
    if not members:
        raise DomainError(_("Enter the name of at least one person to register."), "people")
    if len(members) > MAX_GROUP:
        raise DomainError(_("Register at most %(n)d people at once.", n=MAX_GROUP), "people")
    if not consent:
        raise DomainError(_("Please confirm that they agree, and agree on their behalf to the use of their data "
                            "for this event."), "consent")
    lock_event(event)
    if not registration_open(event):
        raise DomainError(_("Registration for this event is closed."))
    token = secrets.token_urlsafe(24)
    group = RegistrationGroup(event_id=event.id, token_hash=hash_token(token), contact_name=contact_name,
                              contact_phone=contact_phone, relation=relation, consent_at=utcnow(),
                              consent_text=CONSENT_VERSION, registered_by_id=getattr(actor, "id", None))
    db.session.add(group)
    db.session.flush()
    for position, member in enumerate(members):
        register(event, consent=True, phone=None, commune_code=commune_code, village_id=village_id, actor=actor,
                 group=group, token=member_token(token, position), **member)
    audit("registration_group.created", group, actor=actor, event=event.id, people=len(members),
          relation=relation)
    signals.group_registered.send(event, group=group, token=token, actor=actor)
    return group, token


def _take_place(event: Event) -> bool:
    """Atomically count one more confirmed registration if a place is left."""
    result = db.session.execute(
        update(Event).where(Event.id == event.id,
                            (Event.capacity.is_(None)) | (Event.confirmed_count < Event.capacity))
        .values(confirmed_count=Event.confirmed_count + 1, updated_at=Event.updated_at).execution_options(synchronize_session=False))
    db.session.refresh(event)
    return result.rowcount == 1


def _free_place(event: Event) -> None:
    db.session.execute(update(Event).where(Event.id == event.id, Event.confirmed_count > 0)
                       .values(confirmed_count=Event.confirmed_count - 1, updated_at=Event.updated_at)
                       .execution_options(synchronize_session=False))
    db.session.refresh(event)


def promote_waitlist(event: Event, actor=None) -> list[Registration]:
    """Confirm people from the waiting list, in the order they registered, while places remain.
    The caller holds the event's lock."""
    promoted = []
    while event.capacity is None or event.confirmed_count < event.capacity:
        reg = db.session.scalar(select(Registration).where(Registration.event_id == event.id,
                                                           Registration.status == "waitlisted")
                                .order_by(Registration.created_at, Registration.id).limit(1))
        if reg is None or not _take_place(event):
            break
        reg.status = "confirmed"
        reg.confirmed_at = utcnow()
        audit("registration.promoted", reg, actor=actor, event=event.id)
        promoted.append(reg)
    db.session.flush()
    for reg in promoted:
        signals.registration_confirmed.send(reg, registration=reg, actor=actor)
        signals.registration_promoted.send(event, registration=reg, actor=actor)
    return promoted


def cancel_registration(reg: Registration, actor=None) -> list[Registration]:
    """Cancel a registration; a freed place goes to the first person on the waiting list."""
    event = lock_event(reg.event)
    db.session.refresh(reg)
    if reg.status == "cancelled":
        return []
    was_confirmed = reg.status == "confirmed"
    reg.status = "cancelled"
    reg.cancelled_at = utcnow()
    reg.cancelled_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit("registration.cancelled", reg, actor=actor, event=event.id)
    if was_confirmed:
        signals.registration_released.send(reg, registration=reg, actor=actor, reason="cancelled")
        _free_place(event)
        return promote_waitlist(event, actor)
    return []


def set_registration_status(actor, reg: Registration, status: str) -> None:
    """Manual status change by an organiser."""
    if status not in ("confirmed", "waitlisted", "cancelled"):
        raise DomainError(_("Choose a status from the list."), "status")
    if status == reg.status:
        return
    if status == "cancelled":
        cancel_registration(reg, actor)
        return
    event = lock_event(reg.event)
    db.session.refresh(reg)
    was_confirmed = reg.status == "confirmed"
    if status == "confirmed":
        if reg.status == "cancelled":
            clash = db.session.scalar(select(Registration.id).where(
                Registration.event_id == reg.event_id, Registration.person_id == reg.person_id,
                Registration.status != "cancelled"))
            if clash is not None:
                raise DomainError(_("This person already has another registration for this event."))
        if not _take_place(event):
            raise DomainError(_("The event is full. Raise its capacity or cancel another registration first."),
                              "status")
        reg.status, reg.confirmed_at, reg.cancelled_at = "confirmed", utcnow(), None
    else:  # waitlisted
        reg.status, reg.cancelled_at = "waitlisted", None
        if was_confirmed:
            _free_place(event)
    db.session.flush()
    audit("registration.status", reg, actor=actor, status=status, event=event.id)
    if status == "confirmed":
        signals.registration_confirmed.send(reg, registration=reg, actor=actor)
    elif was_confirmed:
        signals.registration_released.send(reg, registration=reg, actor=actor, reason="waitlisted")


def anonymise_person(actor, person: Person) -> None:
    """Remove a person's personal data on request. Their registrations stay (and are counted);
    the commune and target groups stay for aggregate reports."""
    if person.anonymised_at is not None:
        return
    texts = privacy.identifying_texts(person.full_name, person.phone)
    person.full_name = ANONYMOUS_NAME
    person.search_name = ""
    person.phone = None
    person.birth_year = None
    person.gender = None
    person.village_id = None
    person.household_code = None
    person.needs = ""
    person.user_id = None
    person.anonymised_at = utcnow()
    person.anonymised_by_id = getattr(actor, "id", None)
    db.session.execute(update(Registration).where(Registration.person_id == person.id).values(needs="")
                       .execution_options(synchronize_session=False))
    # What quotes the person beyond their own row: other features' records (a signal), the audit log,
    # the notices and the jobs' stored files.
    registration_ids = list(db.session.scalars(select(Registration.id).where(Registration.person_id == person.id)))
    person_anonymised.send("events", person_id=person.id, registration_ids=registration_ids, texts=texts,
                           actor=actor)
    privacy.redact_log_and_notices(texts)
    jobs.forget(texts)
    audit("person.anonymised", person, actor=actor)


# --- queries for lists --------------------------------------------------------------------------

def registrants_query(event: Event, q: str = "", status: str = ""):
    stmt = (select(Registration).join(Person, Person.id == Registration.person_id)
            .options(joinedload(Registration.person).joinedload(Person.commune))
            .where(Registration.event_id == event.id).order_by(Registration.created_at, Registration.id))
    if status in ("confirmed", "waitlisted", "cancelled"):
        stmt = stmt.where(Registration.status == status)
    q = (q or "").strip()
    if q:
        digits = "".join(ch for ch in q if ch.isdigit())
        cond = Person.search_name.like(like_pattern(q), escape="\\")
        if len(digits) >= 3:
            cond = cond | Person.phone.like(f"%{digits.lstrip('0')}%")
        stmt = stmt.where(cond)
    return stmt


# Kinds that a list's kind filter widens: the 10/10 activities are one group (the day, and every
# activity hung on it whatever its own kind); a class is found by its sessions' kind.
NATIONAL_DAY_GROUP = "national_day_activity"


def _kind_condition(kind: str):
    if kind == NATIONAL_DAY_GROUP:
        days = select(Event.id).where(Event.kind == "national_day").scalar_subquery()
        return Event.kind.in_(("national_day", NATIONAL_DAY_GROUP)) | Event.parent_id.in_(days)
    if kind == "class_session":
        classes = select(Event.parent_id).where(Event.kind == "class_session", Event.parent_id.is_not(None))
        return (Event.kind == "class_session") | Event.id.in_(classes.scalar_subquery())
    return Event.kind == kind


def public_events_query(*, commune_code: int | None = None, province_code: int | None = None,
                        date_from: date | None = None, date_to: date | None = None, kind: str = "",
                        group: str = "", q: str = "", campaign_id: int | None = None, past: bool = False,
                        now: datetime | None = None):
    """Published (or cancelled, so people learn of it) public events, soonest first. A class's
    sessions are not listed on their own: the class is (``class_sessions`` gives its sessions). With
    ``past`` only the events already over, the latest first."""
    stmt = select(Event).where(Event.visibility == "public", Event.status.in_(("published", "cancelled")))
    parents = select(Event.id).where(Event.visibility == "public", Event.status.in_(("published", "cancelled")))
    stmt = stmt.where(~((Event.kind == "class_session") & Event.parent_id.is_not(None)
                        & Event.parent_id.in_(parents.scalar_subquery())))
    if commune_code:
        stmt = stmt.where(Event.commune_code == commune_code)
    if province_code:
        stmt = stmt.where(Event.province_code == province_code)
    if campaign_id:
        stmt = stmt.where(Event.campaign_id == campaign_id)
    if date_from:
        stmt = stmt.where(Event.ends_at >= day_start(date_from))
    if date_to:
        stmt = stmt.where(Event.starts_at < day_end(date_to))
    if kind in EVENT_KINDS:
        stmt = stmt.where(_kind_condition(kind))
    if group in TARGET_GROUPS:
        stmt = stmt.where(Event.target_groups.like(f"%,{group},%"))
    if q.strip():
        stmt = stmt.where(Event.search_title.like(like_pattern(q), escape="\\"))
    if past:
        return stmt.where(Event.ends_at < (now or utcnow())).order_by(Event.starts_at.desc(), Event.id.desc())
    return stmt.order_by(Event.starts_at, Event.id)


def class_sessions(parent_ids, now: datetime | None = None, per_class: int = 3) -> dict[int, list[Event]]:
    """The next sessions (not over yet) of the listed classes, ``per_class`` each: one query."""
    out: dict[int, list[Event]] = {}
    if not parent_ids:
        return out
    for event in db.session.scalars(select(Event).where(
            Event.parent_id.in_(list(parent_ids)), Event.kind == "class_session", Event.visibility == "public",
            Event.status.in_(("published", "cancelled")), Event.ends_at >= (now or utcnow()))
            .order_by(Event.starts_at, Event.id)):
        sessions = out.setdefault(event.parent_id, [])
        if len(sessions) < per_class:
            sessions.append(event)
    return out


def activities_by_commune(day: Event, q: str = "") -> list[tuple[str, list[Event]]]:
    """The public activities of a 10/10 day grouped by commune (communes by name, activities soonest
    first); ``q`` finds a commune or an activity, accents optional. Two queries."""
    stmt = (select(Event).outerjoin(Commune, Commune.code == Event.commune_code)
            .where(Event.parent_id == day.id, Event.visibility == "public",
                   Event.status.in_(("published", "cancelled")))
            .order_by(Commune.name, Event.starts_at, Event.id))
    if q.strip():
        pattern = like_pattern(q)
        stmt = stmt.where(Event.search_title.like(pattern, escape="\\") | Commune.search_name.like(pattern, escape="\\"))
    grouped: dict[str, list[Event]] = {}
    for event in db.session.scalars(stmt):
        grouped.setdefault(event.commune.name if event.commune else "", []).append(event)
    return list(grouped.items())


def managed_events_query(user, *, q: str = "", status: str = "", kind: str = ""):
    """Events the user organises: commune events in their communes, provincial events of their
    provinces."""
    provinces = perm.province_codes(user, roles=(PROVINCE_COORDINATOR, YOUTH_ORGANISER))
    scope = perm.commune_filter(Event.commune_code, user, EVENT_ORGANISERS)
    if provinces is None:
        cond = scope
    else:
        cond = scope | and_(Event.commune_code.is_(None), Event.province_code.in_(provinces or {-1}))
    stmt = select(Event).where(cond, Event.kind != "bridge_point")
    if q.strip():
        stmt = stmt.where(Event.search_title.like(like_pattern(q), escape="\\"))
    if status:
        stmt = stmt.where(Event.status == status)
    if kind:
        stmt = stmt.where(Event.kind == kind)
    return stmt.order_by(Event.starts_at.desc(), Event.id.desc())


def registration_counts(event_ids) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    if not event_ids:
        return out
    for event_id, status, n in db.session.execute(
            select(Registration.event_id, Registration.status, func.count())
            .where(Registration.event_id.in_(list(event_ids))).group_by(Registration.event_id, Registration.status)):
        out.setdefault(event_id, {})[status] = n
    return out


def local_date_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0, 0), tzinfo=LOCAL_TZ).astimezone(UTC)
    return start, start + timedelta(days=1)


# The registrant export stops here (a spreadsheet, not a data dump).
CSV_LIMIT = 20000


def registrants_export(event: Event, q: str = "", status: str = "", limit: int = CSV_LIMIT):
    """The rows of the registrant CSV, filtered like the list: (registration, commune name, village
    name), at most ``limit``."""
    return db.session.execute(registrants_query(event, q, status)
                              .outerjoin(Commune, Commune.code == Person.commune_code)
                              .outerjoin(Village, Village.id == Person.village_id)
                              .add_columns(Commune.name, Village.name).limit(limit)).all()
