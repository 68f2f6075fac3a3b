from __future__ import annotations

import time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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


def _login_account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _login_account() -> str:
    """The rate-limit key of the account a login names (whatever address tries it)."""
    return "login-account:" + services.normalise_username(request.form.get("username", ""))[:80]


def _login_failed(_response) -> bool:
    """Only failed attempts count: an office behind one address is not locked out by its own logins."""
    return bool(g.get("login_failed"))


@bp.before_app_request
def end_idle_session():
    """A logged-in session unused for SESSION_IDLE_MINUTES ends: the time of the last request is kept
    in the (signed) session cookie and checked here, on the server."""
    if "_user_id" not in session or request.endpoint == "static":
        return
    now = int(time.time())
    seen = session.get("_seen")
    if isinstance(seen, int) and now - seen > current_app.config["SESSION_IDLE_MINUTES"] * 60:
        logout_user()
        session.pop("_seen", None)
        flash(_("Your session has expired after a period of inactivity. Please log in again."), "info")
        return
    if not isinstance(seen, int) or now - seen >= 60:  # rewrite the cookie at most once a minute
        session["_seen"] = now


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_login_failed)
@limiter.limit(_login_account_limit, key_func=_login_account, methods=["POST"], deduct_when=_login_failed)
def login():
    if current_user.is_authenticated:
        return redirect_next("core.index")
    form = LoginForm()
    if form.validate_on_submit():
        user = attempt(lambda: services.authenticate(form.username.data, form.password.data)).value
        if user is None:
            g.login_failed = True
            form.password.errors = [_("Wrong username or password.")]
        else:
            login_user(user)
            session["_seen"] = int(time.time())
            flash(_("Welcome, %(name)s.", name=user.full_name), "success")
            return redirect_next("core.index")
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    form = ConfirmForm()
    resp = redirect(url_for("core.index"))
    if form.validate_on_submit():
        user = current_user._get_current_object()
        attempt(lambda: services.log_out(user))  # every copy of the session cookie stops working
        logout_user()
        session.pop("_seen", None)
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


# --- the audit log -----------------------------------------------------------------------------

AUDIT_OBJECT_TYPES = {
    "users": _l("Account"), "role_grants": _l("Role"), "campaigns": _l("Campaign"), "indicators": _l("Indicator"),
    "indicator_targets": _l("Indicator target"), "indicator_values": _l("Indicator value"),
    "events": _l("Event"), "event_series": _l("Event series"), "persons": _l("Person"),
    "registrations": _l("Registration"), "checkin_tickets": _l("Ticket"), "checkins": _l("Check-in scan"),
    "checkin_steward_grants": _l("Check-in steward"), "checkin_devices": _l("Check-in device"),
    "courses": _l("Class"), "course_results": _l("Class result"), "course_certificates": _l("Certificate"),
    "venues": _l("Venue"), "bookings": _l("Venue booking"), "villages": _l("Village"),
    "volunteer_profiles": _l("Volunteer"), "volunteer_shifts": _l("Volunteer shift"),
    "volunteer_signups": _l("Shift sign-up"), "jobs": _l("Background job"), "feed_tokens": _l("Calendar feed"),
}


def _audit_period() -> tuple:
    """The date filters (dd/mm/yyyy, local days) as UTC bounds; a bad date is ignored with a message."""
    from campaign.core.timeutil import parse_local_date
    from campaign.events.services import local_date_bounds

    bounds = []
    for name in ("from", "to"):
        raw = request.args.get(name, "").strip()
        if not raw:
            bounds.append(None)
            continue
        try:
            day = parse_local_date(raw[:20])
            start, end = local_date_bounds(day)
        except (ValueError, OverflowError):
            flash(_("Enter dates as dd/mm/yyyy."), "warning")
            bounds.append(None)
            continue
        bounds.append(start if name == "from" else end)
    return tuple(bounds)


@bp.get("/audit")
@login_required
def audit_log():
    """Who did what to which record: administrators see everything, province coordinators the
    records of their province (and their own actions). Filterable, 50 entries a page."""
    if not services.can_read_audit_log(current_user):
        abort(403)
    since, until = _audit_period()
    object_type = request.args.get("type", "")
    filters = {"action": request.args.get("action", ""), "actor": request.args.get("actor", ""),
               "object_type": object_type if object_type in AUDIT_OBJECT_TYPES else "",
               "object_id": request.args.get("id", "")}
    page = Page(services.audit_log_query(current_user, since=since, until=until, **filters),
                min(page_arg(), 1_000_000), per_page=50, scalars=False)
    return render_template("accounts/audit_log.html", page=page, filters=filters, types=AUDIT_OBJECT_TYPES,
                           date_from=request.args.get("from", "")[:20], date_to=request.args.get("to", "")[:20])
