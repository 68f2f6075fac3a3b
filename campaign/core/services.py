"""Domain errors, the end-after-start rule, audit entries and notices. Audit entries and notices join the
caller's transaction; the caller commits."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from campaign.core.models import AuditLog, Notification
from campaign.extensions import db


class DomainError(Exception):
    """A rule was broken. The message is translated and safe to show to the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    pass


def end_after_start_problem(starts, ends, *, same_allowed: bool = False) -> str | None:
    """The one end-after-start rule of the services (forms have ``core.forms.EndAfterStart``): the
    message when ``ends`` does not come after ``starts`` (or, ``same_allowed``, is before it), else None."""
    if starts is None or ends is None:
        return None
    if ends < starts:
        return _("The end must not be before the start.") if same_allowed else _("The end must be after the start.")
    if ends == starts and not same_allowed:
        return _("The end must be after the start.")
    return None


def require_end_after_start(starts, ends, field: str, *, same_allowed: bool = False) -> None:
    """DomainError on ``field`` when the end does not come after the start (see end_after_start_problem)."""
    problem = end_after_start_problem(starts, ends, same_allowed=same_allowed)
    if problem:
        raise DomainError(problem, field)


def audit(action: str, obj: Any = None, *, actor=None, object_type: str | None = None,
          object_id: Any = None, **details: Any) -> AuditLog:
    """Record an operation. ``obj`` (a model) gives the type and id unless given explicitly."""
    if obj is not None:
        object_type = object_type or obj.__tablename__
        if object_id is None:
            object_id = getattr(obj, "id", None)
            if object_id is None:
                db.session.flush()
                object_id = obj.id
    entry = AuditLog(
        actor_id=getattr(actor, "id", actor),
        action=action,
        object_type=object_type or "",
        object_id=str(object_id),
        details={k: _jsonable(v) for k, v in details.items()},
    )
    db.session.add(entry)
    return entry


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def notify(user, subject: str, body: str = "", url: str | None = None) -> Notification:
    note = Notification(user_id=getattr(user, "id", user), subject=subject, body=body, url=url)
    db.session.add(note)
    return note
