"""The event tree: the province's launch ceremony with a bridge point in every commune, the 10/10
digital learning day with each commune's activities, their live boards, and the bridge points'
own page (host, readiness, connection)."""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, current_app, flash, jsonify, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from campaign.accounts import permissions as perm
from campaign.accounts.forms import ConfirmForm
from campaign.accounts.models import PROVINCE_COORDINATOR, User
from campaign.campaigns.models import Campaign
from campaign.core import timeutil
from campaign.core.web import attempt, form_error
from campaign.events import services
from campaign.events.forms import BridgePointForm, LaunchCeremonyForm, NationalDayForm
from campaign.events.models import Event
from campaign.events.views import bp, event_or_404, form_times, next_or, render
from campaign.extensions import db
from campaign.units.models import Province


@bp.route("/manage/launch-ceremony", methods=["GET", "POST"])
@login_required
@perm.roles_required(PROVINCE_COORDINATOR)
def launch_ceremony():
    provinces = perm.province_codes(current_user)
    stmt = select(Campaign).order_by(Campaign.starts_on.desc())
    if provinces is not None:
        stmt = stmt.where(Campaign.province_code.in_(provinces or {-1}))
    campaigns = db.session.scalars(stmt).all()
    form = LaunchCeremonyForm()
    form.campaign_id.choices = [(c.id, c.name) for c in campaigns]
    if form.validate_on_submit():
        campaign = db.session.get(Campaign, form.campaign_id.data)
        if campaign is None:
            abort(404)
        perm.require_province(campaign.province_code)
        starts, ends = form_times(form)
        # A conflict: the same action ran at the same moment elsewhere, so it is done.
        outcome = attempt(lambda: services.create_launch_ceremony(
            current_user, campaign, starts_at=starts, ends_at=ends, title=form.title.data or None,
            place=form.place.data or "", online_url=form.online_url.data or ""), form,
            conflict=_("The ceremony was just created by someone else."), show=False)
        if outcome:
            result = outcome.value
            if result.created_parent:
                flash(_("Launch ceremony created with %(n)d bridge points.", n=result.children_created), "success")
            else:
                flash(_("The ceremony already existed; %(n)d missing bridge points were added.",
                        n=result.children_created), "info")
            return redirect(url_for("events.board", event_id=result.parent.id))
        if outcome.conflicted:
            flash(outcome.error.message, "info")
            return redirect(url_for("events.manage_list"))
        form_error(form, outcome.error)
    return render("events/launch_form.html", form=form)


@bp.route("/manage/national-day", methods=["GET", "POST"])
@login_required
@perm.roles_required(PROVINCE_COORDINATOR)
def national_day():
    form = NationalDayForm()
    provinces = perm.province_codes(current_user)
    stmt = select(Province.code, Province.name).order_by(Province.name)
    if provinces is not None:
        stmt = stmt.where(Province.code.in_(provinces or {-1}))
    else:
        stmt = stmt.where(Province.code == current_app.config["DEFAULT_PROVINCE_CODE"])
    form.province_code.choices = [tuple(r) for r in db.session.execute(stmt).tuples()]
    if not form.is_submitted():
        form.year.data = datetime.now(timeutil.LOCAL_TZ).year
    if form.validate_on_submit():
        perm.require_province(form.province_code.data)
        day = date(form.year.data, 10, 10)
        campaign = db.session.scalar(select(Campaign).where(Campaign.province_code == form.province_code.data,
                                                            Campaign.kind == "digital_literacy",
                                                            Campaign.starts_on <= day, Campaign.ends_on >= day)
                                     .limit(1))
        outcome = attempt(lambda: services.create_national_day(current_user, form.province_code.data, form.year.data,
                                                               campaign), form,
                          conflict=_("The day was just created by someone else."), show=False)
        if outcome:
            flash(_("Day created.") if outcome.value.created_parent else _("This year's day already exists."), "info")
            return redirect(url_for("events.board", event_id=outcome.value.parent.id))
        if outcome.conflicted:
            flash(outcome.error.message, "info")
            return redirect(url_for("events.manage_list"))
        form_error(form, outcome.error)
    return render("events/national_day_form.html", form=form)


def _board_event(event_id: int) -> Event:
    event = event_or_404(event_id)
    if event.kind not in ("launch_ceremony", "national_day"):
        abort(404)
    # Organisers anywhere in the province: its coordinators, youth union, commune officers.
    perm.require(perm.acts_in_province(current_user, event.province_code, services.EVENT_ORGANISERS))
    return event


@bp.get("/manage/events/<int:event_id>/board")
@login_required
def board(event_id: int):
    event = _board_event(event_id)
    if event.kind == "launch_ceremony":
        data = services.launch_board(event)
        hostable = {p.id for p in data.points if services.can_host_bridge_point(current_user, p)}
        return render("events/launch_board.html", event=event, board=data, hostable=hostable,
                      confirm=ConfirmForm())
    data = services.national_day_board(event)
    own = [c for c in data.communes_without
           if perm.in_commune_scope(current_user, c.code, c.province_code, services.EVENT_ORGANISERS)]
    return render("events/national_day_board.html", event=event, board=data, own=own)


@bp.get("/manage/events/<int:event_id>/board.json")
@login_required
def board_json(event_id: int):
    event = _board_event(event_id)
    if event.kind != "launch_ceremony":
        abort(404)
    resp = jsonify(services.launch_board(event).as_json())
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _bridge_point(event_id: int) -> Event:
    event = event_or_404(event_id)
    if event.kind != "bridge_point":
        abort(404)
    perm.require(services.can_host_bridge_point(current_user, event))
    return event


@bp.route("/manage/bridge-points/<int:event_id>", methods=["GET", "POST"])
@login_required
def bridge_point(event_id: int):
    event = _bridge_point(event_id)
    form = BridgePointForm(obj=event)
    if not form.is_submitted() and event.host is not None:
        form.host_username.data = event.host.username
    if form.validate_on_submit():
        host_id = None
        if form.host_username.data:
            host = db.session.scalar(select(User).where(User.username == form.host_username.data.strip()))
            if host is None:
                form.host_username.errors = [_("No account has this username.")]
                return render("events/bridge_point.html", event=event, form=form, confirm=ConfirmForm())
            host_id = host.id
        if attempt(lambda: services.update_event(current_user, event, place=form.place.data or "",
                                                 address=form.address.data or "", host_user_id=host_id), form):
            flash(_("Bridge point saved."), "success")
            return redirect(url_for("events.bridge_point", event_id=event.id))
    return render("events/bridge_point.html", event=event, form=form, confirm=ConfirmForm())


@bp.post("/manage/bridge-points/<int:event_id>/<any(ready, connected, not_ready, disconnected):state>")
@login_required
def bridge_point_state(event_id: int, state: str):
    event = _bridge_point(event_id)

    def mark():
        if state in ("ready", "not_ready"):
            services.mark_bridge_ready(current_user, event, state == "ready")
        else:
            services.mark_bridge_connected(current_user, event, state == "connected")

    if ConfirmForm().validate_on_submit() and attempt(mark):
        flash(_("Bridge point updated."), "success")
    return redirect(next_or(url_for("events.bridge_point", event_id=event.id)))
