"""Test factories: create_x(**overrides) with sensible defaults. Each flushes, the caller commits
when other processes or the test client must see the rows."""

from __future__ import annotations

import itertools
from functools import cache

from werkzeug.security import generate_password_hash

from campaign.accounts.models import RoleGrant, User
from campaign.extensions import db
from campaign.units.models import Village

_seq = itertools.count(1)


@cache
def _hash(password: str) -> str:
    return generate_password_hash(password)


class Factory:
    PASSWORD = "password-123"

    def user(self, role: str | None = "volunteer", *, province: int | None = None, commune: int | None = None,
             username: str | None = None, full_name: str | None = None, password: str | None = None,
             active: bool = True, commit: bool = True) -> User:
        n = next(_seq)
        # Each password is hashed once per run: scrypt on every factory call would slow the suite.
        user = User(username=username or f"user{n}", full_name=full_name or f"Người dùng {n}",
                    password_hash=_hash(password or self.PASSWORD), active=active)
        if role:
            if role == "admin":
                province = commune = None
            elif role in ("province_coordinator",) and province is None:
                province = 75
            elif commune is None and province is None:
                commune = 26041
            user.grants.append(RoleGrant(role=role, province_code=province, commune_code=commune))
        db.session.add(user)
        db.session.flush()
        if commit:
            db.session.commit()
        return user

    def village(self, commune: int = 26041, name: str | None = None, kind: str = "ap", commit: bool = True,
                **kw) -> Village:
        from campaign.core.text import fold

        name = name or f"Ấp {next(_seq)}"
        village = Village(commune_code=commune, name=name, kind=kind, search_name=fold(name), **kw)
        db.session.add(village)
        db.session.flush()
        if commit:
            db.session.commit()
        return village
