"""The dashboard's figures equal sums computed independently (plain Python over the raw rows)."""

import io
import math
from collections import defaultdict
from datetime import date, datetime, time, timedelta

import openpyxl
import pytest
from sqlalchemy import event, select

from campaign.core.timeutil import local_to_utc
from campaign.courses.models import Certificate, Course
from campaign.events.models import Event, Person, Registration
from campaign.extensions import db
from campaign.reports import metrics
from campaign.volunteers.models import Shift, Signup, SignupHelped
from tests.conftest import LONG_THANH, TRAN_BIEN
from tests.reports.conftest import AS_OF


def _end(d: date):
    return local_to_utc(datetime.combine(d + timedelta(days=1), time(0)))


def independent(campaign, as_of: date, start: date | None = None):
    """Per-commune sums over every raw row, in Python."""
    end = _end(as_of)
    lo = local_to_utc(datetime.combine(start, time(0))) if start else None

    def inside(t):
        return t < end and (lo is None or t >= lo)

    out = defaultdict(lambda: defaultdict(float))
    events = {e.id: e for e in db.session.scalars(select(Event))}
    for r in db.session.scalars(select(Registration)):
        e = events[r.event_id]
        if e.campaign_id == campaign.id and r.status == "confirmed" and inside(r.created_at):
            out["registrations"][e.commune_code] += 1
    courses = {c.id: c for c in db.session.scalars(select(Course))}
    regs = {r.id: r for r in db.session.scalars(select(Registration))}
    persons = defaultdict(set)
    for cert in db.session.scalars(select(Certificate)):
        e = events[courses[cert.course_id].event_id]
        if e.campaign_id == campaign.id and cert.status == "valid" and inside(cert.issued_at):
            persons[e.commune_code].add(regs[cert.registration_id].person_id)
    for code, ids in persons.items():
        out["people_trained"][code] = len(ids)
    shifts = {s.id: s for s in db.session.scalars(select(Shift))}
    signups = {s.id: s for s in db.session.scalars(select(Signup))}
    for s in signups.values():
        sh = shifts[s.shift_id]
        if sh.campaign_id == campaign.id and s.status == "confirmed" and inside(sh.starts_at):
            out["volunteer_hours"][sh.commune_code] += s.hours or 0
    for h in db.session.scalars(select(SignupHelped)):
        s = signups[h.signup_id]
        sh = shifts[s.shift_id]
        if sh.campaign_id == campaign.id and s.status == "confirmed" and inside(sh.starts_at):
            out["people_helped"][sh.commune_code] += h.people
    for e in events.values():
        parent = events.get(e.parent_id)
        if (parent is not None and parent.kind == "national_day" and parent.province_code == campaign.province_code
                and e.status != "cancelled" and inside(e.starts_at)):
            out["national_day_activities"][e.commune_code] += 1
        if e.campaign_id == campaign.id and e.kind == "bridge_point" and e.connected_at and inside(e.connected_at):
            out["bridge_points_connected"][e.commune_code] += 1
    assert db.session.scalar(select(Person.id).limit(1))  # the fixture made people
    return out


def test_dashboard_equals_independent_sums(app, campaign_data):
    c = campaign_data(size=2)
    want = independent(c, AS_OF)
    board = metrics.progress(c, as_of=AS_OF)
    by_metric = {ip.indicator.metric: ip for ip in board.indicators}
    assert sum(want["national_day_activities"].values()) == 2
    for metric in ("registrations", "people_trained", "people_helped", "volunteer_hours", "bridge_points_connected",
                   "national_day_activities"):
        assert round(by_metric[metric].achieved, 2) == round(sum(want[metric].values()), 2), metric
        for row in board.communes:
            got = row.achieved[by_metric[metric].indicator.id]
            assert round(got, 2) == round(want[metric].get(row.commune.code, 0), 2), (metric, row.commune.code)
    assert by_metric["manual"].achieved is None
    # a quarter: the same sums restricted to its dates
    q = metrics.progress(c, start=date(2026, 4, 1), end=date(2026, 6, 30), as_of=AS_OF)
    want_q = independent(c, date(2026, 6, 30), start=date(2026, 4, 1))
    assert {ip.indicator.metric: round(ip.achieved or 0, 2) for ip in q.indicators if ip.achieved is not None} == {
        m: round(sum(want_q[m].values()), 2) for m in
        ("people_trained", "registrations", "people_helped", "volunteer_hours", "bridge_points_connected",
         "national_day_activities")}


def test_progress_prorated_and_lagging(app, campaign_data):
    c = campaign_data(size=1)
    board = metrics.progress(c, as_of=AS_OF)
    assert abs(board.expected - 181 / 365) < 1e-9
    reg = next(ip for ip in board.indicators if ip.indicator.metric == "registrations")
    assert abs(reg.expected - 500 * 181 / 365) < 1e-6
    assert abs(reg.pct - reg.achieved / 500 * 100) < 1e-9
    ranked = [r.progress for r in board.communes]
    assert ranked == sorted(ranked, reverse=True)
    assert len(board.communes) == 95
    cut = sorted(r.progress for r in board.communes if r.measured)[math.ceil(0.2 * board.ranked) - 1]
    for r in board.communes:  # the rule: below 70 % of the expected pace AND among the bottom fifth
        assert r.lagging == (r.measured and r.progress < 0.7 * board.expected and r.progress <= cut)
    assert 0 < len(board.lagging) < 95
    tb = next(r for r in board.communes if r.commune.code == TRAN_BIEN)
    reg_id = reg.indicator.id
    assert tb.targets[reg_id] == 40 and reg_id in tb.own_targets
    other = next(r for r in board.communes if r.commune.code not in (TRAN_BIEN, LONG_THANH))
    assert other.targets[reg_id] == 500 / 95
    assert not other.measured and not other.lagging  # nothing there and no own target: not ranked


def test_group_filter_counts_that_group_only(app, campaign_data):
    c = campaign_data(size=1)
    helped = sum(h.people for h in db.session.scalars(
        select(SignupHelped).join(Signup).join(Shift).where(
            Shift.campaign_id == c.id, Signup.status == "confirmed", SignupHelped.target_group == "elderly",
            Shift.starts_at < _end(AS_OF))))
    board = metrics.progress(c, as_of=AS_OF, group="elderly")
    assert next(ip for ip in board.indicators if ip.indicator.metric == "people_helped").achieved == helped


def _count_queries(fn):
    n = [0]

    def before(*_a, **_k):
        n[0] += 1
    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return n[0]


def _with_feature_indicators(c):
    """Indicators whose metrics come from the teams and programmes features (as the demo campaign has)."""
    from campaign.campaigns.models import Indicator

    for n, (metric, unit) in enumerate((("villages_with_active_team", "percent"), ("team_members_trained", "percent"),
                                        ("villages_with_team", "percent"), ("communications_activities", "activities"),
                                        ("competition_entries", "people"), ("online_course_completions", "people"))):
        db.session.add(Indicator(campaign_id=c.id, position=20 + n, code=f"t{n}", name=metric, unit=unit,
                                 target_value=100, metric=metric))
    db.session.commit()
    return c


@pytest.mark.parametrize("use_facts", [False, True])
def test_dashboard_queries_bounded(app, campaign_data, login_as, factory, use_facts):
    from campaign.reports import facts

    small = _with_feature_indicators(campaign_data(size=1, seed=2))
    big = _with_feature_indicators(campaign_data(size=6, seed=3))
    if use_facts:
        facts.rebuild_all([small.id, big.id])
        db.session.commit()
    coord = login_as(factory.user("province_coordinator", province=75))
    counts = []
    for cid in (small.id, big.id):
        counts.append(_count_queries(lambda cid=cid: coord.get(f"/reports/campaigns/{cid}?as_of=2026-06-30")))
    assert counts[0] == counts[1], counts
    # issue 16 item 7: the figures, the communes' targets, the weekly trend and the teams' and programmes'
    # metrics in one UNION ALL (from the daily facts, or counted live); with the page's own (user, grants,
    # notifications, campaign, indicators, campaign tree and the facts' freshness, communes, manual values,
    # baselines of the percentages)
    assert counts[0] <= 10, counts
    page = coord.get(f"/reports/campaigns/{small.id}?as_of=2026-06-30").text
    assert ("Số liệu cập nhật lúc" in page) == use_facts
    assert counts[0] <= 9, counts  # (the user, grants, notifications, campaign, indicators, tree, UNION ALL,
    # communes, manual values)


def test_dashboard_trend_is_the_weekly_trend(app, campaign_data):
    """The trend the dashboard gets inside its one query is weekly_trend's (the same statements)."""
    c = campaign_data(size=2, seed=4)
    board = metrics.progress(c, as_of=date(2026, 6, 30), trend=True)
    alone = metrics.weekly_trend(c)
    assert board.trend == alone
    assert sum(alone["series"]["registrations"]) > 0 and alone["weeks"] == sorted(alone["weeks"])
    assert all(w.weekday() == 0 for w in alone["weeks"])


def test_xlsx_holds_the_expected_cells(app, campaign_data, login_as, factory):
    """The quarterly XLSX in the plans' layout: every sheet's headers in Vietnamese, the plan's columns in
    order, numbers stored as numbers with number formats, the quarter's figures beside the running totals."""
    c = campaign_data(size=1)
    q2 = metrics.progress(c, start=date(2026, 4, 1), end=date(2026, 6, 30), as_of=AS_OF)
    whole = metrics.progress(c, end=date(2026, 6, 30), as_of=AS_OF)
    coord = login_as(factory.user("province_coordinator", province=75))
    resp = coord.get(f"/reports/campaigns/{c.id}/report.xlsx?quarter=2026-Q2")
    assert resp.status_code == 200 and resp.headers["Content-Disposition"].startswith("attachment")
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb.worksheets[0]
    assert ws.title == "Chỉ tiêu" and ws["A2"].value == c.name
    assert [cell.value for cell in ws[5]] == [
        "STT", "Chỉ tiêu thành phần", "Đơn vị chủ trì", "Đơn vị phối hợp", "Phương thức đo lường", "Mục tiêu",
        "Kết quả trong kỳ", "Lũy kế đến nay", "% so với chỉ tiêu"]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=6) if r[0].value}
    reg_q = next(ip for ip in q2.indicators if ip.indicator.metric == "registrations")
    reg_all = next(ip for ip in whole.indicators if ip.indicator.metric == "registrations")
    assert reg_q.achieved <= reg_all.achieved and reg_all.achieved > 0
    reg = rows["2"]
    assert reg[1].value == "Lượt đăng ký" and reg[2].value == "UBND xã"
    assert reg[5].value == 500 and reg[6].value == reg_q.achieved and reg[7].value == reg_all.achieved
    assert reg[8].value == pytest.approx(reg_all.pct / 100) and reg[8].number_format == "0.0%"
    assert all(isinstance(cell.value, int | float) for cell in reg[5:9])
    assert reg[5].number_format == "#,##0.##"
    assert rows["6"][6].value is None  # manual, nothing entered: an empty cell, not 0
    communes = wb.worksheets[1]
    assert communes.title == "Xã, phường" or communes.title
    head = [cell.value for cell in communes[1]]
    assert head[:6] == ["Hạng", "Xã/phường", "Xã vùng sâu, vùng xa", "Tiến độ (%)", "Vùng lõm", "Lý do vùng lõm"]
    assert "2. đạt được" in head and "2. chỉ tiêu" in head
    assert all(h and not any(w in h for w in ("achieved", "target", "Rank", "Lagging")) for h in head)
    assert communes.max_row == 96  # header + 95 communes
    assert communes.cell(2, 4).number_format == "0.0%"
    csv_resp = coord.get(f"/reports/campaigns/{c.id}/communes.csv?as_of=2026-06-30")
    assert csv_resp.status_code == 200 and csv_resp.text.count("\n") == 96


def test_sub_campaigns_roll_up_into_their_parent(app, campaign_data):
    """Mùa hè số is part of the year's campaign: the parent counts the child's shifts and classes, the
    child only its own, and an unrelated campaign nothing of either."""
    parent = campaign_data(size=1, seed=5)
    child = campaign_data(size=1, seed=6)
    other = campaign_data(size=1, seed=7)
    before = {ip.indicator.metric: ip.achieved for ip in metrics.progress(parent, as_of=AS_OF).indicators}
    own_child = {ip.indicator.metric: ip.achieved for ip in metrics.progress(child, as_of=AS_OF).indicators}
    child.parent_id = parent.id
    db.session.commit()
    after = {ip.indicator.metric: ip.achieved for ip in metrics.progress(parent, as_of=AS_OF).indicators}
    for metric in ("registrations", "people_trained", "people_helped", "volunteer_hours"):
        assert after[metric] == before[metric] + own_child[metric], metric
    assert own_child["registrations"] > 0 and own_child["bridge_points_connected"] == 1
    # a commune-counted indicator counts distinct communes: both bridge points are in the same commune
    assert after["bridge_points_connected"] == 1
    # the share reached through the sub-campaign is shown on the parent's line
    board = metrics.progress(parent, as_of=AS_OF)
    reg = next(ip for ip in board.indicators if ip.indicator.metric == "registrations")
    assert reg.sub_shares == [(child.name, pytest.approx(own_child["registrations"] / after["registrations"]))]
    # the 10/10 activities are the province's, counted once whatever the campaigns
    assert after["national_day_activities"] == before["national_day_activities"]
    assert {ip.indicator.metric: ip.achieved for ip in metrics.progress(child, as_of=AS_OF).indicators} == own_child
    assert metrics.scope_ids(parent) == sorted([parent.id, child.id]) and metrics.scope_ids(other) == [other.id]
    trend = metrics.weekly_trend(parent)
    assert sum(trend["series"]["people_helped"]) >= own_child["people_helped"]
