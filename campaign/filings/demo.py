"""Demo: report periods of the Đồng Nai campaign relative to today (so it works whatever day the demo
is loaded): the current quarter, open (a few communes submitted, one returned, Trấn Biên's a draft), and
the previous quarter, past its deadline (most communes submitted, some late)."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from campaign.accounts.models import COMMUNE_OFFICER, PROVINCE_COORDINATOR, RoleGrant, User
from campaign.campaigns.models import Campaign
from campaign.core.timeutil import local_moment, local_today
from campaign.extensions import db
from campaign.filings import services
from campaign.filings.models import ReportPeriod
from campaign.units import services as units

TRAN_BIEN, LONG_THANH, TA_LAI = 26041, 26368, 26134
LATE_IN_PAST = 7  # communes that missed the previous quarter's deadline

TEXTS = {
    "results": "Tổ chức các lớp “Bình dân học vụ số” tại nhà văn hóa ấp; tổ công nghệ số cộng đồng hỗ trợ "
               "người dân cài đặt VNeID và nộp hồ sơ dịch vụ công trực tuyến.",
    "difficulties": "Một số ấp vùng sâu sóng di động yếu; người cao tuổi chưa có điện thoại thông minh.",
    "proposals": "Đề nghị tỉnh hỗ trợ thiết bị cho điểm học tập cộng đồng và tập huấn thêm cho tổ công nghệ số.",
}


def _period(campaign: Campaign, coordinator, day) -> ReportPeriod:
    d = services.quarter_defaults(day)
    period = db.session.scalar(select(ReportPeriod).where(ReportPeriod.campaign_id == campaign.id,
                                                          ReportPeriod.starts_on == d["starts_on"]))
    return period or services.create_period(coordinator, campaign, **d)


def load(context: dict) -> None:
    campaign = db.session.get(Campaign, context.get("campaign_main"))
    coordinator = db.session.scalar(select(User).join(RoleGrant, RoleGrant.user_id == User.id).where(
        RoleGrant.role == PROVINCE_COORDINATOR, RoleGrant.province_code == campaign.province_code)) if campaign else None
    if campaign is None or coordinator is None:
        return
    officers = {code: user for code, user in db.session.execute(
        select(RoleGrant.commune_code, User).join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role == COMMUNE_OFFICER))}
    today = local_today()
    current = _period(campaign, coordinator, today)
    previous = _period(campaign, coordinator, current.starts_on - timedelta(days=1))
    communes = units.communes(province_code=campaign.province_code)
    by_code = {c.code: c for c in communes}

    # the previous quarter: every commune but a few submitted (figures as of its last day), some late
    others = [c for c in communes if c.code not in (TRAN_BIEN, TA_LAI)]
    late = {c.code for c in others[-LATE_IN_PAST:]} | {TA_LAI}
    past_figures = services.figures_of(previous, today)
    for c in communes:
        if c.code not in late and services.report_of(previous, c.code) is None:
            rep = services.submit(officers.get(c.code, coordinator), previous, c, TEXTS, previous.due_on,
                                  figures=past_figures.get(c.code, []))
            when = local_moment(previous.due_on - timedelta(days=2 + c.code % 5), time(9 + c.code % 8))
            rep.submitted_at, rep.snapshot = when, {**rep.snapshot, "submitted_at": when.isoformat()}

    # the current quarter: three submitted, one of them returned; Trấn Biên's draft
    now_figures = services.figures_of(current, today, [LONG_THANH, *[c.code for c in others[:3]]])
    for code in [LONG_THANH, *[c.code for c in others[:2]]]:
        if code in by_code and services.report_of(current, code) is None:
            services.submit(officers.get(code, coordinator), current, by_code[code], TEXTS, today,
                            figures=now_figures.get(code, []))
    returned = services.report_of(current, others[1].code) if len(others) > 1 else None
    if returned is not None and returned.status == "submitted":
        services.return_report(coordinator, returned, "Đề nghị bổ sung số lớp đã mở và số người được hỗ trợ "
                                                      "cài đặt VNeID trong quý.")
    if TRAN_BIEN in by_code and services.report_of(current, TRAN_BIEN) is None:
        services.save_draft(officers.get(TRAN_BIEN, coordinator), current, by_code[TRAN_BIEN],
                            {"results": TEXTS["results"]})
    db.session.flush()
    context["echo"](f"filings: {current.name} due {current.due_on:%d/%m/%Y}; {previous.name}: "
                    f"{len(communes) - len(late)} submitted, {len(late)} late")
