"""The accounts part of a worker's warm-up (core.warmup): the query that loads the logged-in user
of every request built and run once (on a token no session has), and one user loaded with what
loads with every user (their role grants)."""

from sqlalchemy import select

from campaign.accounts.models import User
from campaign.accounts.services import user_by_session
from campaign.extensions import db


def warm() -> None:
    user_by_session("")
    db.session.scalar(select(User).limit(1))
