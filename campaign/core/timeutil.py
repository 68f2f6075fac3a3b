"""Time zone helpers: UTC stored, Asia/Ho_Chi_Minh shown, dd/mm/yyyy and 24-hour times."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

DATE_FORMAT = "%d/%m/%Y"
TIME_FORMAT = "%H:%M"
DATETIME_FORMAT = "%d/%m/%Y %H:%M"


def to_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ)


def local_to_utc(value: datetime) -> datetime:
    """A wall-clock time in Vietnam (naive, as from a form) to an aware UTC datetime."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(UTC)


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return value.strftime(DATE_FORMAT)


def format_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return to_local(value).strftime(TIME_FORMAT)


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return to_local(value).strftime(DATETIME_FORMAT)


def parse_local_date(text: str) -> date:
    """Parse dd/mm/yyyy (or the ISO yyyy-mm-dd an <input type=date> sends)."""
    text = (text or "").strip()
    for fmt in (DATE_FORMAT, "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)
