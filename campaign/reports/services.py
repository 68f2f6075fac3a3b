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
from campaign.campaigns.forms import UNIT_LABELS, metric_labels
from campaign.campaigns.models import TARGET_GROUPS, Indicator, IndicatorValue
from campaign.core.i18n import format_share
from campaign.core.tabular import csv_cell
from campaign.core.timeutil import parse_local_date
from campaign.courses.models import Course
from campaign.events.models import Event
from campaign.extensions import db
from campaign.reports import metrics
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


def to_date(board: Dashboard) -> Dashboard:
    """The figures from the campaign's start up to the board's end ("lũy kế"): the board itself when it
    has no start, else the same figures recomputed without it (one more ``progress``)."""
    if board.start is None:
        return board
    return metrics.progress(board.campaign, start=None, end=board.end, group=board.group, as_of=board.as_of)


def plan_headers() -> list[str]:
    """The plans' appendix columns, in order (Vietnamese, or the user's language)."""
    return [_("No."), _("Component indicator"), _("Lead unit"), _("Partner units"), _("Measurement method"),
            _("Target value"), _("Achieved in the period"), _("Achieved to date"), _("Percent of the target")]


def _unit_text(ind) -> str:
    return str(UNIT_LABELS.get(ind.unit, ind.unit))


def plan_rows(board: Dashboard, total: Dashboard, commune: int | None = None) -> list[tuple]:
    """(indicator, target, achieved in the period, achieved to date, % of the target to date, the to-date
    IndicatorProgress) in the board's order: the province's figures, or one commune's (``commune``)."""
    by_id = {ip.indicator.id: ip for ip in total.indicators}
    out = []
    if commune is None:
        for ip in board.indicators:
            t = by_id.get(ip.indicator.id, ip)
            out.append((ip.indicator, ip.indicator.target_value, ip.achieved, t.achieved, t.pct, t))
        return out
    period, whole = board.commune(commune), total.commune(commune)
    for ip in board.indicators:
        ind = ip.indicator
        target = whole.targets.get(ind.id) if whole else None
        got = whole.achieved.get(ind.id) if whole else None
        pct = got / target * 100 if got is not None and target else None
        out.append((ind, target, period.achieved.get(ind.id) if period else None, got, pct, None))
    return out


NUMBER_FORMAT = "#,##0.##"  # Excel shows it with the reader's separators (1.234,5 in Vietnamese)
PERCENT_FORMAT = "0.0%"


def _period_text(board: Dashboard) -> str:
    first = board.start or board.campaign.starts_on
    return f"{first.strftime('%d/%m/%Y')} – {(board.end or board.as_of).strftime('%d/%m/%Y')}"


def _style_header(row, border) -> None:
    for cell in row:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border


def _set_number(cell, value, percent: bool) -> None:
    """A figure stored as a number with a number format: a percentage as a fraction shown "12,3%"."""
    if value is None:
        return
    cell.value = float(value) / 100 if percent else _num(value)
    cell.number_format = PERCENT_FORMAT if percent else NUMBER_FORMAT


def report_xlsx(board: Dashboard, on_row: Callable[[int, CommuneProgress], None] | None = None,
                total: Dashboard | None = None, commune: int | None = None) -> bytes:
    """Sheet 1, the plans' appendix: STT, Chỉ tiêu thành phần, Đơn vị chủ trì, Đơn vị phối hợp, Phương
    thức đo lường, target, achieved in the period, achieved to date, % (to date ÷ target); sheet 2: every
    commune with its progress, lagging flag and reason, and each indicator's figure. Numbers are numbers
    with number formats. ``on_row(n, row)`` after each commune."""
    total = total or to_date(board)
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(_("Indicators"))
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws["A1"] = _("RESULTS AGAINST THE INDICATORS")
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = board.campaign.name + (f" · {board.communes[0].commune.name}" if commune and board.communes else "")
    ws["A3"] = _("Period: %(p)s", p=_period_text(board))
    ws.append([])
    ws.append(plan_headers())
    _style_header(ws[5], border)
    for ind, target, period, to_date_value, pct, _t in plan_rows(board, total, commune):
        percent = ind.unit == "percent"
        ws.append([ind.code, ind.name, ind.lead_unit, ind.partner_units, ind.measurement])
        r = ws.max_row
        _set_number(ws.cell(r, 6), target, percent)
        _set_number(ws.cell(r, 7), period, percent)
        _set_number(ws.cell(r, 8), to_date_value, percent)
        _set_number(ws.cell(r, 9), pct, True)
        for cell in ws[r]:
            cell.border = border
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for ip in ([] if commune else total.indicators):  # where a hand-entered figure, a sub-campaign's share comes from
        if ip.entered_as_of:
            where = (_("sum of %(n)d communes, up to %(d)s", n=ip.communes_reported, d=ip.entered_as_of.strftime("%d/%m/%Y"))
                     if ip.communes_reported else _("as of %(d)s", d=ip.entered_as_of.strftime("%d/%m/%Y")))
            source = f" · {ip.entered_source}" if ip.entered_source else ""
            ws.append([None, _("(%(code)s) entered by hand: %(where)s", code=ip.indicator.code, where=where) + source])
        for name, share in ip.sub_shares:
            ws.append([None, _("(%(code)s) %(p)s reached through %(name)s", code=ip.indicator.code,
                               p=format_share(share), name=name)])
    for col, width in zip("ABCDEFGHI", (6, 56, 24, 28, 32, 12, 14, 14, 10), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "C6"

    cs = wb.create_sheet(_sheet_title(_("Communes")))
    shown = [ip.indicator for ip in board.indicators]
    cs.append(commune_headers(shown, csv=False))
    _style_header(cs[1], border)
    for n, r in enumerate(board.communes, 1):
        cs.append([r.rank, r.commune.name, _("yes") if r.commune.remote else "", None,
                   _("yes") if r.lagging else "", lag_reason(board, r)])
        row = cs.max_row
        _set_number(cs.cell(row, 4), r.progress * 100, True)
        for k, ind in enumerate(shown):
            percent = ind.unit == "percent"
            _set_number(cs.cell(row, 7 + 2 * k), r.achieved.get(ind.id), percent)
            _set_number(cs.cell(row, 8 + 2 * k), r.targets.get(ind.id), percent)
        if on_row is not None:
            on_row(n, r)
    cs.column_dimensions["B"].width = 28
    cs.column_dimensions["F"].width = 40
    cs.freeze_panes = "C2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def commune_headers(shown, csv: bool) -> list[str]:
    """The communes sheet's (and CSV's) headers: each indicator's figure and target side by side."""
    head = [_("Rank")] + ([_("Commune code")] if csv else []) + [
        _("Commune or ward"), _("Remote commune"), _("Progress (%)"), _("Lagging"), _("Why lagging")]
    for ind in shown:
        head += [_("%(code)s. achieved", code=ind.code), _("%(code)s. target", code=ind.code)]
    return head


def lag_reason(board: Dashboard, r: CommuneProgress) -> str:
    """Why a commune is flagged lagging ("vùng lõm"), in words: its pace against the expected one and its
    place among the communes."""
    if not r.lagging:
        return ""
    return _("%(pace)s of the expected pace (flagged below %(ratio)s); rank %(rank)d of %(n)d, in the bottom %(share)s",
             pace=format_share(r.pace), ratio=format_share(board.lag_ratio), rank=r.rank, n=board.ranked,
             share=format_share(board.lag_share, 0))


CSV_MIMETYPE = "text/csv; charset=utf-8"  # given as content_type, so the charset appears once


def _csv_num(value, percent: bool = False):
    """A CSV figure: a plain number (a spreadsheet can sum it), a percentage in percent."""
    if value is None:
        return ""
    return round(float(value), 2) if percent else _num(value)


def communes_csv(board: Dashboard, on_row: Callable[[int, CommuneProgress], None] | None = None) -> str:
    """One row a commune. Headers in the user's language (as the XLSX); values stay plain numbers and
    codes, so a spreadsheet can sum them."""
    shown = [ip.indicator for ip in board.indicators]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(commune_headers(shown, csv=True))
    for n, r in enumerate(board.communes, 1):
        row = [r.rank, r.commune.code, csv_cell(r.commune.name), _("yes") if r.commune.remote else "",
               round(r.progress * 100, 1), _("yes") if r.lagging else "", csv_cell(lag_reason(board, r))]
        for ind in shown:
            row += [_csv_num(r.achieved.get(ind.id), ind.unit == "percent"),
                    _csv_num(r.targets.get(ind.id), ind.unit == "percent")]
        w.writerow(row)
        if on_row is not None:
            on_row(n, r)
    return "\ufeff" + buf.getvalue()


def indicators_csv(board: Dashboard, total: Dashboard | None = None, commune: int | None = None) -> str:
    """The plans' appendix as CSV: the XLSX's first sheet's columns, then the unit, what is counted,
    where a figure entered by hand comes from."""
    total = total or to_date(board)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(plan_headers() + [_("Unit"), _("Counted from"), _("Expected by now"), _("Entered as of"),
                                 _("Source of the entered figure")])
    labels = metric_labels()
    for ind, target, period, to_date_value, pct, t in plan_rows(board, total, commune):
        percent = ind.unit == "percent"
        w.writerow([csv_cell(ind.code), csv_cell(ind.name), csv_cell(ind.lead_unit), csv_cell(ind.partner_units),
                    csv_cell(ind.measurement), _csv_num(target), _csv_num(period, percent),
                    _csv_num(to_date_value, percent), _csv_num(pct, True), _unit_text(ind),
                    str(labels.get(ind.metric, ind.metric)), _num(round(t.expected, 2)) if t else "",
                    t.entered_as_of.strftime("%d/%m/%Y") if t and t.entered_as_of else "",
                    csv_cell(t.entered_source) if t else ""])
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
