"""Where feed items come from. Each feature that has things with a time contributes a function;
feeds keep a bounded window (60 days back, 12 months ahead) so that they stay small."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from campaign.calendars.ical import FeedItem
from campaign.core.types import utcnow

WINDOW_BACK = timedelta(days=60)
WINDOW_AHEAD = timedelta(days=365)


def window(now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or utcnow()
    return now - WINDOW_BACK, now + WINDOW_AHEAD


# scope -> function(user, start, end) -> list[FeedItem]; filled as features are wired in.
PRIVATE: dict[str, Callable[..., list[FeedItem]]] = {}


def private_items(user, scope: str) -> list[FeedItem]:
    func = PRIVATE.get(scope)
    if func is None:
        return []
    start, end = window()
    return func(user, start, end)
