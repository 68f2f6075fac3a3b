"""The scan API's fast lane (campaign/checkin/fastlane.py): the same answers and the same invariants
as the full path, in one statement; everything it does not settle goes to the full path."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from campaign.checkin import fastlane, services
from campaign.checkin.models import CheckIn, StewardGrant
from campaign.core.models import AuditLog
from campaign.extensions import db
from tests.checkin.conftest import HEADERS, fresh_login, scan_body
from tests.concurrency import race
from tests.conftest import LONG_THANH, TRAN_BIEN

WORKERS = 6


def lane(app) -> fastlane.FastScan:
    wsgi = app.wsgi_app
    return wsgi if isinstance(wsgi, fastlane.FastScan) else wsgi.app


@pytest.fixture
def pg(is_postgres):
    if not is_postgres:
        pytest.skip("the fast lane serves PostgreSQL only (SQLite: every scan takes the full path)")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_every_result_is_answered_as_the_full_path_answers_it(app, pg, cf, factory, login_as):
    event, other = cf.event(), cf.event()
    tickets = [cf.ticket(event) for _ in range(4)]
    foreign = cf.ticket(other)
    steward = factory.user("commune_officer", commune=TRAN_BIEN)
    web = login_as(steward)
    served = lane(app).answered
    assert web.post("/api/checkin/scan", json=scan_body(event.id, tickets[0].code), headers=HEADERS).status_code == 201
    services.revoke_ticket(tickets[3])
    db.session.commit()

    def both(code):
        """The same scan's answer from the fast lane, then (another UUID) from the full path."""
        fast = web.post("/api/checkin/scan", json=scan_body(event.id, code), headers=HEADERS)
        app.config["CHECKIN_FAST_LANE"] = False
        try:
            full = web.post("/api/checkin/scan", json=scan_body(event.id, code), headers=HEADERS)
        finally:
            app.config["CHECKIN_FAST_LANE"] = True
        return fast, full

    keys = ("result", "title", "message", "ticket", "previous", "can_undo", "undone", "replay")
    for code, results in ((tickets[1].code, ("accepted", "duplicate")), (tickets[0].code, ("duplicate", "duplicate")),
                          (foreign.code, ("wrong_event", "wrong_event")), (tickets[3].code, ("revoked", "revoked")),
                          ("NOT-A-CODE", ("invalid", "invalid"))):
        fast, full = both(code)
        assert (fast.status_code, full.status_code) == (201, 201)
        assert (fast.json["result"], full.json["result"]) == results
        if results[0] == results[1]:
            assert {k: fast.json.get(k) for k in keys} == {k: full.json.get(k) for k in keys}
    assert lane(app).answered == served + 5  # every first of the pairs, none of the second
    # One admission per ticket; the fast admission has its audit entry, written by the statement.
    admitted = db.session.scalars(select(CheckIn).where(CheckIn.result == "accepted")).all()
    assert sorted(c.ticket_id for c in admitted) == sorted([tickets[0].id, tickets[1].id])
    assert count(CheckIn) == 11
    entries = db.session.scalars(select(AuditLog).where(AuditLog.action == "checkin.accepted")).all()
    assert sorted(int(e.object_id) for e in entries) == sorted(c.id for c in admitted)
    assert all(e.actor_id == steward.id and e.details["event_id"] == event.id for e in entries)
    assert {e.province_code for e in entries} == {event.province_code}  # as core.services.audit finds it
    invalid = db.session.scalars(select(CheckIn).where(CheckIn.result == "invalid")).all()
    assert {c.scanned for c in invalid} == {services._excerpt("NOT-A-CODE")}


def test_the_answer_speaks_the_language_of_the_lang_cookie(app, pg, cf, factory, login_as):
    event = cf.event()
    tickets = [cf.ticket(event) for _ in range(2)]
    web = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    assert web.post("/api/checkin/scan", json=scan_body(event.id, tickets[0].code), headers=HEADERS).json["title"] \
        == "Đã check-in"
    web.set_cookie("lang", "en")
    resp = web.post("/api/checkin/scan", json=scan_body(event.id, tickets[1].code), headers=HEADERS)
    assert resp.json["title"] == "Checked in" and resp.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in resp.headers


def test_a_retried_uuid_stores_nothing_and_gets_the_first_answer(app, pg, cf, factory, login_as):
    event = cf.event()
    tickets = [cf.ticket(event) for _ in range(2)]
    web = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    web.post("/api/checkin/scan", json=scan_body(event.id, tickets[0].code), headers=HEADERS)
    body = scan_body(event.id, tickets[1].code)
    first = web.post("/api/checkin/scan", json=body, headers=HEADERS)
    again = web.post("/api/checkin/scan", json=body, headers=HEADERS)
    assert (first.status_code, first.json["result"], first.json["replay"]) == (201, "accepted", False)
    assert (again.status_code, again.json["result"], again.json["replay"]) == (200, "accepted", True)
    assert again.json["seq"] == first.json["seq"]
    assert count(CheckIn) == 2


def test_a_revoked_grant_is_honoured_at_the_very_next_fast_scan(app, pg, cf, factory, login_as):
    event = cf.event()
    tickets = [cf.ticket(event) for _ in range(3)]
    steward = factory.user("volunteer", commune=LONG_THANH)
    grant = cf.steward(event, steward)
    web = login_as(steward)
    for ticket in tickets[:2]:
        assert web.post("/api/checkin/scan", json=scan_body(event.id, ticket.code), headers=HEADERS).status_code == 201
    served = lane(app).answered
    assert served >= 1  # the second scan took the fast lane
    db.session.execute(update(StewardGrant).where(StewardGrant.id == grant.id).values(revoked_at=datetime.now(UTC)))
    db.session.commit()
    resp = web.post("/api/checkin/scan", json=scan_body(event.id, tickets[2].code), headers=HEADERS)
    assert resp.status_code == 403
    assert lane(app).answered == served and count(CheckIn) == 2


def test_an_idle_session_ends_on_the_full_path(app, pg, cf, factory):
    event = cf.event()
    tickets = [cf.ticket(event) for _ in range(2)]
    web = fresh_login(app.test_client(), factory.user("commune_officer", commune=TRAN_BIEN))
    assert web.post("/api/checkin/scan", json=scan_body(event.id, tickets[0].code), headers=HEADERS).status_code == 201
    with web.session_transaction() as session:
        session["_seen"] = int(time.time()) - app.config["SESSION_IDLE_MINUTES"] * 60 - 5
    served = lane(app).answered
    resp = web.post("/api/checkin/scan", json=scan_body(event.id, tickets[1].code), headers=HEADERS)
    assert resp.status_code == 401 and lane(app).answered == served
    assert count(CheckIn) == 1


def _minute_old_session(app, cf, factory, n_tickets: int):
    """A steward holding a permit at a new event, whose session cookie was last rewritten 5 minutes ago."""
    event = cf.event()
    tickets = [cf.ticket(event) for _ in range(n_tickets)]
    web = fresh_login(app.test_client(), factory.user("commune_officer", commune=TRAN_BIEN))
    web.post("/api/checkin/scan", json=scan_body(event.id, tickets[0].code), headers=HEADERS)
    with web.session_transaction() as session:
        session["_seen"] = int(time.time()) - 300
    return web, event, tickets


def test_a_minute_old_session_cookie_is_rewritten_by_the_fast_lane(app, pg, cf, factory):
    web, event, tickets = _minute_old_session(app, cf, factory, 2)
    served = lane(app).answered
    resp = web.post("/api/checkin/scan", json=scan_body(event.id, tickets[1].code), headers=HEADERS)
    assert resp.status_code == 201 and lane(app).answered == served + 1
    assert "session=" in resp.headers["Set-Cookie"] and "HttpOnly" in resp.headers["Set-Cookie"]
    with web.session_transaction() as session:
        assert int(time.time()) - session["_seen"] < 5


def test_a_stale_cookie_sent_again_gets_the_same_rewrite_within_the_minute(app, pg, cf, factory, monkeypatch):
    """Scans sent before the browser stored the rewritten cookie (or from a client that keeps none)
    get the rewrite already made, no new signature; once that rewrite is a minute old, a new one."""
    web, event, tickets = _minute_old_session(app, cf, factory, 4)
    stale = web.get_cookie("session").value
    served = lane(app).answered

    def scan_with_stale(code):
        web.set_cookie("session", stale)
        resp = web.post("/api/checkin/scan", json=scan_body(event.id, code), headers=HEADERS)
        assert resp.status_code == 201
        return resp.headers["Set-Cookie"]

    first, second = scan_with_stale(tickets[1].code), scan_with_stale(tickets[2].code)
    assert first == second and lane(app).answered == served + 2
    with web.session_transaction() as session:
        assert int(time.time()) - session["_seen"] < 5
    later = time.time() + fastlane.SEEN_FRESH + 1
    monkeypatch.setattr(fastlane.time, "time", lambda: later)
    third = scan_with_stale(tickets[3].code)
    assert third != first and lane(app).answered == served + 3


def test_a_device_time_outside_the_window_is_clamped_and_flagged(app, pg, cf, factory, login_as):
    event = cf.event()
    tickets = [cf.ticket(event) for _ in range(2)]
    web = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    web.post("/api/checkin/scan", json=scan_body(event.id, tickets[0].code), headers=HEADERS)
    early = event.starts_at - timedelta(days=400)
    served = lane(app).answered
    resp = web.post("/api/checkin/scan", json=scan_body(event.id, tickets[1].code, device_time=early.isoformat()),
                    headers=HEADERS)
    assert resp.json["result"] == "accepted" and lane(app).answered == served + 1
    row = db.session.scalar(select(CheckIn).where(CheckIn.uuid == resp.json["uuid"]))
    assert row.flag == "clock" and row.reported_time == early
    assert row.device_time == event.starts_at - services.WINDOW_OPENS_BEFORE


def scan_primed(session_token: str, prime: dict, body: dict):
    """One phone in its own process: a first scan (judged in full, the permit kept), then the
    contested one, which takes the fast lane."""
    from flask import current_app

    client = fresh_login(current_app.test_client(), type("U", (), {"session_token": session_token}))
    client.post("/api/checkin/scan", json=prime, headers=HEADERS)
    before = lane(current_app).answered
    resp = client.post("/api/checkin/scan", json=body, headers=HEADERS)
    return resp.status_code, resp.json.get("result"), lane(current_app).answered - before


def test_concurrent_fast_scans_of_one_ticket_admit_once(app, pg, cf, factory):
    event = cf.event()
    ticket = cf.ticket(event)
    primes = [cf.ticket(event) for _ in range(WORKERS)]
    steward = factory.user("commune_officer", commune=TRAN_BIEN)
    args = [(steward.session_token, scan_body(event.id, primes[i].code),
             scan_body(event.id, ticket.code, device_id=f"phone-{i}")) for i in range(WORKERS)]
    results = race("tests.checkin.test_fastlane:scan_primed", args, app.config["SQLALCHEMY_DATABASE_URI"])
    assert sorted(r[1] for r in results) == ["accepted"] + ["duplicate"] * (WORKERS - 1), results
    assert all(r[0] == 201 for r in results)
    assert sum(r[2] for r in results) >= 1  # those that lose the race for the admission go the full path
    rows = db.session.scalars(select(CheckIn).where(CheckIn.ticket_id == ticket.id)).all()
    assert len(rows) == WORKERS and sum(r.result == "accepted" for r in rows) == 1


def test_sqlite_takes_the_full_path(app, is_postgres, cf, factory, login_as):
    if is_postgres:
        pytest.skip("SQLite only")
    event = cf.event()
    tickets = [cf.ticket(event) for _ in range(2)]
    web = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    served = lane(app).answered
    for ticket in tickets:
        assert web.post("/api/checkin/scan", json=scan_body(event.id, ticket.code), headers=HEADERS).json["result"] \
            == "accepted"
    assert lane(app).answered == served


def test_a_fast_scan_is_one_statement_at_the_driver(app, pg, cf, factory, login_as, monkeypatch):
    """Counted at the driver (the fast lane bypasses SQLAlchemy's events): the one statement, not
    even the pool's ping (core.pings: the fast lane copes with a dead connection itself, below). At a
    workshop nothing else acts on an admission: the statement runs in autocommit, without BEGIN and
    COMMIT (test_admission_effects: where receivers act, it runs in a transaction)."""
    import psycopg

    event = cf.event()
    tickets = [cf.ticket(event) for _ in range(3)]
    web = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    web.post("/api/checkin/scan", json=scan_body(event.id, tickets[0].code), headers=HEADERS)  # the permit
    event_id, code = event.id, tickets[1].code  # read now: the test's own session must not query below
    statements = []
    execute = psycopg.Cursor.execute

    def counted(self, query, *args, **kwargs):
        statements.append(str(query))
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    served = lane(app).answered
    for scanned, result in ((code, "accepted"), (code, "duplicate"), ("XX", "invalid")):
        statements.clear()
        assert web.post("/api/checkin/scan", json=scan_body(event_id, scanned), headers=HEADERS).json["result"] \
            == result
        scans = [s for s in statements if "INSERT INTO checkins" in s]
        assert len(scans) == 1 and len(statements) == 1, statements
        assert not any(re.search(r"count\([^)]*\)\s+from\s+checkins", s.lower()) for s in statements)
    assert lane(app).answered == served + 3


def test_the_statement_is_prepared_unless_the_engine_turned_preparing_off(app, pg, cf, factory, login_as,
                                                                         monkeypatch):
    """Prepared on the server at its first run; with the driver's prepared statements off
    (``prepare_threshold=None`` in the engine options, for an old PgBouncer in transaction mode) it
    is not forced."""
    import psycopg

    event = cf.event()
    tickets = [cf.ticket(event) for _ in range(3)]
    web = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    web.post("/api/checkin/scan", json=scan_body(event.id, tickets[0].code), headers=HEADERS)  # the permit
    event_id, codes = event.id, [t.code for t in tickets]
    asked = []
    execute = psycopg.Cursor.execute

    def recorded(self, query, params=None, **kwargs):
        if "INSERT INTO checkins" in str(query):
            asked.append(kwargs.get("prepare"))
        return execute(self, query, params, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", recorded)
    assert web.post("/api/checkin/scan", json=scan_body(event_id, codes[1]), headers=HEADERS).status_code == 201
    monkeypatch.setattr(psycopg.Connection, "prepare_threshold", property(lambda self: None))
    assert web.post("/api/checkin/scan", json=scan_body(event_id, codes[2]), headers=HEADERS).status_code == 201
    assert asked == [True, None]


def test_a_dead_pooled_connection_is_handed_to_the_full_path_and_thrown_away(app, pg, cf, factory, login_as):
    """The fast lane checks a connection out without the pool's ping. When the server has closed it
    (a restart, a cut), the scan is answered by the full path (whose checkout pings and takes a live
    connection), nothing is lost or doubled, and the next scan takes the fast lane again: the pool's
    other dead connections were thrown out with the first."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    event = cf.event()
    tickets = [cf.ticket(event) for _ in range(3)]
    web = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    assert web.post("/api/checkin/scan", json=scan_body(event.id, tickets[0].code), headers=HEADERS).status_code == 201
    event_id, codes = event.id, [t.code for t in tickets]
    db.session.close()
    held = [db.engine.raw_connection() for _ in range(3)]  # the pool holds several connections
    for record in held:
        record.close()
    killer = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    with killer.connect() as conn:  # every pooled connection of the app dies
        killed = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    killer.dispose()
    assert killed >= 1
    served, handed = lane(app).answered, lane(app).handed_over
    resp = web.post("/api/checkin/scan", json=scan_body(event_id, codes[1]), headers=HEADERS)
    assert (resp.status_code, resp.json["result"]) == (201, "accepted")
    assert lane(app).answered == served and lane(app).handed_over == handed + 1
    resp = web.post("/api/checkin/scan", json=scan_body(event_id, codes[2]), headers=HEADERS)
    assert (resp.status_code, resp.json["result"]) == (201, "accepted")
    assert lane(app).answered == served + 1
    assert count(CheckIn) == 3
    assert db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.result == "accepted")) == 3
