"""What a person's home ("Hôm nay") lists: each feature that has something for someone today has a
``campaign/<feature>/today.py`` with ``cards(user, today) -> list[Card]`` (found by
``features.modules("today")``); the home page asks every one and shows the cards, most urgent first."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Card:
    title: str  # what needs the person, translated ("3 bookings to approve")
    url: str  # where it is done: one tap
    action: str  # the button's words ("Approve")
    detail: str = ""  # one more line (a time, a place, a figure)
    count: int | None = None  # how many things wait, when it is a list
    priority: int = 50  # lower comes first; 0-19 urgent (late, today), 20-49 this week, 50+ the rest
    kind: str = ""  # a short machine name for tests and styling ("roll_call", "bookings")
