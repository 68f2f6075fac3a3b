"""The lead unit updates a task's status (other units refused), overdue flagging, the table and its export."""

import io
from datetime import date

import openpyxl
from sqlalchemy import select

from campaign.core.services import DomainError
from campaign.extensions import db
from campaign.plans import services
from campaign.plans.models import PlanTask, PlanTaskUpdate
from tests.conftest import DONG_NAI, LONG_THANH, TRAN_BIEN

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_lead_unit_member_updates_status_with_evidence_file(app, plan, login_as):
    p = plan()
    client = login_as(p["member"])
    resp = client.post(f"/plans/tasks/{p['t1'].id}/status",
                       data={"status": "done", "note": "95/95 xã kết nối", "link": "https://dongnai.gov.vn/x",
                             "evidence": (io.BytesIO(PDF), "Biên bản.pdf")}, content_type="multipart/form-data")
    assert resp.status_code == 302, resp.text
    task = db.session.get(PlanTask, p["t1"].id)
    assert task.status == "done" and task.progress_note == "95/95 xã kết nối" and task.status_changed_at
    update = db.session.scalar(select(PlanTaskUpdate).where(PlanTaskUpdate.task_id == task.id))
    assert update.unit_id == p["dept"].id and update.by_id == p["member"].id
    assert update.evidence_type == "application/pdf" and update.evidence_name == "bien-ban.pdf"
    # the evidence is served to those who see the task, as a download in a sandbox
    got = login_as(p["other"]).get(f"/plans/updates/{update.id}/evidence")
    assert got.status_code == 200 and got.data == PDF and got.headers["Content-Security-Policy"] == "sandbox"
    page = client.get(f"/plans/tasks/{task.id}")
    assert "95/95 xã kết nối" in page.text and "bien-ban.pdf" in page.text


def test_other_units_and_coordinators_are_refused(app, plan, login_as, factory):
    p = plan()
    for user in (p["other"], factory.user("province_coordinator", province=DONG_NAI),
                 factory.user("commune_officer", commune=TRAN_BIEN)):  # partners of t1, and the coordinator
        resp = login_as(user).post(f"/plans/tasks/{p['t1'].id}/status", data={"status": "done", "note": "x"})
        assert resp.status_code == 403
    assert db.session.get(PlanTask, p["t1"].id).status == "not_started"
    assert db.session.scalar(select(PlanTaskUpdate.id)) is None
    # the service refuses as well, whoever calls it
    try:
        services.update_status(p["other"], db.session.get(PlanTask, p["t1"].id), "done", "x")
        raise AssertionError("refused expected")
    except DomainError:
        db.session.rollback()


def test_commune_officer_acts_for_the_commune_unit(app, plan, login_as, factory):
    p = plan()
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    elsewhere = factory.user("commune_officer", commune=LONG_THANH)
    ok = login_as(officer).post(f"/plans/tasks/{p['t2'].id}/status", data={"status": "in_progress", "note": "2 lớp"})
    assert ok.status_code == 302
    assert login_as(elsewhere).post(f"/plans/tasks/{p['t2'].id}/status",
                                    data={"status": "done", "note": "x"}).status_code == 403
    assert db.session.get(PlanTask, p["t2"].id).status == "in_progress"
    mine = login_as(officer).get("/plans/")
    assert "Lớp cho người cao tuổi" in mine.text and "Phát động" in mine.text  # lead of one, partner of the other


def test_bad_evidence_and_done_without_evidence_are_refused(app, plan, login_as):
    p = plan()
    client = login_as(p["member"])
    resp = client.post(f"/plans/tasks/{p['t1'].id}/status",
                       data={"status": "in_progress", "evidence": (io.BytesIO(b"<html>"), "x.html")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and "PDF, PNG" in resp.text
    assert client.post(f"/plans/tasks/{p['t1'].id}/status", data={"status": "done"}).status_code == 422
    assert client.post(f"/plans/tasks/{p['t1'].id}/status",
                       data={"status": "in_progress", "link": "javascript:alert(1)"}).status_code == 422
    assert db.session.get(PlanTask, p["t1"].id).status == "not_started"


def test_overdue_flagging(app, plan, login_as, factory):
    p = plan()
    t1 = db.session.get(PlanTask, p["t1"].id)
    assert t1.overdue(date(2026, 6, 1)) and not t1.overdue(date(2026, 5, 31))
    assert not db.session.get(PlanTask, p["t2"].id).overdue(date(2030, 1, 1))  # "regularly" is never overdue
    t1.status = "done"
    assert not t1.overdue(date(2026, 6, 1))
    db.session.rollback()
    # the table (today is after 31/05/2026 in these tests' clock or not: compare with the rule itself)
    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    from campaign.core.timeutil import local_today
    overdue = t1.overdue(local_today())
    page = coord.get(f"/plans/campaigns/{p['campaign'].id}?status=overdue")
    assert page.status_code == 200
    assert ("Phát động" in page.text) == overdue and "Lớp cho người cao tuổi" not in page.text
    assert ('data-overdue="1"' in coord.get(f"/plans/campaigns/{p['campaign'].id}").text) == overdue


def test_table_groups_sections_and_exports_the_plan_layout(app, plan, login_as, factory):
    p = plan()
    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    page = coord.get(f"/plans/campaigns/{p['campaign'].id}")
    assert page.status_code == 200
    assert page.text.index("Phát động") < page.text.index("Lớp cho người cao tuổi")
    assert "Tháng 5/2026" in page.text and "data-print" in page.text
    by_unit = page.text[page.text.index('id="plan-units"'):]
    assert f'data-unit="{p["dept"].id}"' in by_unit and f'data-unit="{p["commune"].id}"' in by_unit
    assert f'data-unit="{p["police"].id}"' not in by_unit  # a partner only
    resp = coord.get(f"/plans/campaigns/{p['campaign'].id}/tasks.xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[2][:7] == ("STT", "Nội dung", "Kết quả/sản phẩm", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời gian",
                           "Kinh phí (triệu đồng)")
    assert rows[3][0] == "I" and rows[4][:6] == (1, "Phát động", None, "Sở Khoa học và Công nghệ",
                                                 "Công an tỉnh; UBND phường Trấn Biên", "Tháng 5/2026")
    assert rows[5][0] == "II" and rows[6][3] == "UBND phường Trấn Biên"


def test_unit_page_lists_what_it_is_responsible_for(app, plan, login_as, factory):
    p = plan()
    page = login_as(p["member"]).get(f"/plans/units/{p['dept'].id}")
    assert page.status_code == 200
    assert 'data-role="lead"' in page.text and 'data-role="partner"' in page.text
    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    user = factory.user("trainer", province=DONG_NAI)
    assert coord.post(f"/plans/units/{p['police'].id}/members", data={"username": user.username}).status_code == 302
    assert p["police"].id in services.acting_unit_ids(user)
    assert coord.post(f"/plans/units/{p['police'].id}/members", data={"username": user.username}).status_code == 422


def test_links_to_indicators_and_events_stay_in_the_campaign(app, plan, login_as, factory):
    from campaign.campaigns.models import Campaign, Indicator

    p = plan()
    mine = Indicator(campaign_id=p["campaign"].id, code="9", name="Lượt dự thi", metric="manual", target_value=1)
    other_c = Campaign(province_code=DONG_NAI, name="Khác", slug="other-c", starts_on=date(2026, 1, 1),
                       ends_on=date(2026, 12, 31))
    db.session.add_all([mine, other_c])
    db.session.flush()
    theirs = Indicator(campaign_id=other_c.id, code="1", name="X", metric="manual", target_value=1)
    db.session.add(theirs)
    db.session.commit()
    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    url = f"/plans/tasks/{p['t1'].id}/links"
    assert coord.post(url, data={"indicator": [str(theirs.id)]}).status_code == 302
    assert db.session.get(PlanTask, p["t1"].id).indicators == []
    assert coord.post(url, data={"indicator": [str(mine.id)]}).status_code == 302
    assert [i.code for i in db.session.get(PlanTask, p["t1"].id).indicators] == ["9"]
    # volunteer shifts of a sub-campaign (Mùa hè số) carry the task too; another campaign's are refused
    from datetime import UTC, datetime

    from campaign.volunteers.models import Shift

    summer = Campaign(province_code=DONG_NAI, name="Mùa hè số", slug="summer-t", starts_on=date(2026, 6, 1),
                      ends_on=date(2026, 8, 31), parent_id=p["campaign"].id)
    db.session.add(summer)
    db.session.flush()
    shifts = [Shift(campaign_id=cid, commune_code=TRAN_BIEN, title=f"Ca {cid}",
                    starts_at=datetime(2026, 7, 1, 1, tzinfo=UTC), ends_at=datetime(2026, 7, 1, 4, tzinfo=UTC))
              for cid in (summer.id, other_c.id)]
    db.session.add_all(shifts)
    db.session.commit()
    assert coord.post(url, data={"indicator": [str(mine.id)], "shift": [str(shifts[1].id)]}).status_code == 302
    assert db.session.get(PlanTask, p["t1"].id).shifts == []
    assert coord.post(url, data={"indicator": [str(mine.id)], "shift": [str(shifts[0].id)]}).status_code == 302
    task = db.session.get(PlanTask, p["t1"].id)
    assert [s.title for s in task.shifts] == [f"Ca {summer.id}"] and len(task.indicators) == 1
    assert f"Ca {summer.id}" in coord.get(f"/plans/tasks/{task.id}").text


def test_timing_and_budget_wording():
    t = services.parse_timing("Quý III-IV/2026", 2026)
    assert (t.kind, t.starts_on, t.due_on) == ("quarter", date(2026, 7, 1), date(2026, 12, 31))
    t = services.parse_timing("Quý II, III/2026", 2026)
    assert (t.starts_on, t.due_on) == (date(2026, 4, 1), date(2026, 9, 30))
    assert services.parse_timing("Tháng 5/2026", 2026).due_on == date(2026, 5, 31)
    assert services.parse_timing("Trước 30/11/2026", 2026).due_on == date(2026, 11, 30)
    assert services.parse_timing("Thường xuyên", 2026).kind == "regularly"
    for bad in ("Quý V/2026", "sớm", "31/02/2026"):
        try:
            services.parse_timing(bad, 2026)
            raise AssertionError(bad)
        except ValueError:
            pass
    assert str(services.parse_budget("1.000")) == "1000.000"
    assert str(services.parse_budget("12,5")) == "12.500"
    assert services.parse_budget("") is None and str(services.parse_budget(500)) == "500.000"


def test_home_card_lists_the_units_open_tasks(app, plan, factory):
    from campaign.plans.today import cards

    p = plan()
    with app.test_request_context():
        mine = cards(p["member"], date(2026, 6, 1))
        assert [(c.kind, c.count, c.priority) for c in mine] == [("plan_tasks", 1, 10)]  # t1 is overdue then
        assert cards(p["member"], date(2026, 5, 1))[0].priority == 40
        assert cards(factory.user("volunteer"), date(2026, 6, 1)) == []


def test_table_and_unit_page_run_a_bounded_number_of_queries(app, plan, login_as, factory):
    from tests.reports.test_figures import _count_queries

    p = plan()
    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    urls = (f"/plans/campaigns/{p['campaign'].id}", f"/plans/units/{p['dept'].id}", "/plans/",
            f"/plans/campaigns/{p['campaign'].id}/tasks.xlsx")
    before = [_count_queries(lambda u=u: coord.get(u)) for u in urls]
    for n in range(2, 40):
        task = PlanTask(campaign_id=p["campaign"].id, section="training", number=n, content=f"Việc {n}",
                        timing="date", due_on=date(2026, 3, 1))
        db.session.add(task)
        db.session.flush()
        services.set_units(task, [p["dept"]], [p["police"], p["commune"]])
    db.session.commit()
    after = [_count_queries(lambda u=u: coord.get(u)) for u in urls]
    assert after == before
