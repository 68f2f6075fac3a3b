"""Small helpers shared by views: safe redirects, domain errors onto forms, pagination."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from flask import flash, redirect, request, url_for
from sqlalchemy import func, select

from campaign.extensions import db


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
        self.page = max(page, 1)
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


def page_arg() -> int:
    try:
        return max(int(request.args.get("page", 1)), 1)
    except ValueError:
        return 1
