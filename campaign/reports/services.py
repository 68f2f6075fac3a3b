"""Reports: the quarterly XLSX laid out like the plans' appendix tables, CSV exports, the commune page."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from sqlalchemy import func, select

from campaign.accounts.models import User
from campaign.campaigns.forms import UNIT_LABELS
from campaign.campaigns.models import TARGET_GROUPS, Indicator, IndicatorValue
from campaign.core.tabular import csv_cell
from campaign.core.timeutil import parse_local_date
from campaign.courses.models import Course
from campaign.events.models import Event
from campaign.extensions import db
from campaign.reports.metrics import CommuneProgress, Dashboard
from campaign.units.models import Commune, Village
from campaign.venues.models import Booking, Venue
from campaign.volunteers.models import Shift, VolunteerProfile


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    first = date(year, 3 * (quarter - 1) + 1, 1)
    last = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return first, date.fromordinal(last.toordinal() - 1)


def _date_arg(args, name: str) -> date | None:
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        return parse_local_date(text)
    except ValueError:
        return None


def parse_filters(campaign, args, today: date | None) -> dict:
    """The report's filters from query arguments: period (from/to, or a quarter "2026-Q3"), target
    group and "as of" (default: today, within the campaign). Bad values are ignored."""
    start, end = _date_arg(args, "start"), _date_arg(args, "end")
    quarter = (args.get("quarter") or "").strip()
    if quarter:
        try:
            year, q = quarter.split("-Q")
            start, end = quarter_bounds(int(year), int(q))
        except (ValueError, TypeError):
            quarter = ""
    if start and end and end < start:
        start, end = end, start
    group = args.get("group") or None
    if group not in TARGET_GROUPS:
        group = None
    as_of = _date_arg(args, "as_of") or min(today or campaign.ends_on, campaign.ends_on)
    if end and end < as_of:
        as_of = end
    return {"start": start, "end": end, "group": group, "as_of": as_of, "quarter": quarter}


def filter_args(f: dict) -> dict:
    """The filters as query arguments (for a background job's params, or a link)."""
    out = {"as_of": f["as_of"].isoformat()}
    if f["quarter"]:
        out["quarter"] = f["quarter"]
    else:
        if f["start"]:
            out["start"] = f["start"].isoformat()
        if f["end"]:
            out["end"] = f["end"].isoformat()
    if f["group"]:
        out["group"] = f["group"]
    return out


def _sheet_title(text: str) -> str:
    for ch in "[]:*?/\\":
        text = text.replace(ch, "-")
    return text[:31]


def _num(v):
    if v is None:
        return None
    return int(v) if float(v).is_integer() else round(float(v), 2)


def report_xlsx(board: Dashboard, on_row: Callable[[int, CommuneProgress], None] | None = None) -> bytes:
    """Sheet 1: STT, indicator, unit, lead unit, target, achieved, % (as the plans' appendix);
    sheet 2: every commune with its progress and lagging flag. ``on_row(n, row)`` after each commune."""
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(_("Indicators"))
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    period = (f"{board.start.strftime('%d/%m/%Y') if board.start else board.campaign.starts_on.strftime('%d/%m/%Y')}"
              f" – {board.end.strftime('%d/%m/%Y') if board.end else board.as_of.strftime('%d/%m/%Y')}")
    ws["A1"] = _("RESULTS AGAINST THE INDICATORS")
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = board.campaign.name
    ws["A3"] = _("Period: %(p)s", p=period)
    headers = [_("No."), _("Indicator"), _("Unit"), _("Lead unit"), _("Target"), _("Achieved"), "%"]
    ws.append([])
    ws.append(headers)
    for cell in ws[5]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    for ip in board.indicators:
        ind = ip.indicator
        ws.append([ind.code, ind.name, str(UNIT_LABELS.get(ind.unit, ind.unit)), ind.lead_unit, _num(ind.target_value),
                   _num(ip.achieved), round(ip.pct, 1) if ip.pct is not None else None])
        for cell in ws[ws.max_row]:
            cell.border = border
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for ip in board.indicators:  # where a figure entered by hand comes from
        if ip.entered_as_of:
            where = (_("sum of %(n)d communes, up to %(d)s", n=ip.communes_reported, d=ip.entered_as_of.strftime("%d/%m/%Y"))
                     if ip.communes_reported else _("as of %(d)s", d=ip.entered_as_of.strftime("%d/%m/%Y")))
            source = f" · {ip.entered_source}" if ip.entered_source else ""
            ws.append([None, _("(%(code)s) entered by hand: %(where)s", code=ip.indicator.code, where=where) + source])
    for col, width in zip("ABCDEFG", (6, 60, 12, 28, 12, 12, 8), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A6"

    cs = wb.create_sheet(_sheet_title(_("Communes")))
    computed = [ip.indicator for ip in board.indicators if ip.achieved is not None]
    achieved, target = _("achieved"), _("target")  # not inside an f-string: the extractor would miss them
    cs.append([_("Rank"), _("Commune or ward"), _("Progress (%)"), _("Lagging")]
              + [f"{i.code}. {achieved}" for i in computed] + [f"{i.code}. {target}" for i in computed])
    for cell in cs[1]:
        cell.font = Font(bold=True)
    for n, r in enumerate(board.communes, 1):
        cs.append([r.rank, r.commune.name, round(r.progress * 100, 1), _("yes") if r.lagging else ""]
                  + [_num(r.achieved.get(i.id)) for i in computed]
                  + [_num(r.targets.get(i.id)) for i in computed])
        if on_row is not None:
            on_row(n, r)
    cs.column_dimensions["B"].width = 28
    cs.freeze_panes = "C2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


CSV_MIMETYPE = "text/csv; charset=utf-8"  # given as content_type, so the charset appears once


def communes_csv(board: Dashboard, on_row: Callable[[int, CommuneProgress], None] | None = None) -> str:
    """One row a commune. Headers in the user's language (as the XLSX); values stay plain numbers and
    codes, so a spreadsheet can sum them."""
    computed = [ip.indicator for ip in board.indicators if ip.achieved is not None]
    buf = io.StringIO()
    w = csv.writer(buf)
    achieved, target = _("achieved"), _("target")
    w.writerow([_("Rank"), _("Commune code"), _("Commune or ward"), _("Progress (%)"), _("Lagging")]
               + [f"{i.code}. {achieved}" for i in computed] + [f"{i.code}. {target}" for i in computed])
    for n, r in enumerate(board.communes, 1):
        w.writerow([r.rank, r.commune.code, csv_cell(r.commune.name), round(r.progress * 100, 1), int(r.lagging)]
                   + [_num(r.achieved.get(i.id)) for i in computed] + [_num(r.targets.get(i.id)) for i in computed])
        if on_row is not None:
            on_row(n, r)
    return "\ufeff" + buf.getvalue()


def indicators_csv(board: Dashboard) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([_("No."), _("Indicator"), _("Measured by"), _("Unit"), _("Lead unit"), _("Target"),
                _("Expected by now"), _("Achieved"), "%", _("Entered as of"), _("Source of the entered figure")])
    for ip in board.indicators:
        ind = ip.indicator
        w.writerow([csv_cell(ind.code), csv_cell(ind.name), ind.metric, ind.unit, csv_cell(ind.lead_unit), _num(ind.target_value),
                    _num(round(ip.expected, 2)), _num(ip.achieved), round(ip.pct, 1) if ip.pct is not None else "",
                    ip.entered_as_of.isoformat() if ip.entered_as_of else "", csv_cell(ip.entered_source)])
    return "\ufeff" + buf.getvalue()


def commune_overview(campaign, commune: Commune) -> dict:
    """The commune page's lists and counts: a fixed number of queries."""
    villages = db.session.scalars(select(Village).where(Village.commune_code == commune.code)
                                  .order_by(Village.name)).all()
    events = db.session.scalars(
        select(Event).where(Event.campaign_id == campaign.id, Event.commune_code == commune.code,
                            Event.kind != "class_session")
        .order_by(Event.starts_at.desc()).limit(20)).all()
    classes = db.session.execute(
        select(Event.id, Event.title, Event.starts_at, Event.status, Course.audience, Event.confirmed_count)
        .join(Course, Course.event_id == Event.id)
        .where(Event.campaign_id == campaign.id, Event.commune_code == commune.code)
        .order_by(Event.starts_at.desc()).limit(50)).all()
    volunteers = db.session.scalar(select(func.count()).select_from(VolunteerProfile).where(
        VolunteerProfile.home_commune_code == commune.code, VolunteerProfile.status == "approved")) or 0
    shifts = db.session.scalar(select(func.count()).select_from(Shift).where(
        Shift.campaign_id == campaign.id, Shift.commune_code == commune.code)) or 0
    bookings = db.session.execute(
        select(Booking.status, func.count()).join(Venue, Venue.id == Booking.venue_id)
        .where(Venue.commune_code == commune.code).group_by(Booking.status)).all()
    return {"villages": villages, "events": events, "classes": classes, "volunteers": volunteers,
            "shifts": shifts, "bookings": dict(bookings)}


def manual_value_history(campaign, communes: list[int] | None, limit: int = 100) -> list:
    """The latest hand-entered values of the campaign's indicators (``communes``: only theirs, no
    province-wide ones), newest first: one query, at most ``limit`` rows."""
    stmt = (select(IndicatorValue, Indicator.code, Indicator.name, Indicator.unit, Commune.name, User.full_name)
            .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
            .outerjoin(Commune, Commune.code == IndicatorValue.commune_code)
            .outerjoin(User, User.id == IndicatorValue.entered_by_id)
            .where(Indicator.campaign_id == campaign.id)
            .order_by(IndicatorValue.as_of.desc(), IndicatorValue.entered_at.desc(), IndicatorValue.id.desc())
            .limit(limit))
    if communes is not None:
        stmt = stmt.where(IndicatorValue.commune_code.in_(communes or [-1]))
    return db.session.execute(stmt).all()
