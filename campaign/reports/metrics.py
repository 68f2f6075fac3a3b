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

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

from flask import current_app, has_app_context
from sqlalchemy import Float, String, and_, cast, func, literal, null, select, true, union_all
from sqlalchemy.orm import aliased

from campaign.campaigns.models import Baseline, Campaign, Indicator, IndicatorTarget, IndicatorValue
from campaign.core.timeutil import day_end, day_start, week_start
from campaign.core.types import utcnow
from campaign.courses.models import Certificate, Course
from campaign.events.models import Event, Person, Registration
from campaign.extensions import db
from campaign.features import modules
from campaign.reports import facts as daily
from campaign.reports.models import DailyFact, FactState, LearnerFact
from campaign.units import services as units
from campaign.units.models import Commune
from campaign.volunteers.models import Shift, Signup, SignupHelped
from campaign.volunteers.services import outcome_from_rows, outcome_statements

VOLUNTEER_METRICS = ("people_helped", "vneid_assisted", "public_service_accounts", "households_reached",
                     "volunteer_hours", "shifts_filled")
GROUPED_METRICS = ("people_trained", "households_trained", "certificates_issued", "classes_held", "people_helped")
# A class's audience (courses.models.AUDIENCES) as a campaign target group (campaigns.models.TARGET_GROUPS).
AUDIENCE_OF_GROUP = {"civil_servants": "civil_servants", "community_digital_team": "community_digital_team",
                     "adults": "residents", "elderly": "elderly", "disabilities": "disabilities",
                     "workers": "workers", "pupils_students": "pupils"}
LAG_RATIO = 0.7  # default rule: a commune is lagging ("vùng lõm") below 70% of the progress expected by now
LAG_SHARE = 0.2  # ... and among the bottom fifth of the province's communes (ties at the cut included)
# The population a percentage indicator is measured against (campaigns.models.BASELINE_GROUPS), by the
# indicator's target group; households_trained against households; VNeID and accounts against residents 16+.
BASELINE_OF_GROUP = {"civil_servants": "civil_servants", "pupils_students": "pupils", "adults": "adults",
                     "workers": "workers"}
BASELINE_OF_METRIC = {"households_trained": "households", "households_reached": "households",
                      "vneid_assisted": "residents_16", "public_service_accounts": "residents_16"}


def lag_rule() -> tuple[float, float]:
    """(share of the expected pace, bottom share of the communes): settings REPORTS_LAG_RATIO and
    REPORTS_LAG_SHARE, else LAG_RATIO and LAG_SHARE."""
    if not has_app_context():
        return LAG_RATIO, LAG_SHARE
    cfg = current_app.config
    return float(cfg.get("REPORTS_LAG_RATIO", LAG_RATIO)), float(cfg.get("REPORTS_LAG_SHARE", LAG_SHARE))


def baseline_kind(ind: Indicator) -> str:
    """The population (baseline group) a percentage indicator is a share of."""
    if ind.metric in BASELINE_OF_METRIC:
        return BASELINE_OF_METRIC[ind.metric]
    return BASELINE_OF_GROUP.get(ind.target_group or "", "adults")

Achieved = dict[str, dict[int, float]]  # metric -> commune code -> value
EPOCH_DAY = date(1970, 1, 1)


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
    """people_trained, certificates_issued and households_trained per commune (a statement). A household
    is "<village id>/<household number>": NULL (not counted) when either is unknown."""
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
    return stmt


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
    return stmt


PART_WIDTH = 11  # value columns of a part of the UNION ALL (the daily facts have 11)


def run_parts(parts: dict[str, object]) -> dict[str, list[tuple]]:
    """Run aggregate statements (name -> SELECT key, value, ...) as ONE query (a UNION ALL, each padded to
    the same columns: name, key as text, PART_WIDTH values as floats); the rows of each, by name, as
    (key, value, ...) with the key as text (None stays None)."""
    if not parts:
        return {}
    wrapped = []
    for name, stmt in parts.items():
        sq = stmt.subquery()
        cols = list(sq.c)
        values = [cast(c, Float) for c in cols[1:]] + [cast(null(), Float)] * (PART_WIDTH - len(cols) + 1)
        wrapped.append(select(literal(name, String).label("part"), cast(cols[0], String).label("k"), *values))
    out: dict[str, list[tuple]] = {name: [] for name in parts}
    for name, key, *values in db.session.execute(union_all(*wrapped)).all():
        out[name].append((key, *values))
    return out


def _code(key) -> int | None:
    return None if key is None else int(key)


def _group_helped(ids: list[int], lo, hi, group: str):
    """people helped of one target group per commune (a statement)."""
    return (select(Shift.commune_code, func.sum(SignupHelped.people)).select_from(SignupHelped)
            .join(Signup, Signup.id == SignupHelped.signup_id).join(Shift, Shift.id == Signup.shift_id)
            .where(Shift.campaign_id.in_(ids), Signup.status == "confirmed", SignupHelped.target_group == group,
                   _between(Shift.starts_at, lo, hi))
            .group_by(Shift.commune_code))


def _event_parts(campaign: Campaign, ids: list[int], lo, hi, needed: set[str] | None, days=None) -> dict:
    """registrations (unless read from the daily facts), national_day_activities and bridge_points_connected
    per commune (statements)."""
    parts = {}
    ev = aliased(Event)
    if days is None and _wanted(needed, "registrations"):
        parts["registrations"] = (
            select(ev.commune_code, func.count(Registration.id)).select_from(Registration)
            .join(ev, ev.id == Registration.event_id)
            .where(ev.campaign_id.in_(ids), Registration.status == "confirmed",
                   _between(Registration.created_at, lo, hi))
            .group_by(ev.commune_code))
    if _wanted(needed, "national_day_activities"):
        day = aliased(Event)  # a 10/10 activity: a child of the province's 10/10 day, or an event of that kind
        parts["national_day_activities"] = (
            select(Event.commune_code, func.count(Event.id)).outerjoin(day, day.id == Event.parent_id)
            .where(Event.province_code == campaign.province_code,
                   (Event.kind == "national_day_activity") | (day.kind == "national_day"),
                   Event.status != "cancelled", _between(Event.starts_at, *utc_bounds(campaign.starts_on, campaign.ends_on)),
                   _between(Event.starts_at, lo, hi))
            .group_by(Event.commune_code))
    if _wanted(needed, "bridge_points_connected"):
        parts["bridge_points_connected"] = (
            select(Event.commune_code, func.count(Event.id))
            .where(Event.campaign_id.in_(ids), Event.kind == "bridge_point", Event.status != "cancelled",
                   Event.connected_at.is_not(None), _between(Event.connected_at, lo, hi))
            .group_by(Event.commune_code))
    return parts


def _wanted(needed: set[str] | None, *names: str) -> bool:
    return needed is None or any(n in needed for n in names)


def _facts_part(ids: list[int], first: date | None, last: date | None, group: str | None):
    """The daily facts of the campaigns summed per commune and group ("<commune>:<grp>"): the "" rows,
    and a target group's people helped (its "helped:<group>" rows). A statement."""
    f = DailyFact
    conds = [f.campaign_id.in_(ids), f.grp.in_(["", f"helped:{group}"] if group else [""])]
    if first is not None:
        conds.append(f.day >= first)
    if last is not None:
        conds.append(f.day <= last)
    key = cast(f.commune_code, String) + literal(":", String) + f.grp
    return (select(key, *[func.sum(getattr(f, n)) for n in daily.VALUE_COLUMNS]).where(*conds)
            .group_by(f.commune_code, f.grp))


def _learner_part(ids: list[int], first: date | None, last: date | None, group: str | None):
    """``_course_rows`` from the learner facts: per commune, distinct learners, certificates, distinct
    households (a statement)."""
    f = LearnerFact
    conds = [f.campaign_id.in_(ids)]
    if first is not None:
        conds.append(f.day >= first)
    if last is not None:
        conds.append(f.day <= last)
    if group:
        conds.append(f.audience == AUDIENCE_OF_GROUP.get(group, "-"))
    return (select(func.nullif(f.commune_code, daily.NO_COMMUNE), func.count(func.distinct(f.person_id)),
                   func.sum(f.certificates), func.count(func.distinct(f.household)))
            .where(*conds).group_by(f.commune_code))


def _parts(campaign: Campaign, ids: list[int], lo, hi, group: str | None, needed: set[str] | None,
           days=None) -> dict:
    """The aggregate statements ``achieved`` needs (only those giving a needed metric). ``days`` (first,
    last local day): the additive counts come from the daily facts (``reports.facts``)."""
    remote = _wanted(needed, "remote_communes_supported")
    parts = {}
    if days is not None:
        if remote or _wanted(needed, *VOLUNTEER_METRICS, "registrations"):
            parts["facts"] = _facts_part(ids, *days, group)
    else:
        if remote or _wanted(needed, *VOLUNTEER_METRICS):
            parts["outcomes"], parts["helped"] = outcome_statements(ids, lo, hi)
        if group and _wanted(needed, "people_helped"):
            parts["group_helped"] = _group_helped(ids, lo, hi, group)
    if _wanted(needed, "people_trained", "households_trained", "certificates_issued"):
        parts["courses"] = _course_rows(ids, lo, hi, group) if days is None else _learner_part(ids, *days, group)
    if remote or _wanted(needed, "classes_held"):
        parts["classes_held"] = _classes_held(ids, lo, hi, group)
    parts.update(_event_parts(campaign, ids, lo, hi, needed, days))
    if remote:
        parts["remote"] = select(Commune.code, literal(1)).where(Commune.province_code == campaign.province_code,
                                                                 Commune.remote.is_(True))
    return parts


def _from_facts(rows: dict[str, list[tuple]], group: str | None) -> None:
    """The rows of the live parts the daily facts replace (outcomes, helped, group_helped, registrations,
    certificates), from the rows of ``_facts_part``: the same shapes, so ``_collect`` is one code path."""
    regs: dict = {}
    outcomes: dict = {}
    helped: dict = {}
    of_group: dict = {}
    for key, reg, _cert, *values in rows.pop("facts"):  # certificates: from the learner facts ("courses")
        code_text, grp = key.split(":", 1)
        code = None if int(code_text) == daily.NO_COMMUNE else code_text
        if grp == "":
            if reg:
                regs[code] = reg
            if values[0]:  # shifts, needed, filled, shifts filled, hours, vneid, accounts, households
                outcomes[code] = values[:8]
            if values[8]:
                helped[code] = values[8]
        elif group and grp == "helped:" + group:
            of_group[code] = values[8] or 0
    rows["outcomes"] = [(code, *v) for code, v in outcomes.items()]
    rows["helped"] = list(helped.items())
    if group:
        rows["group_helped"] = list(of_group.items())
    rows["registrations"] = list(regs.items())


def _collect(rows: dict[str, list[tuple]], group: str | None) -> Achieved:
    """``achieved``'s figures from the rows of its parts."""
    if "facts" in rows:
        _from_facts(rows, group)
    out: Achieved = defaultdict(lambda: defaultdict(float))
    outcome_extra = outcome_from_rows(
        [(_code(k), *v[:8]) for k, *v in rows.get("outcomes", [])], [(_code(k), v) for k, v, *_ in rows.get("helped", [])])
    for code, values in outcome_extra.items():
        for metric in VOLUNTEER_METRICS:
            out[metric][code] += values.get(metric, 0)
    if "group_helped" in rows:  # people helped of one target group
        out["people_helped"] = defaultdict(float)
        for k, n, *_ in rows["group_helped"]:
            out["people_helped"][_code(k)] += int(n or 0)
    for k, people, certs, households, *_ in rows.get("courses", []):
        code = _code(k)
        out["people_trained"][code] += int(people or 0)
        out["certificates_issued"][code] += int(certs or 0)
        out["households_trained"][code] += int(households or 0)
    for metric in ("classes_held", "registrations", "national_day_activities", "bridge_points_connected"):
        for k, n, *_ in rows.get(metric, []):
            out[metric][_code(k)] += int(n or 0)
    if "remote" in rows:
        # remote communes supported directly: remote communes with a shift someone served or a class held there
        supported = {c for c, n in out["shifts_filled"].items() if n} | {c for c, n in out["classes_held"].items() if n}
        supported |= {c for c, vals in outcome_extra.items() if vals.get("places_filled")}
        for code in supported & {_code(k) for k, *_ in rows["remote"]}:
            out["remote_communes_supported"][code] = 1.0
    return out


def achieved(campaign: Campaign, start: date | None = None, end: date | None = None,
             group: str | None = None, now: datetime | None = None, ids: list[int] | None = None,
             metrics: set[str] | None = None, extra: dict | None = None,
             extra_rows: dict | None = None, days: tuple[date | None, date | None] | None = None) -> Achieved:
    """Every computed metric per commune (commune code None: province-wide records) for the campaign
    and its sub-campaigns (``ids``, else ``scope_ids``: one more query). ONE query (the aggregates in a
    UNION ALL, ``run_parts``), plus the contributing features' (``features.modules("indicators")``).
    ``metrics``: only these metrics are needed (the campaign's indicators): the aggregates and the
    features' providers that give none of them are not run. None: every metric.
    ``extra``: more statements to run in the same query; their rows are put in ``extra_rows``.
    The period is cut at ``now`` (a session planned for next week is not "held").
    ``days`` (first, last local day: the period cut at ``now``'s day): read the additive counts from the
    daily facts (``reports.facts``; the caller checked they exist and are fresh)."""
    ids = ids if ids is not None else scope_ids(campaign)
    lo, hi = utc_bounds(start, end)
    if now is not None and (hi is None or now < hi):
        hi = now
    parts = _parts(campaign, ids, lo, hi, group, metrics, days)
    parts.update({f"extra:{k}": v for k, v in (extra or {}).items()})
    providers = [p for p in modules("indicators")  # metrics other features contribute (features.modules)
                 if metrics is None or metrics & set(p.METRICS)]
    for n, provider in enumerate(providers):  # a provider's statements join the one query
        if hasattr(provider, "parts"):
            parts.update({f"provider{n}:{k}": v for k, v in provider.parts(campaign, ids, lo, hi).items()})
    rows = run_parts(parts)
    if extra_rows is not None:
        extra_rows.update({k[len("extra:"):]: v for k, v in rows.items() if k.startswith("extra:")})
    out = _collect(rows, group)
    for n, provider in enumerate(providers):
        if hasattr(provider, "parts"):
            prefix = f"provider{n}:"
            given = provider.from_rows(campaign, {k[len(prefix):]: v for k, v in rows.items() if k.startswith(prefix)})
        else:  # a provider running its own queries
            given = provider.achieved(campaign, ids, lo, hi)
        for metric, per_code in given.items():
            for code, value in per_code.items():
                out[metric][code] += value
    return {m: dict(v) for m, v in out.items()}


def expected_share(campaign: Campaign, as_of: date) -> float:
    """The share of the campaign's period elapsed at the end of ``as_of`` (0..1)."""
    total = (campaign.ends_on - campaign.starts_on).days + 1
    elapsed = min(max((as_of - campaign.starts_on).days + 1, 0), total)
    return elapsed / total if total > 0 else 1.0


@dataclass
class IndicatorProgress:
    indicator: Indicator
    achieved: float | None  # None: nothing to show (no value entered, or no baseline for a percentage)
    target: float
    expected: float  # the target pro-rated to the day
    pct: float | None  # achieved / target × 100
    on_track: bool
    entered_as_of: date | None = None  # entered by hand: the date of the value shown (the latest of those summed)
    entered_source: str = ""  # entered by hand: the province-wide entry's source
    communes_reported: int = 0  # entered by hand: communes whose values make the sum (0: a province-wide entry)
    count: float | None = None  # a percentage: the people (households) counted, the numerator
    baseline: float | None = None  # a percentage: the population it is a share of (sum of the communes' baselines)
    sub_shares: list[tuple[str, float]] = field(default_factory=list)  # (sub-campaign, share of the achieved 0..1)


@dataclass(frozen=True)
class ManualValue:
    as_of: date
    value: float
    source: str


def manual_values(indicator_ids: list[int], as_of: date) -> dict[int, dict[int | None, ManualValue]]:
    """The latest value entered by hand on or before ``as_of`` of each indicator, per commune (None: the
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


def baselines_stmt(province_code: int, as_of: date):
    """The latest population of each commune and group on or before ``as_of``: ("<commune>:<group>", value)."""
    rn = func.row_number().over(partition_by=(Baseline.commune_code, Baseline.kind),
                                order_by=(Baseline.as_of.desc(), Baseline.id.desc())).label("rn")
    sub = (select(Baseline.commune_code, Baseline.kind, Baseline.value, rn)
           .join(Commune, Commune.code == Baseline.commune_code)
           .where(Commune.province_code == province_code, Baseline.as_of <= as_of).subquery())
    return (select(cast(sub.c.commune_code, String) + literal(":", String) + sub.c.kind, sub.c.value)
            .where(sub.c.rn == 1))


def baselines_from_rows(rows) -> dict[int, dict[str, float]]:
    out: dict[int, dict[str, float]] = defaultdict(dict)
    for key, value, *_ in rows:
        code, kind = key.split(":", 1)
        out[int(code)][kind] = float(value)
    return dict(out)


def baselines(province_code: int, as_of: date) -> dict[int, dict[str, float]]:
    """commune -> baseline group -> the latest population entered on or before ``as_of``: one query."""
    return baselines_from_rows(db.session.execute(baselines_stmt(province_code, as_of)).all())


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
    pace: float = 0.0  # progress ÷ the progress expected by now
    bottom: bool = False  # among the bottom share of the ranked communes (the lagging rule's second half)
    measured: bool = False  # has at least one targeted indicator with a value (ranked for the lagging rule)


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
    lag_ratio: float = LAG_RATIO
    lag_share: float = LAG_SHARE
    ranked: int = 0  # communes measured (the lagging rule ranks these)
    ids: list[int] = field(default_factory=list)  # the campaign and its sub-campaigns
    trend: dict | None = None  # the weekly trend (progress(..., trend=True))
    facts_at: datetime | None = None  # when the daily facts read were computed (None: counted from the records)
    computed_at: datetime | None = None  # when these figures were put together

    @property
    def lagging(self) -> list[CommuneProgress]:
        return [c for c in self.communes if c.lagging]

    def lagging_on(self, indicator_id: int, n: int = 3) -> list[CommuneProgress]:
        """The lagging communes furthest behind on one indicator (the phone dashboard's cards)."""
        rows = [c for c in self.communes if c.lagging and c.targets.get(indicator_id)]
        rows.sort(key=lambda c: (c.achieved.get(indicator_id) or 0) / c.targets[indicator_id])
        return rows[:n]

    def commune(self, code: int) -> CommuneProgress | None:
        return next((c for c in self.communes if c.commune.code == code), None)


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
    share (a share applies to every commune alike); for a commune-counted indicator, 1 (the commune
    itself); else its even part of the province's target."""
    if ind.id in own:
        return own[ind.id]
    if ind.unit == "percent":
        return ind.target_value
    if ind.unit == "communes":
        return 1.0
    return ind.target_value / max(n_communes, 1)


def _targets_stmt(indicator_ids: list[int]):
    """The communes' own targets (commune, indicator, target): a statement run with the figures."""
    return (select(IndicatorTarget.commune_code, IndicatorTarget.indicator_id, IndicatorTarget.target_value)
            .where(IndicatorTarget.indicator_id.in_(indicator_ids)))


def _own_targets(rows: list[tuple]) -> dict[int, dict[int, float]]:
    """commune -> indicator -> the commune's own target, from the rows of ``_targets_stmt``."""
    own: dict[int, dict[int, float]] = defaultdict(dict)
    for code, ind_id, value, *_ in rows:
        own[int(code)][int(ind_id)] = value
    return own


def _indicator_row(ind: Indicator, got: float | None, expected: float, entered=None, ratio: float = LAG_RATIO
                   ) -> IndicatorProgress:
    """An indicator's line of the dashboard: achieved against the target and against what is expected
    by now. ``entered`` (day, source, reported) for a value entered by hand."""
    due = ind.target_value * expected
    if got is None:  # nothing entered yet, or no baseline
        return IndicatorProgress(ind, None, ind.target_value, due, None, False)
    pct = got / ind.target_value * 100 if ind.target_value else None
    return IndicatorProgress(ind, got, ind.target_value, due, pct, got >= due * ratio, *(entered or ()))


class _Achievements:
    """What the records give, per target group: an indicator of one target group counts that group (one
    more set of queries per group, made when first needed)."""

    def __init__(self, campaign: Campaign, start, end, group, now, ids, needed: set[str] | None = None,
                 extra: dict | None = None, days=None):
        self.campaign, self.start, self.end, self.group, self.now, self.ids = campaign, start, end, group, now, ids
        self.needed = needed  # the metrics the indicators use (None: all)
        self.days = days  # (first, last local day): the additive counts from the daily facts; None: live
        self.extra_rows: dict[str, list[tuple]] = {}  # the rows of ``extra`` statements run in the same query
        self.by_group: dict[str | None, Achieved] = {
            group: achieved(campaign, start, end, group, now=now, ids=ids, metrics=needed, extra=extra,
                            extra_rows=self.extra_rows, days=days)}

    @property
    def main(self) -> Achieved:
        return self.by_group[self.group]

    def key(self, ind: Indicator) -> str | None:
        return ind.target_group if (ind.target_group and ind.metric in GROUPED_METRICS) else self.group

    def of(self, ind: Indicator) -> Achieved:
        key = self.key(ind)
        if key not in self.by_group:
            self.by_group[key] = achieved(self.campaign, self.start, self.end, key, now=self.now, ids=self.ids,
                                          metrics=self.needed, days=self.days)
        return self.by_group[key]


class Figures:
    """THE definition of every indicator's figure, for the province and for each commune: what the
    records give (``achieved``), a value entered by hand (which replaces the computed one for its place),
    the baselines of the percentages, and commune-counted indicators counted as distinct communes.
    Every page, export and review reads its figures from here (through ``progress``)."""

    def __init__(self, ach: _Achievements, manual: dict, base: dict[int, dict[str, float]]):
        self.ach, self.manual, self.base = ach, manual, base

    def raw(self, ind: Indicator, code) -> float:
        return _value(self.ach.of(ind), ind.metric, code)

    def commune(self, ind: Indicator, code: int) -> float | None:
        """The commune's figure (None: nothing to show)."""
        mv = self.manual.get(ind.id, {}).get(code)
        if mv is not None:
            return mv.value
        if ind.metric == "manual":
            return None
        if is_share(ind):  # a count over a baseline both counted from the records (teams: villages)
            return _value(self.ach.of(ind), ind.metric, code, percent=True)
        raw = self.raw(ind, code)
        if ind.unit == "communes":
            return 1.0 if raw > 0 else 0.0
        if ind.unit == "percent":
            population = self.base.get(code, {}).get(baseline_kind(ind))
            return raw / population * 100 if population else None
        return raw

    def province(self, ind: Indicator, expected: float, ratio: float) -> IndicatorProgress:
        values = self.manual.get(ind.id, {})
        if ind.metric == "manual" or None in values:
            got, day, source, reported = province_manual(ind, values)
            if got is not None or ind.metric == "manual":
                return _indicator_row(ind, got, expected, (day, source, reported), ratio)
        if is_share(ind):
            return _indicator_row(ind, _value(self.ach.of(ind), ind.metric, total=True, percent=True), expected,
                                  ratio=ratio)
        data = self.ach.of(ind).get(ind.metric, {})
        codes = {c for c in data if c is not None} | {c for c in values if c is not None}
        if ind.unit == "communes":
            return _indicator_row(ind, float(sum(1 for c in codes if (self.commune(ind, c) or 0) >= 1)),
                                  expected, ratio=ratio)
        if ind.unit == "percent":  # Σ people counted ÷ Σ populations; a commune's reported share counts
            kind = baseline_kind(ind)  # as that share of its population
            population = sum(b.get(kind, 0) for b in self.base.values())
            count = float(data.get(None, 0))
            for code in codes | {c for c in self.base if c in values}:
                mv = values.get(code)
                if mv is not None:
                    count += mv.value / 100 * self.base.get(code, {}).get(kind, 0)
                else:
                    count += float(data.get(code, 0))
            row = _indicator_row(ind, count / population * 100 if population else None, expected, ratio=ratio)
            row.count, row.baseline = count, (population or None)
            return row
        got = sum(self.commune(ind, c) or 0 for c in codes) + float(data.get(None, 0))
        return _indicator_row(ind, got, expected, ratio=ratio)


def _commune_progress(c: Commune, indicators: list[Indicator], own: dict[int, float], n_communes: int,
                      figures: Figures) -> CommuneProgress:
    """A commune's figures and targets, and its progress: the mean of its shares of each target (each
    capped at 100 %) over the indicators with a value (a percentage needs the commune's baseline)."""
    cp = CommuneProgress(c, {}, {})
    shares = []
    for ind in indicators:
        value = figures.commune(ind, c.code)
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
    # ranked by the lagging rule: a commune the campaign reaches (an own target, or any figure above 0)
    cp.measured = bool(shares) and (bool(cp.own_targets) or any(v > 0 for v in cp.achieved.values()))
    return cp


def flag_lagging(rows: list[CommuneProgress], expected: float, ratio: float, share: float) -> int:
    """The lagging rule ("vùng lõm"), on communes ranked by progress (best first): a commune lags when its
    progress is below ``ratio`` of the progress expected by now AND it is among the bottom ``share`` of the
    measured communes (ties at the cut included). Sets pace, bottom and lagging; the number ranked."""
    measured = [r for r in rows if r.measured]  # communes the campaign reaches (own target or any figure)
    k = math.ceil(share * len(measured)) if measured else 0
    cut = measured[-k].progress if k else -1.0
    for r in rows:
        r.pace = r.progress / expected if expected > 0 else 1.0
        r.bottom = r.measured and k > 0 and r.progress <= cut
        r.lagging = r.bottom and r.progress < ratio * expected
    return len(measured)


def _campaign_tree(campaign: Campaign) -> tuple[list[int], list[tuple[int, str, list[int]]], dict]:
    """(the campaign and all under it, [(direct sub-campaign, its name, it and all under it)], campaign ->
    when its daily facts were computed (None: never)): one query."""
    children: dict[int | None, list[int]] = defaultdict(list)
    names: dict[int, str] = {}
    refreshed: dict[int, datetime | None] = {}
    for cid, parent, name, at in db.session.execute(
            select(Campaign.id, Campaign.parent_id, Campaign.name, FactState.refreshed_at)
            .outerjoin(FactState, FactState.campaign_id == Campaign.id)
            .where(Campaign.province_code == campaign.province_code)):
        children[parent].append(cid)
        names[cid] = name
        refreshed[cid] = at

    def under(root: int) -> list[int]:
        out, todo = [], [root]
        while todo:
            cid = todo.pop()
            if cid not in out:
                out.append(cid)
                todo.extend(children.get(cid, []))
        return sorted(out)

    return (under(campaign.id), [(cid, names[cid], under(cid)) for cid in sorted(children.get(campaign.id, []))],
            refreshed)


def _sub_shares(campaign: Campaign, rows: list[IndicatorProgress], ach: _Achievements, subs) -> None:
    """The share of each counted indicator reached through each sub-campaign ("30 % through Mùa hè số"):
    one more ``achieved`` per direct sub-campaign, only when it has some."""
    counted = [r for r in rows if r.indicator.metric != "manual" and r.indicator.unit != "communes"
               and ach.key(r.indicator) == ach.group and _value(ach.main, r.indicator.metric, total=True) > 0]
    if not counted:
        return
    for _cid, name, ids in subs:
        sub = achieved(campaign, ach.start, ach.end, ach.group, now=ach.now, ids=ids,
                       metrics={r.indicator.metric for r in counted}, days=ach.days)
        for r in counted:
            part = _value(sub, r.indicator.metric, total=True)
            if part > 0:
                r.sub_shares.append((name, part / _value(ach.main, r.indicator.metric, total=True)))


def progress(campaign: Campaign, *, start: date | None = None, end: date | None = None, group: str | None = None,
             as_of: date, communes: list[int] | None = None,
             on_commune: Callable[[int, Commune], None] | None = None, trend: bool = False) -> Dashboard:
    """The dashboard's figures: every indicator overall, and every commune of the province ranked by
    progress with the lagging ones flagged (``flag_lagging``); ``communes`` keeps only those communes'
    rows (their rank and flag still among all the province's). A bounded number of queries whatever the
    size. ``on_commune(n, commune)`` is called after each commune (a background job's progress)."""
    indicators = db.session.scalars(select(Indicator).where(Indicator.campaign_id == campaign.id)
                                    .order_by(Indicator.position, Indicator.id)).all()
    if group:
        indicators = [i for i in indicators if i.target_group in (None, group)]
    ids, subs, refreshed = _campaign_tree(campaign)
    facts_at = daily.usable(refreshed, ids)  # None: count from the records
    days = (start, min(end, as_of) if end else as_of) if facts_at is not None else None
    extra = {"targets": _targets_stmt([i.id for i in indicators])}
    with_percent = any(i.unit == "percent" for i in indicators)
    if with_percent:  # the populations of the percentages, in the same query
        extra["baselines"] = baselines_stmt(campaign.province_code, as_of)
    if trend:
        extra.update({f"trend:{k}": v for k, v in trend_parts(campaign, ids, start, end, facts=days is not None).items()})
    ach = _Achievements(campaign, start, end, group, day_end(as_of), ids, {i.metric for i in indicators}, extra, days)
    expected = expected_share(campaign, as_of)
    ratio, share = lag_rule()
    own = _own_targets(ach.extra_rows["targets"])
    commune_list = units.communes(province_code=campaign.province_code)
    n_communes = len(commune_list)
    manual = manual_values([i.id for i in indicators], as_of)  # one query
    figures = Figures(ach, manual, baselines_from_rows(ach.extra_rows["baselines"]) if with_percent else {})

    rows = [figures.province(ind, expected, ratio) for ind in indicators]
    if subs:
        _sub_shares(campaign, rows, ach, subs)

    counted = [i for i in indicators if i.metric != "manual" or i.id in manual]
    out: list[CommuneProgress] = []
    for n_done, c in enumerate(commune_list, 1):
        out.append(_commune_progress(c, counted, own.get(c.code, {}), n_communes, figures))
        if on_commune is not None:
            on_commune(n_done, c)
    out.sort(key=lambda r: (-r.progress, r.commune.name))
    for i, r in enumerate(out, 1):
        r.rank = i
    ranked = flag_lagging(out, expected, ratio, share)
    if communes is not None:
        keep = set(communes)
        out = [r for r in out if r.commune.code in keep]
    unassigned = {m: v[None] for m, v in ach.main.items() if None in v}
    trend_rows = {k[len("trend:"):]: v for k, v in ach.extra_rows.items() if k.startswith("trend:")}
    if "facts" in trend_rows:  # registrations, certificates, people helped per day in one part
        per_day = trend_rows.pop("facts")
        for n, name in enumerate(("registrations", "certificates_issued", "people_helped")):
            trend_rows[name] = [(day, row[n]) for day, *row in per_day if row[n]]  # days with records of it
    return Dashboard(campaign, start, end, group, as_of, expected, rows, out, unassigned, ratio, share, ranked, ids,
                     trend_from_rows(trend_rows) if trend else None, facts_at=facts_at, computed_at=utcnow())


def commune_figures(campaign: Campaign, commune: int, start: date | None = None, end: date | None = None,
                    as_of: date | None = None) -> tuple[list[IndicatorProgress], CommuneProgress | None]:
    """One commune's figures for a period (its report): the indicators (province-wide lines, for the
    targets and units) and the commune's row, computed exactly as the dashboard does."""
    board = progress(campaign, start=start, end=end, as_of=as_of or end or campaign.ends_on, communes=[commune])
    return board.indicators, board.commune(commune)


def trend_parts(campaign: Campaign, ids: list[int], start: date | None = None, end: date | None = None,
                communes: list[int] | None = None, facts: bool = False) -> dict:
    """The weekly trend's statements (local day, value): registrations, certificates, people helped.
    ``facts``: one statement over the daily facts (day, registrations, certificates, people helped)."""
    if facts and communes is None:
        f = DailyFact
        return {"facts": select(f.day, func.sum(f.registrations), func.sum(f.certificates), func.sum(f.helped))
                .where(f.campaign_id.in_(ids), f.grp == "", f.day >= (start or campaign.starts_on),
                       f.day <= (end or campaign.ends_on))
                .group_by(f.day)}
    lo, hi = utc_bounds(start or campaign.starts_on, end or campaign.ends_on)
    dialect = db.session.get_bind().dialect.name

    def local_day(col):
        if dialect == "postgresql":  # the local day as a day number since 1970-01-01: Vietnam keeps UTC+7 all
            # year (no summer time since 1975), and arithmetic costs far less than timezone() on every row
            return func.floor((func.date_part("epoch", col) + 7 * 3600) / 86400)
        return func.date(col, "+7 hours")

    def run(col, value, *joins_where, commune_col):
        day = local_day(col)
        stmt = select(day, value).where(_between(col, lo, hi), *joins_where).group_by(day)
        if communes is not None:
            stmt = stmt.where(commune_col.in_(list(communes)))
        return stmt

    ev = aliased(Event)
    return {
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


def trend_from_rows(rows: dict[str, list[tuple]]) -> dict:
    """The weekly trend from the rows of ``trend_parts`` (run by ``run_parts``)."""
    series: dict[str, dict[date, float]] = {"registrations": {}, "certificates_issued": {}, "people_helped": {}}
    for name in series:
        for day, n, *_ in rows.get(name, []):
            if day is None:
                continue
            key = str(day)
            d = date.fromisoformat(key[:10]) if "-" in key else EPOCH_DAY + timedelta(days=int(float(key)))
            monday = week_start(d)
            series[name][monday] = series[name].get(monday, 0) + float(n or 0)
    weeks = sorted(set().union(*[s.keys() for s in series.values()]))
    return {"weeks": weeks, "series": {k: [v.get(w, 0) for w in weeks] for k, v in series.items()}}


def weekly_trend(campaign: Campaign, *, start: date | None = None, end: date | None = None,
                 communes: list[int] | None = None, ids: list[int] | None = None) -> dict:
    """Registrations, certificates and people helped per week (Monday, local time), the campaign's
    sub-campaigns (``ids``, else ``scope_ids``: one more query) included: one query (a UNION ALL).
    The dashboard gets it from ``progress(..., trend=True)``, inside the query of the figures."""
    ids = ids if ids is not None else scope_ids(campaign)
    return trend_from_rows(run_parts(trend_parts(campaign, ids, start, end, communes)))
