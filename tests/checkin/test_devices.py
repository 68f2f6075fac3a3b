"""Registered check-in devices: one-time setup codes, device tokens scoped to one
event, revocation (online scans refused, uploads still recorded, then the wipe kills the token), and
undo propagation to other devices."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from campaign.checkin import devices, services
from campaign.checkin.models import CheckIn, CheckinDevice
from campaign.core.models import AuditLog
from campaign.core.services import DomainError
from campaign.extensions import db, limiter
from tests.checkin.conftest import HEADERS, scan_body
from tests.conftest import LONG_THANH, TRAN_BIEN


@pytest.fixture
def organiser(factory):
    return factory.user("commune_officer", commune=TRAN_BIEN, full_name="Cán bộ Lan")


def add(event, organiser, label="Cổng 1 – điện thoại Lan"):
    device, secret = devices.add_device(event, label, organiser)
    db.session.commit()
    return device, secret


def activate(client, secret):
    return client.post("/api/checkin/devices/activate", json={"setup": secret}, headers=HEADERS)


def bearer(token, pending=None):
    headers = {**HEADERS, "Authorization": f"Bearer {token}"}
    if pending is not None:
        headers["X-Checkin-Pending"] = str(pending)
    return headers


@pytest.fixture
def registered(cf, organiser, client):
    event = cf.event()
    device, secret = add(event, organiser)
    resp = activate(client, secret)
    assert resp.status_code == 201, resp.text
    return event, device, resp.get_json()["token"]


def test_organiser_adds_a_device_and_the_setup_code_works_once(cf, organiser, login_as, client):
    event = cf.event()
    web = login_as(organiser)
    resp = web.post(f"/checkin/events/{event.id}/devices", data={"label": "  Cổng 1 –  điện thoại Lan "})
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    url = re.search(r'id="setup-link"[^>]*href="([^"]+)"', resp.text).group(1)
    assert "/checkin/setup#" in url and "<svg" in resp.text
    secret = url.split("#", 1)[1]
    device = db.session.scalar(select(CheckinDevice))
    assert device.label == "Cổng 1 – điện thoại Lan" and device.status == "waiting"
    assert secret not in (device.setup_hash or "") and device.token_hash is None  # only digests stored
    first = activate(client, secret)
    assert first.status_code == 201
    body = first.get_json()
    assert body["device"] == {"id": device.id, "label": device.label, "event_id": event.id,
                              "event_title": event.title, "event_starts_at": body["device"]["event_starts_at"],
                              "revoked": False}
    assert len(body["token"]) >= 40
    again = activate(client, secret)
    assert again.status_code == 410 and "đã được dùng" in again.get_json()["message"]
    db.session.refresh(device)
    assert device.status == "active" and device.token_hash == devices.digest(body["token"])
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "checkin.device_activated"))
    page = web.get(f"/checkin/events/{event.id}/devices")
    assert "Cổng 1 – điện thoại Lan" in page.text and 'data-status="active"' in page.text


def test_expired_unknown_and_cancelled_setup_codes_are_refused_clearly(cf, organiser, client):
    event = cf.event()
    device, secret = add(event, organiser)
    later = datetime.now(UTC) + devices.SETUP_TTL + timedelta(seconds=1)
    with pytest.raises(DomainError, match="hết hạn"):
        devices.activate(secret, now=later)
    db.session.rollback()
    assert "không hợp lệ" in activate(client, "x" * 30).get_json()["message"]
    assert activate(client, None).status_code == 410
    # A new code replaces the old one; removing a device never set up cancels its code.
    fresh = devices.new_setup_code(device, organiser)
    db.session.commit()
    assert activate(client, secret).status_code == 410
    devices.revoke(device, organiser)
    db.session.commit()
    assert activate(client, fresh).status_code == 410
    assert db.session.get(CheckinDevice, device.id).status == "cancelled"


def test_a_device_scans_without_login_only_at_its_event_and_children(cf, organiser, client, registered):
    event, device, token = registered
    session = cf.event(parent=event, title="Điểm cầu 2")
    other = cf.event()
    t1, t2, t3 = cf.ticket(event), cf.ticket(event), cf.ticket(other)
    resp = client.post("/api/checkin/scan", json=scan_body(event.id, t1.code), headers=bearer(token))
    assert resp.status_code == 201 and resp.get_json()["result"] == "accepted"
    assert resp.get_json()["ticket"]["name"]  # the organiser who registered it may see names
    resp = client.post("/api/checkin/scan", json=scan_body(session.id, t2.code), headers=bearer(token))
    assert resp.get_json()["result"] == "accepted"
    row = db.session.scalar(select(CheckIn).where(CheckIn.ticket_id == t1.id))
    assert row.checkin_device_id == device.id and row.steward_id is None
    # Another event: 403 everywhere.
    assert client.post("/api/checkin/scan", json=scan_body(other.id, t3.code), headers=bearer(token)).status_code == 403
    for url in (f"/api/checkin/events/{other.id}/offline-pack", f"/api/checkin/events/{other.id}/checkins?since=0",
                f"/api/checkin/events/{other.id}/lookup?q=abc", f"/api/checkin/events/{other.id}/counts"):
        assert client.get(url, headers=bearer(token)).status_code == 403, url
    sync = client.post("/api/checkin/sync", headers=bearer(token), json={"items": [
        {**scan_body(other.id, t3.code), "door_result": "accepted"}]})
    assert sync.get_json()["items"][0]["ack"] is False
    # Its own event: the pack (with names), the pull, lookup and counts.
    pack = client.get(f"/api/checkin/events/{event.id}/offline-pack", headers=bearer(token, pending=3)).get_json()
    assert pack["names"] and {t["token"] for t in pack["tickets"]} == {t1.token, t2.token}
    assert pack["admitted"] == [t1.token]
    assert client.get(f"/api/checkin/events/{event.id}/lookup?q=Người", headers=bearer(token)).status_code == 200
    assert client.get(f"/api/checkin/events/{event.id}/counts", headers=bearer(token)).status_code == 200
    db.session.refresh(device)
    assert device.pending_scans == 3 and device.last_seen_at is not None
    # A duplicate names the device as who admitted first.
    dup = client.post("/api/checkin/scan", json=scan_body(event.id, t1.code), headers=bearer(token)).get_json()
    assert dup["result"] == "duplicate" and dup["previous"]["by"] == device.label


def test_names_reach_a_device_only_while_its_organiser_may_see_them(cf, organiser, client, registered):
    event, device, token = registered
    cf.ticket(event)
    organiser.active = False
    db.session.commit()
    pack = client.get(f"/api/checkin/events/{event.id}/offline-pack", headers=bearer(token)).get_json()
    assert pack["names"] is False and all("name" not in t for t in pack["tickets"])
    assert client.get(f"/api/checkin/events/{event.id}/lookup?q=Người", headers=bearer(token)).status_code == 403


def test_bad_tokens_get_401_and_repeated_guessing_429(cf, client):
    event = cf.event()
    url = f"/api/checkin/events/{event.id}/checkins?since=0"
    resp = client.get(url, headers=bearer("not-a-token"))
    assert resp.status_code == 401 and resp.get_json()["device"] == "unknown"
    assert client.get(url, headers={**HEADERS, "Authorization": "Basic abc"}).status_code == 401
    try:
        statuses = [client.get(url, headers=bearer(f"guess-{n}"), environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code
                    for n in range(32)]
        assert statuses[:30] == [401] * 30 and statuses[-1] == 429
        # Another address is not affected; nor are requests without a token.
        assert client.get(url, headers=bearer("x"), environ_base={"REMOTE_ADDR": "10.9.9.8"}).status_code == 401
    finally:
        limiter.reset()


def test_revoked_device_scans_are_refused_uploads_recorded_then_the_wipe_kills_the_token(
        cf, organiser, login_as, client, registered):
    event, device, token = registered
    t1, t2 = cf.ticket(event), cf.ticket(event)
    web = login_as(organiser)
    assert web.post(f"/checkin/devices/{device.id}/revoke").status_code == 302
    assert db.session.get(CheckinDevice, device.id).status == "revoked"
    assert db.session.scalar(select(AuditLog.actor_id).where(AuditLog.action == "checkin.device_revoked")) == organiser.id
    # Online: refused, saying why.
    resp = client.post("/api/checkin/scan", json=scan_body(event.id, t1.code), headers=bearer(token))
    assert resp.status_code == 403 and resp.get_json()["revoked"] is True
    assert client.get(f"/api/checkin/events/{event.id}/offline-pack", headers=bearer(token)).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0
    # What it decided offline before it learnt: recorded, and the answer tells it to wipe.
    stored = db.session.get(CheckinDevice, device.id)
    before = stored.activated_at + (stored.revoked_at - stored.activated_at) / 2
    item = {**scan_body(event.id, t2.code), "door_result": "accepted", "device_id": "phone-lan",
            "device_time": before.isoformat()}
    resp = client.post("/api/checkin/sync", json={"items": [item]}, headers=bearer(token, pending=1))
    body = resp.get_json()
    assert resp.status_code == 200 and body["revoked"] is True and body["items"][0]["ack"]
    row = db.session.scalar(select(CheckIn))
    assert (row.result, row.checkin_device_id, row.method) == ("accepted", device.id, "sync")
    assert client.get("/api/checkin/device", headers=bearer(token)).get_json()["revoked"] is True
    page = web.get(f"/checkin/events/{event.id}/devices")
    assert "Đã thu hồi – đang chờ gửi dữ liệu" in page.text
    # The wipe report; afterwards the token is dead.
    assert client.post("/api/checkin/device/wiped", headers=bearer(token, pending=0)).status_code == 200
    assert db.session.get(CheckinDevice, device.id).status == "wiped"
    for resp in (client.post("/api/checkin/sync", json={"items": [item]}, headers=bearer(token)),
                 client.get("/api/checkin/device", headers=bearer(token)),
                 client.post("/api/checkin/device/wiped", headers=bearer(token))):
        assert resp.status_code == 401


def test_an_active_device_cannot_report_a_wipe(client, registered):
    _event, device, token = registered
    assert client.post("/api/checkin/device/wiped", headers=bearer(token)).status_code == 409
    assert db.session.get(CheckinDevice, device.id).wiped_at is None


def _devices_page(cf, organiser, factory, login_as, client, size):
    from tests.checkin.test_offline_sync import count_queries

    event = cf.event()
    for n in range(size):
        creator = organiser if n % 3 else factory.user("commune_officer", commune=TRAN_BIEN)
        _d, secret = add(event, creator, f"Cổng {n}")
        if n % 2:
            token = activate(client, secret).get_json()["token"]
            client.post("/api/checkin/scan", json=scan_body(event.id, cf.ticket(event).code), headers=bearer(token))
    web = login_as(organiser)
    page, queries = count_queries(lambda: web.get(f"/checkin/events/{event.id}/devices"))
    assert page.text.count('data-status="active"') == size // 2
    assert page.text.count('data-status="waiting"') == size // 2
    return queries


def test_devices_page_lists_devices_in_queries_that_do_not_grow_with_them(cf, organiser, factory, login_as,
                                                                          client):
    counts = [_devices_page(cf, organiser, factory, login_as, client, size) for size in (2, 8)]
    assert counts[0] == counts[1], counts


def test_device_undo_and_steward_session_path_still_work(cf, organiser, login_as, client, registered):
    event, device, token = registered
    ticket = cf.ticket(event)
    body = scan_body(event.id, ticket.code)
    answer = client.post("/api/checkin/scan", json=body, headers=bearer(token)).get_json()
    assert answer["can_undo"]
    undone = client.post("/api/checkin/undo", json={"uuid": body["uuid"]}, headers=bearer(token))
    assert undone.status_code == 200 and undone.get_json()["result"] == "undone"
    # A logged-in steward still uses the session cookie.
    steward = login_as(organiser)
    assert steward.post("/api/checkin/scan", json=scan_body(event.id, ticket.code), headers=HEADERS
                        ).get_json()["result"] == "accepted"


# --- undo propagation -----------------------------------------------------------------------------

def test_an_undo_reaches_devices_pulling_since_their_last_sequence_number(cf, factory, login_as, is_postgres):
    event = cf.event()
    steward = factory.user("volunteer", commune=LONG_THANH)
    cf.steward(event, steward)
    a, b = login_as(steward), login_as(steward)
    tickets = [cf.ticket(event) for _ in range(3)]
    bodies = [scan_body(event.id, t.code) for t in tickets]
    for body in bodies:
        assert a.post("/api/checkin/scan", json=body, headers=HEADERS).get_json()["result"] == "accepted"
    pulled = b.get(f"/api/checkin/events/{event.id}/checkins?since=0", headers=HEADERS).get_json()
    last = pulled["last_seq"]
    assert [c["undone"] for c in pulled["checkins"]] == [False, False, False]
    assert a.post("/api/checkin/undo", json={"uuid": bodies[0]["uuid"]}, headers=HEADERS).status_code == 200
    again = b.get(f"/api/checkin/events/{event.id}/checkins?since={last}", headers=HEADERS).get_json()
    assert [(c["uuid"], c["undone"]) for c in again["checkins"]] == [(bodies[0]["uuid"], True)]
    assert again["last_seq"] > last
    # Re-admitted afterwards: a device pulling as devices do (with an overlap of 50) gets it after the
    # undo. On PostgreSQL its number is above the undo's; on SQLite it may be equal (see
    # services.next_change_seq), which the overlap absorbs.
    readmit = scan_body(event.id, tickets[0].code)
    assert a.post("/api/checkin/scan", json=readmit, headers=HEADERS).get_json()["result"] == "accepted"
    since = max(again["last_seq"] - 50, 0)
    third = b.get(f"/api/checkin/events/{event.id}/checkins?since={since}", headers=HEADERS).get_json()
    order = [(c["uuid"], c["result"], c["undone"]) for c in third["checkins"]]
    assert order.index((bodies[0]["uuid"], "accepted", True)) < order.index((readmit["uuid"], "accepted", False))
    if is_postgres:
        strict = b.get(f"/api/checkin/events/{event.id}/checkins?since={again['last_seq']}", headers=HEADERS)
        assert [c["uuid"] for c in strict.get_json()["checkins"]] == [readmit["uuid"]]
    pack = b.get(f"/api/checkin/events/{event.id}/offline-pack", headers=HEADERS).get_json()
    assert pack["last_seq"] == third["last_seq"]
    assert sorted(pack["admitted"]) == sorted(t.token for t in tickets)
    assert services.seq_of(db.session.scalar(select(CheckIn).where(CheckIn.uuid == bodies[0]["uuid"]))) \
        == again["last_seq"]


def test_checkins_since_keeps_its_uuid_order_for_unchanged_rows(cf, factory, login_as):
    event = cf.event()
    steward = factory.user("commune_officer", commune=TRAN_BIEN)
    web = login_as(steward)
    made = []
    for _ in range(4):
        body = scan_body(event.id, cf.ticket(event).code, uuid=str(uuid.uuid4()))
        web.post("/api/checkin/scan", json=body, headers=HEADERS)
        made.append(body["uuid"])
    pulled = web.get(f"/api/checkin/events/{event.id}/checkins?since=0", headers=HEADERS).get_json()
    assert [c["uuid"] for c in pulled["checkins"]] == made
    seqs = [c["seq"] for c in pulled["checkins"]]
    assert seqs == sorted(seqs) and pulled["last_seq"] == seqs[-1]


def test_logout_clears_the_http_cache_and_the_storage_only_when_the_page_says_it_is_safe(factory, login_as):
    user = factory.user("volunteer")
    plain = login_as(user).post("/logout")
    assert plain.status_code == 302 and plain.headers["Clear-Site-Data"] == '"cache"'
    checked = login_as(user).post("/logout", data={"clear_site_data": "1"})
    assert checked.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_api_answers_are_never_cached(cf, client, registered):
    event, _device, token = registered
    resp = client.get(f"/api/checkin/events/{event.id}/offline-pack", headers=bearer(token))
    assert resp.headers["Cache-Control"] == "no-store"
