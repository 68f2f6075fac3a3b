"""Loading provinces and communes from vietnam-provinces; the commune lists every feature shows (one
home for "the communes of ..." and their form choices); managing villages."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from vietnam_provinces import Province as VPProvince
from vietnam_provinces import Ward as VPWard

from campaign.core.services import DomainError, audit
from campaign.core.text import fold, nfc
from campaign.extensions import db
from campaign.units.models import VILLAGE_KINDS, Commune, Province, Village


@dataclass
class LoadResult:
    provinces_added: int = 0
    provinces_updated: int = 0
    communes_added: int = 0
    communes_updated: int = 0

    @property
    def changed(self) -> bool:
        return any((self.provinces_added, self.provinces_updated, self.communes_added, self.communes_updated))


def _division(value) -> str:
    return getattr(value, "value", str(value))


def load_units(province_code: int | None = None) -> LoadResult:
    """Create or update provinces and communes from the official list. Idempotent: running it again
    changes nothing. With ``province_code`` only that province and its communes are loaded."""
    result = LoadResult()
    if province_code is not None:
        try:
            sources = [VPProvince.from_code(province_code)]
        except ValueError as exc:
            raise DomainError(_("Unknown province code %(code)s.", code=province_code)) from exc
    else:
        sources = list(VPProvince.iter_all())

    existing_p = {p.code: p for p in db.session.scalars(select(Province))}
    for src in sources:
        code = int(src.code)
        values = dict(name=src.name, division_type=_division(src.division_type), codename=src.codename,
                      search_name=fold(src.name))
        row = existing_p.get(code)
        if row is None:
            db.session.add(Province(code=code, **values))
            result.provinces_added += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            result.provinces_updated += 1
    db.session.flush()

    codes = {int(src.code) for src in sources}
    existing_c = {c.code: c for c in db.session.scalars(select(Commune).where(Commune.province_code.in_(codes)))}
    for ward in VPWard.iter_all():
        if int(ward.province_code) not in codes:
            continue
        code = int(ward.code)
        values = dict(province_code=int(ward.province_code), name=ward.name,
                      division_type=_division(ward.division_type), codename=ward.codename,
                      search_name=fold(ward.name))
        row = existing_c.get(code)
        if row is None:
            db.session.add(Commune(code=code, **values))
            result.communes_added += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            result.communes_updated += 1
    db.session.flush()
    return result


# --- commune lists and choices ---------------------------------------------------------------------

def get_commune(code) -> Commune | None:
    """The commune with this code (a number or its text), or None."""
    try:
        return db.session.get(Commune, int(code)) if code not in (None, "") else None
    except (TypeError, ValueError):
        return None


def province_of(commune_code: int | None) -> int | None:
    """The province code of a commune (None for an unknown one)."""
    if commune_code is None:
        return None
    return db.session.scalar(select(Commune.province_code).where(Commune.code == commune_code))


def communes(*where, province_code: int | None = None, province_codes=None, codes=None) -> list[Commune]:
    """Communes ordered by name: of a province (or of several), with one of ``codes``, matching the
    further conditions ``where`` (e.g. a permission filter). Conditions given together all apply."""
    stmt = select(Commune).order_by(Commune.name, Commune.code)
    if province_code is not None:
        stmt = stmt.where(Commune.province_code == province_code)
    if province_codes is not None:
        stmt = stmt.where(Commune.province_code.in_(list(province_codes) or [-1]))
    if codes is not None:
        stmt = stmt.where(Commune.code.in_(list(codes) or [-1]))
    if where:
        stmt = stmt.where(*where)
    return list(db.session.scalars(stmt))


def communes_by_code(codes) -> dict[int, Commune]:
    """{code: commune} for the given codes, in one query."""
    codes = {c for c in codes if c is not None}
    if not codes:
        return {}
    return {c.code: c for c in db.session.scalars(select(Commune).where(Commune.code.in_(codes)))}


def commune_codes(province_code: int) -> list[int]:
    """The codes of a province's communes."""
    return list(db.session.scalars(select(Commune.code).where(Commune.province_code == province_code)
                                   .order_by(Commune.code)))


def commune_count(province_code: int) -> int:
    """How many communes a province has."""
    return db.session.scalar(select(func.count()).select_from(Commune)
                             .where(Commune.province_code == province_code)) or 0


def commune_choices(rows, blank=None) -> list[tuple]:
    """(code, name) pairs for a select field, after an optional ``("", blank)`` first choice."""
    out = [(c.code, c.name) for c in rows]
    return ([("", blank)] if blank is not None else []) + out


def _clean_village(name: str, kind: str, households, population) -> tuple[str, str]:
    name = nfc(name)
    if not name:
        raise DomainError(_("Enter the village's name."), "name")
    if kind not in VILLAGE_KINDS:
        raise DomainError(_("Choose a kind of village."), "kind")
    for field, value in (("households", households), ("population", population)):
        if value is not None and value < 0:
            raise DomainError(_("This number cannot be negative."), field)
    return name, kind


def _check_unique(commune_code: int, name: str, exclude_id: int | None = None) -> None:
    stmt = select(Village.id).where(Village.commune_code == commune_code, Village.search_name == fold(name))
    if exclude_id is not None:
        stmt = stmt.where(Village.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise DomainError(_("This commune already has a village named %(name)s.", name=name), "name")


def create_village(actor, commune: Commune, *, name: str, kind: str, households: int | None = None,
                   population: int | None = None) -> Village:
    name, kind = _clean_village(name, kind, households, population)
    _check_unique(commune.code, name)
    village = Village(commune_code=commune.code, name=name, kind=kind, search_name=fold(name),
                      households=households, population=population)
    db.session.add(village)
    db.session.flush()
    audit("village.created", village, actor=actor, name=name, commune=commune.code)
    return village


def update_village(actor, village: Village, *, name: str, kind: str, households: int | None = None,
                   population: int | None = None) -> Village:
    name, kind = _clean_village(name, kind, households, population)
    _check_unique(village.commune_code, name, exclude_id=village.id)
    changes = {}
    for attr, value in (("name", name), ("kind", kind), ("households", households), ("population", population)):
        if getattr(village, attr) != value:
            changes[attr] = [getattr(village, attr), value]
            setattr(village, attr, value)
    village.search_name = fold(name)
    if changes:
        audit("village.updated", village, actor=actor, changes=changes)
    return village


def delete_village(actor, village: Village) -> None:
    audit("village.deleted", village, actor=actor, name=village.name, commune=village.commune_code)
    db.session.delete(village)
