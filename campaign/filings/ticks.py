"""The "report due" reminder, queued by the messages scheduler (``flask messages tick`` asks every
feature's ``ticks.queue_due(now)``): to the commune officers of each commune that has not submitted
its report, ``FILINGS_REMINDER_DAYS`` days before the deadline (default 7 and 1), from 07:00 local time.

Each reminder's key is (report_due, report_period, period id, the officer, "<commune>:<days>d"), queued
with the outbox's ``INSERT ... ON CONFLICT DO NOTHING``: running the tick every minute, twice, or from
two machines at once, queues it once per period, commune, officer and occasion.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from campaign.accounts.models import COMMUNE_OFFICER, RoleGrant, User
from campaign.core.timeutil import to_local
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.filings.models import CommuneReport, ReportPeriod
from campaign.messages import outbox
from campaign.messages.links import absolute, unsubscribe_url
from campaign.units.models import Commune

SEND_FROM = time(7, 0)
DEFAULT_DAYS = (7, 1)
TEMPLATE = "filings/mail/report_due"


def reminder_days() -> list[int]:
    raw = str(current_app.config.get("FILINGS_REMINDER_DAYS") or "")
    try:
        days = sorted({int(x) for x in raw.split(",") if x.strip()}, reverse=True)
    except ValueError:
        days = []
    return [d for d in days if 0 <= d <= 60] or list(DEFAULT_DAYS)


def occasion_days(days_left: int, days: list[int]) -> int | None:
    """The reminder whose moment has come: the smallest offset at least ``days_left`` (None: too early)."""
    fitting = [d for d in days if d >= days_left]
    return min(fitting) if fitting else None


def _pending(period: ReportPeriod) -> dict[int, Commune]:
    """The communes of the period's province without a submitted report (two queries)."""
    submitted = set(db.session.scalars(select(CommuneReport.commune_code).where(
        CommuneReport.period_id == period.id, CommuneReport.status == "submitted")))
    return {c.code: c for c in db.session.scalars(
        select(Commune).where(Commune.province_code == period.campaign.province_code)) if c.code not in submitted}


def queue_due(now: datetime | None = None) -> int:
    """Queue the due "report due" reminders; the caller commits. Returns how many were newly queued."""
    now = now or utcnow()
    local = to_local(now)
    if local.time() < SEND_FROM:
        return 0
    today = local.date()
    days = reminder_days()
    queued = 0
    for period in db.session.scalars(select(ReportPeriod).where(
            ReportPeriod.due_on >= today, ReportPeriod.due_on <= today + timedelta(days=max(days)))
            .order_by(ReportPeriod.id)):
        left = (period.due_on - today).days
        offset = occasion_days(left, days)
        if offset is None:
            continue
        pending = _pending(period)
        if not pending:
            continue
        officers = db.session.execute(
            select(RoleGrant.commune_code, User).join(User, User.id == RoleGrant.user_id)
            .where(RoleGrant.role == COMMUNE_OFFICER, User.active.is_(True),
                   RoleGrant.commune_code.in_(list(pending)))
            .order_by(RoleGrant.commune_code, User.id)).all()
        for code, user in officers:
            params = {"campaign": period.campaign.name, "period": period.name, "commune": pending[code].name,
                      "due_on": period.due_on.strftime("%d/%m/%Y"), "days_left": left,
                      "report_url": absolute("filings.report", period_id=period.id, code=code)}
            recipient = outbox.user_recipient(user)
            params["reminder_kind"] = "report"
            params["unsubscribe_url"] = unsubscribe_url(recipient.key, "report")  # a stop link, as every reminder
            if outbox.queue("report_due", "report_period", period.id, recipient, TEMPLATE, params,
                            occasion=f"{code}:{offset}d", reminder_kind="report"):
                queued += 1
    return queued
