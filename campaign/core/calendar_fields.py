"""Columns that let a row appear in calendar feeds: a random UID stored once, a SEQUENCE bumped on
every change a subscriber would notice, and the time of the last change (DTSTAMP/LAST-MODIFIED)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Integer, String, event, inspect
from sqlalchemy.orm import Mapped, mapped_column

from campaign.core.types import UTCDateTime, utcnow


def new_uid() -> str:
    return f"{secrets.token_hex(16)}@binhdanhocvuso"


class CalendarFields:
    uid: Mapped[str] = mapped_column(String(80), nullable=False, unique=True, default=new_uid)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


def bump_sequence_on(cls, *fields: str) -> None:
    """Bump ``sequence`` whenever one of ``fields`` changes in an ORM flush."""

    @event.listens_for(cls, "before_update")
    def _bump(mapper, connection, target) -> None:
        state = inspect(target)
        if any(state.attrs[f].history.has_changes() for f in fields):
            target.sequence = (target.sequence or 0) + 1
