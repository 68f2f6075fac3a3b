from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from campaign.accounts import permissions as perm
from campaign.accounts.forms import ConfirmForm
from campaign.accounts.models import YOUTH_ORGANISER
from campaign.core.text import like_pattern
from campaign.core.web import attempt
from campaign.extensions import db
from campaign.units import services
from campaign.units.forms import VILLAGE_KIND_LABELS, VillageForm
from campaign.units.models import Commune, Province, Village

bp = Blueprint("units", __name__, url_prefix="/units")

# Who may look at a commune's page; who may change its villages.
VIEWERS = perm.COMMUNE_MANAGERS + (YOUTH_ORGANISER,)
EDITORS = perm.COMMUNE_MANAGERS


@bp.get("/")
@login_required
def index():
    """The provinces in the user's scope; a user with one commune goes straight to it."""
    provinces = perm.province_codes(current_user, roles=VIEWERS)
    if provinces is None:
        rows = db.session.scalars(select(Province).order_by(Province.name)).all()
    else:
        rows = db.session.scalars(select(Province).where(Province.code.in_(provinces)).order_by(Province.name)).all()
    communes = sorted(perm.grant_scope(current_user, VIEWERS).communes)
    if not rows and len(communes) == 1:
        return redirect(url_for("units.commune", code=communes[0]))
    if not rows and not communes:
        abort(403)
    mine = services.communes(codes=communes)
    counts = dict(db.session.execute(
        select(Commune.province_code, func.count()).group_by(Commune.province_code)).all())
    return render_template("units/index.html", provinces=rows, communes=mine, counts=counts)


@bp.get("/provinces/<int:code>")
@login_required
def province(code: int):
    prov = db.session.get(Province, code)
    if prov is None:
        abort(404)
    perm.require_province(code, roles=VIEWERS)
    q = request.args.get("q", "").strip()
    search = [Commune.search_name.like(like_pattern(q), escape="\\")] if q else []
    communes = services.communes(*search, province_code=code)
    village_counts = dict(db.session.execute(
        select(Village.commune_code, func.count()).join(Commune).where(Commune.province_code == code)
        .group_by(Village.commune_code)).all())
    return render_template("units/province.html", province=prov, communes=communes, q=q,
                           village_counts=village_counts)


def _commune_or_404(code: int) -> Commune:
    commune = db.session.get(Commune, code)
    if commune is None:
        abort(404)
    return commune


@bp.get("/communes/<int:code>")
@login_required
def commune(code: int):
    commune = _commune_or_404(code)
    perm.require_commune(code, roles=VIEWERS)
    villages = db.session.scalars(select(Village).where(Village.commune_code == code).order_by(Village.name)).all()
    return render_template("units/commune.html", commune=commune, villages=villages, kinds=VILLAGE_KIND_LABELS,
                           can_edit=perm.can_in_commune(current_user, code, EDITORS), confirm=ConfirmForm())


@bp.route("/communes/<int:code>/villages/new", methods=["GET", "POST"])
@login_required
def village_new(code: int):
    commune = _commune_or_404(code)
    perm.require_commune(code, roles=EDITORS)
    form = VillageForm()
    if form.validate_on_submit():
        if attempt(lambda: services.create_village(current_user, commune, name=form.name.data, kind=form.kind.data,
                                                   households=form.households.data,
                                                   population=form.population.data), form,
                   conflict=_("This commune already has a village with this name."), conflict_field="name"):
            flash(_("Village added."), "success")
            return redirect(url_for("units.commune", code=code))
    return render_template("units/village_form.html", form=form, commune=commune, village=None)


def _village_or_404(village_id: int) -> Village:
    village = db.session.get(Village, village_id)
    if village is None:
        abort(404)
    perm.require_commune(village.commune_code, roles=EDITORS)
    return village


@bp.route("/villages/<int:village_id>/edit", methods=["GET", "POST"])
@login_required
def village_edit(village_id: int):
    village = _village_or_404(village_id)
    form = VillageForm(obj=village)
    if form.validate_on_submit():
        if attempt(lambda: services.update_village(current_user, village, name=form.name.data, kind=form.kind.data,
                                                   households=form.households.data,
                                                   population=form.population.data), form,
                   conflict=_("This commune already has a village with this name."), conflict_field="name"):
            flash(_("Village saved."), "success")
            return redirect(url_for("units.commune", code=village.commune_code))
    return render_template("units/village_form.html", form=form, commune=village.commune, village=village)


@bp.post("/villages/<int:village_id>/delete")
@login_required
def village_delete(village_id: int):
    village = _village_or_404(village_id)
    code = village.commune_code
    if ConfirmForm().validate_on_submit():
        if attempt(lambda: services.delete_village(current_user, village),
                   conflict=_("This village is used by other records and cannot be deleted.")):
            flash(_("Village deleted."), "success")
    return redirect(url_for("units.commune", code=code))
