from sqlalchemy import func, select

from campaign.extensions import db
from campaign.units.models import Commune, Province, Village
from campaign.units.services import load_units
from tests.conftest import DONG_NAI, LONG_THANH, TRAN_BIEN


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_dong_nai_has_95_communes_and_reloading_changes_nothing(runner):
    assert count(Commune, Commune.province_code == DONG_NAI) == 95
    result = runner.invoke(args=["units", "load", "--province", "75"])
    assert result.exit_code == 0, result.output
    assert "communes: 0 added, 0 updated" in result.output
    assert count(Commune, Commune.province_code == DONG_NAI) == 95


def test_full_load_gives_34_provinces_and_3321_communes():
    result = load_units()
    db.session.commit()
    assert count(Province) == 34
    assert count(Commune) == 3321
    assert result.communes_added == 3321 - 95 - count(Commune, Commune.province_code == 56)
    again = load_units()
    assert not again.changed


def test_unknown_province_code_is_a_clear_error(runner):
    result = runner.invoke(args=["units", "load", "--province", "999"])
    assert result.exit_code != 0
    assert "999" in result.output
    assert "Traceback" not in result.output


def test_commune_search_is_accent_insensitive(login_as, factory):
    client = login_as(factory.user("province_coordinator", province=DONG_NAI))
    resp = client.get("/units/provinces/75?q=long thanh")
    assert "Xã Long Thành" in resp.text
    resp = client.get("/units/provinces/75?q=TRAN BIEN")
    assert "Phường Trấn Biên" in resp.text and "Xã Long Thành" not in resp.text
    resp = client.get("/units/provinces/75?q=dak lua")
    assert "Xã Đak Lua" in resp.text


def test_officer_manages_villages_of_own_commune(login_as, factory):
    client = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    resp = client.post(f"/units/communes/{TRAN_BIEN}/villages/new",
                       data={"name": "Khu phố 5", "kind": "khu_pho", "households": "420"})
    assert resp.status_code == 302
    village = db.session.scalar(select(Village).where(Village.commune_code == TRAN_BIEN))
    assert (village.name, village.households, village.search_name) == ("Khu phố 5", 420, "khu pho 5")
    resp = client.post(f"/units/villages/{village.id}/edit", data={"name": "Khu phố 5A", "kind": "khu_pho"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Village, village.id).name == "Khu phố 5A"
    resp = client.post(f"/units/villages/{village.id}/delete")
    assert resp.status_code == 302
    assert count(Village) == 0


def test_duplicate_village_name_gets_a_message_not_a_500(login_as, factory):
    factory.village(TRAN_BIEN, name="Ấp Bình Hòa")
    client = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    resp = client.post(f"/units/communes/{TRAN_BIEN}/villages/new", data={"name": "ap binh hoa", "kind": "ap"})
    assert resp.status_code == 200
    assert "đã có đơn vị tên" in resp.text
    assert count(Village) == 1


def test_negative_households_and_blank_name_are_refused(login_as, factory):
    client = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    resp = client.post(f"/units/communes/{TRAN_BIEN}/villages/new",
                       data={"name": "  ", "kind": "ap", "households": "-3"})
    assert resp.status_code == 200
    assert "Nhập tên thôn/ấp/khu phố." in resp.text
    assert "Số này không được âm." in resp.text
    assert count(Village) == 0


def test_unknown_commune_is_404(login_as, factory):
    client = login_as(factory.user("admin"))
    assert client.get("/units/communes/1").status_code == 404


def test_changes_are_audited(login_as, factory):
    from campaign.core.models import AuditLog

    officer = factory.user("commune_officer", commune=LONG_THANH)
    client = login_as(officer)
    client.post(f"/units/communes/{LONG_THANH}/villages/new", data={"name": "Ấp 7", "kind": "ap"})
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "village.created"))
    assert entry.actor_id == officer.id and entry.details["name"] == "Ấp 7"
