from tests.conftest import TRAN_BIEN
from tests.e2e.conftest import axe_violations, browser_login
from tests.venues import conftest as venue_fixtures

make_venue = venue_fixtures.make_venue


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


def test_a_venue_page_leads_to_its_calendar(page, live_server, factory, make_venue):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    venue = make_venue(name="Nhà văn hóa khu phố 9")
    browser_login(page, live_server, officer, factory.PASSWORD)
    page.goto(f"{live_server}/venues/{venue.id}")
    page.get_by_role("link", name="Đăng ký theo dõi lịch đặt của địa điểm này").click()
    assert page.get_by_role("heading", name="Lịch: Lịch sử dụng Nhà văn hóa khu phố 9").is_visible()
    personal = page.get_by_role("link", name="Thêm vào Outlook (tài khoản cá nhân)").get_attribute("href")
    work = page.get_by_role("link", name="Thêm vào Outlook (tài khoản cơ quan, trường học)").get_attribute("href")
    assert personal.startswith("https://outlook.live.com/calendar/0/addfromweb?url=")
    assert work.startswith("https://outlook.office.com/calendar/0/addfromweb?url=")
    assert not axe_violations(page)
    feed = page.request.get(page.locator("#feed-url").input_value())
    assert feed.status == 200 and b"BEGIN:VTIMEZONE" in feed.body()  # no booking yet: still a component
