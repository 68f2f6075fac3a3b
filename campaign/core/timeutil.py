"""Time zone helpers: UTC stored, Asia/Ho_Chi_Minh shown, dd/mm/yyyy and 24-hour times."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from campaign.core import types

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


_DAY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


def normalise_date(text: str) -> str:
    """31-12-2026, 31.12.2026, 1/2/2026 and 31122026 as dd/mm/yyyy; anything else unchanged."""
    text = text.strip()
    if re.fullmatch(r"\d{8}", text):
        return f"{text[:2]}/{text[2:4]}/{text[4:]}"
    match = _DAY.match(text)
    if match:
        return f"{int(match[1]):02d}/{int(match[2]):02d}/{match[3]}"
    return text


def parse_local_date(text: str) -> date:
    """Parse dd/mm/yyyy (also 31-12-2026, 31.12.2026, 31122026) or the ISO yyyy-mm-dd."""
    text = normalise_date(text or "")
    for fmt in (DATE_FORMAT, "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def local_moment(day: date, at: time) -> datetime:
    """The UTC instant of a wall-clock time on a day in Vietnam (a form's date and time fields)."""
    return local_to_utc(datetime.combine(day, at))


def day_start(day: date) -> datetime:
    """The UTC instant a local day begins (midnight in Vietnam)."""
    return local_moment(day, time(0))


def day_end(day: date) -> datetime:
    """The UTC instant a local day ends (the next midnight, excluded from the day)."""
    return day_start(day + timedelta(days=1))


def week_start(day: date) -> date:
    """The Monday of the week of ``day``."""
    return day - timedelta(days=day.weekday())


def local_date(value: date | datetime) -> date:
    """The local (Vietnam) day of a stored UTC time; a date is returned as it is."""
    return to_local(value).date() if isinstance(value, datetime) else value


def local_today() -> date:
    """Today's date in Vietnam."""
    return to_local(types.utcnow()).date()


@contextmanager
def clock_at(day: date):
    """Within the block ``utcnow()`` and ``local_today()`` answer as if it were ``day`` (the same time of
    day): the demo loader (`flask demo --today`) and the tests use it; production never does."""
    now = datetime.now(LOCAL_TZ)
    saved = types.CLOCK_SHIFT[0]
    types.CLOCK_SHIFT[0] = datetime.combine(day, now.timetz()) - now
    try:
        yield
    finally:
        types.CLOCK_SHIFT[0] = saved
