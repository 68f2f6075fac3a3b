"""Reminders for a 10/10 day: queue them with the scheduler, deliver them to a local SMTP server.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<a scratch db> \\
        .venv/bin/python bench/messages.py [--reminders 10000] [--small 1000]

The scratch database's public schema is DROPPED and rebuilt (never point it at real data). Without
BENCH_DATABASE_URL a throwaway SQLite file is used. A real SMTP server (aiosmtpd) runs in this
process on a free port. For ``--small`` and then ``--reminders`` people (each registered, with an
e-mail, for one of the day's activities 100 people each) it times ``reminders.queue_due_reminders``
(the tick) and ``outbox.deliver_due`` (``--workers`` at once) and counts SQL statements: messages a
second, and queries per message for both sizes (constant when they match). Every message must arrive
exactly once (the SMTP server counts them).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deliver(app, workers: int, now):
    """``workers`` delivery workers at once (threads, each with its own session), as rq workers would."""
    from collections import Counter
    from concurrent.futures import ThreadPoolExecutor

    from campaign.messages import outbox

    def one():
        with app.app_context():
            return outbox.deliver_due(now=now)

    total = Counter()
    with ThreadPoolExecutor(workers) as pool:
        for counts in pool.map(lambda _i: one(), range(workers)):
            total.update(counts)
    return total


def run(app, n: int, sink: Sink, counter: list, workers: int = 1) -> dict:
    from sqlalchemy import insert, text

    from campaign.core.timeutil import LOCAL_TZ
    from campaign.events.models import Event, Person, Registration
    from campaign.extensions import db
    from campaign.messages import reminders
    from campaign.messages.models import ContactPreference

    with app.app_context():
        for table in ("messages", "message_preferences", "registrations", "persons", "events"):
            db.session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed names
        db.session.commit()
        day = datetime(2031, 10, 10, 8, 0, tzinfo=LOCAL_TZ).astimezone(UTC)  # the 10/10 day, 08:00
        long_ago = day - timedelta(days=30)
        events = max(n // 100, 1)
        db.session.execute(insert(Event), [
            {"uid": f"bench-{n}-{i}@x", "kind": "national_day_activity", "title": f"Hoạt động Ngày 10/10 số {i}",
             "search_title": "", "starts_at": day,
             "ends_at": day + timedelta(hours=3), "province_code": 75, "status": "published",
             "visibility": "public", "place": f"Nhà văn hóa {i}", "created_at": long_ago, "updated_at": long_ago}
            for i in range(events)])
        event_ids = [r[0] for r in db.session.execute(text("SELECT id FROM events ORDER BY id"))]
        db.session.execute(insert(Person), [
            {"full_name": f"Người dân {i}", "search_name": "", "phone": f"+8490{i:07d}", "created_at": long_ago,
             "target_groups": "", "needs": "", "consent_text": "2026-1"} for i in range(n)])
        person_ids = [r[0] for r in db.session.execute(text("SELECT id FROM persons ORDER BY id"))]
        db.session.execute(insert(ContactPreference), [
            {"person_id": pid, "email": f"nguoi{pid}@example.vn", "channels": ["email"], "reminders_off": [],
             "updated_at": long_ago} for pid in person_ids])
        db.session.execute(insert(Registration), [
            {"event_id": event_ids[i % events], "person_id": pid, "status": "confirmed", "token_hash": f"{n}-{pid}",
             "needs": "", "source": "online", "created_at": long_ago, "confirmed_at": long_ago}
            for i, pid in enumerate(person_ids)])
        db.session.commit()

        now = day - timedelta(hours=24) + timedelta(minutes=1)
        counter[0] = 0
        t0 = time.perf_counter()
        queued = reminders.queue_due_reminders(now=now)
        db.session.commit()
        t_queue, q_queue = time.perf_counter() - t0, counter[0]
        sink.count = 0
        counter[0] = 0
        t0 = time.perf_counter()
        counts = deliver(app, workers, now + timedelta(hours=12))
        t_deliver, q_deliver = time.perf_counter() - t0, counter[0]
        return {"n": n, "queued": queued, "queue_s": t_queue, "queue_q": q_queue, "sent": counts.get("sent", 0),
                "arrived": sink.count, "deliver_s": t_deliver, "deliver_q": q_deliver}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=1, help="delivery workers at once (threads)")
    args = parser.parse_args()

    from aiosmtpd.controller import Controller
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, event, text

    from campaign import create_app
    from campaign.extensions import db
    from campaign.units.services import load_units

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "MESSAGES_SMTP_URL": f"smtp://127.0.0.1:{port}",
                      "MESSAGES_BASE_URL": "https://binhdan.example.vn/"})
    counter = [0]
    with app.app_context():
        upgrade()
        load_units(75)
        db.session.commit()
        event.listen(db.engine, "before_cursor_execute", lambda *a, **k: counter.__setitem__(0, counter[0] + 1))
    print(f"database: {url.split('://')[0]}, delivery workers: {args.workers}")
    try:
        for n in (args.small, args.reminders):
            r = run(app, n, sink, counter, args.workers)
            print(f"{r['n']:>6} reminders: queued {r['queued']} in {r['queue_s']:.1f} s ({r['queued'] / r['queue_s']:.0f}/s, "
                  f"{r['queue_q'] / max(r['queued'], 1):.2f} queries each); delivered {r['sent']} (arrived "
                  f"{r['arrived']}) in {r['deliver_s']:.1f} s ({r['sent'] / r['deliver_s']:.0f} messages/s, "
                  f"{r['deliver_q'] / max(r['sent'], 1):.2f} queries each)")
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
