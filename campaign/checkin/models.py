"""Signing keys, tickets, check-in stewards and every scan."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db


class SigningKey(db.Model):
    """An Ed25519 key that signs tickets of one campaign (or of events outside any campaign).

    The private key is sealed (see keys.py); the public key is what scanners verify with. A retired
    key signs nothing new but its tickets stay valid; a revoked key's tickets are all invalid."""

    __tablename__ = "checkin_signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    # "campaign:<id>" or "global": what the key signs for (one active key per scope).
    scope: Mapped[str] = mapped_column(String(40), nullable=False)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    private_key_sealed: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("uq_checkin_signing_keys_active", "scope", unique=True,
              postgresql_where=text("retired_at IS NULL"), sqlite_where=text("retired_at IS NULL")),
        CheckConstraint("(scope = 'global' AND campaign_id IS NULL)"
                        " OR (campaign_id IS NOT NULL AND scope = 'campaign:' || campaign_id)",
                        name="scope_matches"),
    )


def key_scope(campaign_id: int | None) -> str:
    return "global" if campaign_id is None else f"campaign:{campaign_id}"
