"""Commune reports on a deadline: periods (province), the board (province), a commune's report
(its officers: draft, submit; the province: read, return), printable, XLSX downloads."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from campaign.accounts import permissions as perm
from campaign.campaigns.forms import UNIT_LABELS
from campaign.campaigns.models import Campaign
from campaign.core.timeutil import local_today
from campaign.core.web import attempt
from campaign.extensions import db
from campaign.filings import services
from campaign.filings.forms import DeadlineForm, PeriodForm, ReportForm, ReturnForm
from campaign.filings.models import ReportPeriod
from campaign.units import services as units
from campaign.units.models import Commune

bp = Blueprint("filings", __name__, url_prefix="/filings")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _campaign(campaign_id: int) -> Campaign:
    return db.get_or_404(Campaign, campaign_id)


def _period(period_id: int) -> ReportPeriod:
    return db.get_or_404(ReportPeriod, period_id)


def _commune(period: ReportPeriod, code: int) -> Commune:
    place = db.session.get(Commune, code)
    if place is None or place.province_code != period.campaign.province_code:
        abort(404)
    return place


def _download(body: bytes, filename: str) -> Response:
    return Response(body, content_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                                      "Cache-Control": "no-store"})


@bp.get("/")
@login_required
def index():
    """Coordinators: their campaigns' periods (boards); commune officers: their communes' reports."""
    if not perm.has_role(current_user, *services.VIEW_ROLES):
        abort(403)
    provinces = perm.province_codes(current_user, services.PROVINCE_ROLES)
    stmt = select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.id)
    if provinces is not None:
        stmt = stmt.where(Campaign.province_code.in_(provinces or {-1}))
    campaigns = db.session.scalars(stmt).all()
    mine = units.communes(codes=perm.grant_scope(current_user, services.VIEW_ROLES).communes)
    periods = db.session.scalars(
        select(ReportPeriod).join(Campaign, Campaign.id == ReportPeriod.campaign_id)
        .where(Campaign.province_code.in_({c.province_code for c in mine} or {-1}))
        .order_by(ReportPeriod.due_on.desc(), ReportPeriod.id)).all() if mine else []
    reports = services.reports_of_communes([p.id for p in periods], [c.code for c in mine])
    return render_template("filings/index.html", campaigns=campaigns, communes=mine, periods=periods,
                           reports=reports, today=local_today(), labels=services.state_labels(),
                           state_of=services.state_of)


@bp.route("/campaigns/<int:campaign_id>/periods", methods=["GET", "POST"])
@login_required
def periods(campaign_id: int):
    campaign = _campaign(campaign_id)
    perm.require(services.can_manage(current_user, campaign))
    form = PeriodForm()
    if request.method == "GET":
        for key, value in services.quarter_defaults(local_today()).items():
            form[key].data = value
    status = 200
    if form.validate_on_submit():
        outcome = attempt(lambda: services.create_period(
            current_user, campaign, name=form.name.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
            due_on=form.due_on.data), form, conflict=_("This campaign already has a period with these dates."),
            conflict_field="starts_on")
        if outcome:
            flash(_("Period added: %(name)s.", name=outcome.value.name), "success")
            return redirect(url_for("filings.board", period_id=outcome.value.id))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("filings/periods.html", campaign=campaign, form=form,
                           periods=services.periods_of(campaign), today=local_today()), status


@bp.route("/periods/<int:period_id>", methods=["GET", "POST"])
@login_required
def board(period_id: int):
    """Every commune's state for the period; the deadline can be moved here (POST)."""
    period = _period(period_id)
    perm.require(services.can_manage(current_user, period.campaign))
    form = DeadlineForm()
    status = 200
    if request.method == "GET":
        form.due_on.data = period.due_on
    elif form.validate_on_submit():
        if attempt(lambda: services.update_deadline(current_user, period, form.due_on.data), form):
            flash(_("Deadline changed."), "success")
            return redirect(url_for("filings.board", period_id=period.id))
        status = 422
    else:
        status = 422
    today = local_today()
    rows = services.board(period, today)
    wanted = request.args.get("state")
    shown = [r for r in rows if r.state == wanted] if wanted in services.STATE_ORDER else rows
    return render_template("filings/board.html", period=period, rows=shown, counts=services.counts(rows),
                           total=len(rows), wanted=wanted if wanted in services.STATE_ORDER else None,
                           labels=services.state_labels(), form=form, today=today), status


@bp.get("/periods/<int:period_id>/workbook.xlsx")
@login_required
def workbook(period_id: int):
    period = _period(period_id)
    perm.require(services.can_manage(current_user, period.campaign))
    return _download(services.period_xlsx(period, local_today()), f"bao-cao-dinh-ky-{period.id}.xlsx")


@bp.route("/periods/<int:period_id>/communes/<int:code>", methods=["GET", "POST"])
@login_required
def report(period_id: int, code: int):
    """A commune's report: the figures from the records and the texts; its officers save drafts and
    submit; once submitted, the frozen report (printable)."""
    period = _period(period_id)
    place = _commune(period, code)
    perm.require(services.can_view(current_user, period, place))
    editable = services.can_edit(current_user, period, place)
    rep = services.report_of(period, place.code)
    today = local_today()
    form = ReportForm(obj=rep) if request.method == "GET" else ReportForm()
    status = 200
    if request.method == "POST":
        if not editable:
            abort(403)
        if form.validate_on_submit():
            values = {k: form[k].data for k in ("results", "difficulties", "proposals")}
            sending = bool(form.send.data)
            outcome = attempt(lambda: services.submit(current_user, period, place, values, today) if sending
                              else services.save_draft(current_user, period, place, values), form,
                              conflict=_("Someone else saved this report at the same time; try again."))
            if outcome:
                flash(_("Report submitted.") if sending else _("Draft saved."), "success")
                return redirect(url_for("filings.report", period_id=period.id, code=place.code))
        status = 422
    frozen = rep is not None and rep.status == "submitted"
    figures = rep.snapshot["figures"] if frozen else services.live_figures(period, place, today)
    state, late = services.state_of(rep, period, today)
    return render_template("filings/report.html", period=period, commune=place, report=rep, form=form,
                           figures=figures, frozen=frozen, editable=editable and not frozen, state=state, late=late,
                           labels=services.state_labels(), units=UNIT_LABELS, today=today,
                           as_of=(date.fromisoformat(rep.snapshot["as_of"]) if frozen
                                  else services.figures_as_of(period, today)),
                           province_view=services.can_manage(current_user, period.campaign),
                           return_form=ReturnForm()), status


@bp.post("/periods/<int:period_id>/communes/<int:code>/return")
@login_required
def return_report(period_id: int, code: int):
    period = _period(period_id)
    place = _commune(period, code)
    perm.require(services.can_manage(current_user, period.campaign))
    rep = services.report_of(period, place.code)
    if rep is None:
        abort(404)
    form = ReturnForm()
    if not form.validate_on_submit():
        flash(form.comment.errors[0] if form.comment.errors else _("Say what needs correcting."), "danger")
        return redirect(url_for("filings.report", period_id=period.id, code=place.code))
    if attempt(lambda: services.return_report(current_user, rep, form.comment.data)):
        flash(_("The report was returned to %(name)s.", name=place.name), "success")
        return redirect(url_for("filings.board", period_id=period.id))
    return redirect(url_for("filings.report", period_id=period.id, code=place.code))


@bp.get("/periods/<int:period_id>/communes/<int:code>/report.xlsx")
@login_required
def report_xlsx(period_id: int, code: int):
    """The report as submitted (its snapshot); before that, today's figures and the draft's texts."""
    period = _period(period_id)
    place = _commune(period, code)
    perm.require(services.can_view(current_user, period, place))
    rep = services.report_of(period, place.code)
    data = (rep.snapshot if rep is not None and rep.status == "submitted"
            else services.draft_data(period, place, rep, local_today()))
    return _download(services.report_xlsx(data), f"bao-cao-{place.code}-{period.id}.xlsx")
