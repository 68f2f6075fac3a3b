"""Language selection and the Jinja filters for dates and times."""

from __future__ import annotations

from flask import current_app, has_request_context, request

from campaign.core import timeutil


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = request.cookies.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def register_filters(app) -> None:
    app.jinja_env.filters["date"] = timeutil.format_date
    app.jinja_env.filters["time"] = timeutil.format_time
    app.jinja_env.filters["datetime"] = timeutil.format_datetime
