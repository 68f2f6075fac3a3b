"""The weekly "vùng lõm" summary to youth union organisers: Monday from 07:00, once a week."""

from __future__ import annotations

from datetime import date, datetime

from campaign.campaigns.models import Campaign, Indicator, IndicatorTarget
from campaign.core.timeutil import LOCAL_TZ
from campaign.extensions import db
from campaign.messages import digests, outbox
from tests.conftest import DONG_NAI, KHANH_HOA, LONG_THANH, TRAN_BIEN
from tests.messages.helpers import messages, text_of


def test_weekly_summary_goes_to_the_provinces_youth_organisers_once_a_week(app, factory, mailbox):
    youth = factory.user("youth_organiser", province=DONG_NAI, commit=False)
    youth.email = "doan@example.vn"
    commune_youth = factory.user("youth_organiser", commune=LONG_THANH, commit=False)
    commune_youth.email = "doan.xa@example.vn"
    elsewhere = factory.user("youth_organiser", province=KHANH_HOA, commit=False)
    elsewhere.email = "khanhhoa@example.vn"
    camp = Campaign(province_code=DONG_NAI, name="Mùa hè số 2030", slug="mhs-2030", kind="summer",
                    starts_on=date(2030, 6, 1), ends_on=date(2030, 8, 31))
    db.session.add(camp)
    db.session.flush()
    ind = Indicator(campaign_id=camp.id, code="1", name="Giờ tình nguyện", metric="volunteer_hours",
                    unit="hours", target_value=200)
    db.session.add(ind)
    db.session.flush()
    db.session.add_all([IndicatorTarget(indicator_id=ind.id, commune_code=c, target_value=100)
                        for c in (TRAN_BIEN, LONG_THANH)])
    db.session.commit()
    monday_early = datetime(2030, 7, 8, 6, 30, tzinfo=LOCAL_TZ)  # a Monday, before 07:00
    assert digests.queue_weekly_summaries(monday_early) == 0
    monday = datetime(2030, 7, 8, 7, 1, tzinfo=LOCAL_TZ)
    assert digests.queue_weekly_summaries(monday) == 2
    db.session.commit()
    assert digests.queue_weekly_summaries(monday.replace(hour=15)) == 0  # once a week
    assert digests.queue_weekly_summaries(datetime(2030, 7, 9, 8, 0, tzinfo=LOCAL_TZ)) == 0  # not Tuesday
    assert sorted(m.user_id for m in messages(kind="weekly_summary")) == sorted([youth.id, commune_youth.id])
    outbox.deliver_due()
    mail = mailbox.wait_for(2)[0]
    assert "2030-W28" in mail["Subject"] and "2 xã" in mail["Subject"]
    text = text_of(mail)
    assert "Phường Trấn Biên" in text and "Xã Long Thành" in text
    assert f"/volunteers/campaigns/{camp.id}/review" in text
