"""Offline check-in sync: how long the server takes to take in a device's outbox of 1,000 offline
scans, on SQLite and on PostgreSQL.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test_offline .venv/bin/python bench/offline_sync.py

The PostgreSQL database is EMPTIED (public schema dropped) and rebuilt by the migrations; names not
starting with "test" or "bench" are refused. SQLite runs in a temporary file. One event with TICKETS
tickets; two devices' outboxes (SCANS scans in all: every ticket admitted once by device A, a
quarter of them also by device B, earlier or later at random, plus turned-away duplicates, revoked
tickets and damaged codes), shuffled and sent through the API in batches of BATCH (default 1,000:
the whole outbox in one request), in process (Flask's test client: the figures are the server's
work, not the network's). Then the whole outbox is sent again (lost answers): nothing new may be
stored. Prints times and statements per batch
and checks the counts.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test_offline")
TICKETS = int(os.environ.get("TICKETS", 700))
SCANS = int(os.environ.get("SCANS", 1000))
BATCH = int(os.environ.get("BATCH", 1000))
HEADERS = {"X-Checkin-Client": "bench"}


def empty_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    name = urlsplit(url).path.lstrip("/")
    if not (name.startswith("test") or name.startswith("bench")):
        sys.exit(f"refusing to empty {name!r}: use a PostgreSQL database named test* or bench*")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def run(url: str) -> None:
    from sqlalchemy import event as sa_event
    from sqlalchemy import func, select

    from campaign import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-offline", "TESTING": True})
    with app.app_context():
        from flask_migrate import upgrade

        from campaign.accounts.services import create_user
        from campaign.checkin import services
        from campaign.checkin.models import CheckIn
        from campaign.core.text import fold
        from campaign.events.models import Event, Person, Registration
        from campaign.extensions import db
        from campaign.units.services import load_units

        upgrade()
        load_units(75)
        user = create_user(None, username="bench.steward", full_name="Bench Steward", password="bench-password-1",
                           role="admin")
        start = datetime.now(UTC) + timedelta(days=1)
        event = Event(title="Benchmark", search_title="benchmark", kind="workshop", starts_at=start,
                      ends_at=start + timedelta(hours=2), province_code=75, commune_code=26041, status="published")
        db.session.add(event)
        db.session.flush()
        tickets = []
        for i in range(TICKETS + 20):
            person = Person(full_name=f"Người {i}", search_name=fold(f"Người {i}"))
            db.session.add(person)
            db.session.flush()
            reg = Registration(event_id=event.id, person_id=person.id, status="confirmed", token_hash=f"{i:064x}")
            db.session.add(reg)
            db.session.flush()
            tickets.append(services.issue_ticket(reg))
        revoked = tickets[TICKETS:]
        tickets = tickets[:TICKETS]
        for t in revoked:
            services.revoke_ticket(t)
        db.session.commit()
        event_id, token = event.id, user.session_token
        codes = [t.code for t in tickets]
        revoked_codes = [t.code for t in revoked]

        rng = random.Random(8)
        t0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)

        def item(code, door, device):
            return {"uuid": str(uuid.uuid4()), "event_id": event_id, "code": code, "device_id": device,
                    "door_result": door, "device_time": (t0 + timedelta(seconds=rng.randint(0, 7200))).isoformat()}

        items = [item(c, "accepted", "device-a") for c in codes]
        items += [item(c, "accepted", "device-b") for c in rng.sample(codes, TICKETS // 4)]
        while len(items) < SCANS:
            kind = rng.random()
            if kind < 0.5:
                items.append(item(rng.choice(codes), "duplicate", "device-a"))
            elif kind < 0.8:
                items.append(item(rng.choice(revoked_codes), "revoked", "device-b"))
            else:
                items.append(item(rng.choice(codes)[:-4] + "AAAA", "invalid", "device-b"))
        items = items[:SCANS]
        rng.shuffle(items)

        queries = [0]
        sa_event.listen(db.engine, "before_cursor_execute", lambda *a: queries.__setitem__(0, queries[0] + 1))
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = token
            session["_fresh"] = True

        cpu = [0.0, 0.0]

        def send() -> tuple[float, int, int]:
            queries[0] = 0
            cpu[0] = time.process_time()
            start = time.perf_counter()
            acked = 0
            for i in range(0, len(items), BATCH):
                resp = client.post("/api/checkin/sync", json={"items": items[i:i + BATCH]}, headers=HEADERS)
                assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
                acked += sum(1 for a in resp.json["items"] if a["ack"])
            cpu[1] = time.process_time() - cpu[0]  # this process's CPU: the app's share of the work
            return time.perf_counter() - start, queries[0], acked

        first, q1, acked = send()
        first_cpu = cpu[1]
        again, q2, acked2 = send()
        db.session.expire_all()
        stored = db.session.scalar(select(func.count()).select_from(CheckIn))
        accepted = db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.result == "accepted"))
        conflicts = len(services.conflicts(event, limit=10_000))
        dialect = db.engine.dialect.name
    ok = stored == len(items) and accepted == TICKETS and acked == acked2 == len(items)
    batches = -(-len(items) // BATCH)
    print(f"{dialect:10} {len(items)} scans in batches of {BATCH}: first upload {first:6.2f} s "
          f"({first / len(items) * 1000:5.1f} ms/scan, app CPU {first_cpu:5.2f} s, {q1 / batches:4.0f} statements/batch); "
          f"resent {again:5.2f} s ({q2 / batches:4.0f} statements/batch); stored {stored}, accepted {accepted} "
          f"of {TICKETS} tickets, conflicts {conflicts} -> {'OK' if ok else 'WRONG'}")
    if not ok:
        sys.exit(1)


def main() -> None:
    from campaign.config import normalise_database_url

    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.db")
    if os.environ.get("SKIP_POSTGRES") != "1":
        url = normalise_database_url(PG_URL)
        empty_postgres(url)
        run(url)


if __name__ == "__main__":
    main()
