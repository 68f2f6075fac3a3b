"""The indicator figures, offered to lower features through ``features.modules("figures")``.

The volunteers' weekly review sits below reports in the import order and may not import it; it finds
this module by name and shows the very figures of the dashboard (``metrics.progress``: one definition of
each indicator, the same lagging rule), so the review and the dashboard can never disagree.
"""

from __future__ import annotations

from datetime import date

from campaign.campaigns.models import Campaign
from campaign.reports import metrics


def board(campaign: Campaign, as_of: date) -> metrics.Dashboard:
    """The campaign's figures up to ``as_of`` (from its start), as on the dashboard."""
    return metrics.progress(campaign, as_of=as_of)
