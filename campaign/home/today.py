"""The administrator's card: the system's health (failed jobs and messages of the last week, the
database's migration, Redis). Here rather than in core/accounts because it reads jobs and messages,
which sit above them."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select, text

from campaign.accounts import permissions as perm
from campaign.core.cards import Card
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.jobs.models import Job
from campaign.messages.models import Message


def redis_state() -> str:
    """"ok", "unreachable" or "none" (not configured: rate limits in memory, jobs inline)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "none"
    try:
        import redis

        redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping()
        return "ok"
    except Exception:  # noqa: BLE001 - any failure means unreachable
        return "unreachable"


def cards(user, today: date) -> list[Card]:
    """Three queries: failed jobs, failed messages, the migration."""
    if not perm.is_admin(user):
        return []
    since = utcnow() - timedelta(days=7)
    jobs = db.session.scalar(select(func.count(Job.id)).where(Job.status == "failed", Job.created_at >= since)) or 0
    messages = db.session.scalar(select(func.count(Message.id)).where(
        Message.status == "failed", Message.created_at >= since)) or 0
    migration = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() or "—"
    redis = redis_state()
    redis_label = {"ok": _("reachable"), "unreachable": _("unreachable"), "none": _("not configured")}[redis]
    out = [Card(title=_("System health"),
                detail=_("Failed jobs (7 days): %(jobs)d · failed messages (7 days): %(messages)d · "
                         "database migration: %(migration)s · Redis: %(redis)s", jobs=jobs, messages=messages,
                         migration=migration, redis=redis_label),
                action=_("Health check"), priority=10 if (jobs or messages or redis == "unreachable") else 45,
                kind="health", url=url_for("core.healthz"))]
    out.append(Card(title=_("Who did what"), detail=_("The audit log of every change"), action=_("Audit log"),
                    priority=80, kind="audit", url=url_for("accounts.audit_log")))
    return out
