"""Baselines (the populations of the percentage indicators) and the remote mark: import on the shared
engine (template, preview, all or nothing), entry by hand with its history, and the percentage they give."""

import io
from datetime import date

import openpyxl
from sqlalchemy import func, select

from campaign.campaigns.models import Baseline, Indicator
from campaign.core.models import AuditLog
from campaign.extensions import db
from campaign.reports import metrics
from campaign.units.models import Commune
from tests.conftest import LONG_THANH, TRAN_BIEN
from tests.reports.conftest import AS_OF
from tests.reports.test_imports_people import _confirm, _error_lines, _upload, _xlsx

HEAD = ["Xã/phường", "Tính đến ngày", "Người dân trưởng thành", "Vùng sâu, vùng xa", "Nguồn"]


def test_template_lists_the_communes_with_vietnamese_headers(app, login_as, factory):
    coord = login_as(factory.user("province_coordinator", province=75))
    resp = coord.get("/reports/imports/baselines/template.xlsx")
    assert resp.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[0]
    head = [c.value for c in ws[1]]
    head = [h.rstrip(" *") for h in head]
    assert head[0] == "Xã/phường" and "Vùng sâu, vùng xa" in head and "Học sinh từ cấp tiểu học" in head
    assert ws.max_row >= 95


def test_import_previews_then_writes_every_row_or_none(app, login_as, factory):
    coord = login_as(factory.user("province_coordinator", province=75))
    good = _xlsx([HEAD, [TRAN_BIEN, "31/12/2025", "40.000", "không", "Chi cục Thống kê"],
                  ["Long Thành", "31/12/2025", 25000, "có", "Chi cục Thống kê"]])
    bad = _xlsx([HEAD, [TRAN_BIEN, "31/12/2025", 40000, "", ""], ["Xã Không Có", "31/12/2025", 5, "", ""],
                 [LONG_THANH, "2099-01-01", -3, "", ""]])
    resp = _upload(coord, "baselines", "b.xlsx", bad)
    assert resp.status_code == 422
    errors = _error_lines(resp)
    assert set(errors) == {3, 4} and "tương lai" in errors[4]
    assert db.session.scalar(select(func.count()).select_from(Baseline)) == 0  # nothing written
    preview = _upload(coord, "baselines", "b.xlsx", good)
    assert preview.status_code == 200 and db.session.scalar(select(func.count()).select_from(Baseline)) == 0
    done = _confirm(coord, "baselines", preview, filename="b.xlsx")
    assert done.status_code == 302
    values = {(b.commune_code, b.kind): b.value for b in db.session.scalars(select(Baseline))}
    assert values == {(TRAN_BIEN, "adults"): 40000, (LONG_THANH, "adults"): 25000}
    assert db.session.get(Commune, LONG_THANH).remote and not db.session.get(Commune, TRAN_BIEN).remote
    # a later figure is a new entry: the history keeps both, reports use the latest up to their date
    again = _upload(coord, "baselines", "b.xlsx", _xlsx([HEAD, [TRAN_BIEN, "30/06/2026", 42000, "", ""]]))
    _confirm(coord, "baselines", again, filename="b.xlsx")
    assert metrics.baselines(75, date(2026, 3, 1))[TRAN_BIEN]["adults"] == 40000
    assert metrics.baselines(75, date(2026, 7, 1))[TRAN_BIEN]["adults"] == 42000
    page = coord.get("/reports/campaigns/0/baselines")
    assert page.status_code == 404


def test_entry_by_hand_gives_the_percentage_and_keeps_the_trail(app, campaign_data, login_as, factory):
    c = campaign_data(size=1)
    ind = Indicator(campaign_id=c.id, code="P1", position=99, name="100% người lao động có kỹ năng số", unit="percent",
                    target_value=100, metric="people_trained", target_group=None)
    db.session.add(ind)
    db.session.commit()
    coord = login_as(factory.user("province_coordinator", province=75))
    before = metrics.progress(c, as_of=AS_OF)
    line = next(ip for ip in before.indicators if ip.indicator.code == "P1")
    assert line.achieved is None  # a percentage without a denominator shows nothing, not 0
    form = {"commune": str(TRAN_BIEN), "kind": "adults", "as_of": "2026-01-01", "value": "200", "source": "Thống kê"}
    assert coord.post(f"/reports/campaigns/{c.id}/baselines", data=form).status_code == 302
    assert coord.post(f"/reports/campaigns/{c.id}/baselines", data={**form, "value": "-1"}).status_code == 422
    board = metrics.progress(c, as_of=AS_OF)
    line = next(ip for ip in board.indicators if ip.indicator.code == "P1")
    trained = metrics.achieved(c, end=AS_OF)["people_trained"]
    assert line.baseline == 200 and line.count == sum(trained.values())
    assert line.achieved == sum(trained.values()) / 200 * 100
    assert board.commune(TRAN_BIEN).achieved[ind.id] == trained.get(TRAN_BIEN, 0) / 200 * 100
    assert ind.id not in board.commune(LONG_THANH).achieved  # no baseline there: no figure
    page = coord.get(f"/reports/campaigns/{c.id}/baselines")
    assert page.status_code == 200 and 'role="region"' in page.text and "200" in page.text
    assert coord.post(f"/reports/campaigns/{c.id}/communes/{TRAN_BIEN}/remote", data={"remote": "y"}).status_code == 302
    assert db.session.get(Commune, TRAN_BIEN).remote
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"baseline.entered", "commune.remote_marked"} <= actions
