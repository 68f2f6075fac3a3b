"""The demo's hand-entered figures show on the Đồng Nai 2026 dashboard."""

from datetime import date

from sqlalchemy import select

from campaign.campaigns.demo import MAIN_SLUG
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.reports import metrics


def test_demo_has_manual_values_on_the_dashboard(runner, login_as, factory):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    main = db.session.scalar(select(Campaign).where(Campaign.slug == MAIN_SLUG))
    board = metrics.progress(main, as_of=date(2026, 10, 15))
    vneid = next(ip for ip in board.indicators if ip.indicator.code == "4a")
    assert (vneid.achieved, vneid.entered_as_of, vneid.communes_reported) == (47200, date(2026, 9, 30), 0)
    assert abs(vneid.pct - 47200 / 60000 * 100) < 1e-9
    tb = next(r for r in board.communes if r.commune.code == 26041)
    assert tb.achieved[vneid.indicator.id] == 3350
    page = login_as(factory.user("province_coordinator", province=75)).get(
        f"/reports/campaigns/{main.id}?as_of=2026-10-15")
    assert 'data-metric="manual"' in page.text and "47.200" in page.text
    assert runner.invoke(args=["demo"]).exit_code == 0  # idempotent
    assert metrics.manual_values([vneid.indicator.id], date(2026, 10, 15))[vneid.indicator.id][None].value == 47200
