"""The teams pages: bounded queries whatever the size, phones masked for those who need not call,
bad input answered on the form."""

from __future__ import annotations

from sqlalchemy import event as sa_event

from campaign.extensions import db
from campaign.teams import services
from campaign.teams.models import CommsActivity
from tests.conftest import TRAN_BIEN
from tests.teams.conftest import comms, team_in


def queries(client, url) -> tuple[int, int]:
    seen = []

    def before(*_a):
        seen.append(1)

    sa_event.listen(db.engine, "before_cursor_execute", before)
    try:
        status = client.get(url).status_code
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", before)
    return status, len(seen)


def grow(factory, officer, n: int) -> None:
    villages = [factory.village(TRAN_BIEN) for _ in range(n)]
    for v in villages:
        team_in(factory, officer, v, [(f"Thành viên {v.id}", "leader"), (f"Phó {v.id}", "deputy")])
    comms(officer, TRAN_BIEN, villages, days=1)


def test_pages_run_a_bounded_number_of_queries(factory, login_as):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    coordinator = factory.user("province_coordinator", province=75)
    grow(factory, officer, 2)
    client = login_as(coordinator)
    small = {url: queries(client, url) for url in ("/teams/", f"/teams/commune/{TRAN_BIEN}")}
    grow(factory, officer, 12)
    large = {url: queries(client, url) for url in small}
    assert all(status == 200 for status, _n in [*small.values(), *large.values()])
    assert {u: n for u, (_s, n) in large.items()} == {u: n for u, (_s, n) in small.items()}


def test_phones_are_masked_for_the_coordinator_and_full_for_the_officer(factory, login_as):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    coordinator = factory.user("province_coordinator", province=75)
    team = team_in(factory, officer, factory.village(TRAN_BIEN))
    services.add_member(officer, team, full_name="Lý Thị Kim", role="leader", phone="0987654321")
    db.session.commit()
    assert "0987654321" in login_as(officer).get(f"/teams/{team.id}").text
    page = login_as(coordinator).get(f"/teams/{team.id}").text
    assert "098•••321" in page and "0987654321" not in page


def test_bad_input_is_answered_on_the_form(factory, login_as):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    village = factory.village(TRAN_BIEN)
    client = login_as(officer)
    resp = client.post(f"/teams/commune/{TRAN_BIEN}/communications/new", data={
        "title": "Loa", "channel": "loudspeaker", "language": "vi", "held_on": "31/12/2099",
        "village_ids": str(village.id)})
    assert resp.status_code == 200 and "Chỉ ghi nhận hoạt động sau khi đã diễn ra." in resp.text
    resp = client.post(f"/teams/commune/{TRAN_BIEN}/communications/new", data={
        "title": "Ảnh", "channel": "printed", "language": "vi", "held_on": "01/01/2026",
        "file": (__import__("io").BytesIO(b"GIF89a not really"), "x.gif")}, content_type="multipart/form-data")
    assert "Ảnh phải là tệp JPEG hoặc PNG." in resp.text
    assert db.session.query(CommsActivity).count() == 0
    team = team_in(factory, officer, village)
    resp = client.post(f"/teams/{team.id}/members", data={"full_name": "", "role": "member"})
    assert resp.status_code == 400 and "Nhập họ tên thành viên." in resp.text
