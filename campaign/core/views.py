from __future__ import annotations

from flask import Blueprint, current_app, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from sqlalchemy import select, text, update
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException

from campaign.core.models import Notification
from campaign.core.types import utcnow
from campaign.core.web import commit_read_side_effects, is_safe_next
from campaign.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:  # a signed-in person starts on their own home ("Hôm nay")
        return redirect(url_for("home.today"))
    from campaign import features

    for module in features.modules("home"):  # e.g. events: a resident's commune and what is on there
        page = module.home()
        if page is not None:
            return page
    return render_template("core/index.html")


@bp.get("/healthz")
def healthz():
    """The database is required (503 without it). Redis is not: without it the rate limits fall back
    to per-process memory and background jobs run inline, so an unreachable Redis reports
    ``"status": "degraded"`` with 200 (a load balancer must not take every instance out)."""
    status = {"database": "ok"}
    code = 200
    degraded = False
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        status["database"] = "error"
        code = 503
    redis_url = current_app.config.get("REDIS_URL")
    status["rate_limits"] = "memory"
    if redis_url:
        try:
            import redis

            redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1).ping()
            status["redis"] = "ok"
            status["rate_limits"] = "redis"
        except Exception:  # noqa: BLE001
            status["redis"] = "error"
            degraded = True
    else:
        status["redis"] = "not configured"
    status["status"] = "error" if code != 200 else ("degraded" if degraded else "ok")
    return jsonify(status), code


@bp.get("/lang/<code>")
def set_language(code: str):
    target = request.args.get("next")
    resp = make_response(redirect(target if is_safe_next(target) else url_for("core.index")))
    if code in current_app.config["LANGUAGES"]:
        resp.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                        secure=request.is_secure)
    return resp


@bp.get("/notifications")
@login_required
def notifications():
    rows = db.session.scalars(
        select(Notification).where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc()).limit(100)).all()
    db.session.execute(update(Notification).where(Notification.user_id == current_user.id,
                                                  Notification.read_at.is_(None)).values(read_at=utcnow()))
    commit_read_side_effects()
    return render_template("core/notifications.html", notifications=rows)


# --- errors: a clear message in the user's language, never a bare 500 --------------------------

ERROR_TEXT = {
    400: lambda: (_("The request could not be understood"), _("Please check what you entered and try again.")),
    401: lambda: (_("Please log in"), _("You need to log in to see this page.")),
    403: lambda: (_("Not allowed"), _("Your account does not have permission for this page or this commune.")),
    404: lambda: (_("Page not found"), _("The page does not exist or has been removed. Check the address.")),
    405: lambda: (_("Not allowed"), _("This action cannot be done this way.")),
    413: lambda: (_("File too large"), _("The file you sent is too large (at most %(n)d MB). Send a smaller file.",
                                         n=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024))),
    429: lambda: (_("Too many attempts"), _("Too many attempts in a short time. Please wait a minute and try again.")),
    500: lambda: (_("Something went wrong"), _("An error happened on our side. Nothing was saved; please try again later.")),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def render_error(code: int, title: str | None = None, message: str | None = None):
    if code == 413:  # the body must not be read again (the page's own forms would read it)
        request.form = ImmutableMultiDict()
        request.files = ImmutableMultiDict()
    default_title, default_message = ERROR_TEXT.get(code, ERROR_TEXT[500])()
    title, message = title or default_title, message or default_message
    if _wants_json():
        return jsonify({"error": title, "message": message, "status": code}), code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return render_error(400, _("The form has expired"),
                            _("The page was open too long or the form is not valid. Go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if err.code == 401:
            if not _wants_json():
                return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        return render_error(err.code or 500)

    @app.errorhandler(Exception)
    def unhandled(err: Exception):
        if isinstance(err, HTTPException):
            return http_error(err)
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500)
