"""The resident's journey on a 360×740 phone, without an account (issue 17): choose the commune on
the home page, find the 10/10 activity in Long Thành, register a parent and a child on their behalf,
open both tickets — at most three taps from the home — with axe-core and a 44×44 px target check on
every page of the way."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaign.events import services
from campaign.events.models import Registration, RegistrationGroup
from campaign.extensions import db
from tests.conftest import DONG_NAI, LONG_THANH, TRAN_BIEN
from tests.e2e.conftest import axe_violations
from tests.e2e.sizes import small_targets
from tests.events.conftest import create_event, future


@pytest.fixture
def resident(phone740):
    return phone740


def audit(page, problems: dict, name: str) -> None:
    """axe-core (serious/critical) and the target-size check of the current page."""
    found = {"axe": axe_violations(page), "small": small_targets(page, "main"),
             "overflow": page.evaluate("() => document.documentElement.scrollWidth") > 360}
    if found["axe"] or found["small"] or found["overflow"]:
        problems[name] = found


def test_resident_registers_a_parent_and_a_child_for_the_10_10_activity(resident, live_server, factory):
    day = services.create_national_day(None, DONG_NAI, future(20).year).parent
    db.session.commit()
    activity = create_event(parent=day, commune_code=LONG_THANH, kind="workshop", capacity=40,
                            title="Ngày hội học tập số xã Long Thành", place="Nhà văn hóa xã", starts_at=future(6))
    create_event(commune_code=TRAN_BIEN, kind="talk", title="Buổi nói chuyện ở Trấn Biên", starts_at=future(2))
    problems: dict = {}
    page = resident

    # first visit: the home asks for the commune (province → commune, accents optional)
    page.goto(f"{live_server}/")
    audit(page, problems, "home: choose the commune")
    page.locator("#province").select_option(str(DONG_NAI))
    page.locator("#q").fill("long thanh")
    page.locator("main form button[type=submit]").click()
    page.locator("#commune-choices a", has_text="Xã Long Thành").click()
    assert page.locator("#whats-on").is_visible()

    # from now on the home remembers the commune: the journey counts its taps from here
    page.goto(f"{live_server}/")
    audit(page, problems, "home: what's on in Long Thành")
    assert "Buổi nói chuyện ở Trấn Biên" not in page.locator("#whats-on").inner_text()
    taps = 0
    page.locator("#whats-on a", has_text=activity.title).click()
    taps += 1
    page.wait_for_url(f"**/events/{activity.id}")
    audit(page, problems, "activity page")
    page.locator("#on-behalf").click()
    taps += 1
    page.wait_for_url(f"**/events/{activity.id}/on-behalf")
    audit(page, problems, "register someone else")
    page.locator("#contact_name").fill("Trần Văn Hùng")
    page.locator("#contact_phone").fill("0912 345 678")
    page.locator("#people-0-full_name").fill("Trần Thị Bảy")
    page.locator("#people-0-birth_year").fill("1950")
    page.locator("#people-1-full_name").fill("Lê Minh Khang")
    page.locator("#people-1-birth_year").fill("2014")
    page.locator("#commune_code").select_option(str(LONG_THANH))
    page.locator("#consent").check()
    page.locator("main form [type=submit]").click()
    taps += 1
    page.wait_for_url(lambda url: "/g/" in url)
    assert taps <= 3
    audit(page, problems, "their tickets")

    # both tickets on the one page, each with its own QR code and short code
    tickets = page.locator("section.group-ticket")
    assert tickets.count() == 2
    assert page.locator("section.group-ticket .ticket-qr svg").count() == 2
    codes = page.locator(".ticket-short").all_inner_texts()
    assert len(codes) == 2 and codes[0] != codes[1]
    group = db.session.scalar(select(RegistrationGroup))
    assert group.contact_phone == "+84912345678"
    regs = db.session.scalars(select(Registration).where(Registration.group_id == group.id)
                              .order_by(Registration.id)).all()
    assert [r.status for r in regs] == ["confirmed", "confirmed"]
    assert all(r.person.phone is None for r in regs)

    # each person's own page (their ticket alone)
    group_url = page.url
    for n, name in enumerate(("Trần Thị Bảy", "Lê Minh Khang"), start=1):
        page.goto(group_url)
        page.locator("section.group-ticket").nth(n - 1).locator("a[href^='/r/']").click()
        page.wait_for_url(lambda url: "/r/" in url)
        assert name in page.locator("main").inner_text()
        assert page.locator("section.ticket .ticket-short").inner_text() == codes[n - 1]
        audit(page, problems, f"{name}'s ticket")

    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
