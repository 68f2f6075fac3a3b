"""Issue 22 in the browser: a cancelled ticket on a phone looks cancelled (1); a series is published
and cancelled by scope from one occurrence (2); a booking clash offers a way on, one tap (3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from campaign.checkin.models import Ticket
from campaign.events import services as events
from campaign.events.models import Event
from campaign.extensions import db
from campaign.venues.models import APPROVED, Booking
from tests.conftest import DONG_NAI, TRAN_BIEN
from tests.e2e.conftest import axe_violations, browser_login
from tests.venues import conftest as venue_fixtures
from tests.venues.conftest import at, next_weekday

make_venue = venue_fixtures.make_venue
make_booking = venue_fixtures.make_booking


def test_a_cancelled_ticket_on_a_phone_shows_no_code(phone, live_server):
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    event = events.create_event(None, province_code=DONG_NAI, commune_code=TRAN_BIEN, title="Lớp dùng VNeID",
                                kind="class_session", starts_at=start, ends_at=start + timedelta(hours=2),
                                status="published")
    reg, _token = events.register(event, full_name="Bà Nguyễn Thị Chín", consent=True)
    db.session.commit()
    ticket = db.session.scalar(select(Ticket).where(Ticket.registration_id == reg.id))
    phone.goto(f"{live_server}/tickets/{ticket.token}")
    assert phone.locator(".ticket-qr svg").is_visible()
    events.cancel_registration(reg)
    db.session.commit()
    phone.reload()
    assert phone.get_by_text("Đã hủy", exact=True).is_visible()
    assert phone.get_by_role("heading", name="Đăng ký này đã bị hủy").is_visible()
    assert phone.locator("svg, img[src*='qr']").count() == 0
    assert phone.get_by_text(ticket.short_code).count() == 0
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert axe_violations(phone) == []


def test_a_series_is_published_and_cancelled_by_scope(page, live_server, factory):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    start = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=2)
    series = events.create_series(officer, freq="weekly", count=6, province_code=DONG_NAI, commune_code=TRAN_BIEN,
                                  title="Lớp cộng đồng tối thứ Tư", kind="class_session",
                                  starts_at=start, ends_at=start + timedelta(hours=2))
    db.session.commit()
    occ = db.session.scalars(select(Event).where(Event.series_id == series.id).order_by(Event.recurrence_id)).all()
    browser_login(page, live_server, officer, factory.PASSWORD)
    page.goto(f"{live_server}/manage/events/{occ[0].id}")
    publish = page.locator("form", has=page.get_by_role("group", name="Công bố chuỗi (6 buổi nháp)"))
    publish.get_by_label("Cả chuỗi").check()
    publish.get_by_role("button", name="Công bố").click()
    assert page.get_by_text("Đã công bố 6 buổi.").is_visible()
    db.session.expire_all()
    assert {e.status for e in db.session.scalars(select(Event).where(Event.series_id == series.id))} == {"published"}
    page.goto(f"{live_server}/manage/events/{occ[3].id}")
    assert axe_violations(page) == []
    cancel = page.locator(f"form[action='/manage/events/{occ[3].id}/cancel']")
    cancel.get_by_label("Buổi này và các buổi sau").check()
    cancel.get_by_role("button", name="Hủy sự kiện").click()
    assert page.get_by_text("Đã hủy 3 buổi.").is_visible()
    db.session.expire_all()
    assert [db.session.get(Event, e.id).status for e in occ] == ["published"] * 3 + ["cancelled"] * 3


def test_a_booking_clash_offers_the_week_and_a_free_venue(browser, live_server, factory, make_venue, make_booking):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    day = next_weekday(3)
    taken = make_venue(name="Nhà văn hóa Khu phố 5", capacity=100)
    free = make_venue(name="Hội trường UBND phường Trấn Biên", capacity=150)
    make_booking(taken, officer, starts_at=at(day, 18), hours=2, status=APPROVED, purpose="Họp khu phố")
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                              locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    browser_login(page, live_server, officer, factory.PASSWORD)
    page.goto(f"{live_server}/venues/{taken.id}/book")
    page.get_by_label("Ngày").fill(day.isoformat())
    page.get_by_label("Từ").fill("18:30")
    page.get_by_label("Đến").fill("20:00")
    page.get_by_label("Mục đích sử dụng").fill("Lớp kỹ năng số")
    page.get_by_label("Số người dự kiến").fill("40")
    page.get_by_role("button", name="Gửi yêu cầu").click()
    way_out = page.get_by_role("region", name="Giờ này đã có người đặt. Chọn giờ khác hay địa điểm khác?")
    assert way_out.is_visible()
    assert way_out.get_by_role("link", name="Xem lịch tuần của Nhà văn hóa Khu phố 5").is_visible()
    box = way_out.get_by_role("link", name="Đặt lịch Hội trường UBND phường Trấn Biên").bounding_box()
    assert box["height"] >= 44
    way_out.get_by_role("link", name="Đặt lịch Hội trường UBND phường Trấn Biên").click()  # the one tap
    assert page.get_by_label("Từ").input_value() == "18:30" and page.get_by_label("Đến").input_value() == "20:00"
    page.get_by_label("Mục đích sử dụng").fill("Lớp kỹ năng số")
    page.get_by_label("Số người dự kiến").fill("40")
    page.get_by_role("button", name="Gửi yêu cầu").click()
    page.wait_for_url(lambda url: "/venues/bookings/" in url)
    assert db.session.scalar(select(Booking).where(Booking.venue_id == free.id)) is not None
    page.goto(f"{live_server}/venues/{taken.id}/week?start={day.isoformat()}")  # the other way on
    assert page.get_by_text("Họp khu phố").first.is_visible()
    ctx.close()
