"""Venues themselves: the form (equipment, hours, managers), photos, demo data, bounded lists."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import event, func, select

from campaign.extensions import db
from campaign.venues.models import APPROVED, Booking, Venue, VenuePhoto
from tests.conftest import LONG_THANH, TRAN_BIEN
from tests.venues.conftest import at, next_weekday


@pytest.fixture
def officer(factory):
    return factory.user("commune_officer", commune=TRAN_BIEN)


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "VENUE_UPLOAD_DIR", str(tmp_path / "uploads" / "venues"))
    return tmp_path / "uploads" / "venues"


VENUE_FORM = {
    "name": "Nhà văn hóa Khu phố 3", "kind": "cultural_house", "address": "Khu phố 3", "capacity": "90",
    "latitude": "10.95", "longitude": "106.82", "step_free": "y", "needs_approval": "y", "min_notice_hours": "24",
    "max_duration_hours": "6", "eq_projector": "1", "eq_speakers": "2", "eq_computers": "", "active": "y",
    "opens_0": "07:30", "closes_0": "21:00", "opens_1": "07:30", "closes_1": "21:00", "opens_5": "08:00",
    "closes_5": "11:30",
}


def test_officer_adds_and_edits_a_venue(login_as, officer, factory):
    manager = factory.user("commune_officer", commune=TRAN_BIEN, full_name="Lê Quản Lý")
    client = login_as(officer)
    resp = client.post(f"/venues/communes/{TRAN_BIEN}/new", data={**VENUE_FORM, "managers": [str(manager.id)]})
    assert resp.status_code == 302, resp.text
    venue = db.session.scalar(select(Venue))
    assert venue.equipment_map() == {"projector": 1, "speakers": 2}
    assert venue.hours_map() == {0: (450, 1260), 1: (450, 1260), 5: (480, 690)}
    assert [m.full_name for m in venue.managers] == ["Lê Quản Lý"] and venue.step_free and not venue.allow_outside
    page = client.get(f"/venues/{venue.id}")
    assert "Lê Quản Lý" in page.text and "Máy chiếu: 1" in page.text
    resp = client.post(f"/venues/{venue.id}/edit", data={**VENUE_FORM, "eq_projector": "0", "opens_5": "",
                                                         "closes_5": "", "allow_outside": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    venue = db.session.get(Venue, venue.id)
    assert venue.equipment_map() == {"speakers": 2} and 5 not in venue.hours_map() and venue.allow_outside
    assert venue.managers == []


@pytest.mark.parametrize("data, text", [
    ({"name": ""}, "Nhập tên địa điểm"),
    ({"capacity": "0"}, "Sức chứa phải ít nhất là 1"),
    ({"capacity": "nhiều"}, "Nhập một số nguyên"),
    ({"latitude": "", "longitude": "106.8"}, "cả vĩ độ và kinh độ"),
    ({"opens_0": "21:00", "closes_0": "07:00"}, "giờ đóng cửa phải sau giờ mở cửa"),
    ({"opens_0": "08:00", "closes_0": ""}, "cả giờ mở cửa và giờ đóng cửa"),
    ({"eq_projector": "-1"}, "không được âm"),
])
def test_bad_venue_input_gets_a_clear_message(login_as, officer, data, text):
    resp = login_as(officer).post(f"/venues/communes/{TRAN_BIEN}/new", data={**VENUE_FORM, **data})
    assert resp.status_code == 200 and text in resp.text
    assert db.session.scalar(select(func.count()).select_from(Venue)) == 0


def test_duplicate_venue_name_in_a_commune(login_as, officer, make_venue):
    make_venue(name="Nhà văn hóa Khu phố 3")
    resp = login_as(officer).post(f"/venues/communes/{TRAN_BIEN}/new", data={**VENUE_FORM, "name": "nha van hoa khu pho 3"})
    assert resp.status_code == 200 and "đã có địa điểm tên" in resp.text


# --- photos -----------------------------------------------------------------------------------

def _image_bytes(fmt="JPEG", size=(1200, 900), exif=True) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    buf = io.BytesIO()
    if exif and fmt == "JPEG":
        data = Image.Exif()
        data[0x8825] = {2: (10.0, 57.0, 0.0)}  # GPS position: must not survive
        data[0x010F] = "Camera maker"
        image.save(buf, fmt, exif=data)
    else:
        image.save(buf, fmt)
    return buf.getvalue()


def test_photo_upload_makes_a_thumbnail_without_metadata(login_as, officer, make_venue, uploads, factory):
    venue = make_venue()
    client = login_as(officer)
    resp = client.post(f"/venues/{venue.id}/photos", data={
        "photo": (io.BytesIO(_image_bytes()), "anh.jpg"), "caption": "Hội trường"},
        content_type="multipart/form-data", follow_redirects=True)
    assert "Đã thêm ảnh" in resp.text
    photo = db.session.scalar(select(VenuePhoto))
    files = sorted(p.name for p in (uploads / str(venue.id)).iterdir())
    assert files == sorted([photo.filename, photo.thumb_filename])
    thumb = client.get(f"/venues/photos/{photo.id}/thumb.jpg")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert thumb.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(thumb.data)) as im:
        assert max(im.size) <= 320
    full = client.get(f"/venues/photos/{photo.id}/full.jpg")
    with Image.open(io.BytesIO(full.data)) as im:
        assert not im.getexif()  # no GPS, no camera
    # someone who may not see the venue cannot fetch its photos
    outsider = factory.user("commune_officer", commune=LONG_THANH)
    assert login_as(outsider).get(f"/venues/photos/{photo.id}/full.jpg").status_code == 403
    assert client.get(f"/venues/photos/{photo.id}/..%2F..%2Fsecret_key.jpg").status_code == 404
    assert client.get("/venues/photos/999/full.jpg").status_code == 404
    client.post(f"/venues/photos/{photo.id}/delete")
    assert list((uploads / str(venue.id)).iterdir()) == []


@pytest.mark.parametrize("payload, name, text", [
    (b"%PDF-1.4 not an image", "anh.jpg", "không phải là ảnh"),
    (b"GIF89a" + b"\x00" * 20, "broken.gif", "không phải là ảnh"),
    (_image_bytes("BMP", (10, 10), exif=False), "anh.bmp", "không phải là ảnh"),
    (b"", "empty.png", "Chọn ảnh"),
    (b"\xff\xd8" + b"0" * (5 * 1024 * 1024 + 10), "big.jpg", "lớn hơn 5 MB"),
])
def test_bad_uploads_get_a_clear_message(login_as, officer, make_venue, uploads, payload, name, text):
    venue = make_venue()
    resp = login_as(officer).post(f"/venues/{venue.id}/photos", data={"photo": (io.BytesIO(payload), name)},
                                  content_type="multipart/form-data", follow_redirects=True)
    assert resp.status_code == 200 and text in resp.text
    assert db.session.scalar(select(func.count()).select_from(VenuePhoto)) == 0


def test_png_and_webp_are_accepted(login_as, officer, make_venue, uploads):
    venue = make_venue()
    for fmt in ("PNG", "WEBP"):
        login_as(officer).post(f"/venues/{venue.id}/photos", data={
            "photo": (io.BytesIO(_image_bytes(fmt, (400, 300), exif=False)), f"a.{fmt.lower()}")},
            content_type="multipart/form-data")
    assert db.session.scalar(select(func.count()).select_from(VenuePhoto)) == 2


# --- bounded lists ----------------------------------------------------------------------------

class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self)


def _fill(make_venue, make_booking, factory, n):
    requesters = [factory.user("commune_officer", commune=TRAN_BIEN, commit=False) for _ in range(3)]
    day = next_weekday(1)
    for i in range(n):
        venue = make_venue(commit=False, equipment={"projector": 1, "wifi": 1, "speakers": 1})
        make_booking(venue, requesters[i % 3], starts_at=at(day, 8), status=APPROVED, commit=False)
        make_booking(venue, requesters[(i + 1) % 3], starts_at=at(day, 9), commit=False)
        make_booking(venue, requesters[(i + 2) % 3], starts_at=at(day + timedelta(days=1), 9), commit=False)
    db.session.commit()
    return requesters[0]


@pytest.mark.parametrize("url", [
    f"/venues/communes/{TRAN_BIEN}/bookings", "/venues/bookings/mine", f"/venues/communes/{TRAN_BIEN}",
    "/venues/search?commune={commune}&day={day}&start=13:00&end=15:00&capacity=10&equipment=wifi",
    "/venues/{venue}/week?start={day}",
])
def test_lists_run_a_bounded_number_of_queries(login_as, make_venue, make_booking, factory, url):
    counts = []
    for n in (2, 12):
        requester = _fill(make_venue, make_booking, factory, n)
        venue = db.session.scalar(select(Venue.id).order_by(Venue.id.desc()))
        client = login_as(requester)
        target = url.format(commune=TRAN_BIEN, day=next_weekday(1).isoformat(), venue=venue)
        with QueryCounter() as counter:
            resp = client.get(target)
        assert resp.status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 42


# --- demo -------------------------------------------------------------------------------------

def test_demo_data_loads_twice_without_duplicates(runner):
    from campaign.accounts import demo as accounts_demo
    from campaign.venues import demo

    context = {"echo": lambda *_: None}
    accounts_demo.load(context)
    demo.load(context)
    db.session.commit()
    first = (db.session.scalar(select(func.count()).select_from(Venue)),
             db.session.scalar(select(func.count()).select_from(Booking)))
    demo.load(context)
    db.session.commit()
    assert first[0] == len(demo.DEMO_VENUES) and first[1] > 20
    assert (db.session.scalar(select(func.count()).select_from(Venue)),
            db.session.scalar(select(func.count()).select_from(Booking))) == first
    communes = set(db.session.scalars(select(Venue.commune_code)))
    assert len(communes) >= 4
