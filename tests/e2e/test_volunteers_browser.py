"""Volunteers in the browser: on a phone, a volunteer finds an open shift, signs up, sees it in "my shifts"
and signs out before the cut-off; the main volunteer pages pass the accessibility audit."""

from datetime import UTC, date, datetime, timedelta

import pytest

from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.volunteers.models import Shift, Signup, VolunteerProfile
from tests.conftest import DONG_NAI, TRAN_BIEN
from tests.e2e.conftest import axe_violations, browser_login


def _setup(factory):
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    c = Campaign(province_code=DONG_NAI, name="Mùa hè số (trình duyệt)", slug=f"mhs-e2e-{now.timestamp()}",
                 kind="summer", starts_on=date.today() - timedelta(days=30), ends_on=date.today() + timedelta(days=90))
    db.session.add(c)
    db.session.flush()
    user = factory.user("volunteer", commune=TRAN_BIEN, full_name="Ngô Bình An", commit=False)
    me = VolunteerProfile(user_id=user.id, phone="+84912000111", home_commune_code=TRAN_BIEN, skills=["vneid"],
                          languages=["vi"], consent_at=now, status="approved")
    db.session.add(me)
    shift = Shift(campaign_id=c.id, commune_code=TRAN_BIEN, role="vneid_support", title="Hỗ trợ VNeID ở khu phố 2",
                  location="Nhà văn hóa khu phố 2", starts_at=now + timedelta(days=3),
                  ends_at=now + timedelta(days=3, hours=4), min_needed=1, max_needed=2)
    db.session.add(shift)
    db.session.commit()
    return c, user, shift


def test_volunteer_signs_up_and_signs_out_on_a_phone(phone, live_server, factory):
    _c, user, shift = _setup(factory)
    browser_login(phone, live_server, user, factory.PASSWORD)
    phone.locator(".navbar-toggler").click()  # the menu is folded on a phone
    phone.get_by_role("link", name="Ca tình nguyện").first.click()
    phone.wait_for_url("**/volunteers/shifts")
    card = phone.locator("li.card", has_text="Hỗ trợ VNeID ở khu phố 2")
    assert card.get_by_text("còn 2 chỗ").is_visible()
    card.get_by_role("button", name="Đăng ký").click()
    assert phone.get_by_text("Bạn đã đăng ký thành công. Cảm ơn bạn!").is_visible()

    phone.get_by_role("main").get_by_role("link", name="Ca của tôi").click()
    phone.wait_for_url("**/volunteers/my")
    mine = phone.locator("li.card", has_text="Hỗ trợ VNeID ở khu phố 2")
    assert mine.get_by_text("Đã xác nhận").is_visible()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360
    mine.get_by_role("button", name="Rút đăng ký").click()
    assert phone.get_by_text("Bạn đã rút đăng ký khỏi ca.").is_visible()
    db.session.expire_all()
    signup = db.session.query(Signup).filter_by(shift_id=shift.id).one()
    assert signup.status == "cancelled"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_volunteer_pages_have_no_serious_accessibility_violations(page, live_server, factory, lang):
    campaign, user, shift = _setup(factory)
    organiser = factory.user("youth_organiser", province=DONG_NAI)
    db.session.add(Signup(shift_id=shift.id, volunteer_id=db.session.query(VolunteerProfile).one().id,
                          status="confirmed"))
    db.session.commit()
    problems = {}
    page.goto(f"{live_server}/lang/{lang}")
    page.goto(f"{live_server}/volunteers/join")
    problems["join"] = axe_violations(page)
    browser_login(page, live_server, user, factory.PASSWORD)
    for path in ("/volunteers/shifts", "/volunteers/my", "/volunteers/my/statement"):
        page.goto(live_server + path)
        problems[path] = axe_violations(page)
    page.context.clear_cookies()
    page.goto(f"{live_server}/lang/{lang}")
    browser_login(page, live_server, organiser, factory.PASSWORD)
    for path in ("/volunteers/", "/volunteers/people", f"/volunteers/campaigns/{campaign.id}/board",
                 f"/volunteers/campaigns/{campaign.id}/shifts", f"/volunteers/campaigns/{campaign.id}/shifts/new",
                 f"/volunteers/campaigns/{campaign.id}/shifts/bulk", f"/volunteers/campaigns/{campaign.id}/review",
                 f"/volunteers/shifts/{shift.id}/manage", "/reports/imports/volunteers"):
        page.goto(live_server + path)
        problems[path] = axe_violations(page)
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, problems
