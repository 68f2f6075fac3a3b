"""What was imported from the national platform, per programme and commune; removing an import."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from campaign.accounts import permissions as perm
from campaign.accounts.models import PROVINCE_COORDINATOR
from campaign.core.services import DomainError, audit
from campaign.extensions import db
from campaign.programmes.models import ProgrammeCount, ProgrammeImport
from campaign.units.models import Commune


def can_manage(user, province_code: int) -> bool:
    return perm.can_in_province(user, province_code, roles=(PROVINCE_COORDINATOR,))


def imports_of(campaign_id: int) -> list[ProgrammeImport]:
    return db.session.scalars(select(ProgrammeImport).where(ProgrammeImport.campaign_id == campaign_id)
                              .order_by(ProgrammeImport.kind, ProgrammeImport.created_at.desc())).all()


def by_commune(campaign_id: int) -> list[tuple[str, str, int]]:
    """(kind, commune name, total) for every commune with a count, largest first (one query)."""
    return [tuple(r) for r in db.session.execute(
        select(ProgrammeCount.kind, Commune.name, func.sum(ProgrammeCount.count).label("n"))
        .join(Commune, Commune.code == ProgrammeCount.commune_code)
        .where(ProgrammeCount.campaign_id == campaign_id)
        .group_by(ProgrammeCount.kind, Commune.name).order_by(ProgrammeCount.kind, func.sum(ProgrammeCount.count).desc(),
                                                             Commune.name)).all()]


def delete_import(actor, source: ProgrammeImport) -> None:
    if not can_manage(actor, source.campaign.province_code):
        raise DomainError(_("Only the province's coordinators remove imports."))
    from campaign.programmes.importers import remove_imports

    ident, kind, total = source.id, source.kind, source.total
    remove_imports([ident])
    audit("programme.import_deleted", actor=actor, object_type="programme_import", object_id=ident,
          kind=kind, total=total)
