"""Home ("Hôm nay") card for province coordinators: a campaign counts the competition or online courses
but its platform export was not imported in the last 7 days."""

from __future__ import annotations

from datetime import date, timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from campaign.accounts import permissions as perm
from campaign.campaigns.models import Campaign, Indicator
from campaign.extensions import db
from campaign.programmes.indicators import METRICS
from campaign.programmes.models import ProgrammeImport

STALE_DAYS = 7


def cards(user, today: date) -> list:
    from campaign.core.cards import Card

    provinces = perm.province_codes(user)
    if provinces is not None and not provinces:
        return []
    last = (select(ProgrammeImport.campaign_id, func.max(ProgrammeImport.as_of).label("as_of"))
            .group_by(ProgrammeImport.campaign_id).subquery())
    stmt = (select(Campaign, last.c.as_of).outerjoin(last, last.c.campaign_id == Campaign.id)
            .where(Campaign.id.in_(select(Indicator.campaign_id).where(Indicator.metric.in_(list(METRICS)))),
                   Campaign.starts_on <= today, Campaign.ends_on >= today))
    if provinces is not None:
        stmt = stmt.where(Campaign.province_code.in_(provinces))
    out = []
    for campaign, as_of in db.session.execute(stmt.order_by(Campaign.id).limit(5)).all():
        if as_of is None or as_of < today - timedelta(days=STALE_DAYS):
            out.append(Card(title=_("Import the national platform's latest export"),
                            url=url_for("programmes.run_import", campaign_id=campaign.id), action=_("Import the file"),
                            detail=campaign.name, priority=45, kind="programme_import"))
    return out
