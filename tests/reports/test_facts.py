"""The per-commune daily facts (issue 16 item 7): the figures read from them equal the figures counted
from the records; the refresh is idempotent and safe at once from several threads (PostgreSQL); the
dashboard states their freshness and offers the province a refresh (POST, CSRF); the tick keeps them."""

import random
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import to_local
from campaign.core.types import utcnow
from campaign.courses.models import Certificate
from campaign.events.models import Registration
from campaign.extensions import db
from campaign.reports import facts, metrics, ticks
from campaign.reports.models import DailyFact, FactState, LearnerFact
from campaign.volunteers.models import Shift, Signup
from tests.conftest import DONG_NAI, TRAN_BIEN, csrf_token
from tests.reports.conftest import AS_OF

FILTERS = [dict(), dict(start=date(2026, 4, 1), end=date(2026, 6, 30)), dict(group="adults"),
           dict(group="elderly", start=date(2026, 2, 1), end=date(2026, 9, 30)), dict(group="residents"),
           dict(end=date(2026, 3, 31))]


def _snapshot(board: metrics.Dashboard) -> dict:
    return {"indicators": {ip.indicator.code: (None if ip.achieved is None else round(ip.achieved, 4))
                           for ip in board.indicators},
            "communes": {(r.commune.code, i): round(v, 4) for r in board.communes for i, v in r.achieved.items()},
            "lagging": sorted(r.commune.code for r in board.lagging),
            "unassigned": {m: round(v, 4) for m, v in board.unassigned.items() if v},
            "trend": board.trend}


def _both(app, c, **f):
    """The dashboard's figures read from the facts, and counted live (facts switched off)."""
    as_of = f.pop("as_of", AS_OF)
    with_facts = metrics.progress(c, as_of=as_of, trend=True, **f)
    assert with_facts.facts_at is not None, "the facts were not read"
    app.config["REPORTS_FACTS"] = False
    try:
        live = metrics.progress(c, as_of=as_of, trend=True, **f)
    finally:
        app.config.pop("REPORTS_FACTS")
    assert live.facts_at is None
    return _snapshot(with_facts), _snapshot(live)


def _rows_of(campaign_id: int) -> int:
    return sum(db.session.scalar(select(func.count()).select_from(m).where(m.campaign_id == campaign_id))
               for m in (DailyFact, LearnerFact))


def _all_rows() -> list:
    return [sorted(tuple(r) for r in db.session.execute(select(m.__table__))) for m in (DailyFact, LearnerFact)]


def _mutate(rnd: random.Random, c: Campaign) -> None:
    """Bounded random changes to the records: cancel or confirm registrations, revoke certificates,
    move a shift to another day, cancel signups."""
    regs = db.session.scalars(select(Registration).order_by(Registration.id)).all()
    for r in rnd.sample(regs, min(5, len(regs))):
        r.status = rnd.choice(["confirmed", "cancelled"])
        r.created_at = r.created_at + timedelta(days=rnd.randrange(-3, 4))
    certs = db.session.scalars(select(Certificate).order_by(Certificate.id)).all()
    for cert in rnd.sample(certs, min(2, len(certs))):
        cert.status, cert.revoked_at, cert.revoke_reason = "revoked", cert.issued_at, "sai tên"
    shifts = db.session.scalars(select(Shift).where(Shift.campaign_id == c.id).order_by(Shift.id)).all()
    for s in rnd.sample(shifts, min(2, len(shifts))):
        s.starts_at = s.starts_at + timedelta(days=rnd.randrange(1, 40))
        s.ends_at = s.starts_at + timedelta(hours=4)
    signups = db.session.scalars(select(Signup).order_by(Signup.id)).all()
    for su in rnd.sample(signups, min(2, len(signups))):
        su.status = rnd.choice(["confirmed", "cancelled"])
    db.session.commit()


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_facts_equal_the_live_figures_on_random_data(app, campaign_data, seed):
    rnd = random.Random(seed)
    c = campaign_data(size=rnd.randrange(1, 4), seed=seed)
    # a sub-campaign with records of its own: the tree's facts are summed
    sub = Campaign(province_code=DONG_NAI, name=f"Mùa hè số {seed}", slug=f"mhs-{seed}", parent_id=c.id,
                   starts_on=date(2026, 6, 1), ends_on=date(2026, 8, 31))
    db.session.add(sub)
    db.session.flush()
    db.session.execute(update(Shift).where(Shift.id.in_(select(Shift.id).where(Shift.campaign_id == c.id)
                                                         .order_by(Shift.id).limit(2).scalar_subquery()))
                       .values(campaign_id=sub.id))
    db.session.commit()
    facts.rebuild_all([c.id, sub.id])
    db.session.commit()
    for f in FILTERS:
        got, want = _both(app, c, **dict(f))
        assert got == want, f
    # the records change; a refresh writes only what changed and the figures agree again
    _mutate(rnd, c)
    changed = facts.refresh(c.id) + facts.refresh(sub.id)
    db.session.commit()
    assert changed > 0
    for f in rnd.sample(FILTERS, 3):
        got, want = _both(app, c, **dict(f))
        assert got == want, f
    # idempotent: nothing left to change, the same rows as a rebuild from scratch
    assert facts.refresh(c.id) == 0
    rows = _all_rows()
    facts.rebuild(c.id)
    assert _all_rows() == rows
    db.session.commit()


def test_missing_or_old_facts_are_counted_live_never_zero(app, campaign_data):
    c = campaign_data(size=1, seed=5)
    board = metrics.progress(c, as_of=AS_OF)  # no facts yet: counted from the records
    assert board.facts_at is None
    reg = next(ip for ip in board.indicators if ip.indicator.metric == "registrations")
    assert reg.achieved > 0
    facts.rebuild(c.id)
    db.session.commit()
    assert metrics.progress(c, as_of=AS_OF).facts_at is not None
    # facts older than REPORTS_FACTS_MAX_AGE (the tick stopped): counted live again, the same figure
    db.session.execute(update(FactState).values(refreshed_at=utcnow() - timedelta(hours=2)))
    db.session.commit()
    old = metrics.progress(c, as_of=AS_OF)
    assert old.facts_at is None
    assert next(ip for ip in old.indicators if ip.indicator.metric == "registrations").achieved == reg.achieved


def test_the_tick_refreshes_due_campaigns_and_a_write_shows(app, campaign_data):
    c = campaign_data(size=1, seed=6)
    assert c.id in facts.due(utcnow())  # never built: due
    # a sub-campaign ended long ago stays due while its parent is current (its facts are part of it)
    old = Campaign(province_code=DONG_NAI, name="Mùa hè số 2025", slug="mhs-2025", parent_id=c.id,
                   starts_on=date(2025, 6, 1), ends_on=date(2025, 8, 31))
    alone = Campaign(province_code=DONG_NAI, name="Chiến dịch 2024", slug="cd-2024",
                     starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31))
    db.session.add_all([old, alone])
    db.session.commit()
    now = datetime(2026, 11, 29, 3, tzinfo=UTC)
    assert old.id in facts.due(now) and alone.id not in facts.due(now)
    ticks.queue_due()
    assert db.session.get(FactState, c.id) is not None
    before = metrics.progress(c, as_of=AS_OF)
    reg = next(ip for ip in before.indicators if ip.indicator.metric == "registrations")
    r = db.session.scalars(select(Registration).where(Registration.status == "cancelled")
                           .order_by(Registration.id)).first()
    r.status = "confirmed"
    r.created_at = r.created_at.replace(year=2026, month=3, day=3)
    db.session.commit()
    assert c.id not in facts.due(utcnow())  # within the period: not yet
    later = utcnow() + timedelta(seconds=facts.PERIOD + 1)
    assert c.id in facts.due(later)
    ticks.queue_due(later)
    after = metrics.progress(c, as_of=AS_OF)
    assert after.facts_at is not None
    assert next(ip for ip in after.indicators if ip.indicator.metric == "registrations").achieved == reg.achieved + 1


def _refresh_in_thread(app, campaign_id: int, barrier: threading.Barrier, errors: list, rebuild: bool):
    with app.app_context():
        try:
            barrier.wait(timeout=30)
            (facts.rebuild if rebuild else facts.refresh)(campaign_id)
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            db.session.rollback()
            errors.append(repr(exc))
        finally:
            db.session.remove()


@pytest.mark.parametrize("rebuild", [False, True])
def test_concurrent_refreshes_give_the_same_rows_once(app, campaign_data, rebuild):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite writes one at a time)")
    c = campaign_data(size=2, seed=8)
    if not rebuild:  # facts exist, then the records change: every thread has rows to add, change, delete
        facts.rebuild(c.id)
        db.session.commit()
        _mutate(random.Random(3), c)
    threads, errors = [], []
    barrier = threading.Barrier(4)
    for _ in range(4):
        t = threading.Thread(target=_refresh_in_thread, args=(app, c.id, barrier, errors, rebuild))
        threads.append(t)
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    db.session.expire_all()
    rows = db.session.execute(select(DailyFact.__table__).where(DailyFact.campaign_id == c.id)).all()
    keys = [(r.commune_code, r.day, r.grp) for r in rows]
    assert len(keys) == len(set(keys)) and db.session.get(FactState, c.id).rows == _rows_of(c.id)
    assert facts.refresh(c.id) == 0  # nothing left over, nothing doubled
    got, want = _both(app, c)
    assert got == want


def test_dashboard_states_freshness_and_the_province_refreshes(app, campaign_data, login_as, factory):
    c = campaign_data(size=1, seed=9)
    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    page = coord.get(f"/reports/campaigns/{c.id}?as_of=2026-06-30").text
    assert "Số liệu tính trực tiếp từ hồ sơ lúc" in page  # no facts yet: counted live, said so
    commune_page = f"/reports/campaigns/{c.id}/communes/{TRAN_BIEN}?as_of=2026-06-30"
    assert "Số liệu tính trực tiếp từ hồ sơ lúc" in coord.get(commune_page).text  # the commune page says it too
    resp = coord.post(f"/reports/campaigns/{c.id}/refresh")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/reports/campaigns/{c.id}")
    state = db.session.get(FactState, c.id)
    assert state is not None and state.rows == _rows_of(c.id) > 0
    local = to_local(state.refreshed_at)
    page = coord.get(f"/reports/campaigns/{c.id}?as_of=2026-06-30").text
    assert f"Số liệu cập nhật lúc {local:%H:%M} {local:%d/%m/%Y}" in page
    assert f"Số liệu cập nhật lúc {local:%H:%M} {local:%d/%m/%Y}" in coord.get(commune_page).text
    assert "Số liệu đã được cập nhật." in page


def test_refresh_needs_the_csrf_token(app, campaign_data, login_as, factory):
    c = campaign_data(size=1, seed=10)
    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert coord.post(f"/reports/campaigns/{c.id}/refresh").status_code == 400
        assert db.session.get(FactState, c.id) is None
        token = csrf_token(coord.get(f"/reports/campaigns/{c.id}").text)
        assert coord.post(f"/reports/campaigns/{c.id}/refresh", data={"csrf_token": token}).status_code == 302
        assert db.session.get(FactState, c.id) is not None
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_rebuild_command(app, runner, campaign_data):
    c = campaign_data(size=1, seed=14)
    result = runner.invoke(args=["reports", "facts", "--campaign", str(c.id)])
    assert result.exit_code == 0, result.output
    assert "1 campaigns" in result.output
    db.session.expire_all()
    assert db.session.get(FactState, c.id).rows > 0
    result = runner.invoke(args=["reports", "facts", "--campaign", str(c.id), "--refresh"])
    assert result.exit_code == 0 and "0 rows changed" in result.output
