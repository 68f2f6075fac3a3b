"""The achieved value of every indicator metric of a campaign, overall and per commune.

``achieved(campaign, start, end, group)`` runs a fixed number of aggregate queries (GROUP BY commune)
whatever the number of records: the volunteer metrics come from ``volunteers.services.outcome_metrics``;
the others are counted here from the events, courses and check-in records. ``progress(...)`` puts them
against the overall and per-commune targets, pro-rated to the day.

What each metric counts (for records of the campaign, in the period):
- people_trained: distinct learners holding a valid certificate issued in the period (a certificate is
  only issued to a learner who completed the class); group: the class's audience.
- households_trained: distinct households (village, household number) with at least one such learner (same
  rules as people_trained; learners without a known village and household number are not counted).
- certificates_issued: valid certificates issued in the period; group: the class's audience.
- classes_held: classes with at least one session (not cancelled) that started in the period.
- registrations: confirmed registrations made in the period on the campaign's events.
- national_day_activities: 10/10 activities (not cancelled; children of the province's 10/10 day or events
  of that kind) starting in the period.
- bridge_points_connected: the campaign's bridge points marked connected in the period.
- people_helped, vneid_assisted, public_service_accounts, households_reached, volunteer_hours,
  shifts_filled: volunteer shift outcomes (people_helped by target group when the indicator names one).
- manual: entered by hand (``campaigns.IndicatorValue``): the latest value as of the report's date, per
  commune; the province's value is the latest province-wide entry if there is one, else the sum of the
  communes' latest values (a percentage is never summed: province-wide entry only). See ``manual_values``.
A record's commune is its event's (or shift's) commune, else the learner's own commune.
A campaign counts the records of its sub-campaigns too (Mùa hè số is part of the year's Bình dân học vụ
số campaign): ``scope_ids`` lists the campaign and its descendants (one query).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from sqlalchemy import String, and_, cast, func, literal, select, true
from sqlalchemy.orm import aliased

from campaign.campaigns.models import Campaign, Indicator, IndicatorTarget, IndicatorValue
from campaign.core.timeutil import day_end, day_start, week_start
from campaign.courses.models import Certificate, Course
from campaign.events.models import Event, Person, Registration
from campaign.extensions import db
from campaign.features import modules
from campaign.units import services as units
from campaign.units.models import Commune
from campaign.volunteers.models import Shift, Signup, SignupHelped
from campaign.volunteers.services import outcome_metrics

VOLUNTEER_METRICS = ("people_helped", "vneid_assisted", "public_service_accounts", "households_reached",
                     "volunteer_hours", "shifts_filled")
GROUPED_METRICS = ("people_trained", "households_trained", "certificates_issued", "classes_held", "people_helped")
# A class's audience (courses.models.AUDIENCES) as a campaign target group (campaigns.models.TARGET_GROUPS).
AUDIENCE_OF_GROUP = {"civil_servants": "civil_servants", "community_digital_team": "community_digital_team",
                     "adults": "residents", "elderly": "elderly", "disabilities": "disabilities",
                     "workers": "workers", "pupils_students": "pupils"}
LAG_RATIO = 0.7  # a commune is lagging ("vùng lõm") below 70% of the progress expected by now

Achieved = dict[str, dict[int, float]]  # metric -> commune code -> value


def utc_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """Local dates [start, end] (end inclusive) as UTC instants [from, to)."""
    lo = day_start(start) if start else None
    hi = day_end(end) if end else None
    return lo, hi


def _between(column, lo, hi):
    conds = []
    if lo is not None:
        conds.append(column >= lo)
    if hi is not None:
        conds.append(column < hi)
    return and_(*conds) if conds else true()


def scope_ids(campaign: Campaign) -> list[int]:
    """The campaign and every campaign under it (sub-campaigns, at any depth): one query."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for cid, parent in db.session.execute(select(Campaign.id, Campaign.parent_id)
                                          .where(Campaign.province_code == campaign.province_code)):
        children[parent].append(cid)
    out, todo = [], [campaign.id]
    while todo:
        cid = todo.pop()
        if cid not in out:
            out.append(cid)
            todo.extend(children.get(cid, []))
    return sorted(out)


def _course_rows(campaign_ids: list[int], lo, hi, group: str | None):
    """people_trained, certificates_issued and households_trained per commune: one query. A household is
    "<village id>/<household number>": NULL (not counted) when either is unknown."""
    ev = aliased(Event)
    commune = func.coalesce(ev.commune_code, Person.commune_code)
    household = cast(Person.village_id, String) + literal("/") + Person.household_code
    stmt = (select(commune, func.count(func.distinct(Registration.person_id)), func.count(Certificate.id),
                   func.count(func.distinct(household)))
            .select_from(Certificate)
            .join(Course, Course.id == Certificate.course_id).join(ev, ev.id == Course.event_id)
            .join(Registration, Registration.id == Certificate.registration_id)
            .join(Person, Person.id == Registration.person_id)
            .where(ev.campaign_id.in_(campaign_ids), Certificate.status == "valid", _between(Certificate.issued_at, lo, hi))
            .group_by(commune))
    if group:
        stmt = stmt.where(Course.audience == AUDIENCE_OF_GROUP.get(group, "-"))
    return db.session.execute(stmt).all()


def _classes_held(campaign_ids: list[int], lo, hi, group: str | None):
    ev = aliased(Event)
    session = aliased(Event)
    held = (select(Course.id).select_from(session).join(Course, Course.event_id == session.parent_id)
            .where(session.kind == "class_session", session.status != "cancelled",
                   _between(session.starts_at, lo, hi)))
    stmt = (select(ev.commune_code, func.count(Course.id)).select_from(Course).join(ev, ev.id == Course.event_id)
            .where(ev.campaign_id.in_(campaign_ids), ev.status != "cancelled", Course.id.in_(held))
            .group_by(ev.commune_code))
    if group:
        stmt = stmt.where(Course.audience == AUDIENCE_OF_GROUP.get(group, "-"))
    return db.session.execute(stmt).all()


def achieved(campaign: Campaign, start: date | None = None, end: date | None = None,
             group: str | None = None, now: datetime | None = None, ids: list[int] | None = None) -> Achieved:
    """Every computed metric per commune (commune code None: province-wide records) for the campaign
    and its sub-campaigns (``ids``, else ``scope_ids``: one more query). Eight queries.
    The period is cut at ``now`` (a session planned for next week is not "held")."""
    ids = ids if ids is not None else scope_ids(campaign)
    lo, hi = utc_bounds(start, end)
    if now is not None and (hi is None or now < hi):
        hi = now
    out: Achieved = defaultdict(lambda: defaultdict(float))

    for code, values in outcome_metrics(ids, lo, hi).items():  # two queries
        for metric in VOLUNTEER_METRICS:
            out[metric][code] += values.get(metric, 0)
    if group:  # people helped of one target group: one more query
        out["people_helped"] = defaultdict(float)
        rows = db.session.execute(
            select(Shift.commune_code, func.sum(SignupHelped.people)).select_from(SignupHelped)
            .join(Signup, Signup.id == SignupHelped.signup_id).join(Shift, Shift.id == Signup.shift_id)
            .where(Shift.campaign_id.in_(ids), Signup.status == "confirmed", SignupHelped.target_group == group,
                   _between(Shift.starts_at, lo, hi))
            .group_by(Shift.commune_code)).all()
        for code, n in rows:
            out["people_helped"][code] += int(n or 0)

    for code, people, certs, households in _course_rows(ids, lo, hi, group):
        out["people_trained"][code] += people
        out["certificates_issued"][code] += certs
        out["households_trained"][code] += households
    for code, n in _classes_held(ids, lo, hi, group):
        out["classes_held"][code] += n

    ev = aliased(Event)
    for code, n in db.session.execute(
            select(ev.commune_code, func.count(Registration.id)).select_from(Registration)
            .join(ev, ev.id == Registration.event_id)
            .where(ev.campaign_id.in_(ids), Registration.status == "confirmed",
                   _between(Registration.created_at, lo, hi))
            .group_by(ev.commune_code)).all():
        out["registrations"][code] += n
    day = aliased(Event)  # a 10/10 activity: a child of the province's 10/10 day, or an event of that kind
    for code, n in db.session.execute(
            select(Event.commune_code, func.count(Event.id)).outerjoin(day, day.id == Event.parent_id)
            .where(Event.province_code == campaign.province_code,
                   (Event.kind == "national_day_activity") | (day.kind == "national_day"),
                   Event.status != "cancelled", _between(Event.starts_at, *utc_bounds(campaign.starts_on, campaign.ends_on)),
                   _between(Event.starts_at, lo, hi))
            .group_by(Event.commune_code)).all():
        out["national_day_activities"][code] += n
    for code, n in db.session.execute(
            select(Event.commune_code, func.count(Event.id))
            .where(Event.campaign_id.in_(ids), Event.kind == "bridge_point", Event.status != "cancelled",
                   Event.connected_at.is_not(None), _between(Event.connected_at, lo, hi))
            .group_by(Event.commune_code)).all():
        out["bridge_points_connected"][code] += n
    for provider in modules("indicators"):  # metrics other features contribute (features.modules)
        for metric, per_code in provider.achieved(campaign, ids, lo, hi).items():
            for code, n in per_code.items():
                out[metric][code] += n
    return {m: dict(v) for m, v in out.items()}


def expected_share(campaign: Campaign, as_of: date) -> float:
    """The share of the campaign's period elapsed at the end of ``as_of`` (0..1)."""
    total = (campaign.ends_on - campaign.starts_on).days + 1
    elapsed = min(max((as_of - campaign.starts_on).days + 1, 0), total)
    return elapsed / total if total > 0 else 1.0


@dataclass
class IndicatorProgress:
    indicator: Indicator
    achieved: float | None  # None: a manual indicator with no value entered yet
    target: float
    expected: float  # the target pro-rated to the day
    pct: float | None  # achieved / target × 100
    on_track: bool
    entered_as_of: date | None = None  # manual: the date of the value shown (the latest of the communes summed)
    entered_source: str = ""  # manual: the province-wide entry's source
    communes_reported: int = 0  # manual: communes whose values make the sum (0: a province-wide entry)


@dataclass(frozen=True)
class ManualValue:
    as_of: date
    value: float
    source: str


def manual_values(indicator_ids: list[int], as_of: date) -> dict[int, dict[int | None, ManualValue]]:
    """The latest value entered on or before ``as_of`` of each manual indicator, per commune (None: the
    province-wide entry): one query, at most (communes + 1) rows per indicator."""
    if not indicator_ids:
        return {}
    rn = func.row_number().over(partition_by=(IndicatorValue.indicator_id, IndicatorValue.commune_code),
                                order_by=(IndicatorValue.as_of.desc(), IndicatorValue.id.desc())).label("rn")
    sub = (select(IndicatorValue.indicator_id, IndicatorValue.commune_code, IndicatorValue.as_of,
                  IndicatorValue.value, IndicatorValue.source, rn)
           .where(IndicatorValue.indicator_id.in_(indicator_ids), IndicatorValue.as_of <= as_of).subquery())
    out: dict[int, dict[int | None, ManualValue]] = defaultdict(dict)
    for ind_id, code, day, value, source in db.session.execute(
            select(sub.c.indicator_id, sub.c.commune_code, sub.c.as_of, sub.c.value, sub.c.source)
            .where(sub.c.rn == 1)):
        out[ind_id][code] = ManualValue(day, float(value), source)
    return dict(out)


def province_manual(ind: Indicator, values: dict[int | None, ManualValue]) -> tuple[float | None, date | None, str, int]:
    """The province's value of a manual indicator: the province-wide entry if there is one, else the sum
    of the communes' latest values (not for a percentage). Returns (value, as of, source, communes summed)."""
    if None in values:
        v = values[None]
        return v.value, v.as_of, v.source, 0
    communes = [v for code, v in values.items() if code is not None]
    if not communes or ind.unit == "percent":
        return None, None, "", 0
    return sum(v.value for v in communes), max(v.as_of for v in communes), "", len(communes)


@dataclass
class CommuneProgress:
    commune: Commune
    achieved: dict[int, float]  # indicator id -> value
    targets: dict[int, float]  # indicator id -> target (own target, or an equal share of the overall one)
    own_targets: set[int] = field(default_factory=set)
    progress: float = 0.0  # mean of min(achieved / target, 1) over the targeted indicators
    lagging: bool = False
    rank: int = 0


@dataclass
class Dashboard:
    campaign: Campaign
    start: date | None
    end: date | None
    group: str | None
    as_of: date
    expected: float
    indicators: list[IndicatorProgress]
    communes: list[CommuneProgress]
    unassigned: dict[str, float]  # province-wide records (no commune), per metric

    @property
    def lagging(self) -> list[CommuneProgress]:
        return [c for c in self.communes if c.lagging]


@cache
def share_bases() -> dict[str, str]:
    """Metrics that features declare as a count over a baseline (an ``indicators`` module's ``SHARES``:
    metric -> the baseline metric, e.g. villages with a team over villages)."""
    out: dict[str, str] = {}
    for provider in modules("indicators"):
        out.update(getattr(provider, "SHARES", {}))
    return out


def is_share(ind: Indicator) -> bool:
    """A percentage indicator measured by a count over its baseline: computed, per commune and overall."""
    return ind.unit == "percent" and ind.metric in share_bases()


def _value(ach: Achieved, metric: str, code=None, total=False, percent: bool = False) -> float:
    """A metric's value for a commune (or the total); ``percent`` for a share metric: the count over its
    baseline × 100 (overall: the sums' ratio), 0 without a baseline."""
    base = share_bases().get(metric) if percent else None
    if base is not None:
        count, whole = _value(ach, metric, code, total), _value(ach, base, code, total)
        return round(100 * count / whole, 1) if whole else 0.0
    values = ach.get(metric, {})
    if total:
        return float(sum(values.values()))
    return float(values.get(code, 0))


def commune_target(ind: Indicator, own: dict[int, float], n_communes: int) -> float | None:
    """A commune's target of an indicator: its own (imported) one; else, for a percentage, the province's
    share when the value is entered by hand (a share applies to every commune alike) and none for a
    computed count (the records do not hold the population); else its even part of the province's target."""
    if ind.id in own:
        return own[ind.id]
    if ind.unit == "percent":
        return ind.target_value if (ind.metric == "manual" or is_share(ind)) else None
    return ind.target_value / max(n_communes, 1)


def _own_targets(indicator_ids: list[int]) -> dict[int, dict[int, float]]:
    """commune -> indicator -> the commune's own target (one query)."""
    own: dict[int, dict[int, float]] = defaultdict(dict)
    if indicator_ids:
        for ind_id, code, value in db.session.execute(
                select(IndicatorTarget.indicator_id, IndicatorTarget.commune_code, IndicatorTarget.target_value)
                .where(IndicatorTarget.indicator_id.in_(indicator_ids))):
            own[code][ind_id] = value
    return own


def _indicator_row(ind: Indicator, got: float | None, expected: float, entered=None) -> IndicatorProgress:
    """An indicator's line of the dashboard: achieved against the target and against what is expected
    by now. ``entered`` (day, source, reported) for a value entered by hand."""
    due = ind.target_value * expected
    if got is None:  # nothing entered yet
        return IndicatorProgress(ind, None, ind.target_value, due, None, False)
    if ind.unit == "percent" and entered is None and not is_share(ind):  # a population the records do not hold
        return IndicatorProgress(ind, got, ind.target_value, due, None, True)
    pct = got / ind.target_value * 100 if ind.target_value else None
    return IndicatorProgress(ind, got, ind.target_value, due, pct, got >= due * LAG_RATIO, *(entered or ()))


class _Achievements:
    """What the records give, per target group: an indicator of one target group counts that group (one
    more set of queries per group, made when first needed)."""

    def __init__(self, campaign: Campaign, start, end, group, now, ids):
        self.campaign, self.start, self.end, self.group, self.now, self.ids = campaign, start, end, group, now, ids
        self.by_group: dict[str | None, Achieved] = {group: achieved(campaign, start, end, group, now=now, ids=ids)}

    @property
    def main(self) -> Achieved:
        return self.by_group[self.group]

    def of(self, ind: Indicator) -> Achieved:
        key = ind.target_group if (ind.target_group and ind.metric in GROUPED_METRICS) else self.group
        if key not in self.by_group:
            self.by_group[key] = achieved(self.campaign, self.start, self.end, key, now=self.now, ids=self.ids)
        return self.by_group[key]


def _commune_progress(c: Commune, indicators: list[Indicator], own: dict[int, float], n_communes: int,
                      manual: dict, ach: _Achievements, expected: float) -> CommuneProgress:
    """A commune's achieved values and targets, and its progress: the mean of its shares of each target
    (each capped at 100 %). A value entered by hand counts only once the commune has reported one."""
    cp = CommuneProgress(c, {}, {})
    shares = []
    for ind in indicators:
        if ind.metric == "manual":
            mv = manual[ind.id].get(c.code)
            value = mv.value if mv is not None else None
        else:
            value = _value(ach.of(ind), ind.metric, c.code, percent=is_share(ind))
        if value is not None:
            cp.achieved[ind.id] = value
        target = commune_target(ind, own, n_communes)
        if ind.id in own:
            cp.own_targets.add(ind.id)
        if target is None:
            continue
        cp.targets[ind.id] = target
        if value is not None and target > 0:
            shares.append(min(value / target, 1.0))
    cp.progress = sum(shares) / len(shares) if shares else 0.0
    cp.lagging = bool(shares) and cp.progress < LAG_RATIO * expected
    return cp


def progress(campaign: Campaign, *, start: date | None = None, end: date | None = None, group: str | None = None,
             as_of: date, communes: list[int] | None = None,
             on_commune: Callable[[int, Commune], None] | None = None) -> Dashboard:
    """The dashboard's figures: every indicator overall, and every commune of the province (or of
    ``communes``) ranked by progress, lagging ones flagged. Twelve queries whatever the size.
    ``on_commune(n, commune)`` is called after each commune (a background job's progress)."""
    indicators = db.session.scalars(select(Indicator).where(Indicator.campaign_id == campaign.id)
                                    .order_by(Indicator.position, Indicator.id)).all()
    if group:
        indicators = [i for i in indicators if i.target_group in (None, group)]
    ach = _Achievements(campaign, start, end, group, day_end(as_of), scope_ids(campaign))
    expected = expected_share(campaign, as_of)
    own = _own_targets([i.id for i in indicators])
    commune_list = units.communes(province_code=campaign.province_code, codes=communes)
    n_communes = units.commune_count(campaign.province_code)
    manual = manual_values([i.id for i in indicators if i.metric == "manual"], as_of)  # one query (if any)

    rows: list[IndicatorProgress] = []
    for ind in indicators:
        if ind.metric == "manual":
            got, day, source, reported = province_manual(ind, manual.get(ind.id, {}))
            rows.append(_indicator_row(ind, got, expected, (day, source, reported)))
        else:
            rows.append(_indicator_row(ind, _value(ach.of(ind), ind.metric, total=True, percent=is_share(ind)),
                                       expected))

    # computed ones (percent ones shown, not in the progress), and those with a value entered
    counted = ([i for i in indicators if i.metric == "manual" and i.id in manual]
               + [i for i in indicators if i.metric != "manual"])
    out: list[CommuneProgress] = []
    for n_done, c in enumerate(commune_list, 1):
        out.append(_commune_progress(c, counted, own.get(c.code, {}), n_communes, manual, ach, expected))
        if on_commune is not None:
            on_commune(n_done, c)
    out.sort(key=lambda r: (-r.progress, r.commune.name))
    for i, r in enumerate(out, 1):
        r.rank = i
    unassigned = {m: v[None] for m, v in ach.main.items() if None in v}
    return Dashboard(campaign, start, end, group, as_of, expected, rows, out, unassigned)


def weekly_trend(campaign: Campaign, *, start: date | None = None, end: date | None = None,
                 communes: list[int] | None = None) -> dict:
    """Registrations, certificates and people helped per week (Monday, local time), the campaign's
    sub-campaigns included: four queries."""
    ids = scope_ids(campaign)
    lo, hi = utc_bounds(start or campaign.starts_on, end or campaign.ends_on)
    dialect = db.session.get_bind().dialect.name

    def local_day(col):
        if dialect == "postgresql":
            return func.date(func.timezone("Asia/Ho_Chi_Minh", col))
        return func.date(col, "+7 hours")

    def run(col, value, *joins_where, commune_col):
        day = local_day(col)
        stmt = select(day, value).where(_between(col, lo, hi), *joins_where).group_by(day)
        if communes is not None:
            stmt = stmt.where(commune_col.in_(list(communes)))
        return stmt

    ev = aliased(Event)
    series: dict[str, dict[date, float]] = {"registrations": {}, "certificates_issued": {}, "people_helped": {}}
    queries = {
        "registrations": run(Registration.created_at, func.count(Registration.id),
                             ev.id == Registration.event_id, ev.campaign_id.in_(ids),
                             Registration.status == "confirmed", commune_col=ev.commune_code)
        .select_from(Registration).join(ev, ev.id == Registration.event_id),
        "certificates_issued": run(Certificate.issued_at, func.count(Certificate.id),
                                   ev.campaign_id.in_(ids), Certificate.status == "valid",
                                   commune_col=ev.commune_code)
        .select_from(Certificate).join(Course, Course.id == Certificate.course_id).join(ev, ev.id == Course.event_id),
        "people_helped": run(Shift.starts_at, func.sum(SignupHelped.people), Shift.campaign_id.in_(ids),
                             Signup.status == "confirmed", commune_col=Shift.commune_code)
        .select_from(SignupHelped).join(Signup, Signup.id == SignupHelped.signup_id)
        .join(Shift, Shift.id == Signup.shift_id),
    }
    for name, stmt in queries.items():
        for day, n in db.session.execute(stmt).all():
            if day is None:
                continue
            d = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
            monday = week_start(d)
            series[name][monday] = series[name].get(monday, 0) + float(n or 0)
    weeks = sorted(set().union(*[s.keys() for s in series.values()]))
    return {"weeks": weeks, "series": {k: [v.get(w, 0) for w in weeks] for k, v in series.items()}}
