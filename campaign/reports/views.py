"""Dashboards (province, commune), the quarterly report (XLSX, printable) and CSV exports."""

from __future__ import annotations

import base64

import click
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from sqlalchemy import select

from campaign import jobs
from campaign.accounts import permissions as perm
from campaign.campaigns import services as cservices
from campaign.campaigns.forms import BASELINE_LABELS, TARGET_GROUP_LABELS, UNIT_LABELS, metric_labels
from campaign.campaigns.models import Campaign, IndicatorValue
from campaign.core import tabular
from campaign.core.i18n import format_num, format_pct
from campaign.core.services import DomainError
from campaign.core.timeutil import local_today
from campaign.core.web import attempt, uploaded_file
from campaign.extensions import db
from campaign.reports import facts, metrics, services, tasks
from campaign.reports.forms import BaselineForm, ManualValueForm, RemoteForm
from campaign.reports.importers import TargetImporter
from campaign.units import services as units
from campaign.units.models import Commune

bp = Blueprint("reports", __name__, url_prefix="/reports")

PROVINCE_ROLES = (perm.PROVINCE_COORDINATOR,)
COMMUNE_ROLES = perm.COMMUNE_MANAGERS


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _filters(campaign: Campaign) -> dict:
    """Period (from/to, or a quarter "2026-Q3"), target group and "as of" from the query string; bad
    values are ignored (the page says what it shows)."""
    return services.parse_filters(campaign, request.args, local_today())


def _quarters(campaign: Campaign) -> list[str]:
    out = []
    y, q = campaign.starts_on.year, (campaign.starts_on.month - 1) // 3 + 1
    while (y, q) <= (campaign.ends_on.year, (campaign.ends_on.month - 1) // 3 + 1):
        out.append(f"{y}-Q{q}")
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def _board(campaign: Campaign, f: dict, communes=None, trend: bool = False) -> metrics.Dashboard:
    return metrics.progress(campaign, start=f["start"], end=f["end"], group=f["group"], as_of=f["as_of"],
                            communes=communes, trend=trend)


@bp.get("/")
@login_required
def index():
    """The campaigns whose dashboards the user may open, and the communes of a commune officer."""
    if not perm.has_role(current_user, *COMMUNE_ROLES):
        abort(403)
    provinces = perm.province_codes(current_user, PROVINCE_ROLES)
    stmt = select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.id)
    if provinces is not None:
        stmt = stmt.where(Campaign.province_code.in_(provinces or {-1}))
    campaigns = db.session.scalars(stmt).all()
    mine = units.communes(codes=perm.grant_scope(current_user, COMMUNE_ROLES).communes)
    commune_campaigns = db.session.scalars(
        select(Campaign).where(Campaign.province_code.in_({c.province_code for c in mine} or {-1}))
        .order_by(Campaign.starts_on.desc())).all() if mine else []
    return render_template("reports/index.html", campaigns=campaigns, communes=mine,
                           commune_campaigns=commune_campaigns)


def commune_cells(row: metrics.CommuneProgress, indicators: list[metrics.IndicatorProgress]) -> Markup:
    """A commune's cells of the dashboard's ranking (figure / target per indicator), in Python: 95 communes
    × the indicators are most of the page, and Jinja's attribute lookups and filter calls per cell were
    most of its rendering time."""
    out = []
    for ip in indicators:
        ind = ip.indicator
        fmt = format_pct if ind.unit == "percent" else format_num
        a, t = row.achieved.get(ind.id), row.targets.get(ind.id)
        target = "" if t is None else f'<span class="text-body-secondary">/{escape(fmt(t))}</span>'
        out.append(f'<td class="text-end" data-metric="{escape(ind.metric)}" data-value="{"" if a is None else escape(a)}" '
                   f'data-code="{escape(ind.code)}">{escape(fmt(a))}{target}</td>')
    return Markup("\n".join(out))


@bp.get("/campaigns/<int:campaign_id>")
@login_required
def dashboard(campaign_id: int):
    campaign = _campaign(campaign_id)
    perm.require_province(campaign.province_code, PROVINCE_ROLES)
    f = _filters(campaign)
    board = _board(campaign, f, trend=True)  # the figures and the weekly trend in one query
    return render_template("reports/dashboard.html", campaign=campaign, board=board, trend=board.trend, f=f,
                           quarters=_quarters(campaign), groups=TARGET_GROUP_LABELS, units=UNIT_LABELS,
                           metric_labels=metric_labels(), print_view=request.args.get("print") == "1",
                           lag_reason=services.lag_reason, facts_minutes=max(facts.period() // 60, 1),
                           commune_cells=commune_cells)


def _download(body, mimetype: str, filename: str) -> Response:
    return Response(body, content_type=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.get("/campaigns/<int:campaign_id>/report.xlsx")
@login_required
def report_xlsx(campaign_id: int):
    campaign = _campaign(campaign_id)
    perm.require_province(campaign.province_code, PROVINCE_ROLES)
    f = _filters(campaign)
    data = services.report_xlsx(_board(campaign, f))
    tag = f["quarter"] or f["as_of"].isoformat()
    return _download(data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f"bao-cao-chi-tieu-{campaign.id}-{tag}.xlsx")


@bp.get("/campaigns/<int:campaign_id>/<any(communes, indicators):kind>.csv")
@login_required
def export_csv(campaign_id: int, kind: str):
    campaign = _campaign(campaign_id)
    perm.require_province(campaign.province_code, PROVINCE_ROLES)
    board = _board(campaign, _filters(campaign))
    body = services.communes_csv(board) if kind == "communes" else services.indicators_csv(board)
    return _download(body, services.CSV_MIMETYPE, f"{kind}-{campaign.id}.csv")


@bp.get("/campaigns/<int:campaign_id>/communes/<int:code>/figures.<any(xlsx, csv):fmt>")
@login_required
def commune_download(campaign_id: int, code: int, fmt: str):
    """A commune's own figures (officers of the commune, and the province): the plans' layout with the
    commune's targets and figures, from the same code path as every other report."""
    campaign = _campaign(campaign_id)
    place = db.session.get(Commune, code)
    if place is None or place.province_code != campaign.province_code:
        abort(404)
    perm.require_commune(code, COMMUNE_ROLES)
    board = _board(campaign, _filters(campaign), communes=[code])
    total = services.to_date(board)
    if fmt == "csv":
        return _download(services.indicators_csv(board, total, commune=code), services.CSV_MIMETYPE,
                         f"so-lieu-xa-{code}-{campaign.id}.csv")
    return _download(services.report_xlsx(board, total=total, commune=code), tabular.XLSX_MIME,
                     f"so-lieu-xa-{code}-{campaign.id}.xlsx")


@bp.post("/campaigns/<int:campaign_id>/prepare")
@login_required
def prepare(campaign_id: int):
    """"Prepare the report": the XLSX (or a CSV) as a background job with a progress bar; its page
    offers the download. The filters come from the query string, as for the direct downloads."""
    campaign = _campaign(campaign_id)
    perm.require_province(campaign.province_code, PROVINCE_ROLES)
    what = request.form.get("what", "xlsx")
    if what not in tasks.EXPORTS:
        abort(400)
    job = jobs.start("reports.export", current_user, params={
        "campaign_id": campaign.id, "what": what, "args": services.filter_args(_filters(campaign))})
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.post("/campaigns/<int:campaign_id>/refresh")
@login_required
def refresh(campaign_id: int):
    """"Update the figures now": the daily facts of the campaign (and its sub-campaigns) refreshed by the
    job ``reports.refresh_facts`` (on rq with Redis, else at once); back to the dashboard when done."""
    campaign = _campaign(campaign_id)
    perm.require_province(campaign.province_code, PROVINCE_ROLES)
    job = jobs.start("reports.refresh_facts", current_user, params={"campaign_id": campaign.id},
                     next_url=url_for("reports.dashboard", campaign_id=campaign.id))
    if job.status == "done":
        flash(_("The figures were updated."), "success")
        return redirect(url_for("reports.dashboard", campaign_id=campaign.id))
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.get("/campaigns/<int:campaign_id>/communes/<int:code>")
@login_required
def commune(campaign_id: int, code: int):
    campaign = _campaign(campaign_id)
    place = db.session.get(Commune, code)
    if place is None or place.province_code != campaign.province_code:
        abort(404)
    perm.require_commune(code, COMMUNE_ROLES)
    f = _filters(campaign)
    board = _board(campaign, f, communes=[code])
    row = board.communes[0] if board.communes else None
    return render_template("reports/commune.html", campaign=campaign, commune=place, board=board, row=row, f=f,
                           quarters=_quarters(campaign), groups=TARGET_GROUP_LABELS, units=UNIT_LABELS,
                           province_view=perm.can_in_province(current_user, campaign.province_code, PROVINCE_ROLES),
                           back=url_for("reports.index"), lag_reason=services.lag_reason,
                           facts_minutes=max(facts.period() // 60, 1), **services.commune_overview(campaign, place))


# --- manual indicator values ----------------------------------------------------------------------

PROVINCE_WIDE = "province"


def _value_places(campaign: Campaign) -> list[tuple[str, str]]:
    """Where the user may enter values: coordinators (and admins) the whole province and every commune,
    commune officers their own communes of the campaign's province."""
    if perm.can_in_province(current_user, campaign.province_code, PROVINCE_ROLES):
        return [(PROVINCE_WIDE, _("The whole province"))] + [
            (str(c.code), c.name) for c in units.communes(province_code=campaign.province_code)]
    mine = perm.grant_scope(current_user, (perm.COMMUNE_OFFICER,)).communes
    if not mine:
        return []
    return [(str(c.code), c.name) for c in units.communes(province_code=campaign.province_code, codes=mine)]


@bp.route("/campaigns/<int:campaign_id>/values", methods=["GET", "POST"])
@login_required
def manual_values(campaign_id: int):
    """Enter or correct the value of an indicator measured by hand (e.g. VNeID accounts verified by
    the police), for a commune or the whole province, as of a date; the latest entries below."""
    campaign = _campaign(campaign_id)
    places = _value_places(campaign)
    if not places:
        abort(403)
    allowed = {code for code, _label in places}
    indicators = list(campaign.indicators)  # every indicator may take a value reported by another body
    form = ManualValueForm()
    form.indicator_id.choices = [(i.id, f"{i.code}. {i.name}") for i in indicators]
    form.place.choices = places
    if request.method == "GET":
        form.as_of.data = local_today()
        if request.args.get("place") in allowed:
            form.place.data = request.args["place"]
    status = 200
    if form.validate_on_submit():
        if form.place.data not in allowed:
            abort(403)
        indicator = next((i for i in indicators if i.id == form.indicator_id.data), None)

        def save():
            if indicator is None:
                raise DomainError(_("Choose an indicator."), "indicator_id")
            code = None if form.place.data == PROVINCE_WIDE else int(form.place.data)
            cservices.set_indicator_value(current_user, indicator, commune_code=code, as_of=form.as_of.data,
                                          value=form.value.data, source=form.source.data or "",
                                          today=local_today())

        if not attempt(save, form):
            status = 422
        else:
            flash(_("Value saved: %(ind)s, %(value)s as of %(d)s.", ind=indicator.code,
                    value=format_number(form.value.data), d=form.as_of.data.strftime("%d/%m/%Y")), "success")
            return redirect(url_for("reports.manual_values", campaign_id=campaign.id, place=form.place.data))
    elif request.method == "POST":
        if form.place.data and form.place.data not in allowed:
            abort(403)
        status = 422
    history = services.manual_value_history(campaign, None if PROVINCE_WIDE in allowed else
                                            [int(c) for c in allowed])
    return render_template("reports/values.html", campaign=campaign, form=form, indicators=indicators,
                           history=history, units=UNIT_LABELS, allowed=allowed,
                           province_view=PROVINCE_WIDE in allowed), status


@bp.post("/campaigns/<int:campaign_id>/values/<int:value_id>/delete")
@login_required
def delete_manual_value(campaign_id: int, value_id: int):
    campaign = _campaign(campaign_id)
    row = db.session.get(IndicatorValue, value_id)
    if row is None or row.indicator.campaign_id != campaign.id:
        abort(404)
    place = PROVINCE_WIDE if row.commune_code is None else str(row.commune_code)
    if place not in {code for code, _label in _value_places(campaign)}:
        abort(403)
    if attempt(lambda: cservices.delete_indicator_value(current_user, row)):
        flash(_("The value was deleted."), "success")
    return redirect(url_for("reports.manual_values", campaign_id=campaign.id))


def format_number(value) -> str:
    """1234.5 → "1.234,5" (Babel, the user's language); the ``num`` filter (core.i18n)."""
    return format_num(value)


# --- baselines (populations) and the remote mark -------------------------------------------------

@bp.route("/campaigns/<int:campaign_id>/baselines", methods=["GET", "POST"])
@login_required
def baselines(campaign_id: int):
    """The communes' populations (the percentage indicators' denominators) as of the report's date, the
    remote mark, a form to enter one figure and the history of entries."""
    campaign = _campaign(campaign_id)
    perm.require_province(campaign.province_code, PROVINCE_ROLES)
    communes = units.communes(province_code=campaign.province_code)
    form = BaselineForm()
    form.commune.choices = [(c.code, c.name) for c in communes]
    form.kind.choices = list(BASELINE_LABELS.items())
    status = 200
    if request.method == "GET":
        form.as_of.data = local_today()
    if form.validate_on_submit():
        place = next((c for c in communes if c.code == form.commune.data), None)

        def save():
            if place is None:
                raise DomainError(_("Choose a commune."), "commune")
            value = form.value.data
            if value is None or value != value or not float(value).is_integer():
                raise DomainError(_("Enter a whole number."), "value")
            return cservices.set_baseline(current_user, place, form.kind.data, as_of=form.as_of.data,
                                          value=int(value), source=form.source.data or "", today=local_today())

        if attempt(save, form):
            flash(_("Baseline saved: %(c)s, %(g)s.", c=place.name, g=BASELINE_LABELS[form.kind.data]), "success")
            return redirect(url_for("reports.baselines", campaign_id=campaign.id))
        status = 422
    elif request.method == "POST":
        status = 422
    as_of = _filters(campaign)["as_of"]
    current = metrics.baselines(campaign.province_code, as_of)
    totals = {k: sum(v.get(k, 0) for v in current.values()) for k in BASELINE_LABELS}
    return render_template("reports/baselines.html", campaign=campaign, form=form, communes=communes, current=current,
                           totals=totals, labels=BASELINE_LABELS, as_of=as_of, remote_form=RemoteForm(),
                           history=cservices.baseline_history(campaign.province_code, limit=50)), status


@bp.post("/campaigns/<int:campaign_id>/communes/<int:code>/remote")
@login_required
def commune_remote(campaign_id: int, code: int):
    """Mark a commune remote (vùng sâu, vùng xa) or not."""
    campaign = _campaign(campaign_id)
    place = db.session.get(Commune, code)
    if place is None or place.province_code != campaign.province_code:
        abort(404)
    perm.require_province(campaign.province_code, PROVINCE_ROLES)
    form = RemoteForm()
    if not form.validate_on_submit():
        abort(400)
    if attempt(lambda: cservices.set_commune_remote(current_user, place, bool(form.remote.data))):
        flash(_("%(c)s: remote mark saved.", c=place.name), "success")
    return redirect(url_for("reports.baselines", campaign_id=campaign.id) + f"#c-{code}")


# --- imports: per-commune targets -------------------------------------------------------------------

@bp.get("/campaigns/<int:campaign_id>/targets/template.xlsx")
@login_required
def targets_template(campaign_id: int):
    campaign = _campaign(campaign_id)
    perm.require_province(campaign.province_code, PROVINCE_ROLES)
    return _download(TargetImporter(campaign).template(), tabular.XLSX_MIME, f"chi-tieu-xa-{campaign.id}.xlsx")


def _check_targets(importer: TargetImporter, filename: str, data: bytes):
    """(the checked file, the number of changes when "Import" confirmed a good file, else None)."""
    if not data:
        raise DomainError(_("Choose a file to upload."), "file")
    parsed = importer.check(filename, data)
    if request.form.get("confirm") and parsed.ok:
        return parsed, importer.apply(current_user, parsed)
    return parsed, None


@bp.route("/campaigns/<int:campaign_id>/targets/import", methods=["GET", "POST"])
@login_required
def targets_import(campaign_id: int):
    """Upload → preview (every row checked, bad rows listed) → import all rows or none."""
    campaign = _campaign(campaign_id)
    perm.require_province(campaign.province_code, PROVINCE_ROLES)
    parsed, error, payload, filename = None, None, "", ""
    if request.method == "POST":
        importer = TargetImporter(campaign)
        filename, data = uploaded_file(tabular.MAX_BYTES)  # the upload, or the confirmed preview's file
        outcome = attempt(lambda: _check_targets(importer, filename, data), show=False)
        if outcome:
            parsed, changed = outcome.value
            if changed is not None:
                flash(_("Targets imported: %(n)d changes.", n=changed), "success")
                return redirect(url_for("reports.dashboard", campaign_id=campaign.id))
            payload = base64.b64encode(data).decode() if parsed.ok else ""
        else:
            error = outcome.error.message
    return render_template("reports/targets_import.html", campaign=campaign, parsed=parsed, error=error,
                           payload=payload, filename=filename), (422 if error or (parsed and parsed.errors) else 200)
from campaign.reports import import_views  # noqa: E402,F401  (registers the import pages on bp)

# --- the daily facts (flask reports facts) --------------------------------------------------------

@bp.cli.command("facts", help="Rebuild the dashboards' daily facts from the records (every campaign, or one).")
@click.option("--campaign", "campaign_id", type=int, default=None, help="Only this campaign (id).")
@click.option("--refresh", "only_changes", is_flag=True, help="Write only the rows that changed.")
def facts_command(campaign_id: int | None, only_changes: bool):
    ids = [campaign_id] if campaign_id is not None else None
    if only_changes:
        ids = ids or list(db.session.scalars(select(Campaign.id).order_by(Campaign.id)))
        done = {cid: facts.refresh(cid) for cid in ids}
    else:
        done = facts.rebuild_all(ids)
    db.session.commit()
    click.echo(f"daily facts: {len(done)} campaigns, {sum(done.values())} rows {'changed' if only_changes else 'written'}")
