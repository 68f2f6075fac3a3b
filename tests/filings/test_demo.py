"""The demo's periods are relative to the day it runs: one open now, one past its deadline."""

from sqlalchemy import select

from campaign.campaigns.demo import MAIN_SLUG
from campaign.campaigns.models import Campaign
from campaign.core.timeutil import local_today
from campaign.extensions import db
from campaign.filings import services


def test_demo_has_an_open_period_and_a_late_one(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    main = db.session.scalar(select(Campaign).where(Campaign.slug == MAIN_SLUG))
    today = local_today()
    current, previous = services.periods_of(main)[:2]
    assert current.starts_on <= today <= current.due_on and previous.due_on < today
    now = services.counts(services.board(current, today))
    assert now["submitted"] >= 2 and now["returned"] == 1 and now["draft"] == 1 and now["late"] == 0
    past = services.counts(services.board(previous, today))
    assert past["late"] == 8 and past["submitted"] == sum(past.values()) - 8
    assert runner.invoke(args=["demo"]).exit_code == 0  # idempotent
    assert services.counts(services.board(current, today)) == now
