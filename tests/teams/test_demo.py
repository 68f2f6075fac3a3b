"""The demo holds teams in most villages of three communes, communications, and a round of recognition
whose documents verify."""

from sqlalchemy import func, select

from campaign.campaigns.models import Campaign
from campaign.core.timeutil import local_today
from campaign.extensions import db
from campaign.recognition.models import RecognitionDecision
from campaign.reports import metrics
from campaign.teams import services
from campaign.teams.models import CommsActivity, Team, TeamMember


def test_demo_teams_communications_and_recognition(runner, app):
    result = runner.invoke(args=["demo", "--no-history"])
    assert result.exit_code == 0, result.output
    assert "teams: 8 community digital teams" in result.output
    assert db.session.scalar(select(func.count()).select_from(TeamMember)) >= 32
    assert db.session.scalar(select(func.count()).select_from(CommsActivity)) > 10
    cov = services.coverage(75, [26041, 26368, 26134])
    assert sorted((c.with_team, c.villages) for c in cov.values()) == [(2, 3), (3, 3), (3, 4)]
    assert sum(c.active for c in cov.values()) >= 5
    decisions = db.session.scalars(select(RecognitionDecision)).all()
    assert {d.subject_kind for d in decisions} == {"volunteer", "commune", "team"}
    assert all(d.pdf and d.pdf.startswith(b"%PDF") for d in decisions)
    page = app.test_client().get(f"/recognition/verify/{decisions[0].verify_token}")
    assert page.status_code == 200 and decisions[0].recipient in page.text
    main = db.session.scalar(select(Campaign).where(Campaign.parent_id.is_(None)))
    board = metrics.progress(main, as_of=local_today())
    shares = {ip.indicator.metric: ip for ip in board.indicators if ip.indicator.metric in services_metrics()}
    assert set(shares) == {"villages_with_active_team", "team_members_trained", "villages_with_communications"}
    got = {m: ip.achieved for m, ip in shares.items()}
    assert all(ip.pct is not None and 0 <= ip.achieved <= 100 for ip in shares.values()), got
    assert got["villages_with_active_team"] > 0 and got["villages_with_communications"] > 0, got
    assert got["team_members_trained"] > 0, got
    assert db.session.scalar(select(func.count()).select_from(Team)) == 8
    assert "teams: " not in runner.invoke(args=["demo", "--no-history"]).output


def services_metrics():
    from campaign.teams.indicators import METRICS
    return METRICS
