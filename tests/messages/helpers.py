"""Helpers of the messages tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from campaign.events import services as events
from campaign.events.models import Event
from campaign.extensions import db
from campaign.messages import services
from campaign.messages.models import Message
from tests.conftest import DONG_NAI, TRAN_BIEN


def soon(hours: float = 240) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(second=0, microsecond=0)


def make_event(starts_at: datetime | None = None, **kw) -> Event:
    start = starts_at or soon()
    values = dict(province_code=DONG_NAI, commune_code=TRAN_BIEN, title="Hướng dẫn cài VNeID", kind="workshop",
                  starts_at=start, ends_at=start + timedelta(hours=2), status="published", capacity=None,
                  place="Nhà văn hóa khu phố 3")
    values.update(kw)
    event = events.create_event(None, **values)
    db.session.commit()
    return event


def register(event: Event, name: str = "Nguyễn Thị Hoa", phone: str | None = None, email: str | None = None):
    reg, token = events.register(event, full_name=name, phone=phone, consent=True)
    if email:
        pref = services.preference_for(person_id=reg.person_id)
        pref.email = email
        # the confirmation was queued before the e-mail was known: queue it again to the e-mail
        db.session.execute(Message.__table__.delete().where(Message.__table__.c.person_id == reg.person_id))
        from campaign.messages import hooks

        hooks.registration_created(None, registration=reg, token=token)
    db.session.commit()
    return reg, token


def messages(**filters) -> list[Message]:
    db.session.expire_all()
    stmt = select(Message).order_by(Message.id)
    for k, v in filters.items():
        stmt = stmt.where(getattr(Message, k) == v)
    return list(db.session.scalars(stmt))


def text_of(msg) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def html_of(msg) -> str:
    return msg.get_body(preferencelist=("html",)).get_content()


def links(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)
