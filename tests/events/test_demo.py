from datetime import date

from sqlalchemy import func, select

from campaign.core.timeutil import local_today
from campaign.events import services
from campaign.events.demo import NATIONAL_DAY_GAPS
from campaign.events.models import Event, Registration
from campaign.extensions import db


def test_demo_loads_the_event_tree_once(runner):
    result = runner.invoke(args=["demo", "--no-history"])
    assert result.exit_code == 0, result.output
    assert "launch ceremony 87/95 connected" in result.output
    again = runner.invoke(args=["demo", "--no-history"])
    assert again.exit_code == 0, again.output
    assert db.session.scalar(select(func.count()).select_from(Event).where(Event.kind == "bridge_point")) == 95
    day_2026 = services.national_day_bounds(2026)[0]
    assert db.session.scalar(select(func.count()).select_from(Event).where(
        Event.kind == "national_day", Event.starts_at == day_2026)) == 1
    # once 10/10 has passed, the next year's day is there too, its activities still to come
    assert db.session.scalar(select(func.count()).select_from(Event).where(Event.kind == "national_day")) == (
        2 if local_today() > date(local_today().year, 10, 10) else 1)
    ceremony = db.session.scalar(select(Event).where(Event.kind == "launch_ceremony"))
    board = services.launch_board(ceremony)
    assert (board.total, board.connected) == (95, 87) and board.ready >= board.connected
    day = db.session.scalar(select(Event).where(Event.kind == "national_day", Event.starts_at == day_2026))
    assert len(services.national_day_board(day).communes_without) == NATIONAL_DAY_GAPS  # 78 of 95 held one
    # the events demo's own registrations (classes enrol through registrations too)
    first_class = Registration.event_id.in_(select(Event.id).where(Event.series_id.is_not(None)))
    assert db.session.scalar(select(func.count()).select_from(Registration).where(first_class)) == 14
    statuses = set(db.session.scalars(select(Registration.status).where(first_class)))
    assert statuses == {"confirmed", "waitlisted"}
