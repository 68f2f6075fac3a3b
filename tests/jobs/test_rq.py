"""A real rq round trip: the request queues the job on Redis, an rq worker in another process (made
from the environment, as in production) runs it against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from campaign import jobs
from campaign.extensions import db
from campaign.jobs import services
from campaign.jobs.models import Job

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/13"  # courses' test uses db 14, the health check 15

WORKER = """
import sys
sys.path.insert(0, {root!r})
import tests.jobs.sample_tasks  # noqa: F401 - the test tasks (a feature's tasks are found by their kind)
from redis import Redis
from rq import Queue, Worker
conn = Redis.from_url({url!r})
ok = Worker([Queue({queue!r}, connection=conn)], connection=conn).work(burst=True)
sys.exit(0 if ok else 3)
"""


@pytest.fixture
def rq_queue(app):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    name = f"campaign-test-{uuid.uuid4().hex[:12]}"  # a queue of our own: no other run takes our jobs
    app.config.update(REDIS_URL=REDIS_URL, JOBS_QUEUE=name)
    q = services.queue(REDIS_URL)
    try:
        yield q
    finally:
        q.empty()
        q.delete(delete_jobs=True)
        app.config.update(REDIS_URL=None, JOBS_QUEUE=None)


def run_worker(app, queue) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "test-secret-key"}
    env.pop("REDIS_URL", None)
    code = WORKER.format(root=str(ROOT), url=REDIS_URL, queue=queue.name)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_a_queued_job_runs_in_an_rq_worker(app, factory, login_as, rq_queue):
    user = factory.user("province_coordinator")
    job = jobs.start("testjobs.ok", user, params={"n": 2}, input=b"abc")
    assert job.status == "queued" and rq_queue.count == 1
    client = login_as(user)
    assert client.get(f"/jobs/{job.id}.json").json["status"] == "queued"
    assert "<noscript><meta" in client.get(f"/jobs/{job.id}").text

    proc = run_worker(app, rq_queue)
    assert proc.returncode == 0, proc.stderr[-3000:]
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.status, job.done, job.total) == ("done", 2, 2), job.error
    assert job.result == {"n": 2, "actor": user.username, "params": None}
    resp = client.get(f"/jobs/{job.id}/download")
    assert resp.status_code == 200 and resp.data == "abc|đã xong".encode()


def test_a_failing_job_in_the_worker_is_marked_failed(app, factory, rq_queue):
    job = jobs.start("testjobs.boom", factory.user("admin"))
    proc = run_worker(app, rq_queue)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "secret internal detail" in proc.stderr  # logged by the worker...
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "failed" and "secret" not in job.error  # ...not shown to the user
