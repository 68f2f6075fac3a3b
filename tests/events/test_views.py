"""Public pages, registration, organiser pages, boards, CSV; malformed input never a 500."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from campaign.events import services
from campaign.events.models import Event, Person, Registration
from campaign.extensions import db
from tests.conftest import DONG_NAI, LONG_THANH, TRAN_BIEN
from tests.events.conftest import create_campaign, create_event, future, register


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


class QueryCounter:
    def __init__(self):
        self.n = 0

    def __call__(self, *args, **kwargs):
        self.n += 1

    def __enter__(self):
        sa_event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        sa_event.remove(db.engine, "before_cursor_execute", self)


def queries(client, url) -> int:
    with QueryCounter() as counter:
        resp = client.get(url)
    assert resp.status_code == 200, resp.text[:500]
    return counter.n


REG = {"full_name": "Nguyễn Thị Hoa", "phone": "0901 234 123", "birth_year": "1958", "gender": "female",
       "commune_code": str(TRAN_BIEN), "village_id": "", "target_groups": ["elderly"], "needs": "xe lăn",
       "consent": "y"}


# --- public pages ------------------------------------------------------------------------------

def test_public_list_filters_by_commune_kind_group_dates_and_folded_search(client):
    create_event(title="Lớp học Điện thoại thông minh", commune_code=TRAN_BIEN, kind="class_session",
                 target_groups=["elderly"], starts_at=future(5))
    create_event(title="Hội thảo An toàn số", commune_code=LONG_THANH, kind="workshop", starts_at=future(40))
    create_event(title="Bản nháp bí mật", status="draft")
    create_event(title="Họp nội bộ", visibility="internal")
    page = client.get("/events").text
    assert "Lớp học Điện thoại" in page and "Hội thảo An toàn" in page
    assert "Bản nháp" not in page and "Họp nội bộ" not in page
    assert "Hội thảo An toàn" not in client.get(f"/events?commune={TRAN_BIEN}").text
    assert "Lớp học Điện thoại" not in client.get("/events?kind=workshop").text
    assert "Hội thảo An toàn" not in client.get("/events?group=elderly").text
    page = client.get("/events?q=DIEN THOAI").text
    assert "Lớp học Điện thoại" in page and "Hội thảo An toàn" not in page
    to = (datetime.now(UTC) + timedelta(days=20)).date().isoformat()
    page = client.get(f"/events?to={to}").text
    assert "Lớp học" in page and "Hội thảo An toàn" not in page
    assert client.get("/events?from=xx%2F99&commune=abc&kind=<script>").status_code == 200


def test_draft_and_internal_event_pages_are_hidden_from_the_public(client):
    draft = create_event(status="draft")
    assert client.get(f"/events/{draft.id}").status_code == 404
    assert client.get("/events/999999").status_code == 404


def test_campaign_page_is_public(client):
    campaign = create_campaign(name="Bình dân học vụ số 2026 – Đồng Nai")
    create_event(title="Ngày hội số phường Trấn Biên", campaign_id=campaign.id)
    page = client.get(f"/c/{campaign.slug}")
    assert page.status_code == 200
    assert "Ngày hội số phường Trấn Biên" in page.text
    assert client.get("/c/khong-co").status_code == 404


def test_resident_registers_sees_private_link_and_cancels(client):
    event = create_event(capacity=1)
    resp = client.post(f"/events/{event.id}", data=REG)
    assert resp.status_code == 302
    link = resp.location
    assert link.startswith("/r/")
    page = client.get(link)
    assert "Đã xác nhận" in page.text and 'class="ticket-qr' in page.text  # the QR ticket (checkin)
    assert re.search(r'class="ticket-short[^>]*>[A-Z0-9]{4}-[A-Z0-9]{4}<', page.text)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    person = db.session.scalar(select(Person))
    assert person.phone == "+84901234123" and person.consent_at is not None
    # the second resident waits
    resp = client.post(f"/events/{event.id}", data=dict(REG, full_name="Lê Văn Tâm", phone="0912345678"))
    second = resp.location
    assert "Danh sách chờ" in client.get(second).text
    # the first cancels: the second is confirmed
    resp = client.post(link + "/cancel")
    assert resp.status_code == 302
    assert "Đã hủy" in client.get(link).text
    assert "Đã xác nhận" in client.get(second).text
    assert client.get("/r/not-a-real-token").status_code == 404


def test_registering_again_with_a_phone_tells_nothing_about_others(client):
    """No "this phone is already registered" (that told anyone who registered): the second form is
    answered like any other, with its own private link and only what was typed on it."""
    event = create_event()
    first = client.post(f"/events/{event.id}", data=REG)
    resp = client.post(f"/events/{event.id}", data=dict(REG, full_name="Người lạ", phone="+84901234123"))
    assert first.status_code == resp.status_code == 302 and resp.location != first.location
    page = client.get(resp.location).text
    assert "Người lạ" in page and "Nguyễn Thị Hoa" not in page
    assert count(Registration) == 2 and count(Person) == 2


@pytest.mark.parametrize("override, message", [
    ({"phone": "12345"}, "Nhập số điện thoại Việt Nam hợp lệ"),
    ({"full_name": ""}, "Nhập họ và tên"),
    ({"consent": ""}, "Vui lòng đồng ý"),
    ({"commune_code": "999999"}, "Không có xã/phường này"),
    ({"commune_code": "abc"}, "Không có xã/phường này"),
    ({"birth_year": "năm"}, "Nhập một số nguyên"),
    ({"birth_year": "1850"}, "Nhập năm sinh"),
    ({"gender": "x"}, "Chọn giới tính"),
    ({"village_id": "77777"}, "Chọn thôn/ấp"),
])
def test_bad_registration_input_gets_a_vietnamese_message(client, override, message):
    event = create_event()
    resp = client.post(f"/events/{event.id}", data=dict(REG, **override))
    assert resp.status_code == 200
    assert message in resp.text, re.findall(r'invalid-feedback[^>]*>([^<]*)', resp.text)
    assert count(Registration) == 0


def test_registration_closed_page_has_no_form(client):
    event = create_event(registration_open=False)
    page = client.get(f"/events/{event.id}").text
    assert "Đăng ký cho sự kiện này đã đóng" in page
    assert client.post(f"/events/{event.id}", data=REG).status_code == 200
    assert count(Registration) == 0


# --- organiser pages -----------------------------------------------------------------------------

def test_officer_creates_edits_publishes_duplicates_and_cancels(login_as, factory):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    client = login_as(officer)
    resp = client.post("/manage/events/new", data={
        "kind": "workshop", "title": "Hội thảo AI cho người dân", "commune_code": str(TRAN_BIEN),
        "starts_at": "2026-12-05T08:00", "ends_at": "2026-12-05T11:00", "capacity": "40",
        "target_groups": ["adults", "elderly"], "visibility": "public", "registration_open": "y"})
    assert resp.status_code == 302, resp.text
    event = db.session.scalar(select(Event))
    assert (event.status, event.capacity, event.target_groups) == ("draft", 40, ",adults,elderly,")
    assert event.starts_at == datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    assert client.post(f"/manage/events/{event.id}/publish").status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "published"
    resp = client.post(f"/manage/events/{event.id}/edit", data={
        "kind": "workshop", "title": "Hội thảo AI cho người dân", "commune_code": str(TRAN_BIEN),
        "starts_at": "2026-12-05T09:00", "ends_at": "2026-12-05T11:00", "capacity": "40", "visibility": "public"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).sequence == 2
    assert client.post(f"/manage/events/{event.id}/duplicate").status_code == 302
    assert count(Event) == 2
    assert client.post(f"/manage/events/{event.id}/cancel").status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "cancelled"
    # another commune is not theirs
    resp = client.post("/manage/events/new", data={
        "kind": "workshop", "title": "x", "commune_code": str(LONG_THANH),
        "starts_at": "2026-12-05T08:00", "ends_at": "2026-12-05T11:00", "visibility": "public"})
    assert resp.status_code == 403


@pytest.mark.parametrize("override, message", [
    ({"ends_at": "2026-12-05T07:00"}, "Thời điểm kết thúc không được trước"),
    ({"starts_at": "mai"}, "Nhập ngày giờ"),
    ({"commune_code": "999999"}, "Không có xã/phường này"),
    ({"capacity": "-5"}, "Sức chứa không được âm"),
    ({"title": ""}, "Nhập tên sự kiện"),
    ({"kind": "party"}, "Chọn loại sự kiện"),
])
def test_bad_event_input_gets_a_message(login_as, factory, override, message):
    client = login_as(factory.user("province_coordinator", province=DONG_NAI))
    data = {"kind": "workshop", "title": "Hội thảo", "commune_code": str(TRAN_BIEN),
            "starts_at": "2026-12-05T08:00", "ends_at": "2026-12-05T11:00", "visibility": "public"}
    data.update(override)
    resp = client.post("/manage/events/new", data=data)
    assert resp.status_code == 200
    assert message in resp.text
    assert count(Event) == 0


def test_capacity_below_confirmed_is_refused_in_the_form(login_as, factory):
    event = create_event(capacity=5)
    for n in range(3):
        register(event, name=f"Người {n}")
    client = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    local = event.starts_at.astimezone(services.LOCAL_TZ)
    resp = client.post(f"/manage/events/{event.id}/edit", data={
        "kind": event.kind, "title": event.title, "commune_code": str(TRAN_BIEN), "visibility": "public",
        "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (local + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "capacity": "2"})
    assert resp.status_code == 200
    assert "không được nhỏ hơn 3 đăng ký đã xác nhận" in resp.text


def test_series_form_and_this_and_following_edit(login_as, factory):
    client = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    resp = client.post("/manage/series/new", data={
        "kind": "class_session", "title": "Lớp tối thứ Tư", "commune_code": str(TRAN_BIEN),
        "starts_at": "2026-12-02T19:00", "ends_at": "2026-12-02T21:00", "visibility": "public",
        "freq": "weekly", "interval": "1", "count": "6"})
    assert resp.status_code == 302, resp.text
    occ = db.session.scalars(select(Event).order_by(Event.starts_at)).all()
    assert len(occ) == 6
    resp = client.post(f"/manage/events/{occ[3].id}/edit", data={
        "kind": "class_session", "title": "Lớp tối thứ Tư (phòng mới)", "commune_code": str(TRAN_BIEN),
        "starts_at": "2026-12-23T18:30", "ends_at": "2026-12-23T20:30", "visibility": "public",
        "scope": "following"})
    assert resp.status_code == 302
    db.session.expire_all()
    titles = [e.title for e in db.session.scalars(select(Event).order_by(Event.recurrence_id))]
    assert titles == ["Lớp tối thứ Tư"] * 3 + ["Lớp tối thứ Tư (phòng mới)"] * 3
    resp = client.post("/manage/series/new", data={
        "kind": "class_session", "title": "x", "commune_code": str(TRAN_BIEN), "starts_at": "2026-12-02T19:00",
        "ends_at": "2026-12-02T21:00", "visibility": "public", "freq": "weekly", "interval": "1"})
    assert "Nhập số buổi hoặc ngày kết thúc" in resp.text


def test_registrants_search_mask_status_and_csv(login_as, factory):
    event = create_event(capacity=1)
    register(event, name="Đặng Văn Đức", phone="0901234123", commune_code=TRAN_BIEN)
    register(event, name="=HYPERLINK(1)", phone="0912345678")
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    page = officer.get(f"/manage/events/{event.id}?q=dang van duc").text
    assert "Đặng Văn Đức" in page and "0901234123" in page and "HYPERLINK" not in page
    assert "HYPERLINK" in officer.get(f"/manage/events/{event.id}?q=0912").text
    trainer = login_as(factory.user("trainer", province=DONG_NAI))
    assert trainer.get(f"/manage/events/{event.id}").status_code == 403  # not one of their classes
    resp = officer.get(f"/manage/events/{event.id}/registrants.csv")
    assert resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.text.lstrip("\ufeff"))))
    assert rows[1][1] == "Đặng Văn Đức" and rows[1][2] == "0901234123"
    assert rows[2][1] == "'=HYPERLINK(1)"
    assert trainer.get(f"/manage/events/{event.id}/registrants.csv").status_code == 403
    # manual status change: full event refuses a second confirmation with a message
    second = db.session.scalar(select(Registration).where(Registration.status == "waitlisted"))
    resp = officer.post(f"/manage/registrations/{second.id}/status", data={"status": "confirmed"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Registration, second.id).status == "waitlisted"
    resp = officer.post(f"/manage/registrations/{second.id}/status", data={"status": "cancelled"})
    db.session.expire_all()
    assert db.session.get(Registration, second.id).status == "cancelled"


def test_staff_register_a_walk_in_and_anonymise(login_as, factory):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    event = create_event(visibility="internal")
    client = login_as(officer)
    resp = client.post(f"/manage/events/{event.id}/register", data=dict(REG, phone=""))
    assert resp.status_code == 302, resp.text
    reg = db.session.scalar(select(Registration))
    assert reg.source == "staff" and reg.registered_by_id == officer.id
    resp = client.post(f"/manage/persons/{reg.person_id}/anonymise")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Person, reg.person_id).full_name == services.ANONYMOUS_NAME


# --- boards -------------------------------------------------------------------------------------

def test_launch_ceremony_action_and_live_board(login_as, factory):
    campaign = create_campaign()
    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    data = {"campaign_id": str(campaign.id), "starts_at": "2026-05-19T08:00", "ends_at": "2026-05-19T10:30"}
    resp = coord.post("/manage/launch-ceremony", data=data)
    assert resp.status_code == 302
    assert coord.post("/manage/launch-ceremony", data=data).status_code == 302
    assert count(Event, Event.kind == "bridge_point") == 95
    ceremony = db.session.scalar(select(Event).where(Event.kind == "launch_ceremony"))
    point = db.session.scalar(select(Event).where(Event.parent_id == ceremony.id, Event.commune_code == TRAN_BIEN))
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    assert officer.post(f"/manage/bridge-points/{point.id}/connected").status_code == 302
    assert officer.get(f"/manage/events/{ceremony.id}/board.json").json["connected"] == 1
    page = coord.get(f"/manage/events/{ceremony.id}/board").text
    assert "1</span>/<span data-count=\"total\">95" in page
    assert "launch_board.js" in page
    other = db.session.scalar(select(Event).where(Event.parent_id == ceremony.id, Event.commune_code == LONG_THANH))
    assert officer.post(f"/manage/bridge-points/{other.id}/connected").status_code == 403


def test_national_day_action_and_board(login_as, factory):
    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    resp = coord.post("/manage/national-day", data={"province_code": str(DONG_NAI), "year": "2026"})
    assert resp.status_code == 302
    coord.post("/manage/national-day", data={"province_code": str(DONG_NAI), "year": "2026"})
    day = db.session.scalar(select(Event).where(Event.kind == "national_day"))
    assert count(Event, Event.kind == "national_day") == 1
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    page = officer.get(f"/manage/events/{day.id}/board").text
    assert "0/95" in page or "0 trên 95" in page or "0 / 95" in page or "Phường Trấn Biên" in page
    resp = officer.post(f"/manage/events/new?parent={day.id}", data={
        "kind": "hands_on", "title": "Trải nghiệm dịch vụ công trực tuyến", "commune_code": str(TRAN_BIEN),
        "starts_at": "2026-10-10T08:00", "ends_at": "2026-10-10T11:00", "visibility": "public",
        "parent_id": str(day.id)})
    assert resp.status_code == 302
    activity = db.session.scalar(select(Event).where(Event.parent_id == day.id))
    assert activity.commune_code == TRAN_BIEN
    board = services.national_day_board(day)
    assert TRAN_BIEN not in {c.code for c in board.communes_without} and len(board.communes_without) == 94
    resp = coord.post("/manage/national-day", data={"province_code": str(DONG_NAI), "year": "1990"})
    assert resp.status_code == 200 and "Nhập năm từ 2020 đến 2100" in resp.text


# --- bounded queries -------------------------------------------------------------------------------

def _fill(n: int, event_kw=None):
    events = [create_event(commit=False, title=f"Sự kiện {i}", commune_code=(TRAN_BIEN, LONG_THANH)[i % 2],
                           **(event_kw or {})) for i in range(n)]
    db.session.commit()
    return events


def test_list_pages_run_a_bounded_number_of_queries(client, login_as, factory):
    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    small = _fill(2)
    for e in small:
        register(e, name="A", commune_code=TRAN_BIEN)
    few = (queries(client, "/events"), queries(coord, "/manage/events"),
           queries(coord, f"/manage/events/{small[0].id}"))
    big = _fill(25)
    for i in range(20):
        register(small[0], name=f"Người {i}", phone=f"09012345{i:02d}", commune_code=(TRAN_BIEN, LONG_THANH)[i % 2])
    many = (queries(client, "/events"), queries(coord, "/manage/events"),
            queries(coord, f"/manage/events/{small[0].id}"))
    assert few == many, (few, many)
    # the boards
    campaign = create_campaign()
    ceremony = services.create_launch_ceremony(None, campaign, starts_at=big[0].starts_at,
                                               ends_at=big[0].ends_at).parent
    day = services.create_national_day(None, DONG_NAI, 2026).parent
    db.session.commit()
    b1, n1 = queries(coord, f"/manage/events/{ceremony.id}/board"), queries(coord, f"/manage/events/{day.id}/board")
    for e in big[:5]:
        e.parent_id = day.id
    hosts = [factory.user("commune_officer", commune=TRAN_BIEN) for _ in range(2)]
    points = db.session.scalars(select(Event).where(Event.parent_id == ceremony.id).limit(30)).all()
    for i, p in enumerate(points[:10]):
        p.host_user_id = hosts[i % 2].id
    db.session.commit()
    b2 = queries(coord, f"/manage/events/{ceremony.id}/board")
    hosts += [factory.user("commune_officer", commune=LONG_THANH) for _ in range(8)]
    for i, p in enumerate(points):
        p.host_user_id = hosts[i % 10].id
        p.connected_at = datetime.now(UTC)
    db.session.commit()
    b3, n3 = queries(coord, f"/manage/events/{ceremony.id}/board"), queries(coord, f"/manage/events/{day.id}/board")
    assert b3 == b2 <= b1 + 2 and n3 == n1, (b1, b2, b3, n1, n3)


def test_public_registration_is_rate_limited(app, client):
    event = create_event()
    app.config["REGISTRATION_RATE_LIMIT"] = "2 per minute"
    try:
        codes = [client.post(f"/events/{event.id}", data={"full_name": ""}).status_code for _ in range(3)]
    finally:
        app.config["REGISTRATION_RATE_LIMIT"] = "10000 per minute"
    assert codes == [200, 200, 429]
    assert client.get(f"/events/{event.id}").status_code == 200  # reading is never limited
