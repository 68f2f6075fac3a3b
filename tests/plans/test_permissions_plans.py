"""The permission matrix of every plans route (see tests/matrix.py for the actors).

The task is led by Trấn Biên's unit (officer_a acts for it through the commune grant); the trainer is a
member of a partner unit (a department) and so sees the table, but may not update the task."""

from datetime import date

import pytest
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.plans import services
from campaign.plans.models import PlanTask, PlanTaskUpdate, PlanUnit, PlanUnitMember
from campaign.units.models import Commune
from tests.conftest import DONG_NAI, TRAN_BIEN
from tests.matrix import EVERY_USER, Row, check_row, ok

MANAGERS = ok("admin", "coord")
VIEWERS = ok("admin", "coord", "officer_a", "officer_b", "youth", "trainer")
ROWS = [
    Row("GET", "/plans/", EVERY_USER),
    Row("GET", "/plans/campaigns/{campaign}", VIEWERS),
    Row("GET", "/plans/campaigns/{campaign}?status=overdue", VIEWERS),
    Row("GET", "/plans/campaigns/{campaign}/tasks.xlsx", VIEWERS),
    Row("GET", "/plans/campaigns/{campaign}/import/template.xlsx", MANAGERS),
    Row("GET", "/plans/campaigns/{campaign}/import", MANAGERS),
    Row("POST", "/plans/campaigns/{campaign}/import", ok("admin", "coord", status=422)),
    Row("GET", "/plans/tasks/{task}", VIEWERS),
    Row("POST", "/plans/tasks/{task}/status", ok("admin", "officer_a", status=302),
        data={"status": "in_progress", "note": "Đã mở 2 lớp"}),
    Row("POST", "/plans/tasks/{task}/status", ok("admin", "officer_a", status=422), data={"status": "done"}),
    Row("POST", "/plans/tasks/{task}/links", ok("admin", "coord", status=302), data={"indicator": "999999"}),
    Row("GET", "/plans/updates/{update}/evidence", VIEWERS),
    Row("GET", f"/plans/provinces/{DONG_NAI}/units", VIEWERS),
    Row("POST", f"/plans/provinces/{DONG_NAI}/units", ok("admin", "coord", status=422), data={"name": ""}),
    Row("GET", "/plans/units/{unit}", VIEWERS),
    Row("POST", "/plans/units/{unit}/members", ok("admin", "coord", status=422), data={"username": ""}),
    Row("POST", "/plans/units/{unit}/members/{member}/delete", ok("admin", "coord", status=302)),
]


def objects(factory, actors):
    c = db.session.scalar(select(Campaign).where(Campaign.slug == "perm-plans"))
    if c is None:
        c = Campaign(province_code=DONG_NAI, name="Kế hoạch", slug="perm-plans",
                     starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
        db.session.add(c)
        db.session.flush()
        known = services.find_units(DONG_NAI)
        lead = services.create_unit(None, DONG_NAI, "UBND phường Trấn Biên", commune=db.session.get(Commune, TRAN_BIEN),
                                    known=known)
        dept = services.create_unit(None, DONG_NAI, "Sở Khoa học và Công nghệ", known=known)
        task = PlanTask(campaign_id=c.id, section="training", number=1, content="Lớp", timing="regularly")
        db.session.add(task)
        db.session.flush()
        services.set_units(task, [lead], [dept])
        db.session.add(PlanTaskUpdate(task=task, unit_id=lead.id, status="in_progress", note="x",
                                      evidence_name="a.pdf", evidence_type="application/pdf",
                                      evidence_data=b"%PDF-1.4 x"))
        db.session.commit()
    task = db.session.scalar(select(PlanTask).where(PlanTask.campaign_id == c.id))
    dept = db.session.scalar(select(PlanUnit).where(PlanUnit.search_name == "so khoa hoc va cong nghe"))
    for user in (actors["trainer"],):
        if not db.session.scalar(select(PlanUnitMember.id).where(PlanUnitMember.unit_id == dept.id,
                                                                 PlanUnitMember.user_id == user.id)):
            db.session.add(PlanUnitMember(unit_id=dept.id, user_id=user.id))
    spare = factory.user("trainer", province=DONG_NAI, commit=False)
    member = PlanUnitMember(unit_id=dept.id, user_id=spare.id)
    db.session.add(member)
    db.session.commit()
    update = db.session.scalar(select(PlanTaskUpdate.id).where(PlanTaskUpdate.evidence_data.is_not(None)))
    return {"campaign": c.id, "task": task.id, "update": update, "unit": dept.id, "member": member.id}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_plans_permissions(app, factory, row):
    check_row(app, factory, row, objects)
