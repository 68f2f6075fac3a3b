"""Sessions end on the server: logout kills a copied cookie, idle staff sessions expire; login limits
count failed attempts only, per account and per address."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from campaign.core.models import AuditLog
from campaign.extensions import db, limiter
from tests.conftest import TRAN_BIEN, login


def copy_session(app, client):
    """A second browser holding the same session cookie (what a thief would copy)."""
    with client.session_transaction() as session:
        stolen = dict(session)
    other = app.test_client()
    with other.session_transaction() as session:
        session.update(stolen)
    return other


def test_a_copied_cookie_stops_working_after_logout(app, factory):
    user = factory.user("commune_officer", commune=TRAN_BIEN)
    client = login(app.test_client(), user)
    thief = copy_session(app, client)
    assert thief.get("/notifications").status_code == 200  # the copy works while the session lives
    assert client.post("/logout").status_code == 302
    assert thief.get("/notifications").status_code == 302  # sent to the login page
    assert client.get("/notifications").status_code == 302
    assert login(app.test_client(), user).get("/notifications").status_code == 200  # can log in again
    actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.object_id == str(user.id))))
    assert {"user.logged_in", "user.logged_out"} <= actions


def test_an_idle_staff_session_expires(app, factory):
    user = factory.user("commune_officer", commune=TRAN_BIEN)
    client = login(app.test_client(), user)
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    with client.session_transaction() as session:
        session["_seen"] = int(time.time()) - idle + 120  # active two minutes before the limit
    assert client.get("/notifications").status_code == 200
    with client.session_transaction() as session:
        assert session["_seen"] >= int(time.time()) - 5  # the activity was recorded
        session["_seen"] = int(time.time()) - idle - 60
    resp = client.get("/notifications")
    assert resp.status_code == 302 and "/login" in resp.location
    page = client.get(resp.location)
    assert "Phiên làm việc đã hết hạn" in page.text
    assert client.get("/notifications").status_code == 302  # not only refused once: logged out


@pytest.fixture
def limits(app):
    saved = {k: app.config[k] for k in ("LOGIN_RATE_LIMIT", "LOGIN_ACCOUNT_RATE_LIMIT")}
    limiter.reset()
    yield app.config
    app.config.update(saved)
    limiter.reset()


def test_successful_logins_from_one_office_are_not_limited(app, factory, limits):
    limits["LOGIN_RATE_LIMIT"] = "3 per minute"
    limits["LOGIN_ACCOUNT_RATE_LIMIT"] = "3 per minute"
    users = [factory.user() for _ in range(5)]
    for user in users + users:  # ten good logins from one address, two for each account
        assert app.test_client().post("/login", data={"username": user.username,
                                                      "password": factory.PASSWORD}).status_code == 302


def test_failed_logins_are_limited_per_address(app, factory, limits):
    limits["LOGIN_RATE_LIMIT"] = "3 per minute"
    user = factory.user()
    client = app.test_client()
    codes = [client.post("/login", data={"username": f"x{i}", "password": "y"}).status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    # another address is not affected
    other = app.test_client().post("/login", data={"username": user.username, "password": factory.PASSWORD},
                                   environ_overrides={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 302


def test_failed_logins_are_limited_per_account_across_addresses(app, factory, limits):
    limits["LOGIN_ACCOUNT_RATE_LIMIT"] = "3 per minute"
    user, other = factory.user(), factory.user()

    def attempt(username, password, n):
        return app.test_client().post("/login", data={"username": username, "password": password},
                                      environ_overrides={"REMOTE_ADDR": f"10.0.1.{n}"}).status_code

    assert [attempt(user.username.upper(), "wrong", n) for n in range(3)] == [200, 200, 200]
    assert attempt(user.username, factory.PASSWORD, 7) == 429  # the account is held for a while
    assert attempt(other.username, factory.PASSWORD, 1) == 302  # other accounts are not
    failed = db.session.scalars(select(AuditLog).where(AuditLog.action == "user.login_failed")).all()
    assert len(failed) == 3 and all(a.object_id == str(user.id) for a in failed)
