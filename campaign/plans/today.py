"""Home ("Hôm nay") card: the open tasks the user's units lead, the overdue ones first."""

from __future__ import annotations

from datetime import date

from flask import url_for
from flask_babel import gettext as _

from campaign.core.cards import Card
from campaign.plans import services


def cards(user, today: date) -> list[Card]:
    rows = [t for t, role in services.tasks_of_units(services.acting_unit_ids(user))
            if role == "lead" and t.status not in ("done", "cancelled")]
    if not rows:
        return []
    overdue = sum(t.overdue(today) for t in rows)
    return [Card(title=_("Your unit leads %(n)d open tasks of the plan", n=len(rows)), url=url_for("plans.index"),
                 action=_("Update the status"), detail=_("%(n)d overdue", n=overdue) if overdue else "",
                 count=len(rows), priority=10 if overdue else 40, kind="plan_tasks")]
