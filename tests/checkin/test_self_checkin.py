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

    def send(code, uid=None):
        return client.post(path, data={"code": code, "uuid": uid or str(uuid.uuid4())})

    page = send(lan.short_code.lower())
    assert "Bạn đã check-in" in page.text
    assert send(lan.short_code).text.count("đã check-in trước đó") == 1
    uid = str(uuid.uuid4())
    assert "Bạn đã check-in" in send("0912 345 678", uid).text
    assert "Bạn đã check-in" in send("0912 345 678", uid).text  # the same form sent twice: one scan
    unknown = send("0999 999 999")
    assert "Không có vé nào" in unknown.text
    assert [(r.result, r.method, r.steward_id) for r in rows()] == [
        ("accepted", "self", None), ("duplicate", "self", None), ("accepted", "self", None),
        ("invalid", "self", None)]
    assert rows()[2].ticket_id == hoa.id
    assert rows()[3].scanned.startswith("other:")  # the phone typed is not kept


def test_self_checkin_only_around_the_event(client, cf):
    event = cf.event(starts_at=utcnow() + timedelta(days=2))
    ticket = cf.ticket(event)
    path = f"/self/{event.id}/{services.poster_token(event.id)}"
    page = client.get(path)
    assert "hai giờ trước" in page.text
    client.post(path, data={"code": ticket.short_code, "uuid": str(uuid.uuid4())})
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0
