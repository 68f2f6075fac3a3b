"""The scope rules of accounts/permissions.py, the one place that answers "may this user act here?"."""

import pytest
from sqlalchemy import select

from campaign.accounts import permissions as perm
from campaign.extensions import db
from campaign.units.models import Commune
from tests.conftest import DONG_NAI, KHANH_HOA, LONG_THANH, TRAN_BIEN

ORGANISERS = perm.ORGANISERS


def test_grant_scope_and_its_condition(app, factory):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    coord = factory.user("province_coordinator", province=DONG_NAI)
    admin = factory.user("admin")
    volunteer = factory.user("volunteer", commune=TRAN_BIEN)

    scope = perm.grant_scope(officer, perm.COMMUNE_MANAGERS)
    assert (scope.everything, scope.communes, scope.provinces) == (False, {TRAN_BIEN}, set())
    assert perm.grant_scope(coord, perm.COMMUNE_MANAGERS).provinces == {DONG_NAI}
    assert perm.grant_scope(admin).everything
    assert perm.grant_scope(volunteer, perm.COMMUNE_MANAGERS).empty  # the role does not count

    def communes(user):
        cond = perm.grant_scope(user, perm.COMMUNE_MANAGERS).condition(Commune.code, Commune.province_code)
        return set(db.session.scalars(select(Commune.code).where(cond)))

    assert communes(officer) == {TRAN_BIEN}
    dong_nai = set(db.session.scalars(select(Commune.code).where(Commune.province_code == DONG_NAI)))
    assert communes(coord) == dong_nai
    assert communes(volunteer) == set()
    # the same through a subquery when rows carry no province
    assert set(db.session.scalars(select(Commune.code).where(
        perm.commune_filter(Commune.code, coord, perm.COMMUNE_MANAGERS)))) == dong_nai


def test_commune_rules_agree_with_and_without_a_query(app, factory):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    coord = factory.user("province_coordinator", province=DONG_NAI)
    coord_kh = factory.user("province_coordinator", province=KHANH_HOA)
    for user, commune, expected in ((officer, TRAN_BIEN, True), (officer, LONG_THANH, False),
                                    (coord, LONG_THANH, True), (coord_kh, LONG_THANH, False)):
        assert perm.can_in_commune(user, commune) is expected
        assert perm.in_commune_scope(user, commune, DONG_NAI) is expected
    assert not perm.can_in_commune(officer, None)
    assert not perm.in_commune_scope(coord, None, DONG_NAI)


def test_acting_in_a_province(app, factory):
    """A grant anywhere in the province counts: a province grant or a grant on one of its communes."""
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    youth = factory.user("youth_organiser", province=DONG_NAI)
    trainer = factory.user("trainer", province=DONG_NAI)
    admin = factory.user("admin")

    assert perm.acting_provinces(officer, ORGANISERS) == {DONG_NAI}
    assert perm.acting_provinces(youth, ORGANISERS) == {DONG_NAI}
    assert perm.acting_provinces(trainer, ORGANISERS) == set()
    assert perm.acting_provinces(admin, ORGANISERS) is None
    assert perm.acts_in_province(officer, DONG_NAI, ORGANISERS)
    assert not perm.acts_in_province(officer, KHANH_HOA, ORGANISERS)
    assert not perm.acts_in_province(trainer, DONG_NAI, ORGANISERS)
    assert perm.acts_in_province(admin, KHANH_HOA, ORGANISERS)
    # over the whole province is stricter: the commune officer is not province-wide
    assert not perm.can_in_province(officer, DONG_NAI, ORGANISERS)
    assert perm.can_in_province(youth, DONG_NAI, ORGANISERS)
    assert perm.commune_codes(officer, ORGANISERS) == {TRAN_BIEN}
    assert perm.province_codes(youth, ORGANISERS) == {DONG_NAI}


def test_require_answers_401_then_403(app, factory):
    from flask_login import login_user
    from werkzeug.exceptions import Forbidden, Unauthorized

    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    with app.test_request_context("/"):
        with pytest.raises(Unauthorized):  # nobody is logged in: to the login page, allowed or not
            perm.require(True)
        login_user(officer)
        perm.require(perm.can_in_commune(None, TRAN_BIEN))  # the current user, allowed: passes
        with pytest.raises(Forbidden):
            perm.require(perm.can_in_commune(None, LONG_THANH))
