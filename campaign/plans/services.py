"""The plan's units and tasks: who acts for a unit, status updates by the lead unit, the plan's timing
and budget wording, and the task table as the plan lays it out (XLSX)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from campaign.accounts import permissions as perm
from campaign.accounts.models import COMMUNE_OFFICER, PROVINCE_COORDINATOR, YOUTH_ORGANISER, User
from campaign.campaigns.models import Campaign
from campaign.core.services import DomainError, audit
from campaign.core.text import fold, nfc
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.plans.models import (
    SECTIONS,
    STATUSES,
    PlanTask,
    PlanTaskUnit,
    PlanTaskUpdate,
    PlanUnit,
    PlanUnitMember,
)
from campaign.units.models import Commune

VIEW_ROLES = perm.COMMUNE_MANAGERS + (YOUTH_ORGANISER,)
EVIDENCE_MAX = 2 * 1024 * 1024
EVIDENCE_TYPES = {b"%PDF-": ("application/pdf", "pdf"), b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
                  b"\xff\xd8\xff": ("image/jpeg", "jpg")}


# --- who acts for a unit ----------------------------------------------------------------------------

def acting_unit_ids(user, province_code: int | None = None) -> set[int]:
    """The units the user acts for: those they are a member of, and the units of the communes where they
    are a commune officer."""
    if not perm.is_authenticated(user):
        return set()
    ids = set(db.session.scalars(select(PlanUnitMember.unit_id).where(PlanUnitMember.user_id == user.id)))
    communes = perm.grant_scope(user, (COMMUNE_OFFICER,)).communes
    if communes:
        ids |= set(db.session.scalars(select(PlanUnit.id).where(PlanUnit.commune_code.in_(communes))))
    if province_code is not None and ids:
        ids = set(db.session.scalars(select(PlanUnit.id).where(PlanUnit.id.in_(ids),
                                                               PlanUnit.province_code == province_code)))
    return ids


def can_manage(user, province_code: int) -> bool:
    """Units, members and the task table of a province: its coordinators (and admins)."""
    return perm.can_in_province(user, province_code, roles=(PROVINCE_COORDINATOR,))


def can_view(user, province_code: int) -> bool:
    """The task table: the province's staff, and anyone acting for one of its units."""
    return (perm.acts_in_province(user, province_code, roles=VIEW_ROLES)
            or bool(acting_unit_ids(user, province_code)))


def can_update(user, task: PlanTask) -> bool:
    """Only a lead unit of the task updates its status (admins too)."""
    if perm.is_admin(user):
        return True
    return bool(acting_unit_ids(user) & {u.id for u in task.leads})


def can_see_unit(user, unit: PlanUnit) -> bool:
    return can_view(user, unit.province_code) or unit.id in acting_unit_ids(user)


# --- units -----------------------------------------------------------------------------------------

def guess_kind(name: str) -> str:
    f = fold(name)
    if f.startswith(("doan tncs", "tinh doan", "doan thanh nien")):
        return "youth_union"
    if f.startswith(("hoi ", "uy ban mttq", "mat tran", "lien doan lao dong")):
        return "union"
    if f.startswith(("so ", "cac so")):
        return "department"
    if "cac xa" in f:
        return "communes"
    return "other"


def find_units(province_code: int) -> dict[str, PlanUnit]:
    """folded name -> unit, for the province (one query)."""
    return {u.search_name: u for u in db.session.scalars(select(PlanUnit).where(PlanUnit.province_code == province_code))}


def create_unit(actor, province_code: int, name: str, kind: str | None = None, commune: Commune | None = None,
                known: dict[str, PlanUnit] | None = None) -> PlanUnit:
    name = nfc(" ".join((name or "").split()))
    if not name:
        raise DomainError(_("Give the unit's name."), "name")
    if len(name) > 200:
        raise DomainError(_("The name is longer than %(n)d characters.", n=200), "name")
    known = find_units(province_code) if known is None else known
    if fold(name) in known:
        raise DomainError(_("A unit of this province is already named “%(n)s”.", n=name), "name")
    if commune is not None:
        if commune.province_code != province_code:
            raise DomainError(_("This commune is not in the province."), "commune_code")
        if db.session.scalar(select(PlanUnit.id).where(PlanUnit.commune_code == commune.code)):
            raise DomainError(_("This commune already has its unit."), "commune_code")
        kind = "commune"
    elif kind == "commune":
        raise DomainError(_("A commune's unit needs its commune."), "commune_code")
    unit = PlanUnit(province_code=province_code, name=name, search_name=fold(name), kind=kind or guess_kind(name),
                    commune_code=commune.code if commune else None)
    db.session.add(unit)
    db.session.flush()
    known[unit.search_name] = unit
    audit("plan_unit.created", actor=actor, object_type="plan_unit", object_id=unit.id)
    return unit


def add_member(actor, unit: PlanUnit, username: str) -> PlanUnitMember:
    username = (username or "").strip()
    user = db.session.scalar(select(User).where(User.username == username)) if username else None
    if user is None or not user.active:
        raise DomainError(_("No active user has this username."), "username")
    if db.session.scalar(select(PlanUnitMember.id).where(PlanUnitMember.unit_id == unit.id,
                                                         PlanUnitMember.user_id == user.id)):
        raise DomainError(_("This user already acts for the unit."), "username")
    member = PlanUnitMember(unit_id=unit.id, user_id=user.id, added_by_id=actor.id if actor else None)
    db.session.add(member)
    db.session.flush()
    audit("plan_unit.member_added", actor=actor, object_type="plan_unit", object_id=unit.id, user=user.id)
    return member


def remove_member(actor, unit: PlanUnit, member_id: int) -> None:
    member = db.session.get(PlanUnitMember, member_id)
    if member is None or member.unit_id != unit.id:
        raise DomainError(_("This member is not in the unit."))
    db.session.delete(member)
    audit("plan_unit.member_removed", actor=actor, object_type="plan_unit", object_id=unit.id, user=member.user_id)


# --- the plan's wording of time and money ----------------------------------------------------------

ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


@dataclass
class Timing:
    kind: str  # date, month, quarter, regularly
    starts_on: date | None
    due_on: date | None
    text: str


def _quarter_bounds(q: int, year: int) -> tuple[date, date]:
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - timedelta(days=1)
    return start, end


def _month_end(year: int, month: int) -> date:
    return date(year + (month == 12), 1 if month == 12 else month + 1, 1) - timedelta(days=1)


def parse_timing(raw: str, year: int) -> Timing:
    """"Thường xuyên", "Tháng 5/2026", "Quý III/2026", "Quý II, III/2026", "Quý III-IV/2026",
    "Trước 30/11/2026", "30/11/2026". ValueError otherwise."""
    text = " ".join(str(raw or "").split())
    f = fold(text)
    if not f or f in ("thuong xuyen", "regularly", "hang nam", "ca nam"):
        return Timing("regularly", None, None, text)
    if m := re.search(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", f):
        try:
            due = date(int(m[3]), int(m[2]), int(m[1]))
        except ValueError as exc:
            raise ValueError(text) from exc
        return Timing("date", None, due, text)
    if m := re.fullmatch(r"(?:thang|month)\s*(\d{1,2})(?:\s*[-,]\s*(\d{1,2}))?\s*(?:/\s*(\d{4}))?", f):
        first, last = int(m[1]), int(m[2] or m[1])
        y = int(m[3] or year)
        if not (1 <= first <= last <= 12):
            raise ValueError(text)
        return Timing("month", date(y, first, 1), _month_end(y, last), text)
    if m := re.fullmatch(r"(?:quy|q|quarter)\s*([ivx\d,\s-]+?)\s*(?:/\s*(\d{4}))?", f):
        parts = [p for p in re.split(r"[\s,-]+", m[1]) if p]
        qs = [ROMAN.get(p) or (int(p) if p.isdigit() else 0) for p in parts]
        if not qs or not all(1 <= q <= 4 for q in qs):
            raise ValueError(text)
        y = int(m[2] or year)
        return Timing("quarter", _quarter_bounds(min(qs), y)[0], _quarter_bounds(max(qs), y)[1], text)
    raise ValueError(text)


def parse_budget(value) -> Decimal | None:
    """Million đồng: 500, "1.000" (one thousand), "12,5", blank → None. ValueError otherwise."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise ValueError(value)
        return None
    if isinstance(value, int | float):
        out = Decimal(str(value))
    else:
        t = str(value).strip().replace(" ", "").replace("\u00a0", "")
        if not t:
            return None
        if "," in t and "." in t:
            t = t.replace(".", "").replace(",", ".")
        elif "," in t:
            t = t.replace(",", ".")
        elif re.fullmatch(r"\d{1,3}(\.\d{3})+", t):
            t = t.replace(".", "")
        try:
            out = Decimal(t)
        except InvalidOperation as exc:
            raise ValueError(value) from exc
    if not out.is_finite() or out < 0 or out >= Decimal("1e11"):
        raise ValueError(value)
    return out.quantize(Decimal("0.001"))


# --- tasks -----------------------------------------------------------------------------------------

def tasks_of(campaign: Campaign) -> list[PlanTask]:
    """The campaign's task table in the plan's order (units loaded with it: two queries)."""
    order = {s: i for i, s in enumerate(SECTIONS)}
    rows = db.session.scalars(select(PlanTask).where(PlanTask.campaign_id == campaign.id)).all()
    return sorted(rows, key=lambda t: (order[t.section], t.number))


def tasks_of_units(unit_ids: set[int]) -> list[tuple[PlanTask, str]]:
    """(task, role) of the tasks these units lead or partner in."""
    if not unit_ids:
        return []
    rows = db.session.execute(
        select(PlanTask, PlanTaskUnit.role).join(PlanTaskUnit, PlanTaskUnit.task_id == PlanTask.id)
        .where(PlanTaskUnit.unit_id.in_(unit_ids))
        .order_by(PlanTask.campaign_id, PlanTask.section, PlanTask.number)).all()
    seen: dict[int, tuple[PlanTask, str]] = {}
    for task, role in rows:
        if task.id not in seen or role == "lead":
            seen[task.id] = (task, role)
    return list(seen.values())


def set_units(task: PlanTask, leads: list[PlanUnit], partners: list[PlanUnit]) -> None:
    task.units.clear()
    db.session.flush()
    lead_ids = set()
    for i, unit in enumerate(leads):
        if unit.id not in lead_ids:
            lead_ids.add(unit.id)
            task.units.append(PlanTaskUnit(unit_id=unit.id, unit=unit, role="lead", position=i))
    done = set(lead_ids)
    for i, unit in enumerate(partners):
        if unit.id not in done:
            done.add(unit.id)
            task.units.append(PlanTaskUnit(unit_id=unit.id, unit=unit, role="partner", position=100 + i))


def check_evidence(name: str, data: bytes) -> tuple[str, str]:
    """(file name, content type) of an evidence file: a PDF, PNG or JPEG of at most 2 MB."""
    if len(data) > EVIDENCE_MAX:
        raise DomainError(_("The file is larger than 2 MB."), "evidence")
    for magic, (mime, ext) in EVIDENCE_TYPES.items():
        if data.startswith(magic):
            base = re.sub(r"[^\w.-]+", "-", fold(name or "").rsplit(".", 1)[0]).strip("-.")[:80] or "minh-chung"
            return f"{base}.{ext}", mime
    raise DomainError(_("Evidence must be a PDF, PNG or JPEG file."), "evidence")


def update_status(actor, task: PlanTask, status: str, note: str = "", link: str = "",
                  evidence: tuple[str, bytes] | None = None) -> PlanTaskUpdate:
    """The lead unit reports: the status, a short note, a link or a file as evidence."""
    if not can_update(actor, task):
        raise DomainError(_("Only a lead unit of this task may update its status."))
    if status not in STATUSES:
        raise DomainError(_("Choose a status."), "status")
    note = nfc((note or "").strip())
    link = (link or "").strip()
    if len(note) > 1000:
        raise DomainError(_("The note is longer than %(n)d characters.", n=1000), "note")
    if link and (not re.match(r"https?://[^\s/]+", link) or len(link) > 500):
        raise DomainError(_("The link must start with http:// or https://."), "link")
    name, mime, data = "", "", None
    if evidence is not None and evidence[1]:
        name, mime = check_evidence(*evidence)
        data = evidence[1]
    if status == "done" and not (link or data or note):
        raise DomainError(_("A finished task needs its evidence: a note, a link or a file."), "note")
    mine = acting_unit_ids(actor)
    unit = next((u for u in task.leads if u.id in mine), None)
    update = PlanTaskUpdate(task=task, unit_id=unit.id if unit else None, status=status, note=note, link=link,
                            evidence_name=name, evidence_type=mime, evidence_data=data,
                            by_id=actor.id if actor else None)
    db.session.add(update)
    if task.status != status:
        task.status_changed_at = utcnow()
    task.status = status
    task.progress_note = note
    db.session.flush()
    audit("plan_task.status", actor=actor, object_type="plan_task", object_id=task.id, status=status,
          unit=update.unit_id)
    return update


# --- the table as the plan lays it out --------------------------------------------------------------

def unit_names(units: list[PlanUnit]) -> str:
    return "; ".join(u.name for u in units)


def export_xlsx(campaign: Campaign, tasks: list[PlanTask], labels: dict, today: date) -> bytes:
    """STT, Nội dung, Kết quả/sản phẩm, Đơn vị chủ trì, Đơn vị phối hợp, Thời gian, Kinh phí, then the
    status and progress note; a row per section (I, II, ...) as in the plan."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from campaign.core.tabular import csv_cell

    wb = Workbook()
    ws = wb.active
    ws.title = str(_("Tasks"))[:31]
    ws.append([csv_cell(campaign.name)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    header = [_("No."), _("Content"), _("Result / product"), _("Lead unit"), _("Partner units"), _("Time frame"),
              _("Budget (million VND)"), _("Status"), _("Progress note")]
    ws.append([str(h) for h in header])
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    section = None
    numbers = ["I", "II", "III", "IV", "V", "VI"]
    for task in tasks:
        if task.section != section:
            section = task.section
            ws.append([numbers[SECTIONS.index(section)], csv_cell(str(labels["sections"][section]).upper())])
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)
        status = str(labels["statuses"][task.status])
        if task.overdue(today):
            status += " — " + str(_("overdue"))
        ws.append([task.number, csv_cell(task.content), csv_cell(task.expected_result), csv_cell(unit_names(task.leads)),
                   csv_cell(unit_names(task.partners)), csv_cell(task.timing_text or labels["timing"](task)),
                   float(task.budget) if task.budget is not None else None, status, csv_cell(task.progress_note)])
        ws.cell(ws.max_row, 7).number_format = "#,##0.###"
    for col, width in zip("ABCDEFGHI", (6, 40, 36, 28, 32, 16, 12, 16, 30), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.page_setup.orientation = "landscape"
    ws.print_title_rows = "3:3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def set_links(actor, task: PlanTask, indicator_ids: list[int], event_ids: list[int],
              shift_ids: list[int] | None = None) -> None:
    """The indicators (of the task's campaign), events and classes, and volunteer shifts (of the campaign or
    its sub-campaigns) that carry the task out."""
    from campaign.campaigns.models import Indicator
    from campaign.events.models import Event
    from campaign.volunteers.models import Shift

    indicators = db.session.scalars(select(Indicator).where(Indicator.id.in_(indicator_ids or [-1]),
                                                            Indicator.campaign_id == task.campaign_id)).all()
    if len(indicators) != len(set(indicator_ids)):
        raise DomainError(_("An indicator is not one of this campaign's."))
    sub = select(Campaign.id).where((Campaign.id == task.campaign_id) | (Campaign.parent_id == task.campaign_id))
    events = db.session.scalars(select(Event).where(Event.id.in_(event_ids or [-1]), Event.campaign_id.in_(sub))).all()
    if len(events) != len(set(event_ids)):
        raise DomainError(_("An event is not one of this campaign's."))
    shift_ids = shift_ids or []
    shifts = db.session.scalars(select(Shift).where(Shift.id.in_(shift_ids or [-1]), Shift.campaign_id.in_(sub))).all()
    if len(shifts) != len(set(shift_ids)):
        raise DomainError(_("A shift is not one of this campaign's."))
    task.indicators = list(indicators)
    task.events = list(events)
    task.shifts = list(shifts)
    db.session.flush()
    audit("plan_task.links", actor=actor, object_type="plan_task", object_id=task.id,
          indicators=len(indicators), events=len(events), shifts=len(shifts))
