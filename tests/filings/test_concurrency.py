"""Races with real processes: two submissions of one report, and the scheduler run three times at once."""

from datetime import date, datetime

from sqlalchemy import func, select

from campaign.core.timeutil import LOCAL_TZ
from campaign.extensions import db
from campaign.filings import services, ticks
from campaign.filings.models import CommuneReport, ReportPeriod
from campaign.messages.models import Message
from campaign.units.models import Commune
from tests.concurrency import race
from tests.conftest import LONG_THANH, TRAN_BIEN


def submit_in_process(period_id: int, user_id: int, text: str) -> str:
    from campaign.accounts.models import User

    period = db.session.get(ReportPeriod, period_id)
    services.submit(db.session.get(User, user_id), period, db.session.get(Commune, TRAN_BIEN),
                    {"results": text}, date(2026, 7, 1))
    db.session.commit()
    return "ok"


def tick_in_process(iso: str) -> int:
    n = ticks.queue_due(datetime.fromisoformat(iso))
    db.session.commit()
    return n


def test_two_submissions_at_once_one_wins(app, factory, filing):
    period = filing["period"]
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    services.save_draft(officer, period, db.session.get(Commune, TRAN_BIEN), {"results": "nháp"})
    db.session.commit()
    results = race("tests.filings.test_concurrency:submit_in_process",
                   [(period.id, officer.id, "Bản A"), (period.id, officer.id, "Bản B")],
                   app.config["SQLALCHEMY_DATABASE_URI"])
    assert sorted(r == "ok" for r in results) == [False, True], results
    db.session.expire_all()
    rep = db.session.scalar(select(CommuneReport).where(CommuneReport.period_id == period.id))
    winner = "Bản A" if results[0] == "ok" else "Bản B"
    assert rep.status == "submitted" and rep.results == rep.snapshot["results"] == winner


def test_the_scheduler_three_times_at_once_queues_each_reminder_once(app, factory, filing):
    period = filing["period"]
    for code in (TRAN_BIEN, TRAN_BIEN, LONG_THANH):
        user = factory.user("commune_officer", commune=code, commit=False)
        user.email = f"{user.username}@example.vn"
    db.session.commit()
    when = datetime(2026, 7, 13, 9, 0, tzinfo=LOCAL_TZ).isoformat()
    results = race("tests.filings.test_concurrency:tick_in_process", [(when,)] * 3,
                   app.config["SQLALCHEMY_DATABASE_URI"])
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 3
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Message).where(
        Message.kind == "report_due", Message.object_id == period.id)) == 3
