"""The report exports as background jobs ("Prepare the report"): the quarterly XLSX and the CSVs,
with a progress step per commune, offered for download when ready."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from campaign import jobs
from campaign.accounts import permissions as perm
from campaign.campaigns.models import Campaign
from campaign.core.services import DomainError
from campaign.extensions import db
from campaign.reports import metrics, services
from campaign.units.models import Commune

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORTS = ("xlsx", "communes", "indicators")
PROVINCE_ROLES = (perm.PROVINCE_COORDINATOR,)


def filename(campaign: Campaign, what: str, f: dict) -> str:
    if what == "xlsx":
        return f"bao-cao-chi-tieu-{campaign.id}-{f['quarter'] or f['as_of'].isoformat()}.xlsx"
    return f"{what}-{campaign.id}.csv"


def may_have_report(user, params: dict) -> bool:
    """The report's campaign still exists and the user still coordinates its province."""
    campaign = db.session.get(Campaign, params.get("campaign_id"))
    return campaign is not None and perm.can_in_province(user, campaign.province_code, PROVINCE_ROLES)


@jobs.task("reports.export", label=_l("Preparing the report"), allowed=may_have_report)
def export(job, progress):
    """params: campaign_id, what (xlsx | communes | indicators), args (the filters, as query args)."""
    campaign = db.session.get(Campaign, job.params.get("campaign_id"))
    what = job.params.get("what")
    if campaign is None or what not in EXPORTS:
        raise DomainError(_("This report no longer exists."))
    if job.actor is None or not perm.can_in_province(job.actor, campaign.province_code, PROVINCE_ROLES):
        raise DomainError(_("You no longer have access to this campaign's reports."))
    f = services.parse_filters(campaign, job.params.get("args") or {}, None)
    n = db.session.scalar(select(func.count()).select_from(Commune)
                          .where(Commune.province_code == campaign.province_code)) or 0
    total = 2 * n + 2
    progress(0, total, _("Counting the records"))
    board = metrics.progress(campaign, start=f["start"], end=f["end"], group=f["group"], as_of=f["as_of"],
                             on_commune=lambda i, c: progress(1 + i, total, _("Figures: %(name)s", name=c.name)))
    progress(1 + n, total, _("Writing the file"))

    def written(i, row):
        progress(1 + n + i, total, _("Writing: %(name)s", name=row.commune.name))

    if what == "xlsx":
        data, mimetype = services.report_xlsx(board, on_row=written), XLSX
    elif what == "communes":
        data, mimetype = services.communes_csv(board, on_row=written).encode(), services.CSV_MIMETYPE
    else:
        data, mimetype = services.indicators_csv(board).encode(), services.CSV_MIMETYPE
    progress(total, total, _("Ready"))
    job.set_output(data, filename(campaign, what, f), mimetype)
    job.result = {"campaign_id": campaign.id, "what": what, "communes": len(board.communes),
                  "lagging": len(board.lagging)}


def may_refresh(user, params: dict) -> bool:
    return may_have_report(user, params)


@jobs.task("reports.refresh_facts", label=_l("Updating the dashboard's figures"), allowed=may_refresh)
def refresh_facts(job, progress):
    """params: campaign_id. Refreshes the daily facts of the campaign and of its sub-campaigns."""
    from campaign.reports import facts

    campaign = db.session.get(Campaign, job.params.get("campaign_id"))
    if campaign is None:
        raise DomainError(_("This report no longer exists."))
    if job.actor is None or not perm.can_in_province(job.actor, campaign.province_code, PROVINCE_ROLES):
        raise DomainError(_("You no longer have access to this campaign's reports."))
    ids = metrics.scope_ids(campaign)
    changed = 0
    for n, cid in enumerate(ids):
        progress(n, len(ids), _("Counting the records"))
        changed += facts.refresh(cid)
    progress(len(ids), len(ids), _("Ready"))
    job.result = {"campaign_id": campaign.id, "campaigns": len(ids), "changed": changed}
