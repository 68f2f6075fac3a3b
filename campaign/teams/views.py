"""Pages of community digital teams and communications: the province's coverage, a commune's villages
and teams, a team and its members, recording a communications activity (from a phone)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from campaign.accounts import permissions as perm
from campaign.core.requests import int_arg
from campaign.core.timeutil import local_today
from campaign.core.types import utcnow
from campaign.core.web import attempt, uploaded_file
from campaign.extensions import db
from campaign.teams import services
from campaign.teams.forms import (
    CHANNEL_LABELS,
    LANGUAGE_LABELS,
    ROLE_LABELS,
    ActivityForm,
    MemberForm,
    TeamForm,
    UnitActivityForm,
)
from campaign.teams.models import CommsActivity, Team, TeamMember
from campaign.units.models import Commune, Province, Village

bp = Blueprint("teams", __name__, url_prefix="/teams")


@bp.app_context_processor
def _labels():
    return {"team_labels": {"roles": ROLE_LABELS, "channels": CHANNEL_LABELS, "languages": LANGUAGE_LABELS}}


def _or_404(model, key):
    obj = db.session.get(model, key)
    if obj is None:
        abort(404)
    return obj


def _province() -> int | None:
    """The province the overview shows: the one asked for, else the user's (first) one."""
    scope = perm.grant_scope(current_user, perm.COMMUNE_MANAGERS)
    asked = int_arg("province", minimum=1)
    if asked is not None:
        return asked
    if scope.provinces:
        return min(scope.provinces)
    if scope.communes:
        return perm.province_of(min(scope.communes))
    busiest = db.session.scalar(select(Commune.province_code).join(Village, Village.commune_code == Commune.code)
                                .group_by(Commune.province_code).order_by(func.count(Village.id).desc()).limit(1))
    return busiest or db.session.scalar(select(Province.code).order_by(Province.code).limit(1))


@bp.get("/")
@login_required
@perm.roles_required(*perm.COMMUNE_MANAGERS)
def index():
    """Coverage per commune: the province's coordinators see every commune, officers their own."""
    province = _province()
    if province is None or db.session.get(Province, province) is None:
        abort(404)
    scope = perm.grant_scope(current_user, perm.COMMUNE_MANAGERS)
    whole = scope.everything or province in scope.provinces
    codes = None if whole else sorted(c for c in scope.communes if perm.province_of(c) == province)
    if not whole and not codes:
        abort(403)
    rows = services.coverage(province, codes).values()
    rows = sorted(rows, key=lambda r: (-(r.villages > 0), r.commune.name))
    totals = services.Coverage(None)
    for r in rows:
        for name in ("villages", "with_team", "active", "members", "trained", "reached", "activities"):
            setattr(totals, name, getattr(totals, name) + getattr(r, name))
    return render_template("teams/index.html", rows=rows, totals=totals, whole=whole, rule=services.active_rule(),
                           province=province, can_record=perm.can_in_province(current_user, province),
                           unit_activities=services.province_activities(province) if whole else [])


@bp.get("/commune/<int:code>")
@login_required
def commune(code: int):
    c = _or_404(Commune, code)
    perm.require(services.can_view(current_user, code))
    cov = services.coverage(c.province_code, [code])[code]
    villages = db.session.scalars(select(Village).where(Village.commune_code == code).order_by(Village.name)).all()
    teams = {t.village_id: t for t in db.session.scalars(select(Team).where(Team.commune_code == code))}
    members = dict(db.session.execute(select(TeamMember.team_id, func.count(TeamMember.id))
                                      .join(Team, Team.id == TeamMember.team_id).where(Team.commune_code == code)
                                      .group_by(TeamMember.team_id)).all())
    active = services.active_villages(set(teams), utcnow()) if teams else set()
    rule = services.active_rule()
    today = local_today()
    reached = services.village_communications(code, today - timedelta(days=rule["days"] - 1), today)
    return render_template("teams/commune.html", commune=c, cov=cov, villages=villages, teams=teams, reached=reached,
                           members=members, active=active, activities=services.activities(code),
                           can_manage=services.can_manage(current_user, code), rule=rule)


@bp.route("/village/<int:village_id>/new", methods=["GET", "POST"])
@login_required
def new_team(village_id: int):
    village = _or_404(Village, village_id)
    perm.require(services.can_manage(current_user, village.commune_code))
    form = TeamForm()
    if form.validate_on_submit():
        outcome = attempt(lambda: services.create_team(current_user, village, form.name.data or "",
                                                       form.founded_on.data), form,
                          conflict=_("This village already has a team."), conflict_field="name")
        if outcome:
            flash(_("The team of %(village)s is registered. Add its members.", village=village.name), "success")
            return redirect(url_for("teams.team", team_id=outcome.value.id))
    elif request.method == "GET":
        form.name.data = _("Community digital team of %(village)s", village=village.name)
    return render_template("teams/new_team.html", form=form, village=village)


def _member_form(team: Team, form: MemberForm | None = None) -> MemberForm:
    form = form or MemberForm()
    persons, volunteers = services.member_links(team)
    form.person_id.choices = [("", _("— none —"))] + [(p.id, p.full_name) for p in persons]
    form.volunteer_id.choices = [("", _("— none —"))] + [(v.id, v.full_name) for v in volunteers]
    return form


def _team_page(team: Team, form: MemberForm | None = None, status: int = 200):
    perm.require(services.can_view(current_user, team.commune_code))
    can_manage = services.can_manage(current_user, team.commune_code)
    trained = services.trained_members(m.id for m in team.members)
    phones = {m.id: services.shown_phone(current_user, m, team.commune_code) for m in team.members}
    return render_template("teams/team.html", team=team, trained=trained, phones=phones, can_manage=can_manage,
                           form=_member_form(team, form) if can_manage else None), status


@bp.get("/<int:team_id>")
@login_required
def team(team_id: int):
    return _team_page(_or_404(Team, team_id))


@bp.post("/<int:team_id>/members")
@login_required
def add_member(team_id: int):
    team = _or_404(Team, team_id)
    perm.require(services.can_manage(current_user, team.commune_code))
    form = _member_form(team)
    if form.validate_on_submit():
        outcome = attempt(lambda: services.add_member(
            current_user, team, full_name=form.full_name.data or "", role=form.role.data, phone=form.phone.data,
            person_id=form.person_id.data, volunteer_id=form.volunteer_id.data), form)
        if outcome:
            flash(_("%(name)s is a member of the team.", name=outcome.value.full_name), "success")
            return redirect(url_for("teams.team", team_id=team.id))
    return _team_page(team, form, 400)


@bp.post("/members/<int:member_id>/delete")
@login_required
def remove_member(member_id: int):
    member = _or_404(TeamMember, member_id)
    team_id = member.team_id
    perm.require(services.can_manage(current_user, member.team.commune_code))
    if attempt(lambda: services.remove_member(current_user, member)):
        flash(_("The member is removed from the team."), "success")
    return redirect(url_for("teams.team", team_id=team_id))


@bp.route("/commune/<int:code>/communications/new", methods=["GET", "POST"])
@login_required
def new_activity(code: int):
    c = _or_404(Commune, code)
    perm.require(services.can_manage(current_user, code))
    form = ActivityForm()
    villages = db.session.scalars(select(Village).where(Village.commune_code == code).order_by(Village.name)).all()
    form.village_ids.choices = [(v.id, v.name) for v in villages]
    form.team_id.choices = [("", _("— none —"))] + [
        (t.id, t.name) for t in db.session.scalars(select(Team).where(Team.commune_code == code).order_by(Team.name))]
    if request.method == "GET":
        form.held_on.data = local_today()
    if form.validate_on_submit():
        _name, photo = uploaded_file(services.MAX_PHOTO_BYTES)
        outcome = attempt(lambda: services.record_activity(
            current_user, code, channel=form.channel.data, language=form.language.data, title=form.title.data,
            held_on=form.held_on.data, village_ids=form.village_ids.data or [], reach=form.reach.data,
            link=form.link.data or "", photo=photo or None, team_id=form.team_id.data, notes=form.notes.data or ""),
            form)
        if outcome:
            flash(_("The communications activity is recorded."), "success")
            return redirect(url_for("teams.commune", code=code) + "#communications")
    return render_template("teams/new_activity.html", form=form, commune=c)


@bp.route("/province/<int:province_code>/communications/new", methods=["GET", "POST"])
@login_required
def new_unit_activity(province_code: int):
    """A communications activity of a provincial unit (a department, a union): the province's coordinators."""
    province = _or_404(Province, province_code)
    perm.require(perm.can_in_province(current_user, province_code))
    form = UnitActivityForm()
    if request.method == "GET":
        form.held_on.data = local_today()
    if form.validate_on_submit():
        _name, photo = uploaded_file(services.MAX_PHOTO_BYTES)
        outcome = attempt(lambda: services.record_activity(
            current_user, None, province_code=province_code, unit_name=form.unit_name.data, channel=form.channel.data,
            language=form.language.data, title=form.title.data, held_on=form.held_on.data, reach=form.reach.data,
            link=form.link.data or "", photo=photo or None, notes=form.notes.data or ""), form)
        if outcome:
            flash(_("The communications activity is recorded."), "success")
            return redirect(url_for("teams.index", province=province_code) + "#unit-activities")
    return render_template("teams/new_activity.html", form=form, commune=None, province=province)


def _can_see_activity(activity: CommsActivity) -> bool:
    if activity.commune_code is None:
        return perm.can_in_province(current_user, activity.province_code)
    return services.can_view(current_user, activity.commune_code)


@bp.get("/communications/<int:activity_id>/photo")
@login_required
def activity_photo(activity_id: int):
    activity = _or_404(CommsActivity, activity_id)
    perm.require(_can_see_activity(activity))
    if activity.photo is None:
        abort(404)
    resp = Response(activity.photo, mimetype=activity.photo_type or "application/octet-stream")
    resp.headers["Cache-Control"] = "private, max-age=3600"
    resp.headers["Content-Disposition"] = "inline"
    return resp
