from tests.conftest import TRAN_BIEN
from tests.e2e.conftest import axe_violations, browser_login


def test_a_volunteer_creates_a_private_link_and_the_pages_are_accessible(page, live_server, factory):
    volunteer = factory.user("volunteer", commune=TRAN_BIEN)
    browser_login(page, live_server, volunteer, factory.PASSWORD)
    page.get_by_role("link", name="Lịch của tôi").click()
    assert page.get_by_role("heading", name="Lịch của tôi").is_visible()
    page.get_by_role("button", name="Tạo đường dẫn — Ca tình nguyện của tôi").click()
    box = page.locator("#new-feed-url")
    url = box.input_value()
    assert "/calendars/private/" in url and url.endswith(".ics")
    assert page.get_by_role("link", name="Mở bằng ứng dụng lịch").get_attribute("href").startswith("webcal://")
    assert not axe_violations(page)
    feed = page.request.get(url)
    assert feed.status == 200 and feed.headers["content-type"] == "text/calendar; charset=utf-8"
    page.goto(f"{live_server}/calendars/communes/{TRAN_BIEN}")
    assert page.get_by_role("heading", name="Lịch: Sự kiện tại Phường Trấn Biên").is_visible()
    assert not axe_violations(page)
