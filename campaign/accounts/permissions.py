"""The permission layer every view uses: a role, judged against a scope.

A grant's scope is the whole system (admin), a province, or a commune. A province grant covers
every commune of that province. Views call :func:`require_commune` / :func:`require_province`
(or the :func:`roles_required` decorator) and list pages filter with :func:`commune_filter`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from flask import abort, g
from flask_login import current_user
from sqlalchemy import false, or_, select, true

from campaign.accounts.models import (
    ADMIN,
    COMMUNE_OFFICER,
    PROVINCE_COORDINATOR,
    ROLE_SCOPES,
    ROLES,
    TRAINER,
    VOLUNTEER,
    YOUTH_ORGANISER,
)
from campaign.extensions import db
from campaign.units.models import Commune

# Who manages a commune's shared records (villages, venues, events): officers and coordinators.
COMMUNE_MANAGERS = (PROVINCE_COORDINATOR, COMMUNE_OFFICER)
# Who organises campaign work (events, shifts) in a scope.
ORGANISERS = (PROVINCE_COORDINATOR, COMMUNE_OFFICER, YOUTH_ORGANISER)
STAFF = (PROVINCE_COORDINATOR, COMMUNE_OFFICER, YOUTH_ORGANISER, TRAINER)

# Which roles an actor holding a role may grant, within the actor's own scope.
GRANTABLE: dict[str, tuple[str, ...]] = {
    PROVINCE_COORDINATOR: (PROVINCE_COORDINATOR, COMMUNE_OFFICER, YOUTH_ORGANISER, TRAINER, VOLUNTEER),
    COMMUNE_OFFICER: (COMMUNE_OFFICER, TRAINER, VOLUNTEER),
    YOUTH_ORGANISER: (VOLUNTEER,),
}


def _user(user=None):
    return current_user if user is None else user


def is_authenticated(user=None) -> bool:
    user = _user(user)
    return bool(user and getattr(user, "is_authenticated", False))


def is_admin(user=None) -> bool:
    user = _user(user)
    return is_authenticated(user) and any(gr.role == ADMIN for gr in user.grants)


def has_role(user=None, *roles: str) -> bool:
    """True if the user holds any of ``roles`` anywhere (admins hold every role)."""
    user = _user(user)
    if not is_authenticated(user):
        return False
    return any(gr.role == ADMIN or gr.role in roles for gr in user.grants)


def _grants(user, roles: Iterable[str]):
    roles = set(roles)
    return [gr for gr in user.grants if gr.role in roles]


def _province_of(commune_code: int) -> int | None:
    cache = g.setdefault("_commune_province", {})
    if commune_code not in cache:
        cache[commune_code] = db.session.scalar(
            select(Commune.province_code).where(Commune.code == commune_code)
        )
    return cache[commune_code]


def can_in_commune(user, commune_code: int | None, roles: Iterable[str] = COMMUNE_MANAGERS) -> bool:
    """May the user act with one of ``roles`` in this commune?"""
    user = _user(user)
    if not is_authenticated(user) or commune_code is None:
        return is_admin(user)
    if is_admin(user):
        return True
    grants = _grants(user, roles)
    if any(gr.commune_code == commune_code for gr in grants):
        return True
    provinces = {gr.province_code for gr in grants if gr.province_code is not None}
    return bool(provinces) and _province_of(commune_code) in provinces


def can_in_province(user, province_code: int | None, roles: Iterable[str] = (PROVINCE_COORDINATOR,)) -> bool:
    """May the user act with one of ``roles`` over the whole province?"""
    user = _user(user)
    if is_admin(user):
        return True
    if not is_authenticated(user) or province_code is None:
        return False
    return any(gr.province_code == province_code for gr in _grants(user, roles))


def province_codes(user=None, roles: Iterable[str] = (PROVINCE_COORDINATOR,)) -> set[int] | None:
    """Provinces the user holds a province-wide grant in; None means all (admin)."""
    user = _user(user)
    if is_admin(user):
        return None
    if not is_authenticated(user):
        return set()
    return {gr.province_code for gr in _grants(user, roles) if gr.province_code is not None}


def commune_filter(column, user=None, roles: Iterable[str] = COMMUNE_MANAGERS):
    """A SQL condition on a commune-code column: the rows in the user's scope for ``roles``."""
    user = _user(user)
    if is_admin(user):
        return true()
    if not is_authenticated(user):
        return false()
    grants = _grants(user, roles)
    communes = {gr.commune_code for gr in grants if gr.commune_code is not None}
    provinces = {gr.province_code for gr in grants if gr.province_code is not None}
    conditions = []
    if communes:
        conditions.append(column.in_(communes))
    if provinces:
        conditions.append(column.in_(select(Commune.code).where(Commune.province_code.in_(provinces))))
    return or_(*conditions) if conditions else false()


def require_commune(commune_code: int | None, roles: Iterable[str] = COMMUNE_MANAGERS) -> None:
    if not is_authenticated():
        abort(401)
    if not can_in_commune(current_user, commune_code, roles):
        abort(403)


def require_province(province_code: int | None, roles: Iterable[str] = (PROVINCE_COORDINATOR,)) -> None:
    if not is_authenticated():
        abort(401)
    if not can_in_province(current_user, province_code, roles):
        abort(403)


def roles_required(*roles: str) -> Callable:
    """Decorator: the user must be logged in and hold one of ``roles`` somewhere (admins pass)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not is_authenticated():
                abort(401)
            if not has_role(current_user, *roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def can_grant(actor, role: str, province_code: int | None, commune_code: int | None) -> bool:
    """May ``actor`` grant ``role`` over this scope? Admins may grant anything; others only the
    roles below theirs, and only inside their own scope."""
    if is_admin(actor):
        return True
    if not is_authenticated(actor):
        return False
    for gr in actor.grants:
        if role not in GRANTABLE.get(gr.role, ()):
            continue
        if gr.province_code is not None:
            if province_code == gr.province_code:
                return True
            if commune_code is not None and _province_of(commune_code) == gr.province_code:
                return True
        elif gr.commune_code is not None and commune_code == gr.commune_code and province_code is None:
            return True
    return False


def grantable_roles(actor) -> list[str]:
    """The roles ``actor`` may grant somewhere, in the order of ROLES (what the account forms offer)."""
    if is_admin(actor):
        return list(ROLES)
    if not is_authenticated(actor):
        return []
    allowed = {role for gr in actor.grants for role in GRANTABLE.get(gr.role, ())}
    return [role for role in ROLES if role in allowed]


def grantable_provinces(actor) -> set[int] | None:
    """Provinces where ``actor`` may grant a province-wide role (None: all, for admins)."""
    if is_admin(actor):
        return None
    if not is_authenticated(actor):
        return set()
    return {gr.province_code for gr in actor.grants if gr.province_code is not None
            and any("province" in ROLE_SCOPES[role] for role in GRANTABLE.get(gr.role, ()))}


def can_manage_user(actor, user) -> bool:
    """May ``actor`` see and change this account? Admins: all. Others: accounts whose every grant
    lies inside a scope where the actor may grant that role."""
    if is_admin(actor):
        return True
    if not is_authenticated(actor) or actor.id == user.id:
        return False
    if not user.grants:
        return user.created_by_id == actor.id
    return all(can_grant(actor, gr.role, gr.province_code, gr.commune_code) for gr in user.grants)
