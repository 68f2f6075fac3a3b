"""Imports of villages, residents/learners and volunteers (XLSX/CSV): templates, preview, every bad row
listed, all or nothing, scope; the shared engine's parsers."""

import base64
import io
import re
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from campaign.core import tabular
from campaign.core.models import AuditLog
from campaign.core.phone import normalise as normalise_phone
from campaign.events.models import Person, Registration
from campaign.extensions import db
from campaign.units.models import Village
from campaign.volunteers.models import VolunteerProfile
from tests.conftest import LONG_THANH, TRAN_BIEN
from tests.courses.conftest import create_course


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv(rows) -> bytes:
    return "\n".join(",".join("" if c is None else str(c) for c in r) for r in rows).encode()


def _upload(client, kind, name, data, **form):
    return client.post(f"/reports/imports/{kind}", data={"file": (io.BytesIO(data), name), **form},
                       content_type="multipart/form-data")


def _confirm(client, kind, resp, **form):
    payload = re.search(r'name="payload" value="([^"]+)"', resp.text).group(1)
    return client.post(f"/reports/imports/{kind}", data={"payload": payload, "filename": form.pop("filename", "f.xlsx"),
                                                         "confirm": "1", **form})


def _error_lines(resp) -> dict[int, str]:
    return {int(line): reason for line, reason in
            re.findall(r'<tr data-line="(\d+)"><th scope="row">\d+</th><td>([^<]*)</td>', resp.text)}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- the engine -----------------------------------------------------------------------------------

def test_engine_parsers(app):
    with app.test_request_context():
        assert tabular.number("1.234,5") == 1234.5 and tabular.number("1,234.5") == 1234.5
        assert tabular.number("12,5") == 12.5 and tabular.number(" ") is None and tabular.number(7) == 7.0
        assert tabular.whole("1.200") == 1200 and tabular.whole("1.234.567") == 1234567
        with pytest.raises(tabular.CellError):
            tabular.whole("2,5")
        with pytest.raises(tabular.CellError):
            tabular.whole("-1")
        assert tabular.day("05/09/2026") == date(2026, 9, 5) and tabular.day("2026-09-05") == date(2026, 9, 5)
        with pytest.raises(tabular.CellError):
            tabular.day("31/02/2026")
        assert tabular.yes_no("Có") is True and tabular.yes_no("không") is False and tabular.yes_no("") is None
        with pytest.raises(tabular.CellError):
            tabular.yes_no("maybe")
        assert tabular.phone(912345678, normalise_phone) == "+84912345678"  # Excel dropped the leading 0
        assert tabular.phone("0912 345 678", normalise_phone) == "+84912345678"
        with pytest.raises(tabular.CellError):
            tabular.phone("12345", normalise_phone)
        cols = [tabular.Column("full_name", "Full name", ("ho va ten",), required=True),
                tabular.Column("phone", "Phone", ("so dien thoai",))]
        header = tabular.map_header(["Họ và tên *", "Số điện thoại", "Ghi chú"], cols)
        assert header.positions == {"full_name": 0, "phone": 1} and header.unknown == ["Ghi chú"]
        with pytest.raises(Exception, match="Thiếu|Missing"):
            tabular.map_header(["Phone"], cols)


# --- villages ------------------------------------------------------------------------------------

def test_villages_import_upserts_and_lists_bad_rows(app, factory, login_as):
    existing = factory.village(TRAN_BIEN, name="Khu phố 1", kind="khu_pho")
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    bad = [["Xã/phường", "Tên", "Loại", "Số hộ", "Dân số"],
           ["", "Khu phố 1", "khu phố", "1.200", 4500],       # 2: update (commune left blank: the officer's)
           [TRAN_BIEN, "Tổ dân phố 7", "Tổ dân phố", 80, ""],  # 3: new
           [LONG_THANH, "Ấp 1", "ấp", 10, 10],                 # 4: another commune: outside the scope
           [TRAN_BIEN, "", "ấp", -3, "x"],                     # 5: no name, negative, not a number
           [TRAN_BIEN, "khu pho 1", "castle", "", ""]]          # 6: duplicate of line 2, unknown kind
    resp = _upload(officer, "villages", "v.xlsx", _xlsx(bad))
    assert resp.status_code == 422
    errors = _error_lines(resp)
    assert set(errors) == {4, 5, 6}
    assert "ngoài phạm vi" in errors[4]
    assert "thiếu tên" in errors[5] and "nhỏ hơn 0" in errors[5] and "“x” không phải là số" in errors[5]
    assert "đã có ở dòng 2" in errors[6] and "“castle”" in errors[6]
    assert 'id="confirm-import"' not in resp.text
    assert _count(Village) == 1 and db.session.get(Village, existing.id).households is None

    good = [bad[0], bad[1], bad[2]]
    resp = _upload(officer, "villages", "v.xlsx", _xlsx(good))
    assert resp.status_code == 200 and 'data-status="updated"' in resp.text and 'data-status="new"' in resp.text
    assert _count(Village) == 1  # the preview writes nothing
    resp = _confirm(officer, "villages", resp, filename="v.xlsx")
    assert resp.status_code == 302
    villages = {v.name: v for v in db.session.scalars(select(Village))}
    assert villages["Khu phố 1"].households == 1200 and villages["Khu phố 1"].population == 4500
    assert villages["Tổ dân phố 7"].kind == "to_dan_pho" and villages["Tổ dân phố 7"].commune_code == TRAN_BIEN
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "import.villages"))
    assert entry.details == {"new": 1, "updated": 1, "unchanged": 0}


def test_villages_template_opens_and_reimports_cleanly(app, factory, login_as):
    factory.village(TRAN_BIEN, name="Ấp 3", kind="ap")
    factory.village(LONG_THANH, name="Ấp 9", kind="ap")
    coord = login_as(factory.user("province_coordinator", province=75))
    resp = coord.get("/reports/imports/villages/template.xlsx")
    assert resp.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]][:2] == ["Xã/phường *", "Tên *"]
    assert str(ws["A2"].value).startswith("#")
    assert ws.data_validations.dataValidation  # drop-down lists
    assert {r[1] for r in ws.iter_rows(min_row=3, values_only=True)} == {"Ấp 3", "Ấp 9"}
    resp = _upload(coord, "villages", "mau.xlsx", resp.data)
    assert resp.status_code == 200 and resp.text.count('data-status="unchanged"') == 2
    assert _confirm(coord, "villages", resp).status_code == 302
    assert _count(Village) == 2


@pytest.mark.parametrize("name,data,message", [
    ("x.xlsx", b"not a zip", "Excel"),
    ("x.txt", b"a,b", ".xlsx"),
    ("x.csv", b"", "chọn tệp"),
    ("x.csv", b"\xff\xfe\x00bad", "UTF-8"),
    ("x.csv", b"foo,bar\n1,2\n", "Thiếu"),
    ("x.csv", "Xã/phường,Tên\n".encode(), "không có dòng"),
    ("x.csv", b"a" * (tabular.MAX_BYTES + 10), "quá lớn"),
])
def test_malformed_files_get_a_message(app, factory, login_as, name, data, message):
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    resp = _upload(officer, "villages", name, data)
    assert resp.status_code == 422
    assert message in re.search(r'id="import-error">([^<]*)<', resp.text).group(1)


def test_too_many_rows(app, factory, login_as):
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    rows = [["commune", "name"]] + [[TRAN_BIEN, f"Ấp {i}"] for i in range(tabular.MAX_ROWS + 1)]
    for name, data in (("v.csv", _csv(rows)), ("v.xlsx", _xlsx(rows + rows))):
        resp = _upload(officer, "villages", name, data)
        assert resp.status_code == 422 and "Tối đa 5000 dòng" in resp.text, name
    assert _count(Village) == 0


# --- residents and learners -------------------------------------------------------------------------

RES_HEADER = ["Họ và tên", "Số điện thoại", "Năm sinh", "Giới tính", "Xã/phường", "Thôn/ấp", "Số hộ",
              "Nhóm đối tượng", "Nhu cầu", "Đồng ý"]


def test_residents_bad_rows_import_nothing(app, factory, login_as):
    factory.village(TRAN_BIEN, name="Khu phố 2")
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    rows = [RES_HEADER,
            ["Nguyễn Văn An", "0912345001", 1960, "Nam", TRAN_BIEN, "Khu phố 2", "12", "Người cao tuổi", "", "có"],
            ["Trần Thị Bình", "0912345002", 1958, "nữ", TRAN_BIEN, "Khu phố 9", "", "", "", "có"],   # 3: no village
            ["Lê Văn Cường", "12345", 1870, "x", TRAN_BIEN, "", "", "", "", "có"],                   # 4: phone, year, gender
            ["Phạm Thị Dung", "0912345001", "", "", TRAN_BIEN, "", "", "", "", "có"],                 # 5: phone again
            ["Võ Văn Em", "", "", "", LONG_THANH, "", "", "", "", "có"],                              # 6: other commune
            ["Đỗ Thị Phương", "", "", "", TRAN_BIEN, "", "", "", "", ""],                              # 7: no consent
            ["Hồ Văn Giang", "", "", "", TRAN_BIEN, "", "7", "aliens", "", "yes"],                    # 8: household, group
            ["", "", "", "", TRAN_BIEN, "", "", "", "", "có"]]                                        # 9: no name
    resp = _upload(officer, "residents", "r.xlsx", _xlsx(rows))
    assert resp.status_code == 422
    errors = _error_lines(resp)
    assert set(errors) == {3, 4, 5, 6, 7, 8, 9}
    assert "Khu phố 9" in errors[3]
    assert "Số điện thoại" in errors[4] and "1900" in errors[4] and "“x”" in errors[4]
    assert "đã có ở dòng 2" in errors[5]
    assert "ngoài phạm vi" in errors[6]
    assert "chưa ghi nhận sự đồng ý" in errors[7]
    assert "cần có thôn" in errors[8] and "“aliens”" in errors[8]
    assert "thiếu họ và tên" in errors[9]
    assert _count(Person) == 0


def test_residents_import_creates_and_dedupes_by_phone(app, factory, login_as):
    village = factory.village(TRAN_BIEN, name="Khu phố 2")
    known = Person(full_name="Nguyễn Văn An (cũ)", search_name="x", phone="+84912345001", commune_code=TRAN_BIEN)
    db.session.add(known)
    db.session.commit()
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    rows = [RES_HEADER,
            ["Nguyễn Văn An", "912345001", "05/09/1960", "Nam", "", "khu pho 2", "12", "Người cao tuổi", "", "có"],
            ["Trần Thị Bình", "0912 345 002", 1958, "Nữ", "Trấn Biên", "Khu phố 2", "12", "", "kính lúp", "x"],
            ["Lê Văn Cường", "", "", "", TRAN_BIEN, "", "", "", "", "yes"]]
    resp = _upload(officer, "residents", "r.xlsx", _xlsx(rows))
    assert resp.status_code == 200, _error_lines(resp)
    assert "tên đã ghi nhận khác và được giữ nguyên" in resp.text
    assert resp.text.count('data-status="updated"') == 1 and resp.text.count('data-status="new"') == 2
    assert "0912345002" not in resp.text  # phones masked in the preview
    assert _confirm(officer, "residents", resp).status_code == 302
    people = {p.phone: p for p in db.session.scalars(select(Person))}
    assert len(people) == 3
    an = people["+84912345001"]
    assert an.id == known.id and an.full_name == "Nguyễn Văn An (cũ)"  # the name is never overwritten
    assert an.birth_year == 1960 and an.gender == "male" and an.village_id == village.id
    assert an.household_code == "12" and an.target_groups == ",elderly," and an.consent_text == "2026-1"
    binh = people["+84912345002"]
    assert binh.village_id == village.id and binh.household_code == "12" and binh.needs == "kính lúp"
    assert binh.consent_at is not None and people[None].full_name == "Lê Văn Cường"


def test_residents_enrolled_in_a_class_and_capacity_holds(app, factory, login_as):
    course = create_course(capacity=3)
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    rows = [RES_HEADER] + [[f"Học viên {i}", f"09123450{i:02d}", 1970, "", TRAN_BIEN, "", "", "", "", "có"]
                           for i in range(4)]
    resp = _upload(officer, "residents", "r.csv", _csv(rows), course_id=str(course.id))
    assert resp.status_code == 422 and "còn 3 chỗ" in resp.text and 'id="confirm-import"' not in resp.text
    resp = _upload(officer, "residents", "r.csv", _csv(rows[:4]), course_id=str(course.id))
    assert resp.status_code == 200
    assert _confirm(officer, "residents", resp, filename="r.csv", course_id=str(course.id)).status_code == 302
    regs = db.session.scalars(select(Registration).where(Registration.event_id == course.event_id)).all()
    assert len(regs) == 3 and {r.status for r in regs} == {"confirmed"}
    db.session.refresh(course.event)
    assert course.event.confirmed_count == 3
    # the same file again: already enrolled, nothing more taken
    resp = _upload(officer, "residents", "r.csv", _csv(rows[:4]), course_id=str(course.id))
    assert resp.status_code == 200 and "đã có trong lớp" in resp.text
    assert _confirm(officer, "residents", resp, filename="r.csv", course_id=str(course.id)).status_code == 302
    db.session.refresh(course.event)
    assert course.event.confirmed_count == 3 and _count(Person) == 3


def test_residents_class_outside_scope_is_refused(app, factory, login_as):
    course = create_course(commune_code=LONG_THANH)
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    rows = [RES_HEADER, ["An", "", "", "", TRAN_BIEN, "", "", "", "", "có"]]
    resp = _upload(officer, "residents", "r.csv", _csv(rows), course_id=str(course.id))
    assert resp.status_code == 422 and _count(Person) == 0
    assert f'value="{course.id}"' not in resp.text  # not offered either


def test_residents_template_reimports(app, factory, login_as):
    factory.village(TRAN_BIEN, name="Khu phố 2")
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    data = officer.get("/reports/imports/residents/template.xlsx").data
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    ws.append(["Nguyễn Văn An", "0912345001", 1960, "Nam", "Phường Trấn Biên", "Khu phố 2", "3", "", "", "Có"])
    buf = io.BytesIO()
    wb.save(buf)
    resp = _upload(officer, "residents", "mau.xlsx", buf.getvalue())
    assert resp.status_code == 200, _error_lines(resp)
    assert _confirm(officer, "residents", resp).status_code == 302
    assert db.session.scalar(select(Person.household_code)) == "3"


# --- volunteers ------------------------------------------------------------------------------------

def test_volunteers_import_xlsx(app, factory, login_as):
    organiser = login_as(factory.user("youth_organiser", commune=TRAN_BIEN))
    rows = [["Họ và tên", "Số điện thoại", "Email", "Trường", "Chi đoàn", "Xã/phường", "Kỹ năng", "Ngôn ngữ",
             "Thời gian rảnh", "Đồng ý"],
            ["Nguyễn Văn Tý", 901111222, "", "THPT Ngô Quyền", "", TRAN_BIEN, "vneid; public_services", "vi", "", "có"],
            ["Trần Thị Bé", "0902222333", "", "", "", "", "", "", "", "yes"]]
    resp = _upload(organiser, "volunteers", "t.xlsx", _xlsx(rows))
    assert resp.status_code == 200, _error_lines(resp)
    assert _count(VolunteerProfile) == 0
    assert _confirm(organiser, "volunteers", resp).status_code == 302
    profiles = db.session.scalars(select(VolunteerProfile).order_by(VolunteerProfile.id)).all()
    assert [p.phone for p in profiles] == ["+84901111222", "+84902222333"]
    assert profiles[0].skills == ["vneid", "public_services"] and {p.status for p in profiles} == {"approved"}

    again = [rows[0], rows[1], ["Lê C", "0903333444", "", "", "", LONG_THANH, "flying", "", "", "có"]]
    resp = _upload(organiser, "volunteers", "t.xlsx", _xlsx(again))
    errors = _error_lines(resp)
    assert resp.status_code == 422 and set(errors) == {2, 3}
    assert "đã có tình nguyện viên" in errors[2] and "ngoài phạm vi" in errors[3]
    assert _count(VolunteerProfile) == 2


# --- permissions of the rows and the confirmed payload -------------------------------------------------

def test_confirm_checks_the_file_again(app, factory, login_as):
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    other = _csv([["commune", "name"], [LONG_THANH, "Ấp 1"]])
    resp = officer.post("/reports/imports/villages", data={"payload": base64.b64encode(other).decode(),
                                                          "filename": "v.csv", "confirm": "1"})
    assert resp.status_code == 422 and _count(Village) == 0


# --- large files: background jobs with progress ----------------------------------------------------

def test_large_file_is_checked_then_imported_as_jobs(app, factory, login_as):
    from campaign.jobs.models import Job
    from campaign.reports.import_tasks import JOB_ROWS

    user = factory.user("commune_officer", commune=TRAN_BIEN)
    officer = login_as(user)
    rows = [["commune", "name", "households"]] + [[TRAN_BIEN, f"Tổ {i}", i] for i in range(JOB_ROWS + 1)]
    bad = rows + [[LONG_THANH, "Ấp ngoài", 1], [TRAN_BIEN, "Tổ 3", "x"]]
    resp = _upload(officer, "villages", "big.xlsx", _xlsx(bad))
    assert resp.status_code == 302 and "?job=" in resp.headers["Location"]
    resp = officer.get(resp.headers["Location"])
    assert resp.status_code == 422
    assert set(_error_lines(resp)) == {JOB_ROWS + 3, JOB_ROWS + 4} and 'id="confirm-import"' not in resp.text
    assert _count(Village) == 0

    resp = _upload(officer, "villages", "big.csv", _csv(rows))
    check_url = resp.headers["Location"]
    resp = officer.get(check_url)
    assert resp.status_code == 200 and f"Mới: <strong>{JOB_ROWS + 1}</strong>" in resp.text
    job_id = int(re.search(r'name="check_job" value="(\d+)"', resp.text).group(1))
    assert _count(Village) == 0
    other = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    assert other.get(check_url).status_code == 404  # someone else's job
    assert other.post("/reports/imports/villages", data={"check_job": job_id, "confirm": "1"}).status_code == 404
    resp = officer.post("/reports/imports/villages", data={"check_job": job_id, "confirm": "1"})
    assert resp.status_code == 302
    resp = officer.get(resp.headers["Location"], follow_redirects=True)
    assert f"Đã nhập {JOB_ROWS + 1} dòng" in resp.text
    assert _count(Village) == JOB_ROWS + 1
    apply_job = db.session.scalar(select(Job).where(Job.kind == "reports.import_apply"))
    assert apply_job.status == "done" and apply_job.result["imported"]["new"] == JOB_ROWS + 1
    assert apply_job.created_by_id == user.id
