"""The rules of community digital teams and communications activities, and the coverage figures
computed from them (per commune, a bounded number of queries whatever the number of villages).

Definitions (docs/teams.md):
- a village **has a team** when a team is registered for it;
- a team is **active** when, in the last ``days`` days (30 by default; ``TEAM_ACTIVE_RULE`` in the
  settings), at least one activity of the kinds the rule counts took place: ``communications`` (a
  communications record reaching its village or recorded by the team), ``shift`` (a volunteer shift in
  its village with a confirmed volunteer, or a shift a linked volunteer member served), ``event`` (an
  event, not cancelled, a linked member is confirmed on) or ``class_session`` (a class session a linked
  member attended, present or late);
- a member is **trained** when the person linked to them (the resident record, or the person record
  of the linked volunteer's account) holds a valid course certificate (a certificate is only issued to
  a learner who completed the class).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, literal, or_, select, union

from campaign.accounts import permissions as perm
from campaign.accounts.models import COMMUNE_OFFICER
from campaign.core import phone as phones
from campaign.core.services import DomainError, audit
from campaign.core.text import fold, nfc
from campaign.core.timeutil import day_end, day_start, local_today, to_local
from campaign.core.types import utcnow
from campaign.courses.models import ATTENDED, Attendance, Certificate
from campaign.events.models import Event, Person, Registration
from campaign.extensions import db
from campaign.teams.models import (
    CHANNELS,
    LANGUAGES,
    MEMBER_ROLES,
    PHOTO_TYPES,
    CommsActivity,
    Team,
    TeamMember,
    comms_activity_villages,
)
from campaign.units.models import Commune, Village
from campaign.volunteers.models import Shift, Signup, VolunteerProfile

ACTIVITY_KINDS = ("event", "class_session", "shift", "communications")
DEFAULT_RULE = {"days": 30, "kinds": ACTIVITY_KINDS}
MAX_PHOTO_BYTES = 3 * 1024 * 1024
ROLE_POSITION = {"leader": 0, "deputy": 1, "member": 2}
MANAGERS = (COMMUNE_OFFICER,)


# --- who may do what --------------------------------------------------------------------------------

def can_manage(user, commune_code: int | None) -> bool:
    """Teams and communications records of a commune are kept by that commune's officers (admins too)."""
    return perm.can_in_commune(user, commune_code, MANAGERS)


def can_view(user, commune_code: int | None) -> bool:
    """The commune's officers and the province's coordinators see the commune's teams."""
    return perm.can_in_commune(user, commune_code, perm.COMMUNE_MANAGERS)


def can_see_phone(user, commune_code: int) -> bool:
    """Members' phones in full for the officers who manage the team; masked for everyone else."""
    return can_manage(user, commune_code)


def shown_phone(user, member: TeamMember, commune_code: int) -> str:
    if not member.phone:
        return ""
    return phones.national(member.phone) if can_see_phone(user, commune_code) else phones.mask(member.phone)


# --- teams and members ------------------------------------------------------------------------------

def create_team(actor, village: Village, name: str, founded_on: date | None = None) -> Team:
    if not can_manage(actor, village.commune_code):
        raise DomainError(_("Only the officers of this commune may register its teams."))
    name = nfc(name) or _("Community digital team of %(village)s", village=village.name)
    if db.session.scalar(select(Team.id).where(Team.village_id == village.id)) is not None:
        raise DomainError(_("This village already has a team."), "name")
    team = Team(village_id=village.id, commune_code=village.commune_code, name=name[:200], founded_on=founded_on,
                created_by_id=getattr(actor, "id", None))
    db.session.add(team)
    db.session.flush()
    audit("team.created", team, actor=actor, village=village.id, commune=village.commune_code)
    return team


def member_links(team: Team) -> tuple[list[Person], list[VolunteerProfile]]:
    """Who a member may be linked to: residents of the team's village, approved volunteers of its commune
    (two bounded queries)."""
    persons = db.session.scalars(select(Person).where(Person.village_id == team.village_id,
                                                      Person.anonymised_at.is_(None))
                                 .order_by(Person.search_name, Person.id).limit(300)).all()
    volunteers = db.session.scalars(select(VolunteerProfile).where(VolunteerProfile.home_commune_code == team.commune_code,
                                                                   VolunteerProfile.status == "approved")
                                    .limit(300)).all()
    return list(persons), sorted(volunteers, key=lambda v: fold(v.full_name))


def add_member(actor, team: Team, *, full_name: str, role: str = "member", phone: str | None = None,
               person_id: int | None = None, volunteer_id: int | None = None) -> TeamMember:
    if not can_manage(actor, team.commune_code):
        raise DomainError(_("Only the officers of this commune may change its teams."))
    if role not in MEMBER_ROLES:
        raise DomainError(_("Choose the member's role in the team."), "role")
    person = db.session.get(Person, person_id) if person_id else None
    if person_id and (person is None or person.village_id != team.village_id):
        raise DomainError(_("Choose a resident of this village."), "person_id")
    volunteer = db.session.get(VolunteerProfile, volunteer_id) if volunteer_id else None
    if volunteer_id and (volunteer is None or volunteer.home_commune_code != team.commune_code):
        raise DomainError(_("Choose a volunteer of this commune."), "volunteer_id")
    full_name = nfc(full_name) or (person.full_name if person else "") or (volunteer.full_name if volunteer else "")
    if not full_name:
        raise DomainError(_("Enter the member's name."), "full_name")
    number = phones.normalise(phone)
    if number is None and person is not None:
        number = person.phone
    if number is None and volunteer is not None:
        number = volunteer.phone
    if role == "leader" and db.session.scalar(select(TeamMember.id).where(TeamMember.team_id == team.id,
                                                                          TeamMember.role == "leader")):
        raise DomainError(_("The team already has a leader."), "role")
    member = TeamMember(team_id=team.id, full_name=full_name[:120], search_name=fold(full_name)[:120], role=role,
                        position=ROLE_POSITION[role], phone=number, person_id=person.id if person else None,
                        volunteer_id=volunteer.id if volunteer else None)
    db.session.add(member)
    db.session.flush()
    audit("team.member_added", team, actor=actor, member=member.id, role=role)
    return member


def remove_member(actor, member: TeamMember) -> None:
    team = member.team
    if not can_manage(actor, team.commune_code):
        raise DomainError(_("Only the officers of this commune may change its teams."))
    audit("team.member_removed", team, actor=actor, member=member.id)
    db.session.delete(member)
    db.session.flush()


def trained_members(member_ids) -> set[int]:
    """The members among ``member_ids`` who are trained (one query)."""
    ids = list(member_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(TeamMember.id).where(TeamMember.id.in_(ids), _trained())))


def _trained(before: datetime | None = None):
    """A member holds, through the linked resident or the linked volunteer's own person record, a valid
    certificate (issued before ``before``)."""
    cert = and_(Certificate.status == "valid", Certificate.issued_at < before if before else True)
    own = exists(select(Certificate.id).join(Registration, Registration.id == Certificate.registration_id)
                 .where(cert, Registration.person_id == TeamMember.person_id))
    via_volunteer = exists(select(Certificate.id).join(Registration, Registration.id == Certificate.registration_id)
                           .join(Person, Person.id == Registration.person_id)
                           .join(VolunteerProfile, VolunteerProfile.user_id == Person.user_id)
                           .where(cert, VolunteerProfile.id == TeamMember.volunteer_id))
    return or_(own, via_volunteer)


# --- communications ---------------------------------------------------------------------------------

def _photo(data: bytes | None) -> tuple[bytes | None, str | None]:
    if not data:
        return None, None
    if len(data) > MAX_PHOTO_BYTES:
        raise DomainError(_("The photo is larger than 3 MB."), "photo")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = {"JPEG": "image/jpeg", "PNG": "image/png"}.get(image.format or "")
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        kind = None
    if kind not in PHOTO_TYPES:
        raise DomainError(_("The photo must be a JPEG or PNG image."), "photo")
    return data, kind


def record_activity(actor, commune_code: int | None, *, channel: str, language: str, title: str, held_on: date,
                    village_ids=(), reach: int | None = None, link: str = "", photo: bytes | None = None,
                    team_id: int | None = None, campaign_id: int | None = None, notes: str = "",
                    province_code: int | None = None, unit_name: str = "") -> CommsActivity:
    """A communications activity of a commune, with the villages it reached (villages of that commune);
    or, with ``commune_code`` None, of a provincial unit (``unit_name``: a department, a union) recorded
    by the province's coordinators."""
    if commune_code is None:
        return _record_province_activity(actor, province_code, unit_name, channel=channel, language=language,
                                         title=title, held_on=held_on, reach=reach, link=link, photo=photo,
                                         campaign_id=campaign_id, notes=notes)
    if not can_manage(actor, commune_code):
        raise DomainError(_("Only the officers of this commune may record its communications."))
    commune = db.session.get(Commune, commune_code)
    if commune is None:
        raise DomainError(_("Unknown commune."))
    title, link = _check_activity(channel, language, title, held_on, reach, link)
    wanted = {int(v) for v in village_ids}
    villages = db.session.scalars(select(Village).where(Village.id.in_(wanted or {-1}),
                                                        Village.commune_code == commune_code)).all()
    if len(villages) != len(wanted):
        raise DomainError(_("Choose villages of this commune."), "village_ids")
    if team_id is not None and db.session.scalar(select(Team.id).where(Team.id == team_id,
                                                                       Team.commune_code == commune_code)) is None:
        raise DomainError(_("Choose a team of this commune."), "team_id")
    data, kind = _photo(photo)
    activity = CommsActivity(province_code=commune.province_code, commune_code=commune_code, channel=channel,
                             language=language, title=title[:200], held_on=held_on, reach=reach, link=link[:500],
                             photo=data, photo_type=kind, team_id=team_id, campaign_id=campaign_id,
                             notes=nfc(notes)[:2000], recorded_by_id=getattr(actor, "id", None))
    activity.villages = list(villages)
    db.session.add(activity)
    db.session.flush()
    audit("communications.recorded", activity, actor=actor, commune=commune_code, channel=channel,
          villages=len(villages))
    return activity


def village_communications(commune_code: int, first: date, last: date) -> dict[int, int]:
    """Communications records per village of the commune held in [first, last] (one query)."""
    return dict(db.session.execute(
        select(comms_activity_villages.c.village_id, func.count(CommsActivity.id))
        .join(CommsActivity, CommsActivity.id == comms_activity_villages.c.activity_id)
        .join(Village, Village.id == comms_activity_villages.c.village_id)
        .where(Village.commune_code == commune_code, CommsActivity.held_on.between(first, last))
        .group_by(comms_activity_villages.c.village_id)).all())


def _check_activity(channel, language, title, held_on, reach, link) -> tuple[str, str]:
    if channel not in CHANNELS:
        raise DomainError(_("Choose the channel."), "channel")
    if language not in LANGUAGES:
        raise DomainError(_("Choose the language."), "language")
    title = nfc(title)
    if not title:
        raise DomainError(_("Say what was communicated."), "title")
    if held_on is None:
        raise DomainError(_("Enter the date."), "held_on")
    if held_on > local_today():
        raise DomainError(_("Record an activity once it has taken place."), "held_on")
    if reach is not None and reach < 0:
        raise DomainError(_("The reach cannot be negative."), "reach")
    link = (link or "").strip()
    if link and not link.lower().startswith(("https://", "http://")):
        raise DomainError(_("The link must start with https:// or http://."), "link")
    return title, link


def _record_province_activity(actor, province_code, unit_name, *, channel, language, title, held_on, reach, link,
                              photo, campaign_id, notes) -> CommsActivity:
    if not perm.can_in_province(actor, province_code):
        raise DomainError(_("Only the province's coordinators may record the communications of its units."))
    unit_name = nfc(unit_name)
    if not unit_name:
        raise DomainError(_("Enter the unit that carried it out."), "unit_name")
    title, link = _check_activity(channel, language, title, held_on, reach, link)
    data, kind = _photo(photo)
    activity = CommsActivity(province_code=province_code, commune_code=None, unit_name=unit_name[:200],
                             channel=channel, language=language, title=title[:200], held_on=held_on, reach=reach,
                             link=link[:500], photo=data, photo_type=kind, campaign_id=campaign_id,
                             notes=nfc(notes)[:2000], recorded_by_id=getattr(actor, "id", None))
    db.session.add(activity)
    db.session.flush()
    audit("communications.recorded", activity, actor=actor, unit=unit_name, channel=channel)
    return activity


def province_activities(province_code: int, limit: int = 20) -> list[CommsActivity]:
    """The latest communications records of the province's own units (not of a commune)."""
    return list(db.session.scalars(select(CommsActivity).where(CommsActivity.province_code == province_code,
                                                               CommsActivity.commune_code.is_(None))
                                   .order_by(CommsActivity.held_on.desc(), CommsActivity.id.desc()).limit(limit)))


def _province_activity_conds(province_code: int, first: date | None, last: date | None, campaign_ids=None) -> list:
    conds = [CommsActivity.province_code == province_code, CommsActivity.commune_code.is_(None)]
    if first is not None:
        conds.append(CommsActivity.held_on >= first)
    if last is not None:
        conds.append(CommsActivity.held_on <= last)
    if campaign_ids is not None:
        conds.append(or_(CommsActivity.campaign_id.is_(None), CommsActivity.campaign_id.in_(list(campaign_ids))))
    return conds


def province_activity_count(province_code: int, first: date | None, last: date | None, campaign_ids=None) -> int:
    """Communications records of the province's own units held in [first, last] (one query)."""
    return db.session.scalar(select(func.count(CommsActivity.id)).where(
        *_province_activity_conds(province_code, first, last, campaign_ids))) or 0


def activities(commune_code: int, limit: int = 100) -> list[CommsActivity]:
    """The commune's latest communications records (two queries: the records and their villages)."""
    return list(db.session.scalars(select(CommsActivity).where(CommsActivity.commune_code == commune_code)
                                   .order_by(CommsActivity.held_on.desc(), CommsActivity.id.desc()).limit(limit)))


# --- coverage ---------------------------------------------------------------------------------------

def active_rule() -> dict:
    """The rule that makes a team "active" (settings ``TEAM_ACTIVE_RULE``: days and activity kinds)."""
    rule = dict(DEFAULT_RULE)
    try:
        rule.update(current_app.config.get("TEAM_ACTIVE_RULE") or {})
    except RuntimeError:  # outside an app context
        pass
    rule["days"] = max(int(rule["days"]), 1)
    rule["kinds"] = tuple(k for k in rule["kinds"] if k in ACTIVITY_KINDS)
    return rule


@dataclass
class Coverage:
    commune: Commune
    villages: int = 0
    with_team: int = 0
    active: int = 0
    members: int = 0
    trained: int = 0
    reached: int = 0  # villages reached by communications in the period
    activities: int = 0  # communications activities in the period

    @staticmethod
    def _pct(n: int, base: int) -> float | None:
        return round(100 * n / base, 1) if base else None

    @property
    def team_pct(self):
        return self._pct(self.with_team, self.villages)

    @property
    def active_pct(self):
        return self._pct(self.active, self.villages)

    @property
    def trained_pct(self):
        return self._pct(self.trained, self.members)

    @property
    def reached_pct(self):
        return self._pct(self.reached, self.villages)


def _window(until: datetime, days: int) -> tuple[datetime, datetime]:
    last = to_local(until - timedelta(microseconds=1)).date()
    return day_start(last - timedelta(days=days - 1)), min(until, day_end(last))


def active_queries(villages, until: datetime, rule: dict | None = None) -> list:
    """The statements (one per activity kind the rule counts) listing the villages among ``villages`` (ids,
    or a SELECT of ids) with an activity in the rule's window before ``until``: the definition of an
    active team's village, shared by ``active_villages`` and the reports' one query."""
    rule = rule or active_rule()
    lo, hi = _window(until, rule["days"])
    lo_day, hi_day = to_local(lo).date(), to_local(hi - timedelta(microseconds=1)).date()
    ids = villages
    member_team = select(Team.village_id, TeamMember.person_id, TeamMember.volunteer_id).join(
        TeamMember, TeamMember.team_id == Team.id).where(Team.village_id.in_(ids)).subquery()
    queries = []
    if "communications" in rule["kinds"]:
        in_window = CommsActivity.held_on.between(lo_day, hi_day)
        queries.append(union(
            select(comms_activity_villages.c.village_id).join(
                CommsActivity, CommsActivity.id == comms_activity_villages.c.activity_id)
            .where(in_window, comms_activity_villages.c.village_id.in_(ids)),
            select(Team.village_id).join(CommsActivity, CommsActivity.team_id == Team.id)
            .where(in_window, Team.village_id.in_(ids))))
    if "shift" in rule["kinds"]:
        served = and_(Signup.status == "confirmed", Shift.starts_at >= lo, Shift.starts_at < hi)
        queries.append(union(
            select(Shift.village_id).join(Signup, Signup.shift_id == Shift.id).where(served, Shift.village_id.in_(ids)),
            select(member_team.c.village_id).join(Signup, Signup.volunteer_id == member_team.c.volunteer_id)
            .join(Shift, Shift.id == Signup.shift_id).where(served)))
    if "event" in rule["kinds"]:
        queries.append(select(member_team.c.village_id).join(
            Registration, Registration.person_id == member_team.c.person_id)
            .join(Event, Event.id == Registration.event_id)
            .where(Registration.status == "confirmed", Event.status != "cancelled", Event.kind != "class_session",
                   Event.starts_at >= lo, Event.starts_at < hi))
    if "class_session" in rule["kinds"]:
        queries.append(select(member_team.c.village_id).join(
            Registration, Registration.person_id == member_team.c.person_id)
            .join(Attendance, Attendance.registration_id == Registration.id)
            .join(Event, Event.id == Attendance.session_event_id)
            .where(Attendance.status.in_(ATTENDED), Event.status != "cancelled",
                   Event.starts_at >= lo, Event.starts_at < hi))
    return queries


def active_villages(team_villages: set[int], until: datetime, rule: dict | None = None) -> set[int]:
    """The villages among ``team_villages`` (villages with a team) whose team is active at ``until``:
    at most four queries, one per activity kind the rule counts."""
    if not team_villages:
        return set()
    found: set[int] = set()
    for stmt in active_queries(list(team_villages), until, rule):
        found.update(v for (v,) in db.session.execute(stmt) if v is not None)
    return found & team_villages


def coverage_statements(province_code: int, until: datetime, first: date | None, last: date | None,
                        campaign_ids=None, rule: dict | None = None) -> dict:
    """``coverage``'s counts for a whole province as aggregate statements (commune, value, ...), to run
    in one query with others (the reports' UNION ALL): villages, teams, members (and trained), villages
    with an active team, communications (villages reached, activities) and the province's own units'
    communications (commune NULL)."""
    in_province = select(Commune.code).where(Commune.province_code == province_code)
    teams = select(Team.village_id).where(Team.commune_code.in_(in_province), Team.created_at < until).correlate(None)
    active = [select(q.subquery().c[0]) for q in active_queries(teams, until, rule)]  # SQLite: no nested unions
    found = (union(*active) if len(active) > 1 else active[0]).subquery() if active else None
    out = {
        "villages": select(Village.commune_code, func.count(Village.id))
        .where(Village.commune_code.in_(in_province), Village.created_at < until).group_by(Village.commune_code),
        "teams": select(Team.commune_code, func.count(Team.id))
        .where(Team.commune_code.in_(in_province), Team.created_at < until).group_by(Team.commune_code),
        "members": select(Team.commune_code, func.count(TeamMember.id), func.count(TeamMember.id).filter(_trained(until)))
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(Team.commune_code.in_(in_province), Team.created_at < until, TeamMember.created_at < until)
        .group_by(Team.commune_code),
        "comms": communications_statement(in_province, first, last, campaign_ids),
        "province": select(literal(None), func.count(CommsActivity.id))
        .where(*_province_activity_conds(province_code, first, last, campaign_ids)),
    }
    if found is not None:
        out["active"] = (select(Team.commune_code, func.count(func.distinct(Team.village_id)))
                         .where(Team.commune_code.in_(in_province), Team.created_at < until,
                                Team.village_id.in_(select(found.c[0])))
                         .group_by(Team.commune_code))
    return out


def coverage(province_code: int, communes: list[int] | None = None, *, until: datetime | None = None,
             period: tuple[date, date] | None = None, rule: dict | None = None) -> dict[int, Coverage]:
    """Per commune of the province (or of ``communes``): villages, villages with a team, with an active
    team (as of ``until``, now by default), members, trained members, and communications in ``period``
    (local dates, both included; by default the rule's window). A fixed number of queries."""
    until = until or utcnow()
    rule = rule or active_rule()
    stmt = select(Commune).where(Commune.province_code == province_code).order_by(Commune.name)
    if communes is not None:
        stmt = stmt.where(Commune.code.in_(list(communes) or [-1]))
    out = {c.code: Coverage(c) for c in db.session.scalars(stmt)}
    codes = list(out)
    if not codes:
        return out
    for code, n in db.session.execute(select(Village.commune_code, func.count(Village.id))
                                      .where(Village.commune_code.in_(codes), Village.created_at < until)
                                      .group_by(Village.commune_code)):
        out[code].villages = n
    team_village: dict[int, int] = {}
    for village_id, code in db.session.execute(select(Team.village_id, Team.commune_code)
                                               .where(Team.commune_code.in_(codes), Team.created_at < until)):
        team_village[village_id] = code
        out[code].with_team += 1
    for code, members, trained in db.session.execute(
            select(Team.commune_code, func.count(TeamMember.id),
                   func.count(TeamMember.id).filter(_trained(until)))
            .join(TeamMember, TeamMember.team_id == Team.id)
            .where(Team.commune_code.in_(codes), Team.created_at < until, TeamMember.created_at < until)
            .group_by(Team.commune_code)):
        out[code].members, out[code].trained = members, trained
    for village_id in active_villages(set(team_village), until, rule):
        out[team_village[village_id]].active += 1
    if period is None:
        lo, hi = _window(until, rule["days"])
        period = (to_local(lo).date(), to_local(hi - timedelta(microseconds=1)).date())
    for code, reached, n in communications_counts(codes, *period):
        out[code].reached, out[code].activities = reached, n
    return out


def communications_counts(codes: list[int], first: date | None, last: date | None, campaign_ids=None):
    """(commune, villages reached, activities) of the communes' communications held in [first, last]: one query."""
    return db.session.execute(communications_statement(codes, first, last, campaign_ids)).all()


def communications_statement(codes, first: date | None, last: date | None, campaign_ids=None):
    """The statement of ``communications_counts`` (``codes``: commune codes, or a SELECT of them)."""
    conds = [CommsActivity.commune_code.in_(codes)]
    if first is not None:
        conds.append(CommsActivity.held_on >= first)
    if last is not None:
        conds.append(CommsActivity.held_on <= last)
    if campaign_ids is not None:
        conds.append(or_(CommsActivity.campaign_id.is_(None), CommsActivity.campaign_id.in_(list(campaign_ids))))
    return (select(CommsActivity.commune_code, func.count(func.distinct(comms_activity_villages.c.village_id)),
                   func.count(func.distinct(CommsActivity.id)))
            .outerjoin(comms_activity_villages, comms_activity_villages.c.activity_id == CommsActivity.id)
            .where(*conds).group_by(CommsActivity.commune_code))


@dataclass
class TeamActivity:
    team: Team
    communications: int = 0
    shifts: int = 0
    members: int = 0
    trained: int = 0
    details: dict = field(default_factory=dict)

    @property
    def score(self) -> int:
        return self.communications + self.shifts


def team_activity(province_code: int, first: date, last: date, limit: int = 50) -> list[TeamActivity]:
    """The teams of the province ranked by their activity in [first, last]: communications records
    (reaching their village or recorded by the team) and volunteer shifts served in their village
    (four queries). For recognition."""
    teams = {t.id: TeamActivity(t) for t in db.session.scalars(
        select(Team).join(Commune, Commune.code == Team.commune_code).where(Commune.province_code == province_code))}
    if not teams:
        return []
    by_village = {ta.team.village_id: ta for ta in teams.values()}
    comms = union(
        select(CommsActivity.id.label("a"), comms_activity_villages.c.village_id.label("v")).join(
            comms_activity_villages, comms_activity_villages.c.activity_id == CommsActivity.id)
        .where(CommsActivity.held_on.between(first, last)),
        select(CommsActivity.id.label("a"), Team.village_id.label("v")).join(Team, Team.id == CommsActivity.team_id)
        .where(CommsActivity.held_on.between(first, last))).subquery()
    for village_id, n in db.session.execute(select(comms.c.v, func.count(func.distinct(comms.c.a)))
                                            .where(comms.c.v.in_(list(by_village))).group_by(comms.c.v)):
        by_village[village_id].communications = n
    for village_id, n in db.session.execute(
            select(Shift.village_id, func.count(func.distinct(Shift.id))).join(Signup, Signup.shift_id == Shift.id)
            .where(Signup.status == "confirmed", Shift.village_id.in_(list(by_village)),
                   Shift.starts_at >= day_start(first), Shift.starts_at < day_end(last))
            .group_by(Shift.village_id)):
        by_village[village_id].shifts = n
    for team_id, members, trained in db.session.execute(
            select(TeamMember.team_id, func.count(TeamMember.id), func.count(TeamMember.id).filter(_trained()))
            .where(TeamMember.team_id.in_(list(teams))).group_by(TeamMember.team_id)):
        teams[team_id].members, teams[team_id].trained = members, trained
    ranked = [t for t in teams.values() if t.score > 0]
    ranked.sort(key=lambda t: (-t.score, -t.trained, t.team.name))
    return ranked[:limit]
