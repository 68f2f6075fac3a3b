"""Spreadsheet and upload bombs: a small file that unzips to a huge sheet is refused before parsing,
quickly and with a message; a request body over MAX_CONTENT_LENGTH gets a friendly 413.

Every bomb is built here in code (nothing binary is committed)."""

from __future__ import annotations

import io
import re
import time
import zipfile
from datetime import date

import openpyxl
import pytest

from campaign.campaigns.models import Campaign
from campaign.core import tabular
from campaign.core.services import DomainError
from campaign.extensions import db


def _workbook(rows=(("commune_code", "commune", "2"), (26041, "Trấn Biên", 5))) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rewrite(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The same workbook with some parts replaced (or added)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename not in replace:
                dst.writestr(info.filename, src.read(info.filename))
        for name, body in replace.items():
            dst.writestr(name, body)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _sheet(rows: bytes, dimension: bytes | None = None) -> bytes:
    dim = b'<dimension ref="' + dimension + b'"/>' if dimension else b""
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet ' + NS + b">" + dim
            + b"<sheetData>" + rows + b"</sheetData></worksheet>")


def _wide_dimension_bomb(n_rows: int = 2000) -> bytes:
    """The reported file: a few kilobytes that declare 16,384 columns (A1:XFD...)."""
    rows = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (i, i)
                    for i in range(1, n_rows + 1))
    return _rewrite(_workbook(), {SHEET: _sheet(rows, b"A1:XFD%d" % n_rows)})


def _refused(data: bytes, name: str = "bomb.xlsx") -> str:
    started = time.perf_counter()
    with pytest.raises(DomainError) as info:
        tabular.read_table(name, data)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"took {elapsed:.2f} s to refuse"
    assert info.value.field == "file"
    return info.value.message


def test_declared_16384_columns_are_refused_before_parsing():
    data = _wide_dimension_bomb()
    assert len(data) < 64 * 1024
    message = _refused(data)
    assert "200" in message  # names the bound


def test_a_cell_in_the_last_column_is_refused_without_a_dimension():
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c><c r="XFD%d"><v>1</v></c></row>' % (i, i, i)
                    for i in range(1, 300))
    _refused(_rewrite(_workbook(), {SHEET: _sheet(rows)}))


def test_a_far_away_last_row_is_refused():
    rows = b'<row r="1"><c r="A1"><v>1</v></c><c r="Z1"><v>1</v></c></row>' \
           b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    _refused(_rewrite(_workbook(), {SHEET: _sheet(rows)}))


def test_too_many_cells_are_refused():
    row = b"<row>" + b"<c><v>1</v></c>" * 100 + b"</row>"
    _refused(_rewrite(_workbook(), {SHEET: _sheet(row * (tabular.MAX_CELLS // 100 + 10))}))


def test_too_many_shared_strings_are_refused(monkeypatch):
    monkeypatch.setattr(tabular, "MAX_RATIO", 10**9)  # the ratio would refuse it first otherwise
    strings = (b'<?xml version="1.0" encoding="UTF-8"?><sst ' + NS + b">"
               + b"<si><t>a</t></si>" * (tabular.MAX_CELLS + 1) + b"</sst>")
    _refused(_rewrite(_workbook(), {"xl/sharedStrings.xml": strings}))


def test_a_highly_compressed_part_is_refused_by_its_ratio():
    rows = b'<row r="1"><c r="A1"><v>1</v></c></row>' + b"<!-- padding -->" * (2 * 1024 * 1024 // 16)
    data = _rewrite(_workbook(), {SHEET: _sheet(rows)})
    assert len(data) < 200 * 1024
    _refused(data)


def test_a_huge_uncompressed_total_is_refused(monkeypatch):
    monkeypatch.setattr(tabular, "MAX_RATIO", 10**9)
    data = _rewrite(_workbook(), {"xl/media/padding.bin": b"\0" * (tabular.MAX_UNZIPPED + 1)})
    _refused(data)


def test_entities_are_refused():
    evil = (b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa">]><worksheet ' + NS
            + b'><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&a;</t></is></c></row></sheetData></worksheet>')
    _refused(_rewrite(_workbook(), {SHEET: evil}))


def test_not_a_workbook_inside_a_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    assert "Excel" in _refused(buf.getvalue()) or "xlsx" in _refused(buf.getvalue())


def test_an_ordinary_workbook_still_reads():
    rows = tabular.read_table("ok.xlsx", _workbook())
    assert rows == [["commune_code", "commune", "2"], [26041, "Trấn Biên", 5]]
    ext = tabular.inspect_xlsx(_workbook())
    assert (ext.rows, ext.columns) == (2, 3)


def test_a_wide_but_allowed_sheet_reads():
    wide = [[f"c{i}" for i in range(tabular.MAX_COLUMNS)], list(range(tabular.MAX_COLUMNS))]
    rows = tabular.read_table("ok.xlsx", _workbook(wide))
    assert len(rows) == 2 and len(rows[0]) == tabular.MAX_COLUMNS


def test_the_import_page_answers_the_bomb_with_a_message(app, login_as, factory):
    c = Campaign(province_code=75, name="Bomb test", slug="bomb-test", starts_on=date(2026, 1, 1),
                 ends_on=date(2026, 12, 31))
    db.session.add(c)
    db.session.commit()
    coord = login_as(factory.user("province_coordinator", province=75))
    url = f"/reports/campaigns/{c.id}/targets/import"
    started = time.perf_counter()
    resp = coord.post(url, data={"file": (io.BytesIO(_wide_dimension_bomb()), "targets.xlsx")},
                      content_type="multipart/form-data")
    assert time.perf_counter() - started < 2.0
    assert resp.status_code == 422
    assert 'role="alert"' in resp.text and "200" in resp.text


# --- request bodies over MAX_CONTENT_LENGTH ------------------------------------------------------

def test_an_upload_over_the_limit_gets_a_friendly_413_page(app, login_as, factory):
    coord = login_as(factory.user("province_coordinator", province=75))
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1024)
    resp = coord.post("/reports/imports/residents", data={"file": (io.BytesIO(big), "big.xlsx")},
                      content_type="multipart/form-data")
    assert resp.status_code == 413
    assert resp.mimetype == "text/html"
    assert re.search(r"<h1[^>]*>[^<]*Tệp quá lớn", resp.text), resp.text[:2000]
    assert "16 MB" in resp.text


def test_an_api_body_over_the_limit_gets_json_413(app, client):
    big = b"{" + b" " * (app.config["MAX_CONTENT_LENGTH"] + 1024) + b"}"
    resp = client.post("/api/checkin/sync", data=big, content_type="application/json")
    assert resp.status_code == 413
    assert resp.is_json and resp.get_json()["status"] == 413
