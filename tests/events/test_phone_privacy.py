"""A phone number reveals nobody: public registration never attaches to, shows or changes an existing
person because a phone matches; the form says nothing about who is registered (issue 14, 1-2)."""

from __future__ import annotations

from sqlalchemy import func, select

from campaign.events import services
from campaign.events.models import Person, Registration
from campaign.extensions import db
from tests.conftest import TRAN_BIEN
from tests.events.conftest import create_event

REG = {"full_name": "Người Lạ Mặt", "phone": "0901 234 123", "commune_code": str(TRAN_BIEN), "consent": "y"}


def known_resident():
    """A resident an officer registered at the commune office (a known person)."""
    from tests.factories import Factory

    officer = Factory().user("commune_officer", commune=TRAN_BIEN)
    reg, _token = services.register(create_event(), full_name="Nguyễn Thị Hoa", phone="0901234123", consent=True,
                                    birth_year=1958, actor=officer)
    db.session.commit()
    return db.session.get(Person, reg.person_id)


def test_public_registration_with_a_known_phone_shows_and_changes_nobody(client):
    hoa = known_resident()
    consent_before = hoa.consent_at
    other = create_event(title="Lớp học buổi tối")
    resp = client.post(f"/events/{other.id}", data=REG)
    assert resp.status_code == 302
    page = client.get(resp.location).text  # the private page and its ticket
    assert "Người Lạ Mặt" in page
    assert "Nguyễn Thị Hoa" not in page and "1958" not in page
    db.session.expire_all()
    hoa = db.session.get(Person, hoa.id)
    assert hoa.consent_at == consent_before  # her consent was not renewed by a stranger
    assert db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.person_id == hoa.id)) == 1  # no registration she never made
    stranger = db.session.scalar(select(Registration).where(Registration.event_id == other.id)).person
    assert stranger.id != hoa.id and stranger.self_registered and stranger.full_name == "Người Lạ Mặt"


def test_class_enrolment_with_a_known_phone_shows_and_changes_nobody(client, login_as, factory):
    from tests.courses.conftest import create_course

    hoa = known_resident()
    course = create_course()
    resp = client.post(f"/courses/{course.id}/enrol", data={"full_name": "Người Lạ Mặt", "phone": "0901234123",
                                                             "consent": "y"})
    assert resp.status_code == 200
    assert "Bạn đã ghi danh" in resp.text and "Nguyễn Thị Hoa" not in resp.text
    reg = db.session.scalar(select(Registration).where(Registration.event_id == course.event_id))
    assert reg.person_id != hoa.id and reg.person.self_registered


def test_the_form_does_not_say_a_phone_is_already_registered(client):
    event = create_event()
    first = client.post(f"/events/{event.id}", data=dict(REG, full_name="Nguyễn Thị Hoa"))
    again = client.post(f"/events/{event.id}", data=REG)
    assert first.status_code == again.status_code == 302  # the same answer as for any new phone
    assert "Nguyễn Thị Hoa" not in client.get(again.location).text
    unknown = client.post(f"/events/{event.id}", data=dict(REG, phone="0912 345 678"))
    assert unknown.status_code == 302


def test_staff_registration_links_to_the_known_person(login_as, factory):
    event = create_event(commune_code=TRAN_BIEN)
    hoa = known_resident()
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    resp = officer.post(f"/manage/events/{event.id}/register",
                        data={"full_name": "Hoa", "phone": "0901234123", "commune_code": str(TRAN_BIEN),
                              "consent": "y"})
    assert resp.status_code == 302
    reg = db.session.scalar(select(Registration).where(Registration.event_id == event.id))
    assert reg.person_id == hoa.id
    # staff are told about a second registration of the same person (their page may say so)
    resp = officer.post(f"/manage/events/{event.id}/register",
                        data={"full_name": "Hoa", "phone": "0901234123", "commune_code": str(TRAN_BIEN),
                              "consent": "y"})
    assert resp.status_code == 200 and "Người này đã có một đăng ký khác" in resp.text


def test_self_registered_people_may_share_a_phone_but_known_people_may_not(app):
    from sqlalchemy.exc import IntegrityError

    for name in ("A", "B"):
        db.session.add(Person(full_name=name, phone="+84901234123", self_registered=True))
    db.session.commit()
    db.session.add(Person(full_name="C", phone="+84901234123"))
    db.session.add(Person(full_name="D", phone="+84901234123"))
    try:
        db.session.commit()
        raise AssertionError("two known people with one phone")
    except IntegrityError:
        db.session.rollback()
