"""The national platform's export (XLSX/CSV) of the online competition or an online course, on the shared
import engine: one row per commune and target group with a count, or one row per person (counted 1 each);
every row checked, a preview, then every row or none. Names are read as a check only and never stored;
a file holding ID-card numbers is refused as a whole."""

from __future__ import annotations

from collections import Counter
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from campaign.accounts import permissions as perm
from campaign.accounts.models import PROVINCE_COORDINATOR
from campaign.campaigns.forms import TARGET_GROUP_LABELS
from campaign.campaigns.models import Campaign
from campaign.core import tabular
from campaign.core.services import DomainError, audit
from campaign.core.tabular import Column, Problems
from campaign.core.text import fold, nfc
from campaign.core.timeutil import day_start
from campaign.extensions import db
from campaign.programmes.models import KINDS, ProgrammeCount, ProgrammeImport
from campaign.reports.importers import Checked, CommuneNames, both_languages
from campaign.units.models import Commune

ID_CARD_HEADERS = {"cccd", "so cccd", "cmnd", "so cmnd", "cccd cmnd", "so dinh danh", "so dinh danh ca nhan",
                   "ma dinh danh", "can cuoc", "so can cuoc", "can cuoc cong dan", "id card", "id number"}
GROUP_EXTRA = {"civil_servants": ("cbcc", "can bo cong chuc", "can bo, cong chuc", "cbccvc", "can bo, cong chuc, vien chuc"),
               "pupils_students": ("hoc sinh", "sinh vien", "hoc sinh, sinh vien"),
               "adults": ("nguoi dan", "nguoi truong thanh"), "elderly": ("nguoi cao tuoi",)}


def remove_imports(ids: list[int]) -> None:
    """Delete imports and their counts (two statements, whatever their size)."""
    db.session.execute(delete(ProgrammeCount).where(ProgrammeCount.import_id.in_(ids)))
    db.session.execute(delete(ProgrammeImport).where(ProgrammeImport.id.in_(ids)))
    db.session.expire_all()


class ProgrammeImporter:
    kind = "programmes"
    title = _l("Import from the national platform")
    sheet_title = _l("Platform export")
    statuses = {"counted": _l("Counted")}
    preview = (_l("Commune or ward"), _l("Target group"), _l("Count"), _l("Date"))
    explanation = _l("The export of the national platform: one row per commune (and target group) with the number "
                     "of entries or completions, or one row per person (each counts 1). Names are only checked, "
                     "never stored; a file with ID-card numbers is refused. A new import of the same programme "
                     "replaces the previous one (the platform's exports are cumulative).")

    def columns(self) -> list[Column]:
        return [
            Column("commune_code", _l("Commune code"), ("ma xa", "ma xa phuong", "ma don vi", "commune code"), width=12,
                   help=_l("Optional when the name is unambiguous")),
            Column("commune", _l("Commune or ward"), ("xa phuong", "xa", "phuong", "don vi", "dia ban", "ward",
                                                      "xa/phuong", "ten xa"), width=26),
            Column("target_group", _l("Target group"), ("doi tuong", "nhom doi tuong", "group"), width=20,
                   choices=lambda: [str(v) for v in TARGET_GROUP_LABELS.values()]),
            Column("count", _l("Count"), ("so luot", "so luong", "luot du thi", "so luot du thi", "so nguoi",
                                          "so nguoi hoan thanh", "hoan thanh", "entries", "completions"), width=12,
                   help=_l("Blank: the row is one person")),
            Column("date", _l("Date"), ("ngay", "ngay du thi", "ngay hoan thanh", "thoi gian", "ngay nop bai"),
                   width=14, help=_l("dd/mm/yyyy; blank: the export's date")),
            Column("full_name", _l("Full name"), ("ho va ten", "ho ten", "name"), width=24,
                   help=_l("Optional, not stored")),
            Column("score", _l("Score"), ("diem", "ket qua", "diem so"), width=10, help=_l("Optional, not stored")),
        ]

    def template(self, campaign: Campaign) -> bytes:
        cols = self.columns()
        names = sorted(c.name for c in db.session.scalars(
            select(Commune).where(Commune.province_code == campaign.province_code)))
        cols[1].choices = lambda: names
        return tabular.template_workbook(str(self.sheet_title), cols, [], lists_title=str(_("Lists")))

    @staticmethod
    def options(kind: str, programme: str, as_of) -> dict:
        if kind not in KINDS:
            raise DomainError(_("Choose what the file holds."), "kind")
        programme = nfc(" ".join((programme or "").split()))
        if not programme or len(programme) > 200:
            raise DomainError(_("Give the programme's name (at most 200 characters)."), "programme")
        try:
            day = tabular.day(as_of)
        except tabular.CellError:
            day = None
        if day is None:
            raise DomainError(_("Give the export's date (dd/mm/yyyy)."), "as_of")
        return {"kind": kind, "programme": programme, "as_of": day}

    def check(self, actor, filename: str, data: bytes, campaign: Campaign, options: dict) -> Checked:
        if not perm.can_in_province(actor, campaign.province_code, roles=(PROVINCE_COORDINATOR,)):
            raise DomainError(_("Only the province's coordinators import the platform's exports."))
        rows = tabular.read_table(filename, data)
        if not rows or tabular.is_blank(rows[0]):
            raise DomainError(_("The file is empty."), "file")
        ids = [str(c) for c in rows[0] if c is not None and tabular.header_key(c) in ID_CARD_HEADERS]
        if ids:
            raise DomainError(_("The file holds ID-card numbers (column “%(c)s”): remove that column and upload it "
                                "again. Nothing was imported.", c=ids[0]), "file")
        cols = self.columns()
        header = tabular.map_header(rows[0], cols)
        if header.unknown:
            raise DomainError(_("Unknown columns: %(c)s. Use the template's headers.", c=", ".join(header.unknown)),
                              "file")
        if not header.has("commune") and not header.has("commune_code"):
            raise DomainError(_("The first row must name the columns. Missing: %(c)s.", c=str(cols[1].label)), "file")
        label = {c.key: c.label for c in cols}
        communes = {c.code: c for c in db.session.scalars(
            select(Commune).where(Commune.province_code == campaign.province_code))}
        names = CommuneNames(communes.values())
        groups = tabular.options_of(TARGET_GROUP_LABELS, {k: [*v, *GROUP_EXTRA.get(k, ())]
                                                          for k, v in both_languages(TARGET_GROUP_LABELS).items()})
        out = Checked(self.kind)
        as_of: date = options["as_of"]
        for line, cells in tabular.data_rows(rows):
            p = Problems()
            commune = p.cell(label["commune"], self._commune, header.get(cells, "commune_code") or
                             header.get(cells, "commune"), communes, names)
            group = p.cell(label["target_group"], tabular.choice, header.get(cells, "target_group"), groups)
            count = p.cell(label["count"], tabular.whole, header.get(cells, "count"), minimum=0, maximum=10_000_000)
            day = p.cell(label["date"], tabular.day, header.get(cells, "date"))
            p.cell(label["full_name"], tabular.text, header.get(cells, "full_name"), max_len=120)
            if day is not None and (day > as_of or day < campaign.starts_on):
                p.add(_("the date %(d)s is outside the campaign or after the export's date", d=day.strftime("%d/%m/%Y")))
            if p:
                out.errors.append((line, p.text()))
                continue
            n = 1 if count is None else count
            if n == 0:
                continue
            on = day or as_of
            out.rows.append({"line": line, "status": "counted", "commune": commune.code, "group": group, "count": n,
                             "on": on.isoformat(), "cells": [commune.name, str(TARGET_GROUP_LABELS[group]) if group
                                                             else "", n, on.strftime("%d/%m/%Y")]})
        if not out.rows and not out.errors:
            raise DomainError(_("The file has no rows."), "file")
        out.counts = {"counted": sum(r["count"] for r in out.rows)} if out.rows else {}
        return out

    @staticmethod
    def _commune(value, communes: dict[int, Commune], names: CommuneNames) -> Commune:
        if value is None:
            raise tabular.CellError(_("the commune is missing"))
        raw = tabular._cell_text(value)
        if raw.isdigit():
            if int(raw) not in communes:
                raise tabular.CellError(_("commune code %(c)s is not a commune of this province", c=raw))
            return communes[int(raw)]
        return names.find(raw, _("no commune of this province is named “%(n)s”", n=raw))

    def apply(self, actor, checked: Checked, campaign: Campaign, options: dict, filename: str) -> ProgrammeImport:
        """Replace the programme's previous import with this one, every row or none (the caller commits)."""
        if not checked.ok:
            raise DomainError(_("The file has errors: nothing was imported."), "file")
        key = fold(options["programme"])
        old = list(db.session.scalars(select(ProgrammeImport.id).where(
            ProgrammeImport.campaign_id == campaign.id, ProgrammeImport.kind == options["kind"],
            ProgrammeImport.search_programme == key)))
        if old:
            remove_imports(old)
        sums: Counter = Counter()
        for r in checked.rows:
            sums[(r["commune"], r["group"], r["on"])] += r["count"]
        source = ProgrammeImport(campaign_id=campaign.id, kind=options["kind"], programme=options["programme"],
                                 search_programme=key, filename=(filename or "")[:200], as_of=options["as_of"],
                                 rows=len(checked.rows), total=sum(sums.values()), by_id=actor.id if actor else None)
        db.session.add(source)
        db.session.flush()
        db.session.add_all([ProgrammeCount(import_id=source.id, campaign_id=campaign.id, kind=options["kind"],
                                           commune_code=code, target_group=group,
                                           occurred_at=day_start(date.fromisoformat(on)), count=n)
                            for (code, group, on), n in sorted(sums.items(), key=lambda kv: (kv[0][0], kv[0][1] or "",
                                                                                               kv[0][2]))])
        db.session.flush()
        audit("programme.imported", actor=actor, object_type="programme_import", object_id=source.id,
              kind=source.kind, total=source.total, rows=source.rows)
        return source


