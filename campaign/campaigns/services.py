"""Campaigns and their indicators: create, edit, and the per-commune target grid."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from campaign.campaigns.models import (
    BASELINE_GROUPS,
    CAMPAIGN_KINDS,
    INDICATOR_UNITS,
    METRICS,
    TARGET_GROUPS,
    Baseline,
    Campaign,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
)
from campaign.core.services import DomainError, audit
from campaign.core.text import fold, nfc
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.features import extra_metrics
from campaign.units import services as units
from campaign.units.models import Commune, Province

CAMPAIGN_FIELDS = ("name", "kind", "description", "owner_unit", "starts_on", "ends_on", "parent_id")
INDICATOR_FIELDS = ("code", "name", "unit", "target_value", "metric", "target_group", "lead_unit", "partner_units",
                    "measurement", "position")


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:180] or "chien-dich"


def _unique_slug(name: str, exclude_id: int | None = None) -> str:
    base = slugify(name)
    slug, n = base, 1
    while True:
        stmt = select(Campaign.id).where(Campaign.slug == slug)
        if exclude_id is not None:
            stmt = stmt.where(Campaign.id != exclude_id)
        if db.session.scalar(stmt) is None:
            return slug
        n += 1
        slug = f"{base}-{n}"


def _clean_campaign(values: dict, province_code: int) -> dict:
    out = dict(values)
    out["name"] = nfc(out.get("name"))
    if not out["name"]:
        raise DomainError(_("Enter the campaign's name."), "name")
    if out.get("kind") not in CAMPAIGN_KINDS:
        raise DomainError(_("Choose a kind of campaign."), "kind")
    starts, ends = out.get("starts_on"), out.get("ends_on")
    if not isinstance(starts, date):
        raise DomainError(_("Enter the start date."), "starts_on")
    if not isinstance(ends, date):
        raise DomainError(_("Enter the end date."), "ends_on")
    if ends < starts:
        raise DomainError(_("The campaign must not end before it starts."), "ends_on")
    parent_id = out.get("parent_id")
    if parent_id:
        parent = db.session.get(Campaign, parent_id)
        if parent is None or parent.province_code != province_code:
            raise DomainError(_("Choose a parent campaign of the same province."), "parent_id")
    else:
        out["parent_id"] = None
    out["description"] = (out.get("description") or "").strip()
    out["owner_unit"] = nfc(out.get("owner_unit"))
    return out


def create_campaign(actor, province_code: int, **values) -> Campaign:
    if db.session.get(Province, province_code) is None:
        raise DomainError(_("Unknown province."), "province_code")
    clean = _clean_campaign({k: values.get(k) for k in CAMPAIGN_FIELDS}, province_code)
    campaign = Campaign(province_code=province_code, slug=_unique_slug(clean["name"]), **clean)
    db.session.add(campaign)
    db.session.flush()
    audit("campaign.created", campaign, actor=actor, name=campaign.name)
    return campaign


def update_campaign(actor, campaign: Campaign, **values) -> dict:
    clean = _clean_campaign({k: values.get(k) for k in CAMPAIGN_FIELDS}, campaign.province_code)
    if clean.get("parent_id") == campaign.id:
        raise DomainError(_("A campaign cannot be its own parent."), "parent_id")
    changes = {}
    for key, value in clean.items():
        if getattr(campaign, key) != value:
            changes[key] = [getattr(campaign, key), value]
            setattr(campaign, key, value)
    if changes:
        audit("campaign.updated", campaign, actor=actor, changes=changes)
    return changes


def _clean_indicator(values: dict, campaign: Campaign, exclude_id: int | None = None) -> dict:
    out = dict(values)
    out["code"] = nfc(out.get("code"))
    out["name"] = nfc(out.get("name"))
    if not out["code"]:
        raise DomainError(_("Enter the indicator's number or code."), "code")
    if not out["name"]:
        raise DomainError(_("Enter the indicator's name."), "name")
    if out.get("unit") not in INDICATOR_UNITS:
        raise DomainError(_("Choose a unit."), "unit")
    if out.get("metric") not in METRICS + tuple(extra_metrics()):
        raise DomainError(_("Choose how it is measured."), "metric")
    if out.get("target_group") not in (None, "", *TARGET_GROUPS):
        raise DomainError(_("Choose a target group from the list."), "target_group")
    out["target_group"] = out.get("target_group") or None
    value = out.get("target_value")
    if value is None or value < 0:
        raise DomainError(_("The target cannot be negative."), "target_value")
    if out["unit"] == "percent" and value > 100:
        raise DomainError(_("A percentage is at most 100."), "target_value")
    for key in ("lead_unit", "partner_units", "measurement"):
        out[key] = (out.get(key) or "").strip()
    out["position"] = out.get("position") or 0
    stmt = select(Indicator.id).where(Indicator.campaign_id == campaign.id, Indicator.code == out["code"])
    if exclude_id is not None:
        stmt = stmt.where(Indicator.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise DomainError(_("This campaign already has an indicator numbered %(code)s.", code=out["code"]), "code")
    return out


def create_indicator(actor, campaign: Campaign, **values) -> Indicator:
    clean = _clean_indicator({k: values.get(k) for k in INDICATOR_FIELDS}, campaign)
    if not clean["position"]:
        clean["position"] = len(campaign.indicators)
    indicator = Indicator(campaign_id=campaign.id, **clean)
    db.session.add(indicator)
    db.session.flush()
    audit("indicator.created", indicator, actor=actor, campaign=campaign.id, code=indicator.code)
    return indicator


def update_indicator(actor, indicator: Indicator, **values) -> dict:
    clean = _clean_indicator({k: values.get(k) for k in INDICATOR_FIELDS}, indicator.campaign,
                             exclude_id=indicator.id)
    changes = {}
    for key, value in clean.items():
        if getattr(indicator, key) != value:
            changes[key] = [getattr(indicator, key), value]
            setattr(indicator, key, value)
    if changes:
        audit("indicator.updated", indicator, actor=actor, changes=changes)
    return changes


def set_commune_targets(actor, indicator: Indicator, values: dict[int, float | None]) -> int:
    """Set the per-commune targets of an indicator in one go (None removes a commune's target).
    Every value is checked before anything changes. Returns the number of communes changed."""
    communes = set(units.commune_codes(indicator.campaign.province_code))
    for code, value in values.items():
        if code not in communes:
            raise DomainError(_("Unknown commune."))
        if value is not None and value < 0:
            raise DomainError(_("The target cannot be negative."), f"c{code}")
        if value is not None and indicator.unit == "percent" and value > 100:
            raise DomainError(_("A percentage is at most 100."), f"c{code}")
    existing = {t.commune_code: t for t in db.session.scalars(
        select(IndicatorTarget).where(IndicatorTarget.indicator_id == indicator.id))}
    changed = 0
    for code, value in values.items():
        row = existing.get(code)
        if value is None:
            if row is not None:
                db.session.delete(row)
                changed += 1
        elif row is None:
            db.session.add(IndicatorTarget(indicator_id=indicator.id, commune_code=code, target_value=value))
            changed += 1
        elif row.target_value != value:
            row.target_value = value
            changed += 1
    if changed:
        audit("indicator.targets", indicator, actor=actor, communes_changed=changed)
    return changed


# --- hand-entered values of "manual" indicators ---------------------------------------------------

MAX_MANUAL_VALUE = 1e9


def set_indicator_value(actor, indicator: Indicator, *, commune_code: int | None, as_of: date | None,
                        value: float | None, source: str = "", today: date) -> IndicatorValue:
    """Enter (or correct) the value of a manual indicator for a commune, or for the whole province
    (``commune_code`` None), as of a date. A second entry for the same place and date replaces the
    first; the audit log keeps both. The caller checks who may enter it (``can_enter_value``)."""
    campaign = indicator.campaign  # any indicator: a value entered by hand replaces the counted one for its place
    if commune_code is not None:
        commune = db.session.get(Commune, commune_code)
        if commune is None or commune.province_code != campaign.province_code:
            raise DomainError(_("Choose a commune of the campaign's province."), "place")
    if value is None:
        raise DomainError(_("Enter a number."), "value")
    if value != value or value < 0:  # NaN or negative
        raise DomainError(_("The value cannot be negative."), "value")
    if value > MAX_MANUAL_VALUE:
        raise DomainError(_("This number is too large."), "value")
    if indicator.unit == "percent" and value > 100:
        raise DomainError(_("A percentage is at most 100."), "value")
    if as_of is None:
        raise DomainError(_("Enter a date, e.g. 31/12/2026."), "as_of")
    if as_of > today:
        raise DomainError(_("The date cannot be in the future."), "as_of")
    if as_of < campaign.starts_on:
        raise DomainError(_("The date is before the campaign starts (%(d)s).", d=campaign.starts_on.strftime("%d/%m/%Y")),
                          "as_of")
    source = nfc(source or "")[:300]
    stmt = select(IndicatorValue).where(IndicatorValue.indicator_id == indicator.id, IndicatorValue.as_of == as_of)
    stmt = stmt.where(IndicatorValue.commune_code.is_(None) if commune_code is None
                      else IndicatorValue.commune_code == commune_code)
    row = db.session.scalar(stmt)
    old = None
    if row is None:
        row = IndicatorValue(indicator_id=indicator.id, commune_code=commune_code, as_of=as_of)
        db.session.add(row)
    else:
        old = {"value": row.value, "source": row.source, "entered_by": row.entered_by_id}
    row.value, row.source = float(value), source
    row.entered_by_id = getattr(actor, "id", None)
    row.entered_at = utcnow()
    db.session.flush()
    audit("indicator.value_corrected" if old else "indicator.value_entered", row, actor=actor,
          indicator=indicator.id, commune=commune_code, as_of=as_of.isoformat(), value=row.value, source=source,
          previous=old)
    return row


def delete_indicator_value(actor, row: IndicatorValue) -> None:
    audit("indicator.value_deleted", row, actor=actor, indicator=row.indicator_id, commune=row.commune_code,
          as_of=row.as_of.isoformat(), value=row.value, source=row.source)
    db.session.delete(row)


MAX_BASELINE = 100_000_000


def set_baseline(actor, commune: Commune, kind: str, *, as_of: date | None, value: int | None, source: str = "",
                 today: date) -> Baseline:
    """Enter (or correct) a commune's population of one group as of a date (the denominator of the
    percentage indicators). Earlier entries stay (the history); the same commune, group and date again
    corrects that entry, the audit log keeps the old value. The caller checks who may enter it."""
    if kind not in BASELINE_GROUPS:
        raise DomainError(_("Choose a population group."), "kind")
    if value is None:
        raise DomainError(_("Enter a number."), "value")
    if value < 0 or value > MAX_BASELINE:
        raise DomainError(_("Enter a whole number between 0 and 100,000,000."), "value")
    if as_of is None:
        raise DomainError(_("Enter a date, e.g. 31/12/2026."), "as_of")
    if as_of > today:
        raise DomainError(_("The date cannot be in the future."), "as_of")
    source = nfc(source or "")[:300]
    row = db.session.scalar(select(Baseline).where(Baseline.commune_code == commune.code, Baseline.kind == kind,
                                                   Baseline.as_of == as_of))
    old = None
    if row is None:
        row = Baseline(commune_code=commune.code, kind=kind, as_of=as_of)
        db.session.add(row)
    else:
        if (row.value, row.source) == (int(value), source):
            return row
        old = {"value": row.value, "source": row.source}
    row.value, row.source = int(value), source
    row.entered_by_id = getattr(actor, "id", None)
    row.entered_at = utcnow()
    db.session.flush()
    audit("baseline.corrected" if old else "baseline.entered", row, actor=actor, commune=commune.code, kind=kind,
          as_of=as_of.isoformat(), value=row.value, source=source, previous=old)
    return row


def set_commune_remote(actor, commune: Commune, remote: bool) -> bool:
    """Mark a commune remote ("vùng sâu, vùng xa") or not; True when it changed."""
    if bool(commune.remote) == bool(remote):
        return False
    commune.remote = bool(remote)
    db.session.flush()
    audit("commune.remote_marked" if remote else "commune.remote_unmarked", actor=actor, object_type="communes",
          object_id=commune.code)
    return True


def baseline_history(province_code: int, communes: list[int] | None = None, limit: int = 200) -> list[Baseline]:
    """The baselines entered in the province, newest first (the history): one query."""
    stmt = (select(Baseline).join(Commune, Commune.code == Baseline.commune_code)
            .where(Commune.province_code == province_code)
            .order_by(Baseline.as_of.desc(), Baseline.entered_at.desc(), Baseline.id.desc()).limit(limit))
    if communes is not None:
        stmt = stmt.where(Baseline.commune_code.in_(communes or [-1]))
    return list(db.session.scalars(stmt))
