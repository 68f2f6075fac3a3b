"""The pages: an officer saves, submits (then cannot change), downloads; the province returns."""

from io import BytesIO

from openpyxl import load_workbook

from campaign.extensions import db
from campaign.filings import services
from campaign.units.models import Commune
from tests.conftest import TRAN_BIEN


def test_officer_draft_submit_and_frozen_page(factory, filing, login_as):
    period = filing["period"]
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    client = login_as(officer)
    url = f"/filings/periods/{period.id}/communes/{TRAN_BIEN}"
    page = client.get(url)
    assert page.status_code == 200 and "Tài khoản VNeID" in page.text and 'id="report-form"' in page.text
    assert client.post(url, data={"results": "Nháp 1", "save": "1"}).status_code == 302
    assert services.report_of(period, TRAN_BIEN).status == "draft"
    resp = client.post(url, data={"results": "", "send": "1"})
    assert resp.status_code == 422 and "Hãy nêu kết quả đạt được trước khi gửi." in resp.text
    assert client.post(url, data={"results": "Mở 3 lớp", "proposals": "Thêm máy", "send": "1"}).status_code == 302
    page = client.get(url)
    assert 'id="report-form"' not in page.text and "Đã gửi" in page.text and "Thêm máy" in page.text
    resp = client.post(url, data={"results": "Đổi", "save": "1"})
    assert resp.status_code == 422 and "Báo cáo đã gửi, không thể sửa nữa." in resp.text
    db.session.expire_all()
    assert services.report_of(period, TRAN_BIEN).results == "Mở 3 lớp"
    wb = load_workbook(BytesIO(client.get(url + "/report.xlsx").data))
    ws = wb.active
    assert ws.title == "Phường Trấn Biên" and [c.value for c in ws[5]][:2] == ["STT", "Chỉ tiêu"]
    assert ws["F6"].value == 90 and isinstance(ws["F6"].value, (int, float))


def test_coordinator_returns_with_a_comment_and_officer_sees_it(factory, filing, login_as):
    period = filing["period"]
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    coord = factory.user("province_coordinator")
    url = f"/filings/periods/{period.id}/communes/{TRAN_BIEN}"
    login_as(officer).post(url, data={"results": "Mở 3 lớp", "send": "1"})
    client = login_as(coord)
    assert 'id="return-form"' in client.get(url).text and 'id="report-form"' not in client.get(url).text
    client.post(url + "/return", data={"comment": ""})
    assert services.report_of(period, TRAN_BIEN).status == "submitted"
    assert client.post(url + "/return", data={"comment": "Bổ sung số lớp"}).status_code == 302
    page = login_as(officer).get(url)
    assert "Bổ sung số lớp" in page.text and 'id="report-form"' in page.text
    board = client.get(f"/filings/periods/{period.id}?state=returned")
    assert board.status_code == 200 and f'data-commune="{TRAN_BIEN}"' in board.text
    assert board.text.count("data-commune=") == 1


def test_english_workbook_headers(factory, filing, login_as):
    period = filing["period"]
    services.submit(factory.user("commune_officer", commune=TRAN_BIEN), period,
                    db.session.get(Commune, TRAN_BIEN),
                    {"results": "x"}, period.ends_on)
    db.session.commit()
    client = login_as(factory.user("province_coordinator"))
    client.get("/lang/en")
    wb = load_workbook(BytesIO(client.get(f"/filings/periods/{period.id}/workbook.xlsx").data))
    assert wb.sheetnames[0] == "Summary" and wb["Summary"]["A4"].value == "No."
