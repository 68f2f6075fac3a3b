"""The weekly "vùng lõm" summary to youth union organisers, queued by the tick on Monday mornings.

For each campaign under way, the volunteers' weekly review (``volunteers.services.review``: communes
ranked by progress, laggards flagged) as of Sunday goes to every active youth union organiser of the
campaign's province (a province grant, or a grant in one of its communes). Its key's occasion is the
ISO week: the tick running every minute all Monday queues it once.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import or_, select

from campaign.accounts.models import YOUTH_ORGANISER, RoleGrant, User
from campaign.campaigns.models import Campaign
from campaign.core.timeutil import to_local
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.messages import outbox
from campaign.messages.links import absolute
from campaign.units.models import Commune

SEND_FROM = time(7, 0)  # Monday, local time
MAX_LISTED = 10


def organisers_of(province_code: int) -> list[User]:
    communes = select(Commune.code).where(Commune.province_code == province_code)
    return list(db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == YOUTH_ORGANISER, User.active.is_(True),
               or_(RoleGrant.province_code == province_code, RoleGrant.commune_code.in_(communes)))
        .distinct().order_by(User.id)))


def queue_weekly_summaries(now: datetime | None = None) -> int:
    """Queue this week's summaries (from Monday 07:00 local, once per ISO week). The caller commits."""
    from campaign.volunteers.services import review

    now = now or utcnow()
    local = to_local(now)
    if local.weekday() != 0 or local.time() < SEND_FROM:
        return 0
    as_of = local.date() - timedelta(days=1)
    week = local.strftime("%G-W%V")
    queued = 0
    for campaign in db.session.scalars(select(Campaign).where(Campaign.starts_on <= as_of,
                                                              Campaign.ends_on >= as_of - timedelta(days=6))):
        organisers = organisers_of(campaign.province_code)
        if not organisers:
            continue
        data = review(campaign, as_of)
        rows = data["rows"]
        if not rows:
            continue
        lagging = [r for r in rows if r.lagging]
        params = {"campaign": campaign.name, "week": week, "as_of": as_of.strftime("%d/%m/%Y"),
                  "communes": len(rows), "lagging_count": len(lagging),
                  "lagging": [{"name": r.commune.name, "progress": round(r.progress * 100),
                               "hours": round(r.recent_hours, 1)} for r in lagging[:MAX_LISTED]],
                  "more": max(len(lagging) - MAX_LISTED, 0),
                  "hours": round(float(data["totals"].get("volunteer_hours", 0) or 0), 1),
                  "review_url": absolute("volunteers.review", campaign_id=campaign.id)}
        for user in organisers:
            if outbox.queue("weekly_summary", "campaign", campaign.id, outbox.user_recipient(user), "weekly_summary",
                            params, occasion=week):
                queued += 1
    return queued

