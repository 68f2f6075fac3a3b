"""Times of a 2,000-event public feed: cold (rendered from nothing), warm (unchanged: the rendered
bytes reused) and 304 (the client's copy is current). Targets: cold under 300 ms, 304 under 5 ms.

    .venv/bin/python bench/feed_render.py                       # a temporary SQLite database
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/feed_render.py

Prints figures (median, min, max of the wall time, and the median CPU time of this process: on a
loaded machine the wall time is stretched, the minimum and the CPU time show the cost); asserts
nothing. The PostgreSQL database is emptied first.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

N_EVENTS = 2000
ROUNDS = 20


def main() -> None:
    from sqlalchemy import event as sa_event
    from sqlalchemy import text

    from campaign import create_app
    from campaign.extensions import db

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine

        from campaign.config import normalise_database_url

        url = normalise_database_url(url)
        eng = create_engine(url, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            c.execute(text("CREATE SCHEMA public"))
        eng.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SERVER_NAME": "bench.local"})
    with app.app_context():
        from flask_migrate import upgrade

        from campaign.events.models import Event
        from campaign.units.services import load_units

        upgrade()
        load_units(75)
        start = datetime.now(UTC).replace(microsecond=0)
        db.session.add_all([
            Event(province_code=75, commune_code=26041, kind="workshop", status="published", visibility="public",
                  title=f"Hội thảo kỹ năng số số {i}", search_title=f"hoi thao {i}", place="Nhà văn hóa",
                  address="Khu phố 1", starts_at=start + timedelta(hours=6 * i),
                  ends_at=start + timedelta(hours=6 * i + 2))
            for i in range(N_EVENTS)])
        db.session.commit()

    client = app.test_client()
    path = "/calendars/communes/26041.ics"
    queries = []
    with app.app_context():
        sa_event.listen(db.engine, "before_cursor_execute", lambda *a, **k: queries.append(1))
    first = client.get(path)
    assert first.status_code == 200, first.status_code
    etag = first.headers["ETag"]
    from campaign.calendars.http import feed_cache

    full, full_cpu, warm, cached = [], [], [], []
    for _ in range(ROUNDS):
        feed_cache.clear()
        queries.clear()
        t, c = time.perf_counter(), time.process_time()
        client.get(path)
        full.append(time.perf_counter() - t)
        full_cpu.append(time.process_time() - c)
    n_queries = len(queries)
    warm_cpu, cached_cpu = [], []
    for _ in range(ROUNDS):
        t, c = time.perf_counter(), time.process_time()
        client.get(path)
        warm.append(time.perf_counter() - t)
        warm_cpu.append(time.process_time() - c)
    for _ in range(ROUNDS):
        t, c = time.perf_counter(), time.process_time()
        resp = client.get(path, headers={"If-None-Match": etag})
        cached.append(time.perf_counter() - t)
        cached_cpu.append(time.process_time() - c)
    assert resp.status_code == 304
    print(f"database: {url.split(':')[0]}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"feed of {N_EVENTS} events: {len(first.data) / 1024:.0f} KiB, {n_queries} SQL queries")
    print(f"cold (rendered from nothing): median {statistics.median(full) * 1000:.0f} ms, "
          f"min {min(full) * 1000:.0f} ms, max {max(full) * 1000:.0f} ms (CPU time of this process: median "
          f"{statistics.median(full_cpu) * 1000:.0f} ms; a loaded machine stretches the wall time)")
    print(f"warm (unchanged, bytes reused): median {statistics.median(warm) * 1000:.1f} ms, "
          f"min {min(warm) * 1000:.1f} ms "
          f"(CPU {statistics.median(warm_cpu) * 1000:.1f} ms)")
    print(f"304 (client's copy current):   median {statistics.median(cached) * 1000:.1f} ms, "
          f"min {min(cached) * 1000:.1f} ms, max {max(cached) * 1000:.1f} ms (CPU {statistics.median(cached_cpu) * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
