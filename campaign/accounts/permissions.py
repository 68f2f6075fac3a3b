"""The permission layer every view uses: a role, judged against a scope.

A grant's scope is the whole system (admin), a province, or a commune. A province grant covers
every commune of that province. Views call :func:`require_commune` / :func:`require_province`
(or the :func:`roles_required` decorator, or :func:`require` with a feature's own ``can_...`` answer)
and list pages filter with :func:`commune_filter`.

Every "may this user act here?" question is answered here, from :func:`grant_scope` (the communes
and provinces of a user's grants with some roles):

- :func:`can_in_commune` — in this commune (a province grant covers its communes);
- :func:`in_commune_scope` — the same when the commune's province is already known (no query, for
  list pages judging many rows);
- :func:`can_in_province` — over the whole province (a province-wide grant);
- :func:`acts_in_province` / :func:`acting_provinces` — anywhere in the province (a province grant
  or a grant on one of its communes);
- :func:`province_codes`, :func:`commune_codes`, :func:`commune_filter`, :class:`GrantScope`'s
  ``condition`` — the same scope as sets of codes or as a SQL condition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class GrantScope:
    """Where a user holds some roles: ``everything`` (admin), or these communes and provinces."""

    everything: bool
    communes: frozenset[int]
    provinces: frozenset[int]

    @property
    def empty(self) -> bool:
        return not (self.everything or self.communes or self.provinces)

    def covers(self, commune_code: int | None, province_code: int | None) -> bool:
        """Is this commune (of this province, already known) inside the scope? No query."""
        if self.everything:
            return True
        if commune_code is None:
            return False
        return commune_code in self.communes or (province_code is not None and province_code in self.provinces)

    def condition(self, commune_column, province_column=None):
        """A SQL condition: rows whose commune is in scope. With ``province_column`` (rows that carry
        their province) the province test needs no subquery, and rows without a commune but of a
        province in scope are included."""
        if self.everything:
            return true()
        conditions = []
        if self.communes:
            conditions.append(commune_column.in_(self.communes))
        if self.provinces:
            if province_column is not None:
                conditions.append(province_column.in_(self.provinces))
            else:
                conditions.append(commune_column.in_(
                    select(Commune.code).where(Commune.province_code.in_(self.provinces))))
        return or_(*conditions) if conditions else false()


NO_SCOPE = GrantScope(False, frozenset(), frozenset())


def grant_scope(user=None, roles: Iterable[str] = COMMUNE_MANAGERS) -> GrantScope:
    """The communes and provinces where the user holds one of ``roles`` (admins: everything)."""
    user = _user(user)
    if not is_authenticated(user):
        return NO_SCOPE
    if is_admin(user):
        return GrantScope(True, frozenset(), frozenset())
    grants = _grants(user, roles)
    return GrantScope(False, frozenset(gr.commune_code for gr in grants if gr.commune_code is not None),
                      frozenset(gr.province_code for gr in grants if gr.province_code is not None))


def province_of(commune_code: int | None) -> int | None:
    """The province of a commune (cached for the request)."""
    if commune_code is None:
        return None
    cache = g.setdefault("_commune_province", {})
    if commune_code not in cache:
        cache[commune_code] = db.session.scalar(
            select(Commune.province_code).where(Commune.code == commune_code)
        )
    return cache[commune_code]


def can_in_commune(user, commune_code: int | None, roles: Iterable[str] = COMMUNE_MANAGERS) -> bool:
    """May the user act with one of ``roles`` in this commune?"""
    scope = grant_scope(user, roles)
    if scope.everything:
        return True
    if commune_code is None:
        return False
    if commune_code in scope.communes:
        return True
    return bool(scope.provinces) and province_of(commune_code) in scope.provinces


def in_commune_scope(user, commune_code: int | None, province_code: int | None,
                     roles: Iterable[str] = COMMUNE_MANAGERS) -> bool:
    """:func:`can_in_commune` when the commune's province is already known: no query."""
    return grant_scope(user, roles).covers(commune_code, province_code)


def can_in_province(user, province_code: int | None, roles: Iterable[str] = (PROVINCE_COORDINATOR,)) -> bool:
    """May the user act with one of ``roles`` over the whole province?"""
    scope = grant_scope(user, roles)
    return scope.everything or (province_code is not None and province_code in scope.provinces)


def acting_provinces(user=None, roles: Iterable[str] = COMMUNE_MANAGERS) -> set[int] | None:
    """Provinces where the user holds one of ``roles`` anywhere: its province grants and the provinces
    of its commune grants; None means all (admin)."""
    scope = grant_scope(user, roles)
    if scope.everything:
        return None
    return set(scope.provinces) | {province_of(code) for code in scope.communes} - {None}


def acts_in_province(user, province_code: int | None, roles: Iterable[str] = COMMUNE_MANAGERS) -> bool:
    """Does the user hold one of ``roles`` anywhere in the province: a province grant, or a grant
    on one of its communes?"""
    provinces = acting_provinces(user, roles)
    return provinces is None or (province_code is not None and province_code in provinces)


def province_codes(user=None, roles: Iterable[str] = (PROVINCE_COORDINATOR,)) -> set[int] | None:
    """Provinces the user holds a province-wide grant in; None means all (admin)."""
    scope = grant_scope(user, roles)
    return None if scope.everything else set(scope.provinces)


def commune_codes(user=None, roles: Iterable[str] = COMMUNE_MANAGERS) -> set[int] | None:
    """Communes the user holds a commune grant in (not those covered by a province grant); None
    means all (admin)."""
    scope = grant_scope(user, roles)
    return None if scope.everything else set(scope.communes)


def commune_filter(column, user=None, roles: Iterable[str] = COMMUNE_MANAGERS):
    """A SQL condition on a commune-code column: the rows in the user's scope for ``roles``."""
    return grant_scope(user, roles).condition(column)


def require(allowed: bool) -> None:
    """Stop the request unless ``allowed``: 401 (to the login page) for a visitor who is not logged in,
    403 otherwise. For views that judge with a feature's own ``can_...`` rule."""
    if not is_authenticated():
        abort(401)
    if not allowed:
        abort(403)


def require_commune(commune_code: int | None, roles: Iterable[str] = COMMUNE_MANAGERS) -> None:
    require(is_authenticated() and can_in_commune(current_user, commune_code, roles))


def require_province(province_code: int | None, roles: Iterable[str] = (PROVINCE_COORDINATOR,)) -> None:
    require(is_authenticated() and can_in_province(current_user, province_code, roles))


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
            if commune_code is not None and province_of(commune_code) == gr.province_code:
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
