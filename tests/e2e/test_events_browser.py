"""Events in the browser: a resident registers on a phone and cancels with the private link; the
launch board updates itself; the main pages pass the accessibility audit."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from campaign.events import services
from campaign.events.models import Event, Registration
from campaign.extensions import db
from tests.conftest import DONG_NAI, LONG_THANH, TRAN_BIEN
from tests.e2e.conftest import axe_violations, browser_login
from tests.events.conftest import create_campaign, create_event, future, register


def test_resident_registers_on_a_phone_then_cancels_with_the_private_link(phone, live_server, factory):
    factory.village(TRAN_BIEN, name="Khu phố 3")
    factory.village(LONG_THANH, name="Ấp Phước Hòa")
    event = create_event(title="Lớp học dùng điện thoại thông minh", capacity=20, place="Nhà văn hóa khu phố 3",
                         target_groups=["elderly"], starts_at=future(3))
    phone.goto(f"{live_server}/events?q=dien thoai")
    phone.get_by_role("link", name="Lớp học dùng điện thoại thông minh").click()
    phone.get_by_label("Họ và tên").fill("Nguyễn Thị Hoa")
    phone.get_by_label("Số điện thoại (không bắt buộc)").fill("0901 234 123")
    phone.get_by_label("Năm sinh (không bắt buộc)").fill("1958")
    village = phone.get_by_label("Thôn, ấp, khu phố (không bắt buộc)")
    commune = phone.get_by_label("Xã, phường nơi bạn sống")
    commune.select_option(label="Xã Long Thành")  # the village list follows the commune
    phone.wait_for_function("() => [...document.querySelectorAll('#village_id option')]"
                            ".some(o => o.text === 'Ấp Phước Hòa')")
    assert village.locator("option", has_text="Khu phố 3").count() == 0
    commune.select_option(label="Phường Trấn Biên")
    phone.wait_for_function("() => [...document.querySelectorAll('#village_id option')]"
                            ".some(o => o.text === 'Khu phố 3')")
    village.select_option(label="Khu phố 3")
    phone.get_by_label("Người cao tuổi").check()
    phone.get_by_label("Tôi đồng ý").check()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360
    phone.get_by_role("button", name="Đăng ký").click()

    phone.wait_for_url(lambda url: "/r/" in url)
    private_link = phone.url
    assert phone.get_by_text("Bạn đã đăng ký thành công.").is_visible()
    assert phone.locator("#registration-status").inner_text().startswith("Đã xác nhận")
    assert phone.get_by_role("heading", name="Vé của bạn").is_visible()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360
    reg = db.session.scalar(select(Registration))
    assert reg.person.phone == "+84901234123" and reg.person.village.name == "Khu phố 3"

    # later, from the link alone (a fresh visit), the resident cancels
    phone.goto("about:blank")
    phone.goto(private_link)
    phone.get_by_role("button", name="Hủy đăng ký của tôi").click()
    assert phone.get_by_text("Đã hủy đăng ký của bạn.").is_visible()
    assert phone.locator("#registration-status").inner_text().startswith("Đã hủy")
    assert phone.get_by_role("button", name="Hủy đăng ký của tôi").count() == 0
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).status == "cancelled"
    assert db.session.get(Event, event.id).confirmed_count == 0


def test_a_bad_phone_number_is_explained_on_the_phone(phone, live_server):
    event = create_event(title="Tọa đàm an toàn số")
    phone.goto(f"{live_server}/events/{event.id}")
    phone.get_by_label("Họ và tên").fill("Lê Văn Tâm")
    phone.get_by_label("Số điện thoại (không bắt buộc)").fill("12345")
    phone.get_by_label("Tôi đồng ý").check()
    phone.get_by_role("button", name="Đăng ký").click()
    phone.get_by_text("Nhập số điện thoại Việt Nam hợp lệ").first.wait_for(state="visible")  # after the reload
    assert phone.get_by_text("Nhập số điện thoại Việt Nam hợp lệ").first.is_visible()
    assert phone.get_by_label("Số điện thoại (không bắt buộc)").get_attribute("aria-invalid") == "true"


def test_launch_board_updates_itself(page, live_server, factory):
    coord = factory.user("province_coordinator", province=DONG_NAI)
    campaign = create_campaign()
    start = datetime(2026, 5, 19, 1, 0, tzinfo=UTC)
    ceremony = services.create_launch_ceremony(None, campaign, starts_at=start,
                                               ends_at=start + timedelta(hours=2)).parent
    db.session.commit()
    browser_login(page, live_server, coord, factory.PASSWORD)
    page.goto(f"{live_server}/manage/events/{ceremony.id}/board")
    assert page.locator('[data-count="connected"]').first.inner_text() == "0"
    point = db.session.scalar(select(Event).where(Event.parent_id == ceremony.id, Event.commune_code == TRAN_BIEN))
    services.mark_bridge_connected(coord, point)
    db.session.commit()
    page.wait_for_function("() => document.querySelector('[data-count=\"connected\"]').textContent === '1'",
                           timeout=12_000)
    assert page.locator(f'tr[data-point="{point.id}"] [data-state="connected"]').inner_text().startswith("Có")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_events_pages_have_no_serious_accessibility_violations(page, live_server, factory, lang):
    admin = factory.user("admin")
    campaign = create_campaign()
    event = create_event(capacity=1, campaign_id=campaign.id, target_groups=["elderly"])
    _reg, token = register(event, phone="0901234123", commune_code=TRAN_BIEN)
    register(event, name="Người chờ")
    start = datetime(2026, 5, 19, 1, 0, tzinfo=UTC)
    ceremony = services.create_launch_ceremony(None, campaign, starts_at=start, ends_at=start).parent
    day = services.create_national_day(None, DONG_NAI, 2026).parent
    db.session.commit()
    point = db.session.scalar(select(Event.id).where(Event.parent_id == ceremony.id, Event.commune_code == TRAN_BIEN))
    problems = {}
    page.goto(f"{live_server}/lang/{lang}")
    for path in ["/events", f"/events/{event.id}", f"/r/{token}", f"/c/{campaign.slug}", f"/events/{day.id}"]:
        page.goto(live_server + path)
        problems[path] = axe_violations(page)
    browser_login(page, live_server, admin, factory.PASSWORD)
    for path in ["/manage/events", "/manage/events/new", "/manage/series/new", f"/manage/events/{event.id}",
                 f"/manage/events/{event.id}/register", "/manage/launch-ceremony", "/manage/national-day",
                 f"/manage/events/{ceremony.id}/board", f"/manage/events/{day.id}/board",
                 f"/manage/bridge-points/{point}"]:
        page.goto(live_server + path)
        problems[path] = axe_violations(page)
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto(f"{live_server}/events/{event.id}")
    problems["event page (phone)"] = axe_violations(page)
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, problems
