"""Account operations: each checks permission, validates, writes its audit entry. Callers commit."""

from __future__ import annotations

import re
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import exists, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from campaign.accounts import permissions as perm
from campaign.accounts.models import ADMIN, ROLE_SCOPES, ROLES, RoleGrant, User
from campaign.core.services import DomainError, audit
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.units.models import Commune, Province

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")
MIN_PASSWORD = 8


@cache
def _dummy_hash() -> str:
    """A real hash to check against when the user does not exist, so timing reveals no names."""
    return generate_password_hash("not-a-real-password")


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def authenticate(username: str, password: str) -> User | None:
    """The user whose password this is, or None. A failed attempt on an existing account is
    audited (the password is not); a successful one records the time and is audited too."""
    user = db.session.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        audit("user.login_failed", user, actor=None)
        return None
    user.last_login_at = utcnow()
    audit("user.logged_in", user, actor=user)
    return user


def user_by_session(token: str) -> User | None:
    """The active user whose session token this is (the session cookie's ``_user_id``)."""
    return db.session.scalar(select(User).where(User.session_token == token, User.active.is_(True)))


def log_out(user: User) -> None:
    """End the user's sessions on the server: every cookie of this account (a copy included) stops
    working, not only the one in this browser."""
    user.end_sessions()
    audit("user.logged_out", user, actor=user)


def validate_password(password: str, username: str = "") -> None:
    if len(password or "") < MIN_PASSWORD:
        raise DomainError(_("The password must have at least %(n)d characters.", n=MIN_PASSWORD), "password")
    if username and password.strip().lower() == username.lower():
        raise DomainError(_("The password must not be the same as the username."), "password")


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current or ""):
        raise DomainError(_("The current password is not correct."), "current_password")
    validate_password(new, user.username)
    user.set_password(new)
    audit("user.password_changed", user, actor=user)


def check_scope(role: str, province_code: int | None, commune_code: int | None) -> None:
    """The scope must fit the role and name real units."""
    if role not in ROLES:
        raise DomainError(_("Unknown role."), "role")
    kinds = ROLE_SCOPES[role]
    if province_code is not None and commune_code is not None:
        raise DomainError(_("Choose either a province or a commune, not both."), "commune_code")
    kind = "commune" if commune_code is not None else "province" if province_code is not None else "none"
    if kind not in kinds:
        if kinds == ("none",):
            raise DomainError(_("A system administrator has no province or commune."), "province_code")
        if kinds == ("province",):
            raise DomainError(_("This role needs a province."), "province_code")
        if kinds == ("commune",):
            raise DomainError(_("This role needs a commune."), "commune_code")
        raise DomainError(_("This role needs a province or a commune."), "commune_code")
    if province_code is not None and db.session.get(Province, province_code) is None:
        raise DomainError(_("Unknown province."), "province_code")
    if commune_code is not None and db.session.get(Commune, commune_code) is None:
        raise DomainError(_("Unknown commune."), "commune_code")


def create_user(actor, *, username: str, full_name: str, password: str, role: str,
                province_code: int | None = None, commune_code: int | None = None,
                email: str | None = None) -> User:
    username = normalise_username(username)
    if not USERNAME_RE.match(username):
        raise DomainError(
            _("A username has 3 to 80 characters: lower-case letters, digits, '.', '_' or '-'."), "username"
        )
    full_name = (full_name or "").strip()
    if not full_name:
        raise DomainError(_("Enter the person's full name."), "full_name")
    validate_password(password, username)
    check_scope(role, province_code, commune_code)
    if actor is not None and not perm.can_grant(actor, role, province_code, commune_code):
        raise DomainError(_("You may not grant this role in this scope."), "role")
    if db.session.scalar(select(exists().where(User.username == username))):
        raise DomainError(_("This username is already taken."), "username")
    user = User(username=username, full_name=full_name, email=(email or "").strip() or None,
                created_by_id=getattr(actor, "id", None), password_hash="")
    user.set_password(password)
    user.grants.append(RoleGrant(role=role, province_code=province_code, commune_code=commune_code,
                                 granted_by_id=getattr(actor, "id", None)))
    db.session.add(user)
    db.session.flush()
    audit("user.created", user, actor=actor, role=role, province=province_code, commune=commune_code)
    return user


def grant_role(actor, user: User, role: str, province_code: int | None = None,
               commune_code: int | None = None) -> RoleGrant:
    check_scope(role, province_code, commune_code)
    if actor is not None and not perm.can_grant(actor, role, province_code, commune_code):
        raise DomainError(_("You may not grant this role in this scope."), "role")
    for gr in user.grants:
        if (gr.role, gr.province_code, gr.commune_code) == (role, province_code, commune_code):
            raise DomainError(_("The user already has this role in this scope."), "role")
    grant = RoleGrant(role=role, province_code=province_code, commune_code=commune_code,
                      granted_by_id=getattr(actor, "id", None))
    user.grants.append(grant)
    db.session.flush()
    audit("user.role_granted", user, actor=actor, role=role, province=province_code, commune=commune_code)
    return grant


def revoke_grant(actor, grant: RoleGrant) -> None:
    user = grant.user
    if actor is not None and not perm.can_grant(actor, grant.role, grant.province_code, grant.commune_code):
        raise DomainError(_("You may not revoke this role."))
    if grant.role == ADMIN and actor is not None and actor.id == user.id:
        raise DomainError(_("You cannot remove your own administrator role."))
    user.grants.remove(grant)
    audit("user.role_revoked", user, actor=actor, role=grant.role, province=grant.province_code,
          commune=grant.commune_code)


def set_active(actor, user: User, active: bool) -> None:
    if actor is not None and actor.id == user.id and not active:
        raise DomainError(_("You cannot deactivate your own account."))
    user.active = active
    if not active:
        user.end_sessions()
    audit("user.activated" if active else "user.deactivated", user, actor=actor)


def reset_password(actor, user: User, new: str) -> None:
    validate_password(new, user.username)
    user.set_password(new)
    audit("user.password_reset", user, actor=actor)


def visible_users(actor, query: str | None = None):
    """A select() of the accounts the actor may manage (admins: all)."""
    stmt = select(User).order_by(User.username)
    if not perm.is_admin(actor):
        province_scope = perm.province_codes(actor)
        commune_scope = perm.grant_scope(actor, perm.GRANTABLE).communes
        conds = []
        if province_scope:
            in_province = or_(
                RoleGrant.province_code.in_(province_scope),
                RoleGrant.commune_code.in_(select(Commune.code).where(Commune.province_code.in_(province_scope))),
            )
            conds.append(in_province)
        if commune_scope:
            conds.append(RoleGrant.commune_code.in_(commune_scope))
        any_grant_in_scope = exists().where(RoleGrant.user_id == User.id, or_(*conds)) if conds else None
        # Accounts with an admin grant are never managed by a non-admin.
        no_admin = ~exists().where(RoleGrant.user_id == User.id, RoleGrant.role == ADMIN)
        if any_grant_in_scope is None:
            stmt = stmt.where(User.created_by_id == actor.id, no_admin)
        else:
            stmt = stmt.where(or_(any_grant_in_scope, User.created_by_id == actor.id), no_admin)
    if query:
        pattern = f"%{query.strip().lower()}%"
        stmt = stmt.where(or_(User.username.like(pattern), db.func.lower(User.full_name).like(pattern)))
    return stmt


# --- the audit log page ------------------------------------------------------------------------

def can_read_audit_log(user) -> bool:
    """Administrators (everything) and province coordinators (their province's records)."""
    return perm.is_admin(user) or bool(perm.province_codes(user))


def audit_log_query(user, *, action: str = "", actor: str = "", object_type: str = "", object_id: str = "",
                    since=None, until=None):
    """The audit entries ``user`` may read, newest first, filtered. Coordinators see the entries of
    records in their provinces and their own actions; entries with no province (accounts without a
    scope, the system) only administrators. ``since``/``until``: aware UTC datetimes (until
    excluded). Every filter is an indexed or bounded condition; the page is paginated."""
    from campaign.core.models import AuditLog
    from campaign.core.text import like_pattern

    stmt = select(AuditLog, User).outerjoin(User, User.id == AuditLog.actor_id)
    provinces = perm.province_codes(user)
    if provinces is not None:
        stmt = stmt.where(or_(AuditLog.province_code.in_(provinces or {-1}), AuditLog.actor_id == user.id))
    action = (action or "").strip()[:80]
    if action:
        stmt = stmt.where(AuditLog.action.like(like_pattern(action), escape="\\"))
    actor = normalise_username(actor)[:80]
    if actor:
        stmt = stmt.where(User.username == actor)
    if object_type:
        stmt = stmt.where(AuditLog.object_type == object_type[:40])
    object_id = (object_id or "").strip()[:64]
    if object_id:
        stmt = stmt.where(AuditLog.object_id == object_id)
    if since is not None:
        stmt = stmt.where(AuditLog.at >= since)
    if until is not None:
        stmt = stmt.where(AuditLog.at < until)
    return stmt.order_by(AuditLog.id.desc())
