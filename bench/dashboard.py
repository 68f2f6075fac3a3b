"""Time the province dashboard over 95 communes and many records, and count its SQL queries.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<a scratch db> \
        .venv/bin/python bench/dashboard.py [--registrations 200000] [--shifts 20000] [--certificates 20000]

The scratch database's public schema is DROPPED and rebuilt (never point it at real data). Without
BENCH_DATABASE_URL a throwaway SQLite file is used. Rows are bulk-inserted (one campaign, 95 Đồng Nai
communes with per-commune targets, 1,900 events, people, registrations, classes with certificates,
volunteer shifts with signups and outcomes, the demo's teams indicators); then the daily facts are built
(``--live``: not, the figures counted from the records) and GET /reports/campaigns/<id> is requested as the
province coordinator (``--repeat N``: N times, the median). Prints the setup time, the facts' build and
refresh times, each request's time (and app CPU) and its query count. Runs on code without daily facts too.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:  # noqa: PLR0915
    parser = argparse.ArgumentParser()
    parser.add_argument("--registrations", type=int, default=200_000)
    parser.add_argument("--shifts", type=int, default=20_000)
    parser.add_argument("--certificates", type=int, default=20_000)
    parser.add_argument("--live", action="store_true", help="count from the records (no daily facts)")
    parser.add_argument("--repeat", type=int, default=1, help="request each page this many times (median)")
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import create_engine, event, insert, select, text

    from campaign import create_app
    from campaign.accounts.models import RoleGrant, User
    from campaign.campaigns.models import Campaign, Indicator, IndicatorTarget
    from campaign.courses.models import Certificate, Course
    from campaign.events.models import Event, Person, Registration
    from campaign.extensions import db
    from campaign.units.models import Commune
    from campaign.units.services import load_units
    from campaign.volunteers.models import Shift, Signup, SignupHelped, VolunteerProfile

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    rnd = random.Random(7)
    t0 = time.perf_counter()
    with app.app_context():
        upgrade()
        load_units(75)
        communes = db.session.scalars(select(Commune.code).where(Commune.province_code == 75)).all()
        c = Campaign(province_code=75, name="Bình dân học vụ số 2026 (bench)", slug="bench",
                     starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
        db.session.add(c)
        db.session.flush()
        metrics = ["people_trained", "certificates_issued", "classes_held", "registrations", "people_helped",
                   "vneid_assisted", "volunteer_hours", "shifts_filled", "bridge_points_connected",
                   "national_day_activities"]
        inds = [Indicator(campaign_id=c.id, position=i, code=str(i + 1), name=m, metric=m, unit="people",
                          target_value=10_000) for i, m in enumerate(metrics)]
        # the demo's shape: indicators whose metrics come from the teams feature (percentages of villages
        # and members) and the communications activities
        inds += [Indicator(campaign_id=c.id, position=20 + i, code=f"T{i + 1}", name=m, metric=m, unit=unit,
                           target_value=100) for i, (m, unit) in enumerate(
                     (("villages_with_active_team", "percent"), ("team_members_trained", "percent"),
                      ("villages_with_team", "percent"), ("communications_activities", "activities")))]
        db.session.add_all(inds)
        db.session.flush()
        db.session.execute(insert(IndicatorTarget), [
            {"indicator_id": ind.id, "commune_code": code, "target_value": 100} for ind in inds for code in communes])
        coord = User(username="bench.coord", full_name="Điều phối", password_hash="x", active=True)
        db.session.add(coord)
        db.session.flush()
        db.session.add(RoleGrant(user_id=coord.id, role="province_coordinator", province_code=75))
        start = datetime(2026, 1, 5, 2, tzinfo=UTC)

        def when(days: int = 300):
            return start + timedelta(days=rnd.randrange(days), hours=rnd.randrange(10))

        events = []
        for code in communes:
            for k in range(20):
                t = when()
                events.append({"uid": f"bench-{code}-{k}", "campaign_id": c.id, "kind": "workshop",
                               "title": f"Hội thảo {k}", "starts_at": t, "ends_at": t + timedelta(hours=2),
                               "province_code": 75, "commune_code": code, "status": "published"})
        db.session.execute(insert(Event), events)
        event_ids = db.session.scalars(select(Event.id).where(Event.campaign_id == c.id)).all()
        n_people = max(args.registrations // 5, 1)
        db.session.execute(insert(Person), [{"full_name": f"Người dân {i}", "commune_code": rnd.choice(communes)}
                                            for i in range(n_people)])
        person_ids = db.session.scalars(select(Person.id)).all()
        regs, seen = [], set()
        while len(regs) < args.registrations:
            e, p = rnd.choice(event_ids), rnd.choice(person_ids)
            if (e, p) in seen:
                continue
            seen.add((e, p))
            regs.append({"event_id": e, "person_id": p, "status": rnd.choice(("confirmed", "confirmed", "cancelled")),
                         "token_hash": f"{len(regs):064d}", "created_at": when()})
        for i in range(0, len(regs), 20_000):
            db.session.execute(insert(Registration), regs[i:i + 20_000])
        # classes: one course event per commune, certificates for registered learners
        course_events = []
        for code in communes:
            course_events.append({"uid": f"bench-course-{code}", "campaign_id": c.id, "kind": "other",
                                  "title": "Lớp kỹ năng số", "starts_at": start, "ends_at": start + timedelta(days=60),
                                  "province_code": 75, "commune_code": code, "status": "published"})
        db.session.execute(insert(Event), course_events)
        cev = db.session.execute(select(Event.id, Event.commune_code).where(Event.uid.like("bench-course-%"))).all()
        db.session.execute(insert(Course), [{"event_id": e, "audience": "residents"} for e, _ in cev])
        course_of = dict(db.session.execute(select(Course.event_id, Course.id)).all())
        learners = rnd.sample(person_ids, min(args.certificates, len(person_ids)))
        creg = [{"event_id": cev[i % len(cev)][0], "person_id": p, "status": "confirmed",
                 "token_hash": f"c{i:063d}", "created_at": start} for i, p in enumerate(learners)]
        db.session.execute(insert(Registration), creg)
        rows = db.session.execute(select(Registration.id, Registration.event_id)
                                  .where(Registration.token_hash.like("c%"))).all()
        db.session.execute(insert(Certificate), [
            {"number": f"GCN-{i}", "serial": i, "course_id": course_of[e], "registration_id": r, "verify_token": f"v{i}",
             "learner_name": "x", "course_title": "x", "starts_on": date(2026, 1, 5), "ends_on": date(2026, 3, 5),
             "issuing_unit": "x", "status": "valid", "issued_at": when()} for i, (r, e) in enumerate(rows)])
        # volunteers
        vols = []
        for i in range(200):
            u = User(username=f"bench.tnv{i}", full_name=f"TNV {i}", password_hash="x", active=True)
            db.session.add(u)
            db.session.flush()
            vols.append(VolunteerProfile(user_id=u.id, phone=f"+849{i:08d}", home_commune_code=rnd.choice(communes),
                                         skills=[], languages=[], consent_at=start, status="approved"))
        db.session.add_all(vols)
        db.session.flush()
        shifts = []
        for _ in range(args.shifts):
            t = when()
            shifts.append({"campaign_id": c.id, "commune_code": rnd.choice(communes), "starts_at": t,
                           "ends_at": t + timedelta(hours=4), "min_needed": 1, "max_needed": 3})
        db.session.execute(insert(Shift), shifts)
        shift_ids = db.session.scalars(select(Shift.id)).all()
        db.session.execute(insert(Signup), [
            {"shift_id": s, "volunteer_id": vols[i % len(vols)].id, "status": "confirmed", "hours": 4.0,
             "households_visited": 3, "vneid_installed": 2, "vneid_verified": 1, "public_service_accounts": 1,
             "queued_at": start} for i, s in enumerate(shift_ids)])
        signup_ids = db.session.scalars(select(Signup.id)).all()
        db.session.execute(insert(SignupHelped), [{"signup_id": s, "target_group": "adults", "people": 5}
                                                  for s in signup_ids])
        db.session.commit()
        campaign_id, coord_id = c.id, coord.session_token
        if db.engine.dialect.name == "postgresql":  # fresh planner statistics, as autovacuum keeps them
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
    setup = time.perf_counter() - t0
    facts_note = "no daily facts (this code has none)"
    if not args.live:
        try:
            from campaign.reports import facts
        except ImportError:
            facts = None
        if facts is not None:
            with app.app_context():
                t1 = time.perf_counter()
                n = facts.rebuild(campaign_id)
                db.session.commit()
                built = time.perf_counter() - t1
                if db.engine.dialect.name == "postgresql":  # as autovacuum does after a bulk write
                    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                        conn.execute(text("ANALYZE report_daily_facts"))
                        conn.execute(text("ANALYZE report_learner_facts"))
                t1 = time.perf_counter()
                changed = facts.refresh(campaign_id)
                db.session.commit()
                facts_note = (f"daily facts: rebuilt {n} rows in {built:.2f} s; a refresh with nothing changed "
                              f"{time.perf_counter() - t1:.2f} s ({changed} rows written)")
    else:
        app.config["REPORTS_FACTS"] = False
        facts_note = "daily facts switched off (--live): counted from the records"

    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(coord_id)
        sess["_fresh"] = True
    with app.app_context():
        engine = db.engine
    count = [0]
    event.listen(engine, "before_cursor_execute", lambda *a, **k: count.__setitem__(0, count[0] + 1))
    print(f"dashboard bench on {engine.dialect.name}: 95 communes, {args.registrations} registrations, "
          f"{len(learners)} certificates, {args.shifts} shifts; setup {setup:.1f} s; load {os.getloadavg()}")
    print(f"  {facts_note}")
    def timed(label: str, url: str, times: int = 1) -> None:
        spent, cpu = [], []
        for _ in range(times):
            count[0] = 0
            t, c0 = time.perf_counter(), time.process_time()
            resp = client.get(url)
            spent.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c0)
            assert resp.status_code == 200, resp.status_code
        spent.sort()
        cpu.sort()
        more = f" (median of {times}; app CPU {cpu[times // 2] * 1000:.0f} ms)" if times > 1 else ""
        print(f"  GET {label}: {spent[times // 2] * 1000:.0f} ms{more}, {count[0]} SQL queries")

    timed("dashboard whole campaign (first)", f"/reports/campaigns/{campaign_id}?as_of=2026-12-31")
    timed("dashboard whole campaign (again)", f"/reports/campaigns/{campaign_id}?as_of=2026-12-31", args.repeat)
    timed("dashboard Q2, adults", f"/reports/campaigns/{campaign_id}?quarter=2026-Q2&group=adults", args.repeat)
    timed("report.xlsx", f"/reports/campaigns/{campaign_id}/report.xlsx?as_of=2026-12-31", args.repeat)


if __name__ == "__main__":
    main()
