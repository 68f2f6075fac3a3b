from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.accounts.models import User
from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db

# Private feeds a user can subscribe to.
SCOPES = ("my_shifts", "my_classes", "my_bookings", "my_events", "organiser")


class FeedToken(db.Model):
    """A private feed link. Only the SHA-256 of the secret is stored; the link is shown once."""

    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    scope: Mapped[str] = mapped_column(String(20), nullable=False)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __table_args__ = (
        CheckConstraint(
            "scope IN ('my_shifts', 'my_classes', 'my_bookings', 'my_events', 'organiser')", name="scope_known"
        ),
        # one live link per user and feed
        Index("uq_feed_tokens_live", "user_id", "scope", unique=True,
              postgresql_where=text("revoked_at IS NULL"), sqlite_where=text("revoked_at IS NULL")),
    )
