"""Fixtures shared by every test.

The database is SQLite (a temporary file) unless TEST_DATABASE_URL names another one (the
PostgreSQL leg: postgresql://postgres@127.0.0.1:5432/test). The schema is built once per run by
the Alembic migrations (upgrade, downgrade to base, upgrade again), and every test starts from
empty tables except the administrative units (Đồng Nai and Khánh Hòa are loaded once).
"""

from __future__ import annotations

import contextvars
import os
import re
import tempfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from campaign import create_app
from campaign.config import normalise_database_url
from campaign.core.limits import DEFAULTS as PUBLIC_LIMITS
from campaign.extensions import db, limiter
from tests.factories import Factory

DONG_NAI = 75
KHANH_HOA = 56
TRAN_BIEN = 26041  # Phường Trấn Biên (Đồng Nai)
LONG_THANH = 26368  # Xã Long Thành (Đồng Nai)
KEPT_TABLES = {"provinces", "communes", "alembic_version"}


def database_url(tmp_dir: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{tmp_dir / 'test.sqlite3'}"


def reset_postgres_schema(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app_config(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("db")
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url(tmp),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": True,
        "LOGIN_RATE_LIMIT": "10000 per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": "10000 per minute",
        # every public write's limit (campaign/core/limits.py): tests that check one lower it
        **{name: "10000 per minute" for name in PUBLIC_LIMITS},
        "SECRET_KEY": "test-secret-key",
        "SERVER_NAME": None,
    }


class IsolatedClient(FlaskClient):
    """Each request runs as in production: its own app context, its own ``g`` and database session,
    not the test's. Afterwards the test's session forgets what it had loaded, so that it sees what
    the request wrote."""

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        try:
            db.session.expire_all()
        except RuntimeError:  # no app context in the test
            pass
        return response


@pytest.fixture(scope="session")
def app(app_config):
    if app_config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        reset_postgres_schema(app_config["SQLALCHEMY_DATABASE_URI"])
    app = create_app(app_config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        from flask_migrate import downgrade, upgrade

        upgrade()
        downgrade(revision="base")
        upgrade()
        from campaign.units.services import load_units

        load_units(DONG_NAI)
        load_units(KHANH_HOA)
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def is_postgres(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def clean_tables() -> None:
    tables = [t for t in db.metadata.sorted_tables if t.name not in KEPT_TABLES]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    # Units loaded by a test beyond the two kept provinces go too.
    db.session.execute(text("DELETE FROM communes WHERE province_code NOT IN (:a, :b)"),
                       {"a": DONG_NAI, "b": KHANH_HOA})
    db.session.execute(text("DELETE FROM provinces WHERE code NOT IN (:a, :b)"), {"a": DONG_NAI, "b": KHANH_HOA})
    db.session.commit()


@pytest.fixture(autouse=True)
def _db(request, app):
    """Every test runs inside an app context and leaves empty tables behind."""
    with app.app_context():
        yield db
        db.session.rollback()
        db.session.remove()
        clean_tables()
        limiter.reset()  # each test starts with no requests counted (limits are per test, not per run)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def factory(app) -> Factory:
    return Factory()


def login(client, user, password: str = Factory.PASSWORD):
    resp = client.post("/login", data={"username": user.username, "password": password})
    assert resp.status_code == 302, resp.text
    return client


def session_login(client, user):
    """Log a test client in without the password check (fast); the login form is tested apart."""
    with client.session_transaction() as session:
        session["_user_id"] = user.session_token
        session["_fresh"] = True
    return client


@pytest.fixture
def login_as(app, factory):
    """login_as(user) -> a new test client logged in as that user."""

    def _login(user):
        return session_login(app.test_client(), user)

    return _login


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


@pytest.fixture(scope="session")
def tmp_dir():
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)
