"""Fixtures of the volunteers feature: a campaign around today, profiles and shifts in the future."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.volunteers.models import Shift, VolunteerProfile
from tests.conftest import DONG_NAI, TRAN_BIEN

_phones = itertools.count(1000)


def future(hours: float) -> datetime:
    """A moment ``hours`` from now, on the hour (shift windows in tests are relative to now)."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return now + timedelta(hours=hours)


@pytest.fixture
def campaign():
    today = date.today()
    c = Campaign(province_code=DONG_NAI, name="Mùa hè số (test)", slug=f"mua-he-so-test-{next(_phones)}",
                 kind="summer", starts_on=today - timedelta(days=60), ends_on=today + timedelta(days=120))
    db.session.add(c)
    db.session.commit()
    return c


@pytest.fixture
def make_profile(factory):
    def _make(user=None, *, commune: int = TRAN_BIEN, skills=("vneid",), status: str = "approved",
              languages=("vi",), commit: bool = True) -> VolunteerProfile:
        user = user or factory.user("volunteer", commune=commune, commit=False)
        profile = VolunteerProfile(user_id=user.id, phone=f"+8491{next(_phones):07d}", home_commune_code=commune,
                                   skills=list(skills), languages=list(languages), consent_at=datetime.now(UTC),
                                   status=status)
        db.session.add(profile)
        db.session.flush()
        if commit:
            db.session.commit()
        return profile

    return _make


@pytest.fixture
def make_shift(campaign):
    def _make(*, commune: int = TRAN_BIEN, start: float = 48, hours: float = 4, max_needed: int = 3,
              min_needed: int | None = None, commit: bool = True, **kw) -> Shift:
        shift = Shift(campaign_id=campaign.id, role=kw.pop("role", "door_to_door"), commune_code=commune,
                      starts_at=future(start), ends_at=future(start + hours), max_needed=max_needed,
                      min_needed=max_needed if min_needed is None else min_needed, location="Nhà văn hóa", **kw)
        db.session.add(shift)
        db.session.flush()
        if commit:
            db.session.commit()
        return shift

    return _make
