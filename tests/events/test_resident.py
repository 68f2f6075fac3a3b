"""A resident's path without an account (the commune home, lists that start today, the 10/10 group,
classes listed once) and registering people on their behalf (issue 17, items 2 and 3)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from campaign.core.models import AuditLog
from campaign.core.services import DomainError
from campaign.events import services
from campaign.events.models import Person, Registration, RegistrationGroup
from campaign.extensions import db
from tests.conftest import DONG_NAI, LONG_THANH, TRAN_BIEN
from tests.events.conftest import create_event, future

PEOPLE = [dict(full_name="Trần Thị Bảy", birth_year=1950), dict(full_name="Lê Minh Khang", birth_year=2014)]


def national_day_with_activity(commune=LONG_THANH, **kw):
    day = services.create_national_day(None, DONG_NAI, future(30).year).parent
    db.session.commit()
    act = create_event(parent=day, commune_code=commune, kind="workshop",
                       title=kw.pop("title", "Ngày hội số Long Thành"), starts_at=future(5), **kw)
    return day, act


# --- the home page ------------------------------------------------------------------------------

def test_home_asks_for_the_commune_accent_insensitively(client):
    page = client.get("/").get_data(as_text=True)
    assert "Bạn sống ở đâu?" in page
    found = client.get("/?province=75&q=long thanh").get_data(as_text=True)
    assert f"/?commune={LONG_THANH}" in found
    assert f"/?commune={TRAN_BIEN}" not in found
    assert f"/?commune={TRAN_BIEN}" in client.get("/?province=75&q=tran bien").get_data(as_text=True)  # đ/ấ folded


def test_home_remembers_the_commune_and_lists_what_is_coming_soonest_first(client):
    later = create_event(commune_code=LONG_THANH, title="Lớp muộn", kind="talk", starts_at=future(9))
    sooner = create_event(commune_code=LONG_THANH, title="Lớp sớm", kind="talk", starts_at=future(2))
    create_event(commune_code=LONG_THANH, title="Đã qua", kind="talk", starts_at=future(-5))
    create_event(commune_code=TRAN_BIEN, title="Ở phường khác", kind="talk", starts_at=future(2))
    resp = client.get(f"/?commune={LONG_THANH}")
    assert resp.status_code == 200
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith(f"commune={LONG_THANH};") and "HttpOnly" in cookie
    page = client.get("/").get_data(as_text=True)  # remembered: the same list without choosing again
    assert page.index(sooner.title) < page.index(later.title)
    assert "Đã qua" not in page and "Ở phường khác" not in page
    assert "Bạn sống ở đâu?" in client.get("/?change=1").get_data(as_text=True)


def test_home_lists_a_class_once_with_its_sessions(client):
    course = create_event(commune_code=LONG_THANH, kind="other", title="Lớp kỹ năng số cho người cao tuổi",
                          starts_at=future(1), capacity=20)
    for days in (1, 8, 15):
        create_event(commune_code=LONG_THANH, kind="class_session", parent=course, title=course.title,
                     starts_at=future(days), registration_open=False)
    page = client.get(f"/?commune={LONG_THANH}").get_data(as_text=True)
    assert page.count(course.title) == 1
    assert "Next sessions" in page or "Các buổi tới" in page


# --- lists -----------------------------------------------------------------------------------------

def test_event_list_starts_today_past_behind_a_toggle(client):
    create_event(title="Sự kiện tháng trước", starts_at=future(-30))
    create_event(title="Sự kiện tuần sau", starts_at=future(7))
    page = client.get("/events").get_data(as_text=True)
    assert "Sự kiện tuần sau" in page and "Sự kiện tháng trước" not in page
    past = client.get("/events?past=1").get_data(as_text=True)
    assert "Sự kiện tháng trước" in past and "Sự kiện tuần sau" not in past
    assert "Past" in past or "Đã qua" in past


def test_kind_filter_treats_the_10_10_activities_as_one_group(client):
    day, act = national_day_with_activity()
    create_event(commune_code=LONG_THANH, kind="talk", title="Buổi nói chuyện thường", starts_at=future(3))
    page = client.get(f"/events?commune={LONG_THANH}&kind=national_day_activity").get_data(as_text=True)
    assert act.title in page and "Buổi nói chuyện thường" not in page
    ids = {e.id for e in db.session.scalars(services.public_events_query(kind="national_day_activity"))}
    assert act.id in ids and day.id in ids


def test_10_10_page_grouped_by_commune_with_search(client):
    day, act = national_day_with_activity()
    other = create_event(parent=day, commune_code=TRAN_BIEN, kind="talk", title="Ngày hội số Trấn Biên",
                         starts_at=future(5))
    page = client.get(f"/events/{day.id}").get_data(as_text=True)
    assert "Xã Long Thành" in page and "Phường Trấn Biên" in page
    found = client.get(f"/events/{day.id}?q=long thanh").get_data(as_text=True)
    assert act.title in found and other.title not in found


def test_class_once_in_lists_and_session_leads_to_its_class(client):
    course = create_event(kind="other", title="Lớp học dùng điện thoại thông minh", capacity=20, starts_at=future(1))
    session = create_event(kind="class_session", parent=course, title=course.title, starts_at=future(2),
                           registration_open=False)
    page = client.get("/events").get_data(as_text=True)
    assert page.count(course.title) == 1
    assert client.get("/events?kind=class_session").get_data(as_text=True).count(course.title) == 1
    session_page = client.get(f"/events/{session.id}").get_data(as_text=True)
    assert "Registration for this event is closed" not in session_page
    assert f'id="to-class" href="/events/{course.id}"' in session_page


# --- registering on someone's behalf ----------------------------------------------------------------

def register_group(event, people=PEOPLE, **kw):
    values = dict(contact_name="Trần Văn Hùng", contact_phone="0912 345 678", people=people, consent=True,
                  relation="relative")
    values.update(kw)
    group, token = services.register_group(event, **values)
    db.session.commit()
    return group, token


def test_group_registration_keeps_the_contact_phone_off_the_people(app):
    event = create_event(capacity=10)
    group, token = register_group(event)
    regs = db.session.scalars(select(Registration).where(Registration.group_id == group.id)
                              .order_by(Registration.id)).all()
    assert [r.person.full_name for r in regs] == ["Trần Thị Bảy", "Lê Minh Khang"]
    assert all(r.person.phone is None and r.person.self_registered for r in regs)
    assert all(r.status == "confirmed" for r in regs)
    assert group.contact_phone == "+84912345678"
    # the consent: given by the contact, when, on whose behalf
    assert group.consent_at is not None and group.consent_text == services.CONSENT_VERSION
    assert all(r.person.consent_at is not None for r in regs)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "registration_group.created"))
    assert entry is not None
    # each person has their own private link, derived from the group's
    for i, reg in enumerate(regs):
        assert services.find_registration(services.member_token(token, i)).id == reg.id
    # a known person with the contact's phone is not touched, nor created
    assert db.session.scalar(select(func.count()).select_from(Person).where(Person.phone == "+84912345678")) == 0


def test_group_registration_is_all_or_nothing_on_bad_input(app):
    event = create_event(capacity=10)
    with pytest.raises(DomainError):
        services.register_group(event, contact_name="Hùng", contact_phone="0912345678", consent=True,
                                people=[dict(full_name="Bà Bảy"), dict(full_name="X" * 130)])
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0
    assert db.session.scalar(select(func.count()).select_from(RegistrationGroup)) == 0
    for bad in (dict(consent=False), dict(contact_phone=""), dict(people=[dict(full_name="")]),
                dict(people=[dict(full_name=f"Người {i}") for i in range(7)])):
        with pytest.raises(DomainError):
            register_group(event, **bad)
        db.session.rollback()


def test_group_places_are_given_per_person_in_order_then_waiting_list(app):
    event = create_event(capacity=1)
    group, token = register_group(event)
    statuses = [r.status for r in db.session.scalars(select(Registration).where(Registration.group_id == group.id)
                                                     .order_by(Registration.id))]
    assert statuses == ["confirmed", "waitlisted"]
    db.session.refresh(event)
    assert event.confirmed_count == 1
    # cancelling the first person's place promotes the second
    first = services.find_registration(services.member_token(token, 0))
    services.cancel_registration(first)
    db.session.commit()
    assert services.find_registration(services.member_token(token, 1)).status == "confirmed"


def test_on_behalf_page_registers_and_shows_every_ticket_on_one_page(client):
    day, act = national_day_with_activity(capacity=30)
    url = f"/events/{act.id}/on-behalf"
    form = client.get(url).get_data(as_text=True)
    assert 'name="people-0-full_name"' in form
    resp = client.post(url, data={"contact_name": "Trần Văn Hùng",
                                  "contact_phone": "0912345678", "relation": "relative",
                                  "people-0-full_name": "Trần Thị Bảy", "people-0-birth_year": "1950",
                                  "people-1-full_name": "Lê Minh Khang", "people-1-birth_year": "2014",
                                  "people-2-full_name": "", "commune_code": str(LONG_THANH), "consent": "y"})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/g/")
    page = client.get(resp.headers["Location"])
    assert page.headers["Cache-Control"] == "private, no-store"
    text = page.get_data(as_text=True)
    assert "Trần Thị Bảy" in text and "Lê Minh Khang" in text
    assert text.count("ticket-short") == 2  # two tickets, on one page
    assert "Trần Văn Hùng" in text  # the consent: who gave it
    links = re.findall(r'href="(/r/[^"]+)"', text)
    assert len(links) == 2
    assert "Lê Minh Khang" in client.get(links[1]).get_data(as_text=True)
    # one message to the contact, listing the tickets
    from campaign.messages.models import Message
    msgs = db.session.scalars(select(Message).where(Message.template == "group_registration")).all()
    assert len(msgs) == 1 and msgs[0].address == "+84912345678"
    assert [p["name"] for p in msgs[0].params["people"]] == ["Trần Thị Bảy", "Lê Minh Khang"]


def test_on_behalf_form_errors_are_shown_not_500(client):
    event = create_event()
    url = f"/events/{event.id}/on-behalf"
    assert client.get(url).status_code == 200
    resp = client.post(url, data={"contact_name": "Hùng", "contact_phone": "0912345678",
                                  "relation": "relative", "people-0-full_name": "", "consent": "y"})
    assert resp.status_code == 200
    assert "at least one person" in resp.get_data(as_text=True) or "ít nhất một người" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


def test_group_page_unknown_token_is_404(client):
    assert client.get("/g/not-a-token").status_code == 404


def test_resident_pages_run_a_bounded_number_of_queries(client):
    from tests.events.test_views import queries

    day, _act = national_day_with_activity()

    def add(n):
        for i in range(n):
            course = create_event(commune_code=LONG_THANH, kind="other", title=f"Lớp {i}", starts_at=future(1 + i))
            create_event(commune_code=LONG_THANH, kind="class_session", parent=course, title=course.title,
                         starts_at=future(2 + i), registration_open=False)
            create_event(parent=day, commune_code=TRAN_BIEN if i % 2 else LONG_THANH, kind="talk",
                         title=f"Hoạt động {i}", starts_at=future(5))

    add(2)
    few = (queries(client, f"/?commune={LONG_THANH}"), queries(client, "/events"), queries(client, f"/events/{day.id}"))
    add(8)
    many = (queries(client, f"/?commune={LONG_THANH}"), queries(client, "/events"), queries(client, f"/events/{day.id}"))
    assert many == few
