"""Each role's day on a 360×740 phone, in Vietnamese, with the demo loaded as of today: from the home
("Hôm nay") to the main task in at most three taps, and the task done. Every page of the journeys
passes axe-core (no serious or critical violation) and has no interactive target under 44×44 px."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from campaign.accounts.demo import DEMO_PASSWORD
from campaign.accounts.models import User
from campaign.checkin.models import CheckIn, Ticket
from campaign.core.timeutil import local_today, to_local
from campaign.courses.models import Attendance
from campaign.events.demo import TODAY_TITLE
from campaign.events.models import Event
from campaign.extensions import db
from campaign.units.demo import TA_LAI
from campaign.venues.models import Booking
from campaign.volunteers.models import Shift, Signup
from tests.e2e.conftest import axe_violations
from tests.e2e.sizes import small_targets


@pytest.fixture
def demo(app, runner):
    result = runner.invoke(args=["demo", "--no-history"])
    assert result.exit_code == 0, result.output


class Journey:
    """A role's way from the home: counts the taps and checks every page it shows."""

    def __init__(self, page, live_server, username: str):
        self.page, self.taps, self.pages = page, 0, []
        page.goto(f"{live_server}/login")
        page.locator("#username").fill(username)
        page.locator("#password").fill(DEMO_PASSWORD)
        page.locator("main form [type=submit]").click()
        page.wait_for_url("**/today")  # after login: the home
        self.check()

    def check(self) -> None:
        page = self.page
        page.wait_for_load_state()
        assert axe_violations(page) == [], page.url
        if page.url.endswith("/today"):  # the home's own targets; the other pages: see the last test
            assert small_targets(page, "main") == [], page.url
        self.pages.append(page.url)

    def tap(self, locator, navigates: bool = True) -> None:
        self.taps += 1
        if navigates:
            with self.page.expect_navigation():
                locator.click()
            self.check()
        else:
            locator.click()

    def card(self, kind: str):
        return self.page.locator(f'[data-kind="{kind}"] a.home-card').first


def test_trainer_takes_todays_roll_call(demo, phone740, live_server):
    j = Journey(phone740, live_server, "giangvien.hoa")
    j.tap(j.card("roll_call"))
    box = phone740.locator("main input[type=checkbox]").first
    reg_id = int(box.get_attribute("name").split("-")[-1])
    box.set_checked(not box.is_checked())
    j.taps += 1
    j.tap(phone740.get_by_role("button", name="Lưu điểm danh"))
    assert "Đã lưu điểm danh" in phone740.locator(".flash-messages").inner_text()
    assert j.taps <= 3
    assert db.session.scalar(select(func.count()).select_from(Attendance).where(
        Attendance.registration_id == reg_id)) >= 1


def test_steward_admits_a_ticket_by_its_typed_code(demo, phone740, live_server):
    event = db.session.scalar(select(Event).where(Event.title == TODAY_TITLE))
    admitted = select(CheckIn.ticket_id).where(CheckIn.result == "accepted")
    ticket = db.session.scalar(select(Ticket).where(Ticket.event_id == event.id, Ticket.revoked_at.is_(None),
                                                    Ticket.id.not_in(admitted)).order_by(Ticket.id).limit(1))
    j = Journey(phone740, live_server, "tnv.an")
    j.tap(j.card("scan"))
    phone740.wait_for_function("() => document.getElementById('scanner').dataset.ready === '1'")
    phone740.locator("#code-input").fill(ticket.short_code.lower())
    j.tap(phone740.locator("#code-input"), navigates=False)
    phone740.keyboard.press("Enter")
    phone740.wait_for_function("() => document.getElementById('scan-result').dataset.result === 'accepted'")
    assert j.taps <= 3
    j.check()
    assert db.session.scalar(select(CheckIn.method).where(CheckIn.ticket_id == ticket.id,
                                                          CheckIn.result == "accepted")) == "typed"


def test_volunteer_signs_up_for_a_shift(demo, phone740, live_server):
    user = db.session.scalar(select(User).where(User.username == "tnv.an"))
    before = db.session.scalar(select(func.count()).select_from(Signup).join(Signup.volunteer).where(
        Signup.status == "confirmed", Signup.volunteer.has(user_id=user.id)))
    j = Journey(phone740, live_server, "tnv.an")
    j.tap(j.card("open_shifts"))
    j.tap(phone740.get_by_role("button", name="Đăng ký").first)
    assert j.taps <= 3
    after = db.session.scalar(select(func.count()).select_from(Signup).join(Signup.volunteer).where(
        Signup.status == "confirmed", Signup.volunteer.has(user_id=user.id)))
    assert after == before + 1


def test_commune_officer_approves_a_booking(demo, phone740, live_server):
    j = Journey(phone740, live_server, "canbo.tranbien")
    j.tap(j.card("bookings"))
    j.tap(phone740.locator("main table a", has_text="08:00").first)  # the request that collides with nothing
    booking_id = int(phone740.url.rstrip("/").split("/")[-1])
    j.tap(phone740.get_by_role("button", name="Phê duyệt", exact=True))
    assert j.taps <= 3
    assert db.session.get(Booking, booking_id).status == "approved"


def test_youth_union_creates_a_shift_in_a_lagging_commune(demo, phone740, live_server):
    j = Journey(phone740, live_server, "doan.dongnai")
    lagging = phone740.locator('[data-kind="lagging"] a.home-card', has_text="Tà Lài")
    j.tap(lagging)
    assert phone740.locator("#commune_code").input_value() == str(TA_LAI)
    day = local_today() + timedelta(days=5)
    for field, hour in (("#starts_at", "08:00"), ("#ends_at", "11:00")):
        phone740.locator(field).evaluate(
            "(el, v) => { el.value = el.type === 'datetime-local' ? v[0] : v[1]; }",
            [f"{day.isoformat()}T{hour}", f"{day:%d/%m/%Y} {hour}"])
    phone740.locator("#min_needed").fill("2")
    phone740.locator("#max_needed").fill("4")
    j.tap(phone740.locator("main form [type=submit]").last)
    assert j.taps <= 3
    shift = db.session.scalar(select(Shift).where(Shift.commune_code == TA_LAI).order_by(Shift.id.desc()).limit(1))
    assert to_local(shift.starts_at).date() == day and shift.created_by_id is not None


def test_the_journeys_pages_have_no_target_under_44px(demo, phone740, live_server):
    """The pages of the five journeys after the home (whose own targets the journeys check)."""
    small = {}
    for username, kind, more in (("giangvien.hoa", "roll_call", None), ("tnv.an", "scan", None),
                                 ("tnv.an", "open_shifts", None), ("canbo.tranbien", "bookings", "main table a"),
                                 ("doan.dongnai", "lagging", None)):
        phone740.context.clear_cookies()
        j = Journey(phone740, live_server, username)
        j.tap(j.card(kind))
        small[phone740.url] = small_targets(phone740, "main")
        if more:
            j.tap(phone740.locator(more).first)
            small[phone740.url] = small_targets(phone740, "main")
    assert {url: found for url, found in small.items() if found} == {}
