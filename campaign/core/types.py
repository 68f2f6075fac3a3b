"""Column types shared by every feature."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """A moment in time, stored in UTC and always returned timezone-aware (UTC).

    PostgreSQL stores ``timestamptz``; SQLite stores the UTC wall time. Naive datetimes are refused
    so that a local time can never be stored by mistake.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column; use timezone-aware values")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# The demo's clock: zero in production. `flask demo --today` and the tests move it (see
# timeutil.clock_at) so that the demo can be loaded, and its homes shown, as of another day.
CLOCK_SHIFT = [timedelta(0)]


def utcnow() -> datetime:
    return datetime.now(UTC) + CLOCK_SHIFT[0]
