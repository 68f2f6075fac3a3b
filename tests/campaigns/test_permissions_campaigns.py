"""The permission matrix of the campaign pages."""

import pytest

from campaign.campaigns.models import Indicator
from campaign.extensions import db
from tests.conftest import DONG_NAI
from tests.events.conftest import create_campaign
from tests.matrix import Row, check_row, ok

VIEWERS = ok("admin", "coord", "coord_kh", "officer_a", "officer_b", "youth", "trainer")
VIEW_DN = ok("admin", "coord", "officer_a", "officer_b", "youth", "trainer")
EDIT_DN = ("admin", "coord")

ROWS = [
    Row("GET", "/campaigns/", VIEWERS),
    Row("GET", "/campaigns/new", ok("admin", "coord", "coord_kh")),
    Row("POST", "/campaigns/new", ok(*EDIT_DN, status=302),
        data={"province_code": str(DONG_NAI), "name": "Phong trào", "kind": "other", "starts_on": "2027-01-01",
              "ends_on": "2027-12-31"}),
    Row("GET", "/campaigns/{campaign}", VIEW_DN),
    Row("GET", "/campaigns/{campaign}/edit", ok(*EDIT_DN)),
    Row("POST", "/campaigns/{campaign}/edit", ok(*EDIT_DN), data={"name": ""}),
    Row("GET", "/campaigns/{campaign}/indicators/new", ok(*EDIT_DN)),
    Row("POST", "/campaigns/{campaign}/indicators/new", ok(*EDIT_DN), data={"code": ""}),
    Row("GET", "/campaigns/indicators/{indicator}/edit", ok(*EDIT_DN)),
    Row("POST", "/campaigns/indicators/{indicator}/edit", ok(*EDIT_DN), data={"code": ""}),
    Row("GET", "/campaigns/indicators/{indicator}/targets", ok(*EDIT_DN)),
    Row("POST", "/campaigns/indicators/{indicator}/targets", ok(*EDIT_DN, status=302), data={}),
]


def objects(factory, actors):
    campaign = create_campaign()
    indicator = Indicator(campaign_id=campaign.id, code="1", name="Chỉ tiêu", unit="people", target_value=10)
    db.session.add(indicator)
    db.session.commit()
    return {"campaign": campaign.id, "indicator": indicator.id}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(app, factory, row):
    check_row(app, factory, row, objects)
