from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from campaign.accounts import permissions as perm
from campaign.accounts import services
from campaign.accounts.forms import (
    ROLE_LABELS,
    ConfirmForm,
    GrantForm,
    LoginForm,
    PasswordChangeForm,
    ResetPasswordForm,
    UserCreateForm,
)
from campaign.accounts.models import RoleGrant, User
from campaign.core.web import Page, attempt, page_arg, redirect_next
from campaign.extensions import db, limiter
from campaign.units import services as units
from campaign.units.models import Commune, Province

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect_next("core.index")
    form = LoginForm()
    if form.validate_on_submit():
        user = attempt(lambda: services.authenticate(form.username.data, form.password.data)).value
        if user is None:
            form.password.errors = [_("Wrong username or password.")]
        else:
            login_user(user)
            flash(_("Welcome, %(name)s.", name=user.full_name), "success")
            return redirect_next("core.index")
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    form = ConfirmForm()
    resp = redirect(url_for("core.index"))
    if form.validate_on_submit():
        logout_user()
        flash(_("You have logged out."), "info")
        # Nothing of this session in the browser's HTTP cache. The page's script (check-in) sends
        # clear_site_data=1 only after it made sure no unsent scan and no registered device would
        # be lost: then the site's storage (IndexedDB, caches, service worker) goes too.
        kinds = '"cache", "storage"' if request.form.get("clear_site_data") == "1" else '"cache"'
        resp.headers["Clear-Site-Data"] = kinds
    return resp


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if attempt(lambda: services.change_password(current_user, form.current_password.data,
                                                    form.new_password.data), form):
            login_user(current_user._get_current_object())  # the session token changed: keep this session, end the others
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("core.index"))
    return render_template("accounts/password.html", form=form)


# --- account administration -------------------------------------------------------------------

def _manager_required() -> None:
    perm.require(perm.has_role(current_user, *perm.GRANTABLE))


def _scope_choices(form) -> None:
    """Offer only what the actor may grant: the roles they may give, the provinces where they may
    give a province-wide role, the communes inside their granting scope (refused on submit anyway)."""
    form.role.choices = [(r, ROLE_LABELS[r]) for r in perm.grantable_roles(current_user)]
    provinces = perm.grantable_provinces(current_user)
    p_stmt = select(Province).order_by(Province.name)
    if perm.is_admin(current_user):
        communes = units.communes(province_code=current_app.config["DEFAULT_PROVINCE_CODE"])
    else:
        p_stmt = p_stmt.where(Province.code.in_(provinces))
        communes = units.communes(perm.commune_filter(Commune.code, roles=tuple(perm.GRANTABLE)))
    form.province_code.choices = [("", _("— none —"))] + [(p.code, p.name) for p in db.session.scalars(p_stmt)]
    form.commune_code.choices = units.commune_choices(communes, blank=_("— none —"))


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not perm.can_manage_user(current_user, user):
        abort(403)
    return user


@bp.get("/users")
def users():
    _manager_required()
    q = request.args.get("q", "").strip()
    page = Page(services.visible_users(current_user, q), page_arg())
    return render_template("accounts/users.html", page=page, q=q, role_labels=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    _manager_required()
    form = UserCreateForm()
    _scope_choices(form)
    if form.validate_on_submit():
        outcome = attempt(lambda: services.create_user(
            current_user, username=form.username.data, full_name=form.full_name.data,
            password=form.password.data, role=form.role.data, email=form.email.data,
            province_code=form.province_code.data, commune_code=form.commune_code.data), form)
        if outcome:
            user = outcome.value
            flash(_("Account %(username)s created.", username=user.username), "success")
            return redirect(url_for("accounts.user_detail", user_id=user.id))
    return render_template("accounts/user_new.html", form=form)


@bp.get("/users/<int:user_id>")
def user_detail(user_id: int):
    _manager_required()
    user = _user_or_404(user_id)
    grant_form = GrantForm()
    _scope_choices(grant_form)
    return render_template("accounts/user_detail.html", user=user, grant_form=grant_form,
                           reset_form=ResetPasswordForm(), confirm=ConfirmForm(), role_labels=ROLE_LABELS)


@bp.post("/users/<int:user_id>/grants")
def user_grant(user_id: int):
    _manager_required()
    user = _user_or_404(user_id)
    form = GrantForm()
    _scope_choices(form)
    if form.validate_on_submit():
        if attempt(lambda: services.grant_role(current_user, user, form.role.data, form.province_code.data,
                                               form.commune_code.data)):
            flash(_("Role granted."), "success")
    else:
        flash(_("The form could not be read; please try again."), "danger")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/grants/<int:grant_id>/revoke")
def user_revoke(user_id: int, grant_id: int):
    _manager_required()
    user = _user_or_404(user_id)
    grant = db.session.get(RoleGrant, grant_id)
    if grant is None or grant.user_id != user.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        if attempt(lambda: services.revoke_grant(current_user, grant)):
            flash(_("Role removed."), "success")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/active")
def user_active(user_id: int):
    _manager_required()
    user = _user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        if attempt(lambda: services.set_active(current_user, user, not user.active)):
            flash(_("Account activated.") if user.active else _("Account deactivated."), "success")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/password")
def user_reset_password(user_id: int):
    _manager_required()
    user = _user_or_404(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        if attempt(lambda: services.reset_password(current_user, user, form.password.data)):
            flash(_("The password has been set. Tell the user in person, not by message."), "success")
    else:
        flash(_("Enter a password."), "danger")
    return redirect(url_for("accounts.user_detail", user_id=user.id))
