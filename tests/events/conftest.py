"""Fixtures of the events feature: make_event(**overrides), make_campaign(), a registration helper."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from campaign.campaigns.models import Campaign
from campaign.events import services
from campaign.events.models import Event
from campaign.extensions import db
from tests.conftest import DONG_NAI, TRAN_BIEN

_seq = itertools.count(1)


def future(days: int = 10, hour: int = 1) -> datetime:
    base = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return base + timedelta(days=days)


def create_campaign(**overrides) -> Campaign:
    n = next(_seq)
    values = dict(province_code=DONG_NAI, name=f"Bình dân học vụ số {n}", slug=f"bdhvs-{n}",
                  starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31), owner_unit="Sở KH&CN")
    values.update(overrides)
    campaign = Campaign(**values)
    db.session.add(campaign)
    db.session.commit()
    return campaign


def create_event(commit: bool = True, **overrides) -> Event:
    n = next(_seq)
    start = overrides.pop("starts_at", future())
    values = dict(province_code=DONG_NAI, commune_code=TRAN_BIEN, title=f"Lớp kỹ năng số {n}", kind="class_session",
                  starts_at=start, ends_at=start + timedelta(hours=2), status="published", capacity=None)
    values.update(overrides)
    event = services.create_event(None, **values)
    if commit:
        db.session.commit()
    return event


def register(event: Event, name: str = "Nguyễn Văn An", phone: str | None = None, **kw):
    reg, token = services.register(event, full_name=name, phone=phone, consent=True, **kw)
    db.session.commit()
    return reg, token


@pytest.fixture
def make_event():
    return create_event


@pytest.fixture
def make_campaign():
    return create_campaign
