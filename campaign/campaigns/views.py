"""Campaign pages for coordinators: campaigns, indicators and the per-commune target grid."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from campaign.accounts import permissions as perm
from campaign.accounts.models import COMMUNE_OFFICER, PROVINCE_COORDINATOR, TRAINER, YOUTH_ORGANISER
from campaign.campaigns import services
from campaign.campaigns.forms import (
    CAMPAIGN_KIND_LABELS,
    TARGET_GROUP_LABELS,
    UNIT_LABELS,
    CampaignForm,
    IndicatorForm,
    metric_labels,
)
from campaign.campaigns.models import TARGET_GROUPS, Campaign, Indicator, IndicatorTarget
from campaign.core.web import attempt
from campaign.extensions import db
from campaign.units import services as units
from campaign.units.models import Province

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

VIEWERS = (PROVINCE_COORDINATOR, COMMUNE_OFFICER, YOUTH_ORGANISER, TRAINER)
EDITORS = (PROVINCE_COORDINATOR,)


def _viewer_provinces() -> set[int] | None:
    """Provinces whose campaigns the user may see: province grants and the provinces of commune grants."""
    return perm.acting_provinces(current_user, VIEWERS)


def _require_view(province_code: int) -> None:
    perm.require(perm.acts_in_province(current_user, province_code, VIEWERS))


def _campaign_or_404(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _group_labels():
    return TARGET_GROUP_LABELS


@bp.app_context_processor
def _labels():
    return {"campaign_labels": {"kinds": CAMPAIGN_KIND_LABELS, "units": UNIT_LABELS, "metrics": metric_labels()}}


@bp.get("/")
@login_required
@perm.roles_required(*VIEWERS)
def index():
    provinces = _viewer_provinces()
    stmt = select(Campaign).options(selectinload(Campaign.indicators)).order_by(Campaign.starts_on.desc(),
                                                                                Campaign.id)
    if provinces is not None:
        stmt = stmt.where(Campaign.province_code.in_(provinces or {-1}))
    campaigns = db.session.scalars(stmt.limit(200)).all()
    return render_template("campaigns/index.html", campaigns=campaigns,
                           can_create=perm.has_role(current_user, PROVINCE_COORDINATOR))


def _form_choices(form, province_code: int | None = None) -> None:
    codes = perm.province_codes(current_user)
    stmt = select(Province.code, Province.name).order_by(Province.name)
    if codes is not None:
        stmt = stmt.where(Province.code.in_(codes or {-1}))
    form.province_code.choices = [tuple(r) for r in db.session.execute(stmt)]
    parents = select(Campaign.id, Campaign.name).order_by(Campaign.name)
    if province_code is not None:
        parents = parents.where(Campaign.province_code == province_code)
    elif codes is not None:
        parents = parents.where(Campaign.province_code.in_(codes or {-1}))
    form.parent_id.choices = [("", _("— none —"))] + [tuple(r) for r in db.session.execute(parents)]


def _campaign_values(form) -> dict:
    return dict(name=form.name.data, kind=form.kind.data, description=form.description.data,
                owner_unit=form.owner_unit.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                parent_id=form.parent_id.data if form.parent_id.data not in (-1,) else 0)


@bp.route("/new", methods=["GET", "POST"])
@login_required
@perm.roles_required(*EDITORS)
def new():
    form = CampaignForm()
    _form_choices(form)
    if form.validate_on_submit():
        perm.require_province(form.province_code.data)
        outcome = attempt(lambda: services.create_campaign(current_user, form.province_code.data,
                                                           **_campaign_values(form)), form)
        if outcome:
            flash(_("Campaign created. Add its indicators."), "success")
            return redirect(url_for("campaigns.detail", campaign_id=outcome.value.id))
    return render_template("campaigns/campaign_form.html", form=form, campaign=None)


@bp.get("/<int:campaign_id>")
@login_required
def detail(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    _require_view(campaign.province_code)
    return render_template("campaigns/detail.html", campaign=campaign, groups=_group_labels(),
                           can_edit=perm.can_in_province(current_user, campaign.province_code, EDITORS))


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@login_required
def edit(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    perm.require_province(campaign.province_code, EDITORS)
    form = CampaignForm(obj=campaign)
    _form_choices(form, campaign.province_code)
    form.parent_id.choices = [c for c in form.parent_id.choices if c[0] != campaign.id]
    if form.validate_on_submit():
        if attempt(lambda: services.update_campaign(current_user, campaign, **_campaign_values(form)), form):
            flash(_("Campaign saved."), "success")
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return render_template("campaigns/campaign_form.html", form=form, campaign=campaign)


def _indicator_form(obj=None) -> IndicatorForm:
    form = IndicatorForm(obj=obj)
    labels = _group_labels()
    form.target_group.choices = [("", _("— none —"))] + [(g, labels[g]) for g in TARGET_GROUPS]
    if obj is not None and not form.is_submitted():
        form.target_group.data = obj.target_group or ""
    return form


def _indicator_values(form) -> dict:
    return dict(code=form.code.data, name=form.name.data, unit=form.unit.data, target_value=form.target_value.data,
                metric=form.metric.data, target_group=form.target_group.data or None,
                lead_unit=form.lead_unit.data, partner_units=form.partner_units.data,
                measurement=form.measurement.data, position=form.position.data)


@bp.route("/<int:campaign_id>/indicators/new", methods=["GET", "POST"])
@login_required
def indicator_new(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    perm.require_province(campaign.province_code, EDITORS)
    form = _indicator_form()
    if form.validate_on_submit():
        if attempt(lambda: services.create_indicator(current_user, campaign, **_indicator_values(form)), form,
                   conflict=_("This campaign already has an indicator with this number."), conflict_field="code"):
            flash(_("Indicator added."), "success")
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return render_template("campaigns/indicator_form.html", form=form, campaign=campaign, indicator=None)


def _indicator_or_404(indicator_id: int) -> Indicator:
    indicator = db.session.get(Indicator, indicator_id)
    if indicator is None:
        abort(404)
    perm.require_province(indicator.campaign.province_code, EDITORS)
    return indicator


@bp.route("/indicators/<int:indicator_id>/edit", methods=["GET", "POST"])
@login_required
def indicator_edit(indicator_id: int):
    indicator = _indicator_or_404(indicator_id)
    form = _indicator_form(indicator)
    if form.validate_on_submit():
        if attempt(lambda: services.update_indicator(current_user, indicator, **_indicator_values(form)), form):
            flash(_("Indicator saved."), "success")
            return redirect(url_for("campaigns.detail", campaign_id=indicator.campaign_id))
    return render_template("campaigns/indicator_form.html", form=form, campaign=indicator.campaign,
                           indicator=indicator)


@bp.route("/indicators/<int:indicator_id>/targets", methods=["GET", "POST"])
@login_required
def targets(indicator_id: int):
    """All communes of the province in one grid; a blank cell means no commune target."""
    indicator = _indicator_or_404(indicator_id)
    communes = units.communes(province_code=indicator.campaign.province_code)
    current = dict(db.session.execute(select(IndicatorTarget.commune_code, IndicatorTarget.target_value)
                                      .where(IndicatorTarget.indicator_id == indicator.id)).tuples().all())
    raw = {c.code: _fmt(current.get(c.code)) for c in communes}
    errors: dict[int, str] = {}
    if request.method == "POST":
        from campaign.accounts.forms import ConfirmForm

        if not ConfirmForm().validate_on_submit():
            abort(400)
        values: dict[int, float | None] = {}
        for c in communes:
            text = (request.form.get(f"c{c.code}") or "").strip().replace(",", ".")
            raw[c.code] = text
            if not text:
                values[c.code] = None
                continue
            try:
                values[c.code] = float(text)
            except ValueError:
                errors[c.code] = _("Enter a number.")
                continue
            if values[c.code] < 0:
                errors[c.code] = _("The target cannot be negative.")
            elif indicator.unit == "percent" and values[c.code] > 100:
                errors[c.code] = _("A percentage is at most 100.")
        if not errors:
            outcome = attempt(lambda: services.set_commune_targets(current_user, indicator, values))
            if outcome:
                flash(_("Targets saved (%(n)d communes changed).", n=outcome.value), "success")
                return redirect(url_for("campaigns.targets", indicator_id=indicator.id))
        else:
            flash(_("Some values are not valid; nothing was saved. Correct the highlighted cells."), "danger")
    total = sum(v for v in current.values())
    return render_template("campaigns/targets.html", indicator=indicator, campaign=indicator.campaign,
                           communes=communes, raw=raw, errors=errors, total=total)


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)
