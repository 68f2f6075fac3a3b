"""Anonymisation is complete: after it, the person's name and phone appear nowhere — in no column of
any table, no stored file, no page, feed or export."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pypdfium2 as pdfium
from flask import current_app
from sqlalchemy import JSON, LargeBinary, String, Text, select

from campaign.calendars import tokens as feed_tokens
from campaign.checkin import services as checkin
from campaign.core.services import audit, notify
from campaign.core.text import fold
from campaign.courses import services as courses
from campaign.courses.models import Certificate
from campaign.events import services as events
from campaign.events.models import Person
from campaign.extensions import db
from campaign.jobs.models import Job
from tests.conftest import TRAN_BIEN
from tests.courses.conftest import create_course
from tests.events.conftest import create_event

NAME = "Phạm Thị Riêng Tư"
PHONE_LOCAL = "0912345678"
PHONE = "+84912345678"
NATIONAL = "912345678"
NEEDLES = (NAME, PHONE, PHONE_LOCAL, NATIONAL)
BASE = "https://bdhvs.example.vn"


def _pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def _readable(data) -> str:
    """What a reader of a stored value or a response sees: a PDF's text, a workbook's cells, JSON."""
    if data is None:
        return ""
    if isinstance(data, dict | list):
        return json.dumps(data, ensure_ascii=False)
    if isinstance(data, str):
        return data
    data = bytes(data)
    if data.startswith(b"%PDF"):
        return _pdf_text(data)
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
    return data.decode("utf-8", "replace")


def _found(text: str) -> list[str]:
    folded = fold(text)
    return [n for n in NEEDLES if n in text or fold(n) in folded]


def search_database() -> list[str]:
    """Every String, Text, JSON and binary column of every table, read as its reader would."""
    hits = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON | LargeBinary)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                found = _found(_readable(value))
                if found:
                    hits.append(f"{table.name}.{column.name}: {found}")
    return hits


def search_files() -> list[str]:
    """Every file the app stores on disk (the instance folder, the upload folders)."""
    roots = {Path(current_app.instance_path)}
    for key in ("VENUE_UPLOAD_DIR",):
        if current_app.config.get(key):
            roots.add(Path(current_app.config[key]))
    hits = []
    for root in roots:
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            if path.is_file() and path.stat().st_size < 50 * 1024 * 1024 and not path.name.endswith(".sqlite3"):
                found = _found(_readable(path.read_bytes()))
                if found:
                    hits.append(f"{path}: {found}")
    return hits


def _world(factory):
    """A person with an event registration (needs, a ticket), a class with a certificate (its PDF
    rendered) and a corrected one, an audit entry and a notice quoting them, and an import job
    whose uploaded file and result hold their name and phone."""
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    event = create_event(capacity=20)
    reg, reg_token = events.register(event, full_name=NAME, phone=PHONE_LOCAL, consent=True, birth_year=1960,
                                     commune_code=TRAN_BIEN,
                                     needs="Cần xe lăn", actor=officer)  # staff: a known person
    db.session.flush()
    ticket = checkin.issue_ticket(reg)
    person = db.session.get(Person, reg.person_id)
    course = create_course(sessions=2, min_attendance_pct=50)
    creg, _ctoken = courses.enrol(course, full_name=NAME, phone=PHONE_LOCAL, consent=True, actor=officer)
    db.session.flush()
    assert creg.person_id == person.id  # the same person (staff-side dedup by phone)
    courses.record_attendance(None, course, courses.sessions(course)[0], {creg.id: "present"})
    first = courses.issue_certificate(officer, course, creg, BASE)
    assert first.pdf and NAME in _pdf_text(first.pdf)
    second = courses.reissue_certificate(officer, first, NAME + " (đã sửa)", BASE)
    courses.revoke_certificate(officer, second, f"Cấp nhầm cho {NAME}, gọi {PHONE_LOCAL}")
    audit("note.test", person, actor=officer, remark=f"{NAME} gọi từ {PHONE}")
    notify(officer, f"Người dân {NAME} cần hỗ trợ", f"Gọi lại {PHONE_LOCAL}")
    wb = openpyxl.Workbook()
    wb.active.append(["Họ và tên", "Số điện thoại"])
    wb.active.append([NAME, int(NATIONAL)])  # a spreadsheet keeps a phone as a number
    buf = io.BytesIO()
    wb.save(buf)
    db.session.add(Job(kind="reports.import.check", status="done", params={"options": {}},
                       input_data=f"Họ và tên,Điện thoại\n{NAME},{PHONE_LOCAL}\n".encode(),
                       input_filename="cu-dan.csv", result={"rows": [{"name": NAME, "phone": PHONE}]},
                       created_by_id=officer.id))
    db.session.add(Job(kind="reports.export", status="done", params={}, output_data=buf.getvalue(),
                       output_filename="ds.xlsx", output_mimetype="application/xlsx",
                       output_size=len(buf.getvalue()), created_by_id=officer.id))
    feed = feed_tokens.issue(officer, "organiser")
    db.session.commit()
    return dict(officer=officer, event=event, reg_token=reg_token, ticket_token=ticket.token, person=person,
                course=course, certs=[first, second], feed=feed)


def _pages(w) -> list[str]:
    event, course = w["event"], w["course"]
    urls = [f"/r/{w['reg_token']}", f"/tickets/{w['ticket_token']}", f"/events/{event.id}",
            f"/manage/events/{event.id}", f"/manage/events/{event.id}/registrants.csv",
            f"/manage/events/{course.event_id}", f"/manage/events/{course.event_id}/registrants.csv",
            f"/checkin/events/{event.id}/print?all=1", f"/courses/{course.id}", f"/courses/{course.id}/overview",
            f"/courses/{course.id}/results", f"/calendars/communes/{TRAN_BIEN}.ics",
            f"/calendars/private/{w['feed']}.ics", "/notifications", f"/api/checkin/events/{event.id}/offline-pack"]
    for session in courses.sessions(course):
        urls += [f"/courses/{course.id}/sessions/{session.id}/roll-call",
                 f"/courses/{course.id}/sessions/{session.id}/sheet"]
    for cert in w["certs"]:
        urls += [f"/courses/verify/{cert.verify_token}", f"/courses/certificates/{cert.id}",
                 f"/courses/certificates/{cert.id}/pdf"]
    return urls


def search_pages(client, urls) -> list[str]:
    hits = []
    for url in urls:
        resp = client.get(url)
        assert resp.status_code < 500, url
        found = _found(_readable(resp.data))
        if found:
            hits.append(f"{url}: {found}")
    return hits


def test_anonymised_person_appears_nowhere(factory, login_as):
    w = _world(factory)
    officer = login_as(w["officer"])
    urls = _pages(w)
    # The search finds the person before: in the tables, the stored PDF and file, and the pages.
    before = search_database()
    assert any(h.startswith("persons.full_name") for h in before)
    assert any(h.startswith("course_certificates.pdf") for h in before)
    assert any(h.startswith("jobs.input_data") for h in before) and any(h.startswith("jobs.output_data")
                                                                         for h in before)
    assert any(h.startswith("audit_log.details") for h in before)
    shown = search_pages(officer, urls)
    assert any("/verify/" in h for h in shown) and any("registrants.csv" in h for h in shown)

    resp = officer.post(f"/manage/persons/{w['person'].id}/anonymise")
    assert resp.status_code == 302

    assert search_database() == []
    assert search_files() == []
    assert search_pages(officer, urls) == []
    # What stays: the registrations are counted, the certificates keep their number and status.
    certs = db.session.scalars(select(Certificate).order_by(Certificate.id)).all()
    assert [c.status for c in certs] == ["superseded", "revoked"]
    assert all(c.learner_name == events.ANONYMOUS_NAME for c in certs)
    pdf = officer.get(f"/courses/certificates/{certs[0].id}/pdf")
    assert pdf.status_code == 200 and certs[0].number in _pdf_text(pdf.data)
