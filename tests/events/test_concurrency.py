"""Capacity holds when several app processes register for one event at the same moment."""

from sqlalchemy import func, select

from campaign.core.services import DomainError
from campaign.events.models import Event, Registration
from campaign.extensions import db
from tests.concurrency import race
from tests.events.conftest import create_event


def register_one(event_id: int, name: str, phone: str | None, staff_id: int | None = None):
    from campaign.accounts.models import User
    from campaign.events import services

    actor = db.session.get(User, staff_id) if staff_id else None
    try:
        reg, _token = services.register(db.session.get(Event, event_id), full_name=name, phone=phone, consent=True,
                                        actor=actor)
        db.session.commit()
        return reg.status
    except DomainError:
        db.session.rollback()
        return "refused"


def cancel_one(registration_id: int):
    from campaign.events import services

    services.cancel_registration(db.session.get(Registration, registration_id))
    db.session.commit()
    return "cancelled"


def statuses(event_id: int) -> list[str]:
    return list(db.session.scalars(select(Registration.status).where(Registration.event_id == event_id)
                                   .order_by(Registration.id)))


def test_concurrent_registrations_never_exceed_capacity(app):
    event = create_event(capacity=3)
    args = [(event.id, f"Người {n}", f"09012345{n:02d}") for n in range(8)]
    results = race("tests.events.test_concurrency:register_one", args, app.config["SQLALCHEMY_DATABASE_URI"])
    assert sorted(results) == ["confirmed"] * 3 + ["waitlisted"] * 5, results
    db.session.expire_all()
    assert db.session.get(Event, event.id).confirmed_count == 3
    assert statuses(event.id).count("confirmed") == 3


def test_concurrent_staff_registrations_of_one_known_phone_register_once(app, factory):
    """Staff registrations link to the known person with the phone: one person, one registration.
    (Public ones never match a phone: each is the visitor's own record, see test_phone_privacy.)"""
    from tests.conftest import TRAN_BIEN

    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    event = create_event(capacity=10)
    args = [(event.id, "Cùng một người", "0901234123", officer.id)] * 5
    results = race("tests.events.test_concurrency:register_one", args, app.config["SQLALCHEMY_DATABASE_URI"])
    assert sorted(map(str, results)) == ["confirmed"] + ["refused"] * 4, results
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1


def test_concurrent_cancels_promote_each_waiting_person_once(app):
    from tests.events.conftest import register

    event = create_event(capacity=3)
    regs = [register(event, name=f"Người {n}")[0] for n in range(7)]
    confirmed = [r.id for r in regs[:3]]
    results = race("tests.events.test_concurrency:cancel_one", [(i,) for i in confirmed],
                   app.config["SQLALCHEMY_DATABASE_URI"])
    assert results == ["cancelled"] * 3
    db.session.expire_all()
    # the three freed places went to the first three on the waiting list, in order
    assert statuses(event.id) == ["cancelled"] * 3 + ["confirmed"] * 3 + ["waitlisted"]
    assert db.session.get(Event, event.id).confirmed_count == 3


def register_group_of(event_id: int, contact: str, size: int):
    from campaign.events import services

    group, _token = services.register_group(db.session.get(Event, event_id), contact_name=contact,
                                            contact_phone="0912345678", consent=True,
                                            people=[dict(full_name=f"{contact} {i}") for i in range(size)])
    db.session.commit()
    return [r.status for r in group.registrations]


def test_concurrent_group_registrations_never_exceed_capacity(app):
    """Groups registered on someone's behalf at the same moment (issue 17): places go per person, in
    order, and the event never holds more confirmed people than its capacity."""
    event = create_event(capacity=5)
    args = [(event.id, f"Gia đình {n}", 2) for n in range(4)]
    results = race("tests.events.test_concurrency:register_group_of", args, app.config["SQLALCHEMY_DATABASE_URI"])
    flat = [s for group in results for s in group]
    assert sorted(flat) == ["confirmed"] * 5 + ["waitlisted"] * 3, results
    for group in results:  # within a group, the first listed gets the place first
        assert group in (["confirmed", "confirmed"], ["confirmed", "waitlisted"], ["waitlisted", "waitlisted"])
    db.session.expire_all()
    assert db.session.get(Event, event.id).confirmed_count == 5
