"""Plans fixtures: a campaign of Đồng Nai with units and two tasks."""

from datetime import date

import pytest

from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.plans import services
from campaign.plans.models import PlanTask, PlanUnitMember
from campaign.units.models import Commune
from tests.conftest import DONG_NAI, TRAN_BIEN


@pytest.fixture
def plan(factory):
    """A campaign; units "Sở Khoa học và Công nghệ" (with a member), "Công an tỉnh", Trấn Biên's unit; task
    I.1 led by the department (due 31/05/2026), task II.1 led by Trấn Biên's unit (regularly)."""

    def build(slug: str = "plan-test"):
        campaign = Campaign(province_code=DONG_NAI, name="Kế hoạch thử", slug=slug,
                            starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
        db.session.add(campaign)
        db.session.flush()
        known = services.find_units(DONG_NAI)
        dept = services.create_unit(None, DONG_NAI, "Sở Khoa học và Công nghệ", known=known)
        police = services.create_unit(None, DONG_NAI, "Công an tỉnh", known=known)
        commune = services.create_unit(None, DONG_NAI, "UBND phường Trấn Biên", known=known,
                                       commune=db.session.get(Commune, TRAN_BIEN))
        member = factory.user("trainer", province=DONG_NAI, commit=False)
        other = factory.user("trainer", province=DONG_NAI, commit=False)
        db.session.add(PlanUnitMember(unit_id=dept.id, user_id=member.id))
        db.session.add(PlanUnitMember(unit_id=police.id, user_id=other.id))
        t1 = PlanTask(campaign_id=campaign.id, section="communications", number=1, content="Phát động",
                      timing="month", starts_on=date(2026, 5, 1), due_on=date(2026, 5, 31), timing_text="Tháng 5/2026")
        t2 = PlanTask(campaign_id=campaign.id, section="training", number=1, content="Lớp cho người cao tuổi",
                      timing="regularly")
        db.session.add_all([t1, t2])
        db.session.flush()
        services.set_units(t1, [dept], [police, commune])
        services.set_units(t2, [commune], [dept])
        db.session.commit()
        return {"campaign": campaign, "dept": dept, "police": police, "commune": commune, "member": member,
                "other": other, "t1": t1, "t2": t2}

    return build
