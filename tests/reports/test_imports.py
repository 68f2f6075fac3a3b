"""Per-commune targets from XLSX/CSV: template, preview, bad rows listed, all or nothing."""

import base64
import io
import re

import openpyxl
from sqlalchemy import func, select

from campaign.campaigns.models import Indicator, IndicatorTarget
from campaign.extensions import db
from tests.conftest import LONG_THANH, TRAN_BIEN


def _targets(campaign):
    return dict(((i, c), v) for i, c, v in db.session.execute(
        select(Indicator.code, IndicatorTarget.commune_code, IndicatorTarget.target_value)
        .join(Indicator, Indicator.id == IndicatorTarget.indicator_id).where(Indicator.campaign_id == campaign.id)))


def _post(client, url, name, data: bytes):
    assert client.get(url).status_code == 200
    return client.post(url, data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_template_lists_every_commune_with_current_targets(app, campaign_data, login_as, factory):
    c = campaign_data()
    coord = login_as(factory.user("province_coordinator", province=75))
    resp = coord.get(f"/reports/campaigns/{c.id}/targets/template.xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[0]
    assert [cell.value for cell in ws[1]][:4] == ["commune_code", "commune", "1", "2"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=3, values_only=True)}
    assert len(rows) == 95 and rows[TRAN_BIEN][3] == 40 and rows[LONG_THANH][3] == 400


def test_bad_rows_import_nothing_and_each_is_listed(app, campaign_data, login_as, factory):
    c = campaign_data()
    before = _targets(c)
    coord = login_as(factory.user("province_coordinator", province=75))
    csv_text = ("commune_code,commune,2,3\n"
                f"{TRAN_BIEN},Trấn Biên,55,10\n"          # line 2: fine
                "99999,Nowhere,1,1\n"                    # line 3: not a commune of the province
                f"{LONG_THANH},Long Thành,-5,abc\n"       # line 4: negative and not a number
                f"{TRAN_BIEN},Trấn Biên again,1,1\n"      # line 5: duplicate
                ",,3,3\n")                               # line 6: no commune
    resp = _post(coord, f"/reports/campaigns/{c.id}/targets/import", "targets.csv", csv_text.encode())
    assert resp.status_code == 422
    lines = {int(m) for m in re.findall(r'<tr data-line="(\d+)">', resp.text)}
    assert lines == {3, 4, 5, 6}
    assert "99999" in resp.text and "“abc” không phải là số" in resp.text and "không được âm" in resp.text
    assert 'id="confirm-import"' not in resp.text
    assert _targets(c) == before


def test_good_xlsx_previews_then_imports_everything(app, campaign_data, login_as, factory):
    c = campaign_data()
    coord = login_as(factory.user("province_coordinator", province=75))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["commune_code", "commune", "2", "3"])
    ws.append([TRAN_BIEN, "Trấn Biên", 55, None])  # blank: removes Trấn Biên's target of indicator 3
    ws.append([None, "xã long thanh", "1.234,5", 7])  # found by its name, accents ignored
    buf = io.BytesIO()
    wb.save(buf)
    url = f"/reports/campaigns/{c.id}/targets/import"
    resp = _post(coord, url, "targets.xlsx", buf.getvalue())
    assert resp.status_code == 200 and 'id="confirm-import"' in resp.text
    assert _targets(c)[("2", TRAN_BIEN)] == 40  # a preview writes nothing
    payload = re.search(r'name="payload" value="([^"]+)"', resp.text).group(1)
    assert base64.b64decode(payload) == buf.getvalue()
    resp = coord.post(url, data={"payload": payload, "filename": "targets.xlsx",
                                 "confirm": "1"})
    assert resp.status_code == 302
    after = _targets(c)
    assert after[("2", TRAN_BIEN)] == 55 and after[("2", LONG_THANH)] == 1234.5 and after[("3", LONG_THANH)] == 7
    assert ("3", TRAN_BIEN) not in after


def test_unreadable_files_get_a_message(app, campaign_data, login_as, factory):
    c = campaign_data()
    coord = login_as(factory.user("province_coordinator", province=75))
    url = f"/reports/campaigns/{c.id}/targets/import"
    for name, data in (("x.xlsx", b"not a zip"), ("x.txt", b"a,b"), ("x.csv", b"commune_code,9\n1,1"),
                       ("x.csv", b"\xff\xfe\x00bad")):
        resp = _post(coord, url, name, data)
        assert resp.status_code == 422, name
        assert 'role="alert"' in resp.text
    assert db.session.scalar(select(func.count()).select_from(IndicatorTarget)) == 3
