"""'Prepare the report': the XLSX and the CSVs as background jobs (inline here, and through a real rq
worker), with a progress step per commune, then the download."""

import io

import openpyxl
from sqlalchemy import delete

from campaign.accounts.models import RoleGrant
from campaign.extensions import db
from campaign.jobs.models import Job
from tests.jobs.test_rq import rq_queue, run_worker  # noqa: F401 - the fixture and the worker


def _sheets(data: bytes) -> list[list[tuple]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [list(ws.iter_rows(values_only=True)) for ws in wb.worksheets]


def test_prepare_the_report_runs_a_job_and_offers_the_xlsx(app, campaign_data, login_as, factory):
    c = campaign_data(size=1)
    coord = login_as(factory.user("province_coordinator", province=75))
    page = coord.get(f"/reports/campaigns/{c.id}?quarter=2026-Q2")
    assert f'action="/reports/campaigns/{c.id}/prepare?quarter=2026-Q2"' in page.text
    resp = coord.post(f"/reports/campaigns/{c.id}/prepare?quarter=2026-Q2", data={"what": "xlsx"})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/jobs/")
    job = db.session.scalars(db.select(Job)).one()
    assert (job.kind, job.status) == ("reports.export", "done"), job.error
    assert job.total == 2 * 95 + 2 and job.done == job.total
    assert job.params["args"]["quarter"] == "2026-Q2" and job.params["what"] == "xlsx"
    assert job.result == {"campaign_id": c.id, "what": "xlsx", "communes": 95,
                          "lagging": job.result["lagging"]}
    show = coord.get(resp.headers["Location"])
    assert f"/jobs/{job.id}/download" in show.text and f"bao-cao-chi-tieu-{c.id}-2026-Q2.xlsx" in show.text
    download = coord.get(f"/jobs/{job.id}/download")
    assert download.status_code == 200
    assert download.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheets = _sheets(download.data)
    direct = _sheets(coord.get(f"/reports/campaigns/{c.id}/report.xlsx?quarter=2026-Q2").data)
    assert sheets == direct  # the same report as the direct download
    rows = {r[0]: r for r in sheets[0][5:]}
    assert rows["2"][1] == "Lượt đăng ký" and rows["2"][5] == 500
    assert len(sheets[1]) == 96  # header + 95 communes


def test_prepare_the_csvs(app, campaign_data, login_as, factory):
    c = campaign_data(size=1)
    coord = login_as(factory.user("province_coordinator", province=75))
    for what in ("communes", "indicators"):
        resp = coord.post(f"/reports/campaigns/{c.id}/prepare?as_of=2026-06-30", data={"what": what})
        job_id = int(resp.headers["Location"].rsplit("/", 1)[1])
        download = coord.get(f"/jobs/{job_id}/download")
        direct = coord.get(f"/reports/campaigns/{c.id}/{what}.csv?as_of=2026-06-30")
        assert download.status_code == 200 and download.data == direct.data, what
        assert download.data.startswith("\ufeff".encode())
    assert coord.post(f"/reports/campaigns/{c.id}/prepare", data={"what": "nope"}).status_code == 400


def test_only_the_reports_people_may_prepare(app, campaign_data, login_as, factory):
    c = campaign_data(size=1)
    for user in (factory.user("commune_officer"), factory.user("province_coordinator", province=56)):
        assert login_as(user).post(f"/reports/campaigns/{c.id}/prepare", data={"what": "xlsx"}).status_code == 403
    assert db.session.scalar(db.select(db.func.count()).select_from(Job)) == 0


def test_a_coordinator_who_lost_access_gets_a_clear_failure(app, campaign_data, factory):
    from campaign import jobs

    c = campaign_data(size=1)
    coord = factory.user("province_coordinator", province=75)
    db.session.execute(delete(RoleGrant).where(RoleGrant.user_id == coord.id))
    db.session.commit()
    job = jobs.start("reports.export", coord, params={"campaign_id": c.id, "what": "xlsx", "args": {}}, locale="en")
    assert job.status == "failed" and job.error == "You no longer have access to this campaign's reports."


def test_the_report_job_through_an_rq_worker(app, campaign_data, login_as, factory, rq_queue):  # noqa: F811
    c = campaign_data(size=1)
    coord = login_as(factory.user("province_coordinator", province=75))
    resp = coord.post(f"/reports/campaigns/{c.id}/prepare?as_of=2026-06-30", data={"what": "xlsx"})
    job_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert coord.get(f"/jobs/{job_id}.json").json["status"] == "queued"
    proc = run_worker(app, rq_queue)
    assert proc.returncode == 0, proc.stderr[-3000:]
    status = coord.get(f"/jobs/{job_id}.json").json
    assert status["status"] == "done" and status["percent"] == 100, status
    sheets = _sheets(coord.get(f"/jobs/{job_id}/download").data)
    assert sheets == _sheets(coord.get(f"/reports/campaigns/{c.id}/report.xlsx?as_of=2026-06-30").data)


def test_the_download_checks_the_permission_again(app, campaign_data, login_as, factory):
    """A report prepared by a coordinator who has since lost the province is not handed out."""
    c = campaign_data(size=1)
    user = factory.user("province_coordinator", province=75)
    coord = login_as(user)
    resp = coord.post(f"/reports/campaigns/{c.id}/prepare?as_of=2026-06-30", data={"what": "indicators"})
    job = db.session.scalars(db.select(Job)).one()
    assert job.status == "done" and coord.get(f"/jobs/{job.id}/download").status_code == 200
    db.session.execute(delete(RoleGrant).where(RoleGrant.user_id == user.id))
    db.session.commit()
    assert login_as(user).get(f"/jobs/{job.id}/download").status_code == 403
    assert login_as(factory.user("admin")).get(f"/jobs/{job.id}/download").status_code == 200
    assert resp.status_code == 302
