"""Issue 22: tickets follow confirmation through the events' signals (7) — a live ticket exists
exactly for each confirmed registration — and a ticket that no longer admits says so (1)."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from campaign.checkin.models import Ticket
from campaign.events import services as events
from campaign.events.models import Registration
from campaign.extensions import db
from tests.checkin.qrread import read_svg

FUTURE = datetime(2027, 1, 10, 1, 0, tzinfo=UTC)


def _live(reg_id: int) -> Ticket | None:
    db.session.expire_all()
    return db.session.scalar(select(Ticket).where(Ticket.registration_id == reg_id, Ticket.revoked_at.is_(None)))


def _exactly_one_live_ticket_per_confirmed(event_id: int) -> None:
    db.session.expire_all()
    confirmed = set(db.session.scalars(select(Registration.id).where(
        Registration.event_id == event_id, Registration.status == "confirmed")))
    live = list(db.session.scalars(select(Ticket.registration_id).where(
        Ticket.event_id == event_id, Ticket.revoked_at.is_(None))))
    assert sorted(live) == sorted(confirmed)


def test_tickets_follow_confirmation_waiting_list_and_cancellation(cf, factory):
    event = cf.event(capacity=1, registration_open=True, visibility="public", starts_at=FUTURE)
    first, _t = events.register(event, full_name="Nguyễn Văn An", consent=True)
    second, _t = events.register(event, full_name="Trần Thị Bình", consent=True)
    db.session.commit()
    assert first.status == "confirmed" and second.status == "waitlisted"
    assert _live(first.id) is not None and _live(second.id) is None  # issued on confirmation, not on display
    _exactly_one_live_ticket_per_confirmed(event.id)

    events.cancel_registration(db.session.get(Registration, first.id))  # the place goes to Bình
    db.session.commit()
    old = db.session.scalar(select(Ticket).where(Ticket.registration_id == first.id))
    assert old.revoke_reason == "cancelled" and _live(second.id) is not None
    _exactly_one_live_ticket_per_confirmed(event.id)

    officer = factory.user("commune_officer")
    events.set_registration_status(officer, db.session.get(Registration, second.id), "waitlisted")
    db.session.commit()
    assert _live(second.id) is None
    ticket_of_second = db.session.scalar(select(Ticket).where(Ticket.registration_id == second.id))
    events.set_registration_status(officer, db.session.get(Registration, second.id), "confirmed")
    db.session.commit()
    # confirmed again: the same ticket works again (a printed copy keeps working)
    assert _live(second.id).id == ticket_of_second.id
    _exactly_one_live_ticket_per_confirmed(event.id)


def test_imported_learners_get_their_tickets(app, factory, login_as):
    """The residents import (reports/importers.py) enrols through events.register: each enrolled
    learner has a ticket, issued by the signal, before any page is shown."""
    from tests.conftest import TRAN_BIEN
    from tests.courses.conftest import create_course
    from tests.reports.test_imports_people import RES_HEADER, _confirm, _csv, _upload

    course = create_course(capacity=5)
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    rows = [RES_HEADER] + [[f"Học viên {i}", f"09123460{i:02d}", 1970, "", TRAN_BIEN, "", "", "", "", "có"]
                           for i in range(3)]
    resp = _upload(officer, "residents", "r.csv", _csv(rows), course_id=str(course.id))
    assert _confirm(officer, "residents", resp, filename="r.csv", course_id=str(course.id)).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.event_id == course.event_id, Ticket.revoked_at.is_(None))) == 3
    _exactly_one_live_ticket_per_confirmed(course.event_id)


def test_cancelled_ticket_page_shows_no_qr(client, cf):
    ticket = cf.ticket(name="Bà Lê Thị Tám")
    assert "<svg" in client.get(f"/tickets/{ticket.token}").text
    events.cancel_registration(ticket.registration)
    db.session.commit()
    page = client.get(f"/tickets/{ticket.token}")
    assert page.status_code == 200
    assert "Đăng ký này đã bị hủy" in page.text and 'data-ticket-state="cancelled"' in page.text
    assert "<svg" not in page.text and ticket.short_code not in page.text and "Bà Lê Thị Tám" in page.text
    assert client.get(f"/tickets/{ticket.token}/qr.png").status_code == 404
    assert client.get(f"/tickets/{ticket.token}/qr.svg").status_code == 404


def test_replaced_ticket_links_to_the_new_one_only_for_those_who_may_hold_it(client, cf, factory, login_as):
    officer = factory.user("commune_officer")
    helper = factory.user("volunteer")
    ticket = cf.ticket(registered_by=helper)
    login_as(officer).post(f"/checkin/tickets/{ticket.token}/reissue")
    new = _live(ticket.registration_id)
    assert new.id != ticket.id
    anonymous = client.get(f"/tickets/{ticket.token}").text
    assert 'data-ticket-state="replaced"' in anonymous and "<svg" not in anonymous
    assert new.token not in anonymous and "trang đăng ký" in anonymous  # a leaked old link leads nowhere
    for who in (officer, helper):
        page = login_as(who).get(f"/tickets/{ticket.token}").text
        assert f"/tickets/{new.token}" in page and "Mở vé mới" in page
    page = client.get(f"/tickets/{new.token}").text
    assert [r.text for r in read_svg(page[page.index("<svg"):])] == [new.code]


def test_ticket_of_a_cancelled_event_shows_no_qr(client, cf):
    ticket = cf.ticket()
    events.cancel_event(None, ticket.registration.event)
    db.session.commit()
    page = client.get(f"/tickets/{ticket.token}").text
    assert 'data-ticket-state="event_cancelled"' in page and "<svg" not in page


def test_data_migration_issues_missing_tickets(app, cf):
    """0015: confirmed registrations of the old way (ticket on first display) get theirs; a live
    ticket of a cancelled registration is revoked."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    event = cf.event()
    bare = [cf.registration(event, ticket=False) for _ in range(3)]
    waiting = cf.registration(event, ticket=False, status="waitlisted")
    stale = cf.ticket(event)
    stale.registration.status = "cancelled"
    db.session.commit()
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0018_rough_tickets_for_confirmed.py"
    spec = importlib.util.spec_from_file_location("rough_0015", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with db.engine.begin() as conn:
        with Operations.context(MigrationContext.configure(conn)):
            module.upgrade()
    for reg in bare:
        assert _live(reg.id) is not None
    assert _live(waiting.id) is None and _live(stale.registration_id) is None
    _exactly_one_live_ticket_per_confirmed(event.id)
    from campaign.checkin import services

    new = _live(bare[0].id)
    assert services.verify_code(new.code) is not None  # signed with the campaign's key


def register_for(event_id: int, name: str):
    from campaign.events.models import Event

    reg, _token = events.register(db.session.get(Event, event_id), full_name=name, consent=True)
    db.session.commit()
    return reg.status


def test_first_registrations_at_the_same_moment_share_one_new_signing_key(app, cf):
    """The key is made by the first ticket: concurrent first registrations (other events, the same
    scope) must not fail on the one-active-key index."""
    from campaign.checkin.models import SigningKey
    from tests.concurrency import race

    first = cf.event(visibility="public", registration_open=True, starts_at=FUTURE)
    second = cf.event(visibility="public", registration_open=True, starts_at=FUTURE)
    args = [(e.id, f"Người {n}") for n, e in enumerate([first, second] * 3)]
    results = race("tests.checkin.test_ticket_lifecycle:register_for", args, app.config["SQLALCHEMY_DATABASE_URI"])
    assert results == ["confirmed"] * 6, results
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SigningKey)) == 1
    _exactly_one_live_ticket_per_confirmed(first.id)
    _exactly_one_live_ticket_per_confirmed(second.id)
