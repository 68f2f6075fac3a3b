"""The plan's task table imported from its own XLSX/CSV, on the shared import engine (``core.tabular`` and
``reports.importers.Checked``): every row checked first, a preview, then every row or none.

The file may be the plan's table itself: title lines above the header are skipped, a row holding only
"I. CÔNG TÁC THÔNG TIN, TUYÊN TRUYỀN ..." starts a section, a header repeated after a page break is
skipped, and a row without a number continues the task above it (a table split across pages). Units are
separated by ";" or a line break; a unit not yet recorded is created with the import.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.core import tabular
from campaign.core.services import DomainError, audit
from campaign.core.tabular import Column, Problems
from campaign.core.text import fold, nfc
from campaign.extensions import db
from campaign.plans import services
from campaign.plans.models import PlanTask
from campaign.reports.importers import Checked

SECTION_WORDS = (("tuyen truyen", "communications"), ("thong tin", "communications"),
                 ("communication", "communications"), ("dao tao", "training"), ("tap huan", "training"),
                 ("training", "training"), ("ha tang", "infrastructure"), ("thiet bi", "infrastructure"),
                 ("infrastructure", "infrastructure"), ("nen tang", "platforms"), ("dich vu", "platforms"),
                 ("platform", "platforms"), ("thi dua", "emulation"), ("khen thuong", "emulation"),
                 ("emulation", "emulation"))
ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x")
TEXTS = ("content", "result", "lead", "partners", "timing", "budget")


def section_of(text: str) -> str:
    f = fold(text)
    return next((code for word, code in SECTION_WORDS if word in f), "other")


def split_units(text: str) -> list[str]:
    parts = [" ".join(p.split()).strip(" .;,") for p in text.replace("\n", ";").split(";")]
    return [nfc(p) for p in parts if p]


class TaskImporter:
    kind = "plan_tasks"
    title = _l("Import the plan's tasks")
    sheet_title = _l("Tasks")
    statuses = {"new": _l("New task"), "updated": _l("Updated")}
    preview = (_l("Section"), _l("No."), _l("Content"), _l("Lead unit"), _l("Time frame"), _l("Budget (million VND)"))
    explanation = _l("The plan's task table (Phụ lục): No., content, result, lead unit, partner units, time frame, "
                     "budget in million đồng. Section rows (I, II ...) group the tasks; a row without a number "
                     "continues the task above it. Units are separated by “;”; a unit not yet recorded is "
                     "created. A task already in the campaign with the same section and number is updated (its "
                     "status is kept).")

    def columns(self) -> list[Column]:
        return [
            Column("section", _l("Section"), ("muc", "phan", "nhom")),
            Column("number", _l("No."), ("stt", "so tt", "number", "tt"), required=True, width=6),
            Column("content", _l("Content"), ("noi dung", "noi dung cong viec", "nhiem vu", "task"), required=True,
                   width=40),
            Column("result", _l("Result / product"), ("chi tieu ket qua", "ket qua san pham", "ket qua",
                                                      "san pham", "chi tieu", "expected result"), width=36),
            Column("lead", _l("Lead unit"), ("don vi chu tri", "chu tri", "co quan chu tri", "lead"), required=True,
                   width=28),
            Column("partners", _l("Partner units"), ("don vi phoi hop", "phoi hop", "co quan phoi hop", "partners"),
                   width=32),
            Column("timing", _l("Time frame"), ("thoi gian", "thoi gian thuc hien", "thoi han", "timing"), width=16,
                   help=_l("Thường xuyên, Tháng 5/2026, Quý III/2026, Quý III-IV/2026, 30/11/2026")),
            Column("budget", _l("Budget (million VND)"), ("kinh phi", "kinh phi trieu dong", "budget"), width=12),
        ]

    def template(self) -> bytes:
        return tabular.template_workbook(str(self.sheet_title), self.columns(), [], lists_title=str(_("Lists")))

    @staticmethod
    def _header_at(rows: list[list]) -> int:
        """The header may follow the plan's title lines: the first of the first 15 rows naming "STT"."""
        for i, row in enumerate(rows[:15]):
            if any(tabular.header_key(c) in ("stt", "no", "number") for c in row if c is not None):
                return i
        return 0

    def _gather(self, rows: list[list], cols: list[Column]) -> tuple[list[dict], list[tuple[int, str]]]:
        """The tasks of the file as raw texts, continuation rows joined to their task, section rows applied."""
        at = self._header_at(rows)
        header = tabular.map_header(rows[at], cols)
        if header.unknown:
            raise DomainError(_("Unknown columns: %(c)s. Use the template's headers.", c=", ".join(header.unknown)),
                              "file")
        label = {c.key: str(c.label) for c in cols}
        raw, errors = [], []
        section = "other"
        for line, cells in tabular.data_rows(rows, first_line=at + 2):
            get = {k: tabular._cell_text(v) if v is not None else "" for k in ("section", "number", *TEXTS)
                   for v in [header.get(cells, k)]}
            if tabular.header_key(get["number"]) in ("stt", "no", "number"):
                continue  # the header repeated after a page break
            filled = [str(v) for v in cells if v is not None and str(v).strip()]
            number = get["number"].strip()
            first = fold(number).split(" ")[0].strip(".") if number else ""
            if number and not number.isdigit() and (len(filled) == 1 or (first in ROMAN and not get["lead"])):
                section = section_of(" ".join(filled))  # "I CÔNG TÁC THÔNG TIN, TUYÊN TRUYỀN ..."
                continue
            if get["section"]:
                section = section_of(get["section"])
            if not get["number"]:
                if not raw:
                    errors.append((line, _("%(c)s: the number is missing", c=label["number"])))
                    continue
                for key in TEXTS:  # continues the task above (a table split across pages)
                    if get[key]:
                        sep = "" if key == "budget" else " "
                        raw[-1][key] = (raw[-1][key] + sep + get[key]).strip()
                continue
            raw.append({"line": line, "section": section, **{k: get[k] for k in ("number", *TEXTS)}})
        return raw, errors

    def check(self, actor, filename: str, data: bytes, campaign: Campaign) -> Checked:
        cols = self.columns()
        rows = tabular.read_table(filename, data)
        if not rows or tabular.is_blank(rows[0]) and len(rows) == 1:
            raise DomainError(_("The file is empty."), "file")
        raw, errors = self._gather(rows, cols)
        label = {c.key: str(c.label) for c in cols}
        out = Checked(self.kind, errors=errors)
        known = services.find_units(campaign.province_code)
        existing = {(t.section, t.number): t for t in db.session.scalars(
            select(PlanTask).where(PlanTask.campaign_id == campaign.id))}
        seen: dict[tuple[str, int], int] = {}
        year = campaign.starts_on.year
        for r in raw:
            p = Problems()
            number = p.cell(label["number"], tabular.whole, r["number"], minimum=1, maximum=999)
            content = p.cell(label["content"], tabular.text, r["content"], max_len=2000)
            result = p.cell(label["result"], tabular.text, r["result"], max_len=2000)
            if not content:
                p.add(_("the content is missing"))
            leads, partners = split_units(r["lead"]), split_units(r["partners"])
            if not leads:
                p.add(_("the lead unit is missing"))
            if any(len(n) > 200 for n in leads + partners):
                p.add(_("a unit's name is longer than %(n)d characters", n=200))
            try:
                timing = services.parse_timing(r["timing"], year)
            except ValueError:
                timing = None
                p.add(_("%(c)s: “%(v)s” is not a date, a month, a quarter or “Thường xuyên”", c=label["timing"],
                        v=r["timing"]))
            try:
                budget = services.parse_budget(r["budget"])
            except ValueError:
                budget = None
                p.add(_("%(c)s: “%(v)s” is not an amount in million đồng", c=label["budget"], v=r["budget"]))
            if number is not None:
                key = (r["section"], number)
                if key in seen:
                    p.add(_("this task is already on line %(l)d", l=seen[key]))
                seen[key] = r["line"]
            if p:
                out.errors.append((r["line"], p.text()))
                continue
            new_units = [n for n in leads + partners if fold(n) not in known]
            out.rows.append({
                "line": r["line"], "status": "updated" if (r["section"], number) in existing else "new",
                "section": r["section"], "number": number, "content": content, "result": result or "",
                "leads": leads, "partners": partners, "new_units": new_units, "timing": timing, "budget": budget,
                "cells": [str(services_labels()[r["section"]]), number, content[:120], "; ".join(leads),
                          timing.text, budget]})
        out.errors.sort()
        if not out.rows and not out.errors:
            raise DomainError(_("The file has no rows."), "file")
        out.counts = {}
        for row in out.rows:
            out.counts[row["status"]] = out.counts.get(row["status"], 0) + 1
        return out

    def apply(self, actor, checked: Checked, campaign: Campaign) -> dict[str, int]:
        if not checked.ok:
            raise DomainError(_("The file has errors: nothing was imported."), "file")
        known = services.find_units(campaign.province_code)
        existing = {(t.section, t.number): t for t in db.session.scalars(
            select(PlanTask).where(PlanTask.campaign_id == campaign.id))}
        counts = {"new": 0, "updated": 0, "units": 0}

        def unit(name: str):
            if fold(name) not in known:
                services.create_unit(actor, campaign.province_code, name, known=known)
                counts["units"] += 1
            return known[fold(name)]

        for row in checked.rows:
            task = existing.get((row["section"], row["number"]))
            if task is None:
                task = PlanTask(campaign_id=campaign.id, section=row["section"], number=row["number"])
                db.session.add(task)
                counts["new"] += 1
            else:
                counts["updated"] += 1
            t = row["timing"]
            task.content, task.expected_result = row["content"], row["result"]
            task.timing, task.starts_on, task.due_on, task.timing_text = t.kind, t.starts_on, t.due_on, t.text
            task.budget = row["budget"]
            db.session.flush()
            services.set_units(task, [unit(n) for n in row["leads"]], [unit(n) for n in row["partners"]])
        db.session.flush()
        audit("plan_task.imported", actor=actor, object_type="campaign", object_id=campaign.id, **counts)
        return counts


def services_labels() -> dict:
    from campaign.plans.forms import SECTION_LABELS

    return SECTION_LABELS


