"""A worker's warm-up (campaign/core/warmup.py, called by gunicorn.conf.py's post_worker_init): the
first-request work done before the worker accepts, and never a reason for it not to start."""

from __future__ import annotations

import logging
import runpy
from pathlib import Path
from types import SimpleNamespace

from campaign import create_app
from campaign.core.warmup import warm

ROOT = Path(__file__).resolve().parents[2]


def test_warm_opens_a_connection_and_fills_the_features_caches(app):
    app.extensions.pop("checkin_public_keys", None)
    done = warm(app)
    assert done == ["translations", "database", "campaign.accounts.warm", "campaign.checkin.warm"]
    assert app.extensions["checkin_public_keys"]._loaded_at > 0  # the first scan verifies without a query
    assert warm(app) == done  # again: nothing breaks, nothing is written


def test_a_worker_starts_cold_when_the_database_is_down(app_config, caplog):
    caplog.set_level(logging.WARNING)
    down = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"})
    assert warm(down) == ["translations"]
    assert "starts cold" in caplog.text


def test_gunicorn_warms_each_worker_before_it_accepts(app):
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    app.extensions.pop("checkin_public_keys", None)
    settings["post_worker_init"](SimpleNamespace(wsgi=app))
    assert app.extensions["checkin_public_keys"]._loaded_at > 0
    settings["post_worker_init"](SimpleNamespace(wsgi=lambda environ, start_response: []))  # not ours: nothing
