"""Campaign pages: create and edit a campaign, its indicators, and the per-commune target grid."""

from datetime import date

from sqlalchemy import func, select

from campaign.campaigns.models import Campaign, Indicator, IndicatorTarget
from campaign.extensions import db
from tests.conftest import DONG_NAI, LONG_THANH, TRAN_BIEN
from tests.events.conftest import create_campaign


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


CAMPAIGN = {"province_code": str(DONG_NAI), "name": "Mùa hè số 2027", "kind": "summer", "owner_unit": "Tỉnh Đoàn",
            "starts_on": "2027-06-01", "ends_on": "2027-08-31", "parent_id": ""}


def test_coordinator_creates_and_edits_a_campaign(login_as, factory):
    client = login_as(factory.user("province_coordinator", province=DONG_NAI))
    resp = client.post("/campaigns/new", data=CAMPAIGN)
    assert resp.status_code == 302, resp.text
    campaign = db.session.scalar(select(Campaign))
    assert (campaign.slug, campaign.starts_on) == ("mua-he-so-2027", date(2027, 6, 1))
    assert client.post("/campaigns/new", data=CAMPAIGN).status_code == 302
    assert db.session.scalar(select(Campaign.slug).order_by(Campaign.id.desc())) == "mua-he-so-2027-2"
    resp = client.post(f"/campaigns/{campaign.id}/edit", data=dict(CAMPAIGN, name="Mùa hè số 2027 – Đồng Nai"))
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).name == "Mùa hè số 2027 – Đồng Nai"
    assert "Mùa hè số 2027 – Đồng Nai" in client.get("/campaigns/").text


def test_bad_campaign_input_gets_messages(login_as, factory):
    client = login_as(factory.user("province_coordinator", province=DONG_NAI))
    resp = client.post("/campaigns/new", data=dict(CAMPAIGN, ends_on="2027-01-01"))
    assert "Ngày kết thúc không được trước ngày bắt đầu." in resp.text
    resp = client.post("/campaigns/new", data=dict(CAMPAIGN, starts_on="hôm qua", name=""))
    assert "Nhập ngày, ví dụ" in resp.text and "Nhập tên phong trào." in resp.text
    resp = client.post("/campaigns/new", data=dict(CAMPAIGN, kind="party"))
    assert "Chọn loại phong trào." in resp.text
    assert count(Campaign) == 0


def test_indicators_and_target_grid(login_as, factory):
    campaign = create_campaign()
    client = login_as(factory.user("province_coordinator", province=DONG_NAI))
    data = {"code": "3", "name": "Người dân trưởng thành có kỹ năng số cơ bản", "unit": "people",
            "target_value": "120000", "metric": "people_trained", "target_group": "adults"}
    assert client.post(f"/campaigns/{campaign.id}/indicators/new", data=data).status_code == 302
    resp = client.post(f"/campaigns/{campaign.id}/indicators/new", data=data)
    assert "đã có chỉ tiêu số 3" in resp.text
    resp = client.post(f"/campaigns/{campaign.id}/indicators/new", data=dict(data, code="4", unit="percent",
                                                                            target_value="120"))
    assert "Tỷ lệ phần trăm tối đa là 100." in resp.text
    indicator = db.session.scalar(select(Indicator))
    page = client.get(f"/campaigns/indicators/{indicator.id}/targets").text
    assert page.count('inputmode="decimal"') == 95
    resp = client.post(f"/campaigns/indicators/{indicator.id}/targets",
                       data={f"c{TRAN_BIEN}": "1500", f"c{LONG_THANH}": "1200,5"})
    assert resp.status_code == 302
    targets = dict(db.session.execute(select(IndicatorTarget.commune_code, IndicatorTarget.target_value)).all())
    assert targets == {TRAN_BIEN: 1500, LONG_THANH: 1200.5}
    # one bad cell: nothing saved, the cell says why
    resp = client.post(f"/campaigns/indicators/{indicator.id}/targets",
                       data={f"c{TRAN_BIEN}": "-3", f"c{LONG_THANH}": "abc"})
    assert resp.status_code == 200
    assert "Chỉ tiêu không được âm." in resp.text and "Nhập một số." in resp.text
    db.session.expire_all()
    assert count(IndicatorTarget) == 2
    # clearing a cell removes that commune's target
    resp = client.post(f"/campaigns/indicators/{indicator.id}/targets", data={f"c{TRAN_BIEN}": "1500"})
    assert count(IndicatorTarget) == 1


def test_campaign_list_runs_bounded_queries(login_as, factory):
    from tests.events.test_views import queries

    client = login_as(factory.user("province_coordinator", province=DONG_NAI))
    create_campaign()
    few = queries(client, "/campaigns/")
    for _ in range(10):
        c = create_campaign()
        db.session.add(Indicator(campaign_id=c.id, code="1", name="x", unit="people", target_value=1))
    db.session.commit()
    assert queries(client, "/campaigns/") == few
