"""Redis unreachable must not stop the campaign: the rate limits fall back to per-process memory.

The app under test runs in a child process whose environment points ``REDIS_URL`` at a closed port
(the limiter is one object per process, so a second app in this process would take it over)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from campaign.core.types import utcnow
from tests.checkin.conftest import CheckinFactory, scan_body
from tests.conftest import TRAN_BIEN
from tests.events.conftest import create_event
from tests.factories import Factory

CHILD = r"""
import json, sys
from campaign import create_app

cfg, data = json.loads(sys.argv[1]), json.loads(sys.argv[2])
app = create_app(cfg)
out = {}
c = app.test_client()
out["health"] = c.get("/healthz").get_json()
out["health_status"] = c.get("/healthz").status_code
out["register"] = c.post("/events/%d" % data["event"], data=data["registration"]).status_code
r = c.post("/login", data={"username": data["username"], "password": data["password"]})
out["login"] = r.status_code
out["scan"] = c.post("/api/checkin/scan", json=data["scan"], headers={"X-Checkin-Client": "test"}).status_code
out["bad_logins"] = [app.test_client().post("/login", data={"username": "x", "password": "y"}).status_code
                     for _ in range(4)]
print("RESULT " + json.dumps(out))
"""


def test_login_registration_and_scan_work_when_redis_is_down(app_config, factory):
    event = create_event(commune_code=TRAN_BIEN)
    cf = CheckinFactory()
    door = cf.event(starts_at=utcnow() - timedelta(minutes=5))
    steward = factory.user("volunteer", commune=TRAN_BIEN)
    cf.steward(door, steward)
    ticket = cf.ticket(door)
    config = {k: v for k, v in app_config.items() if k != "SERVER_NAME"}
    config["LOGIN_RATE_LIMIT"] = "3 per minute"
    data = {
        "event": event.id, "username": steward.username, "password": Factory.PASSWORD,
        "registration": {"full_name": "Nguyễn Thị Hoa", "phone": "0901 234 123", "commune_code": str(TRAN_BIEN),
                         "consent": "y"},
        "scan": scan_body(door.id, ticket.code) | {"device_time": datetime.now(UTC).isoformat()},
    }
    env = dict(os.environ, REDIS_URL="redis://127.0.0.1:1/0")
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(config), json.dumps(data)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    out = json.loads(line[len("RESULT "):])
    assert out["register"] == 302, proc.stderr[-3000:]
    assert out["login"] == 302, proc.stderr[-3000:]
    assert out["scan"] == 201, proc.stderr[-3000:]
    # The fallback still limits, per process: the fourth failed login from one address is refused.
    assert out["bad_logins"] == [200, 200, 200, 429]
    # The degradation is visible to monitoring without taking the instance out of service.
    assert out["health_status"] == 200
    assert out["health"]["redis"] == "error" and out["health"]["status"] == "degraded"
    assert out["health"]["rate_limits"] == "memory"
    assert "falling back to in-memory storage" in proc.stderr
