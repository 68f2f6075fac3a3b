"""Per-commune targets from a spreadsheet (XLSX or CSV): a template, a checked preview, an all-or-nothing import.

The sheet has one row per commune: ``commune_code``, ``commune`` (the name, for people; ignored when the
code is given) and one column per indicator, headed by the indicator's number (``1``, ``2``, ``4a``...).
A number sets that commune's target; a blank cell removes it; a column left out changes nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from campaign.campaigns.models import Campaign, Indicator, IndicatorTarget
from campaign.campaigns.services import set_commune_targets
from campaign.core import tabular
from campaign.core.services import DomainError
from campaign.core.text import fold
from campaign.extensions import db
from campaign.units.models import Commune

MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024


@dataclass
class TargetImport:
    indicators: list[Indicator] = field(default_factory=list)  # the columns found
    rows: list[dict] = field(default_factory=list)  # {"line", "commune", "values": {indicator id: float | None}}
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    def payload(self) -> dict[int, dict[int, float | None]]:
        """indicator id -> commune code -> value, for ``apply_targets``."""
        out: dict[int, dict[int, float | None]] = {i.id: {} for i in self.indicators}
        for row in self.rows:
            for ind_id, value in row["values"].items():
                out[ind_id][row["commune"].code] = value
        return out


def _indicators(campaign: Campaign) -> list[Indicator]:
    return [i for i in db.session.scalars(select(Indicator).where(Indicator.campaign_id == campaign.id)
                                          .order_by(Indicator.position, Indicator.id))]


def template_xlsx(campaign: Campaign) -> bytes:
    """Every commune of the province with the current targets filled in."""
    inds = _indicators(campaign)
    communes = db.session.scalars(select(Commune).where(Commune.province_code == campaign.province_code)
                                  .order_by(Commune.name)).all()
    current = {(t.indicator_id, t.commune_code): t.target_value for t in db.session.scalars(
        select(IndicatorTarget).where(IndicatorTarget.indicator_id.in_([i.id for i in inds] or [-1])))}
    wb = Workbook()
    ws = wb.active
    ws.title = "targets"
    ws.append(["commune_code", "commune"] + [i.code for i in inds])
    ws.append(["", _("(indicator)")] + [i.name for i in inds])
    for cell in list(ws[1]) + list(ws[2]):
        cell.font = Font(bold=True)
    for c in communes:
        ws.append([c.code, c.name] + [current.get((i.id, c.code)) for i in inds])
    ws.column_dimensions["B"].width = 28
    ws.freeze_panes = "C3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def parse_targets(campaign: Campaign, filename: str, data: bytes) -> TargetImport:
    """Check every row; nothing is written. Every bad row is listed with its line number and reason."""
    result = TargetImport()
    rows = tabular.read_table(filename, data, max_bytes=MAX_BYTES)
    if not rows:
        raise DomainError(_("The file is empty."), "file")
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    if "commune_code" not in header:
        raise DomainError(_("The first row must name the columns: commune_code, commune, then the indicator numbers."),
                          "file")
    by_code = {i.code: i for i in _indicators(campaign)}
    columns: list[tuple[int, Indicator]] = []
    for pos, name in enumerate(header):
        if name in ("commune_code", "commune", ""):
            continue
        if name not in by_code:
            result.errors.append((1, _("Column “%(c)s” is not an indicator number of this campaign.", c=name)))
        else:
            columns.append((pos, by_code[name]))
    result.indicators = [ind for _pos, ind in columns]
    communes = {c.code: c for c in db.session.scalars(select(Commune).where(
        Commune.province_code == campaign.province_code))}
    by_name = {fold(c.name): c for c in communes.values()}
    code_pos, name_pos = header.index("commune_code"), (header.index("commune") if "commune" in header else None)
    seen: dict[int, int] = {}
    body = rows[1:]
    if len(body) > MAX_ROWS:
        raise DomainError(_("At most %(n)d rows at once.", n=MAX_ROWS), "file")
    for line, row in enumerate(body, start=2):
        cells = list(row) + [None] * (len(header) - len(row))
        raw_code, raw_name = cells[code_pos], cells[name_pos] if name_pos is not None else None
        if tabular.is_blank(cells):
            continue  # blank line
        if (raw_code is None or str(raw_code).strip() == "") and columns and all(
                str(cells[pos] or "").strip() == ind.name for pos, ind in columns):
            continue  # the template's second header row (the indicators' names)
        problems = []
        commune = None
        if raw_code is not None and str(raw_code).strip():
            try:
                commune = communes.get(int(float(str(raw_code).strip())))
            except ValueError:
                commune = None
            if commune is None:
                problems.append(_("commune code %(c)s is not a commune of this province", c=str(raw_code).strip()))
        elif raw_name:
            commune = by_name.get(fold(str(raw_name).strip()))
            if commune is None:
                problems.append(_("no commune of this province is named “%(n)s”", n=str(raw_name).strip()))
        else:
            problems.append(_("the commune code is missing"))
        if commune is not None and commune.code in seen:
            problems.append(_("this commune is already on line %(l)d", l=seen[commune.code]))
        values: dict[int, float | None] = {}
        for pos, ind in columns:
            try:
                value = tabular.number(cells[pos])
            except tabular.CellError:
                problems.append(_("indicator %(i)s: “%(v)s” is not a number", i=ind.code, v=cells[pos]))
                continue
            if value is not None and value < 0:
                problems.append(_("indicator %(i)s: the target cannot be negative", i=ind.code))
            elif value is not None and ind.unit == "percent" and value > 100:
                problems.append(_("indicator %(i)s: a percentage is at most 100", i=ind.code))
            values[ind.id] = value
        if problems:
            result.errors.append((line, "; ".join(problems)))
            continue
        seen[commune.code] = line
        result.rows.append({"line": line, "commune": commune, "values": values})
    if not result.rows and not result.errors:
        raise DomainError(_("The file has no commune rows."), "file")
    return result


def apply_targets(actor, campaign: Campaign, parsed: TargetImport) -> int:
    """Write every row of a checked import, or nothing (the caller commits once)."""
    if not parsed.ok:
        raise DomainError(_("The file has errors: nothing was imported."), "file")
    changed = 0
    for ind in parsed.indicators:
        changed += set_commune_targets(actor, ind, parsed.payload()[ind.id])
    return changed
