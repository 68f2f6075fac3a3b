"""The plan's task table imported from its own XLSX: the plan's layout, preview, every row or none."""

import base64
import io
import re
from datetime import date

import openpyxl
from sqlalchemy import func, select

from campaign.extensions import db
from campaign.plans.models import PlanTask, PlanUnit
from tests.conftest import DONG_NAI

HEADER = ["STT", "Nội dung công việc", "Chỉ tiêu/Kết quả", "Đơn vị chủ trì", "Đơn vị phối hợp",
          "Thời gian thực hiện", "Kinh phí (Triệu đồng)"]


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _plan_file(bad: bool = False) -> bytes:
    """Phụ lục II as the plan prints it: title lines, section rows, a header repeated after a page break and
    a task split across the break."""
    rows = [["Phụ lục II"], ["CÁC NHIỆM VỤ TRIỂN KHAI PHONG TRÀO “BÌNH DÂN HỌC VỤ SỐ”"], [], HEADER,
            ["I CÔNG TÁC THÔNG TIN, TUYÊN TRUYỀN VÀ LAN TỎA PHONG TRÀO"],
            [1, "Phát động Phong trào toàn tỉnh", "100% xã, phường kết nối", "Sở Khoa học và Công nghệ",
             "Ban Tuyên giáo và Dân vận Tỉnh ủy; UBND các xã, phường", "Tháng 5/2026", None],
            [5, "Cuộc thi “Công dân số Đồng Nai”", "Ít nhất 50.000 lượt dự thi", "Sở Khoa học và Công nghệ",
             "Đoàn TNCS Hồ Chí Minh tỉnh", "Quý III-IV/2026" if not bad else "Quý V/2026", "500"],
            HEADER,
            [6, "Chiến dịch “Mùa hè số”", "100% xã vùng sâu được hỗ trợ", "Đoàn TNCS Hồ Chí Minh tỉnh",
             "Công an tỉnh", "Quý III/2026", "1.000" if not bad else "nhiều"],
            ["II. CÔNG TÁC ĐÀO TẠO, TẬP HUẤN VÀ XÁC NHẬN KỸ NĂNG SỐ"],
            [5, "Tập huấn kỹ năng số cho CBCC, VC,", "Thành thạo AI để soạn thảo", "Sở Khoa học và Công nghệ",
             "Sở Nội vụ; UBND các", "Quý III-IV/2026", 500],
            [None, "người lao động", "văn bản.", None, "xã, phường", None, None],
            [None, "(đợt 2)", None, None, None, None, None],  # only the content continues: not a section
            ["III", "CÔNG TÁC THI ĐUA, KHEN THƯỞNG", None, None, None, None, None],
            [1, "Khen thưởng tập thể, cá nhân tiêu biểu", "", "Sở Nội vụ", "", "Tháng 12/2026", None]]
    if bad:
        rows.append([7, "", "", "", "", "", ""])  # line 16
    return _xlsx(rows)


def test_the_plans_own_table_imports_after_a_preview(app, plan, login_as, factory):
    p = plan()
    campaign = p["campaign"]
    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    url = f"/plans/campaigns/{campaign.id}/import"
    resp = coord.post(url, data={"file": (io.BytesIO(_plan_file()), "phu-luc-2.xlsx")},
                      content_type="multipart/form-data")
    assert resp.status_code == 200, resp.text
    assert 'data-status="new"' in resp.text and 'data-status="updated"' in resp.text  # I.1 exists already
    assert db.session.scalar(select(func.count()).select_from(PlanTask)) == 2  # nothing written by the preview
    payload = re.search(r'name="payload" value="([^"]+)"', resp.text).group(1)
    done = coord.post(url, data={"payload": payload, "filename": "phu-luc-2.xlsx", "confirm": "1"})
    assert done.status_code == 302
    tasks = {(t.section, t.number): t for t in db.session.scalars(select(PlanTask))}
    assert set(tasks) == {("communications", 1), ("communications", 5), ("communications", 6), ("training", 1),
                          ("training", 5), ("emulation", 1)}
    contest = tasks[("communications", 5)]
    assert (contest.timing, contest.starts_on, contest.due_on, float(contest.budget)) == (
        "quarter", date(2026, 7, 1), date(2026, 12, 31), 500)
    assert float(tasks[("communications", 6)].budget) == 1000
    training = tasks[("training", 5)]  # the row split across the page break, joined
    assert training.content == "Tập huấn kỹ năng số cho CBCC, VC, người lao động (đợt 2)"
    assert [u.name for u in training.partners] == ["Sở Nội vụ", "UBND các xã, phường"]
    assert [u.name for u in tasks[("communications", 1)].partners] == ["Ban Tuyên giáo và Dân vận Tỉnh ủy",
                                                                        "UBND các xã, phường"]
    assert tasks[("communications", 1)].content == "Phát động Phong trào toàn tỉnh"
    units = {u.name: u.kind for u in db.session.scalars(select(PlanUnit))}
    assert units["Đoàn TNCS Hồ Chí Minh tỉnh"] == "youth_union" and units["UBND các xã, phường"] == "communes"


def test_a_file_with_bad_rows_imports_nothing_and_lists_each(app, plan, login_as, factory):
    p = plan()
    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    url = f"/plans/campaigns/{p['campaign'].id}/import"
    units_before = db.session.scalar(select(func.count()).select_from(PlanUnit))
    resp = coord.post(url, data={"file": (io.BytesIO(_plan_file(bad=True)), "x.xlsx")},
                      content_type="multipart/form-data")
    assert resp.status_code == 422
    errors = dict(re.findall(r'<tr data-line="(\d+)"><th scope="row">\d+</th><td>([^<]+)</td>', resp.text))
    assert set(errors) == {"7", "9", "16"}, errors
    assert "Quý V/2026" in errors["7"] and "nhiều" in errors["9"] and "thiếu nội dung" in errors["16"]
    assert 'id="confirm-import"' not in resp.text
    # a forced confirmation of the bad file is checked again and writes nothing
    forced = coord.post(url, data={"payload": base64.b64encode(_plan_file(bad=True)).decode(), "filename": "x.xlsx",
                                   "confirm": "1"})
    assert forced.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(PlanTask)) == 2
    assert db.session.scalar(select(func.count()).select_from(PlanUnit)) == units_before


def test_template_and_unknown_columns(app, plan, login_as, factory):
    p = plan()
    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    ws = openpyxl.load_workbook(io.BytesIO(coord.get(
        f"/plans/campaigns/{p['campaign'].id}/import/template.xlsx").data)).worksheets[0]
    assert [c.value for c in ws[1]][:3] == ["Mục", "STT *", "Nội dung *"]
    resp = coord.post(f"/plans/campaigns/{p['campaign'].id}/import",
                      data={"file": (io.BytesIO(_xlsx([HEADER + ["Ghi chú lạ"], [1, "a", "", "b", "", "", ""]])),
                                     "x.xlsx")}, content_type="multipart/form-data")
    assert resp.status_code == 422 and "Ghi chú lạ" in resp.text
