"""The demo's baselines: indicators 1–5 of the Đồng Nai plan all show a value, about a fifth of the communes
are flagged lagging (not nearly all), several remote communes are marked and supported."""

from datetime import date

from sqlalchemy import func, select

from campaign.campaigns.demo import MAIN_SLUG, SUMMER_SLUG
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.reports import metrics
from campaign.units.models import Commune


def test_demo_baselines_give_every_national_indicator_a_value(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    main = db.session.scalar(select(Campaign).where(Campaign.slug == MAIN_SLUG))
    board = metrics.progress(main, as_of=date(2026, 10, 15))
    by_code = {ip.indicator.code: ip for ip in board.indicators}
    for code in ("1", "2", "3", "4", "5"):
        ip = by_code[code]
        assert ip.achieved is not None and ip.achieved > 0, (code, ip)
    assert by_code["1"].entered_as_of == date(2026, 9, 30) and by_code["1"].achieved == 78.4  # the OLP's report
    for code in ("2", "5"):  # the communes' reported shares, weighed by their populations (the baselines)
        ip = by_code[code]
        assert ip.indicator.unit == "percent" and ip.baseline and ip.count
        assert abs(ip.achieved - ip.count / ip.baseline * 100) < 1e-9
        assert 0 < ip.achieved < 100
        rows = [r for r in board.communes if ip.indicator.id in r.achieved]
        assert min(r.achieved[ip.indicator.id] for r in rows) < ip.achieved < max(r.achieved[ip.indicator.id] for r in rows)
    # the 10/10 indicator counts distinct communes, at most all of them
    assert by_code["7"].achieved == len({c for c, n in metrics.achieved(main, end=date(2026, 10, 15))
                                        .get("national_day_activities", {}).items() if c is not None and n})
    assert by_code["7"].achieved <= 95
    # about a fifth flagged, not nearly all
    n = len(board.lagging)
    assert 10 <= n <= 25, n
    remote = db.session.scalar(select(func.count()).select_from(Commune).where(Commune.remote.is_(True)))
    assert remote >= 5
    summer = db.session.scalar(select(Campaign).where(Campaign.slug == SUMMER_SLUG))
    sb = metrics.progress(summer, as_of=date(2026, 8, 31))
    supported = next(ip for ip in sb.indicators if ip.indicator.metric == "remote_communes_supported")
    assert 0 < supported.achieved <= remote
    # Mùa hè số's share of the year's figure is shown on the year's campaign
    vneid = by_code["4"]
    assert vneid.sub_shares and vneid.sub_shares[0][0] == summer.name and 0 < vneid.sub_shares[0][1] <= 1
