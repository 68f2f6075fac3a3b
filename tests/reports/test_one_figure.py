"""One definition of each figure: every indicator of the demo campaign shows the same figure on the
dashboard, the commune page, the volunteers' weekly review, the quarterly XLSX and the CSVs."""

import csv
import io
import re
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from campaign.accounts.models import User
from campaign.campaigns.demo import MAIN_SLUG
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.reports import metrics

AS_OF = "2026-10-15"
TRAN_BIEN = 26041


def _num(text: str):
    return None if text in ("", None) else float(text)


def _rows(html: str, pattern: str) -> dict[str, float | None]:
    """{indicator code: the figure in the row's data-value cell}."""
    return {code: _num(re.search(r'data-value="([^"]*)"', body).group(1))
            for code, body in re.findall(pattern, html, re.S)}


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_every_indicator_shows_one_figure_everywhere(runner, login_as):
    assert runner.invoke(args=["demo"]).exit_code == 0
    main = db.session.scalar(select(Campaign).where(Campaign.slug == MAIN_SLUG))
    board = metrics.progress(main, as_of=date.fromisoformat(AS_OF))
    assert board.facts_at is not None  # the demo built the daily facts: the figures come from them
    want = {ip.indicator.code: ip.achieved for ip in board.indicators}
    units = {ip.indicator.code: ip.indicator.unit for ip in board.indicators}
    assert len(want) >= 9 and all(v is not None for v in want.values())
    client = login_as(db.session.scalar(select(User).where(User.username == "sokhcn.dongnai")))

    dashboard = client.get(f"/reports/campaigns/{main.id}?as_of={AS_OF}").text
    review = client.get(f"/volunteers/campaigns/{main.id}/review?as_of={AS_OF}").text
    shown = {
        "dashboard": _rows(dashboard, r'<tr data-indicator="([^"]+)"[^>]*>(.*?)</tr>'),
        "weekly review": _rows(review, r'<tr data-code="([^"]+)" data-metric="\w+">(.*?)</tr>'),
    }
    wb = openpyxl.load_workbook(io.BytesIO(client.get(f"/reports/campaigns/{main.id}/report.xlsx?as_of={AS_OF}").data))
    shown["xlsx"] = {str(r[0]): (r[7] * 100 if units.get(str(r[0])) == "percent" and r[7] is not None else r[7])
                     for r in wb.worksheets[0].iter_rows(min_row=6, values_only=True) if r[0] is not None}
    lines = _csv(client.get(f"/reports/campaigns/{main.id}/indicators.csv?as_of={AS_OF}").text)
    assert lines[0][7] == "Lũy kế đến nay"
    shown["csv"] = {r[0]: _num(r[7]) for r in lines[1:]}
    for where, figures in shown.items():
        for code, value in want.items():
            assert figures.get(code) == pytest.approx(value, abs=0.01), (where, code)
    # and the same figures counted from the records (the facts switched off)
    client.application.config["REPORTS_FACTS"] = False
    try:
        live = metrics.progress(main, as_of=date.fromisoformat(AS_OF))
    finally:
        client.application.config.pop("REPORTS_FACTS")
    assert live.facts_at is None
    assert {ip.indicator.code: ip.achieved for ip in live.indicators} == pytest.approx(want, abs=1e-9)

    # one commune: the commune page, its row on the dashboard, in the communes CSV and the XLSX's sheet 2
    row = board.commune(TRAN_BIEN)
    mine = {ip.indicator.code: row.achieved.get(ip.indicator.id) for ip in board.indicators}
    assert sum(v is not None for v in mine.values()) >= 8
    page = client.get(f"/reports/campaigns/{main.id}/communes/{TRAN_BIEN}?as_of={AS_OF}").text
    on_board = re.search(rf'<tr data-commune="{TRAN_BIEN}"[^>]*>(.*?)</tr>', dashboard, re.S).group(1)
    communes = _csv(client.get(f"/reports/campaigns/{main.id}/communes.csv?as_of={AS_OF}").text)
    csv_row = dict(zip(communes[0], next(r for r in communes[1:] if r[1] == str(TRAN_BIEN)), strict=True))
    sheet = list(wb.worksheets[1].iter_rows(values_only=True))
    xlsx_row = dict(zip(sheet[0], next(r for r in sheet[1:] if r[1] == row.commune.name), strict=True))
    commune_shown = {
        "commune page": _rows(page, r'<tr data-metric="\w+" data-code="([^"]+)">(.*?)</tr>'),
        "dashboard row": {c: _num(v) for v, c in re.findall(r'data-value="([^"]*)" data-code="([^"]+)"', on_board)},
        "communes csv": {c: _num(csv_row[f"{c}. đạt được"]) for c in mine},
        "xlsx sheet 2": {c: (xlsx_row[f"{c}. đạt được"] * 100 if units[c] == "percent" and xlsx_row[f"{c}. đạt được"]
                             is not None else xlsx_row[f"{c}. đạt được"]) for c in mine},
    }
    for where, figures in commune_shown.items():
        for code, value in mine.items():
            if value is None:
                assert figures.get(code) is None, (where, code)
            else:
                assert figures.get(code) == pytest.approx(value, abs=0.01), (where, code)
    # the commune officer downloads the same figures of their own commune (the plans' layout)
    officer = login_as(db.session.scalar(select(User).where(User.username == "canbo.tranbien")))
    own = _csv(officer.get(f"/reports/campaigns/{main.id}/communes/{TRAN_BIEN}/figures.csv?as_of={AS_OF}").text)
    assert own[0][:9] == ["STT", "Chỉ tiêu thành phần", "Đơn vị chủ trì", "Đơn vị phối hợp", "Phương thức đo lường",
                          "Mục tiêu", "Kết quả trong kỳ", "Lũy kế đến nay", "% so với chỉ tiêu"]
    for r in own[1:]:
        assert _num(r[7]) == (None if mine[r[0]] is None else pytest.approx(mine[r[0]], abs=0.01)), r[0]
    assert officer.get(f"/reports/campaigns/{main.id}/communes/26368/figures.csv").status_code == 403
