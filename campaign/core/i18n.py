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
    register_number_filters(app)


def format_num(value, digits: int = 1) -> str:
    """A number in the user's language through Babel (Vietnamese: 1.234,5); whole numbers without
    decimals; None as "—"."""
    if value is None:
        return "—"
    from flask_babel import format_decimal

    return format_decimal(round(float(value), digits), format="#,##0." + "#" * digits if digits else "#,##0")


def format_pct(value, digits: int = 1) -> str:
    """A percentage given in percent (12.34 → "12,3%" in Vietnamese); None as "—"."""
    if value is None:
        return "—"
    return format_share(float(value) / 100, digits)


def format_share(value, digits: int = 1) -> str:
    """A share 0..1 as a percentage (0.1234 → "12,3%" in Vietnamese); None as "—"."""
    if value is None:
        return "—"
    from flask_babel import format_percent

    return format_percent(float(value), format="#,##0." + "#" * digits + "%" if digits else "#,##0%")


def register_number_filters(app) -> None:
    app.jinja_env.filters["num"] = format_num
    app.jinja_env.filters["pct"] = format_pct
    app.jinja_env.filters["pct_share"] = format_share
