"""Home cards of the reports. A commune officer: the commune's progress in the campaign under way and its
10/10 gap (no activity yet, or none held). A province coordinator: the indicators at a glance."""

from __future__ import annotations

from datetime import date

from flask import url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from sqlalchemy import select

from campaign.accounts.models import COMMUNE_OFFICER, PROVINCE_COORDINATOR
from campaign.campaigns.models import Campaign
from campaign.core.cards import Card
from campaign.core.timeutil import format_date, local_date
from campaign.events.models import Event
from campaign.events.services import national_day_bounds
from campaign.extensions import db
from campaign.reports import metrics
from campaign.units import services as units


def _running(provinces: set[int], today: date) -> dict[int, Campaign]:
    """Per province, the main campaign under way today (no parent: not a sub-campaign). One query."""
    out: dict[int, Campaign] = {}
    for c in db.session.scalars(select(Campaign).where(
            Campaign.province_code.in_(provinces), Campaign.parent_id.is_(None), Campaign.starts_on <= today,
            Campaign.ends_on >= today).order_by(Campaign.starts_on, Campaign.id)):
        out.setdefault(c.province_code, c)
    return out


def cards(user, today: date) -> list[Card]:
    out: list[Card] = []
    communes = sorted({gr.commune_code for gr in user.grants if gr.role == COMMUNE_OFFICER and gr.commune_code})
    provinces = sorted({gr.province_code for gr in user.grants if gr.role == PROVINCE_COORDINATOR and gr.province_code})
    if communes:
        out += commune_cards(communes, today)
    if provinces:
        out += province_cards(provinces, today)
    return out


def _national_days(provinces: set[int], today: date) -> dict[int, Event]:
    """Per province, the next 10/10 day (this year's until it has passed, then next year's if it is
    planned already), else this year's. One query."""
    starts = [national_day_bounds(today.year)[0], national_day_bounds(today.year + 1)[0]]
    out: dict[int, Event] = {}
    for day in db.session.scalars(select(Event).where(
            Event.kind == "national_day", Event.province_code.in_(provinces or {-1}), Event.starts_at.in_(starts))
            .order_by(Event.starts_at)):
        if day.province_code not in out or local_date(out[day.province_code].starts_at) < today:
            out[day.province_code] = day
    return out


def commune_cards(codes: list[int], today: date) -> list[Card]:
    """Four queries (communes, campaigns, 10/10 days and activities) and one dashboard per province."""
    places = units.communes_by_code(codes)
    running = _running({c.province_code for c in places.values()}, today)
    days = _national_days({c.province_code for c in places.values()}, today)
    held = set(db.session.scalars(select(Event.commune_code).where(
        Event.parent_id.in_([d.id for d in days.values()] or [-1]), Event.status != "cancelled").distinct()))
    boards = {p: metrics.progress(c, as_of=today, communes=[k for k, v in places.items() if v.province_code == p])
              for p, c in running.items()}  # one dashboard per province: a fixed number of queries
    out = []
    for code in codes:
        place = places.get(code)
        if place is None:
            continue
        day = days.get(place.province_code)
        campaign = running.get(place.province_code)
        if day is not None and code not in held:
            gap = _national_day_gap(place, day, campaign, today)
            out += [gap] if gap else []
        if campaign is None:
            continue
        board = boards[place.province_code]
        row = next((r for r in board.communes if r.commune.code == code), None)
        out.append(Card(title=_("%(commune)s: the campaign's progress", commune=place.name),
                        detail=_("%(progress)s of the targets; %(expected)s of the year has passed",
                                 progress=format_percent(row.progress if row else 0),
                                 expected=format_percent(board.expected)),
                        action=_("Open the report"), priority=55 if not (row and row.lagging) else 35,
                        kind="commune_progress",
                        url=url_for("reports.commune", campaign_id=campaign.id, code=code)))
    return out


def _national_day_gap(place, day: Event, campaign: Campaign | None, today: date) -> Card | None:
    on = local_date(day.starts_at)
    if on < today and campaign is None:
        return None
    if on >= today:
        return Card(title=_("No 10/10 activity yet in %(commune)s", commune=place.name),
                    detail=_("The day of digital learning is on %(day)s", day=format_date(on)),
                    action=_("Add an activity"), priority=12 if (on - today).days <= 30 else 26, kind="national_day",
                    url=url_for("events.event_new", parent=day.id))
    return Card(title=_("%(commune)s held no 10/10 activity", commune=place.name),
                detail=_("Indicator 7 counts the communes with an activity on %(day)s", day=format_date(on)),
                action=_("Open the report"), priority=60, kind="national_day",
                url=url_for("reports.commune", campaign_id=campaign.id, code=place.code))


def province_cards(provinces: list[int], today: date) -> list[Card]:
    out = []
    for campaign in _running(set(provinces), today).values():
        board = metrics.progress(campaign, as_of=today)
        on_track = sum(1 for i in board.indicators if i.on_track)
        out.append(Card(title=_("%(campaign)s: indicators at a glance", campaign=campaign.name),
                        detail=_("%(on_track)d of %(total)d indicators on track; %(lagging)d communes lagging",
                                 on_track=on_track, total=len(board.indicators), lagging=len(board.lagging)),
                        action=_("Open the dashboard"), count=len(board.indicators), priority=40,
                        kind="indicators", url=url_for("reports.dashboard", campaign_id=campaign.id)))
    return out
