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


def parts(campaign, ids, lo, hi) -> dict:
    """Entries and completions per commune in the period: one statement per kind (run by the reports in
    their one query, ``reports.metrics.run_parts``)."""
    out = {}
    for kind in METRIC_OF_KIND:
        stmt = (select(ProgrammeCount.commune_code, func.sum(ProgrammeCount.count))
                .where(ProgrammeCount.campaign_id.in_(list(ids)), ProgrammeCount.kind == kind)
                .group_by(ProgrammeCount.commune_code))
        if lo is not None:
            stmt = stmt.where(ProgrammeCount.occurred_at >= lo)
        if hi is not None:
            stmt = stmt.where(ProgrammeCount.occurred_at < hi)
        out[kind] = stmt
    return out


def from_rows(campaign, rows: dict) -> dict[str, dict[int | None, float]]:
    out: dict[str, dict[int | None, float]] = {m: {} for m in METRICS}
    for kind, metric in METRIC_OF_KIND.items():
        for key, n, *_ in rows.get(kind, []):
            out[metric][None if key is None else int(key)] = float(n or 0)
    return out


def achieved(campaign, ids, lo, hi) -> dict[str, dict[int | None, float]]:
    """Entries and completions per commune in the period."""
    return from_rows(campaign, {k: db.session.execute(stmt).all() for k, stmt in parts(campaign, ids, lo, hi).items()})
