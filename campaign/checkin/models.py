"""Signing keys, tickets, check-in stewards and every scan."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

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


# Results of a scan. Only "accepted" admits; every other scan is kept too.
ACCEPTED = "accepted"
DUPLICATE = "duplicate"
INVALID = "invalid"
REVOKED = "revoked"
WRONG_EVENT = "wrong_event"
# Uploaded by a removed device, made after its removal: kept for the organisers, never admits.
SET_ASIDE = "set_aside"
RESULTS = (ACCEPTED, DUPLICATE, INVALID, REVOKED, WRONG_EVENT, SET_ASIDE)
METHODS = ("camera", "typed", "lookup", "self", "sync")


class Ticket(db.Model):
    """The ticket of a registration: a signed code (no personal data) and a short code to type.

    One live ticket per registration; reissuing revokes the old one (it stays on record)."""

    __tablename__ = "checkin_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"),
                                                 nullable=False, index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("checkin_signing_keys.id"), nullable=False)
    token: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)  # the random ticket id, hex
    short_code: Mapped[str] = mapped_column(String(9), nullable=False, unique=True)
    code: Mapped[str] = mapped_column(String(140), nullable=False)  # the signed text in the QR
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(String(40))

    registration = relationship("Registration", lazy="joined", innerjoin=True)
    signing_key: Mapped[SigningKey] = relationship()

    __table_args__ = (
        Index("uq_checkin_tickets_live", "registration_id", unique=True,
              postgresql_where=text("revoked_at IS NULL"), sqlite_where=text("revoked_at IS NULL")),
        CheckConstraint("length(token) = 20", name="token_length"),
    )

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class StewardGrant(db.Model):
    """A check-in steward for an event and its children (bridge points, sessions)."""

    __tablename__ = "checkin_steward_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", foreign_keys=[user_id], lazy="joined", innerjoin=True)

    __table_args__ = (
        Index("uq_checkin_steward_grants_live", "event_id", "user_id", unique=True,
              postgresql_where=text("revoked_at IS NULL"), sqlite_where=text("revoked_at IS NULL")),
    )


class CheckIn(db.Model):
    """One scan, whatever its result. ``id`` is the server sequence number that devices pull
    "since N" (offline devices keeping in step); ``uuid`` is made by the client, so a retried request stores nothing new."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), nullable=False, unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), nullable=False)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("checkin_tickets.id", ondelete="CASCADE"), index=True)
    result: Mapped[str] = mapped_column(String(20), nullable=False)
    method: Mapped[str] = mapped_column(String(10), nullable=False, default="camera")
    steward_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    device_id: Mapped[str | None] = mapped_column(String(64))
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    server_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # What was scanned when it was not a valid ticket (a code carries no personal data).
    scanned: Mapped[str | None] = mapped_column(String(40))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Offline check-in: what the device showed at the door when it decided without the
    # server (null for a scan the server decided). A scan shown green at the door whose server result
    # is not "accepted" is a conflict for the organisers; ``relabelled_at`` is set when an accepted
    # row gave way to an earlier offline admission (the row stays, its door result kept).
    door_result: Mapped[str | None] = mapped_column(String(20))
    relabelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The registered device that made the scan (null for a logged-in steward's scan).
    checkin_device_id: Mapped[int | None] = mapped_column(ForeignKey("checkin_devices.id", ondelete="SET NULL"))
    # A later change devices must learn (an undo): a value above every sequence number given so far,
    # so that "since N" pulls return the row again. A row's sequence number is max(id, changed_seq).
    changed_seq: Mapped[int | None] = mapped_column(BigInteger)
    # "clock": the device time lay outside what the server knows (before the check-in window or the
    # device's setup, after the upload) and was clamped; ``reported_time`` keeps what the device
    # said. A clamped time never wins "earliest counts" over a trusted one. "after_revoke": made by
    # a removed device after its removal (result "set_aside").
    flag: Mapped[str | None] = mapped_column(String(20))
    reported_time: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket | None] = relationship()
    steward = relationship("User", foreign_keys=[steward_id])
    undone_by = relationship("User", foreign_keys=[undone_by_id])

    __table_args__ = (
        # Exactly one admission per ticket and session (an undone one no longer counts).
        Index("uq_checkins_accepted", "ticket_id", "event_id", unique=True,
              postgresql_where=text("result = 'accepted' AND undone_at IS NULL"),
              sqlite_where=text("result = 'accepted' AND undone_at IS NULL")),
        CheckConstraint("result IN ('accepted', 'duplicate', 'invalid', 'revoked', 'wrong_event', 'set_aside')",
                        name="result_known"),
        CheckConstraint("flag IS NULL OR flag IN ('clock', 'after_revoke')", name="flag_known"),
        CheckConstraint("method IN ('camera', 'typed', 'lookup', 'self', 'sync')", name="method_known"),
        CheckConstraint("result = 'invalid' OR ticket_id IS NOT NULL", name="ticket_unless_invalid"),
        CheckConstraint("undone_at IS NULL OR result = 'accepted'", name="undo_only_accepted"),
        Index("ix_checkins_event_seq", "event_id", "id"),
        # Partial: only the rows each serves (a device's scans; undone rows devices must learn again),
        # so a steward's scan writes neither.
        Index("ix_checkins_event_changed_seq", "event_id", "changed_seq",
              postgresql_where=text("changed_seq IS NOT NULL"), sqlite_where=text("changed_seq IS NOT NULL")),
        Index("ix_checkins_checkin_device_id", "checkin_device_id",
              postgresql_where=text("checkin_device_id IS NOT NULL"),
              sqlite_where=text("checkin_device_id IS NOT NULL")),
    )


class CheckinDevice(db.Model):
    """A phone or tablet an organiser registered for one event (and its bridge points, sessions):
    it scans with its own token, without anyone's login.

    Set up from a one-time code shown as a QR (only its SHA-256 is stored; it expires after
    a quarter of an hour and is consumed by one atomic UPDATE). The device then holds a random token
    (only its SHA-256 here). Revoking stops its online scans; its uploads are still recorded until it
    reports that it wiped its data, after which the token is dead."""

    __tablename__ = "checkin_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True)
    label: Mapped[str] = mapped_column(String(80), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    setup_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    setup_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    setup_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Scans waiting in the device's outbox, as it last reported them.
    pending_scans: Mapped[int | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    wiped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by = relationship("User", foreign_keys=[created_by_id])

    __table_args__ = (
        CheckConstraint("activated_at IS NULL OR token_hash IS NOT NULL", name="token_when_active"),
        CheckConstraint("wiped_at IS NULL OR revoked_at IS NOT NULL", name="wiped_after_revoked"),
    )

    @property
    def status(self) -> str:
        """waiting (setup code not used yet) / expired / active / revoked (waiting for the device's
        upload and wipe) / wiped / cancelled (removed before it was set up)."""
        if self.revoked_at is not None and self.activated_at is None:
            return "cancelled"
        if self.wiped_at is not None:
            return "wiped"
        if self.revoked_at is not None:
            return "revoked"
        if self.activated_at is not None:
            return "active"
        if self.setup_expires_at is not None and self.setup_expires_at > utcnow():
            return "waiting"
        return "expired"
