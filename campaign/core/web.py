"""Small helpers shared by views: the one transaction helper, safe redirects, domain errors onto
forms, pagination.

Views and APIs never call ``db.session.commit()`` or ``rollback()`` themselves: they hand the work to
:func:`attempt`, which commits once on success, and on a broken rule rolls back and shows the
``DomainError`` on its form field (or flashes it, or leaves it to the caller for a JSON answer).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from flask import flash, redirect, request, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from campaign.core.services import DomainError
from campaign.extensions import db

T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    """What :func:`attempt` did: ``ok`` (truthy) with the action's ``value``, or the ``error`` shown;
    ``conflicted`` when that error is the ``conflict`` message of a refused write (some views then
    say "someone else just did it" and move on)."""

    ok: bool
    value: T | None = None
    error: DomainError | None = None
    conflicted: bool = False

    def __bool__(self) -> bool:
        return self.ok


def attempt(action: Callable[[], T], form=None, *, conflict: str | None = None,
            conflict_field: str | None = None, show: bool = True, retries: int = 0) -> Outcome[T]:
    """Run ``action`` (a service call) and commit once.

    - success: commit, return a truthy Outcome with the action's return value;
    - ``DomainError``: roll back; with ``show`` put it on ``form``'s field (or flash it when there is no
      form or no such field); return a falsy Outcome carrying the error;
    - ``IntegrityError`` (a constraint refused a concurrent or duplicate write): roll back; with a
      ``conflict`` message it is handled as ``DomainError(conflict, conflict_field)``, without one it is
      raised again (a bug, not a user's mistake).

    ``show=False`` leaves the error to the caller (JSON APIs answer it themselves). ``retries`` runs the
    whole action again, up to that many more times, after a deadlock or a serialisation failure with a
    concurrent transaction (PostgreSQL 40P01 / 40001); the action must be safe to run again.
    """
    for tries in range(retries + 1):
        try:
            return _attempt_once(action, form, conflict, conflict_field, show)
        except OperationalError as err:
            db.session.rollback()
            if tries == retries or not transient(err):
                raise
    raise AssertionError("unreachable")


def transient(err: OperationalError) -> bool:
    """A deadlock or a serialisation failure: the transaction may simply run again."""
    return getattr(err.orig, "sqlstate", None) in ("40P01", "40001")


def _attempt_once(action, form, conflict, conflict_field, show) -> Outcome:
    try:
        value = action()
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _failed(err, form, show)
    except IntegrityError:
        db.session.rollback()
        if conflict is None:
            raise
        return _failed(DomainError(conflict, conflict_field), form, show, conflicted=True)
    return Outcome(True, value)


def _failed(err: DomainError, form, show: bool, conflicted: bool = False) -> Outcome[Any]:
    if show:
        if form is not None:
            form_error(form, err)
        else:
            flash(err.message, "danger")
    return Outcome(False, error=err, conflicted=conflicted)


def commit_read_side_effects() -> None:
    """Commit what a GET request wrote on the side (a "last seen" time, a lazily made record)."""
    db.session.commit()


def uploaded_file(max_bytes: int) -> tuple[str, bytes]:
    """The file of an upload form, or the same file carried back by its preview (a base64 ``payload``
    with its ``filename``). Reads at most ``max_bytes`` + 1 bytes, so the caller can refuse a larger
    file. A missing or damaged file gives empty bytes."""
    if request.form.get("payload"):
        try:
            return request.form.get("filename", ""), base64.b64decode(request.form["payload"], validate=True)
        except (ValueError, binascii.Error):
            return request.form.get("filename", ""), b""
    upload = request.files.get("file")
    if upload is None:
        return "", b""
    return upload.filename or "", upload.read(max_bytes + 1)


def is_safe_next(target: str | None) -> bool:
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")


def redirect_next(default_endpoint: str, **values):
    target = request.values.get("next")
    if is_safe_next(target):
        return redirect(target)
    return redirect(url_for(default_endpoint, **values))


def form_error(form, error) -> None:
    """Show a DomainError on the field it names, or as a page message."""
    field = getattr(error, "field", None)
    if field and field in form:
        form[field].errors = list(form[field].errors or []) + [error.message]
    else:
        flash(error.message, "danger")


class Page:
    """A page of a select(): two queries whatever the size (the count and the rows)."""

    def __init__(self, stmt, page: int = 1, per_page: int = 50, scalars: bool = True):
        self.page = min(max(page, 1), MAX_PAGE)
        self.per_page = per_page
        self.total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        rows = db.session.execute(stmt.limit(per_page).offset((self.page - 1) * per_page))
        self.items = list(rows.scalars() if scalars else rows)

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


MAX_PAGE = 100_000  # a page beyond any list (the offset stays far below what a database accepts)


def page_arg() -> int:
    """The ``page`` query argument: 1 when missing, not a number or out of range."""
    from campaign.core.requests import int_arg

    return int_arg("page", 1, minimum=1, maximum=MAX_PAGE) or 1
