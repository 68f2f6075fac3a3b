"""Every kind of feed, read back by two parsers; private feeds show only their owner's things and
no feed carries personal data."""

from datetime import UTC, datetime, timedelta

import pytest

from campaign.events import services as ev
from campaign.events.models import Person
from campaign.extensions import db
from campaign.volunteers.models import Signup
from tests.calendars.parsers import check_bytes, icalendar_errors, occurrences_ical, occurrences_icaljs
from tests.conftest import DONG_NAI, LONG_THANH, TRAN_BIEN
from tests.courses.conftest import create_course, enrol

FAR = (datetime.now(UTC) - timedelta(days=59), datetime.now(UTC) + timedelta(days=364))


def private_feed(login_as, user, scope) -> bytes:
    client = login_as(user)
    resp = client.post("/calendars/", data={"scope": scope, "action": "issue"})
    assert resp.status_code == 200, resp.text
    start = resp.text.index("/calendars/private/")
    path = resp.text[start:resp.text.index(".ics", start) + 4]
    body = client.get(path).data
    check_bytes(body)
    assert icalendar_errors(body) == []
    return body


def both(body: bytes) -> list[tuple]:
    first = occurrences_icaljs(body, *FAR)
    assert first == occurrences_ical(body, *FAR)
    return first


def test_my_shifts_has_my_shifts_only(login_as, factory, make_profile, make_shift):
    me, other = make_profile(), make_profile(commune=LONG_THANH)
    mine = make_shift(title="Hỗ trợ VNeID ấp 1", max_needed=1)
    waiting = make_shift(title="Trực bàn hướng dẫn", start=96, max_needed=1)
    theirs = make_shift(title="Ca của người khác", commune=LONG_THANH, start=120)
    db.session.add_all([Signup(shift_id=mine.id, volunteer_id=me.id, status="confirmed"),
                        Signup(shift_id=waiting.id, volunteer_id=other.id, status="confirmed"),
                        Signup(shift_id=waiting.id, volunteer_id=me.id, status="waitlisted"),
                        Signup(shift_id=theirs.id, volunteer_id=other.id, status="confirmed")])
    db.session.commit()
    body = private_feed(login_as, me.user, "my_shifts")
    rows = both(body)
    assert sorted((r[0], r[2], r[3]) for r in rows) == sorted([
        (mine.uid, "Hỗ trợ VNeID ấp 1", "CONFIRMED"),
        (waiting.uid, "Trực bàn hướng dẫn (danh sách chờ)", "TENTATIVE")])
    text = body.decode()
    assert other.user.full_name not in text and other.phone not in text and me.phone not in text


def test_shift_changes_bump_sequence(login_as, make_profile, make_shift):
    me = make_profile()
    shift = make_shift(title="Ca sáng")
    db.session.add(Signup(shift_id=shift.id, volunteer_id=me.id, status="confirmed"))
    db.session.commit()
    assert shift.sequence == 0
    shift.starts_at += timedelta(hours=1)
    shift.ends_at += timedelta(hours=1)
    db.session.commit()
    assert shift.sequence == 1
    assert "SEQUENCE:1" in private_feed(login_as, me.user, "my_shifts").decode()


def test_my_bookings_and_the_public_venue_feed(login_as, client, factory, make_venue, make_booking):
    officer = factory.user("commune_officer", commune=TRAN_BIEN, full_name="Trần Thị Bích")
    venue = make_venue(name="Nhà văn hóa khu phố 2", latitude=10.95, longitude=106.82)
    approved = make_booking(venue, officer, status="approved", purpose="Lớp tin học cho người cao tuổi")
    pending = make_booking(venue, officer, starts_at=approved.starts_at + timedelta(days=7), purpose="Họp tổ CNSCĐ")
    someone = factory.user("commune_officer", commune=TRAN_BIEN)
    make_booking(venue, someone, starts_at=approved.starts_at + timedelta(days=1), status="approved",
                 purpose="Việc riêng của người khác")
    mine = both(private_feed(login_as, officer, "my_bookings"))
    assert sorted((r[0], r[2], r[3]) for r in mine) == sorted([
        (approved.uid, "Lớp tin học cho người cao tuổi — Nhà văn hóa khu phố 2", "CONFIRMED"),
        (pending.uid, "Họp tổ CNSCĐ — Nhà văn hóa khu phố 2", "TENTATIVE")])
    resp = client.get(f"/calendars/venues/{venue.id}.ics")
    assert resp.status_code == 200
    public = resp.data.decode()
    check_bytes(resp.data)
    assert "GEO:10.95;106.82" in public
    busy = both(resp.data)
    assert len(busy) == 2 and {r[2] for r in busy} == {"Đã có lịch: Nhà văn hóa khu phố 2"}
    for secret in ("Lớp tin học", "Việc riêng", "Trần Thị Bích", "Họp tổ"):
        assert secret not in public


def test_my_classes_for_trainer_and_learner(login_as, factory):
    trainer = factory.user("trainer", province=DONG_NAI)
    learner_user = factory.user("volunteer", commune=TRAN_BIEN)
    course = create_course(sessions=3, first_day=2)
    course.trainers.append(trainer)
    reg = enrol(course)[0]
    db.session.get(Person, reg.person_id).user_id = learner_user.id
    db.session.commit()
    sessions = sorted(course.event.children, key=lambda e: e.starts_at)
    for user in (trainer, learner_user):
        rows = both(private_feed(login_as, user, "my_classes"))
        assert [r[1] for r in rows] == [s.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ") for s in sessions]
    stranger = factory.user("trainer", province=DONG_NAI)
    assert both(private_feed(login_as, stranger, "my_classes")) == []


def test_organiser_feeds_stay_in_scope(login_as, factory, calendar_world):
    other = factory.user("commune_officer", commune=LONG_THANH)
    ev.create_event(other, province_code=DONG_NAI, commune_code=LONG_THANH, kind="talk", status="draft",
                    title="Việc của Long Thành", starts_at=datetime.now(UTC) + timedelta(days=4),
                    ends_at=datetime.now(UTC) + timedelta(days=4, hours=1))
    db.session.commit()
    officer = calendar_world["officer"]
    body = private_feed(login_as, officer, "organiser").decode()
    assert "Bản nháp" in body and "STATUS:TENTATIVE" in body  # my own drafts, marked tentative
    assert "Việc của Long Thành" not in body
    mine = private_feed(login_as, officer, "my_events").decode()
    assert "Hội thảo chính quyền số" in mine and "Việc của Long Thành" not in mine


def test_public_feeds_over_http_match_the_event_pages(client, calendar_world):
    from campaign.campaigns.models import Campaign

    main = Campaign(province_code=DONG_NAI, name="Bình dân học vụ số (thử)", slug="bdhvs-thu",
                    starts_on=datetime.now(UTC).date(), ends_on=datetime.now(UTC).date() + timedelta(days=400))
    db.session.add(main)
    db.session.flush()
    calendar_world["workshop"].campaign_id = main.id
    db.session.commit()
    commune = client.get(f"/calendars/communes/{TRAN_BIEN}.ics")
    assert commune.headers["Content-Type"] == "text/calendar; charset=utf-8"
    rows = both(commune.data)
    # each occurrence the feed expands is an event the public list page shows, on the same day
    listing = client.get(f"/events?commune={TRAN_BIEN}").text + client.get("/events").text
    for _uid, _start, title, _status in rows:
        assert title in listing
    assert "Bản nháp" not in commune.data.decode()
    camp = both(client.get("/calendars/campaigns/bdhvs-thu.ics").data)
    assert [r[2] for r in camp] == ["Hội thảo chính quyền số"]
    workshop = calendar_world["workshop"]
    single = client.get(f"/calendars/events/{workshop.id}.ics")
    assert single.headers["Content-Disposition"].startswith("attachment")
    assert both(single.data)[0][2] == "Hội thảo chính quyền số"
    draft = calendar_world["draft"]
    assert client.get(f"/calendars/events/{draft.id}.ics").status_code == 404
    for page in (f"/calendars/communes/{TRAN_BIEN}", "/calendars/campaigns/bdhvs-thu"):
        html = client.get(page).text
        assert "webcal://" in html and "calendar.google.com" in html and "outlook.live.com" in html
        assert "<svg" in html


def test_no_personal_data_in_any_feed(login_as, client, factory, calendar_world):
    officer = calendar_world["officer"]
    occ = calendar_world["occurrences"][0]
    reg, _token = ev.register(occ, full_name="Nguyễn Văn Riêng Tư", phone="0912 345 678", consent=True)
    db.session.commit()
    bodies = [client.get(f"/calendars/communes/{TRAN_BIEN}.ics").data,
              private_feed(login_as, officer, "organiser"), private_feed(login_as, officer, "my_events")]
    for body in bodies:
        text = body.decode()
        for secret in ("Nguyễn Văn Riêng Tư", "912345678", "0912 345", "+8491234", officer.full_name, "@example"):
            assert secret not in text


@pytest.mark.parametrize("path", ["/calendars/communes/1.ics", "/calendars/campaigns/khong-co.ics",
                                  "/calendars/venues/999999.ics", "/calendars/events/999999.ics"])
def test_unknown_public_feeds_are_404(client, path):
    assert client.get(path).status_code == 404
