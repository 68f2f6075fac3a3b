"""Competition entries and online course completions imported from the national platform's export:
all or nothing with row errors, no ID-card numbers, replacement of a cumulative export, and the metric
counted on the dashboard."""

import base64
import io
import re
from datetime import date

import openpyxl
from sqlalchemy import func, select

from campaign.campaigns.models import Campaign, Indicator
from campaign.extensions import db
from campaign.programmes import indicators
from campaign.programmes.models import ProgrammeCount, ProgrammeImport
from campaign.reports import metrics
from tests.conftest import DONG_NAI, LONG_THANH, TRAN_BIEN

KHANH_HOA_COMMUNE = 22333  # a commune of Khánh Hòa: outside the campaign's province


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _campaign(with_indicator: bool = True) -> Campaign:
    c = Campaign(province_code=DONG_NAI, name="Chiến dịch thi", slug="contest", starts_on=date(2026, 1, 1),
                 ends_on=date(2026, 12, 31))
    db.session.add(c)
    db.session.flush()
    if with_indicator:
        db.session.add(Indicator(campaign_id=c.id, code="9", name="50.000 lượt dự thi", unit="entries",
                                 target_value=50000, metric="competition_entries"))
    db.session.commit()
    return c


def _post(client, c, data: bytes, name="export.xlsx", **fields):
    form = {"kind": "competition", "programme": "Công dân số Đồng Nai", "as_of": "20/11/2026", **fields,
            "file": (io.BytesIO(data), name)}
    return client.post(f"/programmes/campaigns/{c.id}/import", data=form, content_type="multipart/form-data")


def _confirm(client, c, resp, **fields):
    payload = re.search(r'name="payload" value="([^"]+)"', resp.text).group(1)
    form = {"kind": "competition", "programme": "Công dân số Đồng Nai", "as_of": "20/11/2026", **fields,
            "payload": payload, "filename": "export.xlsx", "confirm": "1"}
    return client.post(f"/programmes/campaigns/{c.id}/import", data=form)


GOOD = [["Mã xã", "Xã/Phường", "Đối tượng", "Số lượt dự thi", "Ngày dự thi"],
        [TRAN_BIEN, "Phường Trấn Biên", "Cán bộ, công chức", 1200, "15/09/2026"],
        [None, "Long Thành", "Học sinh, sinh viên", "2.500", "2026-10-01"],
        [None, "xa long thanh", "", None, None]]  # a person row: counts 1 on the export's date


def test_import_counts_and_the_dashboard_shows_the_metric(app, login_as, factory):
    c = _campaign()
    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    resp = _post(coord, c, _xlsx(GOOD))
    assert resp.status_code == 200, resp.text
    assert db.session.scalar(select(func.count()).select_from(ProgrammeCount)) == 0  # the preview writes nothing
    assert _confirm(coord, c, resp).status_code == 302
    got = indicators.achieved(c, [c.id], None, None)["competition_entries"]
    assert got == {TRAN_BIEN: 1200, LONG_THANH: 2501}
    # independent count: the rows as stored
    assert db.session.scalar(select(func.sum(ProgrammeCount.count))) == 3701
    board = metrics.progress(db.session.get(Campaign, c.id), as_of=date(2026, 11, 20))
    row = next(ip for ip in board.indicators if ip.indicator.metric == "competition_entries")
    assert row.achieved == 3701
    page = coord.get(f"/reports/campaigns/{c.id}?as_of=2026-11-20")
    assert page.status_code == 200 and "3.701" in page.text
    # the period: entries before 01/10/2026 only
    from campaign.core.timeutil import day_start
    early = indicators.achieved(c, [c.id], None, day_start(date(2026, 10, 1)))["competition_entries"]
    assert early == {TRAN_BIEN: 1200}


def test_bad_rows_import_nothing_and_each_is_listed(app, login_as, factory):
    c = _campaign()
    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    rows = GOOD + [[KHANH_HOA_COMMUNE, "", "", 5, ""], [None, "Không có xã này", "", 5, ""],
                   [TRAN_BIEN, "", "Người ngoài hành tinh", 5, ""], [TRAN_BIEN, "", "", -3, ""],
                   [TRAN_BIEN, "", "", 5, "01/12/2026"]]
    resp = _post(coord, c, _xlsx(rows))
    assert resp.status_code == 422
    lines = re.findall(r'<tr data-line="(\d+)">', resp.text)
    assert lines == ["5", "6", "7", "8", "9"]
    assert 'id="confirm-import"' not in resp.text
    forced = coord.post(f"/programmes/campaigns/{c.id}/import", data={
        "kind": "competition", "programme": "Công dân số Đồng Nai", "as_of": "20/11/2026",
        "payload": base64.b64encode(_xlsx(rows)).decode(), "filename": "x.xlsx", "confirm": "1"})
    assert forced.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(ProgrammeImport)) == 0
    assert db.session.scalar(select(func.count()).select_from(ProgrammeCount)) == 0


def test_id_card_numbers_are_refused(app, login_as, factory):
    c = _campaign()
    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    resp = _post(coord, c, _xlsx([["Họ và tên", "Số CCCD", "Xã/Phường"], ["Nguyễn Văn A", "075123456789", "Long Thành"]]))
    assert resp.status_code == 422 and "Số CCCD" in resp.text and "075123456789" not in resp.text
    assert db.session.scalar(select(func.count()).select_from(ProgrammeImport)) == 0


def test_a_new_export_replaces_the_previous_one(app, login_as, factory):
    c = _campaign()
    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    assert _confirm(coord, c, _post(coord, c, _xlsx(GOOD))).status_code == 302
    later = [GOOD[0], [TRAN_BIEN, "", "", 4000, "10/11/2026"]]
    assert _confirm(coord, c, _post(coord, c, _xlsx(later))).status_code == 302
    assert indicators.achieved(c, [c.id], None, None)["competition_entries"] == {TRAN_BIEN: 4000}
    # another kind is kept apart
    courses = [["Xã/Phường", "Số người hoàn thành"], ["Long Thành", 30]]
    resp = _post(coord, c, _xlsx(courses), kind="online_course", programme="Khóa học")
    assert _confirm(coord, c, resp, kind="online_course", programme="Khóa học").status_code == 302
    got = indicators.achieved(c, [c.id], None, None)
    assert got["competition_entries"] == {TRAN_BIEN: 4000} and got["online_course_completions"] == {LONG_THANH: 30}
    assert db.session.scalar(select(func.count()).select_from(ProgrammeImport)) == 2


def test_commune_officers_cannot_import(app, login_as, factory):
    c = _campaign()
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    assert _post(officer, c, _xlsx(GOOD)).status_code == 403


def test_home_card_asks_for_a_fresh_export(app, login_as, factory):
    from campaign.programmes.today import cards

    c = _campaign()
    coord_user = factory.user("province_coordinator", province=DONG_NAI)
    with app.test_request_context():
        assert [x.kind for x in cards(coord_user, date(2026, 11, 20))] == ["programme_import"]
        assert cards(factory.user("province_coordinator", province=56), date(2026, 11, 20)) == []
    coord = login_as(coord_user)
    assert _confirm(coord, c, _post(coord, c, _xlsx(GOOD))).status_code == 302
    with app.test_request_context():
        assert cards(coord_user, date(2026, 11, 21)) == []  # imported as of 20/11
        assert len(cards(coord_user, date(2026, 11, 30))) == 1
