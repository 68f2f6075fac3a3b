"""Values of indicators entered by hand: who may enter them, bad input, and the figures the reports show
(the latest value as of the report's date; the province: its own entry, else the sum of the communes)."""

import csv
import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from campaign.campaigns import services as cservices
from campaign.campaigns.models import Indicator, IndicatorValue
from campaign.core.models import AuditLog
from campaign.core.services import DomainError
from campaign.extensions import db
from campaign.reports import metrics
from tests.conftest import LONG_THANH, TRAN_BIEN
from tests.reports.conftest import AS_OF, OTHER
from tests.reports.test_figures import _count_queries

TODAY = date(2026, 11, 1)


def _manual(c) -> Indicator:
    return db.session.scalar(select(Indicator).where(Indicator.campaign_id == c.id, Indicator.metric == "manual"))


def _enter(ind, commune, day, value, source="", actor=None):
    row = cservices.set_indicator_value(actor, ind, commune_code=commune, as_of=day, value=value, source=source,
                                        today=TODAY)
    db.session.commit()
    return row


def independent(ind, as_of):
    """The latest value per place on or before as_of, then the province rule, in plain Python."""
    latest = {}
    for v in db.session.scalars(select(IndicatorValue).where(IndicatorValue.indicator_id == ind.id)):
        if v.as_of <= as_of and (v.commune_code not in latest or v.as_of > latest[v.commune_code].as_of):
            latest[v.commune_code] = v
    per_commune = {code: v.value for code, v in latest.items() if code is not None}
    province = latest[None].value if None in latest else (sum(per_commune.values()) if per_commune else None)
    return province, per_commune


def test_figures_follow_the_latest_values_and_the_province_rule(app, campaign_data):
    c = campaign_data(size=1)
    ind = _manual(c)  # target 10 people
    _enter(ind, TRAN_BIEN, date(2026, 3, 1), 3)
    _enter(ind, TRAN_BIEN, date(2026, 6, 1), 5)
    _enter(ind, LONG_THANH, date(2026, 5, 1), 4)
    _enter(ind, LONG_THANH, date(2026, 7, 15), 9)  # after the report's date
    _enter(ind, OTHER, date(2026, 6, 30), 2.5)
    for as_of in (date(2026, 2, 1), date(2026, 5, 20), AS_OF, date(2026, 8, 1)):
        board = metrics.progress(c, as_of=as_of)
        ip = next(i for i in board.indicators if i.indicator.id == ind.id)
        province, per_commune = independent(ind, as_of)
        assert ip.achieved == province, as_of
        for row in board.communes:
            assert row.achieved.get(ind.id) == per_commune.get(row.commune.code), (as_of, row.commune.code)
    board = metrics.progress(c, as_of=AS_OF)
    ip = next(i for i in board.indicators if i.indicator.id == ind.id)
    assert ip.achieved == 5 + 4 + 2.5 and ip.communes_reported == 3 and ip.entered_as_of == AS_OF
    assert abs(ip.pct - 115.0) < 1e-9 and ip.on_track
    tb = next(r for r in board.communes if r.commune.code == TRAN_BIEN)
    assert tb.targets[ind.id] == 10 / 95
    # a province-wide entry wins over the sum from its date on
    _enter(ind, None, date(2026, 6, 15), 7, "Công an tỉnh")
    ip = next(i for i in metrics.progress(c, as_of=AS_OF).indicators if i.indicator.id == ind.id)
    assert (ip.achieved, ip.entered_as_of, ip.entered_source, ip.communes_reported) == (7, date(2026, 6, 15),
                                                                                         "Công an tỉnh", 0)
    assert ip.achieved == independent(ind, AS_OF)[0]
    assert abs(ip.pct - 70.0) < 1e-9
    assert ip.on_track == (7 >= 10 * board.expected * metrics.LAG_RATIO)
    ip = next(i for i in metrics.progress(c, as_of=date(2026, 6, 14)).indicators if i.indicator.id == ind.id)
    assert ip.achieved == 5 + 4  # before the province-wide entry (and before Other's)


def test_a_commune_counts_a_manual_indicator_once_it_reported(app, campaign_data):
    c = campaign_data(size=1)
    ind = _manual(c)
    before = {r.commune.code: r.progress for r in metrics.progress(c, as_of=AS_OF).communes}
    _enter(ind, OTHER, date(2026, 6, 1), 10)  # far above its share: progress goes up
    after = {r.commune.code: r for r in metrics.progress(c, as_of=AS_OF).communes}
    assert after[OTHER].progress > before[OTHER]
    assert after[LONG_THANH].progress == before[LONG_THANH]  # not reported: not counted, not zero


def test_a_percentage_is_not_summed(app, campaign_data):
    c = campaign_data(size=1)
    ind = _manual(c)
    ind.unit, ind.target_value = "percent", 80
    db.session.commit()
    _enter(ind, TRAN_BIEN, date(2026, 6, 1), 60)
    _enter(ind, LONG_THANH, date(2026, 6, 1), 70)
    board = metrics.progress(c, as_of=AS_OF)
    assert next(i for i in board.indicators if i.indicator.id == ind.id).achieved is None
    tb = next(r for r in board.communes if r.commune.code == TRAN_BIEN)
    assert (tb.achieved[ind.id], tb.targets[ind.id]) == (60, 80)
    _enter(ind, None, date(2026, 6, 2), 65)
    ip = next(i for i in metrics.progress(c, as_of=AS_OF).indicators if i.indicator.id == ind.id)
    assert ip.achieved == 65 and abs(ip.pct - 65 / 80 * 100) < 1e-9
    try:
        _enter(ind, None, date(2026, 6, 3), 101)
    except DomainError as err:
        assert err.field == "value"
    else:
        raise AssertionError("a percentage above 100 was accepted")


def test_pages_and_exports_show_the_values(app, campaign_data, login_as, factory):
    c = campaign_data(size=1)
    ind = _manual(c)
    _enter(ind, TRAN_BIEN, date(2026, 6, 1), 1234)
    _enter(ind, None, date(2026, 6, 20), 4321, "Công an tỉnh")
    coord = login_as(factory.user("province_coordinator", province=75))
    page = coord.get(f"/reports/campaigns/{c.id}?as_of=2026-06-30").text
    assert 'data-metric="manual"' in page and 'data-value="4321.0"' in page and "4.321" in page
    assert "20/06/2026" in page and "Công an tỉnh" in page
    assert 'data-metric="manual" data-value="1234.0"' in page  # Trấn Biên's row
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    commune_page = officer.get(f"/reports/campaigns/{c.id}/communes/{TRAN_BIEN}?as_of=2026-06-30").text
    assert 'data-value="1234.0"' in commune_page
    other_page = coord.get(f"/reports/campaigns/{c.id}/communes/{LONG_THANH}?as_of=2026-06-30").text
    assert '<td class="text-end" data-value="">—</td>' in other_page  # not reported: no zero
    wb = openpyxl.load_workbook(io.BytesIO(coord.get(f"/reports/campaigns/{c.id}/report.xlsx?as_of=2026-06-30").data))
    rows = {r[0]: r for r in wb.worksheets[0].iter_rows(min_row=6, values_only=True) if r[0]}
    assert rows["6"][5] == 10 and rows["6"][7] == 4321 and rows["6"][8] == pytest.approx(4321 / 10)
    notes = [r[1] for r in wb.worksheets[0].iter_rows(min_row=6, values_only=True) if r[0] is None and r[1]]
    assert any("20/06/2026" in n and "Công an tỉnh" in n for n in notes)
    header = [cell.value for cell in wb.worksheets[1][1]]
    col = next(n for n, h in enumerate(header) if h.startswith("6. "))  # achieved comes before target
    tb_row = next(r for r in wb.worksheets[1].iter_rows(min_row=2, values_only=True) if r[1] == "Phường Trấn Biên")
    assert tb_row[col] == 1234
    lines = list(csv.reader(io.StringIO(coord.get(f"/reports/campaigns/{c.id}/indicators.csv?as_of=2026-06-30")
                                        .text.lstrip("\ufeff"))))
    six = next(r for r in lines if r[0] == "6")
    assert six[7] == "4321" and six[12] == "20/06/2026" and six[13] == "Công an tỉnh"
    communes = list(csv.DictReader(io.StringIO(coord.get(f"/reports/campaigns/{c.id}/communes.csv?as_of=2026-06-30")
                                                .text.lstrip("\ufeff"))))
    by_code = {int(r["Mã xã/phường"]): r for r in communes}  # Vietnamese headers (issue 22)
    assert by_code[TRAN_BIEN]["6. đạt được"] == "1234" and by_code[LONG_THANH]["6. đạt được"] == ""


def test_queries_do_not_grow_with_the_values(app, campaign_data, login_as, factory):
    c = campaign_data(size=1, seed=4)
    coord = login_as(factory.user("province_coordinator", province=75))
    url = f"/reports/campaigns/{c.id}?as_of=2026-06-30"
    first = _count_queries(lambda: coord.get(url))
    ind = _manual(c)
    for n, code in enumerate((TRAN_BIEN, LONG_THANH, OTHER)):
        for month in range(1, 7):
            _enter(ind, code, date(2026, month, 1 + n), month * 10)
    _enter(ind, None, date(2026, 6, 1), 99)
    assert _count_queries(lambda: coord.get(url)) == first


def _post(client, c, **data):
    return client.post(f"/reports/campaigns/{c.id}/values", data={
        "indicator_id": str(_manual(c).id), "place": str(TRAN_BIEN), "as_of": "2026-06-30", "value": "12",
        "source": "Công an xã", **data})


def test_officers_enter_their_commune_only_and_coordinators_anything(app, campaign_data, login_as, factory):
    c = campaign_data(size=1)
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    page = officer.get(f"/reports/campaigns/{c.id}/values")
    assert page.status_code == 200 and "Phường Trấn Biên" in page.text and "Xã Long Thành" not in page.text
    assert _post(officer, c).status_code == 302
    assert _post(officer, c, place=str(LONG_THANH)).status_code == 403
    assert _post(officer, c, place="province").status_code == 403
    assert _post(officer, c, place="nonsense").status_code == 403
    coord = login_as(factory.user("province_coordinator", province=75))
    assert _post(coord, c, place="province", value="50").status_code == 302
    assert _post(coord, c, place=str(LONG_THANH), value="7").status_code == 302
    for user in (factory.user("province_coordinator", province=56), factory.user("youth_organiser"),
                 factory.user("commune_officer", commune=LONG_THANH, username="lt-officer")):
        client = login_as(user)
        if user.username == "lt-officer":
            assert _post(client, c).status_code == 403  # Trấn Biên is not theirs
        else:
            assert client.get(f"/reports/campaigns/{c.id}/values").status_code == 403
    values = {(v.commune_code, v.value) for v in db.session.scalars(select(IndicatorValue))}
    assert values == {(TRAN_BIEN, 12), (None, 50), (LONG_THANH, 7)}
    row = db.session.scalar(select(IndicatorValue).where(IndicatorValue.commune_code == TRAN_BIEN))
    assert row.source == "Công an xã" and row.as_of == date(2026, 6, 30) and row.entered_by_id


def test_bad_input_gets_a_clear_message(app, campaign_data, login_as, factory):
    c = campaign_data(size=1)
    coord = login_as(factory.user("province_coordinator", province=75))
    cases = [({"value": "-3"}, "không được âm"), ({"value": "ba mươi"}, "Nhập một số"), ({"value": ""}, "Nhập một số"),
             ({"as_of": "2099-01-01"}, "tương lai"), ({"as_of": "31/02/2026"}, "31/12/2026"),
             ({"as_of": "2025-06-01"}, "trước khi chiến dịch bắt đầu"),
             ({"indicator_id": "999999"}, "Chọn chỉ tiêu")]
    for data, message in cases:
        resp = _post(coord, c, **data)
        assert resp.status_code == 422, data
        assert message in resp.text, (data, message)
    assert db.session.scalar(select(db.func.count()).select_from(IndicatorValue)) == 0
    # a computed indicator also takes a value reported by hand: it replaces the counted one for its commune
    other = db.session.scalar(select(Indicator).where(Indicator.campaign_id == c.id, Indicator.metric == "registrations"))
    _enter(other, TRAN_BIEN, date(2026, 6, 1), 3)
    db.session.commit()
    board = metrics.progress(c, as_of=date(2026, 6, 30))
    assert board.commune(TRAN_BIEN).achieved[other.id] == 3
    counted = metrics.achieved(c, end=date(2026, 6, 30))["registrations"]
    line = next(ip for ip in board.indicators if ip.indicator.id == other.id)
    assert line.achieved == 3 + sum(n for code, n in counted.items() if code != TRAN_BIEN)


def test_a_correction_replaces_the_value_and_keeps_the_trail(app, campaign_data, login_as, factory):
    c = campaign_data(size=1)
    officer_user = factory.user("commune_officer", commune=TRAN_BIEN)
    officer = login_as(officer_user)
    assert _post(officer, c, value="12").status_code == 302
    assert _post(officer, c, value="21", source="sửa lại").status_code == 302
    rows = db.session.scalars(select(IndicatorValue)).all()
    assert [(r.value, r.source) for r in rows] == [(21, "sửa lại")]
    trail = db.session.scalars(select(AuditLog).where(AuditLog.object_type == "indicator_values")
                               .order_by(AuditLog.id)).all()
    assert [a.action for a in trail] == ["indicator.value_entered", "indicator.value_corrected"]
    assert trail[1].details["previous"]["value"] == 12 and trail[1].details["value"] == 21
    assert all(a.actor_id == officer_user.id for a in trail)
    page = officer.get(f"/reports/campaigns/{c.id}/values").text
    assert "sửa lại" in page and "30/06/2026" in page
    # delete: only where one may enter
    other = login_as(factory.user("commune_officer", commune=LONG_THANH))
    assert other.post(f"/reports/campaigns/{c.id}/values/{rows[0].id}/delete").status_code == 403
    assert officer.post(f"/reports/campaigns/{c.id}/values/{rows[0].id}/delete").status_code == 302
    assert db.session.scalar(select(db.func.count()).select_from(IndicatorValue)) == 0
    assert db.session.scalar(select(AuditLog.action).order_by(AuditLog.id.desc()).limit(1)) == "indicator.value_deleted"
