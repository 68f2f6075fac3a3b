"""Report periods, a commune's report (draft, submit, frozen snapshot, return, resubmit), the board,
the workbooks."""

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from campaign.core.services import DomainError
from campaign.extensions import db
from campaign.filings import services
from campaign.reports import metrics
from campaign.units.models import Commune
from tests.conftest import LONG_THANH, TRAN_BIEN
from tests.filings.conftest import QueryCounter, add_value

DURING = date(2026, 7, 5)  # after the period, before its deadline
AFTER = date(2026, 7, 20)  # past the deadline
TEXTS = {"results": "Mở 3 lớp Bình dân học vụ số", "difficulties": "Sóng yếu", "proposals": "Cấp thêm máy"}


def _commune(code):
    return db.session.get(Commune, code)


def test_quarter_defaults_give_the_khanh_hoa_deadline():
    d = services.quarter_defaults(date(2026, 11, 29))
    assert (d["starts_on"], d["ends_on"], d["due_on"]) == (date(2026, 10, 1), date(2026, 12, 31), date(2027, 1, 14))
    d = services.quarter_defaults(date(2026, 2, 1))
    assert (d["starts_on"], d["ends_on"], d["due_on"]) == (date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 14))


def test_create_period_checks_dates_and_duplicates(factory, filing):
    coord = factory.user("province_coordinator")
    camp = filing["campaign"]
    with pytest.raises(DomainError) as err:
        services.create_period(coord, camp, name="Q3", starts_on=date(2026, 7, 1), ends_on=date(2026, 9, 30),
                               due_on=date(2026, 9, 1))
    assert err.value.field == "due_on"
    with pytest.raises(DomainError) as err:
        services.create_period(coord, camp, name="Q2 again", starts_on=date(2026, 4, 1), ends_on=date(2026, 6, 30),
                               due_on=date(2026, 7, 14))
    assert err.value.field == "starts_on"
    p = services.create_period(coord, camp, name="Quý 3/2026", starts_on=date(2026, 7, 1), ends_on=date(2026, 9, 30),
                               due_on=date(2026, 10, 14))
    db.session.commit()
    assert [x.name for x in services.periods_of(camp)] == ["Quý 3/2026", "Quý 2/2026"]
    assert p.created_by_id == coord.id


def test_figures_are_the_dashboards_for_the_commune(filing):
    period, vneid = filing["period"], filing["vneid"]
    figures = services.live_figures(period, _commune(TRAN_BIEN), DURING)
    board = metrics.progress(filing["campaign"], start=period.starts_on, end=period.ends_on, as_of=period.ends_on)
    row = next(r for r in board.communes if r.commune.code == TRAN_BIEN)
    by_code = {f["code"]: f for f in figures}
    assert by_code["1"]["period"] == row.achieved[vneid.id] == 90
    assert by_code["1"]["target"] == row.targets[vneid.id] == 200
    assert by_code["1"]["to_date"] == 90 and by_code["1"]["pct"] == 45.0
    assert by_code["2"]["period"] == row.achieved[filing["regs"].id] == 0


def test_draft_submit_freezes_the_snapshot(factory, filing):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    period, vneid = filing["period"], filing["vneid"]
    services.save_draft(officer, period, _commune(TRAN_BIEN), {"results": "Bản nháp"})
    db.session.commit()
    rep = services.report_of(period, TRAN_BIEN)
    assert rep.status == "draft" and rep.results == "Bản nháp" and rep.snapshot is None
    with pytest.raises(DomainError) as err:
        services.submit(officer, period, _commune(TRAN_BIEN), {"results": " "}, DURING)
    assert err.value.field == "results"
    db.session.rollback()
    services.submit(officer, period, _commune(TRAN_BIEN), TEXTS, DURING)
    db.session.commit()
    rep = services.report_of(period, TRAN_BIEN)
    assert rep.status == "submitted" and rep.submitted_by_id == officer.id and rep.submitted_at is not None
    snap = dict(rep.snapshot)
    assert snap["results"] == TEXTS["results"] and snap["submitted_by"] == officer.full_name
    assert {f["code"]: f["period"] for f in snap["figures"]}["1"] == 90
    # the records change afterwards: the live figures move, the submitted report does not
    add_value(vneid, TRAN_BIEN, date(2026, 6, 20), 150)
    assert {f["code"]: f["period"] for f in services.live_figures(period, _commune(TRAN_BIEN), DURING)}["1"] == 150
    db.session.expire_all()
    assert services.report_of(period, TRAN_BIEN).snapshot == snap
    with pytest.raises(DomainError):
        services.save_draft(officer, period, _commune(TRAN_BIEN), {"results": "sửa"})
    with pytest.raises(DomainError):
        services.submit(officer, period, _commune(TRAN_BIEN), TEXTS, DURING)


def test_return_then_resubmit_takes_new_figures(factory, filing):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    coord = factory.user("province_coordinator")
    period, vneid = filing["period"], filing["vneid"]
    services.submit(officer, period, _commune(TRAN_BIEN), TEXTS, DURING)
    db.session.commit()
    rep = services.report_of(period, TRAN_BIEN)
    with pytest.raises(DomainError):
        services.return_report(coord, rep, "  ")
    services.return_report(coord, rep, "Bổ sung số lớp")
    db.session.commit()
    assert rep.status == "returned" and rep.return_comment == "Bổ sung số lớp" and rep.returned_by_id == coord.id
    with pytest.raises(DomainError):
        services.return_report(coord, rep, "again")
    add_value(vneid, TRAN_BIEN, date(2026, 6, 25), 120)
    services.save_draft(officer, period, _commune(TRAN_BIEN), {**TEXTS, "results": "Mở 4 lớp"})
    services.submit(officer, period, _commune(TRAN_BIEN), {**TEXTS, "results": "Mở 4 lớp"}, AFTER)
    db.session.commit()
    rep = services.report_of(period, TRAN_BIEN)
    assert rep.status == "submitted" and rep.snapshot["results"] == "Mở 4 lớp"
    assert {f["code"]: f["period"] for f in rep.snapshot["figures"]}["1"] == 120
    assert rep.snapshot["late"] is True


def test_board_states_and_counts(factory, filing):
    period = filing["period"]
    officer_a = factory.user("commune_officer", commune=TRAN_BIEN)
    officer_b = factory.user("commune_officer", commune=LONG_THANH)
    services.submit(officer_a, period, _commune(TRAN_BIEN), TEXTS, DURING)
    services.save_draft(officer_b, period, _commune(LONG_THANH), {"results": "nháp"})
    db.session.commit()
    rows = {r.commune.code: r for r in services.board(period, DURING)}
    assert rows[TRAN_BIEN].state == "submitted" and rows[LONG_THANH].state == "draft"
    others = [r for c, r in rows.items() if c not in (TRAN_BIEN, LONG_THANH)]
    assert others and all(r.state == "not_started" for r in others)
    rows = {r.commune.code: r for r in services.board(period, AFTER)}
    assert rows[TRAN_BIEN].state == "submitted"
    assert rows[LONG_THANH].state == "late" and rows[LONG_THANH].late
    counts = services.counts(list(rows.values()))
    assert counts["submitted"] == 1 and counts["late"] == len(rows) - 1


def test_board_page_runs_a_bounded_number_of_queries(factory, filing, login_as):
    period = filing["period"]
    client = login_as(factory.user("province_coordinator"))
    url = f"/filings/periods/{period.id}"
    client.get(url)
    with QueryCounter() as few:
        assert client.get(url).status_code == 200
    for code in (TRAN_BIEN, LONG_THANH):
        services.submit(factory.user("commune_officer", commune=code), period, _commune(code), TEXTS, DURING)
    db.session.commit()
    with QueryCounter() as more:
        assert client.get(url).status_code == 200
    assert more.n == few.n


def test_period_workbook_has_a_summary_and_a_sheet_per_submitted_report(factory, filing):
    period = filing["period"]
    services.submit(factory.user("commune_officer", commune=TRAN_BIEN), period, _commune(TRAN_BIEN), TEXTS, DURING)
    services.save_draft(factory.user("commune_officer", commune=LONG_THANH), period, _commune(LONG_THANH),
                        {"results": "nháp"})
    db.session.commit()
    wb = load_workbook(BytesIO(services.period_xlsx(period, AFTER)))
    assert wb.sheetnames == ["Tổng hợp", "Phường Trấn Biên"]
    summary = wb["Tổng hợp"]
    header = [c.value for c in summary[4]]
    assert header[:5] == ["STT", "Xã/phường", "Trạng thái", "Thời điểm gửi", "Người gửi"]
    rows = {r[1]: r for r in summary.iter_rows(min_row=5, values_only=True)}
    assert rows["Phường Trấn Biên"][2] == "Đã gửi" and rows["Phường Trấn Biên"][5] == 90
    assert isinstance(rows["Phường Trấn Biên"][5], (int, float))
    assert rows["Xã Long Thành"][2] == "Quá hạn"
    sheet = wb["Phường Trấn Biên"]
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "Kết quả đạt được" in values and TEXTS["results"] in values and TEXTS["proposals"] in values
    fig_header = [c.value for c in sheet[5]]
    assert fig_header[0] == "STT" and "Kết quả trong kỳ" in fig_header
