"""Fixtures of community digital teams: villages with teams, members, communications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from campaign.core.timeutil import local_today
from campaign.extensions import db
from campaign.teams import services
from campaign.teams.models import CommsActivity
from campaign.volunteers.models import Shift, Signup


def days_ago(n: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(days=n)


def team_in(factory, officer, village, members=(), **kw):
    team = services.create_team(officer, village, kw.pop("name", ""))
    for name, role in members:
        services.add_member(officer, team, full_name=name, role=role, **kw)
    db.session.commit()
    return team


def comms(officer, commune, villages, days: int = 0, **kw) -> CommsActivity:
    values = dict(channel="loudspeaker", language="vi", title="Phát thanh về VNeID",
                  held_on=local_today() - timedelta(days=days), village_ids=[v.id for v in villages])
    values.update(kw)
    activity = services.record_activity(officer, commune, **values)
    db.session.commit()
    return activity


def served_shift(campaign, profile, village, days: float, commune: int | None = None) -> Shift:
    start = days_ago(days)
    shift = Shift(campaign_id=campaign.id, role="door_to_door", commune_code=commune or village.commune_code,
                  village_id=village.id if village else None, starts_at=start, ends_at=start + timedelta(hours=3),
                  max_needed=3, min_needed=1, location="Nhà văn hóa")
    db.session.add(shift)
    db.session.flush()
    db.session.add(Signup(shift_id=shift.id, volunteer_id=profile.id, status="confirmed", hours=3,
                          households_visited=4))
    db.session.commit()
    return shift
