"""The plan's task table, the units' pages and the lead unit's status updates."""

from __future__ import annotations

import base64

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from campaign.accounts import permissions as perm
from campaign.accounts.forms import ConfirmForm
from campaign.campaigns.models import Campaign, Indicator
from campaign.core import tabular
from campaign.core.services import DomainError
from campaign.core.timeutil import format_date, local_today
from campaign.core.web import attempt, uploaded_file
from campaign.events.models import Event
from campaign.extensions import db
from campaign.plans import services
from campaign.plans.forms import (
    SECTION_LABELS,
    STATUS_LABELS,
    UNIT_KIND_LABELS,
    MemberForm,
    StatusForm,
    UnitForm,
)
from campaign.plans.importers import TaskImporter
from campaign.plans.models import SECTIONS, PlanTask, PlanTaskUpdate, PlanUnit, PlanUnitMember
from campaign.units.models import Province
from campaign.volunteers.models import Shift

bp = Blueprint("plans", __name__, url_prefix="/plans")


def timing_label(task: PlanTask) -> str:
    """The time frame in words (the plan's own wording when imported)."""
    if task.timing_text:
        return task.timing_text
    if task.timing == "regularly":
        return _("Regularly")
    if task.timing == "date":
        return _("By %(d)s", d=format_date(task.due_on))
    return f"{format_date(task.starts_on)} – {format_date(task.due_on)}"


def _labels() -> dict:
    return {"sections": SECTION_LABELS, "statuses": STATUS_LABELS, "kinds": UNIT_KIND_LABELS, "timing": timing_label,
            "numbers": dict(zip(SECTIONS, ("I", "II", "III", "IV", "V", "VI"), strict=True))}


@bp.context_processor
def _helpers() -> dict:
    return {"plan_number": lambda v: "" if v is None else format_decimal(v, format="#,##0.###")}


def _campaign(campaign_id: int) -> Campaign:
    return db.get_or_404(Campaign, campaign_id)


def _task(task_id: int) -> PlanTask:
    return db.get_or_404(PlanTask, task_id)


def _unit(unit_id: int) -> PlanUnit:
    return db.get_or_404(PlanUnit, unit_id)


def _download(data: bytes, mime: str, filename: str) -> Response:
    return Response(data, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                                  "Cache-Control": "private, no-store"})


@bp.get("/")
@login_required
def index():
    """What is my unit responsible for? The tasks of the units the user acts for, and the task tables
    the user may see."""
    unit_ids = services.acting_unit_ids(current_user)
    units = db.session.scalars(select(PlanUnit).where(PlanUnit.id.in_(unit_ids or [-1])).order_by(PlanUnit.name)).all()
    rows = services.tasks_of_units(unit_ids)
    provinces = perm.acting_provinces(current_user, services.VIEW_ROLES)
    provinces = (provinces or set()) | {u.province_code for u in units} if provinces is not None else None
    stmt = select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.name)
    if provinces is not None:
        stmt = stmt.where(Campaign.province_code.in_(provinces or [-1]))
    campaigns = db.session.scalars(stmt.where(Campaign.id.in_(select(PlanTask.campaign_id)))).all()
    return render_template("plans/index.html", units=units, rows=rows, campaigns=campaigns, today=local_today(),
                           labels=_labels())


@bp.get("/campaigns/<int:campaign_id>")
@login_required
def table(campaign_id: int):
    """The task table, grouped in the plan's sections, with each task's status and units."""
    campaign = _campaign(campaign_id)
    perm.require(services.can_view(current_user, campaign.province_code))
    tasks = services.tasks_of(campaign)
    status = request.args.get("status", "")
    if status == "overdue":
        tasks = [t for t in tasks if t.overdue(local_today())]
    elif status in STATUS_LABELS:
        tasks = [t for t in tasks if t.status == status]
    counts: dict[str, int] = {}
    today = local_today()
    for t in services.tasks_of(campaign) if status else tasks:
        counts[t.status] = counts.get(t.status, 0) + 1
        counts["overdue"] = counts.get("overdue", 0) + t.overdue(today)
    return render_template("plans/table.html", campaign=campaign, tasks=tasks, today=today, labels=_labels(),
                           counts=counts, status=status, by_unit=_by_lead_unit(tasks, today), mine=services.acting_unit_ids(current_user),
                           can_manage=services.can_manage(current_user, campaign.province_code))


def _by_lead_unit(tasks: list[PlanTask], today) -> list[tuple[PlanUnit, dict[str, int]]]:
    """Each lead unit with its tasks' count per status and overdue (from the loaded tasks: no query)."""
    out: dict[int, tuple[PlanUnit, dict[str, int]]] = {}
    for t in tasks:
        for unit in t.leads:
            counts = out.setdefault(unit.id, (unit, {}))[1]
            counts["all"] = counts.get("all", 0) + 1
            counts[t.status] = counts.get(t.status, 0) + 1
            counts["overdue"] = counts.get("overdue", 0) + t.overdue(today)
    return sorted(out.values(), key=lambda pair: (-pair[1].get("overdue", 0), pair[0].search_name))


@bp.get("/campaigns/<int:campaign_id>/tasks.xlsx")
@login_required
def export(campaign_id: int):
    campaign = _campaign(campaign_id)
    perm.require(services.can_view(current_user, campaign.province_code))
    data = services.export_xlsx(campaign, services.tasks_of(campaign), _labels(), local_today())
    return _download(data, tabular.XLSX_MIME, f"nhiem-vu-{campaign.id}.xlsx")


@bp.get("/campaigns/<int:campaign_id>/import/template.xlsx")
@login_required
def import_template(campaign_id: int):
    campaign = _campaign(campaign_id)
    perm.require(services.can_manage(current_user, campaign.province_code))
    return _download(TaskImporter().template(), tabular.XLSX_MIME, "mau-nhiem-vu.xlsx")


@bp.route("/campaigns/<int:campaign_id>/import", methods=["GET", "POST"])
@login_required
def import_tasks(campaign_id: int):
    """Upload → preview (every row checked, bad rows listed) → import every row or none."""
    campaign = _campaign(campaign_id)
    perm.require(services.can_manage(current_user, campaign.province_code))
    importer = TaskImporter()
    page = {"checked": None, "error": None, "payload": "", "filename": ""}
    if request.method == "POST":
        outcome = attempt(lambda: _import_post(importer, campaign, page), show=False)
        if not outcome:
            page["error"] = outcome.error.message
        elif outcome.value is not None:
            return outcome.value
    checked = page["checked"]
    code = 422 if page["error"] or (checked and (checked.errors or checked.problems)) else 200
    return render_template("plans/import.html", importer=importer, campaign=campaign,
                           template_url=url_for("plans.import_template", campaign_id=campaign.id),
                           back_url=url_for("plans.table", campaign_id=campaign.id), **page), code


def _import_post(importer: TaskImporter, campaign: Campaign, page: dict):
    filename, data = uploaded_file(tabular.MAX_BYTES)
    page["filename"] = filename
    if not data:
        raise DomainError(_("Choose a file to upload."), "file")
    checked = page["checked"] = importer.check(current_user, filename, data, campaign)
    if request.form.get("confirm") and checked.ok:
        counts = importer.apply(current_user, checked, campaign)
        flash(_("Imported: %(new)d new tasks, %(updated)d updated, %(units)d new units.", **counts), "success")
        return redirect(url_for("plans.table", campaign_id=campaign.id))
    page["payload"] = base64.b64encode(data).decode() if checked.ok else ""
    return None


def _can_see_task(task: PlanTask) -> bool:
    return (services.can_view(current_user, task.campaign.province_code)
            or bool(services.acting_unit_ids(current_user) & {tu.unit_id for tu in task.units}))


@bp.get("/tasks/<int:task_id>")
@login_required
def task(task_id: int):
    task = _task(task_id)
    perm.require(_can_see_task(task))
    form = StatusForm(status=task.status)
    can_manage = services.can_manage(current_user, task.campaign.province_code)
    links = {}
    if can_manage:
        links["indicators"] = db.session.scalars(select(Indicator).where(Indicator.campaign_id == task.campaign_id)
                                                 .order_by(Indicator.position, Indicator.id)).all()
        sub = select(Campaign.id).where((Campaign.id == task.campaign_id) | (Campaign.parent_id == task.campaign_id))
        links["events"] = db.session.scalars(select(Event).where(Event.campaign_id.in_(sub))
                                             .order_by(Event.starts_at.desc()).limit(200)).all()
        links["shifts"] = db.session.scalars(select(Shift).where(Shift.campaign_id.in_(sub))
                                             .order_by(Shift.starts_at.desc()).limit(200)).all()
    return render_template("plans/task.html", task=task, form=form, labels=_labels(), today=local_today(),
                           can_update=services.can_update(current_user, task), can_manage=can_manage, links=links,
                           confirm=ConfirmForm())


@bp.post("/tasks/<int:task_id>/status")
@login_required
def task_status(task_id: int):
    """The lead unit reports the status, a note and evidence (a link, or a PDF/PNG/JPEG file)."""
    task = _task(task_id)
    perm.require(services.can_update(current_user, task))
    form = StatusForm()
    if form.validate_on_submit():
        upload = request.files.get("evidence")
        evidence = (upload.filename or "", upload.read(services.EVIDENCE_MAX + 1)) if upload else None
        outcome = attempt(lambda: services.update_status(current_user, task, form.status.data, form.note.data,
                                                         form.link.data, evidence), form)
        if outcome:
            flash(_("The status is saved."), "success")
            return redirect(url_for("plans.task", task_id=task.id))
    return render_template("plans/task.html", task=task, form=form, labels=_labels(), today=local_today(),
                           can_update=True, can_manage=False, links={}, confirm=ConfirmForm()), 422


@bp.post("/tasks/<int:task_id>/links")
@login_required
def task_links(task_id: int):
    """The indicators and events (classes, shifts, activities) that carry the task out."""
    task = _task(task_id)
    perm.require(services.can_manage(current_user, task.campaign.province_code))

    def ids(name: str) -> list[int]:
        return [int(v) for v in request.form.getlist(name) if v.isdigit() and len(v) < 10]

    outcome = attempt(lambda: services.set_links(current_user, task, ids("indicator"), ids("event"), ids("shift")))
    if outcome:
        flash(_("The links are saved."), "success")
    return redirect(url_for("plans.task", task_id=task.id))


@bp.get("/updates/<int:update_id>/evidence")
@login_required
def evidence(update_id: int):
    update = db.session.get(PlanTaskUpdate, update_id)
    if update is None or update.evidence_data is None:
        abort(404)
    perm.require(_can_see_task(update.task))
    resp = _download(update.evidence_data, update.evidence_type, update.evidence_name)
    resp.headers["Content-Security-Policy"] = "sandbox"
    return resp


@bp.route("/provinces/<int:code>/units", methods=["GET", "POST"])
@login_required
def units(code: int):
    province = db.session.get(Province, code)
    if province is None:
        abort(404)
    perm.require(services.can_view(current_user, code))
    can_manage = services.can_manage(current_user, code)
    form = UnitForm()
    if request.method == "POST":
        perm.require(can_manage)
        if form.validate_on_submit():
            outcome = attempt(lambda: services.create_unit(current_user, code, form.name.data, form.kind.data), form)
            if outcome:
                flash(_("The unit is added."), "success")
                return redirect(url_for("plans.unit", unit_id=outcome.value.id))
    rows = db.session.scalars(select(PlanUnit).where(PlanUnit.province_code == code)
                              .order_by(PlanUnit.kind == "commune", PlanUnit.search_name)).all()
    status = 422 if form.errors else 200
    return render_template("plans/units.html", province=province, units=rows, form=form, can_manage=can_manage,
                           labels=_labels()), status


@bp.get("/units/<int:unit_id>")
@login_required
def unit(unit_id: int):
    """What is this unit responsible for: the tasks it leads and those it is a partner in."""
    unit = _unit(unit_id)
    perm.require(services.can_see_unit(current_user, unit))
    can_manage = services.can_manage(current_user, unit.province_code)
    return render_template("plans/unit.html", unit=unit, rows=services.tasks_of_units({unit.id}),
                           today=local_today(), labels=_labels(), can_manage=can_manage, form=MemberForm(),
                           confirm=ConfirmForm(), acts=unit.id in services.acting_unit_ids(current_user))


@bp.post("/units/<int:unit_id>/members")
@login_required
def add_member(unit_id: int):
    unit = _unit(unit_id)
    perm.require(services.can_manage(current_user, unit.province_code))
    form = MemberForm()
    if form.validate_on_submit():
        outcome = attempt(lambda: services.add_member(current_user, unit, form.username.data), form)
        if outcome:
            flash(_("The member is added."), "success")
            return redirect(url_for("plans.unit", unit_id=unit.id))
    return render_template("plans/unit.html", unit=unit, rows=services.tasks_of_units({unit.id}),
                           today=local_today(), labels=_labels(), can_manage=True, form=form,
                           confirm=ConfirmForm(), acts=False), 422


@bp.post("/units/<int:unit_id>/members/<int:member_id>/delete")
@login_required
def remove_member(unit_id: int, member_id: int):
    unit = _unit(unit_id)
    perm.require(services.can_manage(current_user, unit.province_code))
    if db.session.get(PlanUnitMember, member_id) is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        if attempt(lambda: services.remove_member(current_user, unit, member_id)):
            flash(_("The member is removed."), "success")
    return redirect(url_for("plans.unit", unit_id=unit.id))
