"""A bounded soak of the production shape (`make prod` running; `make soak` in another terminal).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/campaign_prod BASE_URL=http://127.0.0.1:8000 \
        .venv/bin/python bench/soak.py

Prepares (in DATABASE_URL, adding, never emptying) a steward account, one public event open for
registration with TICKETS tickets. Then CLIENTS threads drive a mixed load for DURATION seconds:
online scans (random tickets, fresh UUIDs), offline syncs (batches of 20, some resent), public
pages (home, events list, the event page), campaign feed polls and public registrations (CSRF
token from the page, a unique name each). A third of the way in, one gunicorn worker is killed
(SIGKILL; the master starts another); at two thirds, every database connection of the app is cut
(pg_terminate_backend). Clients behave like the scanner: a failed or refused request is sent again
with the same UUID (at most RETRIES times).

Afterwards, in SQL: every scan and sync item the server acknowledged is stored exactly once, every
registration answered with its private page exists exactly once, and no ticket has two admissions
at the session. Prints requests, answers by status, retries, errors (requests that never
succeeded), and lost / doubled writes (both must be 0).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import random
import re
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DB_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/campaign_prod")
BASE = os.environ.get("BASE_URL", f"http://127.0.0.1:{os.environ.get('PROD_PORT', '8000')}")
DURATION = float(os.environ.get("DURATION", 60))
CLIENTS = int(os.environ.get("CLIENTS", 8))
TICKETS = int(os.environ.get("TICKETS", 300))
RETRIES = int(os.environ.get("RETRIES", 5))
PID_FILE = ROOT / "instance" / "prod-web.pid"
PASSWORD = "soak-password-1"
HEADERS = {"X-Checkin-Client": "soak", "Content-Type": "application/json"}


def prepare() -> tuple[int, list[str], str]:
    from sqlalchemy import select

    from campaign import create_app
    from campaign.accounts.models import User
    from campaign.accounts.services import create_user
    from campaign.checkin import services
    from campaign.config import normalise_database_url
    from campaign.core.text import fold
    from campaign.events.models import Event, Person, Registration
    from campaign.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(DB_URL)})
    with app.app_context():
        if db.session.scalar(select(User).where(User.username == "soak.steward")) is None:
            create_user(None, username="soak.steward", full_name="Soak Steward", password=PASSWORD, role="admin")
        start = datetime.now(UTC) + timedelta(hours=1)
        stamp = datetime.now(UTC).strftime("%H%M%S")
        event = Event(title=f"Soak {stamp}", search_title=f"soak {stamp}", kind="workshop", starts_at=start,
                      ends_at=start + timedelta(hours=3), province_code=75, commune_code=26041, status="published",
                      visibility="public", registration_open=True)
        db.session.add(event)
        db.session.flush()
        codes = []
        for i in range(TICKETS):
            person = Person(full_name=f"Soak {stamp} {i}", search_name=fold(f"Soak {stamp} {i}"))
            db.session.add(person)
            db.session.flush()
            reg = Registration(event_id=event.id, person_id=person.id, status="confirmed",
                               token_hash=uuid.uuid4().hex + uuid.uuid4().hex)
            db.session.add(reg)
            db.session.flush()
            codes.append(services.issue_ticket(reg).code)
        db.session.commit()
        slug = db.session.scalar(db.text("SELECT slug FROM campaigns ORDER BY id LIMIT 1"))
        return event.id, codes, slug or ""


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.status: Counter = Counter()
        self.kinds: Counter = Counter()
        self.retries = 0
        self.errors: Counter = Counter()
        self.scans: list[str] = []  # UUIDs the server answered (201/200)
        self.synced: list[str] = []  # UUIDs acknowledged by a sync
        self.registered: list[str] = []  # names answered with their private page

    def count(self, kind: str, status) -> None:
        with self.lock:
            self.status[status] += 1
            self.kinds[kind] += 1


def opener(jar=None):
    jar = jar if jar is not None else http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def call(op, stats: Stats, kind: str, url: str, data=None, headers=None, method=None):
    """One request, retried like the scanner retries (same body, same UUIDs). Returns (status, body)."""
    for attempt in range(RETRIES + 1):
        req = urllib.request.Request(BASE + url, data=data, headers=headers or {}, method=method)
        try:
            with op.open(req, timeout=15) as resp:
                body = resp.read()
                stats.count(kind, resp.status)
                return resp.status, body, resp.geturl()
        except urllib.error.HTTPError as err:
            err.read()
            stats.count(kind, err.code)
            if err.code < 500 and err.code != 429:
                return err.code, b"", url
        except OSError as err:
            stats.count(kind, type(err).__name__)
        if attempt < RETRIES:
            with stats.lock:
                stats.retries += 1
            time.sleep(0.2 * (attempt + 1))
    with stats.lock:
        stats.errors[kind] += 1
    return None, b"", url


def login() -> urllib.request.OpenerDirector:
    op, _jar = opener()
    page = op.open(BASE + "/login", timeout=15).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "username": "soak.steward", "password": PASSWORD}).encode()
    op.open(urllib.request.Request(BASE + "/login", data=body), timeout=15).read()
    return op


def client(n: int, steward, event_id: int, codes: list[str], slug: str, stats: Stats, deadline: float) -> None:
    rng = random.Random(n)
    public, _jar = opener()
    while time.monotonic() < deadline:
        roll = rng.random()
        if roll < 0.45:
            body = {"uuid": str(uuid.uuid4()), "event_id": event_id, "code": rng.choice(codes),
                    "device_id": f"soak-{n}", "device_time": datetime.now(UTC).isoformat()}
            status, _b, _u = call(steward, stats, "scan", "/api/checkin/scan", json.dumps(body).encode(), HEADERS)
            if status in (200, 201):
                with stats.lock:
                    stats.scans.append(body["uuid"])
        elif roll < 0.55:
            items = [{"uuid": str(uuid.uuid4()), "event_id": event_id, "code": rng.choice(codes),
                      "device_id": f"soak-off-{n}", "door_result": "accepted",
                      "device_time": (datetime.now(UTC) - timedelta(seconds=rng.randint(0, 600))).isoformat()}
                     for _ in range(20)]
            payload = json.dumps({"items": items}).encode()
            for _send in range(2 if rng.random() < 0.3 else 1):  # a lost answer: the same batch again
                status, raw, _u = call(steward, stats, "sync", "/api/checkin/sync", payload, HEADERS)
                if status == 200:
                    acked = [a["uuid"] for a in json.loads(raw)["items"] if a.get("ack")]
                    with stats.lock:
                        stats.synced.extend(acked)
        elif roll < 0.80:
            url = rng.choice(["/", "/events", f"/events/{event_id}"])
            call(public, stats, "page", url)
        elif roll < 0.90:
            if slug:
                call(public, stats, "feed", f"/calendars/campaigns/{slug}.ics")
        else:
            status, page, _u = call(public, stats, "register-form", f"/events/{event_id}")
            found = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page or b"")
            if found is None:
                continue
            name = f"Soak reg {uuid.uuid4().hex[:12]}"
            body = urllib.parse.urlencode({"csrf_token": found.group(1).decode(), "full_name": name,
                                           "consent": "y", "commune_code": "26041"}).encode()
            status, _b, final = call(public, stats, "register", f"/events/{event_id}", body)
            if status == 200 and "/r/" in final:
                with stats.lock:
                    stats.registered.append(name)


def kill_one_worker() -> str:
    try:
        master = int(PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return "no gunicorn pid file: worker not killed"
    children = [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    if not children:
        return "gunicorn has no worker"
    os.kill(children[0], signal.SIGKILL)
    return f"killed gunicorn worker {children[0]}"


def cut_connections() -> str:
    from sqlalchemy import create_engine, text

    from campaign.config import normalise_database_url

    engine = create_engine(normalise_database_url(DB_URL), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        cut = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    engine.dispose()
    return f"cut {cut} database connections"


def check(stats: Stats, event_id: int) -> dict:
    from sqlalchemy import create_engine, text

    from campaign.config import normalise_database_url

    engine = create_engine(normalise_database_url(DB_URL))
    with engine.connect() as conn:
        def stored(uuids):
            counts = Counter()
            for i in range(0, len(uuids), 1000):
                for u, c in conn.execute(text("SELECT uuid, count(*) FROM checkins WHERE uuid IN :u GROUP BY uuid")
                                         .bindparams(_expanding("u")), {"u": uuids[i:i + 1000]}):
                    counts[u] = c
            return counts

        acknowledged = sorted(set(stats.scans) | set(stats.synced))
        counts = stored(acknowledged)
        lost = sum(1 for u in acknowledged if counts.get(u, 0) == 0)
        doubled = sum(1 for c in counts.values() if c > 1)
        doubled += conn.execute(text(
            "SELECT count(*) FROM (SELECT ticket_id FROM checkins WHERE event_id = :e AND result = 'accepted' "
            "AND undone_at IS NULL GROUP BY ticket_id HAVING count(*) > 1) x"), {"e": event_id}).scalar()
        names = Counter()
        if stats.registered:
            for name, c in conn.execute(text("SELECT p.full_name, count(*) FROM registrations r JOIN persons p "
                                             "ON p.id = r.person_id WHERE r.event_id = :e AND p.full_name IN :n "
                                             "GROUP BY p.full_name").bindparams(_expanding("n")),
                                        {"e": event_id, "n": stats.registered}):
                names[name] = c
        lost += sum(1 for n in stats.registered if names.get(n, 0) == 0)
        doubled += sum(1 for c in names.values() if c > 1)
    engine.dispose()
    return {"acknowledged writes": len(acknowledged) + len(stats.registered), "lost": lost, "doubled": doubled}


def _expanding(name):
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)


def main() -> None:
    event_id, codes, slug = prepare()
    steward = login()
    stats = Stats()
    start = time.monotonic()
    deadline = start + DURATION
    threads = [threading.Thread(target=client, args=(n, steward, event_id, codes, slug, stats, deadline))
               for n in range(CLIENTS)]
    for t in threads:
        t.start()
    chaos = []
    time.sleep(DURATION / 3)
    chaos.append(f"{time.monotonic() - start:5.1f} s: {kill_one_worker()}")
    time.sleep(DURATION / 3)
    chaos.append(f"{time.monotonic() - start:5.1f} s: {cut_connections()}")
    for t in threads:
        t.join(timeout=DURATION + 120)
    elapsed = time.monotonic() - start
    result = check(stats, event_id)
    total = sum(stats.status.values())
    print(f"soak: {DURATION:.0f} s, {CLIENTS} clients against {BASE}")
    for line in chaos:
        print("  chaos", line)
    print(f"  requests {total} ({total / elapsed:.0f}/s) by kind {dict(stats.kinds)}")
    print(f"  answers {dict(sorted(stats.status.items(), key=str))}; retried {stats.retries}; "
          f"errors (never succeeded) {sum(stats.errors.values())} {dict(stats.errors)}")
    print(f"  in SQL: {result['acknowledged writes']} acknowledged writes, lost {result['lost']}, "
          f"doubled {result['doubled']} -> {'OK' if result['lost'] == result['doubled'] == 0 else 'WRONG'}")
    if result["lost"] or result["doubled"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
