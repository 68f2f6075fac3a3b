"""The staff menu (grouped by task, only what the role may use, the current page marked) and every
page's way back (base.html's back block, core/navigation.py)."""

from __future__ import annotations

import re

from sqlalchemy import event as sa_event

from campaign.checkin.models import Ticket
from campaign.core import navigation
from campaign.extensions import db
from tests.conftest import TRAN_BIEN
from tests.events.conftest import create_event, register
from tests.reports.conftest import campaign_data  # noqa: F401 - a fixture used below
from tests.test_fuzz import _world
from tests.venues.conftest import make_booking, make_venue  # noqa: F401 - fixtures used below
from tests.volunteers.conftest import make_profile  # noqa: F401 - a fixture used below

NOT_PAGES = re.compile(r"(\.(json|ics|png|svg|csv|xlsx|pdf|js)$)|^/api/|/download$|^/healthz|^/lang/|/qr\.|/photos/")


def _html_get_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" in rule.methods and rule.endpoint != "static" and not NOT_PAGES.search(rule.rule):
            yield rule


def _urls(rule, tokens: dict[str, list[str]]):
    """A few URLs for the rule: small ids for int parts, known tokens for the others."""
    from werkzeug.routing import AnyConverter, IntegerConverter

    combos = [{}]
    for name, conv in rule._converters.items():
        if isinstance(conv, IntegerConverter):
            options = ["1", "2", "3"] if name != "code" else [str(TRAN_BIEN), "75"]
        elif isinstance(conv, AnyConverter):
            options = sorted(conv.items)[:1]
        else:
            options = tokens.get(name, []) + tokens["any"]
        combos = [dict(c, **{name: o}) for c in combos for o in options]
    for values in combos[:6]:
        url = rule.rule
        for name, value in values.items():
            url = re.sub(r"<(?:[^:<>]+:)?" + re.escape(name) + r"(?:\([^)]*\))?>", value, url)
        yield url


def _tokens(world) -> dict[str, list[str]]:
    _, private = register(create_event())
    tickets = db.session.scalars(db.select(Ticket)).all()
    return {"token": [private] + [t.token for t in tickets], "slug": ["x"], "any": [world["poster"]]}


def test_every_page_has_a_way_back(app, factory, login_as, campaign_data, make_venue, make_booking,  # noqa: F811
                                   make_profile):  # noqa: F811
    world = _world(factory, campaign_data, make_venue, make_booking)
    tokens = _tokens(world)
    volunteer = factory.user("volunteer", commune=TRAN_BIEN)
    make_profile(volunteer)
    clients = {"admin": login_as(factory.user("admin")),
               "volunteer": login_as(volunteer),
               "trainer": login_as(factory.user("trainer", commune=TRAN_BIEN)),
               "anonymous": app.test_client()}
    missing, checked = [], set()
    for rule in _html_get_rules(app):
        if rule.endpoint in navigation.ROOTS:
            continue
        for role, client in clients.items():
            for url in _urls(rule, tokens):
                resp = client.get(url)
                if resp.status_code != 200 or not resp.mimetype == "text/html" or "<main" not in resp.text:
                    continue
                checked.add(rule.endpoint)
                if 'class="back-link"' not in resp.text:
                    missing.append(f"{url} as {role}")
                break
    assert not missing, "pages without a way back:\n" + "\n".join(missing)
    # Broad: most pages were really rendered, including the ones the issue names.
    assert len(checked) >= 60, sorted(checked)
    for endpoint in ("checkin.ticket", "events.my_registration", "volunteers.my_statement", "jobs.mine",
                     "calendars.mine", "events.manage_event", "venues.detail", "courses.overview"):
        assert endpoint in checked, endpoint


def test_back_link_parents(app):
    with app.test_request_context("/"):
        url, label = navigation.back_link("events.manage_event", {"event_id": 7})
        assert url == "/manage/events" and str(label)
        url, _ = navigation.back_link("messages.event_messages", {"event_id": 7})
        assert url == "/manage/events/7"
        assert navigation.back_link("core.index", {}) is None
        # A page with no explicit parent goes to its blueprint's index page, else home.
        assert navigation.back_link("venues.search", {})[0] == "/venues/"
        assert navigation.back_link("checkin.ticket", {"token": "x"})[0] == "/"


def _menu(html: str) -> str:
    return html.split('id="nav-main"', 1)[1].split("</nav>", 1)[0]


def _links(menu: str) -> list[str]:
    return re.findall(r'class="nav-link[^"]*" href="([^"]+)"', menu)


def test_menu_is_grouped_and_fits_the_role(app, factory, login_as):
    admin = _menu(login_as(factory.user("admin")).get("/notifications").text)
    groups = re.findall(r'data-group="([a-z]+)"', admin)
    assert groups == ["events", "people", "reports", "administration"], groups
    assert "<details" in admin and "<summary" in admin
    for path in ("/events", "/manage/events", "/checkin/", "/campaigns/", "/volunteers/", "/users", "/venues/",
                 "/courses/manage", "/reports/", "/plans/", "/units/", "/audit"):
        assert path in _links(admin), path

    volunteer = _menu(login_as(factory.user("volunteer", commune=TRAN_BIEN)).get("/notifications").text)
    links = _links(volunteer)
    assert "/volunteers/shifts" in links and "/volunteers/my" in links
    for path in ("/manage/events", "/reports/", "/units/", "/users", "/audit", "/venues/"):
        assert path not in links, path
    assert "<details" not in volunteer  # a short menu is flat: every entry one tap away

    anonymous = _menu(app.test_client().get("/events").text)
    assert _links(anonymous)[:3] == ["/events", "/courses/", "/volunteers/join"]
    assert "<details" not in anonymous


def test_current_page_is_marked(factory, login_as):
    client = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    menu = _menu(client.get("/manage/events").text)
    assert re.search(r'href="/manage/events"\s*aria-current="page"', menu)
    assert menu.count('aria-current="page"') == 1
    # A page under a group: its group is marked as the current section.
    menu = _menu(client.get("/volunteers/people").text)
    assert re.search(r'<summary class="nav-link current">', menu)


def test_today_entry_only_when_the_page_exists(app, factory, login_as):
    client = login_as(factory.user("trainer", commune=TRAN_BIEN))
    menu = _menu(client.get("/notifications").text)
    if "home.today" in app.view_functions:  # the "homes" feature is merged: its entry comes first
        with app.test_request_context():
            from flask import url_for

            assert _links(menu)[0] == url_for("home.today")
    else:  # not there: the menu still renders, without it
        assert "/today" not in menu and _links(menu)[0] == "/events"


def test_menu_costs_no_query_per_entry(app, factory, login_as):
    """The menu asks the database nothing for an organiser (roles are loaded with the user), and at
    most one query (a steward grant) for anyone else, whatever the number of entries."""
    counts = {}
    for role in ("admin", "commune_officer", "volunteer", "trainer"):
        client = login_as(factory.user(role, commune=None if role == "admin" else TRAN_BIEN))
        client.get("/notifications")
        statements: list[str] = []

        def count(conn, cursor, statement, *args, found=statements):
            found.append(statement)

        engine = db.engine
        sa_event.listen(engine, "before_cursor_execute", count)
        try:
            client.get("/notifications")
        finally:
            sa_event.remove(engine, "before_cursor_execute", count)
        counts[role] = [s for s in statements if "steward" in s.lower()]
    assert counts["admin"] == [] and counts["commune_officer"] == []
    assert len(counts["volunteer"]) <= 1 and len(counts["trainer"]) <= 1
