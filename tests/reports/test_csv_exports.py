"""Issue 22 (8): the CSV downloads say their charset once, and their headers are in the user's
language (Vietnamese by default, English when chosen) — registrants, indicators and communes."""

import csv
import io

from tests.conftest import TRAN_BIEN
from tests.events.conftest import create_event, register

CSV_TYPE = "text/csv; charset=utf-8"
# The plans' appendix columns, in order (kế hoạch, phụ lục): STT, Chỉ tiêu thành phần, Đơn vị chủ trì, Đơn vị phối
# hợp, Phương thức đo lường, target, achieved in the quarter, achieved to date, %.
PLAN_VI = ["STT", "Chỉ tiêu thành phần", "Đơn vị chủ trì", "Đơn vị phối hợp", "Phương thức đo lường", "Mục tiêu",
           "Kết quả trong kỳ", "Lũy kế đến nay", "% so với chỉ tiêu"]


def _header(resp) -> list[str]:
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == CSV_TYPE
    return next(csv.reader(io.StringIO(resp.text.lstrip("\ufeff"))))


def test_report_csvs_in_vietnamese_then_english(app, campaign_data, login_as, factory):
    c = campaign_data(size=1)
    coord = login_as(factory.user("province_coordinator", province=75))
    communes = _header(coord.get(f"/reports/campaigns/{c.id}/communes.csv?as_of=2026-06-30"))
    assert communes[:7] == ["Hạng", "Mã xã/phường", "Xã/phường", "Xã vùng sâu, vùng xa", "Tiến độ (%)", "Vùng lõm",
                            "Lý do vùng lõm"]
    assert any(h.endswith(". đạt được") for h in communes) and any(h.endswith(". chỉ tiêu") for h in communes)
    indicators = _header(coord.get(f"/reports/campaigns/{c.id}/indicators.csv?as_of=2026-06-30"))
    assert indicators[:9] == PLAN_VI
    # A prepared (background) CSV is served with the same single charset.
    resp = coord.post(f"/reports/campaigns/{c.id}/prepare?as_of=2026-06-30", data={"what": "communes"})
    download = coord.get(f"/jobs/{int(resp.headers['Location'].rsplit('/', 1)[1])}/download")
    assert _header(download) == communes

    coord.get("/lang/en")
    communes_en = _header(coord.get(f"/reports/campaigns/{c.id}/communes.csv?as_of=2026-06-30"))
    assert communes_en[:7] == ["Rank", "Commune code", "Commune or ward", "Remote commune", "Progress (%)", "Lagging",
                               "Why lagging"]
    indicators_en = _header(coord.get(f"/reports/campaigns/{c.id}/indicators.csv?as_of=2026-06-30"))
    assert indicators_en == ["No.", "Component indicator", "Lead unit", "Partner units", "Measurement method",
                             "Target value", "Achieved in the period", "Achieved to date", "Percent of the target", "Unit",
                             "Counted from", "Expected by now", "Entered as of", "Source of the entered figure"]


def test_registrants_csv_in_vietnamese_then_english(login_as, factory):
    event = create_event()
    register(event, name="Đặng Văn Đức", phone="0901234123", commune_code=TRAN_BIEN)
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    header = _header(officer.get(f"/manage/events/{event.id}/registrants.csv"))
    assert header[:3] == ["STT", "Họ và tên", "Số điện thoại"]
    officer.get("/lang/en")
    assert _header(officer.get(f"/manage/events/{event.id}/registrants.csv"))[:3] == ["No.", "Full name", "Phone"]
