"""Offline check-in in Chromium: the scanner loads, the network goes, tickets are scanned
with a keyboard-wedge scanner (a duplicate, a revoked one, one admitted earlier by another device,
a typed short code), the page is reloaded offline and still works, the network returns, and the
server holds exactly the expected scans: nothing lost, nothing doubled."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from campaign.checkin import services
from campaign.checkin.models import CheckIn
from campaign.extensions import db
from tests.checkin.conftest import CheckinFactory
from tests.conftest import LONG_THANH, TRAN_BIEN
from tests.e2e.conftest import axe_violations, browser_login


@pytest.fixture
def door(factory):
    cf = CheckinFactory()
    event = cf.event(title="Lớp học số ở ấp xa")
    steward = factory.user("volunteer", commune=LONG_THANH, full_name="Tình nguyện viên Bình")
    cf.steward(event, steward)
    a = cf.ticket(event, name="Trần Văn Ba")
    b = cf.ticket(event, name="Phạm Thị Tư")
    c = cf.ticket(event, name="Đỗ Văn Năm")
    d = cf.ticket(event, name="Lý Thị Sáu")
    r = cf.ticket(event, name="Vũ Văn Bảy")
    services.revoke_ticket(r, reason="cancelled")
    # Another device admitted D before this one prepared itself.
    services.scan(services.Scan(uuid=str(uuid.uuid4()), event_id=event.id, ticket_token=d.token, method="lookup",
                                device_id="other-phone"), steward, event)
    db.session.commit()
    return event, steward, dict(a=a, b=b, c=c, d=d, r=r)


def scan(page, text, expected):
    page.locator("#code-input").focus()
    page.keyboard.type(text + "\n", delay=1)
    result = page.locator(f"#scan-result[data-result='{expected}']")
    result.wait_for(state="visible")
    detail = page.locator("#scan-result-detail").inner_text()
    page.locator("#next-button").click()
    page.locator("#scan-result").wait_for(state="hidden")
    return detail


def test_scanner_works_offline_survives_a_reload_and_syncs_exactly(context, page, live_server, door, factory):
    event, steward, t = door
    page.set_default_timeout(20_000)
    browser_login(page, live_server, steward, factory.PASSWORD)
    page.goto(f"{live_server}/checkin/events/{event.id}/scan")
    page.wait_for_function("() => document.getElementById('scanner').dataset.offlineReady === '1'"
                           " && document.getElementById('scanner').dataset.sw === '1'")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    assert "Trần Văn Ba" in scan(page, t["a"].code, "accepted")
    scan(page, t["a"].code, "duplicate")  # the same ticket again on this device
    scan(page, t["r"].code, "revoked")
    scan(page, t["d"].code, "duplicate")  # admitted by another device before we went offline
    assert "Phạm Thị Tư" in scan(page, t["b"].short_code.lower(), "accepted")  # typed short code
    forged = t["c"].code[:-3] + ("A" if t["c"].code[-3] != "A" else "B") + t["c"].code[-2:]
    scan(page, forged, "invalid")
    page.wait_for_function("() => document.getElementById('sync-status').dataset.pending === '6'")
    assert db.session.scalar(select(CheckIn.id).where(CheckIn.method == "sync")) is None  # nothing sent yet

    page.reload()  # still offline: the page comes from the service worker, the outbox from IndexedDB
    page.wait_for_function("() => document.getElementById('scanner').dataset.ready === '1'")
    page.wait_for_function("() => document.getElementById('sync-status').dataset.pending === '6'")
    scan(page, t["c"].code, "accepted")
    scan(page, t["a"].code, "duplicate")  # the admitted set survived the reload

    context.set_offline(False)
    page.wait_for_function("() => document.getElementById('sync-status').dataset.pending === '0'", timeout=30_000)

    db.session.rollback()
    rows = db.session.scalars(select(CheckIn).where(CheckIn.method == "sync")).all()
    got = sorted((r.ticket.short_code if r.ticket else "—", r.result, r.door_result) for r in rows)
    sc = {k: v.short_code for k, v in t.items()}
    assert got == sorted([
        (sc["a"], "accepted", "accepted"), (sc["a"], "duplicate", "duplicate"), (sc["a"], "duplicate", "duplicate"),
        (sc["r"], "revoked", "revoked"), (sc["d"], "duplicate", "duplicate"), (sc["b"], "accepted", "accepted"),
        ("—", "invalid", "invalid"), (sc["c"], "accepted", "accepted"),
    ])
    assert all(r.device_id and r.device_time and r.steward_id == steward.id for r in rows)
    accepted = db.session.scalars(select(CheckIn).where(CheckIn.result == "accepted")).all()
    assert sorted(r.ticket.short_code for r in accepted) == sorted([sc["a"], sc["b"], sc["c"], sc["d"]])

    # Online again: a scan goes to the server first.
    scan(page, t["c"].code, "duplicate")
    assert db.session.scalar(select(CheckIn).order_by(CheckIn.id.desc()).limit(1)).method == "typed"


def test_conflicts_page_has_no_serious_accessibility_violations(page, live_server, factory, door):
    event, _steward, t = door
    organiser = factory.user("commune_officer", commune=TRAN_BIEN)
    for minutes in (5, 1):  # the earlier admission arrives second
        services.sync_scan(services.Scan(uuid=str(uuid.uuid4()), event_id=event.id, code=t["a"].code,
                                         device_id=f"dev-{minutes}", method="sync",
                                         device_time=datetime.now(UTC) - timedelta(minutes=minutes)),
                           organiser, event, "accepted", code=services.verify_code(t["a"].code))
    db.session.commit()
    browser_login(page, live_server, organiser, factory.PASSWORD)
    page.goto(f"{live_server}/checkin/events/{event.id}/conflicts")
    assert page.locator("#conflicts tbody tr").count() == 1
    assert axe_violations(page) == []


NO_WEBCRYPTO_ED25519 = """
const original = SubtleCrypto.prototype.importKey;
SubtleCrypto.prototype.importKey = function (format, key, algorithm, ...rest) {
  if (algorithm === "Ed25519" || (algorithm && algorithm.name === "Ed25519")) {
    return Promise.reject(new DOMException("Ed25519 is not supported", "NotSupportedError"));
  }
  return original.call(this, format, key, algorithm, ...rest);
};
"""


def test_offline_decision_falls_back_to_noble_without_webcrypto_ed25519(context, page, live_server, door, factory):
    event, steward, t = door
    page.set_default_timeout(20_000)
    page.add_init_script(NO_WEBCRYPTO_ED25519)
    browser_login(page, live_server, steward, factory.PASSWORD)
    page.goto(f"{live_server}/checkin/events/{event.id}/scan")
    page.wait_for_function("() => document.getElementById('scanner').dataset.offlineReady === '1'"
                           " && navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    assert "Trần Văn Ba" in scan(page, t["a"].code, "accepted")
    forged = t["b"].code[:-3] + ("A" if t["b"].code[-3] != "A" else "B") + t["b"].code[-2:]
    scan(page, forged, "invalid")
    assert page.evaluate("() => performance.getEntriesByType('resource').some(e => e.name.includes('noble-ed25519'))")
    context.set_offline(False)
    page.wait_for_function("() => document.getElementById('sync-status').dataset.pending === '0'", timeout=30_000)
    db.session.rollback()
    assert sorted(r.result for r in db.session.scalars(select(CheckIn).where(CheckIn.method == "sync"))) == [
        "accepted", "invalid"]
