"""The daily facts' refresh, run by the messages scheduler (``flask messages tick`` asks every feature's
``ticks.queue_due()``, every minute): each current campaign (``facts.due``: not ended more than 90 days
ago, or under one) whose facts are missing or older than ``REPORTS_FACTS_PERIOD`` seconds (default 300)
is refreshed (``reports.facts.refresh``: only the rows that
changed are written; safe twice or from two machines at once). A write shows on the dashboard at most
one period plus one tick after it was made. Queues no message: returns 0."""

from __future__ import annotations

from datetime import datetime

from campaign.extensions import db
from campaign.reports import facts


def queue_due(now: datetime | None = None) -> int:
    for campaign_id in facts.due(now):
        facts.refresh(campaign_id)
        db.session.commit()  # one campaign at a time: its lock is held only while it is refreshed
    return 0
