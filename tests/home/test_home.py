"""The home ("Hôm nay", /today): each role's cards, one tap from where the thing is done; the demo
loaded as of three days of 2026, every demo login with something to do on its home."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from campaign.accounts.demo import DEMO_USERS
from campaign.accounts.models import User
from campaign.core.timeutil import clock_at, local_to_utc, local_today
from campaign.core.types import utcnow
from campaign.courses.models import Course
from campaign.events.models import Event
from campaign.extensions import db
from campaign.home import services
from tests.conftest import TRAN_BIEN


@contextmanager
def counted():
    seen = []

    def before(*_args):
        seen.append(1)

    sa_event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", before)


def cards_on(client) -> list[tuple[str, str]]:
    """(kind, url) of every card on the home page."""
    resp = client.get("/today")
    assert resp.status_code == 200, resp.text
    return re.findall(r'data-kind="([a-z_]+)">\s*<a class="home-card" href="([^"]+)"', resp.text)


def test_a_signed_in_person_lands_on_their_home(app, factory, login_as, client):
    assert client.get("/").status_code == 200  # a visitor: the public home page
    user = factory.user("volunteer", commune=TRAN_BIEN)
    resp = login_as(user).get("/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/today")
    home = login_as(user).get("/today")
    assert "Hôm nay" in home.text and 'aria-current="page"' in home.text


def test_nothing_to_do_says_so(factory, login_as):
    resp = login_as(factory.user("volunteer", commune=TRAN_BIEN)).get("/today")
    assert resp.status_code == 200 and 'id="home-empty"' in resp.text


def test_cards_are_grouped_most_urgent_first():
    from campaign.core.cards import Card

    cards = [Card("later", "/c", "C", priority=70), Card("now", "/a", "A", priority=5),
             Card("week", "/b", "B", priority=30)]
    groups = services.grouped(sorted(cards, key=lambda c: c.priority))
    assert [(g.key, [c.title for c in g.cards]) for g in groups] == [
        ("now", ["now"]), ("week", ["week"]), ("later", ["later"])]


def _course_with_sessions(factory, trainer, n: int) -> Course:
    from campaign.courses import services as courses

    actor = factory.user("province_coordinator", province=75)
    courses.ensure_default_topics()
    start = local_to_utc(datetime.combine(local_today(), time(8))) + timedelta(minutes=n)
    course = courses.create_course(actor, province_code=75, commune_code=TRAN_BIEN, title=f"Lớp {n}",
                                   starts_at=start, ends_at=start + timedelta(hours=1), audience="elderly",
                                   capacity=20, topic_ids=[], trainer_ids=[trainer.id])
    courses.add_weekly_sessions(actor, course, start, start + timedelta(hours=1), 1)
    db.session.commit()
    return course


def test_the_trainers_sessions_today_lead_to_the_roll_call_in_bounded_queries(app, factory, login_as):
    trainer = factory.user("trainer", province=75)
    course = _course_with_sessions(factory, trainer, 1)
    client = login_as(trainer)
    client.get("/today")
    with counted() as one:
        found = cards_on(client)
    session = db.session.scalar(select(Event).where(Event.parent_id == course.event_id))
    assert ("roll_call", f"/courses/{course.id}/sessions/{session.id}/roll-call") in found
    assert client.get(found[0][1]).status_code == 200  # the card's one tap works
    for n in range(2, 6):
        _course_with_sessions(factory, trainer, n)
    with counted() as five:
        found = cards_on(client)
    assert [k for k, _u in found].count("roll_call") == 5
    assert len(five) == len(one)  # no query per session


# --- the demo, as of three days -----------------------------------------------------------------

EXPECTED = {  # the card each demo login must find on its home, whatever the day
    "admin": "health",
    "sokhcn.dongnai": "indicators",
    "canbo.tranbien": "bookings",
    "canbo.longthanh": "bookings",
    "canbo.talai": "bookings",
    "doan.dongnai": "unfilled_shifts",
    "doan.longthanh": "unfilled_shifts",
    "giangvien.hoa": "roll_call",
    "tnv.an": "scan",
}


@pytest.mark.parametrize("day", [date(2026, 3, 15), date(2026, 10, 10), date(2026, 11, 29)], ids=str)
def test_the_demo_as_of_a_day_gives_every_login_something_to_do(app, runner, login_as, day):
    result = runner.invoke(args=["demo", "--no-history", "--today", day.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"9 of 9 demo logins have something to do today ({day:%d/%m/%Y})" in result.output
    assert "→ " in result.output.split("Demo logins", 1)[1]  # what to try, under the logins
    with clock_at(day):
        assert local_today() == day and utcnow().date() in (day, day - timedelta(days=1))
        for username, *_rest in DEMO_USERS:
            user = db.session.scalar(select(User).where(User.username == username))
            client = login_as(user)
            found = cards_on(client)
            kinds = [k for k, _u in found]
            assert EXPECTED[username] in kinds, (username, kinds)
            url = next(u for k, u in found if k == EXPECTED[username])
            assert client.get(url.replace("&amp;", "&")).status_code == 200, (username, url)
    with clock_at(day):
        # the volunteer also has shifts needing people
        an = login_as(db.session.scalar(select(User).where(User.username == "tnv.an")))
        assert "open_shifts" in [k for k, _u in cards_on(an)]
        # once this year's 10/10 has passed, the officers are asked for next year's activity
        officer = login_as(db.session.scalar(select(User).where(User.username == "canbo.tranbien")))
        gaps = [u for k, u in cards_on(officer) if k == "national_day"]
        if day > date(2026, 10, 10):
            assert len(gaps) == 1 and officer.get(gaps[0]).status_code == 200
        else:  # Trấn Biên holds two activities on 10/10/2026
            assert gaps == []


def test_the_demo_loaded_again_on_a_later_day_brings_today_up_to_date(app, runner, login_as):
    assert runner.invoke(args=["demo", "--no-history", "--today", "2026-03-15"]).exit_code == 0
    again = runner.invoke(args=["demo", "--no-history", "--today", "2026-04-20"])
    assert again.exit_code == 0, again.output
    assert "9 of 9 demo logins have something to do today (20/04/2026)" in again.output


def test_the_demo_refuses_a_bad_day(runner):
    result = runner.invoke(args=["demo", "--today", "31/02/2026"])
    assert result.exit_code != 0 and "--today" in result.output
