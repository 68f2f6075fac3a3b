"""The race helper itself, on a real invariant: one village name per commune, even when several
processes add it at the same moment."""

from sqlalchemy import func, select

from campaign.core.services import DomainError
from campaign.extensions import db
from campaign.units.models import Commune, Village
from tests.concurrency import race
from tests.conftest import TRAN_BIEN


def add_village(commune_code: int, name: str):
    from sqlalchemy.exc import IntegrityError

    from campaign.units.services import create_village

    try:
        create_village(None, db.session.get(Commune, commune_code), name=name, kind="ap")
        db.session.commit()
        return "created"
    except (DomainError, IntegrityError):
        db.session.rollback()
        return "refused"


def test_concurrent_adds_of_one_village_create_it_once(app):
    results = race("tests.units.test_concurrency:add_village", [(TRAN_BIEN, "Ấp Tân Mai")] * 6,
                   app.config["SQLALCHEMY_DATABASE_URI"])
    assert sorted(results) == ["created"] + ["refused"] * 5
    assert db.session.scalar(select(func.count()).select_from(Village)) == 1
