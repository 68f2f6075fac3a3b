"""The pool's liveness check on checkout ("pre-ping"), with a way to skip it for one checkout.

SQLAlchemy's ``pool_pre_ping`` sends a ``SELECT 1`` each time a connection leaves the pool: one
more round trip on every request. :func:`install` replaces it by the same check in a pool
``checkout`` listener (SQLAlchemy's documented "pessimistic" pattern: raising DisconnectionError
makes the pool throw the connection away and check out another), which a caller can skip with
:func:`unpinged` when it handles a dead connection itself (the check-in fast lane hands the request
to the full path, whose checkout pings again).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask
from sqlalchemy import event, exc

_SKIP = ContextVar("campaign_skip_ping", default=False)


def take_over(options: dict) -> dict:
    """Engine options without ``pool_pre_ping`` (and a note that :func:`install` pings instead)."""
    options = dict(options)
    options["pool_pre_ping"] = False
    return options


def install(app: Flask, engines) -> None:
    """Ping on checkout on every engine (call after ``db.init_app``)."""
    for engine in engines:
        dialect = engine.dialect

        def ping(dbapi_connection, record, proxy, _dialect=dialect):
            if _SKIP.get():
                return
            try:
                _dialect.do_ping(dbapi_connection)
            except Exception as err:  # noqa: BLE001 - a dead connection: the pool takes another
                raise exc.DisconnectionError(str(err)) from err

        event.listen(engine.pool, "checkout", ping)


@contextmanager
def unpinged() -> Iterator[None]:
    """Checkouts in this block are not pinged: the caller copes with a dead connection."""
    token = _SKIP.set(True)
    try:
        yield
    finally:
        _SKIP.reset(token)
