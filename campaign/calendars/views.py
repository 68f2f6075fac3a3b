from __future__ import annotations

import hashlib
from dataclasses import replace

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from campaign.accounts import permissions as perm
from campaign.accounts.forms import ConfirmForm
from campaign.calendars import ical, links, private_sources, sources, tokens  # noqa: F401 - registers sources
from campaign.calendars.http import RenderedFeed, etag_of, feed_cache, feed_response
from campaign.core.types import utcnow
from campaign.core.web import attempt, commit_read_side_effects
from campaign.extensions import db, limiter

bp = Blueprint("calendars", __name__, url_prefix="/calendars")

FEED_NAMES = {
    "my_shifts": _l("My volunteer shifts"),
    "my_classes": _l("My classes"),
    "my_bookings": _l("My venue bookings"),
    "my_events": _l("Events I organise"),
    "organiser": _l("Everything in my area"),
}


def available_scopes(user) -> list[str]:
    """The private feeds that make sense for the user's roles."""
    scopes = []
    if perm.has_role(user, "volunteer"):
        scopes.append("my_shifts")
    scopes.append("my_classes")  # trainers, and learners who have an account
    if perm.has_role(user, "commune_officer", "province_coordinator"):
        scopes.append("my_bookings")
    if perm.has_role(user, *perm.ORGANISERS):
        scopes += ["my_events", "organiser"]
    return [s for s in scopes if s in sources.PRIVATE]  # only feeds that have contents


def private_url(secret: str) -> str:
    return url_for("calendars.private_feed", secret=secret, _external=True)


@bp.route("/", methods=["GET", "POST"])
@login_required
def mine():
    scopes = available_scopes(current_user)
    new_link = None
    form = ConfirmForm()
    if request.method == "POST":
        scope = request.form.get("scope", "")
        action = request.form.get("action", "")
        if scope not in scopes or action not in ("issue", "revoke"):
            abort(400)
        if not form.validate_on_submit():
            abort(400)
        change = tokens.issue if action == "issue" else tokens.revoke
        outcome = attempt(lambda: change(current_user, scope))
        if outcome and action == "issue":
            new_link = (scope, links.subscribe_links(private_url(outcome.value), str(FEED_NAMES[scope])))
    return render_template("calendars/mine.html", scopes=scopes, names=FEED_NAMES, form=form,
                           live=tokens.live_scopes(current_user), new_link=new_link)


@bp.get("/private/<secret>.ics")
@limiter.limit("120 per minute")
def private_feed(secret: str):
    token = tokens.lookup(secret)
    if token is None:
        abort(404)
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 3600:
        token.last_used_at = now
        commit_read_side_effects()
    items = sources.private_items(token.user, token.scope)
    body = ical.render(str(FEED_NAMES[token.scope]), items)  # no name of the owner in the feed
    return feed_response(body, ical.last_modified(items), f"{token.scope}.ics", private=True)


# --- public feeds --------------------------------------------------------------------------------

def _event_link(event) -> str:
    """The event's public page, under ``ical.BASE`` (the address is put in per request)."""
    return _event_links()(event)


def _event_links():
    """``_event_link`` without a url_for per event (2,000 of them cost a tenth of a render)."""
    sentinel = "987654321"
    prefix, suffix = url_for("events.event_page", event_id=int(sentinel)).split(sentinel)
    head = ical.BASE + prefix
    return lambda event: f"{head}{event.id}{suffix}"


def _public_feed(filename: str, build):
    """A public event feed: exactly the events (and occurrences) the public pages show.
    ``build()`` gives the feed's name, statement and description (it answers 404 for an unknown
    commune or campaign); it runs only when the feed may have changed.

    Rendered bytes are cached per feed, not per Host: links hold ``ical.BASE``, replaced by the
    request's address at the end. One cheap query (``event_feed.stamp``) tells whether any event
    changed since the bytes were known current; only then the feed's own aggregate
    (``event_feed.validator``) decides whether to render again. A 304 needs neither the bytes nor a
    render. The key holds the hour, so a renamed commune or campaign shows within the hour."""
    from flask_babel import get_locale

    from campaign.calendars import event_feed

    start, end = sources.window()
    key = (request.path, str(get_locale()), start.strftime("%Y%m%d%H"))
    stamp = event_feed.stamp()
    cached = feed_cache.get(key)
    if cached is None or cached.stamp != stamp:
        name, stmt, description = build()
        stmt = stmt.where(event_feed.public_condition())
        fingerprint = event_feed.validator(event_feed.in_window(stmt, start, end))
        if cached is not None and cached.fingerprint == fingerprint:
            cached = replace(cached, stamp=stamp)
        else:
            items = event_feed.feed_items(stmt, start, end, _event_links())
            body = ical.render(name, items, description=description, url=ical.BASE + "/")
            cached = RenderedFeed(stamp, fingerprint, body, hashlib.sha256(body).digest(),
                                  ical.last_modified(items))
        feed_cache.put(key, cached)
    base = request.host_url.rstrip("/")
    body = cached.body
    return feed_response(lambda: ical.with_base(body, base), cached.modified, filename,
                         etag=etag_of(cached.digest, base.encode()))


def _campaign_or_404(slug: str):
    """The campaign's id, name and description (a light row: feeds answer 304s in a few ms)."""
    from sqlalchemy import select

    from campaign.campaigns.models import Campaign

    campaign = db.session.execute(select(Campaign.id, Campaign.name, Campaign.description)
                                  .where(Campaign.slug == slug)).first()
    if campaign is None:
        abort(404)
    return campaign


def _commune_or_404(code: int):
    """The commune's name and province (a light row)."""
    from sqlalchemy import select

    from campaign.units.models import Commune

    commune = db.session.execute(select(Commune.name, Commune.province_code).where(Commune.code == code)).first()
    if commune is None:
        abort(404)
    return commune


@bp.get("/campaigns/<slug>.ics")
def campaign_feed(slug: str):
    def build():
        from sqlalchemy import select

        from campaign.events.models import Event

        campaign = _campaign_or_404(slug)
        stmt = select(Event).where(Event.campaign_id == campaign.id, Event.kind != "bridge_point")
        return campaign.name, stmt, campaign.description

    return _public_feed(f"{slug}.ics", build)


@bp.get("/communes/<int:code>.ics")
def commune_feed(code: int):
    def build():
        from sqlalchemy import or_, select

        from campaign.events.models import Event

        commune = _commune_or_404(code)
        # The commune's own events and the province-wide days its people take part in.
        stmt = select(Event).where(or_(Event.commune_code == code,
                                       (Event.commune_code.is_(None))
                                       & (Event.province_code == commune.province_code)
                                       & Event.kind.in_(("launch_ceremony", "national_day"))))
        return _("Events in %(commune)s", commune=commune.name), stmt, ""

    return _public_feed(f"xa-{code}.ics", build)


@bp.get("/events/<int:event_id>.ics")
def event_download(event_id: int):
    """One public event as a download ("Add to my calendar"); a class (a course's event) as its
    sessions."""
    from datetime import timedelta

    from sqlalchemy import select

    from campaign.calendars import event_feed
    from campaign.events.models import Event

    event = db.session.get(Event, event_id)
    if event is None or not event.is_public:
        abort(404)
    if event_feed.is_course_parent(event):
        sessions = select(Event).where(Event.parent_id == event.id, event_feed.public_condition())
        items = event_feed.feed_items(sessions, event.starts_at - timedelta(days=1), event.ends_at + timedelta(days=1),
                                      _event_link)
    else:
        items = event_feed.event_items([event], _event_link)
    body = ical.with_base(ical.render(event.title, items), request.host_url.rstrip("/"))
    resp = feed_response(body, ical.last_modified(items), f"su-kien-{event_id}.ics")
    resp.headers["Content-Disposition"] = f'attachment; filename="su-kien-{event_id}.ics"'
    return resp


@bp.get("/campaigns/<slug>")
def campaign_subscribe(slug: str):
    campaign = _campaign_or_404(slug)
    url = url_for("calendars.campaign_feed", slug=slug, _external=True)
    return render_template("calendars/public.html", title=campaign.name,
                           links=links.subscribe_links(url, campaign.name))


@bp.get("/communes/<int:code>")
def commune_subscribe(code: int):
    commune = _commune_or_404(code)
    name = _("Events in %(commune)s", commune=commune.name)
    url = url_for("calendars.commune_feed", code=code, _external=True)
    return render_template("calendars/public.html", title=name, links=links.subscribe_links(url, name))


@bp.get("/venues/<int:venue_id>.ics")
def venue_feed(venue_id: int):
    """A venue's approved bookings as busy times: no purpose, no requester (anyone may plan around them)."""
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from campaign.venues.models import Booking, Venue

    venue = db.session.get(Venue, venue_id)
    if venue is None or not venue.active:
        abort(404)
    start, end = sources.window()
    bookings = db.session.scalars(select(Booking).options(joinedload(Booking.venue)).where(
        Booking.venue_id == venue_id, Booking.status == "approved", Booking.ends_at >= start,
        Booking.starts_at <= end)).all()
    items = private_sources.booking_items(bookings, detail=False)
    body = ical.render(_("Bookings of %(venue)s", venue=venue.name), items)
    return feed_response(body, ical.last_modified(items), f"dia-diem-{venue_id}.ics")


@bp.get("/venues/<int:venue_id>")
def venue_subscribe(venue_id: int):
    from campaign.venues.models import Venue

    venue = db.session.get(Venue, venue_id)
    if venue is None or not venue.active:
        abort(404)
    name = _("Bookings of %(venue)s", venue=venue.name)
    url = url_for("calendars.venue_feed", venue_id=venue_id, _external=True)
    return render_template("calendars/public.html", title=name, links=links.subscribe_links(url, name))
