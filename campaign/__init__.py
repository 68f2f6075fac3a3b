"""campaign: the "Bình dân học vụ số" campaign app (events, volunteers, classes, check-in, ...)."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

from campaign.config import Settings
from campaign.core import pings
from campaign.extensions import babel, csrf, db, limiter, login_manager, migrate
from campaign.features import FEATURES
from campaign.paths import PACKAGE_DIR, STATIC_DIR, TEMPLATES_DIR


class SessionInterface(SecureCookieSessionInterface):
    """Session cookies are Secure whenever the request came over https (or the config says so)."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def translation_directories() -> str:
    """Each feature keeps its own catalogue (campaign/<feature>/translations); Flask-Babel merges them."""
    dirs = [str(p) for p in sorted(PACKAGE_DIR.glob("*/translations")) if p.is_dir()]
    return ";".join(dirs) or str(PACKAGE_DIR / "translations")


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, template_folder=str(TEMPLATES_DIR),
                static_folder=str(STATIC_DIR))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    settings = Settings.from_env(app.instance_path)
    app.config.update(settings.flask_config())
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = translation_directories()
    if config:
        app.config.update(config)
    if str(app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        # SQLite has one writer at a time; the others wait for its lock up to this long (the
        # driver's 5 s default is short for a busy day on a slow machine).
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {"timeout": 30, **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    pinging = bool((app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}).get("pool_pre_ping"))
    if pinging:  # the same check, in a listener the check-in fast lane may skip (core.pings)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = pings.take_over(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.session_interface = SessionInterface()
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # its subsetter talks at INFO
    from campaign.core import logs

    logs.install([app.logger.name])  # private tokens masked in every request log line

    from campaign.core import requests as request_parsing
    from campaign.core.i18n import register_filters, select_locale, select_timezone

    request_parsing.init_app(app)  # bounded ints, NUL bytes, JSON depth, body size: 4xx, never 500
    db.init_app(app)
    if pinging:
        with app.app_context():
            pings.install(app, db.engines.values())
    migrate.init_app(app, db, directory=str(PACKAGE_DIR.parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    _init_login(app)
    register_filters(app)

    from campaign import models  # noqa: F401 - every model, for Alembic and relationships

    for feature in FEATURES:
        for module in ("views", "api"):
            try:
                mod = importlib.import_module(f"campaign.{feature}.{module}")
            except ModuleNotFoundError as exc:
                if exc.name != f"campaign.{feature}.{module}":
                    raise
                continue
            app.register_blueprint(mod.bp)

    from campaign.core.views import register_error_handlers

    register_error_handlers(app)
    from campaign.core.security import register_security_headers

    register_security_headers(app)
    _init_templates(app)

    from campaign.cli import register_cli

    register_cli(app)
    from campaign.checkin import fastlane

    fastlane.install(app)  # a steward's scan in one statement, before the request machinery
    # Every model's relationships are resolved now, when a worker starts, not in its first request
    # (about half a second: a door's first scans after a restart would wait behind it).
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    return app


def _init_login(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from campaign.accounts.services import user_by_session

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(token: str):
        return user_by_session(token)


def _init_templates(app: Flask) -> None:
    from flask_babel import get_locale
    from flask_login import current_user
    from flask_wtf import FlaskForm
    from sqlalchemy import func, select

    from campaign.accounts import permissions
    from campaign.accounts.forms import ROLE_LABELS
    from campaign.core import navigation
    from campaign.core.models import Notification

    @app.context_processor
    def inject():
        def unread_notifications() -> int:
            if not current_user.is_authenticated:
                return 0
            return db.session.scalar(select(func.count()).select_from(Notification).where(
                Notification.user_id == current_user.id, Notification.read_at.is_(None))) or 0

        return {
            "perm": permissions,
            "current_locale": str(get_locale()),
            "languages": app.config["LANGUAGES"],
            "unread_notifications": unread_notifications,
            "csrf_form": FlaskForm,
            "role_label": lambda role: ROLE_LABELS.get(role, role),
            "back_link": navigation.back_link,
            "has_endpoint": navigation.has_endpoint,
        }
