"""Offline check-in: devices upload the scans they decided offline, in batches, repeated
and out of order. Every scan is on record, one admission per ticket (the earliest by device time),
the later admissions flagged as conflicts, and a repeated UUID stores nothing."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from campaign.checkin import services
from campaign.checkin.models import CheckIn
from campaign.extensions import db
from tests.checkin.conftest import HEADERS
from tests.conftest import LONG_THANH

T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


def item(event_id, code, at, door="accepted", device="dev-a"):
    return {"uuid": str(uuid.uuid4()), "event_id": event_id, "code": code, "device_id": device,
            "device_time": at.isoformat(), "door_result": door}


def upload(client, items):
    resp = client.post("/api/checkin/sync", json={"items": items}, headers=HEADERS)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["items"]


@pytest.fixture
def door(cf, factory, login_as):
    event = cf.event()
    stewards = [factory.user("volunteer", commune=LONG_THANH) for _ in range(3)]
    for s in stewards:
        cf.steward(event, s)
    tickets = [cf.ticket(event) for _ in range(12)]
    revoked = cf.ticket(event)
    services.revoke_ticket(revoked, reason="cancelled")
    db.session.commit()
    return event, tickets, revoked, [login_as(s) for s in stewards]


def test_earlier_offline_admission_arriving_second_takes_the_place(door):
    event, tickets, _revoked, (a, b, _c) = door
    ticket = tickets[0]
    late = item(event.id, ticket.code, T0 + timedelta(minutes=5), device="dev-a")
    early = item(event.id, ticket.code, T0, device="dev-b")
    assert upload(a, [late])[0]["result"] == "accepted"
    answer = upload(b, [early])[0]
    assert answer["result"] == "accepted" and answer["ack"]
    rows = {r.uuid: r for r in db.session.scalars(select(CheckIn)).all()}
    assert rows[early["uuid"]].result == "accepted"
    assert rows[late["uuid"]].result == "duplicate" and rows[late["uuid"]].door_result == "accepted"
    assert rows[late["uuid"]].relabelled_at is not None
    assert services.is_conflict(rows[late["uuid"]])
    # A later third admission is a conflict too; a repeat of either upload stores nothing.
    third = item(event.id, ticket.code, T0 + timedelta(minutes=9), device="dev-c")
    first = upload(a, [third, late])
    assert [x["result"] for x in first] == ["duplicate", "duplicate"] and first[0]["conflict"]
    assert [x["replay"] for x in first] == [False, True]
    assert upload(a, [third])[0] == {**first[0], "replay": True}
    again = upload(b, [early])[0]
    assert again["replay"] and again["result"] == "accepted"
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 3
    pairs = services.conflicts(event)
    assert {c.uuid for c, _w in pairs} == {late["uuid"], third["uuid"]}
    assert all(w.uuid == early["uuid"] for _c, w in pairs)


def test_online_admission_gives_way_to_an_earlier_offline_one(door):
    event, tickets, _revoked, (a, b, _c) = door
    online = {"uuid": str(uuid.uuid4()), "event_id": event.id, "code": tickets[1].code, "method": "camera",
              "device_id": "dev-a", "device_time": datetime.now(UTC).isoformat()}
    assert a.post("/api/checkin/scan", json=online, headers=HEADERS).get_json()["result"] == "accepted"
    offline = item(event.id, tickets[1].code, datetime.now(UTC) - timedelta(hours=1), device="dev-b")
    assert upload(b, [offline])[0]["result"] == "accepted"
    first = services.by_uuid(online["uuid"])
    assert first.result == "duplicate" and first.door_result == "accepted" and services.is_conflict(first)


def test_bad_items_get_their_own_answer_and_the_rest_is_stored(door):
    event, tickets, _revoked, (a, _b, _c) = door
    good = item(event.id, tickets[2].code, T0)
    answers = upload(a, [{"uuid": "not-a-uuid", "event_id": event.id, "code": "x"}, good,
                         {**item(event.id, tickets[3].code, T0), "door_result": "maybe"}, "junk"])
    assert [x["ack"] for x in answers] == [True, True, True, True]
    assert [x["result"] for x in answers] == ["error", "accepted", "error", "error"]
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
    for body in ({}, {"items": []}, {"items": "x"}, {"items": [good] * 1001}):
        resp = a.post("/api/checkin/sync", json=body, headers=HEADERS)
        assert resp.status_code == 400 and resp.get_json()["message"]


def test_forged_code_is_recorded_invalid_and_unknown_event_not_acknowledged(door):
    event, tickets, _revoked, (a, _b, _c) = door
    forged = tickets[4].code[:-5] + ("A" if tickets[4].code[-5] != "A" else "B") + tickets[4].code[-4:]
    answers = upload(a, [item(event.id, forged, T0, door="invalid"), item(999999, tickets[4].code, T0)])
    assert answers[0]["result"] == "invalid" and answers[0]["ack"]
    assert answers[1]["ack"] is False


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_several_devices_overlapping_batches_with_retries_and_reordering(door, seed):
    event, tickets, revoked, clients = door
    rng = random.Random(seed)
    outboxes = {name: [] for name in ("dev-a", "dev-b", "dev-c")}
    # Each device admits an overlapping slice of the tickets at its own times (offline, no pulls).
    slices = {"dev-a": range(0, 7), "dev-b": range(4, 10), "dev-c": range(8, 12)}
    for name, idx in slices.items():
        seen = set()
        for i in idx:
            at = T0 + timedelta(seconds=rng.randint(0, 3600))
            outboxes[name].append(item(event.id, tickets[i].code, at, device=name))
            seen.add(i)
        # On the device itself a second scan of one of its tickets is turned away as a duplicate.
        i = rng.choice(sorted(seen))
        outboxes[name].append(item(event.id, tickets[i].code, T0 + timedelta(hours=2), door="duplicate",
                                   device=name))
        outboxes[name].append(item(event.id, revoked.code, T0 + timedelta(seconds=5), door="revoked", device=name))
    sent = {x["uuid"]: x for box in outboxes.values() for x in box}
    batches = []
    for n, box in enumerate(outboxes.values()):
        for start in range(0, len(box), 3):
            batches.append((clients[n], box[start:start + 3]))
    rng.shuffle(batches)
    retries = [rng.choice(batches) for _ in range(4)]  # lost answers: the same batch again
    for client, batch in batches + retries:
        batch = list(batch)
        rng.shuffle(batch)
        assert all(a["ack"] for a in upload(client, batch))

    rows = db.session.scalars(select(CheckIn)).all()
    assert {r.uuid for r in rows} == set(sent)  # every scan on record, nothing doubled
    admitted = {x["code"] for x in sent.values() if x["door_result"] == "accepted"}
    accepted = [r for r in rows if r.result == "accepted"]
    assert len(accepted) == len(admitted) == 12
    assert len({r.ticket_id for r in accepted}) == 12
    # The earliest admission at the door counts; every later one is a flagged conflict.
    by_code: dict[str, list] = {}
    for x in sent.values():
        if x["door_result"] == "accepted":
            by_code.setdefault(x["code"], []).append(x)
    expected_winners = {min(xs, key=lambda x: x["device_time"])["uuid"] for xs in by_code.values()}
    assert {r.uuid for r in accepted} == expected_winners
    conflict_uuids = {x["uuid"] for xs in by_code.values() for x in xs} - expected_winners
    assert {c.uuid for c, _w in services.conflicts(event)} == conflict_uuids
    assert sum(r.result == "revoked" for r in rows) == 3
    assert all(r.method == "sync" and r.device_time is not None and r.server_time is not None for r in rows)


def count_queries(fn):
    from sqlalchemy import event as sa_event

    seen = []

    def before(*_a):
        seen.append(1)

    sa_event.listen(db.engine, "before_cursor_execute", before)
    try:
        result = fn()
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", before)
    return result, len(seen)


@pytest.mark.parametrize("size", [2, 8])
def test_conflicts_page_and_offline_pack_run_bounded_queries(door, cf, factory, login_as, size):
    event, tickets, revoked, (a, b, _c) = door
    for i in range(size):
        upload(a, [item(event.id, tickets[i].code, T0 + timedelta(minutes=5), device="dev-a")])
        upload(b, [item(event.id, tickets[i].code, T0 + timedelta(minutes=1), device="dev-b")])
    db.session.expire_all()
    pairs, queries = count_queries(lambda: services.conflicts(event))
    assert len(pairs) == size and queries <= 6  # the same for 2 and 8 conflicts
    assert all(w.device_id == "dev-b" and c.device_id == "dev-a" for c, w in pairs)
    steward = db.session.get(type(factory.user("volunteer")), pairs[0][0].steward_id)
    facts, queries = count_queries(lambda: services.offline_facts(event, steward))
    assert queries <= 6
    assert len(facts["tickets"]) == 12 and all(tk["name"] for tk in facts["tickets"])
    assert revoked.token not in {tk["token"] for tk in facts["tickets"]}
    assert sorted(facts["admitted"]) == sorted(t.token for t in tickets[:size])
    organiser = factory.user("commune_officer", commune=event.commune_code)
    html = login_as(organiser).get(f"/checkin/events/{event.id}/conflicts").get_data(as_text=True)
    assert html.count("<tr data-uuid=") == size
    assert "Xung đột khi quét ngoại tuyến" in html or "Offline conflicts" in html


def test_offline_pack_has_what_a_device_needs(door):
    event, tickets, revoked, (a, _b, _c) = door
    upload(a, [item(event.id, tickets[0].code, T0)])
    pack = a.get(f"/api/checkin/events/{event.id}/offline-pack", headers=HEADERS).get_json()
    assert pack["admitted"] == [tickets[0].token]
    assert revoked.token in pack["revoked_tickets"]
    assert pack["last_seq"] >= 1 and pack["keys"] and pack["valid_event_ids"] == [event.id]
    assert {tk["short_code"] for tk in pack["tickets"]} == {t.short_code for t in tickets}


def test_demo_has_one_offline_conflict_and_is_idempotent(cf, factory):
    from campaign.checkin import demo

    factory.user("volunteer", username="tnv.an")
    event = cf.event()
    cf.registration(event)
    messages: list[str] = []
    for _ in range(2):
        demo.load({"echo": messages.append})
        db.session.commit()
    conflicts_page = f"1 offline conflict (/checkin/events/{event.id}/conflicts)"
    assert messages[0].endswith(f"2 offline scans, {conflicts_page}")
    assert messages[1].endswith(f"0 offline scans, {conflicts_page}")
    rows = db.session.scalars(select(CheckIn).order_by(CheckIn.id)).all()
    assert [(r.device_id, r.result) for r in rows] == [("demo-phone-1", "duplicate"), ("demo-phone-2", "accepted")]
    assert len(services.conflicts(event)) == 1


def test_every_admission_is_audited_in_the_events_province(door):
    """Online (full path or, on PostgreSQL, the fast lane) and offline admissions alike: the audit
    entry belongs to the session event's province, so that province's auditors see it."""
    from campaign.core.models import AuditLog
    from tests.checkin.conftest import scan_body

    event, tickets, _revoked, (a, _b, _c) = door
    for ticket in tickets[:3]:  # the first judged in full, the next ones through the fast lane (PostgreSQL)
        resp = a.post("/api/checkin/scan", json=scan_body(event.id, ticket.code), headers=HEADERS)
        assert resp.json["result"] == "accepted", resp.text
    assert [x["result"] for x in upload(a, [item(event.id, t.code, T0) for t in tickets[3:5]])] == ["accepted"] * 2
    entries = db.session.scalars(select(AuditLog).where(AuditLog.action == "checkin.accepted")).all()
    assert len(entries) == 5
    assert {e.province_code for e in entries} == {event.province_code} and event.province_code is not None
