"""A coordinator opens the province dashboard, filters it, downloads the report; axe audit of the pages."""

import io

import openpyxl
import pytest

from tests.conftest import DONG_NAI, TRAN_BIEN
from tests.e2e.conftest import axe_violations, browser_login
from tests.reports import conftest as reports_fixtures

campaign_data = reports_fixtures.campaign_data  # the reports fixture, shared


def test_coordinator_filters_and_downloads_the_report(page, live_server, factory, campaign_data):
    c = campaign_data(size=1)
    coord = factory.user("province_coordinator", province=DONG_NAI)
    browser_login(page, live_server, coord, factory.PASSWORD)
    page.goto(f"{live_server}/reports/")
    page.get_by_role("link", name=c.name).click()
    page.wait_for_function("() => document.documentElement.dataset.chartsReady === '1'")
    assert page.locator("#communes tbody tr").count() == 95
    assert page.locator("canvas#chart-communes").is_visible()
    page.locator("#quarter").select_option("2026-Q2")
    page.locator("#group").select_option("adults")
    page.locator("#filters [type=submit]").click()
    page.wait_for_url(lambda url: "quarter=2026-Q2" in url and "group=adults" in url)
    assert "30/06/2026" in page.locator("#period").inner_text()
    with page.expect_download() as info:
        page.locator("#download-xlsx").click()
    download = info.value
    assert download.suggested_filename.endswith("2026-Q2.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    assert wb.worksheets[0]["A5"].value == "STT"
    assert "01/04/2026 – 30/06/2026" in wb.worksheets[0]["A3"].value


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_reports_pages_have_no_serious_accessibility_violations(page, live_server, factory, campaign_data, lang):
    c = campaign_data(size=1)
    coord = factory.user("province_coordinator", province=DONG_NAI)
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    problems = {}
    page.goto(f"{live_server}/lang/{lang}")
    browser_login(page, live_server, coord, factory.PASSWORD)
    for path in ("/reports/", f"/reports/campaigns/{c.id}", f"/reports/campaigns/{c.id}?quarter=2026-Q2&group=adults",
                 f"/reports/campaigns/{c.id}/communes/{TRAN_BIEN}", f"/reports/campaigns/{c.id}/targets/import",
                 f"/reports/campaigns/{c.id}/baselines", "/reports/imports/baselines"):
        page.goto(live_server + path)
        problems[path] = axe_violations(page)
    page.context.clear_cookies()
    page.goto(f"{live_server}/lang/{lang}")
    browser_login(page, live_server, officer, factory.PASSWORD)
    page.goto(f"{live_server}/reports/")
    page.locator("#my-communes a").first.click()
    problems["officer commune"] = axe_violations(page)
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, problems


def test_dashboard_on_a_phone_cards_scroll_regions_and_filter(page, live_server, factory, campaign_data):
    """360 px: a card per indicator with its progress bar and pace; the wide tables scroll inside a region
    the keyboard reaches; the 95-commune ranking filters by name (accents ignored) and to lagging ones."""
    c = campaign_data(size=1)
    coord = factory.user("province_coordinator", province=DONG_NAI)
    page.set_viewport_size({"width": 360, "height": 740})
    browser_login(page, live_server, coord, factory.PASSWORD)
    page.goto(f"{live_server}/reports/campaigns/{c.id}?as_of=2026-06-30")
    cards = page.locator("#indicator-cards [data-card]")
    assert cards.count() == len(c.indicators) and cards.first.is_visible()
    assert page.locator("#indicators").is_hidden()  # the wide table is for wider screens
    assert cards.locator(".progress").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1  # no sideways page scroll
    region = page.locator("div[role=region]:has(#communes)")
    assert region.get_attribute("tabindex") == "0" and region.get_attribute("aria-label")
    region.focus()
    assert page.evaluate("document.activeElement.getAttribute('role')") == "region"
    rows = page.locator("#communes tbody tr")
    assert rows.count() == 95
    page.locator("#commune-filter").fill("tran bien")  # accents ignored
    visible = [r for r in rows.all() if r.is_visible()]
    assert len(visible) == 1 and "Trấn Biên" in visible[0].inner_text()
    page.locator("#commune-filter").fill("")
    page.locator("#only-lagging").check()
    lagging = page.locator("#communes tbody tr.lagging").count()
    assert 0 < lagging < 95
    assert len([r for r in rows.all() if r.is_visible()]) == lagging
    assert "%" in page.locator("#indicator-cards").inner_text()
    assert not axe_violations(page)
