"""Every page's way back: a sensible parent per page, chosen in one place.

``back_link()`` (a template global) answers the parent of the page being shown as ``(url, label)``:
the explicit parent of ``PARENTS`` when the page has one, else the index page of the page's blueprint,
else the home page. A parent's path arguments are taken from the current page's (an event's messages
page goes back to that event). Home pages have no way back. A template may still override the
``back`` block of base.html with a more precise parent (e.g. a registration's event).

Endpoints are strings: core imports no feature; an endpoint that does not exist is skipped.
"""

from __future__ import annotations

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.routing import BuildError

HOME = "core.index"
TODAY = "home.today"
# Pages that are a starting point: no way back.
ROOTS = {HOME, TODAY, "accounts.login"}

LABELS = {
    HOME: _l("Home"),
    TODAY: _l("Today"),
    "events.public_list": _l("Events"),
    "events.manage_list": _l("Manage events"),
    "events.manage_event": _l("Event"),
    "events.event_page": _l("Event"),
    "checkin.index": _l("Check-in"),
    "venues.index": _l("Venues"),
    "venues.detail": _l("Venue"),
    "volunteers.index": _l("Volunteers"),
    "volunteers.open_shifts": _l("Volunteer shifts"),
    "volunteers.my_shifts": _l("My shifts"),
    "volunteers.people": _l("Volunteers"),
    "courses.index": _l("Classes"),
    "courses.manage": _l("Classes"),
    "courses.detail": _l("Class"),
    "courses.overview": _l("Class"),
    "campaigns.index": _l("Campaigns"),
    "campaigns.detail": _l("Campaign"),
    "reports.index": _l("Reports"),
    "reports.dashboard": _l("Report"),
    "units.index": _l("Communes"),
    "accounts.users": _l("Accounts"),
    "jobs.mine": _l("My jobs"),
    "calendars.mine": _l("My calendars"),
    "messages.own_page": _l("My page"),
}

# The parent of a page when it is not its blueprint's index page (first one that can be built wins).
PARENTS: dict[str, tuple[str, ...]] = {
    "events.manage_event": ("events.manage_list",),
    "events.event_edit": ("events.manage_event",),
    "events.event_new": ("events.manage_list",),
    "events.series_new": ("events.manage_list",),
    "events.board": ("events.manage_event",),
    "events.register_on_behalf": ("events.manage_event", "events.event_page"),
    "events.launch_ceremony": ("events.manage_list",),
    "events.national_day": ("events.manage_list",),
    "events.bridge_point": ("events.manage_list",),
    "events.event_page": ("events.public_list",),
    "events.campaign_page": ("events.public_list",),
    "events.my_registration": (TODAY, HOME),
    "checkin.ticket": (TODAY, HOME),
    "checkin.scanner": ("checkin.index",),
    "checkin.counts": ("checkin.index",),
    "checkin.conflicts": ("checkin.index",),
    "checkin.poster": ("checkin.index",),
    "checkin.print_tickets": ("checkin.index",),
    "checkin.stewards": ("checkin.index",),
    "checkin.self_checkin": (TODAY, HOME),
    "checkin.device_setup": (HOME,),
    "checkin.device_scanner": (HOME,),
    "messages.event_messages": ("events.manage_event",),
    "messages.announce": ("events.manage_list",),
    "messages.announce_shift": ("volunteers.index",),
    "messages.erasure_requests": ("accounts.users",),
    "messages.account_preferences": (TODAY, HOME),
    "messages.own_page": (HOME,),
    "messages.own_start": (HOME,),
    "messages.own_code": ("messages.own_start",),
    "messages.lost_links": (HOME,),
    "messages.forgot_password": ("accounts.login",),
    "messages.reset_password": ("accounts.login",),
    "messages.reset_password_link": ("accounts.login",),
    "messages.unsubscribe": (HOME,),
    "venues.venue_edit": ("venues.detail",),
    "venues.book": ("venues.detail",),
    "venues.book_weekly": ("venues.detail",),
    "venues.week": ("venues.detail",),
    "venues.closure_new": ("venues.detail",),
    "volunteers.my_statement": ("volunteers.my_shifts",),
    "volunteers.person_statement": ("volunteers.person", "volunteers.people"),
    "volunteers.person": ("volunteers.people",),
    "volunteers.people": ("volunteers.index",),
    "volunteers.my_profile": ("volunteers.my_shifts",),
    "volunteers.join": (HOME,),
    "volunteers.open_shifts": (TODAY, HOME),
    "volunteers.my_shifts": (TODAY, HOME),
    "volunteers.manage": ("volunteers.index",),
    "courses.edit": ("courses.overview",),
    "courses.new": ("courses.manage",),
    "courses.overview": ("courses.manage",),
    "courses.roll_call": ("courses.overview",),
    "courses.sheet": ("courses.overview",),
    "courses.results": ("courses.overview",),
    "courses.paper_entry": ("courses.overview",),
    "courses.enrol_staff": ("courses.overview",),
    "courses.enrol": ("courses.detail",),
    "courses.certificate": (HOME,),
    "courses.verify": (HOME,),
    "courses.job_status": ("courses.manage",),
    "campaigns.edit": ("campaigns.detail",),
    "campaigns.targets": ("campaigns.detail",),
    "campaigns.indicator_new": ("campaigns.detail",),
    "campaigns.indicator_edit": ("campaigns.detail",),
    "reports.commune": ("reports.dashboard",),
    "reports.manual_values": ("reports.dashboard",),
    "reports.targets_import": ("reports.dashboard", "reports.index"),
    "reports.imports_index": ("reports.index",),
    "reports.run_import": ("reports.imports_index",),
    "units.province": ("units.index",),
    "units.commune": ("units.index",),
    "units.village_new": ("units.commune", "units.index"),
    "units.village_edit": ("units.index",),
    "accounts.user_detail": ("accounts.users",),
    "accounts.user_new": ("accounts.users",),
    "accounts.audit_log": (TODAY, HOME),
    "accounts.change_password": (TODAY, HOME),
    "jobs.show": ("jobs.mine",),
    "calendars.campaign_subscribe": ("events.public_list",),
    "calendars.commune_subscribe": ("events.public_list",),
    "calendars.venue_subscribe": ("venues.detail", "venues.index"),
    "calendars.mine": (TODAY, HOME),
    "core.notifications": (TODAY, HOME),
}


def _build(endpoint: str, view_args: dict) -> str | None:
    rules = current_app.url_map._rules_by_endpoint.get(endpoint)
    if not rules:
        return None
    wanted = rules[0].arguments
    if not wanted <= set(view_args):
        return None
    try:
        return url_for(endpoint, **{k: view_args[k] for k in wanted})
    except BuildError:
        return None


def candidates(endpoint: str) -> tuple[str, ...]:
    """The parents to try for ``endpoint``, best first; the home page last."""
    found = list(PARENTS.get(endpoint, ()))
    blueprint = endpoint.rpartition(".")[0]
    if blueprint and endpoint != f"{blueprint}.index":
        found.append(f"{blueprint}.index")
    found += [TODAY, HOME]
    return tuple(found)


def back_link(endpoint: str | None = None, view_args: dict | None = None) -> tuple[str, str] | None:
    """``(url, label)`` of the page's parent, or None on a starting page."""
    endpoint = endpoint or request.endpoint
    view_args = (request.view_args or {}) if view_args is None else view_args
    if endpoint is None or endpoint in ROOTS:
        return None
    signed_in = bool(getattr(current_user, "is_authenticated", False))
    for parent in candidates(endpoint):
        if parent == endpoint or (parent == TODAY and not signed_in):
            continue
        url = _build(parent, view_args)
        if url is not None:
            return url, str(LABELS.get(parent, _l("Back")))
    return None


def has_endpoint(endpoint: str) -> bool:
    """Is this endpoint served (e.g. the "Today" page, which another feature adds)?"""
    return endpoint in current_app.view_functions
