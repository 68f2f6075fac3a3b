"""Home cards of the volunteers. A volunteer: the next shift, the open shifts that still need people,
their hours. A youth union organiser: the unfilled shifts of the coming two weeks, this week's
coverage, and the communes lagging behind (one tap to create shifts there)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import url_for
from flask_babel import format_decimal, format_percent, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select

from campaign.accounts import permissions as perm
from campaign.accounts.models import VOLUNTEER, YOUTH_ORGANISER
from campaign.campaigns.models import Campaign, Indicator, IndicatorTarget
from campaign.core.cards import Card
from campaign.core.timeutil import day_end, day_start, format_date, format_datetime, week_start
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.volunteers import services
from campaign.volunteers.models import Shift, Signup

ORGANISER = (YOUTH_ORGANISER,)


def _holds(user, role: str) -> bool:
    return any(gr.role == role for gr in user.grants)


def cards(user, today: date) -> list[Card]:
    out: list[Card] = []
    if _holds(user, VOLUNTEER):
        out += volunteer_cards(user, today)
    if _holds(user, YOUTH_ORGANISER):
        out += organiser_cards(user, today)
    return out


def volunteer_cards(user, today: date) -> list[Card]:
    """At most five queries: the profile, the next shift, the open shifts (two), the hours."""
    profile = services.profile_of(user)
    if profile is None or profile.status != "approved":
        return []
    now = utcnow()
    out = []
    nxt = db.session.execute(
        select(Shift).join(Signup, Signup.shift_id == Shift.id)
        .where(Signup.volunteer_id == profile.id, Signup.status == "confirmed", Shift.ends_at > now)
        .order_by(Shift.starts_at).limit(1)).scalar()
    if nxt is not None:
        is_today = nxt.starts_at < day_end(today)
        out.append(Card(title=(_("Your shift today: %(title)s", title=nxt.title or nxt.location) if is_today
                               else _("Your next shift: %(title)s", title=nxt.title or nxt.location)),
                        detail=f"{format_datetime(nxt.starts_at)} · {nxt.commune.name}", action=_("My shifts"),
                        priority=5 if is_today else 30, kind="next_shift", url=url_for("volunteers.my_shifts")))
    rows = services.open_shifts_for(profile, now=now)
    mine = set(db.session.scalars(select(Signup.shift_id).where(
        Signup.volunteer_id == profile.id, Signup.shift_id.in_([s.id for s, _n in rows])))) if rows else set()
    needing = [(s, n) for s, n in rows if s.id not in mine and n < s.min_needed]
    if needing:
        first = needing[0][0]
        out.append(Card(title=ngettext("%(num)d open shift needs volunteers", "%(num)d open shifts need volunteers",
                                       len(needing)),
                        detail=_("The first: %(commune)s, %(when)s", commune=first.commune.name,
                                 when=format_datetime(first.starts_at)),
                        action=_("Sign up"), count=len(needing), priority=20, kind="open_shifts",
                        url=url_for("volunteers.open_shifts")))
    hours = services.volunteer_hours([profile.id]).get(profile.id, 0)
    out.append(Card(title=_("Your volunteer hours: %(hours)s", hours=format_decimal(hours, "#,##0.#")),
                    action=_("Statement of service"), priority=70, kind="hours",
                    url=url_for("volunteers.my_statement")))
    return out


def _filled():
    return (select(Signup.shift_id, func.count().label("n")).where(Signup.status == "confirmed")
            .group_by(Signup.shift_id).subquery())


def organiser_cards(user, today: date) -> list[Card]:
    """A bounded number of queries: the unfilled shifts, this week's coverage, the lagging communes
    (the volunteer review of the latest campaign under way or just over)."""
    scope = perm.commune_filter(Shift.commune_code, user, ORGANISER)
    filled = _filled()
    n = func.coalesce(filled.c.n, 0)
    out = []
    unfilled = db.session.execute(
        select(Shift.id, Shift.campaign_id, Shift.starts_at).outerjoin(filled, filled.c.shift_id == Shift.id)
        .where(scope, Shift.starts_at >= utcnow(), Shift.starts_at < day_end(today + timedelta(days=13)),
               n < Shift.min_needed).order_by(Shift.starts_at).limit(200)).all()
    if unfilled:
        first = unfilled[0]
        url = (url_for("volunteers.manage", shift_id=first.id) if len(unfilled) == 1
               else url_for("volunteers.shifts", campaign_id=first.campaign_id))
        out.append(Card(title=ngettext("%(num)d shift in the next two weeks lacks volunteers",
                                       "%(num)d shifts in the next two weeks lack volunteers", len(unfilled)),
                        detail=_("The first on %(when)s", when=format_datetime(first.starts_at)),
                        action=_("Find volunteers"), count=len(unfilled), priority=15, kind="unfilled_shifts",
                        url=url))
    monday = week_start(today)
    week = db.session.execute(
        select(Shift.campaign_id, func.count(Shift.id), func.sum(Shift.min_needed), func.sum(n))
        .outerjoin(filled, filled.c.shift_id == Shift.id)
        .where(scope, Shift.starts_at >= day_start(monday), Shift.starts_at < day_start(monday + timedelta(days=7)))
        .group_by(Shift.campaign_id).order_by(func.count(Shift.id).desc())).all()
    if week:
        shifts = sum(r[1] for r in week)
        needed = sum(r[2] or 0 for r in week)
        got = sum(r[3] or 0 for r in week)
        out.append(Card(title=ngettext("This week: %(num)d shift", "This week: %(num)d shifts", shifts),
                        detail=_("%(got)s of %(needed)s volunteers needed are signed up",
                                 got=format_decimal(got), needed=format_decimal(needed)),
                        action=_("Coverage board"), count=shifts, priority=30, kind="coverage",
                        url=url_for("volunteers.board", campaign_id=week[0][0])))
    return out + lagging_cards(user, today)


def _campaigns(user, today: date) -> tuple[Campaign | None, Campaign | None]:
    """The campaign to review (the latest begun with shifts and volunteer targets) and the one to add shifts to (under way
    today, the reviewed one if it still runs)."""
    provinces = perm.acting_provinces(user, ORGANISER)
    stmt = select(Campaign).where(Campaign.starts_on <= today).order_by(Campaign.ends_on.desc(), Campaign.id)
    if provinces is not None:
        stmt = stmt.where(Campaign.province_code.in_(provinces))
    campaigns = db.session.scalars(stmt.limit(20)).all()
    ids = [c.id for c in campaigns] or [-1]
    with_shifts = set(db.session.scalars(select(Shift.campaign_id).where(Shift.campaign_id.in_(ids)).distinct()))
    targeted = set(db.session.scalars(select(Indicator.campaign_id).join(
        IndicatorTarget, IndicatorTarget.indicator_id == Indicator.id).where(
        Indicator.campaign_id.in_(ids), Indicator.metric.in_(services.VOLUNTEER_METRICS)).distinct()))
    # reviewed: the latest begun campaign with shifts and per-commune targets for what volunteers do
    reviewed = next((c for c in campaigns if c.id in with_shifts and c.id in targeted), None)
    running = [c for c in campaigns if c.ends_on >= today]
    target = reviewed if reviewed in running else (running[0] if running else None)
    return reviewed, target


def lagging_cards(user, today: date) -> list[Card]:
    reviewed, target = _campaigns(user, today)
    if reviewed is None or target is None:
        return []
    data = services.review(reviewed, min(today, reviewed.ends_on))
    rows = [r for r in data["rows"] if r.lagging
            and perm.in_commune_scope(user, r.commune.code, r.commune.province_code, ORGANISER)]
    return [Card(title=_("%(commune)s lags behind", commune=r.commune.name),
                 detail=_("%(campaign)s: %(progress)s of its target, %(hours)s volunteer hours in the last "
                          "%(weeks)d weeks (as of %(day)s)", campaign=reviewed.name,
                          progress=format_percent(r.progress), hours=format_decimal(r.recent_hours, "#,##0.#"),
                          weeks=data["recent_weeks"], day=format_date(data["as_of"])),
                 action=_("Create shifts"), priority=22 + k, kind="lagging",
                 url=url_for("volunteers.shift_new", campaign_id=target.id, commune=r.commune.code))
            for k, r in enumerate(rows[:3])]
