"""What to try as each demo login: the first cards of their home, as of the day the demo is loaded
(`flask demo` prints them under the logins). Runs last: every feature's demo data is there."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from campaign.accounts.models import User
from campaign.core.timeutil import local_today
from campaign.extensions import db
from campaign.home import services

SHOWN = 3


def load(context: dict) -> None:
    names = [username for username, _role in context.get("logins", [])]
    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(names)))}
    today = local_today()
    tries: dict[str, list[str]] = {}
    with current_app.test_request_context("/today"):
        for name in names:
            if name in users:
                cards = services.collect(users[name], today)
                tries[name] = [f"{c.title} ({c.action}: {c.url})" for c in cards[:SHOWN]]
    context["try"] = tries
    busy = sum(1 for lines in tries.values() if lines)
    context["echo"](f"home: {busy} of {len(tries)} demo logins have something to do today ({today:%d/%m/%Y})")
