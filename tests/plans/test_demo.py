"""The demo holds the Đồng Nai plan's Phụ lục II tasks with their units, and the competition entries
imported from a platform export file, counted on the dashboard."""

from datetime import date

from sqlalchemy import func, select

from campaign.campaigns.demo import MAIN_SLUG
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.plans.models import PlanTask, PlanUnit
from campaign.programmes.models import ProgrammeCount, ProgrammeImport
from campaign.reports import metrics


def test_demo_plan_tasks_and_competition_entries(runner, login_as, factory):
    result = runner.invoke(args=["demo", "--no-history"])
    assert result.exit_code == 0, result.output
    main = db.session.scalar(select(Campaign).where(Campaign.slug == MAIN_SLUG))
    tasks = {(t.section, t.number): t for t in db.session.scalars(select(PlanTask).where(PlanTask.campaign_id == main.id))}
    assert len(tasks) == 12
    contest = tasks[("communications", 5)]
    assert [u.name for u in contest.leads] == ["Sở Khoa học và Công nghệ"] and float(contest.budget) == 500
    assert [i.code for i in contest.indicators] == ["9"]
    statuses = sorted(t.status for t in tasks.values())
    assert statuses.count("done") == 2 and statuses.count("in_progress") == 4
    assert [k for k, t in tasks.items() if t.overdue(date(2026, 11, 29))] == [("training", 1)]
    assert db.session.scalar(select(func.count()).select_from(PlanUnit).where(PlanUnit.kind == "commune")) == 95
    # the competition: imported from a file through the importer, counted on the dashboard
    source = db.session.scalar(select(ProgrammeImport).where(ProgrammeImport.kind == "competition"))
    assert source.filename.endswith(".xlsx") and source.total == db.session.scalar(
        select(func.sum(ProgrammeCount.count)).where(ProgrammeCount.import_id == source.id))
    board = metrics.progress(main, as_of=date(2026, 11, 20))
    entries = next(ip for ip in board.indicators if ip.indicator.metric == "competition_entries")
    assert entries.achieved == source.total and 30000 < source.total < 50000
    page = login_as(factory.user("province_coordinator", province=75)).get(
        f"/plans/campaigns/{main.id}")
    assert page.status_code == 200 and page.text.count("data-task=") == 12
    assert runner.invoke(args=["demo", "--no-history"]).exit_code == 0  # idempotent
    assert db.session.scalar(select(func.count()).select_from(PlanTask)) == 12
    assert db.session.scalar(select(func.count()).select_from(ProgrammeImport)) == 2
