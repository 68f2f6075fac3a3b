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
          object_id: Any = None, province_code: int | None = None, **details: Any) -> AuditLog:
    """Record an operation. ``obj`` (a model) gives the type and id unless given explicitly, and the
    province the entry belongs to when the record has one (``province_code`` says it when no ``obj``
    is given)."""
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
        province_code=province_code if province_code is not None else province_of(obj),
    )
    db.session.add(entry)
    return entry


# Relationships followed (in this order) to find the province of an audited record.
_PROVINCE_PATHS = ("event", "course", "campaign", "shift", "venue", "registration", "ticket", "profile", "series",
                   "parent", "commune", "home_commune", "user")


def province_of(obj: Any, depth: int = 0) -> int | None:
    """The province a record belongs to: its own ``province_code``, else that of a related record
    (its event, campaign, commune, ...), else for an account the province of its first scoped role.
    None when nothing says (then only administrators see its audit entries)."""
    if obj is None or depth > 3:
        return None
    code = getattr(obj, "province_code", None)
    if isinstance(code, int):
        return code
    try:
        from sqlalchemy import inspect

        mapper = inspect(type(obj))
    except Exception:  # noqa: BLE001 - not a mapped object
        return None
    with db.session.no_autoflush:
        for name in _PROVINCE_PATHS:
            if name in mapper.relationships:
                related = getattr(obj, name, None)
                if related is not None and not isinstance(related, list):
                    found = province_of(related, depth + 1)
                    if found is not None:
                        return found
        for grant in getattr(obj, "grants", None) or []:
            found = grant.province_code
            if found is None and getattr(grant, "commune", None) is not None:
                found = grant.commune.province_code
            if found is not None:
                return found
    return None


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
