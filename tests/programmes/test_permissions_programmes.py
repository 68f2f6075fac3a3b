"""The permission matrix of every programmes route (see tests/matrix.py for the actors)."""

from datetime import date

import pytest
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import day_start
from campaign.extensions import db
from campaign.programmes.models import ProgrammeCount, ProgrammeImport
from tests.conftest import DONG_NAI, TRAN_BIEN
from tests.matrix import Row, check_row, ok

PROVINCE = ok("admin", "coord")
ROWS = [
    Row("GET", "/programmes/campaigns/{campaign}", PROVINCE),
    Row("GET", "/programmes/campaigns/{campaign}/import/template.xlsx", PROVINCE),
    Row("GET", "/programmes/campaigns/{campaign}/import", PROVINCE),
    Row("POST", "/programmes/campaigns/{campaign}/import", ok("admin", "coord", status=422),
        data={"kind": "competition", "programme": "Cuộc thi", "as_of": "20/11/2026"}),
    Row("POST", "/programmes/imports/{source}/delete", ok("admin", "coord", status=302)),
]


def objects(factory, actors):
    c = db.session.scalar(select(Campaign).where(Campaign.slug == "perm-programmes"))
    if c is None:
        c = Campaign(province_code=DONG_NAI, name="Chiến dịch", slug="perm-programmes",
                     starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
        db.session.add(c)
        db.session.flush()
    source = ProgrammeImport(campaign_id=c.id, kind="competition", programme="Cuộc thi", search_programme="cuoc thi",
                             as_of=date(2026, 11, 20), rows=1, total=5)
    db.session.add(source)
    db.session.flush()
    db.session.add(ProgrammeCount(import_id=source.id, campaign_id=c.id, kind="competition", commune_code=TRAN_BIEN,
                                  occurred_at=day_start(date(2026, 11, 1)), count=5))
    db.session.commit()
    return {"campaign": c.id, "source": source.id}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_programmes_permissions(app, factory, row):
    check_row(app, factory, row, objects)
