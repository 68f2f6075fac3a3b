"""Private feed links: 32 random bytes in the URL path, stored hashed; reset revokes the old link."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update

from campaign.calendars.models import SCOPES, FeedToken
from campaign.core.services import DomainError, audit
from campaign.core.types import utcnow
from campaign.extensions import db

TOKEN_BYTES = 32


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(user, scope: str) -> str:
    """Revoke the user's live link for this feed (if any) and return a new secret, to show once."""
    if scope not in SCOPES:
        raise DomainError("unknown feed")
    db.session.execute(update(FeedToken).where(FeedToken.user_id == user.id, FeedToken.scope == scope,
                                               FeedToken.revoked_at.is_(None)).values(revoked_at=utcnow()))
    secret = secrets.token_urlsafe(TOKEN_BYTES)
    token = FeedToken(user_id=user.id, scope=scope, secret_hash=_hash(secret))
    db.session.add(token)
    db.session.flush()
    audit("feed_token.issued", token, actor=user, scope=scope)
    return secret


def revoke(user, scope: str) -> None:
    db.session.execute(update(FeedToken).where(FeedToken.user_id == user.id, FeedToken.scope == scope,
                                               FeedToken.revoked_at.is_(None)).values(revoked_at=utcnow()))
    audit("feed_token.revoked", user, actor=user, scope=scope)


def lookup(secret: str) -> FeedToken | None:
    """The live token for a secret from a URL, or None. The user must still be active."""
    if not secret or len(secret) > 100:
        return None
    token = db.session.scalar(select(FeedToken).where(FeedToken.secret_hash == _hash(secret),
                                                      FeedToken.revoked_at.is_(None)))
    if token is None or not token.user.active:
        return None
    return token


def live_scopes(user) -> set[str]:
    return set(db.session.scalars(select(FeedToken.scope).where(FeedToken.user_id == user.id,
                                                                FeedToken.revoked_at.is_(None))))
