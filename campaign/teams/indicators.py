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


def achieved(campaign, ids, lo, hi) -> dict:
    """Per commune of the campaign's province; communications of the campaign (or of none) in [lo, hi)."""
    until = min(hi, utcnow()) if hi is not None else utcnow()
    first = to_local(lo).date() if lo is not None else campaign.starts_on
    last = to_local(until).date()
    cov = services.coverage(campaign.province_code, until=until, period=(first, last))
    out: dict[str, dict] = {m: {} for m in (*METRICS, "villages", "team_members")}
    for code, c in cov.items():
        values = {"villages": c.villages, "team_members": c.members, "villages_with_team": c.with_team,
                  "villages_with_active_team": c.active, "team_members_trained": c.trained}
        for metric, value in values.items():
            if value:
                out[metric][code] = value
    for code, reached, n in services.communications_counts(list(cov), first, last, ids):
        out["villages_with_communications"][code] = reached
        out["communications_activities"][code] = n
    province_wide = services.province_activity_count(campaign.province_code, first, last, ids)
    if province_wide:  # the province's own units (departments, unions): no commune
        out["communications_activities"][None] = province_wide
    return out
