"""Venues in the browser: an officer finds a free venue and books it, its manager approves it; the
venue pages pass an accessibility audit and fit a phone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaign.extensions import db
from campaign.venues.models import APPROVED, Booking
from tests.conftest import LONG_THANH, TRAN_BIEN
from tests.e2e.conftest import axe_violations, browser_login
from tests.venues import conftest as venue_fixtures
from tests.venues.conftest import at, next_weekday

# The venue fixtures (tests/venues/conftest.py), shared with this browser test.
make_venue = venue_fixtures.make_venue
make_booking = venue_fixtures.make_booking


@pytest.fixture
def scene(factory, make_venue, make_booking):
    manager = factory.user("commune_officer", commune=TRAN_BIEN, full_name="Nguyễn Văn Quản")
    officer = factory.user("commune_officer", commune=LONG_THANH, full_name="Lê Văn Long")
    day = next_weekday(1)
    hall = make_venue(name="Hội trường UBND phường Trấn Biên", kind="commune_hall", capacity=200, allow_outside=True,
                      equipment={"projector": 2, "speakers": 4}, managers=[manager])
    busy = make_venue(name="Nhà văn hóa Khu phố 1", capacity=120, allow_outside=True, equipment={"projector": 1})
    make_booking(busy, manager, starts_at=at(day, 17), hours=4, status=APPROVED, purpose="Họp khu phố")
    make_venue(name="Phòng máy nhỏ", capacity=20, allow_outside=True, equipment={"computers": 20})
    return {"manager": manager, "officer": officer, "day": day, "hall": hall, "busy": busy}


def test_an_officer_finds_a_free_venue_books_it_and_the_manager_approves(browser, live_server, factory, scene):
    officer_ctx = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = officer_ctx.new_page()
    page.set_default_timeout(10_000)
    browser_login(page, live_server, scene["officer"], factory.PASSWORD)
    page.get_by_role("link", name="Địa điểm", exact=True).click()
    page.get_by_role("link", name="Tìm địa điểm còn trống").first.click()
    page.get_by_label("Xã/phường").select_option(str(TRAN_BIEN))
    page.get_by_label("Ngày").fill(scene["day"].isoformat())
    page.get_by_label("Từ").fill("18:00")
    page.get_by_label("Đến").fill("20:00")
    page.get_by_label("Số chỗ tối thiểu").fill("30")
    page.get_by_label("Thiết bị cần có").select_option(["projector"])
    page.get_by_role("button", name="Tìm").click()
    results = page.locator("main .list-group")
    assert results.get_by_role("link", name="Hội trường UBND phường Trấn Biên", exact=True).is_visible()
    assert results.get_by_role("link", name="Nhà văn hóa Khu phố 1", exact=True).count() == 0  # booked then
    assert results.get_by_role("link", name="Phòng máy nhỏ", exact=True).count() == 0  # too small, no projector
    page.get_by_role("link", name="Đặt lịch Hội trường UBND phường Trấn Biên").click()
    assert page.get_by_label("Từ").input_value() == "18:00"
    page.get_by_label("Mục đích sử dụng").fill("Lớp kỹ năng số cho người cao tuổi")
    page.get_by_label("Số người dự kiến").fill("40")
    page.get_by_role("button", name="Gửi yêu cầu").click()
    assert page.get_by_text("Đã gửi yêu cầu; người quản lý địa điểm sẽ xét duyệt.").is_visible()
    assert page.get_by_text("Chờ phê duyệt").first.is_visible()
    officer_ctx.close()

    manager_ctx = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = manager_ctx.new_page()
    page.set_default_timeout(10_000)
    browser_login(page, live_server, scene["manager"], factory.PASSWORD)
    page.get_by_role("link", name="Thông báo").click()
    page.get_by_role("link", name="Có đăng ký sử dụng mới: Hội trường UBND phường Trấn Biên").click()
    assert page.get_by_text("Lê Văn Long").is_visible()
    page.get_by_role("button", name="Phê duyệt").click()
    assert page.get_by_text("Đã duyệt lịch đặt.").is_visible()
    manager_ctx.close()

    db.session.expire_all()
    booking = db.session.scalar(select(Booking).where(Booking.venue_id == scene["hall"].id))
    assert booking.status == APPROVED and booking.starts_at == at(scene["day"], 18)


def test_week_view_fits_a_phone(phone, live_server, factory, scene):
    browser_login(phone, live_server, scene["manager"], factory.PASSWORD)
    phone.goto(f"{live_server}/venues/{scene['busy'].id}/week?start={scene['day'].isoformat()}")
    assert phone.get_by_text("Họp khu phố").is_visible()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360
    phone.emulate_media(media="print")
    assert phone.get_by_role("button", name="In").is_hidden()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_venue_pages_have_no_serious_accessibility_violations(page, live_server, factory, scene, make_booking, lang):
    manager, day = scene["manager"], scene["day"]
    booking = make_booking(scene["hall"], scene["officer"], starts_at=at(day, 8), purpose="Tập huấn VNeID")
    pages = [
        "/venues/search",
        f"/venues/search?commune={TRAN_BIEN}&day={day.isoformat()}&start=09:00&end=11:00&capacity=10",
        f"/venues/communes/{TRAN_BIEN}", f"/venues/communes/{TRAN_BIEN}/new", f"/venues/{scene['hall'].id}",
        f"/venues/{scene['hall'].id}/edit", f"/venues/{scene['hall'].id}/book",
        f"/venues/{scene['hall'].id}/book/weekly", f"/venues/{scene['busy'].id}/week?start={day.isoformat()}",
        f"/venues/bookings/{booking.id}", f"/venues/communes/{TRAN_BIEN}/bookings", "/venues/bookings/mine",
        f"/venues/{scene['hall'].id}/closures/new",
    ]
    page.goto(f"{live_server}/lang/{lang}")
    browser_login(page, live_server, manager, factory.PASSWORD)
    problems = {}
    for path in pages:
        page.goto(live_server + path)
        problems[path] = axe_violations(page)
    # the weekly preview with its table of dates, and a form with errors
    page.goto(f"{live_server}/venues/{scene['hall'].id}/book/weekly")
    page.locator("#first").fill(day.isoformat())
    page.locator("#until").fill(day.replace(day.year + 1 if day.month == 12 else day.year,
                                            (day.month % 12) + 1, min(day.day, 28)).isoformat())
    page.locator("#start").fill("18:00")
    page.locator("#end").fill("20:00")
    page.locator("#purpose").fill("Mùa hè số")
    page.locator("#expected_attendance").fill("20")
    page.locator("#preview").click()
    page.wait_for_load_state()
    assert page.locator("main table").count() == 1
    problems["weekly preview"] = axe_violations(page)
    page.goto(f"{live_server}/venues/{scene['hall'].id}/book")
    page.locator("#submit").click()
    page.wait_for_load_state()
    problems["booking form with errors"] = axe_violations(page)
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, problems
