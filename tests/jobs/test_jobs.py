"""The background-job framework: inline runs, failures, progress seen from outside, the pages, purge."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from campaign import jobs
from campaign.core.models import AuditLog
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.jobs import services
from campaign.jobs.models import Job


def test_inline_run_gives_result_output_and_download(app, factory, login_as):
    user = factory.user("province_coordinator")
    job = jobs.start("testjobs.ok", user, params={"n": 4, "x": "ý"}, input=b"input", input_filename="in.txt",
                     next_url="/reports/")
    assert (job.status, job.done, job.total, job.percent) == ("done", 4, 4, 100), job.error
    assert job.result == {"n": 4, "actor": user.username, "params": "ý"}
    assert job.started_at and job.finished_at and job.finished_at >= job.started_at
    assert (job.output_filename, job.output_mimetype, job.output_size) == ("kết quả.txt", "text/plain", 15)
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "job.started")) == 1

    client = login_as(user)
    resp = client.get(f"/jobs/{job.id}/download")
    assert resp.status_code == 200
    assert resp.data == "input|đã xong".encode()
    assert resp.headers["Content-Disposition"] == (
        "attachment; filename=\"kt qu.txt\"; filename*=UTF-8''k%E1%BA%BFt%20qu%E1%BA%A3.txt")
    assert resp.headers["Cache-Control"] == "no-store"
    status = client.get(f"/jobs/{job.id}.json").json
    assert status["status"] == "done" and status["percent"] == 100 and status["error"] == ""
    assert status["output"] == {"filename": "kết quả.txt", "size": 15, "mimetype": "text/plain"}
    page = client.get(f"/jobs/{job.id}")
    assert page.status_code == 200
    assert f'href="/jobs/{job.id}/download"' in page.text and "<progress" in page.text
    assert 'http-equiv="refresh"' not in page.text  # finished: nothing to refresh


def test_failure_is_recorded_with_a_safe_message_and_logged(app, factory, login_as, caplog):
    assert not services.log.disabled  # the migrations' logging setup leaves the app's loggers alone
    user = factory.user("province_coordinator")
    with caplog.at_level(logging.ERROR, logger="campaign.jobs.services"):
        job = jobs.start("testjobs.boom", user)
    assert job.status == "failed" and job.finished_at is not None
    assert "secret" not in job.error and "Traceback" not in job.error
    assert job.error  # a clear message (Vietnamese by default)
    assert "secret internal detail" in caplog.text
    # the task's own writes were rolled back
    assert not db.session.scalar(select(func.count()).select_from(AuditLog)
                                 .where(AuditLog.action == "test.written_before_failing"))
    status = login_as(user).get(f"/jobs/{job.id}.json").json
    assert status["status"] == "failed" and status["error"] == job.error and status["output"] is None
    assert login_as(user).get(f"/jobs/{job.id}/download").status_code == 404
    page = login_as(user).get(f"/jobs/{job.id}")
    assert job.error in page.text and 'role="alert"' in page.text


def test_a_domain_error_shows_its_message_and_keeps_the_result(app, factory):
    job = jobs.start("testjobs.refused", factory.user("admin"))
    assert (job.status, job.error, job.result) == ("failed", "Row 3 is not a number.", {"bad_rows": [3, 7]})


def test_progress_is_written_on_its_own_connection(app, factory, is_postgres, monkeypatch):
    monkeypatch.setattr(services, "PROGRESS_EVERY", 30)
    job = jobs.start("testjobs.watch", factory.user("admin"))
    assert job.status == "done", job.error
    # another connection saw the progress while the task ran; the second call was throttled
    assert job.result["seen"] == [2, 5, "looking"]
    # the final state is the task's last progress
    assert (job.done, job.total, job.message) == (5, 5, "throttled")


def test_progress_does_not_commit_the_tasks_writes(app, factory, is_postgres, monkeypatch):
    monkeypatch.setattr(services, "PROGRESS_EVERY", 0)
    job = jobs.start("testjobs.watch", factory.user("admin"), params={"write": True})
    assert job.status == "done", job.error
    assert job.result["pending_visible"] == 0  # the task's transaction stayed its own
    if is_postgres:
        assert job.result["seen"] == [2, 5, "looking"]
    else:  # SQLite locks the file while the task writes: the progress waits for the end
        assert job.result["seen"] == [0, 0, ""]
    assert db.session.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "test.pending_write")) == 1


def test_progress_writes_are_throttled(app, factory, monkeypatch):
    job = Job(kind="testjobs.ok", status="running", created_by_id=factory.user("admin").id)
    db.session.add(job)
    db.session.commit()
    writes = []
    monkeypatch.setattr(services.ProgressState, "write", lambda self: writes.append((self.done, self.total)))
    progress = services.ProgressState(job.id)
    for i in range(1, 1001):
        progress(i, 1000)
    assert writes == [(1, 1000)]
    assert (progress.done, progress.total) == (1000, 1000)


def test_a_running_job_page_refreshes_without_script_and_polls_with_it(app, factory, login_as):
    user = factory.user("province_coordinator")
    job = Job(kind="testjobs.ok", status="running", done=3, total=12, message="Xã Long Thành",
              created_by_id=user.id)
    db.session.add(job)
    db.session.commit()
    page = login_as(user).get(f"/jobs/{job.id}")
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page.text
    assert 'max="12" value="3"' in page.text and 'aria-live="polite"' in page.text
    assert "Xã Long Thành" in page.text and "js/jobs-progress.js" in page.text
    assert f'href="/jobs/{job.id}"' in page.text  # the reload link
    status = login_as(user).get(f"/jobs/{job.id}.json").json
    assert (status["status"], status["done"], status["total"], status["percent"]) == ("running", 3, 12, 25)


def test_only_the_creator_and_admins_see_a_job(app, factory, login_as):
    owner = factory.user("province_coordinator")
    other = factory.user("province_coordinator")
    job = jobs.start("testjobs.ok", owner)
    for url in (f"/jobs/{job.id}", f"/jobs/{job.id}.json", f"/jobs/{job.id}/download"):
        assert login_as(other).get(url).status_code == 404, url
        assert login_as(factory.user("admin")).get(url).status_code == 200, url
        assert login_as(owner).get(url).status_code == 200, url
        assert app.test_client().get(url).status_code == 302, url
    assert login_as(owner).get("/jobs/999999").status_code == 404


def test_unsafe_next_urls_are_dropped(app, factory):
    for url in ("https://evil.example/", "//evil.example/x", "/\\evil", "javascript:alert(1)"):
        assert services.safe_next_url(url) == ""
    assert services.safe_next_url("/reports/campaigns/1") == "/reports/campaigns/1"
    assert jobs.start("testjobs.ok", factory.user("admin"), next_url="//evil.example").next_url == ""


def test_bounded_input_and_unknown_kind(app, factory, monkeypatch):
    from campaign.core.services import DomainError

    monkeypatch.setattr(services, "MAX_INPUT_BYTES", 10)
    with pytest.raises(DomainError):
        jobs.start("testjobs.ok", factory.user("admin"), input=b"x" * 11)
    with pytest.raises(ValueError):
        jobs.start("nothing.here", factory.user("admin"))
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_bounded_output(app, factory, monkeypatch):
    monkeypatch.setattr(services, "MAX_OUTPUT_BYTES", 5)
    job = jobs.start("testjobs.ok", factory.user("admin"))
    assert job.status == "failed" and "MB" in job.error


def test_purge_removes_old_jobs(app, factory, runner):
    user = factory.user("admin")
    old = jobs.start("testjobs.ok", user)
    recent = jobs.start("testjobs.ok", user)
    old.created_at = utcnow() - timedelta(days=8)
    db.session.commit()
    old_id, recent_id = old.id, recent.id
    result = runner.invoke(args=["jobs", "purge"])
    assert result.exit_code == 0 and "jobs purged: 1" in result.output, result.output
    db.session.expire_all()
    assert db.session.get(Job, old_id) is None and db.session.get(Job, recent_id) is not None
    # starting a job purges too
    recent.created_at = utcnow() - timedelta(days=9)
    db.session.commit()
    jobs.start("testjobs.ok", user)
    db.session.expire_all()
    assert db.session.get(Job, recent_id) is None


def test_a_job_runs_in_the_creators_language(app, factory, login_as):
    job = jobs.start("testjobs.boom", factory.user("admin"), locale="en")
    assert job.error.startswith("The job failed because of an unexpected error")
    job = jobs.start("testjobs.boom", factory.user("admin"), locale="vi")
    assert not job.error.startswith("The job failed")


def test_my_jobs_lists_the_users_own_jobs(app, factory, login_as):
    user = factory.user("province_coordinator")
    other = factory.user("commune_officer")
    done = jobs.start("testjobs.ok", user, params={"n": 1})
    failed = jobs.start("testjobs.refused", user)
    theirs = jobs.start("testjobs.ok", other)
    client = login_as(user)
    page = client.get("/jobs/")
    assert page.status_code == 200
    assert f'href="/jobs/{done.id}"' in page.text and f'href="/jobs/{failed.id}"' in page.text
    assert f'href="/jobs/{done.id}/download"' in page.text  # a finished job's file
    assert f'href="/jobs/{failed.id}/download"' not in page.text
    assert f'href="/jobs/{theirs.id}"' not in page.text  # only one's own jobs
    assert page.text.index(f'href="/jobs/{failed.id}"') < page.text.index(f'href="/jobs/{done.id}"')  # newest first
    assert 'href="/jobs/"' in page.text  # the user menu links to the list
    assert "Bạn chưa có tác vụ nền nào." in login_as(factory.user("trainer")).get("/jobs/").text


def test_download_checks_the_tasks_permission_again(app, factory, login_as):
    user = factory.user("province_coordinator")
    job = jobs.start("testjobs.guarded", user, params={"who": user.username})
    client = login_as(user)
    assert client.get(f"/jobs/{job.id}/download").status_code == 200
    row = db.session.get(Job, job.id)
    row.params = {**row.params, "who": "someone else"}  # the right the job was started under is gone
    db.session.commit()
    assert client.get(f"/jobs/{job.id}/download").status_code == 403
    assert client.get(f"/jobs/{job.id}").status_code == 200  # the page (progress, counts) still shows
    assert login_as(factory.user("admin")).get(f"/jobs/{job.id}/download").status_code == 200
