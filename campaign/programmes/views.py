"""Imports of the national platform's exports (competition entries, online course completions)."""

from __future__ import annotations

import base64

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from campaign.accounts import permissions as perm
from campaign.accounts.forms import ConfirmForm
from campaign.campaigns.models import Campaign
from campaign.core import tabular
from campaign.core.services import DomainError
from campaign.core.timeutil import local_today
from campaign.core.web import attempt, uploaded_file
from campaign.extensions import db
from campaign.programmes import services
from campaign.programmes.forms import DEFAULT_PROGRAMME, KIND_LABELS
from campaign.programmes.importers import ProgrammeImporter
from campaign.programmes.models import ProgrammeImport

bp = Blueprint("programmes", __name__, url_prefix="/programmes")


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    perm.require(services.can_manage(current_user, campaign.province_code))
    return campaign


@bp.get("/campaigns/<int:campaign_id>")
@login_required
def index(campaign_id: int):
    campaign = _campaign(campaign_id)
    imports = services.imports_of(campaign.id)
    totals = {k: sum(i.total for i in imports if i.kind == k) for k in KIND_LABELS}
    return render_template("programmes/index.html", campaign=campaign, imports=imports, totals=totals,
                           communes=services.by_commune(campaign.id), kinds=KIND_LABELS, confirm=ConfirmForm())


@bp.get("/campaigns/<int:campaign_id>/import/template.xlsx")
@login_required
def template(campaign_id: int):
    campaign = _campaign(campaign_id)
    return Response(ProgrammeImporter().template(campaign), mimetype=tabular.XLSX_MIME,
                    headers={"Content-Disposition": 'attachment; filename="mau-nhap-nen-tang.xlsx"',
                             "Cache-Control": "private, no-store"})


@bp.route("/campaigns/<int:campaign_id>/import", methods=["GET", "POST"])
@login_required
def run_import(campaign_id: int):
    """Upload → preview (every row checked, bad rows listed) → import every row or none."""
    campaign = _campaign(campaign_id)
    importer = ProgrammeImporter()
    kind = request.values.get("kind", "competition")
    fields = {"kind": kind if kind in KIND_LABELS else "competition",
              "programme": request.form.get("programme") or DEFAULT_PROGRAMME.get(kind, ""),
              "as_of": request.form.get("as_of") or local_today().strftime("%d/%m/%Y")}
    page = {"checked": None, "error": None, "payload": "", "filename": ""}
    if request.method == "POST":
        outcome = attempt(lambda: _post(importer, campaign, page, fields), show=False)
        if not outcome:
            page["error"] = outcome.error.message
        elif outcome.value is not None:
            return outcome.value
    checked = page["checked"]
    code = 422 if page["error"] or (checked and (checked.errors or checked.problems)) else 200
    return render_template("programmes/import.html", importer=importer, campaign=campaign, kinds=KIND_LABELS,
                           fields=fields, template_url=url_for("programmes.template", campaign_id=campaign.id),
                           **page), code


def _post(importer: ProgrammeImporter, campaign: Campaign, page: dict, fields: dict):
    options = importer.options(request.form.get("kind", ""), fields["programme"], fields["as_of"])
    filename, data = uploaded_file(tabular.MAX_BYTES)
    page["filename"] = filename
    if not data:
        raise DomainError(_("Choose a file to upload."), "file")
    checked = page["checked"] = importer.check(current_user, filename, data, campaign, options)
    if request.form.get("confirm") and checked.ok:
        source = importer.apply(current_user, checked, campaign, options, filename)
        flash(_("Imported: %(n)d rows, %(total)d counted.", n=source.rows, total=source.total), "success")
        return redirect(url_for("programmes.index", campaign_id=campaign.id))
    page["payload"] = base64.b64encode(data).decode() if checked.ok else ""
    return None


@bp.post("/imports/<int:import_id>/delete")
@login_required
def delete(import_id: int):
    source = db.session.get(ProgrammeImport, import_id)
    if source is None:
        abort(404)
    campaign = _campaign(source.campaign_id)
    if ConfirmForm().validate_on_submit() and attempt(lambda: services.delete_import(current_user, source)):
        flash(_("The import is removed."), "success")
    return redirect(url_for("programmes.index", campaign_id=campaign.id))
