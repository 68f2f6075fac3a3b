"""Background jobs in the browser: 'Prepare the report' → the job's page → the download; the page's
script follows a running job's progress and offers the file when it is done; hand-entered values;
axe audits of the new pages."""

import io

import openpyxl
import pytest

from campaign.extensions import db
from campaign.jobs.models import Job
from tests.conftest import DONG_NAI, TRAN_BIEN
from tests.e2e.conftest import axe_violations, browser_login
from tests.reports import conftest as reports_fixtures

campaign_data = reports_fixtures.campaign_data  # the reports fixture, shared


def test_prepare_the_report_then_download_it(page, live_server, factory, campaign_data):
    c = campaign_data(size=1)
    coord = factory.user("province_coordinator", province=DONG_NAI)
    browser_login(page, live_server, coord, factory.PASSWORD)
    page.goto(f"{live_server}/reports/campaigns/{c.id}?quarter=2026-Q2")
    page.locator("#prepare-what").select_option("xlsx")
    page.locator("#prepare [type=submit]").click()
    page.wait_for_url(lambda url: "/jobs/" in url)
    link = page.locator("[data-download-link]")
    link.wait_for(state="visible")
    assert page.locator("progress").get_attribute("value") == page.locator("progress").get_attribute("max")
    with page.expect_download() as info:
        link.click()
    assert info.value.suggested_filename == f"bao-cao-chi-tieu-{c.id}-2026-Q2.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))
    assert wb.worksheets[0]["A5"].value == "STT" and wb.worksheets[1].max_row == 96


def _job(user, **values) -> Job:
    job = Job(kind="reports.export", status="running", done=1, total=4, message="Xã Long Thành",
              created_by_id=user.id, **values)
    db.session.add(job)
    db.session.commit()
    return job


def test_the_page_follows_a_running_job(page, live_server, factory):
    coord = factory.user("province_coordinator", province=DONG_NAI)
    job = _job(coord)
    browser_login(page, live_server, coord, factory.PASSWORD)
    page.goto(f"{live_server}/jobs/{job.id}")
    status = page.locator("#job-state")
    assert "1/4" in status.inner_text() and "Xã Long Thành" in status.inner_text()
    job.done, job.message = 3, "Phường Trấn Biên"
    db.session.commit()
    page.wait_for_function("() => document.querySelector('#job-state').textContent.includes('3/4')")
    assert "Phường Trấn Biên" in status.inner_text() and page.locator("progress").get_attribute("value") == "3"
    job.status, job.done = "done", 4
    job.output_data, job.output_filename, job.output_mimetype, job.output_size = b"a;b\n", "bao-cao.csv", "text/csv", 4
    db.session.commit()
    link = page.locator("[data-download-link]")
    link.wait_for(state="visible")
    assert "bao-cao.csv" in link.inner_text()
    assert page.evaluate("document.activeElement.hasAttribute('data-download-link')")
    assert page.locator("[data-reload]").is_hidden()


def test_a_failed_job_shows_its_message_and_a_finished_one_goes_on(page, live_server, factory):
    coord = factory.user("province_coordinator", province=DONG_NAI)
    failing = _job(coord)
    going_on = _job(coord, next_url="/reports/")
    browser_login(page, live_server, coord, factory.PASSWORD)
    page.goto(f"{live_server}/jobs/{failing.id}")
    failing.status, failing.error = "failed", "Dòng 3 không phải là số."
    db.session.commit()
    page.locator("[data-error]").wait_for(state="visible")
    assert page.locator("[data-error]").inner_text() == "Dòng 3 không phải là số."
    page.goto(f"{live_server}/jobs/{going_on.id}")
    going_on.status, going_on.done = "done", 4
    db.session.commit()
    page.wait_for_url(f"{live_server}/reports/")


def test_an_officer_enters_a_value(page, live_server, factory, campaign_data):
    c = campaign_data(size=1)
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    browser_login(page, live_server, officer, factory.PASSWORD)
    page.goto(f"{live_server}/reports/campaigns/{c.id}/communes/{TRAN_BIEN}?as_of=2026-06-30")
    page.get_by_role("link", name="Số liệu nhập tay").click()
    page.locator("#value").fill("-4")
    page.locator("#as_of").fill("2026-06-30")
    page.locator("#value-form [type=submit]").click()
    assert "không được âm" in page.locator("#value-error").inner_text()
    manual = next(i for i in c.indicators if i.metric == "manual")  # any indicator takes a value by hand
    page.locator("#indicator_id").select_option(str(manual.id))
    page.locator("#value").fill("1234")
    page.locator("#source").fill("Công an phường")
    page.locator("#value-form [type=submit]").click()
    page.locator("#values tbody tr[data-value-id]").wait_for()
    assert "1.234" in page.locator("#values").inner_text()
    page.goto(f"{live_server}/reports/campaigns/{c.id}/communes/{TRAN_BIEN}?as_of=2026-06-30")
    cell = page.locator('#commune-indicators tr[data-metric="manual"] td[data-value]')
    assert cell.count() == 1 and float(cell.get_attribute("data-value")) == 1234 and "1.234" in cell.inner_text()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_job_and_value_pages_have_no_serious_accessibility_violations(page, live_server, factory, campaign_data,
                                                                     lang):
    c = campaign_data(size=1)
    coord = factory.user("province_coordinator", province=DONG_NAI)
    running = _job(coord)
    failed = _job(coord)
    failed.status, failed.error = "failed", "Lỗi"
    db.session.commit()
    page.goto(f"{live_server}/lang/{lang}")
    browser_login(page, live_server, coord, factory.PASSWORD)
    problems = {}
    for path in (f"/jobs/{running.id}", f"/jobs/{failed.id}", "/jobs/", f"/reports/campaigns/{c.id}/values"):
        page.goto(live_server + path)
        problems[path] = axe_violations(page)
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, problems


def test_my_jobs_from_the_user_menu(page, live_server, factory):
    """Each person finds their jobs from the menu: the list, then a job's page."""
    coord = factory.user("province_coordinator", province=DONG_NAI)
    job = _job(coord)
    db.session.commit()
    browser_login(page, live_server, coord, factory.PASSWORD)
    page.goto(live_server + "/")
    menu = page.get_by_role("link", name="Tác vụ của tôi")
    if not menu.is_visible():  # the collapsed menu of a narrow screen
        page.locator(".navbar-toggler").click()
    menu.click()
    page.wait_for_url(lambda url: url.endswith("/jobs/"))
    page.locator(f'a[href="/jobs/{job.id}"]').click()
    page.wait_for_url(lambda url: url.endswith(f"/jobs/{job.id}"))
    assert page.locator("#job-progress").is_visible()
