"""Registered check-in devices in Chromium: an organiser adds a device; a second
browser WITHOUT any login opens the setup link, goes offline and admits a ticket; the organiser
removes the device; back online, the device's pending scan reaches the server, then its IndexedDB
and caches are gone and the page says it was removed. And a steward logging out of a shared phone:
unsent scans are sent first (or the user is asked, with their number), then the data is deleted."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaign.checkin.models import CheckIn, CheckinDevice
from campaign.extensions import db
from tests.checkin.conftest import CheckinFactory
from tests.conftest import LONG_THANH, TRAN_BIEN
from tests.e2e.conftest import axe_violations, browser_login

DATABASES = "async () => (await indexedDB.databases()).map((d) => d.name).sort()"


@pytest.fixture
def gate(factory):
    cf = CheckinFactory()
    event = cf.event(title="Lễ ra quân Bình dân học vụ số")
    organiser = factory.user("commune_officer", commune=TRAN_BIEN, full_name="Cán bộ Lan")
    tickets = [cf.ticket(event, name=name) for name in ("Trần Văn Ba", "Phạm Thị Tư")]
    return event, organiser, tickets


def scan(page, text, expected):
    page.locator("#code-input").focus()
    page.keyboard.type(text + "\n", delay=1)
    page.locator(f"#scan-result[data-result='{expected}']").wait_for(state="visible")
    detail = page.locator("#scan-result-detail").inner_text()
    page.locator("#next-button").click()
    page.locator("#scan-result").wait_for(state="hidden")
    return detail


def test_device_set_up_without_login_scans_offline_then_is_removed_and_wipes_itself(
        browser, page, live_server, factory, gate):
    event, organiser, (a, b) = gate
    page.set_default_timeout(20_000)
    browser_login(page, live_server, organiser, factory.PASSWORD)
    page.goto(f"{live_server}/checkin/events/{event.id}/devices")
    assert axe_violations(page) == []
    page.locator("#label").fill("Cổng 1 – điện thoại Lan")
    page.locator("main form [type=submit]").click()
    link = page.locator("#setup-link").get_attribute("href")
    assert "/checkin/setup#" in link and page.locator("#setup-qr svg").count() == 1
    assert axe_violations(page) == []

    phone_ctx = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", viewport={"width": 360, "height": 740})
    try:
        phone = phone_ctx.new_page()
        phone.set_default_timeout(20_000)
        requests = []
        phone.on("request", lambda r: requests.append(r.url))
        phone.goto(link)
        phone.wait_for_url(f"{live_server}/checkin/device")
        phone.wait_for_function("() => document.getElementById('scanner').dataset.ready === '1'"
                                " && document.getElementById('scanner').dataset.offlineReady === '1'"
                                " && navigator.serviceWorker.controller !== null")
        assert phone.locator("#device-label").inner_text() == "Cổng 1 – điện thoại Lan"
        assert event.title in phone.locator("h1").inner_text()
        assert all("#" not in u and link.split("#")[1] not in u for u in requests)  # the code never left
        assert phone_ctx.cookies() == [] or all(c["name"] != "session" for c in phone_ctx.cookies())

        # Online first: the server decides, the device's token is the authority.
        assert "Phạm Thị Tư" in scan(phone, b.code, "accepted")
        phone_ctx.set_offline(True)
        assert "Trần Văn Ba" in scan(phone, a.code, "accepted")
        phone.wait_for_function("() => document.getElementById('sync-status').dataset.pending === '1'")

        # The organiser removes the device while it is offline.
        page.goto(f"{live_server}/checkin/events/{event.id}/devices")
        page.locator("tr[data-status='active'] button", has_text="Thu hồi").click()
        page.locator("tr[data-status='revoked']").wait_for()

        phone_ctx.set_offline(False)
        phone.wait_for_function("() => document.getElementById('scanner').dataset.wiped === '1'", timeout=30_000)
        assert "gỡ khỏi sự kiện" in phone.locator("#device-gone").inner_text()
        assert phone.locator("#device-controls").is_hidden()
        assert phone.evaluate(DATABASES) == []
        assert phone.evaluate("async () => (await caches.keys()).filter((k) => k.startsWith('checkin'))") == []
        phone.reload()  # nothing left to start again with
        phone.wait_for_function("() => document.getElementById('scanner').dataset.ready === '1'")
        assert phone.locator("#device-gone").is_visible()
    finally:
        phone_ctx.close()

    db.session.rollback()
    device = db.session.scalar(select(CheckinDevice))
    assert device.status == "wiped"
    rows = {r.ticket_id: r for r in db.session.scalars(select(CheckIn)).all()}
    assert rows[a.id].result == "accepted" and rows[a.id].method == "sync" and rows[a.id].checkin_device_id == device.id
    assert rows[b.id].result == "accepted" and rows[b.id].checkin_device_id == device.id
    page.goto(f"{live_server}/checkin/events/{event.id}/devices")
    assert page.locator("tr[data-status='wiped']").count() == 1


def test_logout_sends_unsent_scans_asks_before_losing_any_and_wipes_the_stewards_data(
        context, page, live_server, factory, gate):
    event, _organiser, (a, _b) = gate
    steward = factory.user("volunteer", commune=LONG_THANH, full_name="Tình nguyện viên Bình")
    CheckinFactory().steward(event, steward)
    page.set_default_timeout(20_000)
    browser_login(page, live_server, steward, factory.PASSWORD)
    page.goto(f"{live_server}/checkin/events/{event.id}/scan")
    page.wait_for_function("() => document.getElementById('scanner').dataset.offlineReady === '1'"
                           " && navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    scan(page, a.code, "accepted")
    page.wait_for_function("() => document.getElementById('sync-status').dataset.pending === '1'")

    # Offline: the scan cannot be sent; the user is asked, with the number, and chooses to stay.
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.locator("#logout-form button").click()
    page.wait_for_timeout(500)
    assert asked and "1" in asked[0]
    assert "campaign-checkin" in page.evaluate(DATABASES)
    assert page.locator("#logout-form").count() == 1  # still logged in

    # Online: the scan is sent first, then the data goes, with no question.
    context.set_offline(False)
    page.on("dialog", lambda d: pytest.fail(f"unexpected question: {d.message}"))
    page.locator("#logout-form button").click()
    page.wait_for_url(lambda url: "/checkin/" not in url)
    page.locator("a[href='/login']").first.wait_for()
    assert page.evaluate(DATABASES) == []
    db.session.rollback()
    row = db.session.scalar(select(CheckIn).where(CheckIn.ticket_id == a.id))
    assert row is not None and row.result == "accepted" and row.steward_id == steward.id


ADMITTED = """async ([name, key]) => await new Promise((resolve) => {
  const r = indexedDB.open(name);
  r.onsuccess = () => {
    const get = r.result.transaction("admitted").objectStore("admitted").get(key);
    get.onsuccess = () => { resolve(!!get.result); r.result.close(); };
  };
})"""


def wait_until(check, seconds=30):
    import time

    end = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.3)


def test_an_undo_on_the_server_reaches_the_devices_admitted_set(browser, live_server, factory, gate):
    import uuid

    from campaign.checkin import devices, services

    event, organiser, (a, _b) = gate
    _device, secret = devices.add_device(event, "Cổng 2", organiser)
    db.session.commit()
    ctx = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    try:
        phone = ctx.new_page()
        phone.set_default_timeout(20_000)
        phone.goto(f"{live_server}/checkin/setup#{secret}")
        phone.wait_for_url(f"{live_server}/checkin/device")
        phone.wait_for_function("() => document.getElementById('scanner').dataset.ready === '1'"
                                " && document.getElementById('scanner').dataset.offlineReady === '1'"
                                " && navigator.serviceWorker.controller !== null")
        # Another steward admits A at the server; the device learns it from its next pull.
        at_server = str(uuid.uuid4())
        services.scan(services.Scan(uuid=at_server, event_id=event.id, ticket_token=a.token, method="lookup"),
                      organiser, event)
        db.session.commit()
        key = f"{event.id}:{a.token}"
        wait_until(lambda: phone.evaluate(ADMITTED, ["campaign-checkin-device", key]))
        ctx.set_offline(True)
        scan(phone, a.code, "duplicate")
        ctx.set_offline(False)
        phone.wait_for_function("() => document.getElementById('sync-status').dataset.pending === '0'", timeout=30_000)
        # The organiser undoes it at the server: the device drops A from its admitted set...
        services.undo(at_server, organiser)
        db.session.commit()
        wait_until(lambda: not phone.evaluate(ADMITTED, ["campaign-checkin-device", key]))
        # ...so A, scanned offline again, is admitted.
        ctx.set_offline(True)
        assert "Trần Văn Ba" in scan(phone, a.code, "accepted")
        ctx.set_offline(False)
        phone.wait_for_function("() => document.getElementById('sync-status').dataset.pending === '0'", timeout=30_000)
    finally:
        ctx.close()
    db.session.rollback()
    from campaign.checkin.models import CheckIn

    accepted = db.session.scalars(select(CheckIn).where(CheckIn.result == "accepted", CheckIn.undone_at.is_(None))).all()
    assert len(accepted) == 1 and accepted[0].method == "sync" and accepted[0].checkin_device_id == _device.id
