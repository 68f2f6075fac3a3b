"""Lost links, forgotten password, a person's own page, organisers' messages: through the pages."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import select, update

from campaign.accounts.models import User
from campaign.core.types import utcnow
from campaign.events.models import Person
from campaign.extensions import db, limiter
from campaign.messages import outbox, services
from campaign.messages.models import ContactPreference, Message, OneTimeCode
from tests.conftest import session_login
from tests.messages.helpers import links, make_event, messages, register, text_of


def deliver(mailbox, n: int) -> list:
    outbox.deliver_due()
    return mailbox.wait_for(n)


def code_in(mail) -> str:
    return re.search(r"\b(\d{6})\b", text_of(mail)).group(1)


# --- lost links --------------------------------------------------------------------------------

def test_lost_links_are_sent_to_the_contact_and_never_shown(app, mailbox):
    event = make_event()
    reg, old_token = register(event, email="hoa@example.vn")
    deliver(mailbox, 1)
    client, stranger = app.test_client(), app.test_client()
    known = client.post("/my/links", data={"contact": "Hoa@Example.vn"})
    unknown = stranger.post("/my/links", data={"contact": "ai-do@example.vn"})
    assert (known.status_code, known.headers["Location"]) == (unknown.status_code, unknown.headers["Location"])
    page_known = client.get("/my/links")
    assert page_known.text == stranger.get("/my/links").text  # the same answer, word for word
    assert old_token not in page_known.text
    mails = deliver(mailbox, 2)
    [mail] = [m for m in mails if "lượt đăng ký" in m["Subject"]]
    assert mail["To"] == "hoa@example.vn"
    [new_link] = [u for u in links(text_of(mail)) if "/r/" in u]
    new_token = new_link.rsplit("/", 1)[-1]
    assert new_token != old_token
    assert client.get(f"/r/{new_token}").status_code == 200
    assert client.get(f"/r/{old_token}").status_code == 404  # only the newest link works
    assert len(mailbox.to("ai-do@example.vn")) == 0
    assert client.post("/my/links", data={"contact": "not a contact"}).status_code == 200  # a clear error


def test_lost_links_by_phone_and_the_per_contact_limit(app, gateway):
    app.config.update(MESSAGES_SMS_URL=gateway.url, MESSAGES_SMS_API_KEY="k")
    event = make_event()
    register(event, phone="0912345678")
    client = app.test_client()
    for _ in range(services.PER_CONTACT_PER_HOUR + 2):
        assert client.post("/my/links", data={"contact": "0912 345 678"}).status_code == 302
    sent = messages(kind="lost_links")
    assert len(sent) == services.PER_CONTACT_PER_HOUR
    outbox.deliver_due()
    texts = [r["body"]["text"] for r in gateway.requests if "/r/" in r["body"]["text"]]
    assert any(t.startswith("Cac luot dang ky cua ban:") for t in texts)


def test_the_address_rate_limit_holds(app):
    app.config["MESSAGES_REQUEST_LIMIT"] = "3 per minute"
    limiter.reset()
    client = app.test_client()
    codes = [client.post("/my/links", data={"contact": f"x{i}@example.vn"}).status_code for i in range(4)]
    assert codes == [302, 302, 302, 429]
    assert client.post("/password/forgot", data={"contact": "y@example.vn"}).status_code in (302, 429)
    limiter.reset()


# --- forgotten password ------------------------------------------------------------------------

def make_account(factory, email="tnv@example.vn") -> User:
    user = factory.user("volunteer", commit=False)
    user.email = email
    db.session.commit()
    return user


def test_forgotten_password_by_code_single_use_and_ends_other_sessions(app, factory, mailbox):
    user = make_account(factory)
    other_session = session_login(app.test_client(), user)
    assert other_session.get("/account").status_code == 200 or other_session.get("/today").status_code == 200
    client = app.test_client()
    known = client.post("/password/forgot", data={"contact": "TNV@example.vn"})
    stranger = app.test_client()
    unknown = stranger.post("/password/forgot", data={"contact": "nobody@example.vn"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/password/reset"
    assert client.get("/password/reset").text == stranger.get("/password/reset").text  # the same page
    [mail] = deliver(mailbox, 1)
    assert mail["To"] == "tnv@example.vn"
    code = code_in(mail)
    wrong = "000000" if code != "000000" else "111111"
    bad = client.post("/password/reset", data={"code": wrong, "password": "mat-khau-moi-1", "confirm": "mat-khau-moi-1"})
    assert bad.status_code == 200 and "không hợp lệ" in bad.text
    # the unknown contact's code page refuses any code the same way
    same = stranger.post("/password/reset", data={"code": code, "password": "mat-khau-moi-1",
                                                  "confirm": "mat-khau-moi-1"})
    assert same.status_code == 200 and "không hợp lệ" in same.text
    ok = client.post("/password/reset", data={"code": code, "password": "mat-khau-moi-1", "confirm": "mat-khau-moi-1"})
    assert ok.status_code == 302 and ok.headers["Location"] == "/login"
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("mat-khau-moi-1")
    # the other session ended
    assert other_session.get("/notifications").status_code == 302
    # single use
    client.post("/password/forgot", data={"contact": "tnv@example.vn"})
    again = client.post("/password/reset", data={"code": code, "password": "mat-khau-moi-2", "confirm": "mat-khau-moi-2"})
    assert "không hợp lệ" in again.text


def test_forgotten_password_by_link_expires_and_works_once(app, factory, mailbox):
    make_account(factory)
    client = app.test_client()
    client.post("/password/forgot", data={"contact": "tnv@example.vn"})
    [mail] = deliver(mailbox, 1)
    link = [u for u in links(text_of(mail)) if "/password/reset/" in u][0].replace("http://campaign.test", "")
    assert client.get(link).status_code == 200
    resp = client.post(link, data={"password": "short", "confirm": "short"})
    assert resp.status_code == 200  # too short: refused, the link still works
    resp = client.post(link, data={"password": "mat-khau-moi-9", "confirm": "mat-khau-moi-9"})
    assert resp.status_code == 302
    assert client.get(link).status_code == 302  # used
    # an expired link
    client.post("/password/forgot", data={"contact": "tnv@example.vn"})
    mails = deliver(mailbox, 2)
    link2 = [u for u in links(text_of(mails[-1])) if "/password/reset/" in u][0].replace("http://campaign.test", "")
    db.session.execute(update(OneTimeCode).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert client.get(link2).status_code == 302


def test_five_wrong_codes_burn_the_code(app, factory, mailbox):
    make_account(factory)
    client = app.test_client()
    client.post("/password/forgot", data={"contact": "tnv@example.vn"})
    code = code_in(deliver(mailbox, 1)[0])
    for _ in range(services.CODE_ATTEMPTS):
        client.post("/password/reset", data={"code": "999999" if code != "999999" else "888888",
                                              "password": "mat-khau-moi-1", "confirm": "mat-khau-moi-1"})
    resp = client.post("/password/reset", data={"code": code, "password": "mat-khau-moi-1", "confirm": "mat-khau-moi-1"})
    assert "không hợp lệ" in resp.text


# --- a person's own page -----------------------------------------------------------------------

def open_own_page(app, mailbox, contact: str, n_mails: int):
    client = app.test_client()
    assert client.post("/me", data={"contact": contact}).status_code == 302
    mails = deliver(mailbox, n_mails)
    code = code_in([m for m in mails if "Mã để mở trang" in m["Subject"]][-1])
    resp = client.post("/me/code", data={"code": code})
    assert resp.status_code == 302 and resp.headers["Location"] == "/me/page"
    return client


def test_own_page_shows_and_downloads_only_the_persons_data(app, mailbox):
    event = make_event(title="Lớp học dùng điện thoại thông minh")
    reg, _t = register(event, name="Phạm Thị Mai", email="mai@example.vn")
    register(event, name="Người Khác", email="khac@example.vn")
    client = open_own_page(app, mailbox, "mai@example.vn", 3)
    page = client.get("/me/page")
    assert page.status_code == 200
    assert "Phạm Thị Mai" in page.text and "Lớp học dùng điện thoại thông minh" in page.text
    assert "Người Khác" not in page.text
    assert page.headers["Cache-Control"] == "private, no-store"
    data = client.get("/me/data.json")
    assert data.headers["Content-Disposition"].startswith("attachment")
    dump = json.loads(data.data)
    [entry] = dump["persons"]
    assert entry["person"]["full_name"] == "Phạm Thị Mai"
    assert [r["event"] for r in entry["registrations"]] == ["Lớp học dùng điện thoại thông minh"]
    assert entry["preferences"]["email"] == "mai@example.vn"
    assert all(m["address"] == "mai@example.vn" for m in entry["messages"])
    assert "khac@example.vn" not in data.text and "Người Khác" not in data.text


def test_own_page_contacts_consent_and_erasure(app, factory, mailbox):
    event = make_event()
    reg, _t = register(event, name="Võ Văn Tư", email="tu@example.vn")
    client = open_own_page(app, mailbox, "tu@example.vn", 2)
    person_id = reg.person_id
    assert client.post("/me/contacts", data={"person_id": person_id, "phone": "0987 654 321",
                                             "email": "tu.moi@example.vn"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Person, person_id).phone == "+84987654321"
    # consent given, then withdrawn: queued reminders are dropped
    client.post("/me/preferences", data={"person_id": person_id, "channels": ["email"], "reminders": ["event"],
                                         "consent": "y"})
    pref = db.session.scalar(select(ContactPreference).where(ContactPreference.person_id == person_id))
    assert pref.consent_at is not None and pref.consent_version == services.CONSENT_VERSION
    assert "lời nhắc" in pref.consent_text and pref.reminders_off == ["session", "shift"]
    from campaign.events.models import Registration
    from campaign.messages import reminders

    db.session.execute(update(Registration).values(created_at=utcnow() - timedelta(days=30)))
    assert reminders.queue_due_reminders(now=event.starts_at - timedelta(hours=24)) == 1
    db.session.commit()
    client.post("/me/preferences", data={"person_id": person_id, "channels": ["email"], "reminders": ["event"]})
    db.session.expire_all()
    pref = db.session.scalar(select(ContactPreference).where(ContactPreference.person_id == person_id))
    assert pref.withdrawn_at is not None
    assert all(m.status == "cancelled" for m in messages(kind="reminder"))
    # another person's id is refused
    other, _t = register(event, name="Người Khác", phone="0911222333")
    assert client.post("/me/contacts", data={"person_id": other.person_id, "phone": ""}).status_code == 403
    # erasure: asked here, carried out by the commune's officer with the existing anonymisation
    assert client.post("/me/erasure", data={"person_id": person_id}).status_code == 302
    db.session.execute(update(Person).where(Person.id == person_id).values(commune_code=26041))
    db.session.commit()
    officer = factory.user("commune_officer", commune=26041)
    staff = session_login(app.test_client(), officer)
    listing = staff.get("/manage/erasure-requests")
    assert "Võ Văn Tư" in listing.text
    assert staff.post(f"/manage/erasure-requests/{person_id}").status_code == 302
    db.session.expire_all()
    person = db.session.get(Person, person_id)
    assert person.anonymised_at is not None and person.phone is None
    assert "Võ Văn Tư" not in staff.get("/manage/erasure-requests").text


def test_own_page_needs_a_valid_code_and_unknown_contacts_get_the_same_answer(app, mailbox):
    register(make_event(), email="an@example.vn")
    client = app.test_client()
    known = client.post("/me", data={"contact": "an@example.vn"})
    unknown = app.test_client().post("/me", data={"contact": "binh@example.vn"})
    assert (known.status_code, known.headers["Location"]) == (unknown.status_code, unknown.headers["Location"])
    assert client.post("/me/code", data={"code": "123456"}).status_code == 200
    assert client.get("/me/page").status_code == 302


# --- organisers --------------------------------------------------------------------------------

def test_organisers_see_messages_resend_and_announce(app, factory, mailbox):
    event = make_event(commune_code=26041)
    register(event, name="A", email="a@example.vn")
    register(event, name="B", email="bad@example.vn")
    mailbox_ok = deliver(mailbox, 1)
    assert mailbox_ok
    db.session.execute(update(Message).where(Message.address == "bad@example.vn")
                       .values(status="failed", last_error="550 5.1.1 no such user"))
    db.session.commit()
    officer = factory.user("commune_officer", commune=26041)
    client = session_login(app.test_client(), officer)
    page = client.get(f"/manage/events/{event.id}/messages?status=failed")
    assert page.status_code == 200 and "550 5.1.1 no such user" in page.text
    failed = messages(address="bad@example.vn")[0]
    resp = client.post(f"/manage/events/{event.id}/messages/{failed.id}/resend")
    assert resp.status_code == 302
    assert messages(address="bad@example.vn")[0].status == "failed"  # held a private link: refused
    # the announcement: a preview with the number of recipients first, then one message each, once
    preview = client.post(f"/manage/events/{event.id}/announce",
                          data={"subject": "Đổi phòng học", "body": "Lớp chuyển sang phòng 2.", "nonce": "n1",
                                "preview": "1"})
    assert preview.status_code == 200 and "Số người nhận: 2" in preview.text
    for _ in range(2):  # a double submit sends once
        sent = client.post(f"/manage/events/{event.id}/announce",
                           data={"subject": "Đổi phòng học", "body": "Lớp chuyển sang phòng 2.", "nonce": "n1",
                                 "send": "1"})
        assert sent.status_code in (302, 200)
    assert len(messages(kind="announcement")) == 2
    mails = deliver(mailbox, 3)
    assert any(m["Subject"] == "Đổi phòng học" for m in mails)
    # a sent announcement can be resent
    ann = messages(kind="announcement")[0]
    client.post(f"/manage/events/{event.id}/messages/{ann.id}/resend")
    assert messages(id=ann.id)[0].status in ("queued", "sent")


def test_an_account_chooses_its_channels_and_reminders(app, factory, login_as):
    user = factory.user("volunteer")
    client = login_as(user)
    assert client.get("/account/messages").status_code == 200
    resp = client.post("/account/messages", data={"channels": ["zalo", "email"], "reminders": ["event", "session"],
                                                  "consent": "y"})
    assert resp.status_code == 302
    pref = db.session.scalar(select(ContactPreference).where(ContactPreference.user_id == user.id))
    assert pref.channels == ["zalo", "email"] and pref.reminders_off == ["shift"] and pref.consent_at is not None
    rec = outbox.user_recipient(user, "+84912345678")
    assert not outbox.queue("reminder", "shift", 1, rec, "reminder", {}, reminder_kind="shift")
    assert outbox.queue("reminder", "event", 1, rec, "reminder", {}, reminder_kind="event")
