"""The permission matrix of the recognition pages: the province's coordinators; verification is public."""

import pytest

from campaign.core.timeutil import local_today
from campaign.extensions import db
from campaign.recognition import services
from tests.conftest import TRAN_BIEN
from tests.events.conftest import create_campaign
from tests.matrix import EVERY_USER, Row, check_row, ok

COORD = ("admin", "coord")

ROWS = [
    Row("GET", "/recognition/", ok("admin", "coord", "coord_kh")),
    Row("POST", "/recognition/", ok(*COORD, status=302),
        data={"campaign_id": "{campaign}", "title": "Tổng kết", "starts_on": "2026-01-01", "ends_on": "2026-06-30"}),
    Row("GET", "/recognition/{round}", ok(*COORD)),
    Row("POST", "/recognition/{round}/decisions", ok(*COORD, status=302),
        data={"subject": f"commune:{TRAN_BIEN}", "award": "commendation", "decided_by": "Chủ tịch UBND tỉnh",
              "decision_number": "12/QĐ-UBND", "decided_on": "{today}"}),
    Row("GET", "/recognition/decisions/{decision}/pdf", ok(*COORD)),
    Row("POST", "/recognition/decisions/{decision}/revoke", ok(*COORD, status=302)),
    Row("GET", "/recognition/verify/{token}", EVERY_USER, public=True),
]


def objects(factory, actors):
    campaign = create_campaign()
    rnd = services.create_round(actors["coord"], campaign, "Sơ kết 6 tháng", campaign.starts_on, campaign.ends_on)
    decision = services.decide(actors["coord"], rnd, subject_kind="commune", subject_id=26368,
                               award="letter_of_thanks", decided_by="Giám đốc Sở KH&CN", decision_number="7/TCT",
                               decided_on=local_today(), reason="", base_url="http://localhost/")
    db.session.commit()
    return {"campaign": campaign.id, "round": rnd.id, "decision": decision.id, "token": decision.verify_token,
            "today": local_today().isoformat()}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(app, factory, row):
    check_row(app, factory, row, objects)
