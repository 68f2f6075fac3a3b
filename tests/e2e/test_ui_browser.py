"""Thumbs and older eyes, on a 360×740 phone as several roles: every page of a broad set passes axe-core
(no serious or critical violation) and has no interactive element under 44×44 CSS px (tests/e2e/sizes.py);
base text is 16 px; the commune list is a searchable multi-select; tickets and the self check-in poster
have a large-type view."""

from __future__ import annotations

import pytest

from campaign.checkin import services as checkin
from campaign.events.models import Event
from campaign.extensions import db
from tests.checkin.conftest import CheckinFactory
from tests.conftest import DONG_NAI, TRAN_BIEN
from tests.courses.conftest import create_course
from tests.e2e.conftest import axe_violations, browser_login, watch_csp
from tests.e2e.sizes import small_targets
from tests.events.conftest import create_event, future, register
from tests.venues.conftest import make_venue  # noqa: F401 - a fixture used below
from tests.volunteers.conftest import campaign, make_profile, make_shift  # noqa: F401 - fixtures used below


@pytest.fixture
def phone_context(browser):
    contexts = []

    def _new():
        ctx = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", bypass_csp=True)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        return page

    yield _new
    for ctx in contexts:
        ctx.close()


def _audit(page, url: str, problems: list[str]) -> None:
    response = page.goto(url)
    if response is None or response.status != 200:
        problems.append(f"{url}: status {response and response.status}")
        return
    for v in axe_violations(page):
        problems.append(f"{url} axe {v['id']} ({v['impact']}): {v['nodes']}")
    for t in small_targets(page):
        problems.append(f"{url} small target {t}")
    if page.evaluate("() => document.documentElement.scrollWidth") > 360:
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 360)
            .slice(-3).map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)
            .concat([document.documentElement.scrollWidth])""")
        problems.append(f"{url} scrolls sideways: {wide}")
    # The menu opened: its entries are targets too.
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        page.wait_for_function("() => document.querySelector('#nav-main').classList.contains('show')")
        for details in page.locator("#nav-main details").all():
            details.locator("summary").click()
        for t in small_targets(page):
            problems.append(f"{url} (menu open) small target {t}")


def test_pages_are_big_enough_and_accessible_for_every_role(phone_context, live_server, factory, campaign,  # noqa: F811
                                                          make_shift, make_profile, make_venue):  # noqa: F811
    cf = CheckinFactory()
    event = create_event(title="Ngày hội số", capacity=200, starts_at=future(5))
    _, private = register(event)
    ticket = cf.ticket(cf.event(title="Hội thảo an toàn mạng"))
    course = create_course(sessions=2)
    session = db.session.scalars(db.select(Event).where(Event.parent_id == course.event_id).order_by(Event.starts_at)).first()
    venue = make_venue()
    make_shift()
    poster = checkin.poster_token(event.id)
    db.session.commit()

    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    trainer = factory.user("trainer", commune=TRAN_BIEN)
    volunteer = factory.user("volunteer", commune=TRAN_BIEN)
    make_profile(volunteer)
    admin = factory.user("admin")
    pages = {
        None: ["/", "/events", f"/events/{event.id}", "/courses/", f"/courses/{course.id}", "/volunteers/join",
               f"/tickets/{ticket.token}", f"/r/{private}", f"/self/{event.id}/{poster}", "/login"],
        volunteer: ["/volunteers/shifts", "/volunteers/my", "/volunteers/my/statement", "/calendars/",
                    "/notifications", "/jobs/"],
        officer: [f"/courses/{course.id}/overview"]
                 + ([f"/courses/{course.id}/sessions/{session.id}/roll-call"] if session else []) + [
                  f"/volunteers/campaigns/{campaign.id}/shifts/bulk", "/manage/events", f"/manage/events/{event.id}", "/manage/events/new", "/checkin/",
                  f"/checkin/events/{event.id}/poster", f"/checkin/events/{event.id}/scan", "/venues/",
                  f"/venues/{venue.id}", "/volunteers/", f"/volunteers/campaigns/{campaign.id}/shifts",
                  f"/volunteers/campaigns/{campaign.id}/board", "/reports/", "/units/", "/users", "/campaigns/"],
        trainer: ["/courses/manage", "/venues/"],
        admin: ["/audit", "/users/new"],
    }
    problems: list[str] = []
    for user, urls in pages.items():
        page = phone_context()
        csp = watch_csp(page)
        if user is not None:
            browser_login(page, live_server, user, factory.PASSWORD)
        for url in urls:
            _audit(page, live_server + url, problems)
        assert not csp, csp
    assert not problems, "\n".join(problems)


def test_base_text_is_16px(phone_context, live_server):
    page = phone_context()
    page.goto(f"{live_server}/events")
    assert page.evaluate("() => getComputedStyle(document.body).fontSize") == "16px"
    small = page.evaluate("""() => [...document.querySelectorAll('main p, main li, main td, main label, main dd')]
        .filter(e => e.innerText.trim() && parseFloat(getComputedStyle(e).fontSize) < 14)
        .map(e => e.tagName + ': ' + e.innerText.slice(0, 30))""")
    assert small == []


def test_the_commune_list_is_a_searchable_multi_select(phone_context, live_server, factory, campaign):  # noqa: F811
    coordinator = factory.user("province_coordinator", province=DONG_NAI)
    page = phone_context()
    browser_login(page, live_server, coordinator, factory.PASSWORD)
    page.goto(f"{live_server}/volunteers/campaigns/{campaign.id}/shifts/bulk")
    items = page.locator("fieldset[data-checklist] [data-checklist-item]")
    total = items.count()
    assert total >= 90  # Đồng Nai's communes and wards
    search = page.get_by_label("Tìm trong danh sách")
    assert search.is_visible()
    count = page.locator("[data-checklist-count]")
    assert count.inner_text() == "0 đã chọn"
    search.fill("long thanh")  # typed without accents
    assert page.locator("label", has_text="Xã Long Thành").is_visible()
    assert page.locator("label", has_text="Phường Trấn Biên").is_hidden()
    shown = items.evaluate_all("els => els.filter(e => !e.hidden).length")
    assert 1 <= shown < 10
    page.get_by_role("button", name="Chọn tất cả đang hiện").click()
    assert count.inner_text() == f"{shown} đã chọn"
    search.press("Enter")  # does not submit the form
    assert "/bulk" in page.url and page.locator("h2#preview").count() == 0
    search.fill("")
    assert items.evaluate_all("els => els.filter(e => !e.hidden).length") == total
    assert page.get_by_label("Xã Long Thành").is_checked()
    assert page.get_by_label("Phường Trấn Biên").is_checked() is False
    assert small_targets(page) == []
    assert axe_violations(page) == []
    page.get_by_role("button", name="Bỏ chọn tất cả").click()
    assert count.inner_text() == "0 đã chọn"


def test_tickets_and_the_poster_have_a_large_type_view(phone_context, live_server, factory):
    cf = CheckinFactory()
    ticket = cf.ticket(cf.event(title="Hội thảo an toàn mạng"))
    page = phone_context()
    page.goto(f"{live_server}/tickets/{ticket.token}")
    size = "() => parseFloat(getComputedStyle(document.querySelector('.ticket-short')).fontSize)"
    normal = page.evaluate(size)
    page.get_by_role("link", name="Chữ lớn").click()
    page.wait_for_url(lambda url: "large=1" in url)
    assert page.evaluate("() => document.documentElement.className") == "large-type"
    assert page.evaluate(size) >= normal * 1.3
    assert page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)") >= 20
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    assert small_targets(page) == [] and axe_violations(page) == []
    page.get_by_role("link", name="Chữ thường").click()
    assert page.evaluate("() => document.documentElement.className") == ""

    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    browser_login(page, live_server, officer, factory.PASSWORD)
    event = cf.event(title="Ngày hội số")
    page.goto(f"{live_server}/checkin/events/{event.id}/poster?large=1")
    assert page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.poster-steps')).fontSize)") >= 30
