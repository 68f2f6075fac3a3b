"""Imports of villages, residents/learners and volunteers from XLSX or CSV, on the shared engine
(``campaign.core.tabular``): a template, a check of every row (nothing written), a preview, and an import
of every row or none.

Each importer has ``columns``, ``template(actor)``, ``check(actor, filename, data, options, progress)``
returning a ``Checked`` (rows to write, every bad row with its reason, problems of the whole file) and
``apply(actor, checked, options, progress)`` which checks again and writes through the owning feature's
services (the caller commits once). Scope: each row's commune must be one the user manages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from campaign.accounts import permissions as perm
from campaign.campaigns.forms import TARGET_GROUP_LABELS
from campaign.campaigns.models import TARGET_GROUPS, Campaign, Indicator, IndicatorTarget
from campaign.campaigns.services import set_commune_targets
from campaign.core import tabular
from campaign.core.phone import mask as mask_phone
from campaign.core.phone import normalise as normalise_phone
from campaign.core.services import DomainError, audit
from campaign.core.tabular import Column, Problems
from campaign.core.text import fold
from campaign.core.timeutil import local_today, parse_local_date
from campaign.core.types import utcnow
from campaign.courses import services as courses
from campaign.courses.models import Course
from campaign.events import services as events
from campaign.events.models import Event, Person, Registration
from campaign.extensions import db
from campaign.units import services as units
from campaign.units.forms import VILLAGE_KIND_LABELS
from campaign.units.models import Commune, Village
from campaign.volunteers import services as volunteers
from campaign.volunteers.forms import LANGUAGE_LABELS, SKILL_LABELS

Progress = Callable[..., None]


def _no_progress(done: int, total: int, message: str | None = None) -> None:
    return None


@dataclass
class Checked:
    kind: str
    rows: list[dict] = field(default_factory=list)  # {"line", "status", "cells": [...], plus what apply needs}
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    problems: list[str] = field(default_factory=list)  # about the whole file (e.g. the class would overflow)
    counts: dict[str, int] = field(default_factory=dict)  # status -> rows
    row_count: int | None = None  # rebuilt from a job's summary: the rows themselves are not kept

    @property
    def n(self) -> int:
        return len(self.rows) if self.row_count is None else self.row_count

    @property
    def ok(self) -> bool:
        return not self.errors and not self.problems and self.n > 0

    def summary(self) -> dict:
        """JSON for a background job's result: counts, the bad rows' lines and reasons (no row's data)."""
        return {"kind": self.kind, "rows": self.n, "counts": self.counts,
                "errors": [[line, reason] for line, reason in self.errors], "problems": self.problems}

    @classmethod
    def from_summary(cls, data: dict) -> Checked:
        return cls(data.get("kind", ""), errors=[(int(a), str(b)) for a, b in data.get("errors", [])],
                   problems=list(data.get("problems", [])), counts=dict(data.get("counts", {})),
                   row_count=int(data.get("rows", 0)))


def both_languages(labels: dict[str, Any]) -> dict[str, list[str]]:
    """code -> the label in Vietnamese and in English (whatever the user's language)."""
    out: dict[str, list[str]] = {k: [] for k in labels}
    for locale in ("vi", "en"):
        with force_locale(locale):
            for k, v in labels.items():
                out[k].append(str(v))
    return out


def _options(labels: dict[str, Any], extra: dict[str, tuple[str, ...]] | None = None) -> dict[str, str]:
    names = both_languages(labels)
    for k, more in (extra or {}).items():
        names.setdefault(k, []).extend(more)
    return tabular.options_of(labels, names)


# --- the communes and villages a user may import into ---------------------------------------------

class CommuneNames:
    """Communes found by name: accents and case ignored, "Xã"/"Phường" may be left out when unambiguous."""

    PREFIXES = ("xa ", "phuong ", "dac khu ", "thi tran ")

    def __init__(self, communes):
        self.by_name: dict[str, list[Commune]] = {}
        for c in communes:
            key = fold(c.name)
            for n in {key} | {key[len(p):] for p in self.PREFIXES if key.startswith(p)}:
                self.by_name.setdefault(n, []).append(c)

    def find(self, raw: str, unknown: str) -> Commune:
        """The one commune named ``raw``; CellError ``unknown`` when none is, another when several are."""
        found = self.by_name.get(fold(raw), [])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise tabular.CellError(_("several communes are named “%(n)s”: give the code", n=raw))
        raise tabular.CellError(unknown)


class Scope:
    """The communes of the user's grants with ``roles`` (a province grant: all its communes), resolved by
    code or by name (``CommuneNames``)."""

    def __init__(self, actor, roles):
        self.actor = actor
        scope = perm.grant_scope(actor, roles)
        stmt = select(Commune).where(scope.condition(Commune.code, Commune.province_code))
        self.communes = {c.code: c for c in db.session.scalars(stmt)}
        self.names = CommuneNames(self.communes.values())
        self._villages: dict[int, dict[str, Village]] | None = None

    @property
    def default(self) -> Commune | None:
        """The one commune of a commune officer (the commune column may then be left out)."""
        return next(iter(self.communes.values())) if len(self.communes) == 1 else None

    def commune(self, value) -> Commune:
        if value is None or str(value).strip() == "":
            if self.default is not None:
                return self.default
            raise tabular.CellError(_("the commune is missing"))
        raw = tabular._cell_text(value)
        if raw.isdigit():
            c = self.communes.get(int(raw))
            if c is None:
                if db.session.get(Commune, int(raw)) is not None:
                    raise tabular.CellError(_("commune %(c)s is outside your scope", c=raw))
                raise tabular.CellError(_("%(c)s is not a commune code", c=raw))
            return c
        return self.names.find(raw, _("no commune in your scope is named “%(n)s”", n=raw))

    def villages(self) -> dict[int, dict[str, Village]]:
        """commune code -> folded name -> village: one query."""
        if self._villages is None:
            self._villages = {}
            for v in db.session.scalars(select(Village).where(Village.commune_code.in_(list(self.communes) or [-1]))):
                self._villages.setdefault(v.commune_code, {})[v.search_name] = v
        return self._villages

    def commune_names(self) -> list[str]:
        return sorted(c.name for c in self.communes.values())


def _commune_column(required: bool = True) -> Column:
    return Column("commune", _l("Commune or ward"),
                  ("commune_code", "xa phuong", "xa", "phuong", "ma xa", "xa/phuong", "commune code", "ward"),
                  required=required, width=24,
                  help=_l("Its code or its name (accents ignored). Left blank: your commune, if you manage one."))


def _read(filename: str, data: bytes, columns: list[Column]) -> tuple[tabular.Header, list[list]]:
    rows = tabular.read_table(filename, data)
    if not rows or tabular.is_blank(rows[0]):
        raise DomainError(_("The file is empty."), "file")
    header = tabular.map_header(rows[0], columns)
    if header.unknown:
        raise DomainError(_("Unknown columns: %(c)s. Use the template's headers.", c=", ".join(header.unknown)),
                          "file")
    return header, rows


class _Cells:
    """One row's cells read by column key through a typed parser; a cell that cannot be read gives None
    and its reason goes to the row's problems."""

    def __init__(self, problems: Problems, header: tabular.Header, cells: list, label: dict):
        self.problems, self.header, self.cells, self.label = problems, header, cells, label
        self._failed: set[str] = set()

    def raw(self, key: str):
        return self.header.get(self.cells, key)

    def read(self, key: str, parse, *args, **kwargs):
        before = len(self.problems.items)
        value = self.problems.cell(self.label[key], parse, self.raw(key), *args, **kwargs)
        if len(self.problems.items) > before:
            self._failed.add(key)
        return value

    def failed(self, key: str) -> bool:
        return key in self._failed


def _with_progress(items, total: int, progress: Progress):
    """The items, reporting progress every 200 of them."""
    for i, item in enumerate(items):
        if i % 200 == 0:
            progress(i, total, None)
        yield item


def _status_counts(checked: Checked) -> None:
    checked.counts = {}
    for row in checked.rows:
        checked.counts[row["status"]] = checked.counts.get(row["status"], 0) + 1


def _finish(checked: Checked) -> Checked:
    if not checked.rows and not checked.errors and not checked.problems:
        raise DomainError(_("The file has no rows."), "file")
    _status_counts(checked)
    return checked


# --- villages --------------------------------------------------------------------------------------

KIND_EXTRA = {"thon": ("thon",), "ap": ("ap",), "khu_pho": ("khu pho", "kp"), "to_dan_pho": ("to dan pho", "tdp"),
              "ban": ("ban", "buon", "plei"), "other": ("khac", "other")}


class Importer:
    """What every import shares: its template is the columns (the commune column listing the user's
    communes) and, for ``template_rows``, the records already there."""

    kind = ""
    sheet_title = ""  # each importer names its sheet
    roles: tuple = ()

    def columns(self) -> list[Column]:
        raise NotImplementedError

    def template_rows(self, scope: Scope) -> list[list]:
        return []

    def template(self, actor) -> bytes:
        scope = Scope(actor, self.roles)
        cols = self.columns()
        next(c for c in cols if c.key == "commune").choices = scope.commune_names
        return tabular.template_workbook(str(self.sheet_title), cols, self.template_rows(scope),
                                         lists_title=str(_("Lists")))


class VillageImporter(Importer):
    kind = "villages"
    sheet_title = _l("Villages")
    title = _l("Import villages")
    roles = perm.COMMUNE_MANAGERS
    statuses = {"new": _l("New"), "updated": _l("Updated"), "unchanged": _l("Unchanged")}
    preview = (_l("Commune or ward"), _l("Name"), _l("Kind"), _l("Households"), _l("Population"))
    explanation = _l("One row per village (thôn, ấp, khu phố, tổ dân phố) of your communes. A village already "
                     "recorded in the commune under the same name (accents ignored) is updated; a blank number "
                     "keeps the recorded one.")

    def columns(self) -> list[Column]:
        return [
            _commune_column(),
            Column("name", _l("Name"), ("village", "ten", "ten thon", "thon ap", "thon/ap", "village name"),
                   required=True, help=_l("The village's name, e.g. Ấp 3."), width=24),
            Column("kind", _l("Kind"), ("loai", "type"), help=_l("thôn, ấp, khu phố, tổ dân phố, bản or other"),
                   choices=lambda: [str(v) for v in VILLAGE_KIND_LABELS.values()]),
            Column("households", _l("Households"), ("so ho", "ho"), help=_l("Number of households (optional)")),
            Column("population", _l("Population"), ("dan so", "so dan", "nhan khau"),
                   help=_l("Number of inhabitants (optional)")),
        ]

    def template_rows(self, scope: Scope) -> list[list]:
        """The villages already recorded: the template imports again as it is."""
        villages = sorted((v for by in scope.villages().values() for v in by.values()),
                          key=lambda v: (scope.communes[v.commune_code].name, v.search_name))
        return [[scope.communes[v.commune_code].name, v.name, str(VILLAGE_KIND_LABELS[v.kind]), v.households,
                 v.population] for v in villages[:tabular.MAX_ROWS]]

    def check(self, actor, filename: str, data: bytes, options: dict | None = None,
              progress: Progress = _no_progress) -> Checked:
        cols = self.columns()
        header, rows = _read(filename, data, cols)
        label = {c.key: c.label for c in cols}
        scope = Scope(actor, self.roles)
        villages = scope.villages()
        kinds = _options(VILLAGE_KIND_LABELS, KIND_EXTRA)
        out = Checked(self.kind)
        seen: dict[tuple[int, str], int] = {}
        total = tabular.count_rows(rows)
        for line, cells in _with_progress(tabular.data_rows(rows), total, progress):
            p = Problems()
            commune = p.cell(label["commune"], scope.commune, header.get(cells, "commune"))
            name = p.cell(label["name"], tabular.text, header.get(cells, "name"), max_len=120)
            if not name and not any(_("Name") in x for x in p.items):
                p.add(_("the name is missing"))
            kind = p.cell(label["kind"], tabular.choice, header.get(cells, "kind"), kinds)
            households = p.cell(label["households"], tabular.whole, header.get(cells, "households"))
            population = p.cell(label["population"], tabular.whole, header.get(cells, "population"))
            existing = None
            if commune is not None and name:
                key = (commune.code, fold(name))
                if key in seen:
                    p.add(_("this village is already on line %(l)d", l=seen[key]))
                seen[key] = line
                existing = villages.get(commune.code, {}).get(fold(name))
            if p:
                out.errors.append((line, p.text()))
                continue
            kind = kind or (existing.kind if existing else "thon")
            if existing is not None:
                households = existing.households if households is None else households
                population = existing.population if population is None else population
                same = (existing.name, existing.kind, existing.households, existing.population) == (
                    name, kind, households, population)
                status = "unchanged" if same else "updated"
            else:
                status = "new"
            out.rows.append({"line": line, "status": status, "commune": commune.code,
                             "village": existing.id if existing else None, "name": name, "kind": kind,
                             "households": households, "population": population,
                             "cells": [commune.name, name, str(VILLAGE_KIND_LABELS[kind]),
                                       households, population]})
        progress(total, total, None)
        return _finish(out)

    def apply(self, actor, checked: Checked, options: dict | None = None, progress: Progress = _no_progress) -> dict:
        counts = {"new": 0, "updated": 0, "unchanged": 0}
        for row in _with_progress(checked.rows, len(checked.rows), progress):
            values = dict(name=row["name"], kind=row["kind"], households=row["households"],
                          population=row["population"])
            if row["village"] is None:
                units.create_village(actor, db.session.get(Commune, row["commune"]), **values)
            elif row["status"] == "updated":
                units.update_village(actor, db.session.get(Village, row["village"]), **values)
            counts[row["status"]] += 1
        audit("import.villages", actor=actor, object_type="villages", object_id="import", **counts)
        return counts


# --- residents and learners ---------------------------------------------------------------------

GENDER_LABELS = {"female": _l("Female"), "male": _l("Male"), "other": _l("Other")}
GENDER_EXTRA = {"female": ("nu", "f", "woman", "gai"), "male": ("nam", "m", "man", "trai"), "other": ("khac",)}


class ResidentImporter(Importer):
    kind = "residents"
    sheet_title = _l("Residents")
    title = _l("Import residents and learners")
    roles = perm.COMMUNE_MANAGERS
    statuses = {"new": _l("New person"), "updated": _l("Existing person, will be updated"),
                "unchanged": _l("Existing person, unchanged")}
    preview = (_l("Full name"), _l("Phone"), _l("Birth year"), _l("Commune or ward"), _l("Village"),
               _l("Household number"), _l("Class"))
    explanation = _l("One row per person. A phone number already recorded is the same person: their name is "
                     "kept as recorded, blank facts (birth year, gender, village, household) are filled in, and "
                     "their consent is renewed. Every row needs the person's consent (yes). With a class "
                     "chosen, every row is enrolled in it; if the class has not enough places left, nothing "
                     "is imported.")

    def columns(self) -> list[Column]:
        return [
            Column("full_name", _l("Full name"), ("ho va ten", "ho ten", "name", "ten"), required=True, width=26,
                   help=_l("e.g. Nguyễn Văn An")),
            Column("phone", _l("Phone"), ("so dien thoai", "sdt", "dien thoai", "phone number"),
                   help=_l("Optional; e.g. 0912 345 678. The same number is the same person."), width=16),
            Column("birth_year", _l("Birth year"), ("nam sinh", "ngay sinh", "date of birth"),
                   help=_l("e.g. 1960, or a date dd/mm/yyyy (only the year is kept)"), width=12),
            Column("gender", _l("Gender"), ("gioi tinh", "sex"), help=_l("Nữ, Nam or Khác (optional)"), width=10,
                   choices=lambda: [str(v) for v in GENDER_LABELS.values()]),
            _commune_column(required=False),
            Column("village", _l("Village"), ("thon", "ap", "thon ap", "thon/ap", "khu pho", "to dan pho"),
                   help=_l("A village recorded in the commune (optional)"), width=20),
            Column("household", _l("Household number"),
                   ("household_code", "so ho", "ma ho", "ho so", "household"),
                   help=_l("The household's number in the village's register (optional; needs the village)"),
                   width=14),
            Column("target_groups", _l("Target groups"), ("nhom doi tuong", "doi tuong", "groups"), width=24,
                   help=_l("Separated by “;”, e.g. The elderly; Ethnic minorities (optional)"),
                   choices=lambda: [str(v) for v in TARGET_GROUP_LABELS.values()]),
            Column("needs", _l("Needs"), ("nhu cau", "nhu cau ho tro", "ho tro can thiet"),
                   help=_l("e.g. wheelchair, sign language (optional)"), width=20),
            Column("consent", _l("Consent"), ("dong y", "dong y su dung du lieu", "consent given"), required=True,
                   help=_l("Yes when the person agreed to the use of their data for the campaign (required)"),
                   choices=lambda: [str(_("yes")), str(_("no"))], width=10),
        ]

    def courses(self, actor) -> list[Course]:
        """Classes the user organises that still take enrolments."""
        stmt = (select(Course).join(Event, Event.id == Course.event_id)
                .where(Event.status == "published", Event.registration_open.is_(True), Event.ends_at >= utcnow())
                .order_by(Event.starts_at, Course.id))
        stmt = stmt.where(perm.grant_scope(actor, events.EVENT_ORGANISERS).condition(Event.commune_code,
                                                                                      Event.province_code))
        return [c for c in db.session.scalars(stmt) if courses.can_manage_course(actor, c)]

    def course(self, actor, options: dict | None) -> Course | None:
        raw = (options or {}).get("course_id")
        if not raw:
            return None
        try:
            course = db.session.get(Course, int(raw))
        except (TypeError, ValueError):
            course = None
        if course is None or not courses.can_manage_course(actor, course):
            raise DomainError(_("Choose a class from the list."), "course_id")
        return course

    def check(self, actor, filename: str, data: bytes, options: dict | None = None,
              progress: Progress = _no_progress) -> Checked:
        cols = self.columns()
        header, rows = _read(filename, data, cols)
        label = {c.key: c.label for c in cols}
        scope = Scope(actor, self.roles)
        course = self.course(actor, options)
        lists = {"genders": _options(GENDER_LABELS, GENDER_EXTRA), "groups": _options(TARGET_GROUP_LABELS)}
        out = Checked(self.kind)
        parsed: list[dict] = []
        phones: dict[str, int] = {}  # phone -> the line it first appears on
        total = tabular.count_rows(rows)
        for line, cells in _with_progress(tabular.data_rows(rows), total, progress):
            p = Problems()
            row = self._read_row(_Cells(p, header, cells, label), scope, lists)
            if row["phone"]:
                if row["phone"] in phones:
                    p.add(_("this phone number is already on line %(l)d", l=phones[row["phone"]]))
                else:
                    phones[row["phone"]] = line
            if p:
                out.errors.append((line, p.text()))
            else:
                parsed.append({"line": line, **row})
        new_enrolments = self._match_people(parsed, course, list(phones))
        out.rows.extend(parsed)
        out.problems.extend(self._class_problems(course, new_enrolments))
        progress(total, total, None)
        return _finish(out)

    def _read_row(self, cell: _Cells, scope: Scope, lists: dict) -> dict:
        """One row's typed values; the problems go to the row's Problems."""
        p = cell.problems
        name = cell.read("full_name", tabular.text, max_len=120)
        if not name and not p:
            p.add(_("the full name is missing"))
        phone = cell.read("phone", tabular.phone, normalise_phone)
        year = self._birth_year(cell)
        gender = cell.read("gender", tabular.choice, lists["genders"])
        commune = cell.read("commune", scope.commune)
        village = self._village(cell, scope, commune)
        household = cell.read("household", tabular.text, max_len=40, what=str(cell.label["household"]))
        if household and cell.raw("village") is None:
            p.add(_("a household number needs the village"))
        target = cell.read("target_groups", tabular.choices, lists["groups"])
        needs = cell.read("needs", tabular.text, max_len=1000)
        if cell.read("consent", tabular.yes_no) is not True and not cell.failed("consent"):
            p.add(_("the person's consent is not recorded"))
        return {"full_name": name, "phone": phone, "birth_year": year, "gender": gender,
                "commune": commune.code if commune else None, "commune_name": commune.name if commune else "",
                "village": village.id if village else None, "village_name": village.name if village else "",
                "household": household or None, "target_groups": target or [], "needs": needs or ""}

    @staticmethod
    def _birth_year(cell: _Cells) -> int | None:
        """A year (1960) or a date whose year is kept (15/03/1960, or an Excel date cell)."""
        birth = cell.raw("birth_year")
        if birth is None:
            return None
        if hasattr(birth, "year") or (isinstance(birth, str) and any(s in birth for s in "/-.")):
            d = cell.read("birth_year", tabular.day)
            year = d.year if d else None
        else:
            year = cell.read("birth_year", tabular.whole, minimum=None)
        if year is not None and not 1900 <= year <= utcnow().year:
            cell.problems.add(_("%(col)s: %(reason)s", col=str(cell.label["birth_year"]),
                                reason=_("Enter a birth year between 1900 and this year.")))
            return None
        return year

    @staticmethod
    def _village(cell: _Cells, scope: Scope, commune: Commune | None) -> Village | None:
        name = cell.raw("village")
        if name is None or commune is None:
            return None
        village = scope.villages().get(commune.code, {}).get(fold(tabular._cell_text(name)))
        if village is None:
            cell.problems.add(_("no village “%(v)s” is recorded in %(c)s", v=tabular._cell_text(name),
                                c=commune.name))
        return village

    def _match_people(self, rows: list[dict], course: Course | None, phones: list[str]) -> int:
        """Each row's status against the people already recorded (same phone: same person) and, with a
        class, whether it enrols them; the preview's cells. Returns the number of new enrolments."""
        existing = {}
        for start in range(0, len(phones), 500):
            for person in db.session.scalars(select(Person).where(
                    Person.phone.in_(phones[start:start + 500]), Person.self_registered.is_(False))):
                existing[person.phone] = person
        enrolled: set[int] = set()
        if course is not None and existing:
            enrolled = set(db.session.scalars(select(Registration.person_id).where(
                Registration.event_id == course.event_id, Registration.status != "cancelled",
                Registration.person_id.in_([p.id for p in existing.values()]))))
        new_enrolments = 0
        for row in rows:
            person = existing.get(row["phone"]) if row["phone"] else None
            notes = []
            row["status"] = "new"
            if person is not None:
                row["person"] = person.id
                row["status"] = "updated" if self._fills(person, row) else "unchanged"
                if fold(person.full_name) != fold(row["full_name"]):
                    notes.append(str(_("the name on record differs and is kept")))
            if course is not None:
                row["enrol"] = person is None or person.id not in enrolled
                new_enrolments += row["enrol"]
                notes.append(str(_("will be enrolled") if row["enrol"] else _("already in the class")))
            row["cells"] = [row["full_name"], mask_phone(row["phone"]), row["birth_year"], row["commune_name"],
                            row["village_name"], row["household"] or "", "; ".join(notes)]
        return new_enrolments

    @staticmethod
    def _class_problems(course: Course | None, new_enrolments: int) -> list[str]:
        if course is None:
            return []
        if not events.registration_open(course.event, staff=True):
            return [_("Enrolment in this class is closed.")]
        if course.event.capacity is not None and new_enrolments > (course.event.places_left or 0):
            return [_("The class has %(left)d places left; the file would enrol %(n)d people. Nothing is "
                      "imported: raise the class's capacity or split the file.",
                      left=course.event.places_left or 0, n=new_enrolments)]
        return []

    @staticmethod
    def _fills(person: Person, row: dict) -> dict:
        """The recorded person's blank facts that the row fills (never the name, never a known fact)."""
        if person.anonymised_at is not None:
            return {}
        out = {}
        if person.birth_year is None and row["birth_year"] is not None:
            out["birth_year"] = row["birth_year"]
        if person.gender is None and row["gender"]:
            out["gender"] = row["gender"]
        commune = person.commune_code
        if commune is None:
            out["commune_code"] = commune = row["commune"]
        if commune == row["commune"]:
            if person.village_id is None and row["village"]:
                out["village_id"] = row["village"]
            if not person.household_code and row["household"] and (person.village_id or row["village"]):
                out["household_code"] = row["household"]
        if not person.target_groups and row["target_groups"]:
            out["target_groups"] = "," + ",".join(g for g in TARGET_GROUPS
                                                  if g in row["target_groups"]) + ","
        if not person.needs and row["needs"]:
            out["needs"] = row["needs"]
        return out

    def apply(self, actor, checked: Checked, options: dict | None = None, progress: Progress = _no_progress) -> dict:
        course = self.course(actor, options)
        counts = {"new": 0, "updated": 0, "unchanged": 0, "enrolled": 0}
        if course is not None:
            event = events.lock_event(course.event)  # the places are counted again under the lock
            wanted = sum(1 for r in checked.rows if r.get("enrol"))
            if not events.registration_open(event, staff=True):
                raise DomainError(_("Enrolment in this class is closed."), "course_id")
            if event.capacity is not None and wanted > (event.places_left or 0):
                raise DomainError(_("The class has %(left)d places left; the file would enrol %(n)d people. "
                                    "Nothing is imported: raise the class's capacity or split the file.",
                                    left=event.places_left or 0, n=wanted), "course_id")
        now = utcnow()
        for i, row in enumerate(checked.rows):
            if i % 100 == 0:
                progress(i, len(checked.rows), None)
            person = db.session.get(Person, row["person"]) if row.get("person") else None
            if course is not None and row.get("enrol"):
                reg, _token = courses.enrol(
                    course, actor=actor, full_name=row["full_name"], consent=True, phone=row["phone"],
                    birth_year=row["birth_year"], gender=row["gender"], target_groups=row["target_groups"],
                    commune_code=row["commune"], village_id=row["village"], needs=row["needs"])
                if reg.status != "confirmed":  # a place went between the check and now
                    raise DomainError(_("The class is full: nothing was imported."), "course_id")
                counts["enrolled"] += 1
                if person is None:
                    person = reg.person
                    person.household_code = row["household"]
            if person is None:
                person = Person(full_name=row["full_name"], search_name=fold(row["full_name"]), phone=row["phone"],
                                birth_year=row["birth_year"], gender=row["gender"], commune_code=row["commune"],
                                village_id=row["village"], household_code=row["household"],
                                target_groups=("," + ",".join(g for g in TARGET_GROUPS
                                                              if g in row["target_groups"]) + ",")
                                if row["target_groups"] else "",
                                needs=row["needs"][:1000], consent_at=now, consent_text=events.CONSENT_VERSION)
                db.session.add(person)
            elif row["status"] != "new":
                for attr, value in self._fills(person, row).items():
                    setattr(person, attr, value)
                if person.anonymised_at is None:
                    person.consent_at, person.consent_text = now, events.CONSENT_VERSION
            counts[row["status"]] += 1
        db.session.flush()
        audit("import.residents", actor=actor, object_type="persons", object_id="import",
              course=course.id if course else None, **counts)
        return counts


# --- volunteers ----------------------------------------------------------------------------------

class VolunteerImporter(Importer):
    kind = "volunteers"
    sheet_title = _l("Volunteers")
    title = _l("Import volunteers")
    roles = perm.ORGANISERS
    statuses = {"new": _l("New volunteer")}
    preview = (_l("Full name"), _l("Phone"), _l("Commune or ward"), _l("School"), _l("Skills"))
    explanation = _l("One row per volunteer; each gets an approved account (they sign in after resetting the "
                     "password). A phone number already registered is refused. Skills and languages are codes or "
                     "names separated by “;”. Every row needs the volunteer's consent (yes).")

    def columns(self) -> list[Column]:
        from campaign.volunteers.models import LANGUAGES, SKILLS

        return [
            Column("full_name", _l("Full name"), ("ho va ten", "ho ten", "name"), required=True, width=26,
                   help=_l("e.g. Nguyễn Văn An")),
            Column("phone", _l("Phone"), ("so dien thoai", "sdt", "dien thoai"), required=True, width=16,
                   help=_l("e.g. 0912 345 678")),
            Column("email", _l("Email"), ("thu dien tu",), help=_l("Optional"), width=22),
            Column("school", _l("School"), ("truong", "truong hoc", "don vi"), help=_l("Optional"), width=22),
            Column("youth_branch", _l("Youth union branch"), ("chi doan", "doan co so"), help=_l("Optional"),
                   width=20),
            _commune_column(),
            Column("skills", _l("Skills"), ("ky nang",), help=", ".join(SKILLS), width=22),
            Column("languages", _l("Languages"), ("ngon ngu", "tieng"), help=", ".join(LANGUAGES), width=14),
            Column("availability", _l("Availability"), ("thoi gian ranh", "co the tham gia"), help=_l("Optional"),
                   width=18),
            Column("consent", _l("Consent"), ("dong y", "dong y su dung du lieu", "consent given"), required=True,
                   help=_l("Yes when the volunteer agreed to the use of their data (required)"),
                   choices=lambda: [str(_("yes")), str(_("no"))], width=10),
        ]

    def check(self, actor, filename: str, data: bytes, options: dict | None = None,
              progress: Progress = _no_progress) -> Checked:
        cols = self.columns()
        header, rows = _read(filename, data, cols)
        label = {c.key: c.label for c in cols}
        scope = Scope(actor, self.roles)
        skills, languages = _options(SKILL_LABELS), _options(LANGUAGE_LABELS)
        out = Checked(self.kind)
        phones: set[str] = set()
        total = tabular.count_rows(rows)
        for line, cells in _with_progress(tabular.data_rows(rows), total, progress):
            p = Problems()
            cell = _Cells(p, header, cells, label)
            values = dict(
                full_name=cell.read("full_name", tabular.text, max_len=120),
                phone=cell.read("phone", tabular.phone, normalise_phone),
                email=cell.read("email", tabular.text, max_len=254),
                school=cell.read("school", tabular.text, max_len=200),
                youth_branch=cell.read("youth_branch", tabular.text, max_len=200),
                skills=cell.read("skills", tabular.choices, skills) or [],
                languages=cell.read("languages", tabular.choices, languages) or [],
                availability=cell.read("availability", tabular.text, max_len=1000),
                consent=cell.read("consent", tabular.yes_no))
            commune = cell.read("commune", scope.commune)
            if not values["full_name"] and not cell.failed("full_name"):
                p.add(_("the full name is missing"))
            if not values["phone"] and not cell.failed("phone"):
                p.add(_("the phone number is missing"))
            if not p:
                try:
                    checked_row = volunteers.check_import_row(actor, commune_code=commune.code, phones=phones,
                                                              **values)
                except DomainError as err:
                    p.add(err.message)
            if p:
                out.errors.append((line, p.text()))
                continue
            name, email, profile = checked_row
            out.rows.append({"line": line, "status": "new", "name": name, "email": email, "values": profile,
                             "cells": [name, mask_phone(profile["phone"]), commune.name, profile["school"],
                                       ", ".join(profile["skills"])]})
        progress(total, total, None)
        return _finish(out)

    def apply(self, actor, checked: Checked, options: dict | None = None, progress: Progress = _no_progress) -> dict:
        phones: set[str] = set()
        for row in checked.rows:  # checked again: a volunteer may have registered since the preview
            if row["values"]["phone"] in phones or volunteers.phone_taken(row["values"]["phone"]):
                raise DomainError(_("Nothing was imported: the file clashes with existing volunteers."), "file")
            phones.add(row["values"]["phone"])
        created = volunteers.create_imported_volunteers(
            actor, [(r["name"], r["email"], r["values"]) for r in checked.rows], source="import")
        return {"new": len(created)}


# --- baselines (populations) and the remote mark --------------------------------------------------

def _local_date(value):
    if value is None or str(value).strip() == "":
        return None
    if hasattr(value, "year") and hasattr(value, "month"):
        return value.date() if hasattr(value, "date") and callable(value.date) else value
    try:
        return parse_local_date(tabular._cell_text(value))
    except ValueError:
        raise tabular.CellError(_("not a date (dd/mm/yyyy)")) from None


class BaselineImporter(Importer):
    """One row per commune: its populations (civil servants, pupils, adults, workers, households, residents
    from 16) as of a date, with the source, and whether it is remote. Each number is a new entry of the
    history (the same date again corrects it); a blank cell changes nothing."""

    kind = "baselines"
    sheet_title = _l("Baselines")
    title = _l("Import baselines (populations)")
    roles = (perm.PROVINCE_COORDINATOR,)
    statuses = {"updated": _l("Updated"), "unchanged": _l("Unchanged")}
    preview = (_l("Commune or ward"), _l("As of"), _l("Populations"), _l("Remote"))
    explanation = _l("One row per commune: the populations the percentage indicators are measured against, as "
                     "of a date, with their source, and whether the commune is remote (vùng sâu, vùng xa). A "
                     "blank number or remote cell changes nothing; earlier figures stay in the history.")

    def columns(self) -> list[Column]:
        from campaign.campaigns.forms import BASELINE_LABELS

        cols = [_commune_column(),
                Column("as_of", _l("As of"), ("ngay", "tinh den ngay", "date", "as of date"), required=True,
                       help=_l("dd/mm/yyyy"), width=14)]
        cols += [Column(kind, label, (), help=_l("A whole number (optional)"), width=16)
                 for kind, label in BASELINE_LABELS.items()]
        cols += [Column("remote", _l("Remote"), ("vung sau vung xa", "vung sau, vung xa", "remote commune"),
                        help=_l("yes or no (optional)"), choices=lambda: [str(_("yes")), str(_("no"))], width=10),
                 Column("source", _l("Source"), ("nguon", "nguon so lieu"), help=_l("e.g. Chi cục Thống kê"),
                        width=24)]
        return cols

    def template_rows(self, scope: Scope) -> list[list]:
        return [[c.name, None, None, None, None, None, None, None, str(_("yes")) if c.remote else str(_("no")), ""]
                for c in sorted(scope.communes.values(), key=lambda c: c.search_name)]

    def check(self, actor, filename: str, data: bytes, options: dict | None = None,
              progress: Progress = _no_progress) -> Checked:
        from campaign.campaigns.forms import BASELINE_LABELS
        from campaign.campaigns.services import MAX_BASELINE

        cols = self.columns()
        header, rows = _read(filename, data, cols)
        label = {c.key: c.label for c in cols}
        scope = Scope(actor, self.roles)
        out = Checked(self.kind)
        seen: dict[tuple[int, object], int] = {}
        total = tabular.count_rows(rows)
        for line, cells in _with_progress(tabular.data_rows(rows), total, progress):
            p = Problems()
            cell = _Cells(p, header, cells, label)
            commune = cell.read("commune", scope.commune)
            as_of = cell.read("as_of", _local_date)
            if as_of is None and not cell.failed("as_of"):
                p.add(_("the date is missing"))
            elif as_of is not None and as_of > local_today():
                p.add(_("the date cannot be in the future"))
            values = {k: cell.read(k, tabular.whole, maximum=MAX_BASELINE) for k in BASELINE_LABELS}
            remote = cell.read("remote", tabular.yes_no)
            source = cell.read("source", tabular.text, max_len=300) or ""
            if commune is not None and as_of is not None:
                if (commune.code, as_of) in seen:
                    p.add(_("this commune and date are already on line %(l)d", l=seen[(commune.code, as_of)]))
                seen[(commune.code, as_of)] = line
            if p:
                out.errors.append((line, p.text()))
                continue
            given = {k: v for k, v in values.items() if v is not None}
            changes = bool(given) or (remote is not None and remote != commune.remote)
            out.rows.append({"line": line, "status": "updated" if changes else "unchanged", "commune": commune.code,
                             "as_of": as_of.isoformat(), "values": given, "remote": remote, "source": source,
                             "cells": [commune.name, as_of.strftime("%d/%m/%Y"),
                                       "; ".join(f"{BASELINE_LABELS[k]}: {v}" for k, v in given.items()),
                                       "" if remote is None else str(_("yes") if remote else _("no"))]})
        progress(total, total, None)
        return _finish(out)

    def apply(self, actor, checked: Checked, options: dict | None = None, progress: Progress = _no_progress) -> dict:
        from datetime import date as _date

        from campaign.campaigns.services import set_baseline, set_commune_remote

        counts = {"updated": 0, "unchanged": 0}
        today = local_today()
        for row in _with_progress(checked.rows, len(checked.rows), progress):
            commune = db.session.get(Commune, row["commune"])
            day = _date.fromisoformat(row["as_of"])
            for kind, value in row["values"].items():
                set_baseline(actor, commune, kind, as_of=day, value=value, source=row["source"], today=today)
            if row["remote"] is not None:
                set_commune_remote(actor, commune, row["remote"])
            counts[row["status"]] += 1
        audit("import.baselines", actor=actor, object_type="baselines", object_id="import", **counts)
        return counts


IMPORTERS = {i.kind: i for i in (VillageImporter(), ResidentImporter(), VolunteerImporter(), BaselineImporter())}


# --- per-commune targets of a campaign --------------------------------------------------------------

@dataclass
class TargetsChecked(Checked):
    indicators: list[Indicator] = field(default_factory=list)  # the indicator columns found

    def payload(self) -> dict[int, dict[int, float | None]]:
        """indicator id -> commune code -> value (None: remove the target)."""
        out: dict[int, dict[int, float | None]] = {i.id: {} for i in self.indicators}
        for row in self.rows:
            for ind_id, value in row["values"].items():
                out[ind_id][row["commune"].code] = value
        return out


class TargetImporter:
    """Per-commune targets of a campaign on the shared engine: one row per commune of the campaign's
    province (its code, or its name), one column per indicator headed by the indicator's number. A number
    sets the commune's target, a blank cell removes it, a column left out changes nothing. The permission
    (a coordinator of the province) is the caller's."""

    kind = "targets"

    def __init__(self, campaign: Campaign):
        self.campaign = campaign
        self.indicators = list(db.session.scalars(select(Indicator).where(Indicator.campaign_id == campaign.id)
                                                  .order_by(Indicator.position, Indicator.id)))

    def columns(self) -> list[Column]:
        return [
            Column("commune_code", "commune_code", ("ma xa", "ma xa phuong", "commune code", "code"), width=14,
                   help=_l("The commune's code (or leave it blank and give the name)")),
            Column("commune", "commune", ("xa phuong", "xa", "phuong", "ten xa", "commune or ward", "ward"),
                   width=28, help=_l("The commune's name (used when the code is blank)")),
        ] + [Column(f"indicator-{i.id}", i.code, help=i.name, width=12) for i in self.indicators]

    def template(self) -> bytes:
        """Every commune of the province, with the current targets filled in."""
        current = {(t.indicator_id, t.commune_code): t.target_value for t in db.session.scalars(
            select(IndicatorTarget).where(IndicatorTarget.indicator_id.in_([i.id for i in self.indicators] or [-1])))}
        rows = [[c.code, c.name] + [current.get((i.id, c.code)) for i in self.indicators]
                for c in units.communes(province_code=self.campaign.province_code)]
        return tabular.template_workbook("targets", self.columns(), rows, lists_title=str(_("Lists")))

    def check(self, filename: str, data: bytes) -> TargetsChecked:
        """Every row checked, nothing written; every bad row listed with its line number and reason."""
        rows = tabular.read_table(filename, data)
        if not rows or tabular.is_blank(rows[0]):
            raise DomainError(_("The file is empty."), "file")
        header = tabular.map_header(rows[0], self.columns())
        if not header.has("commune_code") and not header.has("commune"):
            raise DomainError(_("The first row must name the columns: commune_code, commune, then the indicator "
                                "numbers."), "file")
        out = TargetsChecked(self.kind, indicators=[i for i in self.indicators
                                                    if header.has(f"indicator-{i.id}")])
        out.errors += [(1, _("Column “%(c)s” is not an indicator number of this campaign.", c=name))
                       for name in header.unknown]
        communes = {c.code: c for c in units.communes(province_code=self.campaign.province_code)}
        names = CommuneNames(communes.values())
        seen: dict[int, int] = {}
        for line, cells in tabular.data_rows(rows):
            if self._names_row(header, cells, out.indicators):
                continue  # an older template's second header row (the indicators' names)
            p = Problems()
            commune = p.cell(_("Commune or ward"), self._commune, header, cells, communes, names)
            values = {ind.id: self._value(p, ind, header.get(cells, f"indicator-{ind.id}"))
                      for ind in out.indicators}
            if commune is not None and commune.code in seen:
                p.add(_("this commune is already on line %(l)d", l=seen[commune.code]))
            if p:
                out.errors.append((line, p.text()))
                continue
            seen[commune.code] = line
            out.rows.append({"line": line, "status": "new", "commune": commune, "values": values})
        if not out.rows and not out.errors:
            raise DomainError(_("The file has no commune rows."), "file")
        return out

    @staticmethod
    def _names_row(header: tabular.Header, cells: list, indicators: list[Indicator]) -> bool:
        return (header.get(cells, "commune_code") is None and bool(indicators)
                and all(tabular.text(header.get(cells, f"indicator-{i.id}"), max_len=10_000) == i.name
                        for i in indicators))

    @staticmethod
    def _commune(header: tabular.Header, cells: list, communes: dict[int, Commune], names: CommuneNames) -> Commune:
        code = header.get(cells, "commune_code")
        if code is not None:
            try:
                n = tabular.whole(code, minimum=None)
            except tabular.CellError:
                n = None
            if n not in communes:
                raise tabular.CellError(_("commune code %(c)s is not a commune of this province",
                                          c=tabular._cell_text(code)))
            return communes[n]
        name = header.get(cells, "commune")
        if name is None:
            raise tabular.CellError(_("the commune code is missing"))
        raw = tabular._cell_text(name)
        return names.find(raw, _("no commune of this province is named “%(n)s”", n=raw))

    @staticmethod
    def _value(p: Problems, ind: Indicator, cell) -> float | None:
        value = p.cell(_("indicator %(i)s", i=ind.code), tabular.number, cell)
        if value is not None and value < 0:
            p.add(_("indicator %(i)s: the target cannot be negative", i=ind.code))
        elif value is not None and ind.unit == "percent" and value > 100:
            p.add(_("indicator %(i)s: a percentage is at most 100", i=ind.code))
        return value

    def apply(self, actor, checked: TargetsChecked) -> int:
        """Write every row of a checked file, or nothing (the caller commits once); the number of changes."""
        if not checked.ok:
            raise DomainError(_("The file has errors: nothing was imported."), "file")
        payload = checked.payload()
        return sum(set_commune_targets(actor, ind, payload[ind.id]) for ind in checked.indicators)
