"""Collecting the home's cards from every feature and grouping them, most urgent first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from campaign import features
from campaign.core.cards import Card

# The groups of the home, by a card's priority (core/cards.py): late or today, this week, the rest.
GROUPS = [(20, "now", _l("Now")), (50, "week", _l("This week")), (None, "later", _l("At a glance"))]


@dataclass
class Group:
    key: str
    label: str
    cards: list[Card]


def collect(user, today: date) -> list[Card]:
    """Every feature's cards for this person today, most urgent first (then by title)."""
    cards: list[Card] = []
    for module in features.modules("today"):
        cards.extend(module.cards(user, today))
    return sorted(cards, key=lambda c: (c.priority, c.title))


def grouped(cards: list[Card]) -> list[Group]:
    groups = []
    rest = list(cards)
    for limit, key, label in GROUPS:
        mine = [c for c in rest if limit is None or c.priority < limit]
        rest = [c for c in rest if c not in mine]
        if mine:
            groups.append(Group(key, str(label), mine))
    return groups
