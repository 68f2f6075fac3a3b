"""Indicator metrics from the imported programme counts (see campaign.features.extra_metrics)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from campaign.extensions import db
from campaign.programmes.models import ProgrammeCount

METRICS = {
    "competition_entries": _l("Competition entries (imported from the national platform)"),
    "online_course_completions": _l("Online course completions (imported from the national platform)"),
}
METRIC_OF_KIND = {"competition": "competition_entries", "online_course": "online_course_completions"}


def achieved(campaign, ids, lo, hi) -> dict[str, dict[int | None, float]]:
    """Entries and completions per commune in the period (one query)."""
    out: dict[str, dict[int | None, float]] = {m: {} for m in METRICS}
    stmt = (select(ProgrammeCount.kind, ProgrammeCount.commune_code, func.sum(ProgrammeCount.count))
            .where(ProgrammeCount.campaign_id.in_(list(ids)))
            .group_by(ProgrammeCount.kind, ProgrammeCount.commune_code))
    if lo is not None:
        stmt = stmt.where(ProgrammeCount.occurred_at >= lo)
    if hi is not None:
        stmt = stmt.where(ProgrammeCount.occurred_at < hi)
    for kind, code, n in db.session.execute(stmt).all():
        out[METRIC_OF_KIND[kind]][code] = float(n or 0)
    return out
