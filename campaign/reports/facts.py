"""Per-commune daily facts (issue 16 item 7): the additive counts of the dashboard's figures, per
campaign, commune and local day (Asia/Ho_Chi_Minh), so that a province dashboard reads ~30,000 fact rows
instead of every registration, certificate and shift.

What a fact row holds (``models.DailyFact``; a campaign's OWN records, its sub-campaigns have their own):
- registrations: confirmed registrations made that day on the campaign's events (the event's commune);
- certificates (rows "aud:<class audience>"): valid certificates issued that day (commune: the class's,
  else the learner's);
- shifts, places needed / filled, shifts filled, hours, VNeID, accounts, households visited: the
  volunteer shifts starting that day, computed per shift by ``volunteers.services.outcome_statements``
  (the one definition of a filled shift), summed per commune and day;
- helped (rows "helped:<target group>"): people helped on the shifts starting that day.
Distinct counts (people trained, households trained) and the small tables (classes held, 10/10
activities, bridge points, teams, programmes) are not kept here: ``metrics`` counts them from the
records in the same UNION ALL.

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

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import Date, String, and_, bindparam, cast, delete, func, literal, select, union_all
from sqlalchemy.orm import aliased

from campaign.campaigns.models import Campaign
from campaign.core.types import utcnow
from campaign.courses.models import Certificate, Course
from campaign.events.models import Event, Person, Registration
from campaign.extensions import db
from campaign.reports.models import NO_COMMUNE, VALUE_COLUMNS, DailyFact, FactState
from campaign.volunteers.models import Shift, Signup, SignupHelped
from campaign.volunteers.services import outcome_statements

PERIOD = 300  # seconds: the tick refreshes facts older than this (REPORTS_FACTS_PERIOD)
MAX_AGE = 900  # seconds: facts older than this are not read, the figures are counted live (REPORTS_FACTS_MAX_AGE)
KEEP_AFTER_END = 90  # days after a campaign's end during which the tick still refreshes its facts
LOCK_CLASS = 1622  # pg_advisory_xact_lock(LOCK_CLASS, campaign id)
KEY = ("commune_code", "day", "grp")


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
    cert_grp = literal("aud:", String) + func.coalesce(Course.audience, "")
    certs = (select(*_row(cert_commune, cert_day, cert_grp, certificates=func.count(Certificate.id)))
             .select_from(Certificate).join(Course, Course.id == Certificate.course_id)
             .join(cev, cev.id == Course.event_id)
             .join(Registration, Registration.id == Certificate.registration_id)
             .join(Person, Person.id == Registration.person_id)
             .where(cev.campaign_id == campaign_id, Certificate.status == "valid")
             .group_by(cert_commune, cert_day, cert_grp))
    per_day, _helped = outcome_statements(ids, by=local_day(Shift.starts_at))
    o = per_day.subquery()
    oc = list(o.c)  # commune, day, shifts, needed, filled, full, hours, vneid, psa, hh
    outcomes = select(*_row(oc[0], oc[1], literal("", String), shifts=oc[2], places_needed=oc[3],
                            places_filled=oc[4], shifts_filled=oc[5], hours=oc[6], vneid=oc[7], accounts=oc[8],
                            households=oc[9]))
    shift_day = local_day(Shift.starts_at)
    helped_grp = literal("helped:", String) + SignupHelped.target_group
    helped = (select(*_row(Shift.commune_code, shift_day, helped_grp, helped=func.sum(SignupHelped.people)))
              .select_from(SignupHelped).join(Signup, Signup.id == SignupHelped.signup_id)
              .join(Shift, Shift.id == Signup.shift_id)
              .where(Shift.campaign_id == campaign_id, Signup.status == "confirmed")
              .group_by(Shift.commune_code, shift_day, helped_grp))
    u = union_all(regs, certs, outcomes, helped).subquery()
    return (select(literal(campaign_id).label("campaign_id"), u.c.commune_code, u.c.day, u.c.grp,
                   *[func.sum(u.c[name]).label(name) for name in VALUE_COLUMNS])
            .where(u.c.day.is_not(None))
            .group_by(u.c.commune_code, u.c.day, u.c.grp))


def _lock(campaign_id: int) -> None:
    """Serialise the refreshes of one campaign (until the transaction ends). On SQLite the state row's
    write below takes the database's write lock first."""
    if _dialect() == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(LOCK_CLASS, campaign_id)))


def _mark(campaign_id: int, rows: int, changed: int, when: datetime) -> None:
    if _dialect() == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(FactState).values(campaign_id=campaign_id, refreshed_at=when, rows=rows, changed=changed)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=[FactState.campaign_id],
        set_={"refreshed_at": stmt.excluded.refreshed_at, "rows": stmt.excluded.rows,
              "changed": stmt.excluded.changed}))


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _values(row) -> tuple:
    return tuple(round(float(v or 0), 4) for v in row)


def rebuild(campaign_id: int) -> int:
    """Rewrite a campaign's facts from its records (one DELETE, one INSERT ... SELECT). The caller commits."""
    when = utcnow()
    _lock(campaign_id)
    _mark(campaign_id, 0, 0, when)
    db.session.execute(delete(DailyFact).where(DailyFact.campaign_id == campaign_id))
    cols = ["campaign_id", *KEY, *VALUE_COLUMNS]
    db.session.execute(DailyFact.__table__.insert().from_select(cols, source(campaign_id)))
    n = db.session.scalar(select(func.count()).select_from(DailyFact).where(DailyFact.campaign_id == campaign_id))
    _mark(campaign_id, n or 0, n or 0, when)
    return n or 0


def refresh(campaign_id: int) -> int:
    """Bring a campaign's facts up to date with its records, writing only what changed (idempotent; safe
    to run at once from several processes). Facts never built: ``rebuild``. Returns the rows changed.
    The caller commits."""
    when = utcnow()
    _lock(campaign_id)
    had = db.session.scalar(select(FactState.refreshed_at).where(FactState.campaign_id == campaign_id))
    if had is None:
        return rebuild(campaign_id)
    _mark(campaign_id, 0, 0, when)  # takes SQLite's write lock before reading
    t = DailyFact.__table__
    new = {(int(r[1]), _as_date(r[2]), r[3]): _values(r[4:]) for r in db.session.execute(source(campaign_id))}
    old = {(int(r[0]), _as_date(r[1]), r[2]): _values(r[3:]) for r in db.session.execute(
        select(t.c.commune_code, t.c.day, t.c.grp, *[t.c[n] for n in VALUE_COLUMNS])
        .where(t.c.campaign_id == campaign_id))}

    def params(key, values=None):
        out = {"c": campaign_id, "k_commune": key[0], "k_day": key[1], "k_grp": key[2]}
        if values is not None:
            out.update({f"v_{n}": v for n, v in zip(VALUE_COLUMNS, values, strict=True)})
        return out

    match = and_(t.c.campaign_id == bindparam("c"), t.c.commune_code == bindparam("k_commune"),
                 t.c.day == bindparam("k_day"), t.c.grp == bindparam("k_grp"))
    gone = [params(k) for k in old if k not in new]
    changed = [params(k, v) for k, v in new.items() if k in old and old[k] != v]
    added = [{"campaign_id": campaign_id, "commune_code": k[0], "day": k[1], "grp": k[2],
              **dict(zip(VALUE_COLUMNS, v, strict=True))} for k, v in new.items() if k not in old]
    if gone:
        db.session.execute(t.delete().where(match), gone)
    if changed:
        db.session.execute(t.update().where(match).values({n: bindparam(f"v_{n}") for n in VALUE_COLUMNS}), changed)
    if added:
        db.session.execute(t.insert(), added)
    n_changed = len(gone) + len(changed) + len(added)
    _mark(campaign_id, len(new), n_changed, when)
    return n_changed


def states(campaign_ids: list[int]) -> dict[int, datetime]:
    """campaign -> when its facts were computed (campaigns without facts left out): one query."""
    return dict(db.session.execute(select(FactState.campaign_id, FactState.refreshed_at)
                                   .where(FactState.campaign_id.in_(list(campaign_ids)))).all())


def due(now: datetime | None = None) -> list[int]:
    """The campaigns the tick refreshes: not ended long ago, with facts never built or older than the
    period."""
    now = now or utcnow()
    today = (now + timedelta(hours=7)).date()
    return list(db.session.scalars(
        select(Campaign.id).outerjoin(FactState, FactState.campaign_id == Campaign.id)
        .where(Campaign.ends_on >= today - timedelta(days=KEEP_AFTER_END),
               (FactState.refreshed_at.is_(None)) | (FactState.refreshed_at <= now - timedelta(seconds=period())))
        .order_by(Campaign.id)))


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
