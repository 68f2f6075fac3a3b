"""A worker's first-request work, done before it takes requests.

A freshly started worker (after a deploy, or gunicorn replacing one) pays on its first requests for a
database connection, the translations of each language and each feature's caches (the check-in
public keys, say): about 30 ms in all, while the requests queued behind it wait. ``warm(app)`` does that
work up front; gunicorn.conf.py calls it from ``post_worker_init``, before the worker accepts. A feature
adds its own part with a ``warm.py`` module holding ``warm()`` (called in an app context).

Warming is an optimisation only: when the database is down, the worker starts anyway (and answers
as it would have), with a warning in the log.
"""

from __future__ import annotations

import logging

from flask import Flask
from flask_babel import force_locale, get_translations
from sqlalchemy import text

log = logging.getLogger(__name__)


def warm(app: Flask) -> list[str]:
    """Do a worker's first-request work now; the names of the parts that were done."""
    from campaign import features
    from campaign.extensions import db

    done = []
    try:
        with app.test_request_context():
            for lang in app.config["LANGUAGES"]:
                with force_locale(lang):
                    get_translations()
            done.append("translations")
            try:
                db.session.execute(text("SELECT 1"))  # one pooled connection, opened
                done.append("database")
                for module in features.modules("warm"):
                    module.warm()
                    done.append(module.__name__)
            finally:
                db.session.remove()
    except Exception:  # noqa: BLE001 - the worker serves anyway; its first requests do the work
        log.warning("warming the worker up failed; it starts cold", exc_info=True)
    return done
