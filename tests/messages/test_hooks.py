"""What is sent when, for the other features: shifts, volunteers, bookings, certificates, sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from campaign.extensions import db
from campaign.messages import outbox
from tests.conftest import DONG_NAI, TRAN_BIEN
from tests.messages.helpers import messages, text_of


def volunteer(factory, email: str):
    from campaign.volunteers.models import VolunteerProfile

    user = factory.user("volunteer", commit=False)
    user.email = email
    profile = VolunteerProfile(user_id=user.id, phone=f"+8491{abs(hash(email)) % 10**7:07d}",
                               home_commune_code=TRAN_BIEN, skills=[], languages=["vi"],
                               consent_at=datetime.now(UTC), status="pending")
    db.session.add(profile)
    db.session.commit()
    return profile


def test_volunteer_approval_and_shift_change_cancel_promotion(app, factory, mailbox):
    from campaign.campaigns.models import Campaign
    from campaign.volunteers import services as vol
    from campaign.volunteers.models import Shift

    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    a, b = volunteer(factory, "a@example.vn"), volunteer(factory, "b@example.vn")
    vol.decide_volunteer(officer, a, True)
    vol.decide_volunteer(officer, b, True)
    db.session.commit()
    assert len(messages(kind="approved")) == 2
    today = datetime.now(UTC).date()
    camp = Campaign(province_code=DONG_NAI, name="Mùa hè số", slug="mhs-hooks", kind="summer",
                    starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=60))
    db.session.add(camp)
    db.session.flush()
    start = (datetime.now(UTC) + timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    shift = Shift(campaign_id=camp.id, commune_code=TRAN_BIEN, starts_at=start, ends_at=start + timedelta(hours=3),
                  max_needed=1, min_needed=1, location="Ấp 2")
    db.session.add(shift)
    db.session.commit()
    vol.sign_up(a.user, shift)
    vol.sign_up(b.user, shift, join_waitlist=True)
    db.session.commit()
    signup_a = next(s for s in shift.signups if s.volunteer_id == a.id)
    vol.cancel_signup(a.user, signup_a)
    db.session.commit()
    [promoted] = messages(kind="promoted")
    assert promoted.user_id == b.user_id
    vol.update_shift(officer, shift, **{**_shift_values(shift), "location": "Nhà văn hóa ấp 5"})
    db.session.commit()
    [changed] = messages(kind="changed")
    assert changed.user_id == b.user_id and "Nhà văn hóa ấp 5" in changed.params["where"]
    vol.delete_shift(officer, shift)
    db.session.commit()
    assert [m.user_id for m in messages(kind="cancelled")] == [b.user_id]
    outbox.deliver_due()
    subjects = [str(m["Subject"]) for m in mailbox.wait_for(5)]
    assert "Chào mừng đại sứ số!" in subjects
    assert any(s.startswith("Ca đã hủy") for s in subjects)


def _shift_values(shift) -> dict:
    from campaign.core.timeutil import to_local

    local = to_local(shift.starts_at)
    del local
    return {"commune_code": shift.commune_code, "role": shift.role, "title": shift.title,
            "starts_at": shift.starts_at, "ends_at": shift.ends_at,
            "min_needed": shift.min_needed, "max_needed": shift.max_needed, "location": shift.location,
            "village_id": shift.village_id, "required_skill": shift.required_skill, "notes": shift.notes}


def test_booking_requested_and_decided(app, factory, mailbox):
    from campaign.core.timeutil import local_to_utc
    from campaign.venues import services as venues
    from campaign.venues.models import Venue, VenueHours

    manager = factory.user("commune_officer", commune=TRAN_BIEN, commit=False)
    manager.email = "quanly@example.vn"
    requester = factory.user("commune_officer", commune=TRAN_BIEN, commit=False)
    requester.email = "nguoidat@example.vn"
    venue = Venue(commune_code=TRAN_BIEN, name="Nhà văn hóa khu phố 1", search_name="nha van hoa khu pho 1",
                  capacity=80, min_notice_hours=0, max_duration_hours=8, needs_approval=True)
    venue.hours = [VenueHours(weekday=d, opens_minute=0, closes_minute=24 * 60 - 1) for d in range(7)]
    venue.managers = [manager]
    db.session.add(venue)
    db.session.commit()
    day = (datetime.now(UTC) + timedelta(days=20)).date()
    while venues.holiday_name(day):
        day += timedelta(days=1)
    start = local_to_utc(datetime(day.year, day.month, day.day, 9, 0))
    booking = venues.request_booking(requester, venue, starts_at=start, ends_at=start + timedelta(hours=2),
                                     purpose="Lớp kỹ năng số", expected_attendance=20)
    db.session.commit()
    [req] = messages(kind="booking_requested")
    assert req.user_id == manager.id
    venues.reject(manager, booking, "Trùng lịch họp tổ dân phố")
    db.session.commit()
    [decided] = messages(kind="booking_rejected")
    assert decided.user_id == requester.id
    outbox.deliver_due()
    mails = mailbox.wait_for(2)
    rejected = [m for m in mails if m["To"] == "nguoidat@example.vn"][0]
    assert "bị từ chối" in rejected["Subject"] and "Trùng lịch họp tổ dân phố" in text_of(rejected)


def test_certificate_issued_with_its_verification_link(app, mailbox):
    from campaign.courses import services as courses
    from campaign.messages import services
    from tests.courses.conftest import create_course, enrol

    course = create_course(sessions=2, min_attendance_pct=50)
    (reg,) = enrol(course, 1)
    services.preference_for(person_id=reg.person_id).email = "hocvien@example.vn"
    courses.record_attendance(None, course, courses.sessions(course)[0], {reg.id: "present"})
    db.session.commit()
    cert = courses.issue_certificate(None, course, reg, "https://binhdan.example.vn")
    db.session.commit()
    [row] = messages(kind="certificate")
    assert row.event_id == course.event_id
    outbox.deliver_due()
    [mail] = [m for m in mailbox.wait_for(1) if "Chứng nhận của bạn" in m["Subject"]]
    assert f"https://binhdan.example.vn/courses/verify/{cert.verify_token}" in text_of(mail)


def test_a_class_session_moved_tells_the_learners(app):
    from campaign.courses import services as courses
    from campaign.events import services as events
    from tests.courses.conftest import create_course

    course = create_course(sessions=2, first_day=10)
    for i in range(3):
        courses.enrol(course, full_name=f"Học viên {i}", consent=True, phone=f"091234567{i}")
    db.session.commit()
    session = courses.sessions(course)[1]
    assert (session.status, session.kind, session.parent_id) == ("published", "class_session", course.event_id)
    events.update_event(None, session, starts_at=session.starts_at + timedelta(hours=1),
                        ends_at=session.ends_at + timedelta(hours=1))
    db.session.commit()
    rows = messages(kind="changed")
    assert len(rows) == 3 and {r.object_id for r in rows} == {session.id}


def test_an_announcement_to_a_shifts_volunteers(app, factory, login_as, mailbox):
    from campaign.campaigns.models import Campaign
    from campaign.volunteers import services as vol
    from campaign.volunteers.models import Shift

    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    a, b = volunteer(factory, "a@example.vn"), volunteer(factory, "b@example.vn")
    for p in (a, b):
        vol.decide_volunteer(officer, p, True)
    today = datetime.now(UTC).date()
    camp = Campaign(province_code=DONG_NAI, name="Mùa hè số", slug="mhs-ann", kind="summer",
                    starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=60))
    db.session.add(camp)
    db.session.flush()
    start = (datetime.now(UTC) + timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    shift = Shift(campaign_id=camp.id, commune_code=TRAN_BIEN, starts_at=start, ends_at=start + timedelta(hours=3),
                  max_needed=2, min_needed=1, location="Ấp 2")
    db.session.add(shift)
    db.session.commit()
    vol.sign_up(a.user, shift)
    vol.sign_up(b.user, shift)
    db.session.commit()
    client = login_as(officer)
    preview = client.post(f"/manage/shifts/{shift.id}/announce",
                          data={"subject": "Mang áo đoàn", "body": "Nhớ mang áo đoàn.", "nonce": "s1", "preview": "1"})
    assert preview.status_code == 200 and "Số người nhận: 2" in preview.text
    for _ in range(2):
        client.post(f"/manage/shifts/{shift.id}/announce",
                    data={"subject": "Mang áo đoàn", "body": "Nhớ mang áo đoàn.", "nonce": "s1", "send": "1"})
    rows = messages(kind="announcement")
    assert sorted(r.user_id for r in rows) == sorted([a.user_id, b.user_id])
    outbox.deliver_due()
    assert sum(1 for m in mailbox.wait_for(4) if m["Subject"] == "Mang áo đoàn") == 2
