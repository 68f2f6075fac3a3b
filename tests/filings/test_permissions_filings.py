"""The permission matrix of every filings route (see tests/matrix.py for the actors)."""

from datetime import date

import pytest

from campaign.campaigns.models import Campaign, Indicator
from campaign.extensions import db
from campaign.filings import services
from campaign.filings.models import ReportPeriod
from campaign.units.models import Commune
from tests.conftest import DONG_NAI, LONG_THANH, TRAN_BIEN
from tests.matrix import Row, check_row, ok

PROVINCE = ok("admin", "coord")
TEXTS = {"results": "Kết quả", "difficulties": "", "proposals": ""}
ROWS = [
    Row("GET", "/filings/", ok("admin", "coord", "coord_kh", "officer_a", "officer_b")),
    Row("GET", "/filings/campaigns/{campaign}/periods", PROVINCE),
    Row("POST", "/filings/campaigns/{campaign}/periods", ok("admin", "coord", status=422), data={"name": ""}),
    Row("POST", "/filings/campaigns/{campaign}/periods", {a: 302 for a in PROVINCE},
        data={"name": "Kỳ {n}", "starts_on": "{start}", "ends_on": "{start}", "due_on": "2021-01-14"}),
    Row("GET", "/filings/periods/{period}", PROVINCE),
    Row("GET", "/filings/periods/{period}?state=late", PROVINCE),
    Row("POST", "/filings/periods/{period}", {a: 302 for a in PROVINCE}, data={"due_on": "2029-02-01"}),
    Row("GET", "/filings/periods/{period}/workbook.xlsx", PROVINCE),
    Row("GET", f"/filings/periods/{{period}}/communes/{TRAN_BIEN}", ok("admin", "coord", "officer_a")),
    Row("GET", f"/filings/periods/{{period}}/communes/{LONG_THANH}", ok("admin", "coord", "officer_b")),
    Row("POST", f"/filings/periods/{{period}}/communes/{TRAN_BIEN}", {"admin": 302, "officer_a": 302},
        data={"results": "Nháp", "save": "1"}),
    Row("POST", f"/filings/periods/{{period}}/communes/{TRAN_BIEN}", {"admin": 302, "officer_a": 302},
        data={"results": "Kết quả", "send": "1"}),
    Row("GET", f"/filings/periods/{{period}}/communes/{TRAN_BIEN}/report.xlsx", ok("admin", "coord", "officer_a")),
    Row("GET", f"/filings/periods/{{period}}/communes/{LONG_THANH}/report.xlsx", ok("admin", "coord", "officer_b")),
    Row("POST", f"/filings/periods/{{period}}/communes/{LONG_THANH}/return", {a: 302 for a in PROVINCE},
        data={"comment": "Bổ sung"}),
]

_made = iter(range(1, 10_000))


def objects(factory, actors):
    c = db.session.scalar(db.select(Campaign).where(Campaign.slug == "perm-filings"))
    if c is None:
        c = Campaign(province_code=DONG_NAI, name="Chiến dịch", slug="perm-filings",
                     starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
        db.session.add(c)
        db.session.flush()
        db.session.add(Indicator(campaign_id=c.id, code="1", name="VNeID", metric="manual", target_value=100))
        db.session.commit()
    # a fresh period for each actor: Long Thành's report submitted (to be returned or downloaded)
    n = next(_made)
    start = date.fromordinal(date(2026, 1, 1).toordinal() + n)
    period = ReportPeriod(campaign_id=c.id, name=f"Kỳ {n}", starts_on=start, ends_on=start, due_on=date(2029, 1, 1))
    db.session.add(period)
    db.session.flush()
    services.submit(actors["officer_b"], period, db.session.get(Commune, LONG_THANH), TEXTS, date(2026, 7, 1))
    db.session.commit()
    return {"campaign": c.id, "period": period.id, "n": n, "start": date.fromordinal(date(2020, 1, 1).toordinal() + n).isoformat()}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permissions(app, factory, row):
    check_row(app, factory, row, objects)
