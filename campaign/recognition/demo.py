"""Demo data: one round of recognition at the end of Mùa hè số 2026 with its decisions (the two
volunteers with the most hours, the commune with the best progress, the most active team), each with
its document (PDF) and QR verification."""

from __future__ import annotations

import os
from datetime import date

from sqlalchemy import select

from campaign.accounts.models import User
from campaign.campaigns.models import Campaign
from campaign.core.timeutil import local_today
from campaign.extensions import db
from campaign.recognition import services
from campaign.recognition.models import RecognitionRound


def load(context: dict) -> None:
    if db.session.scalar(select(RecognitionRound.id).limit(1)) is not None:
        return
    coordinator = db.session.scalar(select(User).where(User.username == "sokhcn.dongnai"))
    summer = db.session.get(Campaign, context["campaign_summer"])
    if coordinator is None or summer is None:
        return
    base_url = os.environ.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"
    rnd = services.create_round(coordinator, summer, "Tổng kết Mùa hè số 2026", summer.starts_on, summer.ends_on)
    decided = min(date(2026, 9, 15), local_today())
    picks = []
    volunteers = services.volunteer_candidates(rnd)
    for award, c in zip(("certificate_of_merit", "commendation"), volunteers[:2], strict=False):
        picks.append(("volunteer", c.profile.id, award, "Chủ tịch UBND tỉnh Đồng Nai" if award == "certificate_of_merit"
                      else "Bí thư Tỉnh Đoàn Đồng Nai",
                      f"Tích cực tham gia {c.shifts} ca tình nguyện, {c.hours:g} giờ hỗ trợ người dân"))
    communes = services.commune_candidates(rnd)
    if communes:
        picks.append(("commune", communes[0].commune.code, "certificate_of_merit", "Chủ tịch UBND tỉnh Đồng Nai",
                      "Dẫn đầu tỉnh về tiến độ các chỉ tiêu Mùa hè số"))
    teams = services.team_candidates(rnd)
    if teams:
        picks.append(("team", teams[0].team.id, "letter_of_thanks", "Giám đốc Sở Khoa học và Công nghệ",
                      "Tuyên truyền và hỗ trợ người dân đến từng ngõ, từng nhà"))
    for n, (kind, subject, award, by, reason) in enumerate(picks, 1):
        services.decide(coordinator, rnd, subject_kind=kind, subject_id=subject, award=award, decided_by=by,
                        decision_number=f"{2400 + n}/QĐ-UBND", decided_on=decided, reason=reason, base_url=base_url)
    db.session.flush()
    context["echo"](f"recognition: {len(picks)} decisions with their documents")
