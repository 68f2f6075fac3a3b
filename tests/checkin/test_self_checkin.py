"""The self check-in poster: attendees check themselves in with their short code or phone."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from campaign.checkin import services
from campaign.checkin.models import CheckIn
from campaign.core.types import utcnow
from campaign.extensions import db
from tests.checkin.qrread import read_svg


def rows():
    return db.session.scalars(select(CheckIn).order_by(CheckIn.id)).all()


def test_poster_and_self_checkin(client, cf, factory, login_as):
    event = cf.event(starts_at=utcnow() - timedelta(minutes=10), title="Lớp học buổi tối")
    hoa = cf.ticket(event, name="Nguyễn Thị Hoa", phone="+84912345678")
    lan = cf.ticket(event, name="Trần Thị Lan")
    officer = login_as(factory.user("commune_officer"))
    poster = officer.get(f"/checkin/events/{event.id}/poster")
    assert poster.status_code == 200
    url = read_svg(poster.text[poster.text.index("<svg"):])[0].text
    path = re.sub(r"^https?://[^/]+", "", url)
    assert path == f"/self/{event.id}/{services.poster_token(event.id)}"
    assert client.get(f"/self/{event.id}/{'0' * 24}").status_code == 404
    assert client.get(path).status_code == 200

    def send(code, uid=None, phone=""):
        return client.post(path, data={"code": code, "phone": phone, "uuid": uid or str(uuid.uuid4())})

    page = send(lan.short_code.lower())
    assert "Bạn đã check-in" in page.text
    assert send(lan.short_code).text.count("đã check-in trước đó") == 1
    tail = hoa.short_code[-4:]
    uid = str(uuid.uuid4())
    assert "Bạn đã check-in" in send(tail, uid, "0912 345 678").text
    assert "Bạn đã check-in" in send(tail, uid, "0912 345 678").text  # the same form sent twice: one scan
    unknown = send(tail, phone="0999 999 999")
    assert "Không có vé nào" in unknown.text
    assert [(r.result, r.method, r.steward_id) for r in rows()] == [
        ("accepted", "self", None), ("duplicate", "self", None), ("accepted", "self", None),
        ("invalid", "self", None)]
    assert rows()[2].ticket_id == hoa.id
    assert rows()[3].scanned.startswith("other:")  # the phone typed is not kept


def _answer(page) -> str:
    """The part of the self check-in page that answers (the form's error or the result)."""
    text = page.text
    found = re.search(r'(?s)id="self-result".*?</div>', text) or re.search(r'(?s)class="invalid-feedback[^"]*"[^>]*>(.*?)<', text)
    return found.group(0) if found else ""


def test_a_phone_alone_checks_nobody_in_and_answers_like_an_unknown_one(client, cf):
    event = cf.event(starts_at=utcnow() - timedelta(minutes=10))
    hoa = cf.ticket(event, name="Nguyễn Thị Hoa", phone="+84912345678")
    path = f"/self/{event.id}/{services.poster_token(event.id)}"

    def send(code, phone=""):
        return client.post(path, data={"code": code, "phone": phone, "uuid": str(uuid.uuid4())})

    registered, unregistered = send("0912 345 678"), send("0999 999 999")
    assert _answer(registered) == _answer(unregistered) != ""
    with_phone = send("0000", "0912 345 678") if not hoa.short_code.endswith("0000") else send("1111", "0912345678")
    assert _answer(with_phone) == _answer(send("0000", "0999 999 999"))
    assert "Nguyễn Thị Hoa" not in registered.text + with_phone.text
    assert db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.result == "accepted")) == 0
    # the ticket's last four characters with another phone do not work either
    assert "Không có vé nào" in send(hoa.short_code[-4:], "0999 999 999").text
    assert "Bạn đã check-in" in send(hoa.short_code[-4:], "0912 345 678").text


def test_guessing_codes_for_one_phone_is_limited(app, client, cf):
    from campaign.extensions import limiter

    event = cf.event(starts_at=utcnow() - timedelta(minutes=10))
    hoa = cf.ticket(event, phone="+84912345678")
    path = f"/self/{event.id}/{services.poster_token(event.id)}"
    app.config["SELF_CHECKIN_PHONE_RATE_LIMIT"] = "3 per 10 minutes"
    limiter.reset()
    try:
        codes = [client.post(path, data={"code": guess, "phone": "+84 912 345 678", "uuid": str(uuid.uuid4())},
                             environ_overrides={"REMOTE_ADDR": f"10.0.2.{n}"}).status_code
                 for n, guess in enumerate(["AAAA", "BBBB", "CCCC", hoa.short_code[-4:]])]
        assert codes == [200, 200, 200, 429]  # from four addresses: the phone's own limit holds
        other = client.post(path, data={"code": "AAAA", "phone": "0999 999 999", "uuid": str(uuid.uuid4())})
        assert other.status_code == 200
        # the whole code, without a phone, is not held by any phone's limit
        for _ in range(4):
            whole = client.post(path, data={"code": hoa.short_code, "uuid": str(uuid.uuid4())})
            assert whole.status_code == 200
    finally:
        app.config["SELF_CHECKIN_PHONE_RATE_LIMIT"] = "10000 per minute"
        limiter.reset()


def test_self_checkin_only_around_the_event(client, cf):
    event = cf.event(starts_at=utcnow() + timedelta(days=2))
    ticket = cf.ticket(event)
    path = f"/self/{event.id}/{services.poster_token(event.id)}"
    page = client.get(path)
    assert "hai giờ trước" in page.text
    client.post(path, data={"code": ticket.short_code, "uuid": str(uuid.uuid4())})
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0
