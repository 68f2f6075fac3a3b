"""With Redis: the commit queues the delivery on rq, and an rq worker in another process (made from
the environment, as in production) delivers to the local SMTP server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.messages.helpers import make_event, messages, register

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/12"  # jobs use 13, courses 14, the health check 15

WORKER = """
import sys
sys.path.insert(0, {root!r})
from redis import Redis
from rq import Queue, Worker
conn = Redis.from_url({url!r})
ok = Worker([Queue({queue!r}, connection=conn)], connection=conn).work(burst=True)
sys.exit(0 if ok else 3)
"""


@pytest.fixture
def rq_queue(app):
    redis = pytest.importorskip("redis")
    from rq import Queue

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    name = f"messages-test-{uuid.uuid4().hex[:12]}"
    app.config.update(REDIS_URL=REDIS_URL, MESSAGES_QUEUE=name)
    q = Queue(name, connection=redis.Redis.from_url(REDIS_URL))
    try:
        yield q
    finally:
        q.empty()
        q.delete(delete_jobs=True)
        app.config.update(REDIS_URL=None, MESSAGES_QUEUE=None)


def test_the_commit_queues_delivery_on_rq_and_a_worker_delivers(app, mailbox, rq_queue):
    event = make_event()
    register(event, name="Lê Thị Cúc", email="cuc@example.vn")  # commits: the delivery goes on rq
    assert rq_queue.count >= 1
    [row] = messages()
    assert row.status == "queued" and mailbox.messages == []  # nothing sent inline
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "test-secret-key",
           "MESSAGES_SMTP_URL": app.config["MESSAGES_SMTP_URL"], "MESSAGES_BASE_URL": "http://campaign.test/"}
    env.pop("REDIS_URL", None)
    code = WORKER.format(root=str(ROOT), url=REDIS_URL, queue=rq_queue.name)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "cuc@example.vn"
    [row] = messages()
    assert row.status == "sent"
