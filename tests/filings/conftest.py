"""Filings fixtures: a campaign with a computed and a hand-entered indicator, a report period."""

import itertools
from datetime import date

import pytest

from campaign.campaigns.models import Campaign, Indicator, IndicatorTarget, IndicatorValue
from campaign.extensions import db
from campaign.filings.models import ReportPeriod
from tests.conftest import DONG_NAI, LONG_THANH, TRAN_BIEN

_n = itertools.count(1)


def add_value(indicator: Indicator, commune: int, day: date, value: float) -> None:
    db.session.add(IndicatorValue(indicator_id=indicator.id, commune_code=commune, as_of=day, value=value,
                                  source="Công an xã"))
    db.session.commit()


@pytest.fixture
def filing(factory):
    """A Đồng Nai campaign (2026) with indicators, Q2 2026 due 14/07/2026, values entered in Q1 and Q2."""
    k = next(_n)
    camp = Campaign(province_code=DONG_NAI, name=f"BDHVS {k}", slug=f"filings-{k}",
                    starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    db.session.add(camp)
    db.session.flush()
    vneid = Indicator(campaign_id=camp.id, position=1, code="1", name="Tài khoản VNeID", unit="people",
                      target_value=1000, metric="manual", lead_unit="Công an tỉnh")
    regs = Indicator(campaign_id=camp.id, position=2, code="2", name="Lượt đăng ký", unit="entries",
                     target_value=500, metric="registrations", lead_unit="UBND xã")
    db.session.add_all([vneid, regs])
    db.session.flush()
    db.session.add(IndicatorTarget(indicator_id=vneid.id, commune_code=TRAN_BIEN, target_value=200))
    period = ReportPeriod(campaign_id=camp.id, name="Quý 2/2026", starts_on=date(2026, 4, 1),
                          ends_on=date(2026, 6, 30), due_on=date(2026, 7, 14))
    db.session.add(period)
    db.session.commit()
    add_value(vneid, TRAN_BIEN, date(2026, 3, 31), 40)
    add_value(vneid, TRAN_BIEN, date(2026, 6, 1), 90)
    add_value(vneid, LONG_THANH, date(2026, 5, 1), 5)
    return {"campaign": camp, "period": period, "vneid": vneid, "regs": regs}


class QueryCounter:
    """Counts the SQL statements run while it is entered."""

    def __init__(self):
        self.n = 0

    def __call__(self, *args, **kwargs):
        self.n += 1

    def __enter__(self):
        from sqlalchemy import event as sa_event

        sa_event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event as sa_event

        sa_event.remove(db.engine, "before_cursor_execute", self)
