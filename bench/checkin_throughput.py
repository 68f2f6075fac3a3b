"""Check-in throughput and latency: gunicorn on PostgreSQL, several scanner clients on loopback.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test_checkin .venv/bin/python bench/checkin_throughput.py

The database is EMPTIED (its public schema is dropped) and rebuilt by the migrations, so the
script refuses a database whose name does not start with "test" or "bench". It makes one event
with TICKETS tickets, starts gunicorn (WORKERS sync workers), logs a steward in, then CLIENTS
threads post SCANS scans over keep-alive connections: every ticket once, plus re-scans of
admitted tickets (duplicates) and damaged codes (invalid), shuffled. Prints throughput, latency
percentiles and the results, and checks that the database holds exactly one accepted check-in
per ticket. Bounded: at most SCANS requests and TIME_LIMIT seconds.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test_checkin")
TICKETS = int(os.environ.get("TICKETS", 300))
SCANS = int(os.environ.get("SCANS", 400))
CLIENTS = int(os.environ.get("CLIENTS", 8))
WORKERS = int(os.environ.get("WORKERS", 4))
TIME_LIMIT = float(os.environ.get("TIME_LIMIT", 120))
SECRET = "bench-secret-key"
PASSWORD = "bench-password-1"


def prepare() -> tuple[int, list[str]]:
    from sqlalchemy import create_engine, text

    from campaign import create_app
    from campaign.config import normalise_database_url

    url = normalise_database_url(DB_URL)
    name = urlsplit(url).path.lstrip("/")
    if not (url.startswith("postgresql") and (name.startswith("test") or name.startswith("bench"))):
        sys.exit(f"refusing to empty {name!r}: use a PostgreSQL database named test* or bench*")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})
    with app.app_context():
        from flask_migrate import upgrade

        from campaign.accounts.services import create_user
        from campaign.checkin import services
        from campaign.core.text import fold
        from campaign.events.models import Event, Person, Registration
        from campaign.extensions import db
        from campaign.units.services import load_units

        upgrade()
        load_units(75)
        create_user(None, username="bench.steward", full_name="Bench Steward", password=PASSWORD, role="admin")
        start = datetime.now(UTC) + timedelta(days=1)
        event = Event(title="Benchmark", search_title="benchmark", kind="workshop", starts_at=start,
                      ends_at=start + timedelta(hours=2), province_code=75, commune_code=26041, status="published")
        db.session.add(event)
        db.session.flush()
        codes = []
        for i in range(TICKETS):
            person = Person(full_name=f"Người {i}", search_name=fold(f"Người {i}"))
            db.session.add(person)
            db.session.flush()
            reg = Registration(event_id=event.id, person_id=person.id, status="confirmed", token_hash=f"{i:064x}")
            db.session.add(reg)
            db.session.flush()
            codes.append(services.issue_ticket(reg).code)
        db.session.commit()
        return event.id, codes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def login(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/login")
    resp = conn.getresponse()
    page = resp.read().decode()
    cookie = resp.getheader("Set-Cookie").split(";", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = f"csrf_token={token}&username=bench.steward&password={PASSWORD}"
    conn.request("POST", "/login", body=body, headers={"Content-Type": "application/x-www-form-urlencoded",
                                                       "Cookie": cookie})
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 302, resp.status
    return resp.getheader("Set-Cookie").split(";", 1)[0]


def cpu_seconds(pids) -> float:
    """User + system CPU time of these processes (Linux /proc), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / ticks


def worker_pids(master: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


def backend_pids() -> list[int]:
    """The PostgreSQL server processes serving this database (local server only)."""
    from sqlalchemy import create_engine, text

    from campaign.config import normalise_database_url

    engine = create_engine(normalise_database_url(DB_URL))
    with engine.connect() as conn:
        pids = list(conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND pid <> pg_backend_pid()")).scalars())
    engine.dispose()
    return pids


def main() -> None:
    event_id, codes = prepare()
    scans = list(codes)
    while len(scans) < SCANS:
        if random.random() < 0.7:
            scans.append(random.choice(codes))  # a second scan of the same ticket: a duplicate
        else:
            bad = random.choice(codes)
            scans.append(bad[:40] + ("A" if bad[40] != "A" else "B") + bad[41:])  # damaged: invalid
    scans = scans[:SCANS]
    random.shuffle(scans)

    port = free_port()
    env = dict(os.environ, DATABASE_URL=DB_URL, SECRET_KEY=SECRET, LOGIN_RATE_LIMIT="1000 per minute")
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "campaign:create_app()"], cwd=ROOT, env=env)
    try:
        wait_for(port, time.monotonic() + 60)
        cookie = login(port)
        queue = list(enumerate(scans))
        lock = threading.Lock()
        latencies: list[float] = []
        results: dict[str, int] = {}
        deadline = time.monotonic() + TIME_LIMIT

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while time.monotonic() < deadline:
                with lock:
                    if not queue:
                        return
                    _i, code = queue.pop()
                body = json.dumps({"uuid": str(uuid.uuid4()), "event_id": event_id, "code": code,
                                   "device_id": f"bench-{threading.get_ident()}",
                                   "device_time": datetime.now(UTC).isoformat()})
                started = time.perf_counter()
                conn.request("POST", "/api/checkin/scan", body=body, headers={
                    "Content-Type": "application/json", "X-Checkin-Client": "bench", "Cookie": cookie})
                resp = conn.getresponse()
                answer = json.loads(resp.read())
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    results[answer.get("result", f"http {resp.status}")] = results.get(
                        answer.get("result", f"http {resp.status}"), 0) + 1

        # Warm every worker's connection and permit, then count the CPU time the run costs the app
        # workers and the database backends: per-core figures that a busy shared machine cannot skew.
        for _ in range(WORKERS * 2):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", f"/api/checkin/events/{event_id}/counts",
                         headers={"X-Checkin-Client": "bench", "Cookie": cookie})
            conn.getresponse().read()
        workers, backends = worker_pids(server.pid), backend_pids()
        cpu_app, cpu_db = cpu_seconds(workers), cpu_seconds(backends)
        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        cpu_app, cpu_db = cpu_seconds(workers) - cpu_app, cpu_seconds(backends) - cpu_db
    finally:
        server.terminate()
        server.wait(timeout=20)

    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(int(p / 100 * len(latencies)), len(latencies) - 1)] * 1000

    print(f"check-in API on gunicorn ({WORKERS} workers) + PostgreSQL, {CLIENTS} client threads on loopback")
    print(f"  {len(latencies)} scans of {TICKETS} tickets in {wall:.2f} s: {len(latencies) / wall:.0f} scans/s")
    print(f"  latency ms: p50 {pct(50):.1f}  p90 {pct(90):.1f}  p99 {pct(99):.1f}  max {latencies[-1] * 1000:.1f}"
          f"  mean {statistics.mean(latencies) * 1000:.1f}")
    print(f"  results: {dict(sorted(results.items()))}")
    n = len(latencies)
    print(f"  CPU per scan: app workers {cpu_app / n * 1000:.2f} ms ({n / cpu_app if cpu_app else 0:.0f} scans/s "
          f"per app core), database {cpu_db / n * 1000:.2f} ms ({n / cpu_db if cpu_db else 0:.0f} scans/s per "
          f"database core; {len(backends)} backends measured)")

    from sqlalchemy import create_engine, text

    from campaign.config import normalise_database_url

    engine = create_engine(normalise_database_url(DB_URL))
    with engine.connect() as conn:
        accepted = conn.execute(text("SELECT count(*), count(DISTINCT ticket_id) FROM checkins "
                                     "WHERE result = 'accepted' AND undone_at IS NULL")).one()
        stored = conn.execute(text("SELECT count(*) FROM checkins")).scalar()
    engine.dispose()
    print(f"  database: {stored} scans stored, {accepted[0]} accepted for {accepted[1]} distinct tickets"
          f" ({'OK' if accepted[0] == accepted[1] == len(set(scans) & set(codes)) else 'MISMATCH'})")


if __name__ == "__main__":
    main()
