"""The permission matrix of every reports route (see tests/matrix.py for the actors)."""

from datetime import date

import pytest

from campaign.campaigns.models import Campaign
from campaign.extensions import db
from tests.conftest import DONG_NAI, LONG_THANH, TRAN_BIEN
from tests.matrix import Row, check_row, ok

PROVINCE = ok("admin", "coord")
ROWS = [
    Row("GET", "/reports/", ok("admin", "coord", "coord_kh", "officer_a", "officer_b")),
    Row("GET", "/reports/campaigns/{campaign}", PROVINCE),
    Row("GET", "/reports/campaigns/{campaign}?quarter=2026-Q2&group=adults&print=1", PROVINCE),
    Row("GET", "/reports/campaigns/{campaign}/report.xlsx", PROVINCE),
    Row("GET", "/reports/campaigns/{campaign}/communes.csv", PROVINCE),
    Row("GET", "/reports/campaigns/{campaign}/indicators.csv", PROVINCE),
    Row("POST", "/reports/campaigns/{campaign}/prepare", {a: 302 for a in PROVINCE}, data={"what": "indicators"}),
    Row("GET", "/reports/campaigns/{campaign}/targets/template.xlsx", PROVINCE),
    Row("GET", "/reports/campaigns/{campaign}/targets/import", PROVINCE),
    Row("POST", "/reports/campaigns/{campaign}/targets/import", ok("admin", "coord", status=422)),
    Row("GET", f"/reports/campaigns/{{campaign}}/communes/{TRAN_BIEN}", ok("admin", "coord", "officer_a")),
    Row("GET", f"/reports/campaigns/{{campaign}}/communes/{LONG_THANH}", ok("admin", "coord", "officer_b")),
]


def objects(factory, actors):
    c = db.session.scalar(db.select(Campaign).where(Campaign.slug == "perm-reports"))
    if c is None:
        c = Campaign(province_code=DONG_NAI, name="Chiến dịch", slug="perm-reports",
                     starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
        db.session.add(c)
        db.session.commit()
    return {"campaign": c.id}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permissions(app, factory, row):
    check_row(app, factory, row, objects)
