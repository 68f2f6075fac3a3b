"""Venue rules and booking operations. Services never commit; views commit once at the end.

Booking states change only through the named operations here (request_booking, approve, reject,
cancel), each writing its audit entry and its notice to the requester.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path

import holidays
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, exists, false, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from campaign.accounts import permissions as perm
from campaign.accounts.models import COMMUNE_OFFICER, PROVINCE_COORDINATOR, TRAINER, YOUTH_ORGANISER, User
from campaign.core.services import (
    DomainError,
    audit,
    end_after_start_problem,
    notify,
    require_end_after_start,
)
from campaign.core.text import fold, nfc
from campaign.core.timeutil import (
    day_start,
    format_date,
    format_datetime,
    local_moment,
    to_local,
    week_start,
)
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.venues import signals
from campaign.venues.models import (
    ACTIVE_STATUSES,
    APPROVED,
    CANCELLED,
    EQUIPMENT,
    PENDING,
    REJECTED,
    VENUE_KINDS,
    Booking,
    BookingSeries,
    Closure,
    Venue,
    VenueEquipment,
    VenueHours,
    VenuePhoto,
)

# Who may book venues and manage them: commune officers and province coordinators.
BOOKERS = (PROVINCE_COORDINATOR, COMMUNE_OFFICER)
# Who may request bookings (never manage or approve): also trainers and youth union organisers, in
# the communes of their grants; the venue's managers decide on their requests as on any other.
REQUESTERS = (*BOOKERS, TRAINER, YOUTH_ORGANISER)
MAX_OCCURRENCES = 60
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
PHOTO_MAX_SIDE = 1600
THUMB_SIZE = (320, 240)


# --- scope ------------------------------------------------------------------------------------

def can_manage_venue(user, venue: Venue) -> bool:
    """Edit the venue, its photos and closures: the commune's officers (and the province above)."""
    return perm.can_in_commune(user, venue.commune_code, BOOKERS)


def can_approve(user, venue: Venue) -> bool:
    """Decide on requests: the venue's managers, or the commune's officers."""
    return perm.is_authenticated(user) and (venue.is_manager(user) or can_manage_venue(user, venue))


def can_look_after(user, venue: Venue) -> bool:
    """Photos and closures: the commune's officers and the venue's own managers."""
    return can_manage_venue(user, venue) or venue.is_manager(user)


def can_book(user, venue: Venue) -> bool:
    """An officer (or a trainer, a youth union organiser) books in the communes of their grants;
    elsewhere in the province only venues open to outside requests."""
    if not venue.active:
        return False
    if perm.can_in_commune(user, venue.commune_code, REQUESTERS):
        return True
    return venue.allow_outside and perm.acts_in_province(user, perm.province_of(venue.commune_code), REQUESTERS)


def can_see_venue(user, venue: Venue) -> bool:
    return can_book(user, venue) or can_approve(user, venue)


def outside_condition(user, commune_code: int):
    """A condition on Venue: the venues of this commune the user may see (all, or the open ones)."""
    if perm.can_in_commune(user, commune_code, BOOKERS):
        return Venue.commune_code == commune_code
    if perm.can_in_commune(user, commune_code, REQUESTERS):  # they book, and see, the active ones
        return and_(Venue.commune_code == commune_code, Venue.active.is_(True))
    if not perm.acts_in_province(user, perm.province_of(commune_code), REQUESTERS):
        return false()
    return and_(Venue.commune_code == commune_code, Venue.allow_outside.is_(True), Venue.active.is_(True))


# --- venues -----------------------------------------------------------------------------------

@dataclass
class VenueData:
    name: str
    kind: str = "cultural_house"
    address: str = ""
    capacity: int = 50
    latitude: float | None = None
    longitude: float | None = None
    step_free: bool = False
    accessible_toilet: bool = False
    needs_approval: bool = True
    allow_outside: bool = False
    min_notice_hours: int = 24
    max_duration_hours: int = 8
    notes: str = ""
    equipment: dict[str, int] = field(default_factory=dict)
    hours: dict[int, tuple[int, int]] = field(default_factory=dict)  # weekday -> (opens, closes) minutes
    manager_ids: list[int] = field(default_factory=list)
    active: bool = True


def _clean_venue(data: VenueData) -> None:
    data.name = nfc(data.name)
    if not data.name:
        raise DomainError(_("Enter the venue's name."), "name")
    if data.kind not in VENUE_KINDS:
        raise DomainError(_("Choose a kind of venue."), "kind")
    if data.capacity is None or data.capacity <= 0:
        raise DomainError(_("The capacity must be at least 1."), "capacity")
    if (data.latitude is None) != (data.longitude is None):
        raise DomainError(_("Give both latitude and longitude, or neither."), "latitude")
    if data.latitude is not None and not (-90 <= data.latitude <= 90 and -180 <= data.longitude <= 180):
        raise DomainError(_("These coordinates are not valid."), "latitude")
    if data.min_notice_hours is None or data.min_notice_hours < 0:
        raise DomainError(_("The notice cannot be negative."), "min_notice_hours")
    if data.max_duration_hours is None or data.max_duration_hours <= 0:
        raise DomainError(_("The longest booking must be at least one hour."), "max_duration_hours")
    for item, qty in data.equipment.items():
        if item not in EQUIPMENT:
            raise DomainError(_("Unknown equipment."), "equipment")
        if qty is not None and qty < 0:
            raise DomainError(_("This number cannot be negative."), "equipment")
    for weekday, (opens, closes) in data.hours.items():
        if not 0 <= weekday <= 6 or not 0 <= opens < closes <= 1440:
            raise DomainError(_("On each open day, the closing time must be after the opening time."), "hours")


def _apply(venue: Venue, data: VenueData) -> None:
    for attr in ("name", "kind", "address", "capacity", "latitude", "longitude", "step_free", "accessible_toilet",
                 "needs_approval", "allow_outside", "min_notice_hours", "max_duration_hours", "notes", "active"):
        setattr(venue, attr, getattr(data, attr))
    venue.address = nfc(data.address)
    venue.search_name = fold(data.name)
    have = {e.item: e for e in venue.equipment}
    for item, qty in data.equipment.items():
        if qty and item in have:
            have[item].quantity = qty
        elif qty:
            venue.equipment.append(VenueEquipment(item=item, quantity=qty))
        elif item in have:
            venue.equipment.remove(have[item])
    hours = {h.weekday: h for h in venue.hours}
    for weekday in range(7):
        span = data.hours.get(weekday)
        if span and weekday in hours:
            hours[weekday].opens_minute, hours[weekday].closes_minute = span
        elif span:
            venue.hours.append(VenueHours(weekday=weekday, opens_minute=span[0], closes_minute=span[1]))
        elif weekday in hours:
            venue.hours.remove(hours[weekday])
    venue.managers = [u for u in manager_candidates(venue.commune_code) if u.id in set(data.manager_ids)]


def _check_unique(commune_code: int, name: str, exclude_id: int | None = None) -> None:
    stmt = select(Venue.id).where(Venue.commune_code == commune_code, Venue.search_name == fold(name))
    if exclude_id is not None:
        stmt = stmt.where(Venue.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise DomainError(_("This commune already has a venue named %(name)s.", name=name), "name")


def _check_managers(commune_code: int, data: VenueData) -> None:
    allowed = {u.id for u in manager_candidates(commune_code)}
    if set(data.manager_ids) - allowed:
        raise DomainError(_("Managers must be officers of the venue's commune."), "managers")


def create_venue(actor, commune_code: int, data: VenueData) -> Venue:
    _clean_venue(data)
    _check_managers(commune_code, data)
    _check_unique(commune_code, data.name)
    venue = Venue(commune_code=commune_code)
    db.session.add(venue)
    _apply(venue, data)
    db.session.flush()
    audit("venue.created", venue, actor=actor, name=venue.name, commune=commune_code)
    return venue


def update_venue(actor, venue: Venue, data: VenueData) -> Venue:
    _clean_venue(data)
    _check_managers(venue.commune_code, data)
    _check_unique(venue.commune_code, data.name, exclude_id=venue.id)
    _apply(venue, data)
    audit("venue.updated", venue, actor=actor, name=venue.name)
    return venue


def manager_candidates(commune_code: int) -> list[User]:
    """Who may be named a manager of a commune's venue: the commune's active officers."""
    from campaign.accounts.models import RoleGrant

    return list(db.session.scalars(
        select(User).where(User.active.is_(True), User.id.in_(select(RoleGrant.user_id).where(
            RoleGrant.commune_code == commune_code, RoleGrant.role == COMMUNE_OFFICER)))
        .order_by(User.full_name)))


# --- photos -----------------------------------------------------------------------------------

def upload_dir(venue_id: int) -> Path:
    """instance/uploads/venues/<venue id>/ (VENUE_UPLOAD_DIR overrides the root, e.g. in tests)."""
    root = current_app.config.get("VENUE_UPLOAD_DIR") or Path(current_app.instance_path) / "uploads" / "venues"
    path = Path(root) / str(venue_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def add_photo(actor, venue: Venue, stream, caption: str = "") -> VenuePhoto:
    """Check the file is an image by decoding it (not by its name), then store it re-encoded
    (which drops its metadata: GPS position, camera) with a thumbnail."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    data = stream.read(MAX_PHOTO_BYTES + 1)
    if not data:
        raise DomainError(_("Choose a photo to upload."), "photo")
    if len(data) > MAX_PHOTO_BYTES:
        raise DomainError(_("The photo is larger than 5 MB. Choose a smaller one."), "photo")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in PHOTO_FORMATS:
                raise DomainError(_("This file is not a photo. Upload a JPEG, PNG or WebP image."), "photo")
            if probe.width * probe.height > MAX_PHOTO_PIXELS:
                raise DomainError(_("The photo has too many pixels. Choose a smaller one."), "photo")
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise DomainError(_("This file is not a photo. Upload a JPEG, PNG or WebP image."), "photo") from exc
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    thumb = image.copy()
    thumb.thumbnail(THUMB_SIZE)
    folder = upload_dir(venue.id)
    stem = secrets.token_hex(16)
    photo = VenuePhoto(venue_id=venue.id, filename=f"{stem}.jpg", thumb_filename=f"{stem}-thumb.jpg",
                       width=image.width, height=image.height, caption=nfc(caption)[:200],
                       uploaded_by_id=getattr(actor, "id", None))
    image.save(folder / photo.filename, "JPEG", quality=85, optimize=True)
    thumb.save(folder / photo.thumb_filename, "JPEG", quality=80)
    db.session.add(photo)
    db.session.flush()
    audit("venue.photo_added", venue, actor=actor, photo=photo.id)
    return photo


def delete_photo(actor, photo: VenuePhoto) -> None:
    folder = upload_dir(photo.venue_id)
    audit("venue.photo_deleted", photo.venue, actor=actor, photo=photo.id)
    db.session.delete(photo)
    for name in (photo.filename, photo.thumb_filename):
        (folder / name).unlink(missing_ok=True)


# --- rules ------------------------------------------------------------------------------------

@cache
def _vn_holidays(year: int) -> dict[date, str]:
    try:
        table = holidays.country_holidays("VN", years=year, language="vi")
    except (NotImplementedError, TypeError, KeyError):
        table = holidays.country_holidays("VN", years=year)
    return dict(table.items())


def holiday_name(day: date) -> str | None:
    return _vn_holidays(day.year).get(day)


def local_days(starts_at: datetime, ends_at: datetime) -> list[date]:
    first, last = to_local(starts_at).date(), to_local(ends_at - timedelta(microseconds=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def rule_problems(venue: Venue, starts_at: datetime, ends_at: datetime, attendance: int | None,
                  now: datetime | None = None, closures: list[Closure] | None = None) -> list[tuple[str, str]]:
    """Every rule the request breaks, as (field, message); empty when it may be requested.
    ``closures``: the venue's closures already loaded (else they are queried)."""
    now = now or utcnow()
    problems: list[tuple[str, str]] = []
    if problem := end_after_start_problem(starts_at, ends_at):
        return [("ends", problem)]
    if starts_at < now + timedelta(hours=venue.min_notice_hours):
        problems.append(("starts", _("Bookings must be made at least %(hours)s hours ahead.",
                                     hours=venue.min_notice_hours)))
    if ends_at - starts_at > timedelta(hours=venue.max_duration_hours):
        problems.append(("ends", _("A booking may last at most %(hours)s hours.", hours=venue.max_duration_hours)))
    local_start, local_end = to_local(starts_at), to_local(ends_at)
    hours = venue.hours_map()
    span = hours.get(local_start.weekday())
    start_min = local_start.hour * 60 + local_start.minute
    end_min = (local_end.hour * 60 + local_end.minute) if local_end.date() == local_start.date() else None
    if local_end.date() > local_start.date() and local_end.time() == time(0) and \
            local_end.date() == local_start.date() + timedelta(days=1):
        end_min = 1440
    if span is None:
        problems.append(("starts", _("The venue is closed on this weekday.")))
    elif end_min is None or start_min < span[0] or end_min > span[1]:
        problems.append(("starts", _("Outside the bookable hours (%(opens)s–%(closes)s).",
                                     opens=minutes_label(span[0]), closes=minutes_label(span[1]))))
    if attendance is not None and attendance > venue.capacity:
        problems.append(("expected_attendance", _("%(n)s people expected, but the venue holds %(cap)s.",
                                                  n=attendance, cap=venue.capacity)))
    for day in local_days(starts_at, ends_at):
        name = holiday_name(day)
        if name:
            problems.append(("starts", _("%(day)s is a public holiday (%(name)s).", day=format_date(day), name=name)))
    if closures is None:
        closures = closures_overlapping(venue.id, starts_at, ends_at)
    for closure in (c for c in closures if c.starts_at < ends_at and c.ends_at > starts_at):
        problems.append(("starts", _("The venue is closed from %(start)s to %(end)s: %(reason)s.",
                                     start=format_datetime(closure.starts_at), end=format_datetime(closure.ends_at),
                                     reason=closure.reason)))
    return problems


def minutes_label(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def overlaps(column_start, column_end, starts_at: datetime, ends_at: datetime):
    return and_(column_start < ends_at, column_end > starts_at)


def closures_overlapping(venue_id: int, starts_at: datetime, ends_at: datetime) -> list[Closure]:
    return list(db.session.scalars(select(Closure).where(
        Closure.venue_id == venue_id, overlaps(Closure.starts_at, Closure.ends_at, starts_at, ends_at))))


def approved_overlapping(venue_id: int, starts_at: datetime, ends_at: datetime, exclude_id: int | None = None):
    stmt = select(Booking).where(Booking.venue_id == venue_id, Booking.status == APPROVED,
                                 overlaps(Booking.starts_at, Booking.ends_at, starts_at, ends_at))
    if exclude_id is not None:
        stmt = stmt.where(Booking.id != exclude_id)
    return list(db.session.scalars(stmt.order_by(Booking.starts_at)))


def collides_with_approved():
    """A SQL condition on Booking: another approved booking of its venue overlaps it (the flag)."""
    other = Booking.__table__.alias("other")
    return exists().where(other.c.venue_id == Booking.venue_id, other.c.status == APPROVED,
                          other.c.id != Booking.id, other.c.starts_at < Booking.ends_at,
                          other.c.ends_at > Booking.starts_at)


# --- bookings ---------------------------------------------------------------------------------

def _raise_first(problems: list[tuple[str, str]]) -> None:
    if problems:
        field, _message = problems[0]
        raise DomainError(" ".join(m for _f, m in problems), field)


def bookable_events(actor, venue: Venue, now: datetime | None = None) -> list:
    """Events and classes a booking of this venue may be for: not yet ended, not cancelled, in the
    venue's commune (or province-wide), and organised by the actor."""
    from campaign.events.models import Event
    from campaign.events.services import managed_events_query

    now = now or utcnow()
    stmt = managed_events_query(actor).where(
        Event.ends_at >= now, Event.status != "cancelled", Event.parent_id.is_(None) | (Event.kind != "class_session"),
        (Event.commune_code == venue.commune_code) | Event.commune_code.is_(None)).order_by(None).order_by(
        Event.starts_at).limit(200)
    return list(db.session.scalars(stmt))


def request_booking(actor, venue: Venue, *, starts_at: datetime, ends_at: datetime, purpose: str,
                    expected_attendance: int, series: BookingSeries | None = None,
                    now: datetime | None = None, event_id: int | None = None) -> Booking:
    if not can_book(actor, venue):
        raise DomainError(_("You may book venues only in your own commune, unless the venue accepts outside "
                            "requests."))
    purpose = nfc(purpose)
    if not purpose:
        raise DomainError(_("Say what the venue is for."), "purpose")
    if expected_attendance is None or expected_attendance < 0:
        raise DomainError(_("Give the number of people expected."), "expected_attendance")
    if event_id is not None and event_id not in {e.id for e in bookable_events(actor, venue)}:
        raise DomainError(_("Choose one of your events in this commune, or none."), "event_id")
    _raise_first(rule_problems(venue, starts_at, ends_at, expected_attendance, now))
    clash = approved_overlapping(venue.id, starts_at, ends_at)
    if clash:
        raise DomainError(_("The venue is already booked from %(start)s to %(end)s.",
                            start=format_datetime(clash[0].starts_at), end=format_datetime(clash[0].ends_at)),
                          "starts")
    booking = Booking(venue_id=venue.id, requester_id=actor.id, starts_at=starts_at, ends_at=ends_at,
                      purpose=purpose[:300], expected_attendance=expected_attendance, status=PENDING,
                      series_id=series.id if series else None, event_id=event_id)
    db.session.add(booking)
    db.session.flush()
    audit("booking.requested", booking, actor=actor, venue=venue.id, starts_at=starts_at, ends_at=ends_at)
    if not venue.needs_approval:
        approve(actor, booking, automatic=True)
    else:
        signals.booking_requested.send(booking, booking=booking, actor=actor)
        for manager in venue.managers:
            notify(manager, _("New booking request for %(venue)s", venue=venue.name),
                   _("%(who)s asks for %(start)s–%(end)s: %(purpose)s", who=actor.full_name,
                     start=format_datetime(starts_at), end=format_datetime(ends_at), purpose=purpose),
                   url=f"/venues/bookings/{booking.id}")
    return booking


def lock_venue(venue_id: int) -> None:
    """Serialise decisions on one venue. PostgreSQL: a row lock; SQLite: a no-op UPDATE takes the
    database's write lock first, so the overlap check below reads what the last writer committed."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(Venue).where(Venue.id == venue_id).values(id=Venue.id))
    else:
        db.session.execute(select(Venue.id).where(Venue.id == venue_id).with_for_update())


def _refresh(booking: Booking) -> Booking:
    db.session.refresh(booking)
    return booking


def save_approved(booking: Booking) -> None:
    """Flush an approval; the database's exclusion constraint (PostgreSQL) has the last word."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if sqlstate == "23P01":
            raise DomainError(_("Another approved booking already takes this venue at this time.")) from exc
        raise


def approve(actor, booking: Booking, *, automatic: bool = False) -> list[Booking]:
    """Approve a pending request and reject the pending requests it collides with (each told why).
    Returns the rejected requests."""
    venue = booking.venue
    if not automatic and not can_approve(actor, venue):
        raise DomainError(_("Only the venue's managers or the commune's officers may approve."))
    lock_venue(venue.id)
    _refresh(booking)
    if booking.status != PENDING:
        raise DomainError(_("This request has already been decided."))
    clash = approved_overlapping(venue.id, booking.starts_at, booking.ends_at, exclude_id=booking.id)
    if clash:
        raise DomainError(_("The venue is already booked from %(start)s to %(end)s.",
                            start=format_datetime(clash[0].starts_at), end=format_datetime(clash[0].ends_at)))
    booking.status = APPROVED
    booking.decided_by_id = getattr(actor, "id", None)
    booking.decided_at = utcnow()
    save_approved(booking)
    audit("booking.approved", booking, actor=actor, automatic=automatic)
    if not automatic:
        signals.booking_decided.send(booking, booking=booking, reason="", actor=actor)
    if booking.requester_id and booking.requester_id != getattr(actor, "id", None):
        notify(booking.requester_id, _("Booking approved: %(venue)s", venue=venue.name),
               _("%(start)s–%(end)s: %(purpose)s", start=format_datetime(booking.starts_at),
                 end=format_datetime(booking.ends_at), purpose=booking.purpose),
               url=f"/venues/bookings/{booking.id}")
    losers = list(db.session.scalars(select(Booking).where(
        Booking.venue_id == venue.id, Booking.status == PENDING, Booking.id != booking.id,
        overlaps(Booking.starts_at, Booking.ends_at, booking.starts_at, booking.ends_at))))
    reason = _("Another booking was approved for this time (%(start)s–%(end)s).",
               start=format_datetime(booking.starts_at), end=format_datetime(booking.ends_at))
    for other in losers:
        _decide(actor, other, REJECTED, reason, action="booking.rejected_by_collision")
    return losers


def _decide(actor, booking: Booking, status: str, reason: str, action: str) -> None:
    booking.status = status
    booking.reason = reason[:300]
    booking.decided_by_id = getattr(actor, "id", None)
    booking.decided_at = utcnow()
    audit(action, booking, actor=actor, reason=reason)
    signals.booking_decided.send(booking, booking=booking, reason=reason, actor=actor)
    if booking.requester_id and booking.requester_id != getattr(actor, "id", None):
        subject = {REJECTED: _("Booking request rejected: %(venue)s", venue=booking.venue.name),
                   CANCELLED: _("Booking cancelled: %(venue)s", venue=booking.venue.name)}[status]
        notify(booking.requester_id, subject,
               _("%(start)s–%(end)s: %(reason)s", start=format_datetime(booking.starts_at),
                 end=format_datetime(booking.ends_at), reason=reason),
               url=f"/venues/bookings/{booking.id}")


def reject(actor, booking: Booking, reason: str) -> None:
    if not can_approve(actor, booking.venue):
        raise DomainError(_("Only the venue's managers or the commune's officers may reject."))
    reason = nfc(reason)
    if not reason:
        raise DomainError(_("Give the reason for the rejection."), "reason")
    lock_venue(booking.venue_id)
    _refresh(booking)
    if booking.status != PENDING:
        raise DomainError(_("This request has already been decided."))
    _decide(actor, booking, REJECTED, reason, "booking.rejected")


def can_cancel(user, booking: Booking) -> bool:
    return booking.status in ACTIVE_STATUSES and (
        booking.requester_id == getattr(user, "id", None) or can_approve(user, booking.venue))


def cancel(actor, booking: Booking, reason: str = "") -> None:
    if not can_cancel(actor, booking):
        if booking.status not in ACTIVE_STATUSES:
            raise DomainError(_("This booking is no longer active."))
        raise DomainError(_("Only the requester or the venue's managers may cancel this booking."))
    lock_venue(booking.venue_id)
    _refresh(booking)
    if booking.status not in ACTIVE_STATUSES:
        raise DomainError(_("This booking is no longer active."))
    _decide(actor, booking, CANCELLED, nfc(reason) or _("Cancelled by %(who)s.", who=actor.full_name),
            "booking.cancelled")


# --- recurring bookings -----------------------------------------------------------------------

@dataclass
class Occurrence:
    day: date
    starts_at: datetime
    ends_at: datetime
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def weekly_dates(first: date, until: date) -> list[date]:
    if until < first:
        raise DomainError(_("The last date must not be before the first date."), "until")
    days = [first + timedelta(weeks=i) for i in range((until - first).days // 7 + 1)]
    if len(days) > MAX_OCCURRENCES:
        raise DomainError(_("At most %(n)s occurrences at once; shorten the period.", n=MAX_OCCURRENCES), "until")
    return days


def preview_series(actor, venue: Venue, *, first: date, until: date, start: time, end: time,
                   attendance: int, now: datetime | None = None) -> list[Occurrence]:
    """Each weekly occurrence with what stands in its way (rules, holidays, closures, bookings).
    Three queries whatever the number of occurrences."""
    require_end_after_start(start, end, "end")
    days = weekly_dates(first, until)
    spans = [(d, local_moment(d, start), local_moment(d, end)) for d in days]
    lo, hi = spans[0][1], spans[-1][2]
    taken = list(db.session.scalars(select(Booking).where(
        Booking.venue_id == venue.id, Booking.status.in_(ACTIVE_STATUSES),
        overlaps(Booking.starts_at, Booking.ends_at, lo, hi))))
    closures = list(db.session.scalars(select(Closure).where(
        Closure.venue_id == venue.id, overlaps(Closure.starts_at, Closure.ends_at, lo, hi))))
    result = []
    for day, s, e in spans:
        problems = [m for _f, m in rule_problems(venue, s, e, attendance, now, closures=closures)]
        for b in taken:
            if b.starts_at < e and b.ends_at > s:
                if b.status == APPROVED:
                    problems.append(_("Already booked: %(purpose)s.", purpose=b.purpose))
                else:
                    problems.append(_("Requested by someone else: %(purpose)s.", purpose=b.purpose))
        result.append(Occurrence(day, s, e, problems))
    return result


def create_series(actor, venue: Venue, *, first: date, until: date, start: time, end: time, purpose: str,
                  attendance: int, skip_conflicts: bool, now: datetime | None = None) -> tuple[BookingSeries, list]:
    """Request every weekly occurrence. With conflicts: refused unless skip_conflicts, which leaves
    the conflicting dates out."""
    if not can_book(actor, venue):
        raise DomainError(_("You may book venues only in your own commune, unless the venue accepts outside "
                            "requests."))
    occurrences = preview_series(actor, venue, first=first, until=until, start=start, end=end,
                                 attendance=attendance, now=now)
    bad = [o for o in occurrences if not o.ok]
    if bad and not skip_conflicts:
        raise DomainError(_("%(n)s of the dates have conflicts. Tick \"skip conflicting dates\" or change the "
                            "dates.", n=len(bad)), "skip_conflicts")
    good = [o for o in occurrences if o.ok]
    if not good:
        raise DomainError(_("None of the dates is free."), "first")
    series = BookingSeries(venue_id=venue.id, requester_id=actor.id, first_date=first, until=until, skipped=len(bad))
    db.session.add(series)
    db.session.flush()
    bookings = [request_booking(actor, venue, starts_at=o.starts_at, ends_at=o.ends_at, purpose=purpose,
                                expected_attendance=attendance, series=series, now=now) for o in good]
    audit("booking_series.requested", series, actor=actor, venue=venue.id, occurrences=len(good), skipped=len(bad))
    return series, bookings


# --- closures ---------------------------------------------------------------------------------

def bookings_in(venue_id: int, starts_at: datetime, ends_at: datetime) -> list[Booking]:
    return list(db.session.scalars(select(Booking).options(selectinload(Booking.requester)).where(
        Booking.venue_id == venue_id, Booking.status.in_(ACTIVE_STATUSES),
        overlaps(Booking.starts_at, Booking.ends_at, starts_at, ends_at)).order_by(Booking.starts_at)))


def add_closure(actor, venue: Venue, *, starts_at: datetime, ends_at: datetime, reason: str,
                on_conflict: str | None = None) -> tuple[Closure, list[Booking]]:
    """Close a venue. Existing bookings in the period: the caller must choose to notify their
    requesters ("notify") or cancel them ("cancel"); without a choice a DomainError asks for one."""
    if not can_manage_venue(actor, venue) and not venue.is_manager(actor):
        raise DomainError(_("Only the venue's managers or the commune's officers may close it."))
    reason = nfc(reason)
    require_end_after_start(starts_at, ends_at, "ends")
    if not reason:
        raise DomainError(_("Give the reason for the closure."), "reason")
    affected = bookings_in(venue.id, starts_at, ends_at)
    if affected and on_conflict not in ("notify", "cancel"):
        raise DomainError(_("%(n)s bookings fall in this period. Choose whether to notify or cancel them.",
                            n=len(affected)), "on_conflict")
    closure = Closure(venue_id=venue.id, starts_at=starts_at, ends_at=ends_at, reason=reason[:300],
                      created_by_id=getattr(actor, "id", None))
    db.session.add(closure)
    db.session.flush()
    audit("venue.closed", venue, actor=actor, closure=closure.id, starts_at=starts_at, ends_at=ends_at,
          affected=len(affected), on_conflict=on_conflict)
    message = _("The venue will be closed from %(start)s to %(end)s: %(reason)s",
                start=format_datetime(starts_at), end=format_datetime(ends_at), reason=reason)
    for booking in affected:
        if on_conflict == "cancel":
            _decide(actor, booking, CANCELLED, message, "booking.cancelled_by_closure")
        elif booking.requester_id and booking.requester_id != getattr(actor, "id", None):
            notify(booking.requester_id, _("Closure over your booking: %(venue)s", venue=venue.name), message,
                   url=f"/venues/bookings/{booking.id}")
    return closure, affected


def delete_closure(actor, closure: Closure) -> None:
    audit("venue.reopened", closure.venue, actor=actor, closure=closure.id)
    db.session.delete(closure)


# --- finding ----------------------------------------------------------------------------------

def search_free(user, commune_code: int, starts_at: datetime, ends_at: datetime, capacity: int | None = None,
                equipment: list[str] | None = None, now: datetime | None = None) -> list[Venue]:
    """Active venues of the commune the user may book, large enough, with the equipment, and with no
    approved booking or closure in the period. Two queries whatever the number of venues; the
    hours and holiday rules are then checked in Python on the loaded rows."""
    require_end_after_start(starts_at, ends_at, "ends")
    stmt = select(Venue).where(outside_condition(user, commune_code), Venue.active.is_(True))
    if capacity:
        stmt = stmt.where(Venue.capacity >= capacity)
    for item in equipment or []:
        stmt = stmt.where(exists().where(VenueEquipment.venue_id == Venue.id, VenueEquipment.item == item,
                                         VenueEquipment.quantity > 0))
    stmt = stmt.where(
        ~exists().where(Booking.venue_id == Venue.id, Booking.status == APPROVED,
                        overlaps(Booking.starts_at, Booking.ends_at, starts_at, ends_at)),
        ~exists().where(Closure.venue_id == Venue.id, overlaps(Closure.starts_at, Closure.ends_at, starts_at, ends_at)),
    )
    venues = db.session.scalars(stmt.options(selectinload(Venue.hours), selectinload(Venue.equipment))
                                .order_by(Venue.name)).all()
    free = []
    for venue in venues:
        # Closures were excluded by the query; notice, hours and holidays are checked here.
        problems = rule_problems(venue, starts_at, ends_at, None, now=now, closures=[])
        if not problems:
            free.append(venue)
    return free


def way_out_of_clash(user, venue: Venue, starts_at: datetime, ends_at: datetime,
                     attendance: int | None = None) -> dict | None:
    """When the venue is taken at this time (an approved booking or a closure): the other venues of
    its commune free for the same slot (large enough), for the refusal to offer. None when the venue
    is not taken (the refusal was about something else)."""
    if ends_at <= starts_at:
        return None
    taken = approved_overlapping(venue.id, starts_at, ends_at) or db.session.scalar(
        select(Closure.id).where(Closure.venue_id == venue.id,
                                 overlaps(Closure.starts_at, Closure.ends_at, starts_at, ends_at)).limit(1))
    if not taken:
        return None
    free = [v for v in search_free(user, venue.commune_code, starts_at, ends_at, capacity=attendance or None)
            if v.id != venue.id]
    local = to_local(starts_at)
    return {"free": free, "week": week_start(local.date()), "on": local.date(), "day": local.date().isoformat(),
            "start": local.strftime("%H:%M"), "end": to_local(ends_at).strftime("%H:%M")}


def week_view(venue: Venue, monday: date) -> list[dict]:
    """Seven days from ``monday``: each with its bookings (pending and approved), closures and holiday."""
    lo = day_start(monday)
    hi = lo + timedelta(days=7)
    bookings = list(db.session.scalars(select(Booking).options(selectinload(Booking.requester)).where(
        Booking.venue_id == venue.id, Booking.status.in_(ACTIVE_STATUSES),
        overlaps(Booking.starts_at, Booking.ends_at, lo, hi)).order_by(Booking.starts_at)))
    closures = list(db.session.scalars(select(Closure).where(
        Closure.venue_id == venue.id, overlaps(Closure.starts_at, Closure.ends_at, lo, hi))))
    hours = venue.hours_map()
    days = []
    for i in range(7):
        day = monday + timedelta(days=i)
        d_lo = day_start(day)
        d_hi = d_lo + timedelta(days=1)
        days.append({
            "date": day,
            "hours": hours.get(day.weekday()),
            "holiday": holiday_name(day),
            "bookings": [b for b in bookings if b.starts_at < d_hi and b.ends_at > d_lo],
            "closures": [c for c in closures if c.starts_at < d_hi and c.ends_at > d_lo],
        })
    return days



