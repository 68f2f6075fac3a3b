"""Volunteer profiles: public registration pending approval, phones normalised and masked, the volunteers
import (on the shared engine) all or nothing with row-by-row errors."""

import io
import re

import pytest
from sqlalchemy import func, select

from campaign.accounts.models import User
from campaign.core import phone
from campaign.core.services import DomainError
from campaign.extensions import db
from campaign.volunteers import services
from campaign.volunteers.models import VolunteerProfile
from tests.conftest import KHANH_HOA, LONG_THANH, TRAN_BIEN


def test_phone_numbers_are_normalised_and_masked(make_profile):
    assert phone.normalise("0912 345 678") == "+84912345678"
    assert phone.normalise("+84 91 234 5678") == "+84912345678"
    for bad in ("", "12345", "abc", "0912"):
        try:
            phone.normalise(bad, required=True)
        except DomainError as err:
            assert err.field == "phone"
        else:
            raise AssertionError(bad)
    p = make_profile()
    assert p.phone_masked == phone.mask(p.phone) and "•••" in p.phone_masked and p.phone not in p.phone_masked


def _form(**over):
    data = {"full_name": "Lê Thị Hồng", "phone": "0987 654 321", "home_commune_code": str(TRAN_BIEN),
            "school": "Trường Đại học Đồng Nai", "youth_branch": "Chi đoàn K45", "skills": ["vneid", "sign_language"],
            "languages": ["vi", "khmer"], "availability": "Sáng thứ Bảy", "username": "hong.le",
            "password": "mat-khau-dai-1", "consent": "y"}
    data.update(over)
    return data


def test_public_registration_is_pending_until_an_organiser_approves(client, factory, login_as):
    organiser = factory.user("youth_organiser", commune=TRAN_BIEN)
    other = factory.user("youth_organiser", commune=LONG_THANH)
    resp = client.post("/volunteers/join", data=_form(consent=""))
    assert "Vui lòng đồng ý" in resp.text
    resp = client.post("/volunteers/join", data=_form(phone="123"))
    assert "số điện thoại Việt Nam hợp lệ" in resp.text
    resp = client.post("/volunteers/join", data=_form(email="not-an-address"))
    assert resp.status_code == 200 and "Hãy nhập địa chỉ email hợp lệ" in resp.text
    resp = client.post("/volunteers/join", data=_form(email="hong.le@example.vn"))
    assert resp.status_code == 200 and "Đã nhận đăng ký" in resp.text
    profile = db.session.scalar(select(VolunteerProfile))
    assert profile.status == "pending" and profile.phone == "+84987654321" and not profile.user.active
    assert profile.skills == ["vneid", "sign_language"] and profile.languages == ["vi", "khmer"]
    assert profile.consent_at is not None
    # cannot log in yet
    assert client.post("/login", data={"username": "hong.le", "password": "mat-khau-dai-1"}).status_code == 200
    # an organiser of another commune cannot approve; the commune's organiser can
    assert login_as(other).post(f"/volunteers/people/{profile.id}/decide", data={"approve": "1"}).status_code == 403
    resp = login_as(organiser).post(f"/volunteers/people/{profile.id}/decide", data={"approve": "1"},
                                    follow_redirects=True)
    assert "Đã duyệt tình nguyện viên" in resp.text
    db.session.expire_all()
    assert profile.status == "approved" and profile.user.active
    assert client.post("/login", data={"username": "hong.le", "password": "mat-khau-dai-1"}).status_code == 302
    # the same phone cannot register twice
    resp = client.post("/volunteers/join", data=_form(username="hong.le2", phone="+84987654321"))
    assert "đã được một tình nguyện viên đăng ký" in resp.text


def test_phones_are_masked_for_volunteers_in_lists_but_shown_to_organisers(factory, make_profile, login_as):
    organiser = factory.user("youth_organiser", commune=TRAN_BIEN)
    p = make_profile()
    page = login_as(organiser).get("/volunteers/people")
    assert p.phone not in page.text and p.phone_masked in page.text
    assert p.phone in login_as(organiser).get(f"/volunteers/people/{p.id}").text


CSV_OK = (
    "full_name,phone,email,school,youth_branch,commune_code,skills,languages,availability,consent\n"
    f"Nguyễn Văn Tý,0901111222,,Trường THPT Ngô Quyền,Chi đoàn 12A1,{TRAN_BIEN},vneid;public_services,vi;stieng,,yes\n"
    f"Trần Thị Bé,0902222333,be@example.org,,,{TRAN_BIEN},,vi,Chiều,có\n"
)


def _import(client, data: bytes, name: str = "tnv.csv", **form):
    return client.post("/reports/imports/volunteers", data={"file": (io.BytesIO(data), name), **form},
                       content_type="multipart/form-data")


def _error_lines(resp) -> dict[int, str]:
    return {int(line): reason for line, reason in
            re.findall(r'<tr data-line="(\d+)"><th scope="row">\d+</th><td>([^<]*)</td>', resp.text)}


def test_old_csv_page_sends_to_the_import_engine(factory, login_as):
    organiser = login_as(factory.user("youth_organiser", commune=TRAN_BIEN))
    for method in (organiser.get, organiser.post):
        resp = method("/volunteers/people/import")
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/reports/imports/volunteers")
    assert "/reports/imports/volunteers" in organiser.get("/volunteers/").text


def test_csv_import_creates_approved_volunteers(factory, login_as):
    """The volunteers' CSV columns, on the shared engine: preview, then every row or none."""
    client = login_as(factory.user("youth_organiser", commune=TRAN_BIEN))
    resp = _import(client, CSV_OK.encode())
    assert resp.status_code == 200, _error_lines(resp)
    assert db.session.scalar(select(func.count()).select_from(VolunteerProfile)) == 0  # a preview writes nothing
    payload = re.search(r'name="payload" value="([^"]+)"', resp.text).group(1)
    resp = client.post("/reports/imports/volunteers", data={"payload": payload, "filename": "tnv.csv", "confirm": "1"},
                       follow_redirects=True)
    assert "Đã nhập 2 dòng" in resp.text
    profiles = db.session.scalars(select(VolunteerProfile).order_by(VolunteerProfile.id)).all()
    assert [p.status for p in profiles] == ["approved", "approved"]
    assert profiles[0].languages == ["vi", "stieng"] and profiles[0].phone == "+84901111222"
    assert profiles[0].skills == ["vneid", "public_services"]


def test_csv_import_is_all_or_nothing_with_row_errors(factory, login_as):
    client = login_as(factory.user("youth_organiser", commune=TRAN_BIEN))
    bad = CSV_OK + (
        f",0903333444,,,,{TRAN_BIEN},,,,yes\n"  # row 4: no name
        f"Lê Văn C,0901111222,,,,{TRAN_BIEN},,,,yes\n"  # row 5: the same phone as row 2
        f"Phạm D,0904444555,,,,{LONG_THANH},,,,yes\n"  # row 6: outside scope
        f"Võ E,0905555666,,,,{TRAN_BIEN},flying,,,yes\n"  # row 7: unknown skill
        f"Đỗ F,0906666777,,,,{TRAN_BIEN},,,,\n"  # row 8: no consent
        f"Hồ G,12345,,,,{TRAN_BIEN},,,,yes\n"  # row 9: not a phone number
    )
    users_before = db.session.scalar(select(func.count()).select_from(User))
    resp = _import(client, bad.encode())
    assert resp.status_code == 422
    errors = _error_lines(resp)
    assert set(errors) == {4, 5, 6, 7, 8, 9}
    for row, text in ((4, "thiếu họ và tên"), (5, "đã có tình nguyện viên"), (6, "ngoài phạm vi"),
                      (7, "flying"), (8, "chưa ghi nhận sự đồng ý"), (9, "số điện thoại Việt Nam hợp lệ")):
        assert text in errors[row], (row, errors[row])
    assert "payload" not in resp.text  # nothing to confirm
    assert db.session.scalar(select(func.count()).select_from(VolunteerProfile)) == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == users_before
    # not a CSV at all / missing columns: a clear message
    assert "UTF-8" in _import(client, b"\xff\xfe\x00bad", "x.csv").text
    resp = _import(client, b"a,b\n1,2\n", "x.csv")
    assert resp.status_code == 422 and "Thiếu" in resp.text


def test_province_organiser_manages_every_commune_but_not_another_province(factory, make_profile):
    province = factory.user("youth_organiser", province=75)
    kh = factory.user("youth_organiser", province=KHANH_HOA)
    p = make_profile(commune=LONG_THANH, status="pending")
    assert services.can_manage_volunteer(province, p) and not services.can_manage_volunteer(kh, p)


def test_organisers_filter_volunteers_by_skill(factory, make_profile, login_as):
    organiser = factory.user("youth_organiser", commune=TRAN_BIEN)
    signer = make_profile(skills=["sign_language", "vneid"])
    other = make_profile(skills=["vneid"])
    page = login_as(organiser).get("/volunteers/people?skill=sign_language")
    assert f"/volunteers/people/{signer.id}\"" in page.text and f"/volunteers/people/{other.id}\"" not in page.text


def test_volunteer_edits_own_profile(make_profile, login_as):
    me, other = make_profile(), make_profile()
    client = login_as(me.user)
    page = client.get("/volunteers/my/profile")
    assert page.status_code == 200 and me.user.full_name in page.text and "Hồ sơ tình nguyện viên của tôi" in page.text
    assert 'name="home_commune_code"' not in page.text  # the commune stays; its organisers manage me
    data = {"full_name": "Nguyễn Văn Tân", "phone": "0977 111 222", "email": "tan@example.vn", "school": "THPT Ngô Quyền",
            "youth_branch": "Chi đoàn 12A1", "skills": ["vneid", "public_services"], "languages": ["vi", "en"],
            "availability": "Chiều Chủ nhật"}
    # another volunteer's phone: refused, nothing written
    resp = client.post("/volunteers/my/profile", data={**data, "phone": other.phone.replace("+84", "0")})
    assert resp.status_code == 200 and "đã được một tình nguyện viên đăng ký" in resp.text
    assert db.session.get(VolunteerProfile, me.id).school == ""
    resp = client.post("/volunteers/my/profile", data=data, follow_redirects=True)
    assert "Đã lưu hồ sơ của bạn." in resp.text
    saved = db.session.get(VolunteerProfile, me.id)
    assert (saved.phone, saved.school, saved.skills, saved.languages, saved.availability) == (
        "+84977111222", "THPT Ngô Quyền", ["vneid", "public_services"], ["vi", "en"], "Chiều Chủ nhật")
    assert saved.user.full_name == "Nguyễn Văn Tân" and saved.user.email == "tan@example.vn"
    assert saved.home_commune_code == TRAN_BIEN and saved.status == "approved"
    again = client.post("/volunteers/my/profile", data=data, follow_redirects=True)
    assert "Không có gì thay đổi." in again.text
    from campaign.core.models import AuditLog

    entries = db.session.scalars(select(AuditLog).where(AuditLog.action == "volunteer.profile_updated")).all()
    assert len(entries) == 1 and "0977" not in str(entries[0].details)  # what changed, not the values
    with pytest.raises(DomainError):
        services.update_own_profile(me.user, other, **{k: v for k, v in data.items()})
