from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from campaign.accounts import permissions as perm
from campaign.accounts.forms import ConfirmForm
from campaign.calendars import ical, links, private_sources, sources, tokens  # noqa: F401 - registers sources
from campaign.calendars.http import feed_cache, feed_response
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
    return url_for("events.event_page", event_id=event.id, _external=True)


def _public_feed(name: str, stmt, filename: str, description: str = ""):
    """A public event feed. A cheap aggregate over the feed's rows (and their series) tells whether
    the bytes rendered last time still hold; then a matching If-None-Match gets its 304, and any
    other request the cached bytes, without rendering 2,000 events again."""
    from campaign.calendars import event_feed

    start, end = sources.window()
    windowed = event_feed.in_window(stmt.where(event_feed.public_condition()), start, end)
    key = (request.path, request.url_root, name, description, start.strftime("%Y%m%d%H"),
           event_feed.validator(windowed))
    cached = feed_cache.get(key)
    if cached is None:
        items = event_feed.event_items(event_feed.load(windowed), _event_link)
        cached = (ical.render(name, items, description=description, url=request.url_root),
                  ical.last_modified(items))
        feed_cache.put(key, cached)
    return feed_response(cached[0], cached[1], filename)


def _campaign_or_404(slug: str):
    from sqlalchemy import select

    from campaign.campaigns.models import Campaign

    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        abort(404)
    return campaign


def _commune_or_404(code: int):
    from campaign.units.models import Commune

    commune = db.session.get(Commune, code)
    if commune is None:
        abort(404)
    return commune


@bp.get("/campaigns/<slug>.ics")
def campaign_feed(slug: str):
    from sqlalchemy import select

    from campaign.events.models import Event

    campaign = _campaign_or_404(slug)
    stmt = select(Event).where(Event.campaign_id == campaign.id, Event.kind != "bridge_point")
    return _public_feed(campaign.name, stmt, f"{slug}.ics", campaign.description)


@bp.get("/communes/<int:code>.ics")
def commune_feed(code: int):
    from sqlalchemy import or_, select

    from campaign.events.models import Event

    commune = _commune_or_404(code)
    # The commune's own events and the province-wide days its people take part in.
    stmt = select(Event).where(or_(Event.commune_code == code,
                                   (Event.commune_code.is_(None)) & (Event.province_code == commune.province_code)
                                   & Event.kind.in_(("launch_ceremony", "national_day"))))
    return _public_feed(_("Events in %(commune)s", commune=commune.name), stmt, f"xa-{code}.ics")


@bp.get("/events/<int:event_id>.ics")
def event_download(event_id: int):
    from campaign.calendars import event_feed
    from campaign.events.models import Event

    event = db.session.get(Event, event_id)
    if event is None or not event.is_public:
        abort(404)
    items = [event_feed._item(event, _event_link)]
    body = ical.render(event.title, items)
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
