"""A commune officer fills in and submits the period's report; the coordinator sees it submitted and
another commune late, downloads the period's workbook, returns the report with a comment; the officer
sees the comment. Axe audit of the pages."""

import io
from datetime import timedelta

import openpyxl

from campaign.campaigns.models import Campaign, Indicator
from campaign.core.timeutil import local_today
from campaign.extensions import db
from campaign.filings.models import ReportPeriod
from tests.conftest import DONG_NAI, LONG_THANH, TRAN_BIEN
from tests.e2e.conftest import axe_violations, browser_login


def _period() -> ReportPeriod:
    t = local_today()
    camp = Campaign(province_code=DONG_NAI, name="BDHVS trình duyệt", slug="filings-e2e",
                    starts_on=t - timedelta(days=200), ends_on=t + timedelta(days=200))
    db.session.add(camp)
    db.session.flush()
    db.session.add(Indicator(campaign_id=camp.id, code="1", name="Lượt đăng ký", metric="registrations",
                             unit="entries", target_value=100))
    period = ReportPeriod(campaign_id=camp.id, name="Quý trước", starts_on=t - timedelta(days=60),
                          ends_on=t - timedelta(days=10), due_on=t - timedelta(days=1))  # deadline passed yesterday
    db.session.add(period)
    db.session.commit()
    return period


def test_officer_submits_coordinator_returns_and_downloads(page, live_server, factory):
    period = _period()
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    coord = factory.user("province_coordinator", province=DONG_NAI)

    browser_login(page, live_server, officer, factory.PASSWORD)
    page.goto(f"{live_server}/filings/")
    page.locator("#my-reports a", has_text="Quý trước").click()
    assert page.locator("#figures tbody tr").count() == 1
    page.get_by_label("Kết quả đạt được").fill("Mở 3 lớp tại nhà văn hóa khu phố")
    page.get_by_label("Khó khăn, vướng mắc").fill("Thiếu máy tính")
    page.get_by_role("button", name="Lưu bản nháp").click()
    assert "Đã lưu bản nháp" in page.locator("main").inner_text()
    assert page.get_by_label("Khó khăn, vướng mắc").input_value() == "Thiếu máy tính"
    page.get_by_label("Đề xuất, kiến nghị").fill("Cấp thêm 10 máy")
    page.get_by_role("button", name="Gửi báo cáo").click()
    assert "Đã gửi báo cáo" in page.locator("main").inner_text()
    assert "Đã gửi" in page.locator("#report-state").inner_text()
    assert page.locator("[data-section=proposals]").inner_text() == "Cấp thêm 10 máy"
    assert page.locator("#report-form").count() == 0  # frozen
    assert not axe_violations(page)

    page.context.clear_cookies()
    browser_login(page, live_server, coord, factory.PASSWORD)
    page.goto(f"{live_server}/filings/periods/{period.id}")
    assert page.locator(f"#board tr[data-commune='{TRAN_BIEN}']").get_attribute("data-state") == "submitted"
    assert page.locator(f"#board tr[data-commune='{LONG_THANH}']").get_attribute("data-state") == "late"
    assert "Quá hạn" in page.locator(f"#board tr[data-commune='{LONG_THANH}']").inner_text()
    assert not axe_violations(page)
    with page.expect_download() as info:
        page.locator("#workbook").click()
    wb = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))
    assert wb.sheetnames == ["Tổng hợp", "Phường Trấn Biên"]
    assert "Mở 3 lớp tại nhà văn hóa khu phố" in [c.value for row in wb["Phường Trấn Biên"].iter_rows() for c in row]

    page.locator(f"#board tr[data-commune='{TRAN_BIEN}'] a").click()
    page.get_by_label("Nội dung cần chỉnh sửa").fill("Bổ sung số người được hỗ trợ VNeID")
    page.get_by_role("button", name="Trả lại báo cáo").click()
    assert "Đã trả lại báo cáo cho Phường Trấn Biên" in page.locator("main").inner_text()
    assert page.locator(f"#board tr[data-commune='{TRAN_BIEN}']").get_attribute("data-state") == "returned"

    page.context.clear_cookies()
    browser_login(page, live_server, officer, factory.PASSWORD)
    page.goto(f"{live_server}/filings/periods/{period.id}/communes/{TRAN_BIEN}")
    assert "Bổ sung số người được hỗ trợ VNeID" in page.locator("#return-comment").inner_text()
    assert page.get_by_label("Đề xuất, kiến nghị").input_value() == "Cấp thêm 10 máy"
    page.get_by_role("button", name="Gửi báo cáo").click()
    assert "Đã gửi" in page.locator("#report-state").inner_text()


def test_report_and_board_on_a_phone(phone, live_server, factory):
    period = _period()
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    coord = factory.user("province_coordinator", province=DONG_NAI)
    problems = {}
    browser_login(phone, live_server, officer, factory.PASSWORD)
    for path in ("/filings/", f"/filings/periods/{period.id}/communes/{TRAN_BIEN}"):
        phone.goto(live_server + path)
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360, path
        problems[path] = axe_violations(phone)
    box = phone.get_by_role("button", name="Gửi báo cáo").bounding_box()
    assert box["height"] >= 44
    phone.context.clear_cookies()
    browser_login(phone, live_server, coord, factory.PASSWORD)
    for path in (f"/filings/periods/{period.id}", f"/filings/campaigns/{period.campaign_id}/periods",
                 f"/filings/periods/{period.id}/communes/{LONG_THANH}"):
        phone.goto(live_server + path)
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360, path
        problems[path] = axe_violations(phone)
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, problems
