"""The outbox end to end through a real local SMTP server: confirmation with a working private link,
waiting-list promotion, changes notified once, rollback sends nothing, retries and failures."""

from __future__ import annotations

from datetime import timedelta

from campaign.core.types import utcnow
from campaign.events import services as events
from campaign.extensions import db
from campaign.messages import outbox
from campaign.messages.models import Message
from tests.messages.helpers import html_of, links, make_event, messages, register, text_of


def test_registration_sends_a_vietnamese_confirmation_with_a_working_private_link(app, mailbox):
    event = make_event()
    reg, token = register(event, email="hoa@example.vn")
    assert outbox.deliver_due()["sent"] == 1
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "hoa@example.vn"
    assert "Bạn đã đăng ký" in mail["Subject"] and "Hướng dẫn cài VNeID" in mail["Subject"]
    text, html = text_of(mail), html_of(mail)
    assert "Chỗ của bạn đã được xác nhận" in text and "<h1" in html
    private = [u for u in links(text) if "/r/" in u]
    assert private == [f"http://campaign.test/r/{token}"]
    assert "Mã vé" in text  # the ticket code
    ticket_link = [u for u in links(text) if "/tickets/" in u][0]
    client = app.test_client()
    assert client.get(private[0].replace("http://campaign.test", "")).status_code == 200
    assert client.get(ticket_link.replace("http://campaign.test", "")).status_code == 200
    [row] = messages()
    assert (row.status, row.attempts, row.channel) == ("sent", 1, "email")
    assert row.params["private_url"] == ""  # the secret is not kept once sent
    assert "List-Unsubscribe" not in mail  # only reminders carry it


def test_a_rolled_back_change_sends_nothing(app):
    event = make_event()
    events.register(event, full_name="Trần Văn Bình", phone="0912345678", consent=True)
    assert db.session.query(Message).count() == 1
    db.session.rollback()
    assert db.session.query(Message).count() == 0
    assert outbox.deliver_due() == {}


def test_registration_through_the_page_delivers_after_commit(app, capsys):
    """No channel configured: the development channel prints, inline once the response is ready."""
    event = make_event()
    client = app.test_client()
    resp = client.post(f"/events/{event.id}", data={"full_name": "Lê Thị Cúc", "phone": "0912 345 678",
                                                    "consent": "y"})
    assert resp.status_code == 302
    [row] = messages()
    assert (row.channel, row.address, row.status) == ("dev", "+84912345678", "sent")
    token = resp.headers["Location"].rsplit("/", 1)[-1]
    assert f"http://campaign.test/r/{token}" in capsys.readouterr().out


def test_a_person_nobody_can_reach_gets_no_message(app, mailbox):
    """Only e-mail is configured and the person gave only a phone: nothing is queued."""
    event = make_event()
    register(event, phone="0912345678")
    assert messages() == []


def test_cancellation_promotes_the_next_person_who_is_told(app, mailbox):
    event = make_event(capacity=1)
    first, _t = register(event, name="Người Một", email="mot@example.vn")
    second, _t = register(event, name="Người Hai", email="hai@example.vn")
    assert second.status == "waitlisted"
    outbox.deliver_due()
    mailbox.wait_for(2)
    events.cancel_registration(first)
    db.session.commit()
    assert outbox.deliver_due()["sent"] == 1
    mails = mailbox.wait_for(3)
    promoted = mailbox.to("hai@example.vn")[-1]
    assert "Đã có chỗ" in promoted["Subject"]
    assert any("/tickets/" in u for u in links(text_of(promoted)))
    assert len(mails) == 3


def test_moving_an_event_notifies_every_registrant_once(app, mailbox):
    event = make_event()
    for i in range(3):
        register(event, name=f"Người {i}", email=f"p{i}@example.vn")
    outbox.deliver_due()
    mailbox.wait_for(3)
    events.update_event(None, event, starts_at=event.starts_at + timedelta(days=1),
                        ends_at=event.ends_at + timedelta(days=1))
    db.session.commit()
    # the hook running again for the same change queues nothing new
    from campaign.messages import hooks

    hooks.event_changed(None, event=event, changes={"starts_at": [event.starts_at, event.starts_at]})
    db.session.commit()
    assert outbox.deliver_due()["sent"] == 3
    mails = mailbox.wait_for(6)
    changed = [m for m in mails if "Thay đổi" in m["Subject"]]
    assert sorted(str(m["To"]) for m in changed) == ["p0@example.vn", "p1@example.vn", "p2@example.vn"]
    # an edit of the description alone tells nobody
    events.update_event(None, event, description="Mang theo điện thoại")
    db.session.commit()
    assert outbox.deliver_due() == {}


def test_cancelling_an_event_tells_everyone_registered(app, mailbox):
    event = make_event()
    register(event, name="A", email="a@example.vn")
    register(event, name="B", email="b@example.vn")
    outbox.deliver_due()
    events.cancel_event(None, event, reason="Mưa bão")
    db.session.commit()
    assert outbox.deliver_due()["sent"] == 2
    mails = [m for m in mailbox.wait_for(4) if "Đã hủy" in m["Subject"]]
    assert len(mails) == 2 and "Mưa bão" in text_of(mails[0])


def test_temporary_smtp_failure_is_retried_with_backoff_then_sent(app, mailbox):
    event = make_event()
    register(event, email="hoa@example.vn")
    mailbox.reject_next = "451 4.7.1 greylisted"
    assert outbox.deliver_due()["retry"] == 1
    [row] = messages()
    assert row.status == "queued" and row.attempts == 1 and "451" in row.last_error
    assert row.due_at > utcnow() + timedelta(seconds=50)
    assert outbox.deliver_due() == {}  # not due yet
    assert outbox.deliver_due(now=row.due_at + timedelta(seconds=1))["sent"] == 1
    [row] = messages()
    assert row.status == "sent" and row.attempts == 2 and row.last_error == ""
    assert len(mailbox.wait_for(1)) == 1


def test_permanent_smtp_failure_fails_with_the_reason(app, mailbox):
    event = make_event()
    register(event, email="nobody@example.vn")
    mailbox.reject_next = "550 5.1.1 no such user"
    assert outbox.deliver_due()["failed"] == 1
    [row] = messages()
    assert row.status == "failed" and "550" in row.last_error


def test_after_the_last_attempt_a_temporary_failure_fails(app):
    app.config["MESSAGES_SMTP_URL"] = "smtp://127.0.0.1:9"  # nothing listens there
    app.config["MESSAGES_MAX_ATTEMPTS"] = 2
    event = make_event()
    register(event, email="hoa@example.vn")
    assert outbox.deliver_due()["retry"] == 1
    [row] = messages()
    assert outbox.deliver_due(now=row.due_at + timedelta(seconds=1))["failed"] == 1
    [row] = messages()
    assert row.status == "failed" and row.attempts == 2


def test_claims_never_overlap_and_an_expired_lease_is_claimed_again(app):
    event = make_event()
    for i in range(5):
        register(event, name=f"N{i}", phone=f"09123456{i:02d}")
    first = outbox.claim(3)
    second = outbox.claim(10)
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)
    assert outbox.claim(10) == []
    later = utcnow() + timedelta(seconds=outbox.LEASE_SECONDS + 1)
    assert sorted(outbox.claim(10, now=later)) == sorted(first + second)
    assert {m.attempts for m in messages()} == {2}


def test_a_message_goes_in_the_persons_language(app, mailbox):
    from campaign.messages import hooks, services

    event = make_event()
    reg, token = events.register(event, full_name="John Smith", consent=True)
    pref = services.preference_for(person_id=reg.person_id)
    pref.email, pref.language = "john@example.com", "en"
    db.session.execute(Message.__table__.delete())
    hooks.registration_created(None, registration=reg, token=token)
    db.session.commit()
    outbox.deliver_due()
    [mail] = mailbox.wait_for(1)
    assert mail["Subject"] == "You are registered: Hướng dẫn cài VNeID"
    assert "Your place is confirmed." in text_of(mail)
