"""Report periods, communes' reports (draft → submitted → returned → submitted), the province's board
and the workbooks.

The figures of a commune's report come from ``reports.metrics.progress`` (the dashboard's code path),
restricted to the commune: the period's figures (from its first to its last day, or today while it
runs) and the running totals since the campaign began. Submitting stores them with the texts, who and
when, as the report's ``snapshot``: what the province reads and downloads from then on, whatever
happens to the records afterwards.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from campaign.accounts import permissions as perm
from campaign.campaigns.forms import UNIT_LABELS
from campaign.campaigns.models import Campaign
from campaign.core.services import DomainError, audit
from campaign.core.text import nfc
from campaign.core.timeutil import format_datetime
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.filings.models import TEXT_SECTIONS, CommuneReport, ReportPeriod
from campaign.reports import metrics
from campaign.units import services as units
from campaign.units.models import Commune

PROVINCE_ROLES = (perm.PROVINCE_COORDINATOR,)
EDIT_ROLES = (perm.COMMUNE_OFFICER,)
VIEW_ROLES = perm.COMMUNE_MANAGERS
MAX_TEXT = 20000
DUE_DAY = 15  # Khánh Hòa: the quarter's report before the 15th of the next month


# --- permissions ---------------------------------------------------------------------------------

def can_manage(user, campaign: Campaign) -> bool:
    """Set periods, see the board, return reports, download the period's workbook: the province's
    coordinators (and admins)."""
    return perm.can_in_province(user, campaign.province_code, PROVINCE_ROLES)


def can_view(user, period: ReportPeriod, commune: Commune) -> bool:
    """Read a commune's report: its officers and the province's coordinators."""
    return perm.in_commune_scope(user, commune.code, commune.province_code, VIEW_ROLES)


def can_edit(user, period: ReportPeriod, commune: Commune) -> bool:
    """Write and submit a commune's report: its commune officers (admins too)."""
    return perm.in_commune_scope(user, commune.code, commune.province_code, EDIT_ROLES)


# --- periods -------------------------------------------------------------------------------------

def quarter_of(day: date) -> tuple[date, date]:
    q = (day.month - 1) // 3
    start = date(day.year, 3 * q + 1, 1)
    end = date(day.year + (q == 3), 1 if q == 3 else 3 * q + 4, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def quarter_defaults(day: date) -> dict:
    """The quarter holding ``day``, due before the 15th of the next month."""
    start, end = quarter_of(day)
    nxt = date.fromordinal(end.toordinal() + 1)
    return {"name": _("Quarter %(q)d/%(y)d", q=(start.month - 1) // 3 + 1, y=start.year),
            "starts_on": start, "ends_on": end, "due_on": nxt.replace(day=DUE_DAY - 1)}


def periods_of(campaign: Campaign) -> list[ReportPeriod]:
    return list(db.session.scalars(select(ReportPeriod).where(ReportPeriod.campaign_id == campaign.id)
                                   .order_by(ReportPeriod.starts_on.desc(), ReportPeriod.id)))


def create_period(actor, campaign: Campaign, *, name: str, starts_on: date, ends_on: date, due_on: date) -> ReportPeriod:
    name = nfc(name or "").strip()
    if not name:
        raise DomainError(_("Give the period a name."), "name")
    if ends_on < starts_on:
        raise DomainError(_("The period must end on or after its first day."), "ends_on")
    if due_on < ends_on:
        raise DomainError(_("The deadline cannot be before the period ends."), "due_on")
    if db.session.scalar(select(ReportPeriod.id).where(ReportPeriod.campaign_id == campaign.id,
                                                       ReportPeriod.starts_on == starts_on,
                                                       ReportPeriod.ends_on == ends_on)):
        raise DomainError(_("This campaign already has a period with these dates."), "starts_on")
    period = ReportPeriod(campaign_id=campaign.id, name=name[:120], starts_on=starts_on, ends_on=ends_on,
                          due_on=due_on, created_by_id=getattr(actor, "id", None))
    db.session.add(period)
    db.session.flush()
    audit("filings.period_created", period, actor=actor, campaign_id=campaign.id, name=period.name,
          starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat(), due_on=due_on.isoformat())
    return period


def update_deadline(actor, period: ReportPeriod, due_on: date) -> None:
    if due_on < period.ends_on:
        raise DomainError(_("The deadline cannot be before the period ends."), "due_on")
    old = period.due_on
    period.due_on = due_on
    audit("filings.deadline_changed", period, actor=actor, old=old.isoformat(), new=due_on.isoformat())


# --- figures -------------------------------------------------------------------------------------

def figures_as_of(period: ReportPeriod, today: date) -> date:
    """The day the figures stop at: today while the period runs, its last day afterwards."""
    return max(period.starts_on, min(today, period.ends_on))


def figures_of(period: ReportPeriod, today: date, communes: list[int] | None = None) -> dict[int, list[dict]]:
    """Each commune's figures of every indicator (commune code -> rows), from the records, through the
    dashboard's code path (``metrics.progress``, restricted to ``communes``): in the period, and since the
    campaign began. Twice the dashboard's queries, whatever the number of communes."""
    campaign = period.campaign
    as_of = figures_as_of(period, today)
    in_period = metrics.progress(campaign, start=period.starts_on, end=min(period.ends_on, as_of), as_of=as_of,
                                 communes=communes)
    to_date = metrics.progress(campaign, start=campaign.starts_on, end=as_of, as_of=as_of, communes=communes)
    totals = {r.commune.code: r for r in to_date.communes}
    out: dict[int, list[dict]] = {}
    for row in in_period.communes:
        total = totals.get(row.commune.code)
        figures = []
        for ip in in_period.indicators:
            ind = ip.indicator
            target = row.targets.get(ind.id)
            so_far = total.achieved.get(ind.id) if total else None
            pct = round(so_far / target * 100, 1) if (so_far is not None and target) else None
            figures.append({"id": ind.id, "code": ind.code, "name": ind.name, "unit": ind.unit,
                            "lead_unit": ind.lead_unit or "", "target": target, "period": row.achieved.get(ind.id),
                            "to_date": so_far, "pct": pct})
        out[row.commune.code] = figures
    return out


def live_figures(period: ReportPeriod, commune: Commune, today: date) -> list[dict]:
    """One commune's figures (see :func:`figures_of`)."""
    return figures_of(period, today, [commune.code]).get(commune.code, [])


# --- a commune's report --------------------------------------------------------------------------

def report_of(period: ReportPeriod, commune_code: int) -> CommuneReport | None:
    return db.session.scalar(select(CommuneReport).where(CommuneReport.period_id == period.id,
                                                         CommuneReport.commune_code == commune_code))


def reports_of_communes(period_ids: list[int], codes: list[int]) -> dict[tuple[int, int], CommuneReport]:
    """(period id, commune code) -> report, for these periods and communes: one query."""
    if not period_ids or not codes:
        return {}
    return {(r.period_id, r.commune_code): r for r in db.session.scalars(
        select(CommuneReport).where(CommuneReport.period_id.in_(period_ids), CommuneReport.commune_code.in_(codes)))}


def _texts(values: dict) -> dict:
    out = {}
    for key in TEXT_SECTIONS:
        text = nfc(values.get(key) or "").replace("\r\n", "\n").strip()
        if len(text) > MAX_TEXT:
            raise DomainError(_("At most %(n)d characters.", n=MAX_TEXT), key)
        out[key] = text
    return out


def _editable(actor, period: ReportPeriod, commune: Commune) -> CommuneReport:
    """The report to write, locked (PostgreSQL) so that two submissions at once cannot both pass the
    "not yet submitted" check; a first save racing another makes the unique key refuse one."""
    report = db.session.scalar(select(CommuneReport).where(CommuneReport.period_id == period.id,
                                                           CommuneReport.commune_code == commune.code)
                               .with_for_update().execution_options(populate_existing=True))
    if report is not None and report.status == "submitted":
        raise DomainError(_("This report was submitted and can no longer be changed."))
    if report is None:
        report = CommuneReport(period_id=period.id, commune_code=commune.code, status="draft")
        db.session.add(report)
    return report


def save_draft(actor, period: ReportPeriod, commune: Commune, values: dict) -> CommuneReport:
    """Keep the texts of a draft (or of a returned report being corrected)."""
    texts = _texts(values)
    report = _editable(actor, period, commune)
    for key, text in texts.items():
        setattr(report, key, text)
    report.updated_by_id, report.updated_at = actor.id, utcnow()
    db.session.flush()
    audit("filings.draft_saved", report, actor=actor, period_id=period.id, commune_code=commune.code)
    return report


def submit(actor, period: ReportPeriod, commune: Commune, values: dict, today: date,
           figures: list[dict] | None = None) -> CommuneReport:
    """Submit: the figures from the records and the texts are frozen in the report's snapshot.
    ``figures``: already computed by :func:`figures_of` for this day (the demo, many communes at once)."""
    texts = _texts(values)
    if not texts["results"]:
        raise DomainError(_("Describe the results before submitting."), "results")
    figures = figures if figures is not None else live_figures(period, commune, today)
    report = _editable(actor, period, commune)
    for key, text in texts.items():
        setattr(report, key, text)
    report.updated_by_id = actor.id
    db.session.flush()  # a new report is inserted (the unique key refuses a second one made at once)
    now = utcnow()
    snapshot = {
        "version": 1, "as_of": figures_as_of(period, today).isoformat(),
        "campaign": period.campaign.name,
        "period": {"name": period.name, "starts_on": period.starts_on.isoformat(),
                   "ends_on": period.ends_on.isoformat(), "due_on": period.due_on.isoformat()},
        "commune": {"code": commune.code, "name": commune.name},
        "figures": figures, **texts,
        "submitted_by": actor.full_name, "submitted_at": now.isoformat(),
        "late": today > period.due_on,
    }
    # A conditional update: of two submissions at once only one finds the report not yet submitted
    # (PostgreSQL also locks the row in _editable; SQLite's single writer serialises the updates).
    frozen = dict(status="submitted", snapshot=snapshot, submitted_at=now, submitted_by_id=actor.id, updated_at=now)
    claimed = db.session.execute(update(CommuneReport).where(CommuneReport.id == report.id,
                                                             CommuneReport.status != "submitted")
                                 .values(**frozen).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise DomainError(_("This report was submitted and can no longer be changed."))
    for key, value in frozen.items():
        set_committed_value(report, key, value)
    audit("filings.submitted", report, actor=actor, period_id=period.id, commune_code=commune.code,
          late=today > period.due_on)
    return report


def return_report(actor, report: CommuneReport, comment: str) -> CommuneReport:
    """The province sends a submitted report back with a comment; the commune corrects and resubmits."""
    comment = nfc(comment or "").strip()
    if not comment:
        raise DomainError(_("Say what needs correcting."), "comment")
    if len(comment) > MAX_TEXT:
        raise DomainError(_("At most %(n)d characters.", n=MAX_TEXT), "comment")
    if report.status != "submitted":
        raise DomainError(_("Only a submitted report can be returned."))
    report.status, report.return_comment = "returned", comment
    report.returned_at, report.returned_by_id = utcnow(), actor.id
    db.session.flush()
    audit("filings.returned", report, actor=actor, period_id=report.period_id, commune_code=report.commune_code)
    return report


# --- the province's board ------------------------------------------------------------------------

STATE_ORDER = ("late", "returned", "draft", "not_started", "submitted")


@dataclass
class BoardRow:
    commune: Commune
    report: CommuneReport | None
    state: str  # not_started | draft | submitted | late | returned
    late: bool  # past the deadline and not submitted


def state_of(report: CommuneReport | None, period: ReportPeriod, today: date) -> tuple[str, bool]:
    if report is not None and report.status == "submitted":
        return "submitted", False
    late = today > period.due_on
    if report is not None and report.status == "returned":  # the province sent it back: being corrected
        return "returned", late
    if late:
        return "late", True
    return (report.status if report is not None else "not_started"), False


def board(period: ReportPeriod, today: date, communes: list[int] | None = None) -> list[BoardRow]:
    """Every commune of the province (or of ``communes``) with its report's state: two queries."""
    places = units.communes(province_code=period.campaign.province_code, codes=communes)
    reports = {r.commune_code: r for r in db.session.scalars(
        select(CommuneReport).where(CommuneReport.period_id == period.id))}
    rows = []
    for c in places:
        rep = reports.get(c.code)
        state, late = state_of(rep, period, today)
        rows.append(BoardRow(c, rep, state, late))
    return rows


def counts(rows: list[BoardRow]) -> dict[str, int]:
    out = dict.fromkeys(STATE_ORDER, 0)
    for r in rows:
        out[r.state] += 1
    return out


# --- workbooks -----------------------------------------------------------------------------------

THIN = Side(style="thin")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
NUMBER = "#,##0.##"


def _sheet_title(text: str, used: set) -> str:
    title = "".join(ch for ch in text if ch not in "[]:*?/\\")[:31] or "Sheet"
    base, n = title, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title


def _figure_headers() -> list[str]:
    return [_("No."), _("Indicator"), _("Unit"), _("Lead unit"), _("Commune target"),
            _("Achieved in the period"), _("Achieved to date"), _("Percent of target")]


def _write_report(ws, data: dict) -> None:
    """One commune's report on a sheet: heading, figures (numbers as numbers), the three texts."""
    ws["A1"] = _("PERIODIC REPORT OF THE COMMUNE")
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = f"{data['commune']['name']} · {data['campaign']}"
    period = data["period"]
    ws["A3"] = _("Period: %(name)s (%(start)s – %(end)s)", name=period["name"],
                 start=date.fromisoformat(period["starts_on"]).strftime("%d/%m/%Y"),
                 end=date.fromisoformat(period["ends_on"]).strftime("%d/%m/%Y"))
    ws.append([])
    ws.append(_figure_headers())
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BORDER
    for f in data["figures"]:
        ws.append([f["code"], f["name"], str(UNIT_LABELS.get(f["unit"], f["unit"])), f.get("lead_unit", ""),
                   f["target"], f["period"], f["to_date"], f["pct"]])
        for n, cell in enumerate(ws[ws.max_row], 1):
            cell.border = BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if n >= 5:
                cell.number_format = NUMBER
    ws.append([])
    for label, key in ((_("Results achieved"), "results"), (_("Difficulties and obstacles"), "difficulties"),
                       (_("Proposals and recommendations"), "proposals")):
        ws.append([label])
        ws[ws.max_row][0].font = Font(bold=True)
        ws.append([data.get(key) or "—"])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=8)
        ws[ws.max_row][0].alignment = Alignment(wrap_text=True, vertical="top")
    if data.get("submitted_at"):
        ws.append([])
        ws.append([_("Submitted by %(name)s at %(when)s", name=data.get("submitted_by") or "—",
                     when=format_datetime(datetime.fromisoformat(data["submitted_at"])))])
    for col, width in zip("ABCDEFGH", (6, 50, 12, 24, 12, 14, 14, 10), strict=True):
        ws.column_dimensions[col].width = width


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def draft_data(period: ReportPeriod, commune: Commune, report: CommuneReport | None, today: date) -> dict:
    """A report not (or no longer) submitted, as the workbook shows it: today's figures, the draft's texts."""
    return {"campaign": period.campaign.name, "commune": {"code": commune.code, "name": commune.name},
            "period": {"name": period.name, "starts_on": period.starts_on.isoformat(),
                       "ends_on": period.ends_on.isoformat(), "due_on": period.due_on.isoformat()},
            "figures": live_figures(period, commune, today),
            **{k: getattr(report, k) if report else "" for k in TEXT_SECTIONS}}


def report_xlsx(data: dict) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(data["commune"]["name"], set())
    _write_report(ws, data)
    return _save(wb)


def period_xlsx(period: ReportPeriod, today: date) -> bytes:
    """The period's workbook: a summary sheet (every commune, its state, when and by whom submitted,
    the indicators' figures of the submitted reports) and a sheet per submitted report."""
    rows = board(period, today)
    submitted = [r for r in rows if r.state == "submitted"]
    indicators: list[dict] = []
    seen = set()
    for r in submitted:
        for f in r.report.snapshot.get("figures", []):
            if f["code"] not in seen:
                seen.add(f["code"])
                indicators.append(f)
    wb = Workbook()
    ws = wb.active
    used: set = set()
    ws.title = _sheet_title(_("Summary"), used)
    ws.append([_("Reports of %(period)s", period=period.name) + f" · {period.campaign.name}"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([_("Deadline: %(d)s", d=period.due_on.strftime("%d/%m/%Y"))])
    ws.append([])
    in_period = _("in the period")
    ws.append([_("No."), _("Commune or ward"), _("Status"), _("Submitted at"), _("Submitted by")]
              + [f"{f['code']}. {f['name']} ({in_period})" for f in indicators])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    labels = state_labels()
    for n, r in enumerate(rows, 1):
        snap = r.report.snapshot if r.state == "submitted" else None
        values = {f["code"]: f["period"] for f in snap["figures"]} if snap else {}
        when = format_datetime(r.report.submitted_at) if snap else ""
        ws.append([n, r.commune.name, str(labels[r.state]), when, snap["submitted_by"] if snap else ""]
                  + [values.get(f["code"]) for f in indicators])
        for cell in ws[ws.max_row][5:]:
            cell.number_format = NUMBER
    ws.column_dimensions["B"].width = 28
    ws.column_dimensions["D"].width = 18
    ws.column_dimensions["E"].width = 22
    ws.freeze_panes = "C5"
    for r in submitted:
        _write_report(wb.create_sheet(_sheet_title(r.commune.name, used)), r.report.snapshot)
    return _save(wb)


def state_labels() -> dict:
    return {"not_started": _("Not started"), "draft": _("Draft"), "submitted": _("Submitted"),
            "late": _("Overdue"), "returned": _("Returned")}
