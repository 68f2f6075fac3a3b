"""Indicator metrics of community digital teams and communications (features.modules('indicators')).

Each metric is a count per commune; ``SHARES`` names its baseline, so that an indicator measured as a
percentage ("100% of villages have an active team", "100% of team members trained") is the count over
the baseline (per commune, and for the province the sums' ratio): see reports.metrics.
- villages_with_team: villages with a registered team (base: villages);
- villages_with_active_team: villages whose team is active at the end of the period (base: villages);
- team_members_trained: members holding a valid course certificate at the end of the period (base: members);
- villages_with_communications: villages reached by a communications record in the period (base: villages);
- communications_activities: communications records in the period (a count; the province's own units'
  records under no commune).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from campaign.core.timeutil import to_local
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.teams import services

METRICS = {
    "villages_with_team": _l("Villages with a community digital team"),
    "villages_with_active_team": _l("Villages with an active community digital team"),
    "team_members_trained": _l("Community digital team members trained"),
    "villages_with_communications": _l("Villages reached by communications"),
    "communications_activities": _l("Communications activities"),
}
SHARES = {
    "villages_with_team": "villages",
    "villages_with_active_team": "villages",
    "team_members_trained": "team_members",
    "villages_with_communications": "villages",
}


def _period(campaign, lo, hi):
    until = min(hi, utcnow()) if hi is not None else utcnow()
    first = to_local(lo).date() if lo is not None else campaign.starts_on
    return until, first, to_local(until).date()


def parts(campaign, ids, lo, hi) -> dict:
    """The aggregate statements of these metrics (name -> SELECT commune, value, ...), run by the reports in
    their one query (``reports.metrics.run_parts``); ``from_rows`` turns their rows into the figures."""
    until, first, last = _period(campaign, lo, hi)
    return services.coverage_statements(campaign.province_code, until, first, last, ids)


def from_rows(campaign, rows: dict) -> dict:
    """{metric: {commune code: value}} from the rows of ``parts`` (key first, as text or int)."""
    out: dict[str, dict] = {m: {} for m in (*METRICS, "villages", "team_members")}

    def code(key):
        return None if key is None else int(key)

    for name, metric in (("villages", "villages"), ("teams", "villages_with_team"), ("active", "villages_with_active_team")):
        for key, n, *_ in rows.get(name, []):
            if n:
                out[metric][code(key)] = int(n)
    for key, members, trained, *_ in rows.get("members", []):
        if members:
            out["team_members"][code(key)] = int(members)
        if trained:
            out["team_members_trained"][code(key)] = int(trained)
    for key, reached, n, *_ in rows.get("comms", []):
        out["villages_with_communications"][code(key)] = int(reached or 0)
        out["communications_activities"][code(key)] = int(n or 0)
    for _key, n, *_ in rows.get("province", []):
        if n:  # the province's own units (departments, unions): no commune
            out["communications_activities"][None] = int(n)
    return out


def achieved(campaign, ids, lo, hi) -> dict:
    """Per commune of the campaign's province; communications of the campaign (or of none) in [lo, hi)."""
    return from_rows(campaign, {name: db.session.execute(stmt).all()
                                for name, stmt in parts(campaign, ids, lo, hi).items()})
