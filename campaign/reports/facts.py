"""Per-commune daily facts (issue 16 item 7): the additive counts of the dashboard's figures, per
campaign, commune and local day (Asia/Ho_Chi_Minh), so that a province dashboard reads ~30,000 fact rows
instead of every registration, certificate and shift.

What a fact row holds (``models.DailyFact``; a campaign's OWN records, its sub-campaigns have their own):
- registrations: confirmed registrations made that day on the campaign's events (the event's commune);
- certificates: valid certificates issued that day (commune: the class's, else the learner's);
- shifts, places needed / filled, shifts filled, hours, VNeID, accounts, households visited: the
  volunteer shifts starting that day, computed per shift by ``volunteers.services.outcome_statements``
  (the one definition of a filled shift), summed per commune and day;
- helped: people helped on the shifts starting that day (rows "helped:<target group>": of one group).
Learner facts (``models.LearnerFact``): per commune, day, class audience and learner, the valid
certificates issued and the learner's household: the distinct counts (people trained, households
trained) are counted from them exactly as from the certificates, over any period, without the joins.
The small tables (classes held, 10/10 activities, bridge points, teams, programmes) are not kept here:
``metrics`` counts them from the records in the same UNION ALL.

Kept current by ``refresh(campaign_id)``: under a per-campaign lock (PostgreSQL advisory lock; SQLite
writes one at a time), the counts are computed again from the records and compared with the stored
rows; only the rows that changed are written, vanished ones deleted (running it twice, or at once from
several processes, gives the same rows). ``rebuild`` rewrites a campaign's rows in one INSERT ... SELECT.
The messages tick (``reports/ticks.py``) refreshes every current campaign whose facts are missing or older
than ``REPORTS_FACTS_PERIOD`` seconds. ``metrics.progress`` reads the facts only when every campaign of the
tree has facts younger than ``REPORTS_FACTS_MAX_AGE``; otherwise it counts from the records (the same
figures, slower), so a missing or abandoned fact never shows as a zero. Reading never writes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Date, String, and_, cast, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from campaign.campaigns.models import Campaign
from campaign.core.types import utcnow
from campaign.courses.models import Certificate, Course
from campaign.events.models import Event, Person, Registration
from campaign.extensions import db
from campaign.reports.models import NO_COMMUNE, VALUE_COLUMNS, DailyFact, FactState, LearnerFact
from campaign.volunteers.models import Shift, Signup, SignupHelped
from campaign.volunteers.services import outcome_statements

PERIOD = 300  # seconds: the tick refreshes facts older than this (REPORTS_FACTS_PERIOD)
MAX_AGE = 900  # seconds: facts older than this are not read, the figures are counted live (REPORTS_FACTS_MAX_AGE)
KEEP_AFTER_END = 90  # days after a campaign's end during which the tick still refreshes its facts
LOCK_CLASS = 1622  # pg_advisory_xact_lock(LOCK_CLASS, campaign id)
KEY = ("grp", "commune_code", "day")


def period() -> int:
    return int(current_app.config.get("REPORTS_FACTS_PERIOD", PERIOD))


def max_age() -> int:
    return int(current_app.config.get("REPORTS_FACTS_MAX_AGE", MAX_AGE))


def enabled() -> bool:
    return bool(current_app.config.get("REPORTS_FACTS", True))


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def local_day(col):
    """The local day (Asia/Ho_Chi_Minh) of a UTC moment, as a date."""
    if _dialect() == "postgresql":
        return cast(func.timezone("Asia/Ho_Chi_Minh", col), Date)
    return func.date(col, "+7 hours")


def _row(commune, day, grp, **values):
    """A source's columns in the facts' order (zeros for the values it does not give)."""
    cols = [func.coalesce(commune, NO_COMMUNE).label("commune_code"), day.label("day"), grp.label("grp")]
    for name in VALUE_COLUMNS:
        cols.append(func.coalesce(values[name], 0).label(name) if name in values else literal(0).label(name))
    return cols


def source(campaign_id: int):
    """The facts of one campaign computed from its records: a SELECT (commune_code, day, grp, values...)."""
    ev = aliased(Event)
    ids = [campaign_id]
    regs_day = local_day(Registration.created_at)
    regs = (select(*_row(ev.commune_code, regs_day, literal("", String), registrations=func.count(Registration.id)))
            .select_from(Registration).join(ev, ev.id == Registration.event_id)
            .where(ev.campaign_id == campaign_id, Registration.status == "confirmed")
            .group_by(ev.commune_code, regs_day))
    cev = aliased(Event)
    cert_commune = func.coalesce(cev.commune_code, Person.commune_code)
    cert_day = local_day(Certificate.issued_at)
    certs = (select(*_row(cert_commune, cert_day, literal("", String), certificates=func.count(Certificate.id)))
             .select_from(Certificate).join(Course, Course.id == Certificate.course_id)
             .join(cev, cev.id == Course.event_id)
             .join(Registration, Registration.id == Certificate.registration_id)
             .join(Person, Person.id == Registration.person_id)
             .where(cev.campaign_id == campaign_id, Certificate.status == "valid")
             .group_by(cert_commune, cert_day))
    per_day, _helped = outcome_statements(ids, by=local_day(Shift.starts_at))
    o = per_day.subquery()
    oc = list(o.c)  # commune, day, shifts, needed, filled, full, hours, vneid, psa, hh
    outcomes = select(*_row(oc[0], oc[1], literal("", String), shifts=oc[2], places_needed=oc[3],
                            places_filled=oc[4], shifts_filled=oc[5], hours=oc[6], vneid=oc[7], accounts=oc[8],
                            households=oc[9]))
    shift_day = local_day(Shift.starts_at)

    def helped(grp):
        return (select(*_row(Shift.commune_code, shift_day, grp, helped=func.sum(SignupHelped.people)))
                .select_from(SignupHelped).join(Signup, Signup.id == SignupHelped.signup_id)
                .join(Shift, Shift.id == Signup.shift_id)
                .where(Shift.campaign_id == campaign_id, Signup.status == "confirmed")
                .group_by(Shift.commune_code, shift_day, grp))

    every = helped(literal("", String))  # every target group, in the "" row
    of_group = helped(literal("helped:", String) + SignupHelped.target_group)
    u = union_all(regs, certs, outcomes, every, of_group).subquery()
    return (select(literal(campaign_id).label("campaign_id"), *[u.c[k] for k in KEY],
                   *[func.sum(u.c[name]).label(name) for name in VALUE_COLUMNS])
            .where(u.c.day.is_not(None))
            .group_by(*[u.c[k] for k in KEY]))


def learner_source(campaign_id: int):
    """The learner facts of one campaign: per commune (the class's, else the learner's), local day, class
    audience and learner, the valid certificates issued and the learner's household."""
    cev = aliased(Event)
    commune = func.coalesce(cev.commune_code, Person.commune_code, NO_COMMUNE)
    day = local_day(Certificate.issued_at)
    audience = func.coalesce(Course.audience, "")
    household = cast(Person.village_id, String) + literal("/", String) + Person.household_code
    return (select(literal(campaign_id).label("campaign_id"), commune.label("commune_code"), day.label("day"),
                   audience.label("audience"), Registration.person_id.label("person_id"),
                   func.max(household).label("household"), func.count(Certificate.id).label("certificates"))
            .select_from(Certificate).join(Course, Course.id == Certificate.course_id)
            .join(cev, cev.id == Course.event_id)
            .join(Registration, Registration.id == Certificate.registration_id)
            .join(Person, Person.id == Registration.person_id)
            .where(cev.campaign_id == campaign_id, Certificate.status == "valid")
            .group_by(commune, day, audience, Registration.person_id))


# (table, its source, key columns after campaign_id, value columns)
TABLES = ((DailyFact.__table__, source, KEY, VALUE_COLUMNS),
          (LearnerFact.__table__, learner_source, ("commune_code", "day", "audience", "person_id"),
           ("household", "certificates")))


def _lock(campaign_id: int) -> None:
    """Serialise the refreshes of one campaign (until the transaction ends). On SQLite the state row's
    write below takes the database's write lock first."""
    if _dialect() == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(LOCK_CLASS, campaign_id)))


def _insert(table):
    if _dialect() == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def _mark(campaign_id: int, rows: int, changed: int, when: datetime) -> None:
    stmt = _insert(FactState.__table__).values(campaign_id=campaign_id, refreshed_at=when, rows=rows, changed=changed)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=["campaign_id"],
        set_={"refreshed_at": stmt.excluded.refreshed_at, "rows": stmt.excluded.rows,
              "changed": stmt.excluded.changed}))


def _count(table, campaign_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(table).where(table.c.campaign_id == campaign_id)) or 0


def rebuild(campaign_id: int) -> int:
    """Rewrite a campaign's facts from its records (per table one DELETE, one INSERT ... SELECT). Returns
    the rows. The caller commits."""
    when = utcnow()
    _lock(campaign_id)
    _mark(campaign_id, 0, 0, when)
    n = 0
    for table, src, key, values in TABLES:
        db.session.execute(table.delete().where(table.c.campaign_id == campaign_id))
        db.session.execute(table.insert().from_select(["campaign_id", *key, *values], src(campaign_id)))
        n += _count(table, campaign_id)
    _mark(campaign_id, n, n, when)
    return n


def refresh(campaign_id: int) -> int:
    """Bring a campaign's facts up to date with its records, writing only what changed: the rows whose key
    vanished are deleted, the others upserted (INSERT ... ON CONFLICT DO UPDATE where a value differs).
    Idempotent, and safe at once from several processes (the lock). Facts never built: ``rebuild``.
    Returns the rows changed. The caller commits."""
    when = utcnow()
    _lock(campaign_id)
    if db.session.scalar(select(FactState.refreshed_at).where(FactState.campaign_id == campaign_id)) is None:
        return rebuild(campaign_id)
    _mark(campaign_id, 0, 0, when)  # takes SQLite's write lock before reading
    changed = rows = 0
    for table, src, key, values in TABLES:
        new = src(campaign_id).subquery("new")
        same_key = and_(*[new.c[k] == table.c[k] for k in key])
        changed += db.session.execute(table.delete().where(
            table.c.campaign_id == campaign_id,
            ~exists(select(literal(1)).select_from(new).where(same_key)))).rowcount or 0
        ins = _insert(table).from_select(["campaign_id", *key, *values], src(campaign_id))
        changed += len(db.session.execute(ins.on_conflict_do_update(  # the rows inserted or changed
            index_elements=["campaign_id", *key], set_={v: ins.excluded[v] for v in values},
            where=or_(*[table.c[v].is_distinct_from(ins.excluded[v]) for v in values]))
            .returning(table.c.campaign_id)).all())
        rows += _count(table, campaign_id)
    _mark(campaign_id, rows, changed, when)
    return changed


def states(campaign_ids: list[int]) -> dict[int, datetime]:
    """campaign -> when its facts were computed (campaigns without facts left out): one query."""
    return dict(db.session.execute(select(FactState.campaign_id, FactState.refreshed_at)
                                   .where(FactState.campaign_id.in_(list(campaign_ids)))).all())


def due(now: datetime | None = None) -> list[int]:
    """The campaigns the tick refreshes: facts never built or older than the period, for every campaign
    not ended more than ``KEEP_AFTER_END`` days ago and every campaign under one (a sub-campaign's facts
    are part of its parent's dashboard): two queries."""
    now = now or utcnow()
    today = (now + timedelta(hours=7)).date()
    rows = db.session.execute(select(Campaign.id, Campaign.parent_id, Campaign.ends_on)).all()
    parent = {cid: pid for cid, pid, _ in rows}
    current = {cid for cid, _, ends in rows if ends >= today - timedelta(days=KEEP_AFTER_END)}

    def wanted(cid, seen=()):
        return cid in current or (parent.get(cid) is not None and cid not in seen
                                  and wanted(parent[cid], (*seen, cid)))

    fresh = set(db.session.scalars(select(FactState.campaign_id).where(
        FactState.refreshed_at > now - timedelta(seconds=period()))))
    return sorted(cid for cid in parent if wanted(cid) and cid not in fresh)


def usable(refreshed: dict[int, datetime | None], ids: list[int], now: datetime | None = None) -> datetime | None:
    """When the facts of all these campaigns were computed (the oldest), if every one has facts younger
    than ``REPORTS_FACTS_MAX_AGE``; else None: the figures are then counted from the records (never a
    silent zero for facts not built yet, nor a figure left behind by a tick that stopped running)."""
    if not enabled() or not ids:
        return None
    times = [refreshed.get(cid) for cid in ids]
    if any(t is None for t in times):
        return None
    oldest = min(times)
    return oldest if oldest > (now or utcnow()) - timedelta(seconds=max_age()) else None


def rebuild_all(campaign_ids: list[int] | None = None) -> dict[int, int]:
    """Rebuild the facts of these campaigns (all by default): campaign -> rows. The caller commits."""
    ids = campaign_ids if campaign_ids is not None else list(db.session.scalars(select(Campaign.id)
                                                                                 .order_by(Campaign.id)))
    return {cid: rebuild(cid) for cid in ids}
