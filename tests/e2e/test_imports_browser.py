"""A commune officer imports residents: template → a file with bad rows → every bad row listed, nothing
imported → the corrected file → preview → import. Axe audit of the import pages."""

import io

import openpyxl
import pytest
from sqlalchemy import func, select

from campaign.events.models import Person
from campaign.extensions import db
from tests.conftest import TRAN_BIEN
from tests.e2e.conftest import axe_violations, browser_login


def _file(tmp_path, name, rows):
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    path = tmp_path / name
    wb.save(path)
    return str(path)


HEADER = ["Họ và tên", "Số điện thoại", "Năm sinh", "Giới tính", "Xã/phường", "Thôn/ấp", "Số hộ", "Nhóm đối tượng",
          "Nhu cầu", "Đồng ý"]


def test_officer_imports_residents_after_fixing_the_file(page, live_server, factory, tmp_path):
    factory.village(TRAN_BIEN, name="Khu phố 4")
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    browser_login(page, live_server, officer, factory.PASSWORD)
    page.goto(f"{live_server}/reports/")
    page.locator("#imports-link").click()
    page.get_by_role("link", name="Nhập người dân và học viên").click()
    with page.expect_download() as info:
        page.locator("#download-template").click()
    with open(info.value.path(), "rb") as fh:
        wb = openpyxl.load_workbook(io.BytesIO(fh.read()))
    assert wb.worksheets[0]["A1"].value == "Họ và tên *"

    good = ["Nguyễn Thị Hoa", "0912 345 111", 1965, "Nữ", "", "Khu phố 4", "21", "Người cao tuổi", "", "có"]
    bad_rows = [HEADER, good, ["Trần Văn Bảy", "0912 345 222", 1950, "Nam", "", "Khu phố 99", "", "", "", "có"],
                ["Lê Thị Tám", "", 1990, "", "", "", "", "", "", "không"]]
    page.locator("#file").set_input_files(_file(tmp_path, "sai.xlsx", bad_rows))
    page.get_by_role("button", name="Kiểm tra tệp").click()
    errors = page.locator("#import-errors tbody tr")
    assert errors.count() == 2
    assert "Khu phố 99" in errors.nth(0).inner_text() and "đồng ý" in errors.nth(1).inner_text()
    assert page.locator("#confirm-import").count() == 0
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0

    fixed = [HEADER, good, ["Trần Văn Bảy", "0912 345 222", 1950, "Nam", "", "Khu phố 4", "21", "", "", "có"]]
    page.locator("#file").set_input_files(_file(tmp_path, "dung.xlsx", fixed))
    page.get_by_role("button", name="Kiểm tra tệp").click()
    assert page.locator("#import-preview tbody tr").count() == 2
    assert "091•••111" in page.locator("#import-preview").inner_text()
    page.locator("#confirm-import").click()
    page.wait_for_selector(".alert-success")
    assert "Đã nhập 2 dòng" in page.locator(".alert-success").inner_text()
    households = db.session.scalars(select(Person.household_code)).all()
    assert households == ["21", "21"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_import_pages_have_no_serious_accessibility_violations(page, live_server, factory, tmp_path, lang):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    page.goto(f"{live_server}/lang/{lang}")
    browser_login(page, live_server, officer, factory.PASSWORD)
    problems = {}
    for path in ("/reports/imports/", "/reports/imports/villages", "/reports/imports/residents"):
        page.goto(live_server + path)
        problems[path] = axe_violations(page)
    page.goto(live_server + "/reports/imports/villages")
    page.locator("#file").set_input_files(_file(tmp_path, "v.xlsx", [["commune", "name"], [TRAN_BIEN, "Ấp 1"],
                                                                      [TRAN_BIEN, ""]]))
    page.locator("#upload-form [type=submit]").click()
    page.wait_for_selector("#import-errors")
    problems["preview with errors"] = axe_violations(page)
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, problems
