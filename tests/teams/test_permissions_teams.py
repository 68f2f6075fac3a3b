"""The permission matrix of the teams and communications pages: a commune's teams are kept by that
commune's officers only; the province's coordinators see them."""

import io

import pytest
from PIL import Image

from campaign.core.timeutil import local_today
from campaign.extensions import db
from campaign.teams import services
from tests.conftest import TRAN_BIEN
from tests.matrix import Row, check_row, ok

MANAGE = ("admin", "officer_a")
VIEW = ("admin", "coord", "officer_a")


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="PNG")
    return out.getvalue()


ROWS = [
    Row("GET", "/teams/", ok("admin", "coord", "coord_kh", "officer_a", "officer_b")),
    Row("GET", f"/teams/commune/{TRAN_BIEN}", ok(*VIEW)),
    Row("GET", "/teams/village/{village}/new", ok(*MANAGE)),
    Row("POST", "/teams/village/{village}/new", ok(*MANAGE, status=302), data={"name": "Tổ CNSCĐ"}),
    Row("GET", "/teams/{team}", ok(*VIEW)),
    Row("POST", "/teams/{team}/members", ok(*MANAGE, status=302), data={"full_name": "Ngô Thị Hoa", "role": "member"}),
    Row("POST", "/teams/members/{member}/delete", ok(*MANAGE, status=302)),
    Row("GET", f"/teams/commune/{TRAN_BIEN}/communications/new", ok(*MANAGE)),
    Row("POST", f"/teams/commune/{TRAN_BIEN}/communications/new", ok(*MANAGE, status=302),
        data={"title": "Phát thanh", "channel": "loudspeaker", "language": "vi", "held_on": "{today}",
              "village_ids": "{village}"}),
    Row("GET", "/teams/communications/{activity}/photo", ok(*VIEW)),
    Row("GET", "/teams/communications/{unit_activity}/photo", ok("admin", "coord")),
    Row("GET", "/teams/province/75/communications/new", ok("admin", "coord")),
    Row("POST", "/teams/province/75/communications/new", ok("admin", "coord", status=302),
        data={"unit_name": "Sở Khoa học và Công nghệ", "title": "Tọa đàm", "channel": "community_meeting",
              "language": "vi", "held_on": "{today}"}),
]


def objects(factory, actors):
    officer = actors["officer_a"]
    village = factory.village(TRAN_BIEN)
    other = factory.village(TRAN_BIEN)
    team = services.create_team(officer, other, "Tổ CNSCĐ")
    member = services.add_member(officer, team, full_name="Đỗ Văn Phúc", role="member", phone="0912345678")
    activity = services.record_activity(officer, TRAN_BIEN, channel="printed", language="vi", title="Tờ rơi",
                                        held_on=local_today(), village_ids=[other.id], photo=png())
    unit = services.record_activity(actors["coord"], None, province_code=75, unit_name="Tỉnh Đoàn", channel="social_post",
                                    language="vi", title="Bài đăng", held_on=local_today(), photo=png())
    db.session.commit()
    return {"village": village.id, "team": team.id, "member": member.id, "activity": activity.id,
            "unit_activity": unit.id,
            "today": local_today().isoformat()}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(app, factory, row):
    check_row(app, factory, row, objects)
