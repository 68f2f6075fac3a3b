"""Dates in an English (en-US) browser: the pages never hand the date to the browser's native picker
(which would show mm/dd/yyyy and 12-hour times), they show and take dd/mm/yyyy and 24-hour HH:MM."""

from __future__ import annotations

import pytest

from campaign.core.timeutil import to_local
from tests.conftest import TRAN_BIEN
from tests.e2e.conftest import browser_login, watch_csp
from tests.events.conftest import create_event, future


@pytest.fixture
def english_page(browser):
    ctx = browser.new_context(locale="en-US", timezone_id="America/New_York", viewport={"width": 360, "height": 740})
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    violations = watch_csp(page)
    yield page
    ctx.close()
    assert not violations, violations


def test_dates_are_dd_mm_yyyy_in_an_english_browser(english_page, live_server, factory):
    page = english_page
    assert page.evaluate("() => navigator.language") == "en-US"
    event = create_event(title="Ngày hội chuyển đổi số", starts_at=future(40))
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    browser_login(page, live_server, officer, factory.PASSWORD)

    # The event form: the start shown back as dd/mm/yyyy HH:MM, in text inputs only.
    page.goto(f"{live_server}/manage/events/{event.id}/edit")
    assert page.locator("input[type=date], input[type=time], input[type=datetime-local]").count() == 0
    starts = page.locator("#starts_at")
    assert starts.get_attribute("type") == "text"
    assert starts.input_value() == f"{to_local(event.starts_at):%d/%m/%Y %H:%M}"
    assert starts.get_attribute("placeholder") == "nn/tt/nnnn GG:PP"

    # Typed the Vietnamese way, in the afternoon: kept as 24-hour time, read as the 10th of December.
    starts.fill("10/12/2026 14:30")
    page.locator("#ends_at").fill("10/12/2026 16:00")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()
    page.goto(f"{live_server}/manage/events/{event.id}/edit")
    assert page.locator("#starts_at").input_value() == "10/12/2026 14:30"
    assert page.locator("#ends_at").input_value() == "10/12/2026 16:00"
    assert "PM" not in page.locator("main").inner_text()

    # A list filter: typed 01/12/2026, shown back as such (not 12/01/2026, not 2026-12-01).
    page.goto(f"{live_server}/events")
    assert page.locator("input[type=date]").count() == 0
    page.locator("#from").fill("01/12/2026")
    page.locator("#from").press("Enter")
    page.wait_for_url(lambda url: "from=" in url)
    assert page.locator("#from").input_value() == "01/12/2026"
    assert "Ngày hội chuyển đổi số" in page.locator("main").inner_text()
