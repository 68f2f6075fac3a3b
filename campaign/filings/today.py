"""Home cards: a commune officer sees each report of their commune still to submit ("report due by
dd/mm", "returned", "late"); a coordinator sees "N communes late" for each period past its deadline."""

from __future__ import annotations

from datetime import date, timedelta

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from campaign.accounts import permissions as perm
from campaign.campaigns.models import Campaign
from campaign.core.cards import Card
from campaign.extensions import db
from campaign.filings.models import CommuneReport, ReportPeriod
from campaign.units.models import Commune

RECENT_DAYS = 120  # a period whose deadline passed longer ago than this no longer makes a card


def _officer_cards(user, today: date) -> list[Card]:
    scope = perm.grant_scope(user, (perm.COMMUNE_OFFICER,))
    if scope.everything or not scope.communes:
        return []
    communes = db.session.scalars(select(Commune).where(Commune.code.in_(scope.communes))).all()
    provinces = {c.province_code for c in communes}
    periods = db.session.scalars(
        select(ReportPeriod).join(Campaign, Campaign.id == ReportPeriod.campaign_id)
        .where(Campaign.province_code.in_(provinces), ReportPeriod.starts_on <= today,
               ReportPeriod.due_on >= today - timedelta(days=RECENT_DAYS))
        .order_by(ReportPeriod.due_on)).all()
    if not periods:
        return []
    reports = {(r.period_id, r.commune_code): r for r in db.session.scalars(
        select(CommuneReport).where(CommuneReport.period_id.in_([p.id for p in periods]),
                                    CommuneReport.commune_code.in_(scope.communes)))}
    cards = []
    for p in periods:
        for c in communes:
            if c.province_code != p.campaign.province_code:
                continue
            rep = reports.get((p.id, c.code))
            if rep is not None and rep.status == "submitted":
                continue
            url = url_for("filings.report", period_id=p.id, code=c.code)
            detail = f"{p.name} · {c.name}"
            if today > p.due_on:
                cards.append(Card(_("Report late (due %(d)s)", d=p.due_on.strftime("%d/%m")), url, _("Submit now"),
                                  detail, priority=5, kind="report_late"))
            elif rep is not None and rep.status == "returned":
                cards.append(Card(_("Report returned: correct and resubmit by %(d)s", d=p.due_on.strftime("%d/%m")),
                                  url, _("Open the report"), detail, priority=10, kind="report_returned"))
            else:
                soon = (p.due_on - today).days <= 7
                cards.append(Card(_("Report due by %(d)s", d=p.due_on.strftime("%d/%m")), url, _("Open the report"),
                                  detail, priority=15 if soon else 40, kind="report_due"))
    return cards


def _coordinator_cards(user, today: date) -> list[Card]:
    scope = perm.grant_scope(user, (perm.PROVINCE_COORDINATOR,))
    if scope.everything or not scope.provinces:
        return []
    periods = db.session.scalars(
        select(ReportPeriod).join(Campaign, Campaign.id == ReportPeriod.campaign_id)
        .where(Campaign.province_code.in_(scope.provinces), ReportPeriod.due_on < today,
               ReportPeriod.due_on >= today - timedelta(days=RECENT_DAYS))
        .order_by(ReportPeriod.due_on.desc())).all()
    if not periods:
        return []
    n_communes = dict(db.session.execute(
        select(Commune.province_code, func.count()).where(Commune.province_code.in_(scope.provinces))
        .group_by(Commune.province_code)).all())
    submitted = dict(db.session.execute(
        select(CommuneReport.period_id, func.count()).where(CommuneReport.period_id.in_([p.id for p in periods]),
                                                          CommuneReport.status == "submitted")
        .group_by(CommuneReport.period_id)).all())
    cards = []
    for p in periods:
        late = n_communes.get(p.campaign.province_code, 0) - submitted.get(p.id, 0)
        if late > 0:
            cards.append(Card(ngettext("%(num)d commune late", "%(num)d communes late", late),
                              url_for("filings.board", period_id=p.id, state="late"), _("See the reports"),
                              f"{p.name} · {p.campaign.name}", count=late, priority=12, kind="reports_late"))
    return cards


def cards(user, today: date) -> list[Card]:
    if not getattr(user, "is_authenticated", False):
        return []
    return _officer_cards(user, today) + _coordinator_cards(user, today)
