"""Scans through the JSON API: results, retries, undo, lookup, malformed bodies."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from campaign.checkin import codes, keys, services
from campaign.checkin.models import CheckIn, Ticket
from campaign.core.types import utcnow
from campaign.extensions import db
from tests.checkin.conftest import HEADERS, scan_body
from tests.conftest import LONG_THANH


@contextmanager
def statements():
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", before)


def checkins() -> int:
    return db.session.scalar(select(func.count()).select_from(CheckIn))


@pytest.fixture
def steward(factory):
    return factory.user("volunteer", commune=LONG_THANH)  # not an organiser of the events below


@pytest.fixture
def setup(cf, steward, login_as):
    event = cf.event()
    cf.steward(event, steward)
    ticket = cf.ticket(event, name="Nguyễn Thị Hoa", phone="+84912345678")
    return event, ticket, login_as(steward)


def post_scan(client, body):
    return client.post("/api/checkin/scan", json=body, headers=HEADERS)


def test_accept_then_duplicate_with_who_and_when(setup, steward):
    event, ticket, client = setup
    resp = post_scan(client, scan_body(event.id, ticket.code))
    assert resp.status_code == 201, resp.text
    data = resp.json
    assert data["result"] == "accepted" and data["ticket"]["name"] == "Nguyễn Thị Hoa"
    assert data["can_undo"] and "checked_in" not in data  # no count per scan: the counts endpoint has it
    counts = client.get(f"/api/checkin/events/{event.id}/counts", headers=HEADERS).json["counts"]
    assert counts[0]["checked_in"] == 1
    again = post_scan(client, scan_body(event.id, ticket.code)).json
    assert again["result"] == "duplicate"
    assert again["previous"]["by"] == steward.full_name
    assert again["previous"]["at"] in again["message"]
    row = db.session.scalar(select(CheckIn).where(CheckIn.uuid == data["uuid"]))
    assert row.steward_id == steward.id and row.device_id == "test-device" and row.device_time is not None
    assert row.server_time is not None and row.method == "camera"
    assert checkins() == 2


def test_forged_altered_truncated_rejected_without_a_query(setup):
    event, ticket, client = setup
    keys.key_cache().warm()
    forged_key = codes.sign(__import__("cryptography.hazmat.primitives.asymmetric.ed25519", fromlist=["x"])
                            .Ed25519PrivateKey.generate(), ticket.key_id, event.id, bytes(10))
    altered = ticket.code[:50] + ("A" if ticket.code[50] != "A" else "B") + ticket.code[51:]
    for bad in (forged_key, altered, ticket.code[:-3], ticket.code[:20], "T1" + "A" * 133, "hello"):
        with statements() as seen:
            with pytest.raises(codes.CodeError):
                services.verify_code(bad)
        assert seen == [], bad
    # Through the API each is recorded as invalid, and no ticket is ever looked up for it.
    for bad in (forged_key, altered, ticket.code[:-3]):
        with statements() as seen:
            data = post_scan(client, scan_body(event.id, bad)).json
        assert data["result"] == "invalid"
        assert not [s for s in seen if "FROM checkin_tickets" in s], seen
    assert db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.result == "invalid")) == 3
    # Something else entirely (a contact card QR): recorded without its text.
    vcard = post_scan(client, scan_body(event.id, "BEGIN:VCARD\nN:Nguyễn Văn A\nTEL:0912345678")).json
    assert vcard["result"] == "invalid"
    assert db.session.scalar(select(CheckIn.scanned).where(CheckIn.uuid == vcard["uuid"])).startswith("other:")


def test_revoked_and_reissued_tickets(setup, cf):
    event, ticket, client = setup
    new = services.reissue_ticket(ticket)
    db.session.commit()
    assert post_scan(client, scan_body(event.id, ticket.code)).json["result"] == "revoked"
    assert post_scan(client, scan_body(event.id, new.code)).json["result"] == "accepted"
    # A cancelled registration's ticket is refused too.
    other = cf.ticket(event)
    other.registration.status = "cancelled"
    db.session.commit()
    assert post_scan(client, scan_body(event.id, other.code)).json["result"] == "revoked"


def test_revoked_signing_key_invalidates_its_tickets(setup):
    event, ticket, client = setup
    keys.revoke_key(ticket.signing_key)
    db.session.commit()
    assert post_scan(client, scan_body(event.id, ticket.code)).json["result"] == "invalid"


def test_rotated_key_keeps_old_tickets_valid(setup, cf):
    event, ticket, client = setup
    keys.rotate_key(event.campaign_id)
    db.session.commit()
    newer = cf.ticket(event)
    assert newer.key_id != ticket.key_id
    assert post_scan(client, scan_body(event.id, ticket.code)).json["result"] == "accepted"
    assert post_scan(client, scan_body(event.id, newer.code)).json["result"] == "accepted"


def test_wrong_event_and_sessions_of_a_parent(cf, steward, login_as):
    parent = cf.event(title="Lễ phát động")
    child = cf.event(parent=parent, title="Điểm cầu Long Thành")
    other = cf.event(title="Sự kiện khác")
    cf.steward(parent, steward)
    client = login_as(steward)
    parent_ticket = cf.ticket(parent)
    other_ticket = cf.ticket(other)
    # A ticket for the ceremony admits at its bridge point (a steward of the parent scans there).
    assert post_scan(client, scan_body(child.id, parent_ticket.code)).json["result"] == "accepted"
    # ... once per session: the parent itself is another session.
    assert post_scan(client, scan_body(parent.id, parent_ticket.code)).json["result"] == "accepted"
    data = post_scan(client, scan_body(parent.id, other_ticket.code)).json
    # The steward of the parent may not scan at the other event, but scanning its ticket here says so.
    assert data["result"] == "wrong_event" and "Sự kiện khác" in data["message"]


def test_same_uuid_is_answered_once(setup):
    event, ticket, client = setup
    body = scan_body(event.id, ticket.code)
    first = post_scan(client, body)
    second = post_scan(client, body)
    assert first.status_code == 201 and second.status_code == 200
    assert second.json["result"] == first.json["result"] == "accepted"
    assert second.json["uuid"] == first.json["uuid"] and second.json["seq"] == first.json["seq"]
    assert second.json["replay"] is True
    # Invalid scans too.
    bad = scan_body(event.id, "T1NOTACODE")
    post_scan(client, bad)
    post_scan(client, bad)
    assert checkins() == 2


def test_short_code_and_lookup(setup, cf, factory):
    event, ticket, client = setup
    typed = ticket.short_code.lower().replace("-", " ")
    assert post_scan(client, scan_body(event.id, typed, method="typed")).json["result"] == "accepted"
    officer = factory.user("commune_officer")
    a = cf.ticket(event, name="Trần Văn Đức", phone="+84900000111", registered_by=officer)
    b = cf.ticket(event, name="Trần Thị Lan", phone="+84900000222", registered_by=officer)
    found = client.get(f"/api/checkin/events/{event.id}/lookup?q=tran van duc", headers=HEADERS).json["results"]
    tokens = [t["token"] for g in found for t in g["tickets"]]
    assert a.token in tokens and b.token in tokens  # the whole group registered together
    assert [t["phone"] for g in found for t in g["tickets"]][0] in ("090•••111", "090•••222")
    by_phone = client.get(f"/api/checkin/events/{event.id}/lookup?q=5678", headers=HEADERS).json["results"]
    assert [t["token"] for g in by_phone for t in g["tickets"]] == [ticket.token]
    assert client.get(f"/api/checkin/events/{event.id}/lookup?q=12", headers=HEADERS).json["results"] == []
    hoa = client.get(f"/api/checkin/events/{event.id}/lookup?q=hoa", headers=HEADERS).json["results"]
    assert hoa[0]["tickets"][0]["checked_in_at"]
    data = post_scan(client, scan_body(event.id, ticket=b.token, method="lookup")).json
    assert data["result"] == "accepted"


def test_undo_within_the_window(setup):
    event, ticket, client = setup
    first = post_scan(client, scan_body(event.id, ticket.code)).json
    resp = client.post("/api/checkin/undo", json={"uuid": first["uuid"]}, headers=HEADERS)
    assert resp.status_code == 200 and resp.json["result"] == "undone"
    row = db.session.scalar(select(CheckIn).where(CheckIn.uuid == first["uuid"]))
    assert row.undone_at is not None and row.undone_by_id is not None
    # The person can be checked in again, and the undone scan stays on record.
    assert post_scan(client, scan_body(event.id, ticket.code)).json["result"] == "accepted"
    assert checkins() == 2
    # Too late: refused with a message.
    late = post_scan(client, scan_body(event.id, ticket.code)).json  # a duplicate
    assert late["result"] == "duplicate"
    last = db.session.scalar(select(CheckIn).where(CheckIn.result == "accepted", CheckIn.undone_at.is_(None)))
    last.server_time = utcnow() - services.UNDO_WINDOW - timedelta(seconds=1)
    db.session.commit()
    resp = client.post("/api/checkin/undo", json={"uuid": last.uuid}, headers=HEADERS)
    assert resp.status_code == 409 and "10" in resp.json["message"]


@pytest.mark.parametrize("body", [
    None, "not json", [1, 2], {"event_id": 1}, {"uuid": "x", "event_id": 1, "code": "A"},
    {"uuid": "6f9b2a4e-0000-4000-8000-000000000000", "event_id": "abc", "code": "A"},
    {"uuid": "6f9b2a4e-0000-4000-8000-000000000000", "event_id": 1},
    {"uuid": "6f9b2a4e-0000-4000-8000-000000000000", "event_id": 1, "code": "A" * 5000},
    {"uuid": "6f9b2a4e-0000-4000-8000-000000000000", "event_id": 1, "code": "A", "device_time": "yesterday"},
    {"uuid": "6f9b2a4e-0000-4000-8000-000000000000", "event_id": 1, "code": "A", "device_time": "2026-10-10T08:00"},
    {"uuid": "6f9b2a4e-0000-4000-8000-000000000000", "event_id": 1, "code": 12},
    {"uuid": "6f9b2a4e-0000-4000-8000-000000000000", "event_id": True, "code": "A"},
    {"uuid": "6f9b2a4e-0000-4000-8000-000000000000", "event_id": 1, "code": "A", "method": "magic"},
])
def test_malformed_bodies_get_a_clear_400(setup, body):
    _event, _ticket, client = setup
    if isinstance(body, str) or body is None:
        resp = client.post("/api/checkin/scan", data=body or "", headers=HEADERS | {"Content-Type": "application/json"})
    else:
        resp = post_scan(client, body)
    assert resp.status_code == 400, resp.text
    assert resp.json["message"] and resp.json["result"] == "error"


def test_unknown_event_no_header_expired_session(setup, app):
    event, ticket, client = setup
    resp = post_scan(client, scan_body(999999, ticket.code))
    assert resp.status_code == 404 and resp.json["message"]
    resp = client.post("/api/checkin/scan", json=scan_body(event.id, ticket.code))
    assert resp.status_code == 400 and resp.json["message"]
    anonymous = app.test_client().post("/api/checkin/scan", json=scan_body(event.id, ticket.code), headers=HEADERS)
    assert anonymous.status_code == 401 and anonymous.json["message"]
    assert checkins() == 0


def test_not_a_steward_is_refused(cf, factory, login_as):
    event = cf.event()
    ticket = cf.ticket(event)
    stranger = login_as(factory.user("volunteer", commune=LONG_THANH))
    resp = post_scan(stranger, scan_body(event.id, ticket.code))
    assert resp.status_code == 403 and checkins() == 0


def test_checkins_since_and_offline_pack(setup, cf):
    event, ticket, client = setup
    first = post_scan(client, scan_body(event.id, ticket.code)).json
    post_scan(client, scan_body(event.id, ticket.code))
    data = client.get(f"/api/checkin/events/{event.id}/checkins?since=0", headers=HEADERS).json
    assert [c["result"] for c in data["checkins"]] == ["accepted", "duplicate"]
    assert data["checkins"][0]["ticket"] == ticket.token
    later = client.get(f"/api/checkin/events/{event.id}/checkins?since={first['seq']}", headers=HEADERS).json
    assert len(later["checkins"]) == 1 and later["last_seq"] > first["seq"]
    assert client.get(f"/api/checkin/events/{event.id}/checkins?since=x", headers=HEADERS).status_code == 400
    services.revoke_ticket(db.session.get(Ticket, ticket.id))
    db.session.commit()
    cancelled = cf.ticket(event)
    cancelled.registration.status = "cancelled"
    db.session.commit()
    pack = client.get(f"/api/checkin/events/{event.id}/offline-pack", headers=HEADERS).json
    assert pack["revoked_tickets"] == [ticket.token, cancelled.token]
    assert any(k["id"] == ticket.key_id and len(k["public_key"]) == 44 for k in pack["keys"])


def test_live_counts_for_an_event_and_its_bridge_points(cf, factory, login_as):
    parent = cf.event(title="Lễ phát động")
    points = [cf.event(parent=parent, title=f"Điểm cầu {i}") for i in range(2)]
    officer = login_as(factory.user("commune_officer"))
    tickets = [cf.ticket(points[0]) for _ in range(3)]
    cf.ticket(points[1])
    for t in tickets[:2]:
        post_scan(officer, scan_body(points[0].id, t.code))
    post_scan(officer, scan_body(points[0].id, tickets[0].code))  # a duplicate does not count twice
    data = officer.get(f"/api/checkin/events/{parent.id}/counts", headers=HEADERS).json["counts"]
    assert [(c["title"], c["registered"], c["checked_in"]) for c in data] == [
        ("Lễ phát động", 0, 0), ("Điểm cầu 0", 3, 2), ("Điểm cầu 1", 1, 0)]
    page = officer.get(f"/checkin/events/{parent.id}/counts")
    assert page.status_code == 200 and "Điểm cầu 1" in page.text
    with statements() as seen:
        officer.get(f"/checkin/events/{parent.id}/counts")
    few = len(seen)
    for i in range(5):
        cf.event(parent=parent, title=f"Điểm cầu thêm {i}")
    with statements() as seen:
        officer.get(f"/checkin/events/{parent.id}/counts")
    assert len(seen) == few
