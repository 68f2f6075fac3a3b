"""On a phone (360×740): the province coordinator sees the plan's task table (printable), a lead unit's
user updates a task's status with a note and a link; axe audit of the pages."""


from tests.conftest import DONG_NAI
from tests.e2e.conftest import axe_violations, browser_login
from tests.plans import conftest as plans_fixtures

plan = plans_fixtures.plan  # the plans fixture, shared


def test_coordinator_sees_the_table_and_the_lead_unit_updates_a_task(phone740, live_server, factory, plan):
    page = phone740
    p = plan()
    coord = factory.user("province_coordinator", province=DONG_NAI)
    browser_login(page, live_server, coord, factory.PASSWORD)
    page.goto(f"{live_server}/plans/")
    page.get_by_role("link", name=p["campaign"].name).click()
    table = page.locator("#plan-table")
    assert table.is_visible()
    assert table.locator("tbody tr[data-task]").count() == 2
    assert table.locator("tr.plan-section").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # the table scrolls in its own box
    assert not axe_violations(page), axe_violations(page)
    page.emulate_media(media="print")
    assert not page.locator("form[method=get]").is_visible() and table.is_visible()
    page.emulate_media(media="screen")

    page.context.clear_cookies()
    browser_login(page, live_server, p["member"], factory.PASSWORD)
    page.goto(f"{live_server}/plans/")
    page.locator("#my-tasks a", has_text="Phát động").click()
    assert not axe_violations(page), axe_violations(page)
    page.locator("#status").select_option("done")
    page.locator("#note").fill("95/95 xã, phường kết nối trực tuyến")
    page.locator("#link").fill("https://dongnai.gov.vn/le-phat-dong")
    box = page.locator("#status-form [type=submit]").bounding_box()
    assert box["height"] >= 44
    page.locator("#status-form [type=submit]").click()
    page.wait_for_selector("#task-updates li >> text=95/95")
    assert page.locator("[data-status=done]").first.is_visible()

    page.context.clear_cookies()
    browser_login(page, live_server, coord, factory.PASSWORD)
    page.goto(f"{live_server}/plans/campaigns/{p['campaign'].id}")
    row = page.locator(f"tr[data-task='{p['t1'].id}']")
    assert row.locator("[data-status=done]").is_visible() and "95/95" in row.inner_text()
