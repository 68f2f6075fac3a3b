"""Ticket pages, the printable sheet, stewards and the demo data."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from campaign.checkin import demo
from campaign.checkin.models import StewardGrant, Ticket
from campaign.extensions import db
from tests.checkin.qrread import read_png, read_svg
from tests.checkin.test_checkin import statements


def test_ticket_page_png_and_svg(client, cf):
    ticket = cf.ticket(name="Bà Nguyễn Thị Sáu")
    page = client.get(f"/tickets/{ticket.token}")
    assert page.status_code == 200
    assert ticket.short_code in page.text and "Bà Nguyễn Thị Sáu" in page.text
    assert page.headers["Cache-Control"] == "private, no-store"
    assert [r.text for r in read_svg(page.text[page.text.index("<svg"):])] == [ticket.code]
    assert [r.text for r in read_png(client.get(f"/tickets/{ticket.token}/qr.png").data)] == [ticket.code]
    assert [r.text for r in read_svg(client.get(f"/tickets/{ticket.token}/qr.svg").text)] == [ticket.code]
    assert client.get("/tickets/00000000000000000000").status_code == 404
    assert client.get("/tickets/short").status_code == 404


def test_reissue_revokes_the_old_ticket(cf, factory, login_as):
    ticket = cf.ticket()
    officer = login_as(factory.user("commune_officer"))
    resp = officer.post(f"/checkin/tickets/{ticket.token}/reissue")
    assert resp.status_code == 302
    assert db.session.get(Ticket, ticket.id).revoke_reason == "reissued"
    old_page = officer.get(f"/tickets/{ticket.token}").text
    assert "Đã được thay" in old_page and "<svg" not in old_page and ticket.short_code not in old_page
    live = db.session.scalar(select(Ticket).where(Ticket.revoked_at.is_(None)))
    assert live.registration_id == ticket.registration_id and live.code != ticket.code
    assert f"/tickets/{live.token}" in old_page  # the organiser is led to the new ticket


def _print_queries(client, event_id: int) -> int:
    with statements() as seen:
        resp = client.get(f"/checkin/events/{event_id}/print")
    assert resp.status_code == 200
    return len(seen)


def test_printable_sheet_of_residents_registered_on_their_behalf(cf, factory, login_as):
    event = cf.event()
    officer = factory.user("commune_officer")
    client = login_as(officer)
    mine = [cf.ticket(event, name=f"Cụ ông {i}", registered_by=officer) for i in range(2)]
    cf.ticket(event, name="Người khác")
    page = client.get(f"/checkin/events/{event.id}/print")
    assert all(t.short_code in page.text for t in mine) and "Người khác" not in page.text
    assert page.text.count("<svg") == 2
    # Printing issues nothing (tickets are issued on confirmation; a registration written around the
    # events services has none and is not printed); a bounded number of queries, whatever the number.
    reg = cf.registration(event, name="Cụ bà", registered_by=officer, ticket=False)
    assert "Cụ bà" not in client.get(f"/checkin/events/{event.id}/print").text
    assert db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.registration_id == reg.id)) == 0
    small = _print_queries(client, event.id)
    for i in range(12):
        cf.ticket(event, name=f"Cụ {i}", registered_by=officer, commit=False)
    db.session.commit()
    assert _print_queries(client, event.id) == small


def test_organiser_names_and_removes_a_steward(cf, factory, login_as):
    event = cf.event()
    volunteer = factory.user("volunteer", username="tnv.binh")
    officer = login_as(factory.user("commune_officer"))
    resp = officer.post(f"/checkin/events/{event.id}/stewards", data={"username": "tnv.binh"})
    assert resp.status_code == 302
    grant = db.session.scalar(select(StewardGrant))
    assert grant.user_id == volunteer.id
    again = officer.post(f"/checkin/events/{event.id}/stewards", data={"username": "tnv.binh"})
    assert again.status_code == 302 and db.session.scalar(select(func.count()).select_from(StewardGrant)) == 1
    unknown = officer.post(f"/checkin/events/{event.id}/stewards", data={"username": "khong-co"})
    assert unknown.status_code == 200 and "Không có tài khoản" in unknown.text
    steward = login_as(volunteer)
    assert steward.get(f"/checkin/events/{event.id}/scan").status_code == 200
    assert "Check-in" in steward.get("/checkin/").text
    officer.post(f"/checkin/stewards/{grant.id}/revoke")
    assert steward.get(f"/checkin/events/{event.id}/scan").status_code == 403


def test_demo_is_idempotent(cf, factory):
    factory.user("volunteer", username="tnv.an")
    event = cf.event()
    for _ in range(3):
        cf.registration(event, ticket=False)
    messages: list[str] = []
    context = {"echo": messages.append}
    demo.load(context)
    db.session.commit()
    demo.load(context)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 3
    assert db.session.scalar(select(func.count()).select_from(StewardGrant)) == 1
    assert messages[1].startswith("checkin: 0 tickets issued, 0 steward")
    # The offline conflict the README promises (issue 22): reported, and on the conflicts page.
    assert "2 offline scans, 1 offline conflict" in messages[0] and "0 offline scans, 1 offline conflict" in messages[1]
    assert f"/checkin/events/{event.id}/conflicts" in messages[0]


def test_demo_puts_the_conflict_where_the_residents_are_registered(cf, factory, login_as):
    """The commune's first event may have no registration (issue 22, point 9): the demo chooses the
    event whose tickets exist, and the organisers see the conflict."""
    factory.user("volunteer", username="tnv.an")
    cf.event(title="Lễ ra quân (không đăng ký)")
    later = cf.event(title="Lớp kỹ năng số tối thứ Năm", starts_at=datetime(2026, 10, 17, 1, 0, tzinfo=UTC))
    cf.ticket(later)
    messages: list[str] = []
    demo.load({"echo": messages.append})
    db.session.commit()
    assert f"1 offline conflict (/checkin/events/{later.id}/conflicts)" in messages[0]
    page = login_as(factory.user("commune_officer")).get(f"/checkin/events/{later.id}/conflicts")
    assert page.status_code == 200 and "demo-pho" in page.text


def test_registration_page_partial_shows_the_ticket_and_issues_none(app, cf):
    from flask import render_template_string

    event = cf.event()
    ticket = cf.ticket(event)
    reg = ticket.registration
    with app.test_request_context("/"):
        html = render_template_string('{% include "checkin/_registration_ticket.html" %}', reg=reg)
    assert ticket.short_code in html
    assert [r.text for r in read_svg(html[html.index("<svg"):])] == [ticket.code]
    # A registration without a ticket (written around the events services) gets none by being shown.
    bare = cf.registration(event, ticket=False)
    with app.test_request_context("/"):
        assert "<svg" not in render_template_string('{% include "checkin/_registration_ticket.html" %}', reg=bare)
    assert db.session.scalar(select(Ticket).where(Ticket.registration_id == bare.id)) is None
    reg.status = "cancelled"
    db.session.commit()
    with app.test_request_context("/"):
        assert "<svg" not in render_template_string('{% include "checkin/_registration_ticket.html" %}', reg=reg)


def test_provincial_event_is_managed_by_the_province(cf, factory, login_as):
    ceremony = cf.event(commune=None, title="Lễ phát động cấp tỉnh")
    coordinator = login_as(factory.user("province_coordinator"))
    officer = login_as(factory.user("commune_officer"))
    assert coordinator.get(f"/checkin/events/{ceremony.id}/stewards").status_code == 200
    assert "Lễ phát động cấp tỉnh" in coordinator.get("/checkin/").text
    assert officer.get(f"/checkin/events/{ceremony.id}/stewards").status_code == 403
