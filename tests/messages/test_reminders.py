"""Reminders: queued once however often (and from however many processes) the tick runs; 24 h and
2 h before by default, configurable per kind; quiet at night; every reminder can stop them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from campaign.core.timeutil import LOCAL_TZ
from campaign.events.models import Registration
from campaign.extensions import db
from campaign.messages import outbox, reminders
from campaign.messages.models import Message
from tests.concurrency import race
from tests.messages.helpers import links, make_event, messages, register, text_of


def registered_long_ago() -> None:
    db.session.execute(update(Registration).values(created_at=datetime.now(UTC) - timedelta(days=7)))
    db.session.commit()


def reminder_rows() -> list[Message]:
    return messages(kind="reminder")


def test_tick_queues_each_reminder_once_24h_and_2h_before(app, mailbox):
    start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=3, minute=0, second=0, microsecond=0)  # 10:00
    event = make_event(starts_at=start)
    for i in range(3):
        register(event, name=f"Người {i}", email=f"p{i}@example.vn")
    registered_long_ago()
    at_24h = start - timedelta(hours=24) + timedelta(minutes=1)
    assert reminders.queue_due_reminders(now=at_24h) == 3
    db.session.commit()
    assert reminders.queue_due_reminders(now=at_24h) == 0
    assert reminders.queue_due_reminders(now=at_24h + timedelta(minutes=30)) == 0
    db.session.commit()
    assert len(reminder_rows()) == 3
    at_2h = start - timedelta(hours=2) + timedelta(minutes=1)
    assert reminders.queue_due_reminders(now=at_2h) == 3
    db.session.commit()
    rows = reminder_rows()
    assert sorted({r.occasion.split("@")[0] for r in rows}) == ["24h", "2h"]
    outbox.deliver_due(now=at_2h)
    mails = [m for m in mailbox.wait_for(9) if "Nhắc lịch" in m["Subject"]]
    assert len(mails) == 6
    for mail in mails:
        assert mail["List-Unsubscribe"].startswith("<http://campaign.test/messages/stop/")
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert any("/messages/stop/" in u for u in links(text_of(mail)))


def test_a_moved_event_gets_reminders_for_its_new_start(app):
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    event = make_event(starts_at=start.replace(hour=3, minute=0, second=0))
    register(event, phone="0912345678")
    registered_long_ago()
    at = event.starts_at - timedelta(hours=24)
    assert reminders.queue_due_reminders(now=at) == 1
    db.session.commit()
    from campaign.events import services as events

    events.update_event(None, event, starts_at=event.starts_at + timedelta(hours=1),
                        ends_at=event.ends_at + timedelta(hours=1))
    db.session.commit()
    assert reminders.queue_due_reminders(now=event.starts_at - timedelta(hours=24)) == 1


def test_no_reminder_for_someone_who_registered_after_its_moment(app):
    start = (datetime.now(UTC) + timedelta(hours=20)).replace(second=0, microsecond=0)
    event = make_event(starts_at=start)
    register(event, phone="0912345678")
    assert reminders.queue_due_reminders(now=datetime.now(UTC)) == 0  # 24 h: registered later
    assert reminders.queue_due_reminders(now=start - timedelta(hours=2)) == 1


def test_quiet_hours_wait_until_seven_unless_the_start_is_sooner():
    local = lambda *a: datetime(*a, tzinfo=LOCAL_TZ)  # noqa: E731
    # due 23:00, start 10:00 the next day: sent at 07:00
    assert reminders.quiet_adjusted(local(2026, 10, 9, 23, 0), local(2026, 10, 10, 10, 0)) == local(2026, 10, 10, 7, 0)
    # due 05:00 for a 06:30 start: 07:00 would be too late, so it goes at 05:00
    assert reminders.quiet_adjusted(local(2026, 10, 10, 5, 0), local(2026, 10, 10, 6, 30)) == local(2026, 10, 10, 5, 0)
    # during the day nothing moves
    assert reminders.quiet_adjusted(local(2026, 10, 10, 8, 0), local(2026, 10, 10, 10, 0)) == local(2026, 10, 10, 8, 0)
    # 21:00 sharp is quiet
    assert reminders.quiet_adjusted(local(2026, 10, 9, 21, 0), local(2026, 10, 10, 21, 0)) == local(2026, 10, 10, 7, 0)


def test_a_reminder_due_at_night_is_queued_for_the_morning(app):
    start = datetime(2030, 10, 10, 8, 0, tzinfo=LOCAL_TZ).astimezone(UTC)  # 08:00; 24 h before is 08:00
    event = make_event(starts_at=start)
    register(event, phone="0912345678")
    registered_long_ago()
    assert reminders.queue_due_reminders(now=start - timedelta(hours=2)) == 1  # due 06:00 local
    [row] = reminder_rows()
    assert row.due_at == datetime(2030, 10, 10, 7, 0, tzinfo=LOCAL_TZ)


def test_offsets_are_configured_per_kind(app):
    app.config["MESSAGES_REMINDERS_EVENT"] = "3"
    start = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    event = make_event(starts_at=start)
    register(event, phone="0912345678")
    registered_long_ago()
    assert reminders.queue_due_reminders(now=start - timedelta(hours=24)) == 0
    assert reminders.queue_due_reminders(now=start - timedelta(hours=3)) == 1
    assert reminders.offsets("shift") == [24, 2]


def test_class_session_and_shift_reminders(app, factory, mailbox):
    from campaign.events import services as events
    from campaign.volunteers.models import Shift, Signup, VolunteerProfile
    from tests.conftest import DONG_NAI, TRAN_BIEN

    start = (datetime.now(UTC) + timedelta(days=4)).replace(hour=2, minute=0, second=0, microsecond=0)
    course = make_event(starts_at=start, ends_at=start + timedelta(days=30), title="Lớp kỹ năng số cơ bản")
    session = events.create_event(None, province_code=DONG_NAI, commune_code=TRAN_BIEN, title="Buổi 1",
                                  kind="class_session", starts_at=start, ends_at=start + timedelta(hours=2),
                                  parent=course, status="published")
    db.session.commit()
    register(course, name="Học viên", email="hocvien@example.vn")
    user = factory.user("volunteer", commit=False)
    user.email = "tnv@example.vn"
    from campaign.campaigns.models import Campaign

    camp = Campaign(province_code=DONG_NAI, name="Mùa hè số", slug="mua-he-so-x", kind="summer",
                    starts_on=start.date() - timedelta(days=30), ends_on=start.date() + timedelta(days=30))
    db.session.add(camp)
    db.session.flush()
    profile = VolunteerProfile(user_id=user.id, phone="+84911111111", home_commune_code=TRAN_BIEN, skills=[],
                               languages=["vi"], consent_at=datetime.now(UTC), status="approved")
    shift = Shift(campaign_id=camp.id, commune_code=TRAN_BIEN, starts_at=start, ends_at=start + timedelta(hours=4),
                  max_needed=2, min_needed=1, location="Ấp 3")
    db.session.add_all([profile, shift])
    db.session.flush()
    db.session.add(Signup(shift_id=shift.id, volunteer_id=profile.id, status="confirmed",
                          created_at=datetime.now(UTC) - timedelta(days=3)))
    db.session.commit()
    registered_long_ago()
    assert reminders.queue_due_reminders(now=start - timedelta(hours=24)) == 3  # course event, session, shift
    db.session.commit()
    kinds = sorted(r.params["reminder_kind"] for r in reminder_rows())
    assert kinds == ["event", "session", "shift"]
    assert {r.object_id for r in reminder_rows() if r.params["reminder_kind"] == "session"} == {session.id}
    outbox.deliver_due(now=start - timedelta(hours=24))
    subjects = sorted(str(m["Subject"]) for m in mailbox.wait_for(4) if "Nhắc lịch" in m["Subject"])
    assert any("ca của bạn" in s for s in subjects)


def test_stopping_reminders_from_the_link(app, mailbox):
    start = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
    event = make_event(starts_at=start)
    reg, _t = register(event, email="hoa@example.vn")
    registered_long_ago()
    reminders.queue_due_reminders(now=start - timedelta(hours=24))
    db.session.commit()
    [row] = reminder_rows()
    stop = row.params["unsubscribe_url"].replace("http://campaign.test", "")
    client = app.test_client()
    page = client.get(stop)
    assert page.status_code == 200 and "Dừng" in page.text
    # one-click (RFC 8058): a POST without a form token
    assert client.post(stop, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    [row] = reminder_rows()
    assert row.status == "cancelled"
    assert reminders.queue_due_reminders(now=start - timedelta(hours=2)) == 0
    # confirmations and changes still go
    from campaign.events import services as events

    events.cancel_event(None, event)
    db.session.commit()
    assert len(messages(kind="cancelled")) == 1
    assert client.get("/messages/stop/forged-token").status_code == 404


def tick_once(at_iso: str) -> int:
    n = reminders.queue_due_reminders(now=datetime.fromisoformat(at_iso))
    db.session.commit()
    return n


def test_the_tick_from_two_processes_at_once_queues_each_reminder_once(app):
    start = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
    event = make_event(starts_at=start)
    for i in range(10):
        register(event, name=f"N{i}", phone=f"09123450{i:02d}")
    registered_long_ago()
    at = (start - timedelta(hours=24)).isoformat()
    results = race("tests.messages.test_reminders:tick_once", [(at,), (at,), (at,)],
                   app.config["SQLALCHEMY_DATABASE_URI"])
    assert sorted(r for r in results if not isinstance(r, tuple)) and sum(results) == 10
    assert len(reminder_rows()) == 10


def test_flask_messages_tick_twice(app, runner):
    start = (datetime.now(UTC) + timedelta(minutes=90)).replace(second=0, microsecond=0)
    event = make_event(starts_at=start)
    register(event, phone="0912345678")
    registered_long_ago()
    first = runner.invoke(args=["messages", "tick"])
    second = runner.invoke(args=["messages", "tick"])
    assert first.exit_code == 0, first.output
    assert "reminders queued: 1" in first.output and "reminders queued: 0" in second.output
    assert len(reminder_rows()) == 1
