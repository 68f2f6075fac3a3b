"""Volunteer operations: profiles, shifts, signups without overbooking, the day's work, outcome metrics.

Every operation checks its rule and raises DomainError with a message for the user, writes its audit
entry and notices, and leaves the commit to the caller (one commit per request).

Capacity: each operation that may fill a place first takes the shift's lock (``_lock_shift``:
``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite a no-op UPDATE of the shift row, which opens the
write transaction), then counts the confirmed signups. Two requests for the last place are therefore
serialised; the unique (shift, volunteer) constraint stops double signups. Signing up and assigning
also lock the volunteer's profile first (always profile, then shift: no deadlock), so that the overlap
rule holds when one volunteer signs up for two overlapping shifts at once.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import holidays
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import contains_eager

from campaign.accounts import permissions as perm
from campaign.accounts.models import VOLUNTEER, RoleGrant
from campaign.accounts.services import create_user
from campaign.campaigns.models import TARGET_GROUPS, Campaign
from campaign.core import phone as phones
from campaign.core.services import DomainError, audit, notify
from campaign.core.text import fold, nfc
from campaign.core.timeutil import (
    LOCAL_TZ,
    day_end,
    day_start,
    format_datetime,
    local_moment,
    to_local,
    week_start,
)
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.units import services as units
from campaign.units.models import Commune, Village
from campaign.volunteers import signals
from campaign.volunteers.models import (
    LANGUAGES,
    SHIFT_ROLES,
    SKILLS,
    Shift,
    Signup,
    SignupHelped,
    VolunteerProfile,
)

ORGANISERS = perm.ORGANISERS
# The metrics of campaigns.models.METRICS that volunteer outcomes feed.
VOLUNTEER_METRICS = ("people_helped", "vneid_assisted", "public_service_accounts", "volunteer_hours",
                     "shifts_filled", "households_reached")
ACTIVE = ("confirmed", "waitlisted")
MAX_BULK = 2000


# --- profiles --------------------------------------------------------------------------------------

def _clean_codes(values, allowed, field_name: str) -> list[str]:
    values = [v.strip() for v in (values or []) if v and v.strip()]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise DomainError(_("Unknown value: %(v)s.", v=", ".join(unknown)), field_name)
    return sorted(set(values), key=list(allowed).index)


def _check_commune(code, province_code: int | None = None, field_name: str = "home_commune_code") -> Commune:
    commune = db.session.get(Commune, code) if code else None
    if commune is None:
        raise DomainError(_("Choose a commune or ward."), field_name)
    if province_code is not None and commune.province_code != province_code:
        raise DomainError(_("This commune is not in the campaign's province."), field_name)
    return commune


def phone_taken(phone: str, exclude_id: int | None = None) -> bool:
    stmt = select(VolunteerProfile.id).where(VolunteerProfile.phone == phone)
    if exclude_id:
        stmt = stmt.where(VolunteerProfile.id != exclude_id)
    return db.session.scalar(stmt) is not None


def _profile_values(*, phone, school, youth_branch, home_commune_code, skills, languages, availability) -> dict:
    phone = phones.normalise(phone, required=True)
    _check_commune(home_commune_code)
    return dict(phone=phone, school=nfc(school)[:200], youth_branch=nfc(youth_branch)[:200],
                home_commune_code=home_commune_code, skills=_clean_codes(skills, SKILLS, "skills"),
                languages=_clean_codes(languages, LANGUAGES, "languages"), availability=(availability or "").strip())


def register_volunteer(*, username: str, password: str, full_name: str, phone: str, email: str | None,
                       school: str, youth_branch: str, home_commune_code: int, skills, languages,
                       availability: str, consent: bool) -> VolunteerProfile:
    """A public sign-up: the account is created inactive and the profile pending until an organiser of
    the home commune (or its province) approves it."""
    if not consent:
        raise DomainError(_("Please agree to the use of your personal data for the campaign."), "consent")
    values = _profile_values(phone=phone, school=school, youth_branch=youth_branch,
                             home_commune_code=home_commune_code, skills=skills, languages=languages,
                             availability=availability)
    if phone_taken(values["phone"]):
        raise DomainError(_("A volunteer with this phone number is already registered."), "phone")
    user = create_user(None, username=username, full_name=nfc(full_name), password=password, role=VOLUNTEER,
                       commune_code=home_commune_code, email=email)
    user.active = False
    profile = VolunteerProfile(user_id=user.id, consent_at=utcnow(), status="pending", **values)
    db.session.add(profile)
    db.session.flush()
    audit("volunteer.registered", profile, actor=user, commune=home_commune_code)
    for organiser in _organisers_of(home_commune_code):
        notify(organiser, _("A new volunteer is waiting for approval"), url="/volunteers/people?status=pending")
    return profile


def update_own_profile(user, profile: VolunteerProfile, *, full_name: str, email: str | None, phone: str,
                       school: str, youth_branch: str, skills, languages, availability: str) -> list[str]:
    """A volunteer corrects their own profile (their home commune stays: its organisers manage them).
    Returns the names of the fields changed (audited without their values)."""
    if profile.user_id != getattr(user, "id", None):
        raise DomainError(_("You can only change your own profile."))
    full_name = nfc(full_name or "")
    if not full_name:
        raise DomainError(_("Enter your full name."), "full_name")
    values = _profile_values(phone=phone, school=school, youth_branch=youth_branch,
                             home_commune_code=profile.home_commune_code, skills=skills, languages=languages,
                             availability=availability)
    if phone_taken(values["phone"], exclude_id=profile.id):
        raise DomainError(_("A volunteer with this phone number is already registered."), "phone")
    email = (email or "").strip() or None
    changed = [name for name, value in values.items() if getattr(profile, name) != value]
    for name in changed:
        setattr(profile, name, values[name])
    for name, value in (("full_name", full_name[:120]), ("email", email)):
        if getattr(profile.user, name) != value:
            setattr(profile.user, name, value)
            changed.append(name)
    if changed:
        db.session.flush()
        audit("volunteer.profile_updated", profile, actor=user, fields=",".join(sorted(changed)))
    return changed


def _organisers_of(commune_code: int) -> list[int]:
    province = units.province_of(commune_code)
    return list(db.session.scalars(select(RoleGrant.user_id).where(
        RoleGrant.role == "youth_organiser",
        (RoleGrant.commune_code == commune_code) | (RoleGrant.province_code == province)).distinct()))


def can_manage_volunteer(user, profile: VolunteerProfile) -> bool:
    return perm.can_in_commune(user, profile.home_commune_code, ORGANISERS)


def can_see_phone(user, profile: VolunteerProfile) -> bool:
    return getattr(user, "id", None) == profile.user_id or can_manage_volunteer(user, profile)


def decide_volunteer(actor, profile: VolunteerProfile, approve: bool) -> None:
    if not can_manage_volunteer(actor, profile):
        raise DomainError(_("You may not manage volunteers of this commune."))
    profile.status = "approved" if approve else "rejected"
    profile.decided_by_id = actor.id
    profile.decided_at = utcnow()
    profile.user.active = approve
    if not approve:
        profile.user.end_sessions()
    audit("volunteer.approved" if approve else "volunteer.rejected", profile, actor=actor)
    if approve:
        signals.volunteer_approved.send(profile, profile=profile, actor=actor)
        notify(profile.user, _("Your volunteer profile was approved. Welcome, digital ambassador!"),
               url="/volunteers/shifts")


def check_import_row(actor, *, full_name: str, phone: str | None, email: str | None, commune_code: int,
                     consent: bool | None, school: str = "", youth_branch: str = "", skills=(), languages=(),
                     availability: str = "", phones: set[str]) -> tuple[str, str | None, dict]:
    """One row of a volunteers import, its cells already read (``reports.importers.VolunteerImporter``):
    (full name, email, profile values), or DomainError with the reason. ``phones`` holds the numbers of
    the file's earlier rows (added to)."""
    name = nfc(full_name)
    if not name:
        raise DomainError(_("the full name is missing"))
    if not perm.can_in_commune(actor, commune_code, ORGANISERS):
        raise DomainError(_("this commune is outside your scope"))
    if consent is not True:
        raise DomainError(_("the volunteer's consent is not recorded"))
    values = _profile_values(phone=phone, school=school, youth_branch=youth_branch, home_commune_code=commune_code,
                             skills=list(skills), languages=list(languages), availability=availability)
    if values["phone"] in phones or phone_taken(values["phone"]):
        raise DomainError(_("a volunteer with this phone number already exists"))
    phones.add(values["phone"])
    return name, email or None, values


def create_imported_volunteers(actor, rows, source: str = "import") -> list[VolunteerProfile]:
    """Create approved volunteers (accounts and profiles) from rows checked by ``check_import_row``;
    one audit entry with the count."""
    created = []
    for name, email, values in rows:
        base = ".".join(fold(name).split()[-2:]).replace("đ", "d")[:60] or "tnv"
        username = f"tnv.{base}.{secrets.token_hex(2)}"
        user = create_user(None, username=username, full_name=name, password=secrets.token_urlsafe(12),
                           role=VOLUNTEER, commune_code=values["home_commune_code"], email=email)
        user.created_by_id = actor.id
        profile = VolunteerProfile(user_id=user.id, consent_at=utcnow(), status="approved", decided_by_id=actor.id,
                                   decided_at=utcnow(), **values)
        db.session.add(profile)
        created.append(profile)
    db.session.flush()
    audit("volunteer.imported", actor=actor, object_type="volunteer_profiles", object_id=source,
          count=len(created))
    return created


def profile_of(user) -> VolunteerProfile | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == user.id))


# --- shifts ----------------------------------------------------------------------------------------

def can_manage_shift(user, shift: Shift) -> bool:
    return perm.can_in_commune(user, shift.commune_code, ORGANISERS)


def can_run_shift(user, shift: Shift) -> bool:
    """Organisers of the commune, or the volunteer leading this shift, run it on the day."""
    if can_manage_shift(user, shift):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(Signup.id).join(VolunteerProfile).where(
        Signup.shift_id == shift.id, Signup.is_lead.is_(True), Signup.status == "confirmed",
        VolunteerProfile.user_id == user.id)) is not None


def _shift_values(actor, campaign: Campaign, v: dict) -> dict:
    if v.get("role") not in SHIFT_ROLES:
        raise DomainError(_("Choose the shift's role."), "role")
    commune = _check_commune(v.get("commune_code"), campaign.province_code, "commune_code")
    if not perm.can_in_commune(actor, commune.code, ORGANISERS):
        raise DomainError(_("You may not organise shifts in %(c)s.", c=commune.name), "commune_code")
    if v.get("village_id"):
        village = db.session.get(Village, v["village_id"])
        if village is None or village.commune_code != commune.code:
            raise DomainError(_("This village is not in the chosen commune."), "village_id")
    starts, ends = v.get("starts_at"), v.get("ends_at")
    if not starts or not ends:
        raise DomainError(_("Enter when the shift starts and ends."), "starts_at")
    if ends <= starts:
        raise DomainError(_("The shift must end after it starts."), "ends_at")
    if ends - starts > timedelta(hours=12):
        raise DomainError(_("A shift lasts at most 12 hours."), "ends_at")
    first = datetime.combine(campaign.starts_on, time(0), LOCAL_TZ)
    last = datetime.combine(campaign.ends_on + timedelta(days=1), time(0), LOCAL_TZ)
    if starts < first or ends > last:
        raise DomainError(_("The shift must fall within the campaign (%(a)s – %(b)s).",
                            a=campaign.starts_on.strftime("%d/%m/%Y"), b=campaign.ends_on.strftime("%d/%m/%Y")),
                          "starts_at")
    lo, hi = v.get("min_needed"), v.get("max_needed")
    if hi is None or hi < 1:
        raise DomainError(_("A shift needs at least one volunteer."), "max_needed")
    lo = hi if lo is None else lo
    if lo < 0 or lo > hi:
        raise DomainError(_("The minimum must be between 0 and the maximum."), "min_needed")
    if v.get("required_skill") and v["required_skill"] not in SKILLS:
        raise DomainError(_("Unknown skill."), "required_skill")
    opens, closes, cutoff = v.get("signup_opens_at"), v.get("signup_closes_at"), v.get("signout_cutoff_at")
    if opens and closes and closes <= opens:
        raise DomainError(_("Sign-up must close after it opens."), "signup_closes_at")
    if closes and closes > starts:
        raise DomainError(_("Sign-up must close before the shift starts."), "signup_closes_at")
    if cutoff and cutoff > starts:
        raise DomainError(_("The sign-out cut-off must be before the shift starts."), "signout_cutoff_at")
    return dict(role=v["role"], title=nfc(v.get("title"))[:200], commune_code=commune.code,
                village_id=v.get("village_id") or None, location=nfc(v.get("location"))[:300], starts_at=starts,
                ends_at=ends, min_needed=lo, max_needed=hi, required_skill=v.get("required_skill") or None,
                preferred_skills=_clean_codes(v.get("preferred_skills"), SKILLS, "preferred_skills"),
                signup_opens_at=opens, signup_closes_at=closes, signout_cutoff_at=cutoff,
                notes=(v.get("notes") or "").strip())


def create_shift(actor, campaign: Campaign, **values) -> Shift:
    shift = Shift(campaign_id=campaign.id, created_by_id=actor.id, **_shift_values(actor, campaign, values))
    db.session.add(shift)
    db.session.flush()
    audit("shift.created", shift, actor=actor, commune=shift.commune_code, starts=shift.starts_at)
    return shift


def confirmed_count(shift_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Signup).where(
        Signup.shift_id == shift_id, Signup.status == "confirmed")) or 0


def update_shift(actor, shift: Shift, *, move_to_waitlist: list[int] | None = None, **values) -> list[Signup]:
    """Change a shift. Lowering the capacity below the confirmed signups needs ``move_to_waitlist``: the
    ids of exactly the signups that go back to the waiting list. Raising it promotes from the list.
    Returns the signups moved to the waiting list."""
    if not can_manage_shift(actor, shift):
        raise DomainError(_("You may not change shifts in this commune."))
    clean = _shift_values(actor, shift.campaign, values)
    shift = _lock_shift(shift.id)
    confirmed = [s for s in shift.signups if s.status == "confirmed"]
    excess = len(confirmed) - clean["max_needed"]
    moved: list[Signup] = []
    if excess > 0:
        chosen = {int(i) for i in (move_to_waitlist or [])}
        moved = [s for s in confirmed if s.id in chosen]
        if len(moved) != excess:
            raise DomainError(_("%(n)d volunteers are confirmed for this shift. Choose %(k)d of them to move "
                                "to the waiting list.", n=len(confirmed), k=excess), "max_needed")
    changes = {}
    for k, v in clean.items():
        if getattr(shift, k) != v:
            changes[k] = [getattr(shift, k), v]
            setattr(shift, k, v)
    for s in moved:
        s.status, s.overbooked = "waitlisted", False
        s.queued_at = s.created_at  # they had a place: they go to the head of the list
        audit("signup.moved_to_waitlist", s, actor=actor, shift=shift.id)
        notify(s.volunteer.user, _("Your shift on %(when)s was reduced; you are now on its waiting list.",
                                   when=format_datetime(shift.starts_at)), url="/volunteers/my")
    db.session.flush()
    if changes:
        audit("shift.updated", shift, actor=actor, changes=changes)
        signals.shift_changed.send(shift, shift=shift, changes=changes, actor=actor)
    if excess < 0:
        promote_waitlist(shift, actor)
    return moved


def delete_shift(actor, shift: Shift) -> None:
    if not can_manage_shift(actor, shift):
        raise DomainError(_("You may not change shifts in this commune."))
    for s in shift.signups:
        if s.status in ACTIVE:
            notify(s.volunteer.user, _("The shift on %(when)s in %(c)s was cancelled.",
                                       when=format_datetime(shift.starts_at), c=shift.commune.name))
    audit("shift.deleted", shift, actor=actor, commune=shift.commune_code, starts=shift.starts_at)
    signals.shift_cancelled.send(shift, shift=shift, signups=[s for s in shift.signups if s.status in ACTIVE],
                                 actor=actor)
    db.session.delete(shift)


@dataclass
class BulkPlan:
    rows: list[dict]
    skipped_holidays: list[date]


def plan_bulk(actor, campaign: Campaign, *, commune_codes, date_from: date, date_to: date, weekdays,
              start_time: time, end_time: time, skip_holidays: bool = True, **shift_values) -> BulkPlan:
    """Preview: one shift per chosen day and commune. Nothing is written."""
    if not commune_codes:
        raise DomainError(_("Choose at least one commune."), "communes")
    if not weekdays:
        raise DomainError(_("Choose at least one day of the week."), "weekdays")
    if not date_from or not date_to or date_to < date_from:
        raise DomainError(_("The last day must not be before the first day."), "date_to")
    if not start_time or not end_time or end_time <= start_time:
        raise DomainError(_("The shift must end after it starts."), "end_time")
    days = [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]
    days = [d for d in days if d.weekday() in set(weekdays)]
    skipped = []
    if skip_holidays:
        vn = holidays.Vietnam(years=sorted({d.year for d in days}) or [date_from.year])
        skipped = [d for d in days if d in vn]
        days = [d for d in days if d not in vn]
    if len(days) * len(commune_codes) > MAX_BULK:
        raise DomainError(_("That would be more than %(n)d shifts; choose fewer days or communes.", n=MAX_BULK),
                          "date_to")
    communes = units.communes_by_code(commune_codes)
    rows = []
    for code in commune_codes:
        for d in days:
            values = dict(shift_values, commune_code=code,
                          starts_at=local_moment(d, start_time),
                          ends_at=local_moment(d, end_time))
            clean = _shift_values(actor, campaign, values)  # raises on the first bad one
            rows.append(dict(clean, commune_name=communes[code].name))
    if not rows:
        raise DomainError(_("No day in this period matches the chosen days of the week."), "weekdays")
    return BulkPlan(rows=rows, skipped_holidays=skipped)


def create_bulk(actor, campaign: Campaign, **plan_args) -> list[Shift]:
    plan = plan_bulk(actor, campaign, **plan_args)
    shifts = []
    for row in plan.rows:
        row = {k: v for k, v in row.items() if k != "commune_name"}
        shift = Shift(campaign_id=campaign.id, created_by_id=actor.id, **row)
        db.session.add(shift)
        shifts.append(shift)
    db.session.flush()
    audit("shift.bulk_created", actor=actor, object_type="campaigns", object_id=campaign.id, count=len(shifts),
          communes=sorted({s.commune_code for s in shifts}))
    return shifts


# --- signups ---------------------------------------------------------------------------------------

def _lock_shift(shift_id: int) -> Shift:
    """Serialise every change of a shift's places (see the module's docstring)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(Shift).where(Shift.id == shift_id).values(id=Shift.id))
    else:
        db.session.execute(select(Shift.id).where(Shift.id == shift_id).with_for_update())
    shift = db.session.get(Shift, shift_id, populate_existing=True)
    if shift is None:
        raise DomainError(_("This shift no longer exists."))
    return shift


def _lock_profile(profile_id: int) -> None:
    """Serialise a volunteer's own signups (the overlap rule), taken before any shift lock."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(VolunteerProfile).where(VolunteerProfile.id == profile_id)
                           .values(id=VolunteerProfile.id))
    else:
        db.session.execute(select(VolunteerProfile.id).where(VolunteerProfile.id == profile_id).with_for_update())


def _overlapping(profile_id: int, shift: Shift) -> Shift | None:
    return db.session.scalar(select(Shift).join(Signup).where(
        Signup.volunteer_id == profile_id, Signup.status.in_(ACTIVE), Shift.id != shift.id,
        Shift.starts_at < shift.ends_at, Shift.ends_at > shift.starts_at).limit(1))


def _existing(shift_id: int, profile_id: int) -> Signup | None:
    return db.session.scalar(select(Signup).where(Signup.shift_id == shift_id, Signup.volunteer_id == profile_id))


def signup_problem(shift: Shift, profile: VolunteerProfile, now: datetime | None = None) -> str | None:
    """Why this volunteer may not sign up now (capacity aside), or None."""
    now = now or utcnow()
    if profile.status != "approved":
        return _("Your volunteer profile has not been approved yet.")
    if shift.starts_at <= now:
        return _("This shift has already started.")
    if shift.signup_opens_at and now < shift.signup_opens_at:
        return _("Sign-up for this shift opens on %(when)s.", when=format_datetime(shift.signup_opens_at))
    if shift.signup_closes_at and now >= shift.signup_closes_at:
        return _("Sign-up for this shift closed on %(when)s.", when=format_datetime(shift.signup_closes_at))
    if not profile.has_skill(shift.required_skill):
        from campaign.volunteers.forms import SKILL_LABELS

        return _("This shift needs the skill “%(s)s”, which is not in your profile.",
                 s=SKILL_LABELS.get(shift.required_skill, shift.required_skill))
    return None


def sign_up(user, shift: Shift, *, join_waitlist: bool = False, now: datetime | None = None) -> Signup:
    """A volunteer takes a place on a shift (or joins its waiting list when it is full and they agree)."""
    now = now or utcnow()
    profile = profile_of(user)
    if profile is None:
        raise DomainError(_("You need a volunteer profile to sign up for shifts."))
    problem = signup_problem(shift, profile, now)
    if problem:
        raise DomainError(problem)
    _lock_profile(profile.id)
    shift = _lock_shift(shift.id)
    existing = _existing(shift.id, profile.id)
    if existing is not None and existing.status in ACTIVE:
        raise DomainError(_("You are already signed up for this shift."))
    if existing is not None and existing.status == "no_show":
        raise DomainError(_("You were marked absent from this shift."))
    clash = _overlapping(profile.id, shift)
    if clash is not None:
        raise DomainError(_("This shift overlaps your shift on %(when)s in %(c)s.",
                            when=format_datetime(clash.starts_at), c=clash.commune.name))
    full = confirmed_count(shift.id) >= shift.max_needed
    if full and not join_waitlist:
        raise DomainError(_("This shift is full. You can join its waiting list."))
    signup = existing or Signup(shift_id=shift.id, volunteer_id=profile.id)
    signup.status = "waitlisted" if full else "confirmed"
    signup.queued_at, signup.cancelled_at, signup.overbooked, signup.is_lead = now, None, False, False
    signup.assigned_by_id = None
    db.session.add(signup)
    db.session.flush()
    audit("signup.waitlisted" if full else "signup.confirmed", signup, actor=user, shift=shift.id)
    return signup


def promote_waitlist(shift: Shift, actor=None) -> list[Signup]:
    """Fill free places from the waiting list, earliest first; each promoted volunteer is told.
    The caller holds the shift's lock."""
    free = shift.max_needed - confirmed_count(shift.id)
    if free <= 0:
        return []
    waiting = db.session.scalars(select(Signup).where(Signup.shift_id == shift.id, Signup.status == "waitlisted")
                                 .order_by(Signup.queued_at, Signup.id).limit(free)).all()
    for s in waiting:
        s.status = "confirmed"
        audit("signup.promoted", s, actor=actor, shift=shift.id)
        notify(s.volunteer.user, _("A place opened up: you are confirmed for the shift on %(when)s in %(c)s.",
                                   when=format_datetime(shift.starts_at), c=shift.commune.name),
               url="/volunteers/my")
    db.session.flush()
    for s in waiting:
        signals.signup_promoted.send(shift, signup=s, actor=actor)
    return list(waiting)


def cancel_signup(actor, signup: Signup, *, now: datetime | None = None) -> list[Signup]:
    """The volunteer signs out (before the cut-off), or an organiser removes them (any time before the end).
    A freed place goes to the waiting list. Returns the promoted signups."""
    now = now or utcnow()
    shift = signup.shift
    own = getattr(actor, "id", None) == signup.volunteer.user_id
    organiser = can_manage_shift(actor, shift)
    if not own and not organiser:
        raise DomainError(_("You may not change this signup."))
    if signup.status not in ACTIVE:
        raise DomainError(_("This signup is no longer active."))
    if not organiser and now >= shift.cutoff and signup.status == "confirmed":
        raise DomainError(_("The sign-out cut-off (%(when)s) has passed. Please call the shift's organiser.",
                            when=format_datetime(shift.cutoff)))
    if now >= shift.ends_at:
        raise DomainError(_("This shift is over."))
    shift = _lock_shift(shift.id)
    was_confirmed = signup.status == "confirmed"
    signup.status, signup.cancelled_at, signup.is_lead = "cancelled", now, False
    db.session.flush()
    audit("signup.cancelled" if own else "signup.removed", signup, actor=actor, shift=shift.id)
    if not own:
        notify(signup.volunteer.user, _("An organiser removed you from the shift on %(when)s in %(c)s.",
                                        when=format_datetime(shift.starts_at), c=shift.commune.name),
               url="/volunteers/my")
    return promote_waitlist(shift, actor) if was_confirmed else []


def assign(actor, shift: Shift, profile: VolunteerProfile, *, overbook: bool = False, lead: bool = False) -> Signup:
    """An organiser puts a volunteer on a shift; with ``overbook`` beyond its capacity (recorded)."""
    if not can_manage_shift(actor, shift):
        raise DomainError(_("You may not change shifts in this commune."))
    if profile.status != "approved":
        raise DomainError(_("This volunteer has not been approved yet."), "volunteer")
    _lock_profile(profile.id)
    shift = _lock_shift(shift.id)
    existing = _existing(shift.id, profile.id)
    if existing is not None and existing.status == "confirmed":
        if lead and not existing.is_lead:
            existing.is_lead = True
            audit("signup.made_lead", existing, actor=actor)
            return existing
        raise DomainError(_("This volunteer is already on the shift."), "volunteer")
    clash = _overlapping(profile.id, shift)
    if clash is not None:
        raise DomainError(_("This volunteer already has a shift at that time (%(when)s in %(c)s).",
                            when=format_datetime(clash.starts_at), c=clash.commune.name), "volunteer")
    full = confirmed_count(shift.id) >= shift.max_needed
    if full and not overbook:
        raise DomainError(_("The shift is full. Tick “overbook deliberately” to add the volunteer anyway."),
                          "volunteer")
    signup = existing or Signup(shift_id=shift.id, volunteer_id=profile.id)
    signup.status, signup.overbooked, signup.is_lead = "confirmed", full, lead
    signup.assigned_by_id, signup.cancelled_at, signup.queued_at = actor.id, None, utcnow()
    db.session.add(signup)
    db.session.flush()
    audit("signup.overbooked" if full else "signup.assigned", signup, actor=actor, shift=shift.id)
    notify(profile.user, _("You were assigned to the shift on %(when)s in %(c)s.",
                           when=format_datetime(shift.starts_at), c=shift.commune.name), url="/volunteers/my")
    return signup


# --- on the day ------------------------------------------------------------------------------------

def _runner(actor, signup: Signup) -> None:
    if not can_run_shift(actor, signup.shift):
        raise DomainError(_("Only the shift's lead or an organiser can do this."))


def check_in(actor, signup: Signup, at: datetime | None = None) -> None:
    _runner(actor, signup)
    if signup.status != "confirmed":
        raise DomainError(_("Only confirmed volunteers can be checked in."))
    signup.checked_in_at = at or utcnow()
    signup.checked_out_at, signup.hours = None, None
    audit("signup.checked_in", signup, actor=actor)


def check_out(actor, signup: Signup, at: datetime | None = None) -> None:
    _runner(actor, signup)
    if signup.checked_in_at is None:
        raise DomainError(_("Check the volunteer in first."))
    at = at or utcnow()
    if at < signup.checked_in_at:
        raise DomainError(_("The check-out cannot be before the check-in."))
    signup.checked_out_at = at
    signup.hours = min(round((at - signup.checked_in_at).total_seconds() / 3600, 2), 24.0)
    audit("signup.checked_out", signup, actor=actor, hours=signup.hours)


def correct_hours(actor, signup: Signup, hours: float | None, reason: str) -> None:
    _runner(actor, signup)
    reason = nfc(reason)
    if not reason:
        raise DomainError(_("Give a reason for the correction."), "reason")
    if hours is None or hours < 0 or hours > 24:
        raise DomainError(_("Hours must be between 0 and 24."), "hours")
    if signup.status != "confirmed":
        raise DomainError(_("Only confirmed volunteers have hours."))
    audit("signup.hours_corrected", signup, actor=actor, before=signup.hours, after=hours, reason=reason)
    signup.hours, signup.hours_reason = round(hours, 2), reason[:300]


def mark_no_show(actor, signup: Signup, now: datetime | None = None) -> None:
    _runner(actor, signup)
    if signup.status != "confirmed":
        raise DomainError(_("Only confirmed volunteers can be marked absent."))
    if (now or utcnow()) < signup.shift.starts_at:
        raise DomainError(_("A volunteer can be marked absent only once the shift has started."))
    if signup.checked_in_at is not None:
        raise DomainError(_("This volunteer was checked in."))
    signup.status, signup.hours, signup.is_lead = "no_show", None, False
    audit("signup.no_show", signup, actor=actor)


def record_outcome(actor, signup: Signup, *, households_visited: int = 0, vneid_installed: int = 0,
                   vneid_verified: int = 0, public_service_accounts: int = 0,
                   helped: dict[str, int] | None = None) -> None:
    _runner(actor, signup)
    if signup.status != "confirmed":
        raise DomainError(_("Outcomes are recorded for confirmed volunteers only."))
    numbers = dict(households_visited=households_visited, vneid_installed=vneid_installed,
                   vneid_verified=vneid_verified, public_service_accounts=public_service_accounts)
    for k, v in numbers.items():
        if v is None or v < 0 or v > 10000:
            raise DomainError(_("Enter a number between 0 and 10000."), k)
    helped = {g: int(n or 0) for g, n in (helped or {}).items()}
    for g, n in helped.items():
        if g not in TARGET_GROUPS:
            raise DomainError(_("Unknown target group."))
        if n < 0 or n > 10000:
            raise DomainError(_("Enter a number between 0 and 10000."), f"helped_{g}")
    for k, v in numbers.items():
        setattr(signup, k, v)
    have = {h.target_group: h for h in signup.helped}
    for g, n in helped.items():
        if n and g in have:
            have[g].people = n
        elif n:
            signup.helped.append(SignupHelped(target_group=g, people=n))
        elif g in have:
            signup.helped.remove(have[g])
    db.session.flush()
    audit("signup.outcome", signup, actor=actor, **numbers, helped={g: n for g, n in helped.items() if n})


# --- figures ---------------------------------------------------------------------------------------

def _period(stmt, start: datetime | None, end: datetime | None):
    if start is not None:
        stmt = stmt.where(Shift.starts_at >= start)
    if end is not None:
        stmt = stmt.where(Shift.starts_at < end)
    return stmt


def outcome_metrics(campaign_id: int | list[int], start: datetime | None = None, end: datetime | None = None,
                    communes=None) -> dict[int, dict[str, float]]:
    """The volunteer metrics per commune for a campaign's (or several campaigns') shifts starting in [start, end):
    people_helped, vneid_assisted, public_service_accounts, households_reached, volunteer_hours,
    shifts_filled (confirmed ≥ the minimum, at least one), plus shifts, places_needed and places_filled.
    Two aggregate queries whatever the number of shifts (``outcome_statements``; the reports run them
    inside one UNION ALL with their other aggregates)."""
    per_commune, helped = outcome_statements(campaign_id, start, end, communes)
    return outcome_from_rows(db.session.execute(per_commune).all(), db.session.execute(helped).all())


def outcome_statements(campaign_id: int | list[int], start: datetime | None = None, end: datetime | None = None,
                       communes=None, by=None):
    """The two aggregate statements of ``outcome_metrics`` (per commune: shifts, places needed, places
    filled, shifts filled, hours, VNeID, accounts, households; and people helped per commune).
    ``by``: an expression of a shift's columns (e.g. its local day) to group by too, second column of
    the first statement (the reports' daily facts)."""
    def scoped(stmt):
        ids = [campaign_id] if isinstance(campaign_id, int) else list(campaign_id)
        stmt = _period(stmt.where(Shift.campaign_id.in_(ids)), start, end)
        if communes is not None:
            stmt = stmt.where(Shift.commune_code.in_(list(communes)))
        return stmt

    confirmed = Signup.status == "confirmed"
    extra = [by.label("by")] if by is not None else []
    per_shift = scoped(
        select(Shift.id.label("sid"), Shift.commune_code.label("commune"), *extra, Shift.min_needed.label("lo"),
               Shift.max_needed.label("hi"),
               func.coalesce(func.sum(case((confirmed, 1), else_=0)), 0).label("filled"),
               func.coalesce(func.sum(case((confirmed, Signup.hours), else_=0)), 0).label("hours"),
               func.coalesce(func.sum(case((confirmed, Signup.vneid_installed + Signup.vneid_verified), else_=0)),
                             0).label("vneid"),
               func.coalesce(func.sum(case((confirmed, Signup.public_service_accounts), else_=0)), 0).label("psa"),
               func.coalesce(func.sum(case((confirmed, Signup.households_visited), else_=0)), 0).label("hh"))
        .outerjoin(Signup, Signup.shift_id == Shift.id)
        .group_by(Shift.id, Shift.commune_code, Shift.min_needed, Shift.max_needed)).subquery()
    keys = [per_shift.c.commune] + ([per_shift.c.by] if by is not None else [])
    per_commune = select(
        *keys, func.count(), func.sum(per_shift.c.hi),
        func.sum(case((per_shift.c.filled > per_shift.c.hi, per_shift.c.hi), else_=per_shift.c.filled)),
        func.sum(case((and_(per_shift.c.filled >= per_shift.c.lo, per_shift.c.filled > 0), 1), else_=0)),
        func.sum(per_shift.c.hours), func.sum(per_shift.c.vneid), func.sum(per_shift.c.psa), func.sum(per_shift.c.hh),
    ).group_by(*keys)
    helped = scoped(
        select(Shift.commune_code, func.sum(SignupHelped.people)).select_from(SignupHelped)
        .join(Signup, Signup.id == SignupHelped.signup_id).join(Shift, Shift.id == Signup.shift_id)
        .where(confirmed).group_by(Shift.commune_code))
    return per_commune, helped


def outcome_from_rows(rows, helped) -> dict[int, dict[str, float]]:
    """``outcome_metrics``'s figures from the rows of ``outcome_statements``."""
    out: dict[int, dict[str, float]] = {}
    for commune, shifts, needed, filled, full, hours, vneid, psa, hh in rows:
        out[commune] = dict(shifts=int(shifts), places_needed=int(needed or 0), places_filled=int(filled or 0),
                            shifts_filled=int(full or 0), volunteer_hours=round(float(hours or 0), 2),
                            vneid_assisted=int(vneid or 0), public_service_accounts=int(psa or 0),
                            households_reached=int(hh or 0), people_helped=0)
    for commune, people in helped:
        out.setdefault(commune, dict.fromkeys(
            ("shifts", "places_needed", "places_filled", "shifts_filled", "volunteer_hours", "vneid_assisted",
             "public_service_accounts", "households_reached"), 0))["people_helped"] = int(people or 0)
    return out


def outcome_totals(campaign_id: int | list[int], start: datetime | None = None, end: datetime | None = None,
                   communes=None) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for values in outcome_metrics(campaign_id, start, end, communes).values():
        for k, v in values.items():
            totals[k] += v
    totals["volunteer_hours"] = round(totals["volunteer_hours"], 2)
    return {k: (v if k == "volunteer_hours" else int(v)) for k, v in totals.items()}


def helped_by_group(campaign_id: int | list[int], start: datetime | None = None,
                    end: datetime | None = None) -> dict[str, int]:
    ids = [campaign_id] if isinstance(campaign_id, int) else list(campaign_id)
    rows = db.session.execute(_period(
        select(SignupHelped.target_group, func.sum(SignupHelped.people)).select_from(SignupHelped)
        .join(Signup, Signup.id == SignupHelped.signup_id).join(Shift, Shift.id == Signup.shift_id)
        .where(Shift.campaign_id.in_(ids), Signup.status == "confirmed")
        .group_by(SignupHelped.target_group), start, end)).all()
    return {g: int(n) for g, n in rows}


def board(campaign: Campaign, first_week: date, weeks: int, scope_filter) -> dict:
    """The week × commune heat table: needed and filled places per cell. Two queries."""
    start = day_start(first_week)
    end = start + timedelta(weeks=weeks)
    filled = (select(Signup.shift_id, func.count().label("n")).where(Signup.status == "confirmed")
              .group_by(Signup.shift_id).subquery())
    rows = db.session.execute(
        select(Shift.commune_code, Shift.starts_at, Shift.max_needed, func.coalesce(filled.c.n, 0))
        .outerjoin(filled, filled.c.shift_id == Shift.id)
        .where(Shift.campaign_id == campaign.id, Shift.starts_at >= start, Shift.starts_at < end, scope_filter)).all()
    cells: dict[tuple[int, date], dict] = {}
    for commune, starts, needed, n in rows:
        cell = cells.setdefault((commune, week_start(to_local(starts).date())),
                                {"needed": 0, "filled": 0, "shifts": 0, "open": 0})
        cell["needed"] += needed
        cell["filled"] += min(n, needed)
        cell["shifts"] += 1
        cell["open"] += max(needed - n, 0)
    codes = sorted({c for c, _w in cells})
    communes = units.communes_by_code(codes)
    week_list = [first_week + timedelta(weeks=i) for i in range(weeks)]
    order = sorted(codes, key=lambda c: communes[c].name)
    return {"weeks": week_list, "communes": [communes[c] for c in order], "cells": cells}


@dataclass
class CommuneReview:
    commune: Commune
    achieved: dict[str, float]  # volunteer metrics of the commune
    targets: dict[str, float]  # volunteer metric -> the commune's target (as on the dashboard)
    progress: float  # 0..1: the dashboard's progress of the commune (all the campaign's indicators)
    recent_hours: float
    recent_shifts: int
    lagging: bool  # the dashboard's lagging rule
    pace: float = 0.0
    rank: int = 0
    no_recent_help: bool = False


def _figures(campaign: Campaign, as_of: date):
    """The dashboard's figures (reports' ``figures`` module, found by name: volunteers may not import
    reports), or None when no feature offers them."""
    from campaign.features import modules

    for mod in modules("figures"):
        return mod.board(campaign, as_of)
    return None


def review(campaign: Campaign, as_of: date, recent_weeks: int = 3) -> dict:
    """The weekly "vùng lõm" review: every indicator of the campaign with the dashboard's figure, and the
    communes with the dashboard's progress and lagging flag (lagging first), beside the help received in
    the last weeks. A fixed number of queries."""
    end = day_end(as_of)
    recent_start = end - timedelta(weeks=recent_weeks)
    board = _figures(campaign, as_of)
    ids = board.ids if board is not None else [campaign.id]
    achieved = outcome_metrics(ids, None, end)
    recent = outcome_metrics(ids, recent_start, end)
    metric_of = {ip.indicator.id: ip.indicator.metric for ip in (board.indicators if board else [])
                 if ip.indicator.metric in VOLUNTEER_METRICS}
    rows = []
    empty = dict.fromkeys(VOLUNTEER_METRICS, 0)
    for cp in (board.communes if board else []):
        rec = recent.get(cp.commune.code, {})
        hours = rec.get("volunteer_hours", 0)
        targets = {metric_of[i]: v for i, v in cp.targets.items() if i in metric_of}
        rows.append(CommuneReview(cp.commune, achieved.get(cp.commune.code, empty), targets, cp.progress, hours,
                                  int(rec.get("shifts", 0)), cp.lagging, cp.pace, cp.rank, hours == 0))
    rows.sort(key=lambda r: (not r.lagging, r.progress, r.recent_hours, r.commune.name))
    totals = outcome_totals(ids, None, end)
    return {"rows": rows, "board": board, "indicators": board.indicators if board else [], "totals": totals,
            "expected": board.expected if board else 0.0, "as_of": as_of, "recent_weeks": recent_weeks,
            "by_group": helped_by_group(ids, None, end)}


def volunteer_hours(profile_ids) -> dict[int, float]:
    rows = db.session.execute(select(Signup.volunteer_id, func.sum(Signup.hours)).where(
        Signup.volunteer_id.in_(list(profile_ids)), Signup.status == "confirmed")
        .group_by(Signup.volunteer_id)).all() if profile_ids else []
    return {pid: round(float(h or 0), 2) for pid, h in rows}


def served(profile: VolunteerProfile) -> list[Signup]:
    """The shifts a volunteer served (confirmed, with hours), oldest first: the statement of service."""
    return list(db.session.scalars(select(Signup).join(Shift).where(
        Signup.volunteer_id == profile.id, Signup.status == "confirmed", Signup.hours.is_not(None))
        .options(contains_eager(Signup.shift).joinedload(Shift.campaign)).order_by(Shift.starts_at)))


def open_shifts_for(profile: VolunteerProfile, now: datetime | None = None, only_home: bool = False,
                    limit: int = 60) -> list[tuple[Shift, int]]:
    """Open shifts that fit this volunteer: in their province, with sign-up open, a required skill they
    have; their home commune first, then the soonest day, then the most needed. Two queries."""
    now = now or utcnow()
    filled = (select(Signup.shift_id, func.count().label("n")).where(Signup.status == "confirmed")
              .group_by(Signup.shift_id).subquery())
    n = func.coalesce(filled.c.n, 0)
    stmt = (select(Shift, n).outerjoin(filled, filled.c.shift_id == Shift.id)
            .join(Commune, Commune.code == Shift.commune_code)
            .where(Commune.province_code == profile.home_commune.province_code, Shift.starts_at > now,
                   (Shift.signup_opens_at.is_(None)) | (Shift.signup_opens_at <= now),
                   (Shift.signup_closes_at.is_(None)) | (Shift.signup_closes_at > now),
                   (Shift.required_skill.is_(None)) | (Shift.required_skill.in_(profile.skills or ["-"])))
            .order_by(case((Shift.commune_code == profile.home_commune_code, 0), else_=1), Shift.starts_at)
            .limit(limit * 3))
    if only_home:
        stmt = stmt.where(Shift.commune_code == profile.home_commune_code)
    rows = [(s, int(c)) for s, c in db.session.execute(stmt).all()]
    rows.sort(key=lambda r: (r[0].commune_code != profile.home_commune_code, to_local(r[0].starts_at).date(),
                             -(r[0].max_needed - r[1]) / r[0].max_needed, r[0].starts_at))
    return rows[:limit]


def my_signups(profile: VolunteerProfile) -> list[Signup]:
    return list(db.session.scalars(select(Signup).join(Shift).where(
        Signup.volunteer_id == profile.id, Signup.status.in_(("confirmed", "waitlisted", "no_show")))
        .options(contains_eager(Signup.shift)).order_by(Shift.starts_at.desc()).limit(200)))


def today_utc() -> datetime:
    return utcnow()
