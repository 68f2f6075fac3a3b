"""The "report due" reminder through the messages outbox (queued once per period, commune, officer and
occasion, however often the tick runs) and the home cards."""

from datetime import date, datetime, timedelta

from sqlalchemy import select

from campaign.core.timeutil import LOCAL_TZ, local_today
from campaign.extensions import db
from campaign.filings import services, ticks, today
from campaign.filings.models import ReportPeriod
from campaign.messages import outbox
from campaign.messages.models import Message
from campaign.units.models import Commune
from tests.conftest import KHANH_HOA, LONG_THANH, TRAN_BIEN

TEXTS = {"results": "Kết quả", "difficulties": "", "proposals": ""}


def _due():
    return list(db.session.scalars(select(Message).where(Message.kind == "report_due").order_by(Message.id)))


def test_report_due_is_queued_once_per_commune_officer_and_occasion(app, factory, filing):
    period = filing["period"]  # due 14/07/2026
    officer_a = factory.user("commune_officer", commune=TRAN_BIEN, commit=False)
    officer_a.email = "tranbien@example.vn"
    officer_a2 = factory.user("commune_officer", commune=TRAN_BIEN, commit=False)
    officer_a2.email = "tranbien2@example.vn"
    officer_b = factory.user("commune_officer", commune=LONG_THANH, commit=False)
    officer_b.email = "longthanh@example.vn"
    kh = db.session.scalar(select(Commune.code).where(Commune.province_code == KHANH_HOA).limit(1))
    elsewhere = factory.user("commune_officer", commune=kh, commit=False)
    elsewhere.email = "kh@example.vn"
    db.session.commit()
    services.submit(officer_b, period, db.session.get(Commune, LONG_THANH), TEXTS, date(2026, 7, 1))
    db.session.commit()

    too_early = datetime(2026, 7, 1, 9, 0, tzinfo=LOCAL_TZ)  # 13 days before
    assert ticks.queue_due(too_early) == 0
    night = datetime(2026, 7, 7, 6, 30, tzinfo=LOCAL_TZ)  # 7 days before, but before 07:00
    assert ticks.queue_due(night) == 0
    week_before = datetime(2026, 7, 7, 7, 5, tzinfo=LOCAL_TZ)
    assert ticks.queue_due(week_before) == 2  # Trấn Biên's two officers; Long Thành submitted
    db.session.commit()
    assert ticks.queue_due(week_before) == 0  # the tick again: nothing new
    assert ticks.queue_due(week_before + timedelta(days=2)) == 0  # still the 7-day occasion
    db.session.commit()
    day_before = datetime(2026, 7, 13, 8, 0, tzinfo=LOCAL_TZ)
    assert ticks.queue_due(day_before) == 2
    db.session.commit()
    assert ticks.queue_due(day_before + timedelta(hours=3)) == 0
    assert ticks.queue_due(datetime(2026, 7, 15, 8, 0, tzinfo=LOCAL_TZ)) == 0  # past the deadline
    rows = _due()
    assert len(rows) == 4
    assert sorted((m.user_id, m.occasion) for m in rows) == sorted(
        (u.id, f"{TRAN_BIEN}:{d}d") for u in (officer_a, officer_a2) for d in (7, 1))
    assert {m.object_type for m in rows} == {"report_period"} and {m.object_id for m in rows} == {period.id}
    out = outbox.render(rows[0])
    assert "Hạn nộp báo cáo 14/07/2026" in out.subject and "Phường Trấn Biên" in out.subject
    assert f"/filings/periods/{period.id}/communes/{TRAN_BIEN}" in out.text


def test_the_messages_tick_queues_the_reminder_once_when_run_twice(app, factory, filing):
    t = local_today()
    period = ReportPeriod(campaign_id=filing["campaign"].id, name="Kỳ này", starts_on=t - timedelta(days=30),
                          ends_on=t, due_on=t + timedelta(days=1))
    db.session.add(period)
    officer = factory.user("commune_officer", commune=TRAN_BIEN, commit=False)
    officer.email = "tranbien@example.vn"
    db.session.commit()
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["messages", "tick", "--no-deliver"])
        assert result.exit_code == 0, result.output
    db.session.expire_all()
    rows = [m for m in _due() if m.object_id == period.id]
    opened = datetime.now(LOCAL_TZ).time() >= ticks.SEND_FROM
    assert len(rows) == (1 if opened else 0)
    if opened:
        assert rows[0].user_id == officer.id and rows[0].occasion == f"{TRAN_BIEN}:1d"


def test_cards_for_officers_and_coordinators(app, factory, filing):
    period = filing["period"]  # due 14/07/2026
    officer_a = factory.user("commune_officer", commune=TRAN_BIEN)
    officer_b = factory.user("commune_officer", commune=LONG_THANH)
    coord = factory.user("province_coordinator")
    services.submit(officer_b, period, db.session.get(Commune, LONG_THANH), TEXTS, date(2026, 7, 1))
    db.session.commit()
    with app.test_request_context():
        cards = today.cards(officer_a, date(2026, 7, 10))
        assert [c.kind for c in cards] == ["report_due"]
        assert cards[0].title == "Hạn nộp báo cáo: 14/07"
        assert cards[0].url == f"/filings/periods/{period.id}/communes/{TRAN_BIEN}"
        assert today.cards(officer_b, date(2026, 7, 10)) == []  # submitted
        assert [c.kind for c in today.cards(officer_a, date(2026, 7, 20))] == ["report_late"]
        assert today.cards(coord, date(2026, 7, 10)) == []  # not late yet
        late = today.cards(coord, date(2026, 7, 20))
        n = db.session.query(Commune).filter_by(province_code=filing["campaign"].province_code).count() - 1
        assert [c.kind for c in late] == ["reports_late"] and late[0].count == n
        assert str(n) in late[0].title and late[0].url.endswith(f"/filings/periods/{period.id}?state=late")


def test_the_report_due_reminder_carries_a_stop_link_that_works(app, factory, filing, login_as):
    assert filing["period"].due_on == date(2026, 7, 14)
    officer = factory.user("commune_officer", commune=TRAN_BIEN, commit=False)
    officer.email = "tranbien@example.vn"
    db.session.commit()
    assert ticks.queue_due(datetime(2026, 7, 7, 7, 5, tzinfo=LOCAL_TZ)) == 1
    db.session.commit()
    (message,) = _due()
    out = outbox.render(message)
    stop = message.params["unsubscribe_url"]
    assert stop in out.text
    path = stop.split("://", 1)[1].split("/", 1)[1]
    assert app.test_client().post(f"/{path}").status_code == 200  # one click, no account needed
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == "cancelled"
    assert ticks.queue_due(datetime(2026, 7, 13, 8, 0, tzinfo=LOCAL_TZ)) == 0  # switched off: no more
    # the officer's account page shows the kind (switched off) and can switch it on again
    page = login_as(officer).get("/account/messages").text
    assert 'value="report"' in page
