"""The permission matrix of every reports route (see tests/matrix.py for the actors)."""

from datetime import date

import pytest

from campaign.campaigns.models import Campaign, Indicator, IndicatorValue
from campaign.extensions import db
from tests.conftest import DONG_NAI, LONG_THANH, TRAN_BIEN
from tests.matrix import Row, check_row, ok

PROVINCE = ok("admin", "coord")
IMPORTERS = ("admin", "coord", "coord_kh", "officer_a", "officer_b")  # commune managers anywhere
ROWS = [
    Row("GET", "/reports/", ok("admin", "coord", "coord_kh", "officer_a", "officer_b")),
    Row("GET", "/reports/campaigns/{campaign}", PROVINCE),
    Row("GET", "/reports/campaigns/{campaign}?quarter=2026-Q2&group=adults&print=1", PROVINCE),
    Row("GET", "/reports/campaigns/{campaign}/report.xlsx", PROVINCE),
    Row("GET", "/reports/campaigns/{campaign}/communes.csv", PROVINCE),
    Row("GET", "/reports/campaigns/{campaign}/indicators.csv", PROVINCE),
    Row("POST", "/reports/campaigns/{campaign}/prepare", {a: 302 for a in PROVINCE}, data={"what": "indicators"}),
    Row("POST", "/reports/campaigns/{campaign}/refresh", {a: 302 for a in PROVINCE}),
    Row("GET", "/reports/campaigns/{campaign}/targets/template.xlsx", PROVINCE),
    Row("GET", "/reports/campaigns/{campaign}/targets/import", PROVINCE),
    Row("POST", "/reports/campaigns/{campaign}/targets/import", ok("admin", "coord", status=422)),
    Row("GET", "/reports/imports/", ok(*IMPORTERS, "youth")),
    *[row for kind, who in (("villages", IMPORTERS), ("residents", IMPORTERS), ("volunteers", (*IMPORTERS, "youth")))
      for row in (Row("GET", f"/reports/imports/{kind}", ok(*who)),
                  Row("POST", f"/reports/imports/{kind}", ok(*who, status=422)),
                  Row("GET", f"/reports/imports/{kind}/template.xlsx", ok(*who)))],
    Row("GET", "/reports/campaigns/{campaign}/values", ok("admin", "coord", "officer_a", "officer_b")),
    Row("POST", "/reports/campaigns/{campaign}/values", ok("admin", "coord", "officer_a", "officer_b", status=422),
        data={"value": "x"}),
    Row("POST", "/reports/campaigns/{campaign}/values", {**{a: 302 for a in ("admin", "coord", "officer_a")},
                                                         "officer_b": 403},
        data={"indicator_id": "{manual}", "place": str(TRAN_BIEN), "as_of": "2026-06-01", "value": "3"}),
    Row("POST", "/reports/campaigns/{campaign}/values/{value_b}/delete",
        {**{a: 302 for a in ("admin", "coord", "officer_b")}, "officer_a": 403}),
    Row("GET", f"/reports/campaigns/{{campaign}}/communes/{TRAN_BIEN}", ok("admin", "coord", "officer_a")),
    Row("GET", f"/reports/campaigns/{{campaign}}/communes/{LONG_THANH}", ok("admin", "coord", "officer_b")),
    # a commune's own figures: its officers and the province
    *[Row("GET", f"/reports/campaigns/{{campaign}}/communes/{TRAN_BIEN}/figures.{fmt}", ok("admin", "coord", "officer_a"))
      for fmt in ("xlsx", "csv")],
    Row("GET", f"/reports/campaigns/{{campaign}}/communes/{LONG_THANH}/figures.csv", ok("admin", "coord", "officer_b")),
    # baselines (populations) and the remote mark: the province
    Row("GET", "/reports/campaigns/{campaign}/baselines", PROVINCE),
    Row("POST", "/reports/campaigns/{campaign}/baselines", ok("admin", "coord", status=422), data={"value": "x"}),
    Row("POST", "/reports/campaigns/{campaign}/baselines", {a: 302 for a in PROVINCE},
        data={"commune": str(TRAN_BIEN), "kind": "adults", "as_of": "2026-06-01", "value": "12000", "source": "x"}),
    Row("POST", f"/reports/campaigns/{{campaign}}/communes/{TRAN_BIEN}/remote", {a: 302 for a in PROVINCE},
        data={"remote": "y"}),
    Row("GET", "/reports/imports/baselines", ok("admin", "coord", "coord_kh")),
    Row("POST", "/reports/imports/baselines", ok("admin", "coord", "coord_kh", status=422)),
    Row("GET", "/reports/imports/baselines/template.xlsx", ok("admin", "coord", "coord_kh")),
]


def objects(factory, actors):
    c = db.session.scalar(db.select(Campaign).where(Campaign.slug == "perm-reports"))
    if c is None:
        c = Campaign(province_code=DONG_NAI, name="Chiến dịch", slug="perm-reports",
                     starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
        db.session.add(c)
        db.session.flush()
        db.session.add(Indicator(campaign_id=c.id, code="9", name="VNeID", metric="manual", target_value=100))
        db.session.commit()
    manual = db.session.scalar(db.select(Indicator).where(Indicator.campaign_id == c.id))
    value = db.session.scalar(db.select(IndicatorValue).where(IndicatorValue.indicator_id == manual.id,
                                                              IndicatorValue.commune_code == LONG_THANH))
    if value is None:
        value = IndicatorValue(indicator_id=manual.id, commune_code=LONG_THANH, as_of=date(2026, 5, 1), value=2)
        db.session.add(value)
        db.session.commit()
    return {"campaign": c.id, "manual": manual.id, "value_b": value.id}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permissions(app, factory, row):
    check_row(app, factory, row, objects)
