"""The outbox, each person's contact preferences and the one-time codes.

A ``Message`` row is written in the same transaction as the change that causes it (a rolled-back
change sends nothing) and delivered after commit. Its unique key (kind, object, recipient, occasion)
makes queueing idempotent: the same reminder, confirmation or change notice is queued once, however
many times the code that queues it runs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db

CHANNELS = ("email", "sms", "zalo", "dev")
STATUSES = ("queued", "sending", "sent", "failed", "cancelled")
CODE_PURPOSES = ("password", "own_page")


class Message(db.Model):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique key: what kind of message, about which object, to whom, on which occasion
    # (a reminder's "24h", a change's event sequence, "" for a one-off).
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    object_type: Mapped[str] = mapped_column(String(40), nullable=False)
    object_id: Mapped[int] = mapped_column(Integer, nullable=False)
    recipient: Mapped[str] = mapped_column(String(80), nullable=False)  # "person:12", "user:3", "contact:<hash>"
    occasion: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    address: Mapped[str] = mapped_column(String(254), nullable=False, default="")
    template: Mapped[str] = mapped_column(String(60), nullable=False)
    params: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    language: Mapped[str] = mapped_column(String(8), nullable=False, default="vi")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="queued")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    provider_id: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    segments: Mapped[int | None] = mapped_column(Integer)
    # While "sending": the worker holding it; after this moment another worker may retry it.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("kind", "object_type", "object_id", "recipient", "occasion", name="uq_messages_key"),
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed', 'cancelled')", name="status_known"),
        CheckConstraint("channel IN ('email', 'sms', 'zalo', 'dev')", name="channel_known"),
        CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        Index("ix_messages_status_due_at", "status", "due_at"),
    )

    @property
    def key(self) -> str:
        """The idempotency key given to providers (the same on every attempt)."""
        return f"{self.kind}.{self.object_type}.{self.object_id}.{self.recipient}.{self.occasion}"

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.kind} {self.channel} {self.status}>"


class ContactPreference(db.Model):
    """How one person (a resident, by ``person_id``) or one account (``user_id``) wants to be reached:
    the e-mail address (persons keep only a phone), the channels in order, the kinds of reminder
    switched off, and the consent to reminders (text, version, time; withdrawn_at when withdrawn).
    Confirmations and changes always go; only reminders follow the consent and the switches."""

    __tablename__ = "message_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    channels: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # e.g. ["zalo", "sms"]
    reminders_off: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # kinds: event, session, shift
    language: Mapped[str] = mapped_column(String(8), nullable=False, default="vi")  # of the messages
    consent_version: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    consent_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erasure_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (
        CheckConstraint("(person_id IS NULL) <> (user_id IS NULL)", name="one_owner"),
    )


class OneTimeCode(db.Model):
    """A one-time code (and link) proving control of a phone or e-mail: to reset an account's
    password, or to open a person's own page. Only hashes are stored; valid 30 minutes, single use,
    a few wrong guesses burn it."""

    __tablename__ = "message_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20), nullable=False)
    contact_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # of the folded phone/e-mail
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    person_ids: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # own page: whose data
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    link_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        CheckConstraint("purpose IN ('password', 'own_page')", name="purpose_known"),
        Index("ix_message_codes_contact", "purpose", "contact_hash", "created_at"),
    )


class ContactRequest(db.Model):
    """One request made about a contact (lost links, password, own-page code), kept to rate-limit
    per contact across processes (the IP limit is Flask-Limiter's). Only the contact's hash."""

    __tablename__ = "message_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20), nullable=False)
    contact_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (Index("ix_message_requests_contact", "purpose", "contact_hash", "created_at"),)
