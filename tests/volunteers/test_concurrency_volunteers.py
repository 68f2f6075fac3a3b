"""No overbooking under concurrency: many app processes sign up for the last places of one shift at once
(and join the waiting list when asked), on SQLite and on PostgreSQL."""

from sqlalchemy import func, select

from campaign.extensions import db
from campaign.volunteers.models import Signup
from tests.concurrency import race


def sign_up_as(user_id: int, shift_id: int, join_waitlist: bool = False):
    from sqlalchemy.exc import IntegrityError, OperationalError

    from campaign.accounts.models import User
    from campaign.core.services import DomainError
    from campaign.volunteers.models import Shift
    from campaign.volunteers.services import sign_up

    try:
        signup = sign_up(db.session.get(User, user_id), db.session.get(Shift, shift_id), join_waitlist=join_waitlist)
        db.session.commit()
        return signup.status
    except DomainError:
        db.session.rollback()
        return "refused"
    except (IntegrityError, OperationalError) as exc:
        db.session.rollback()
        return f"db error: {exc.__class__.__name__}"


def _confirmed(shift_id):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Signup).where(
        Signup.shift_id == shift_id, Signup.status == "confirmed"))


def test_many_processes_race_for_the_last_two_places(app, make_profile, make_shift):
    shift = make_shift(max_needed=3)
    early = make_profile()
    from campaign.volunteers.services import sign_up

    sign_up(early.user, shift)
    db.session.commit()
    racers = [make_profile() for _ in range(10)]
    results = race("tests.volunteers.test_concurrency_volunteers:sign_up_as",
                   [(p.user_id, shift.id) for p in racers], app.config["SQLALCHEMY_DATABASE_URI"])
    assert sorted(results) == ["confirmed"] * 2 + ["refused"] * 8, results
    assert _confirmed(shift.id) == 3


def test_racers_who_accept_the_waiting_list_are_queued_not_overbooked(app, make_profile, make_shift):
    shift = make_shift(max_needed=2)
    racers = [make_profile() for _ in range(8)]
    results = race("tests.volunteers.test_concurrency_volunteers:sign_up_as",
                   [(p.user_id, shift.id, True) for p in racers], app.config["SQLALCHEMY_DATABASE_URI"])
    assert sorted(results) == ["confirmed"] * 2 + ["waitlisted"] * 6, results
    assert _confirmed(shift.id) == 2


def test_one_volunteer_racing_for_overlapping_shifts_gets_one(app, make_profile, make_shift):
    from tests.conftest import LONG_THANH

    me = make_profile()
    shifts = [make_shift(start=48 + i, hours=4, commune=(LONG_THANH if i % 2 else 26041)) for i in range(4)]
    results = race("tests.volunteers.test_concurrency_volunteers:sign_up_as",
                   [(me.user_id, s.id) for s in shifts], app.config["SQLALCHEMY_DATABASE_URI"])
    assert sorted(results) == ["confirmed"] + ["refused"] * 3, results
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Signup).where(Signup.status == "confirmed")) == 1
